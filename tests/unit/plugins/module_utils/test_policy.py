# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's policy from the scale set, the health-signal rule, the refusals and the repairs decision."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    gates, policy as policies, variables as role_variables)

NOTHING_SET = dict((field, None) for field in policies.POLICY_DEFAULTS)


def test_policy_from_the_scale_set_field_by_field_with_sources():
    azure = {'max_batch_instance_percent': 34, 'max_unhealthy_instance_percent': 40, 'pause_time_between_batches': 'PT1M',
             'max_surge': True}
    user = dict(NOTHING_SET, max_unhealthy_instance_percent=10)
    result = policies.resolve_fields(azure, user)
    assert result['policy'] == {'max_batch_instance_percent': 34, 'max_unhealthy_instance_percent': 10,
                                'max_unhealthy_upgraded_instance_percent': 20, 'pause_time_between_batches': 'PT1M',
                                'prioritize_unhealthy_instances': False, 'enable_cross_zone_upgrade': False}
    assert result['sources'] == {'max_batch_instance_percent': 'scale set rolling upgrade policy',
                                 'max_unhealthy_instance_percent': 'role variable',
                                 'max_unhealthy_upgraded_instance_percent': 'default',
                                 'pause_time_between_batches': 'scale set rolling upgrade policy',
                                 'prioritize_unhealthy_instances': 'default', 'enable_cross_zone_upgrade': 'default'}


def test_policy_without_a_rolling_policy_is_defaults_and_variables():
    result = policies.resolve_fields(None, dict(NOTHING_SET, enable_cross_zone_upgrade=False))
    assert result['policy'] == policies.POLICY_DEFAULTS
    assert result['sources']['enable_cross_zone_upgrade'] == 'role variable', 'false set by the user is still set'
    assert set(result['sources'].values()) == {'default', 'role variable'}


@pytest.mark.parametrize('setting, kind, required, refuses', [
    ('auto', 'load_balancer_probe', True, False),
    ('auto', 'application_health_extension', True, False),
    ('auto', 'none', False, True),
    ('auto', None, False, True),
    (True, 'none', True, False),
    (False, 'none', False, False),
    ('false', 'application_health_extension', False, False),
])
def test_require_health_signal(setting, kind, required, refuses):
    result = policies.require_health_signal(setting, kind)
    assert result['required'] is required
    assert bool(result['refusal']) is refuses


def test_the_refusal_says_what_to_add():
    refusal = policies.require_health_signal('auto', 'none')['refusal']
    assert 'health probe' in refusal and 'Application Health extension' in refusal
    assert 'safe_maintenance_require_health_signal: false' in refusal
    with pytest.raises(ValueError):
        policies.require_health_signal('sometimes', 'none')


def test_provisioning_refusal():
    assert gates.provisioning_refusal({'provisioning_state': 'Succeeded'}) == ''
    assert gates.provisioning_refusal({}) == ''
    assert 'provisioning state Updating' in gates.provisioning_refusal({'provisioning_state': 'Updating'})


def test_an_os_upgrade_in_progress_is_refused_and_named():
    history = [{'running_status': {'code': 'RollingForward', 'start_time': '2026-12-01T20:00:00Z'}, 'started_by': 'Platform'},
               {'running_status': {'code': 'Completed'}, 'started_by': 'User'}]
    assert gates.os_upgrade_in_progress_refusal(history) == (
        'an automatic OS image upgrade is in progress on the scale set (started 2026-12-01T20:00:00Z by Platform); '
        'wait for it to finish.')
    assert gates.os_upgrade_in_progress_refusal(history[1:]) == ''
    assert gates.os_upgrade_in_progress_refusal(None) == ''
    user = gates.os_upgrade_in_progress_refusal([{'running_status': {'code': 'RollingForward'}, 'started_by': 'User'}])
    assert user.startswith('an OS image upgrade is in progress')


def vmss(enabled, state=None):
    data = {'automatic_repairs_policy': {'enabled': enabled}}
    if state:
        data['orchestration_services'] = [{'service_name': 'AutomaticRepairs', 'service_state': state}]
    return data


@pytest.mark.parametrize('scale_set, setting, suspend', [
    (vmss(True, 'Running'), True, True),
    (vmss(True, 'Running'), False, False),
    (vmss(True, 'Suspended'), True, False),
    (vmss(True), True, False),
    (vmss(False, 'NotRunning'), True, False),
    ({}, True, False),
])
def test_repairs_are_suspended_only_when_enabled_and_running(scale_set, setting, suspend):
    assert policies.repairs_to_suspend(scale_set, setting)['suspend'] is suspend


def test_operations_in_progress_are_the_updating_instances():
    fleet = [{'instance_id': '0', 'provisioning_state': 'succeeded'},
             {'instance_id': '3', 'provisioning_state': 'updating', 'power_state': 'stopped'},
             {'instance_id': '5', 'provisioning_state': 'Updating'},
             {'instance_id': '7', 'provisioning_state': None}]
    assert policies.operations_in_progress(fleet) == ['3', '5']
    assert policies.operations_in_progress([]) == [] and policies.operations_in_progress(None) == []


def test_policy_variables_keep_unset_as_none_and_type_the_rest():
    typed = role_variables.policy_variables({'max_batch_instance_percent': '30', 'max_unhealthy_instance_percent': None,
                                             'pause_time_between_batches': 'PT1M', 'prioritize_unhealthy_instances': 'yes',
                                             'enable_cross_zone_upgrade': '', 'max_unhealthy_upgraded_instance_percent': 10})
    assert typed == {'max_batch_instance_percent': 30, 'max_unhealthy_instance_percent': None,
                     'pause_time_between_batches': 'PT1M', 'prioritize_unhealthy_instances': True,
                     'enable_cross_zone_upgrade': None, 'max_unhealthy_upgraded_instance_percent': 10}
    assert role_variables.policy_variables({'enable_cross_zone_upgrade': False}) == {'enable_cross_zone_upgrade': False}
