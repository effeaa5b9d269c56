# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import health as instance_health
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.health import batch_recovered
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    plan as planning, variables as role_variables)

ELIGIBLE = {'is_customer_initiated_maintenance_allowed': True}
DONE = {'is_customer_initiated_maintenance_allowed': False, 'last_operation_result_code': 'MaintenanceCompleted'}


def vm(instance_id, zone=None, ud=0, fd=0, health='healthy', power='running', maintenance='eligible'):
    if maintenance == 'eligible':
        maintenance = dict(ELIGIBLE)
    return dict(instance_id=str(instance_id), zone=zone, platform_update_domain=ud, platform_fault_domain=fd,
                health_state=health, power_state=power, provisioning_state='succeeded', maintenance=maintenance)


@pytest.mark.parametrize('text, seconds', [
    ('PT0S', 0), ('PT30S', 30), ('PT1M30S', 90), ('PT1H', 3600), ('P1DT2H', 93600), ('pt5m', 300), ('PT0.5S', 0.5)])
def test_iso8601_seconds(text, seconds):
    assert role_variables.iso8601_seconds(text) == seconds


@pytest.mark.parametrize('text', ['', 'P', 'PT', '30', '30s', 'P1M', 'P1Y', 'PT-1S', 'PTS', None, 30])
def test_iso8601_refuses_malformed_and_ambiguous(text):
    with pytest.raises(role_variables.PlanningError) as err:
        role_variables.iso8601_seconds(text, 'pause_time_between_batches')
    assert 'pause_time_between_batches' in str(err.value)


@pytest.mark.parametrize('value', [0, 101, -5, '0', 'x', None, True, 20.5])
def test_percent_bounds(value):
    with pytest.raises(role_variables.PlanningError) as err:
        planning.percent(value, 'max_batch_instance_percent')
    assert 'max_batch_instance_percent' in str(err.value)


@pytest.mark.parametrize('total, pct, size', [(12, 20, 2), (4, 20, 1), (1000, 20, 200), (3, 100, 3), (0, 20, 1)])
def test_batch_size(total, pct, size):
    assert planning.batch_size(total, pct) == size


def test_health_classification():
    assert not instance_health.is_unhealthy(vm(0))
    assert instance_health.is_unhealthy(vm(0, health='unhealthy'))
    assert instance_health.is_unhealthy(vm(0, health='unknown'))
    assert instance_health.is_unhealthy(vm(0, health='initializing'))
    assert instance_health.is_unhealthy(vm(0, power='stopped'))
    assert not instance_health.is_unhealthy(vm(0, health=None))
    assert instance_health.is_unhealthy(vm(0, health=None), require_health_signal=True)


@pytest.mark.parametrize('health', ['healthy', 'unhealthy', 'unknown', 'initializing', None])
@pytest.mark.parametrize('power', ['running', 'stopped', 'deallocated', None])
@pytest.mark.parametrize('provisioning', ['succeeded', 'failed', 'updating'])
def test_an_instance_that_settles_not_recovered_fails_the_batch_read_however_health_is_required(
        health, power, provisioning):

    one = dict(vm(1, health=health, power=power), provisioning_state=provisioning)
    rest = [vm(0), vm(2)]
    if instance_health.settles_not_recovered(one):
        # a health poll may stop here: the full read could not have said "recovered", with or without a signal
        assert not batch_recovered(rest + [one], require_health_signal=False)
        assert not batch_recovered(rest + [one], require_health_signal=True)
    else:
        # it does not stop on an instance that the full read would count as recovered without a signal
        assert batch_recovered(rest + [one], require_health_signal=False)
    assert instance_health.settles_not_recovered(one) == (power != 'running' or provisioning == 'failed'
                                                          or health not in ('healthy', None))


def test_plan_never_spans_zones_and_follows_update_domains():
    fleet = [vm(i, zone=str(i % 3 + 1), ud=(i // 3) % 5) for i in range(12)]
    plan = planning.plan_batches(fleet, max_batch_instance_percent=20)
    assert plan['batch_size'] == 2
    assert sum(len(b['instance_ids']) for b in plan['batches']) == 12
    ids_by_zone = dict((vm_['instance_id'], vm_['zone']) for vm_ in fleet)
    for batch in plan['batches']:
        assert len(set(ids_by_zone[i] for i in batch['instance_ids'])) == 1
        assert batch['zone'] == ids_by_zone[batch['instance_ids'][0]]
    zone1 = [b for b in plan['batches'] if b['zone'] == '1']
    assert [b['instance_ids'] for b in zone1] == [['0', '3'], ['6', '9']]
    assert [b['number'] for b in plan['batches']] == list(range(1, len(plan['batches']) + 1))


def test_cross_zone_batches_mix_zones():
    fleet = [vm(i, zone=str(i % 3 + 1), ud=i) for i in range(6)]
    plan = planning.plan_batches(fleet, max_batch_instance_percent=50, enable_cross_zone_upgrade=True)
    assert [b['instance_ids'] for b in plan['batches']] == [['0', '1', '2'], ['3', '4', '5']]
    assert plan['batches'][0]['zone'] is None


def test_plan_sorts_out_skipped_and_maintained_and_puts_unhealthy_first():
    fleet = [vm(0), vm(1, health='unhealthy', ud=4), vm(2, maintenance=None), vm(3, maintenance=DONE), vm(10, ud=1)]
    plan = planning.plan_batches(fleet, max_batch_instance_percent=20, prioritize_unhealthy_instances=True)
    assert plan['eligible'] == ['0', '1', '10']
    assert plan['already_maintained'] == ['3']
    assert [s['instance_id'] for s in plan['skipped']] == ['2']
    assert [b['instance_ids'] for b in plan['batches']] == [['1'], ['0'], ['10']]
    plan = planning.plan_batches(fleet, max_batch_instance_percent=20)
    assert [b['instance_ids'] for b in plan['batches']] == [['0'], ['10'], ['1']]


def test_plan_for_a_subset_reports_unknown_ids():
    fleet = [vm(0), vm(1), vm(2)]
    plan = planning.plan_batches(fleet, instance_ids=['2', '7'], max_batch_instance_percent=100)
    assert plan['eligible'] == ['2'] and plan['unknown'] == ['7']
    assert plan['batches'] == [dict(number=1, zone=None, instance_ids=['2'], update_domains=[0])]
    assert plan['total'] == 3


VALID_VARIABLES = {
    'safe_maintenance_resource_group': 'rg', 'safe_maintenance_scale_set': 'vmss',
    'safe_maintenance_max_batch_instance_percent': 20, 'safe_maintenance_max_unhealthy_instance_percent': '20',
    'safe_maintenance_max_unhealthy_upgraded_instance_percent': 100, 'safe_maintenance_pause_time_between_batches': 'PT0S',
    'safe_maintenance_health_timeout': 1, 'safe_maintenance_operation_timeout': '3600', 'safe_maintenance_poll_interval': 0,
}


def test_variable_problems_none_when_valid():
    assert role_variables.variable_problems(VALID_VARIABLES) == []


@pytest.mark.parametrize('name, value', [
    ('safe_maintenance_resource_group', ''), ('safe_maintenance_scale_set', '  '), ('safe_maintenance_scale_set', None),
    ('safe_maintenance_max_batch_instance_percent', 0), ('safe_maintenance_max_unhealthy_instance_percent', 101),
    ('safe_maintenance_max_unhealthy_upgraded_instance_percent', '-5'),
    ('safe_maintenance_pause_time_between_batches', '30s'), ('safe_maintenance_pause_time_between_batches', 'P1W'),
    ('safe_maintenance_health_timeout', -1), ('safe_maintenance_health_timeout', 0), ('safe_maintenance_operation_timeout', '0'),
    ('safe_maintenance_operation_timeout', 1.5), ('safe_maintenance_poll_interval', -2), ('safe_maintenance_poll_interval', True)])
def test_variable_problems_name_only_the_bad_variable(name, value):
    variables = dict(VALID_VARIABLES)
    variables[name] = value
    problems = role_variables.variable_problems(variables)
    assert len(problems) == 1
    assert problems[0].startswith(name + ' ')
    assert not any(other in problems[0] for other in VALID_VARIABLES if other != name)


def test_variable_problems_lists_every_bad_variable():
    variables = dict(VALID_VARIABLES, safe_maintenance_health_timeout=-1, safe_maintenance_max_batch_instance_percent=0)
    problems = role_variables.variable_problems(variables)
    assert [p.split(' ')[0] for p in problems] == ['safe_maintenance_health_timeout',
                                                   'safe_maintenance_max_batch_instance_percent']


def test_variable_problems_check_names_and_instance_ids_like_the_modules():
    problems = role_variables.variable_problems({
        'safe_maintenance_resource_group': 'rg/x',
        'safe_maintenance_scale_set': 'web-',
        'safe_maintenance_instance_ids': ['1', '1'],
    })
    assert [p.split(' ')[0] for p in problems] == ['safe_maintenance_instance_ids', 'safe_maintenance_resource_group',
                                                   'safe_maintenance_scale_set']
    assert 'more than once' in problems[0]
    assert "'a/b'" in role_variables.variable_problems({'safe_maintenance_instance_ids': ['a/b']})[0]
    # Flexible scale sets' instances are VM names: they pass the role's check as they pass the modules'.
    assert role_variables.variable_problems({'safe_maintenance_instance_ids': ['vmss-flex_1a2b3c4d', '3']}) == []
    assert role_variables.variable_problems({'safe_maintenance_instance_ids': 'abc'}) == [
        'safe_maintenance_instance_ids must be a list of instance ids']
    assert role_variables.variable_problems({'safe_maintenance_instance_ids': [], 'safe_maintenance_resource_group': 'rg',
                                             'safe_maintenance_scale_set': 'web'}) == []
