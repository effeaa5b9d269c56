# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import (
    flatten_properties, shape_resource, snake_dict, status_suffix)


@pytest.mark.parametrize('wire, snake', [
    ('isCustomerInitiatedMaintenanceAllowed', 'is_customer_initiated_maintenance_allowed'),
    ('preMaintenanceWindowStartTime', 'pre_maintenance_window_start_time'),
    ('vmHealth', 'vm_health'),
    ('vmId', 'vm_id'),
    ('instanceIds', 'instance_ids'),
    ('platformUpdateDomain', 'platform_update_domain'),
    ('maxUnhealthyUpgradedInstancePercent', 'max_unhealthy_upgraded_instance_percent'),
    ('HTTPSPort', 'https_port'),
    ('osUpgradeHistory', 'os_upgrade_history'),
    ('code', 'code'),
    ('already_snake', 'already_snake'),
])
def test_snake_dict_key_names(wire, snake):
    assert snake_dict({wire: 1}) == {snake: 1}


def test_snake_dict_recurses_through_lists_and_keeps_tags_verbatim():
    wire = {
        'tags': {'CostCenter': 'A1', 'ownerTeam': 'Ops'},
        'properties': {'runningStatus': {'code': 'Completed'}, 'statuses': [{'displayStatus': 'Ready'}]},
    }
    assert snake_dict(wire) == {
        'tags': {'CostCenter': 'A1', 'ownerTeam': 'Ops'},
        'properties': {'running_status': {'code': 'Completed'}, 'statuses': [{'display_status': 'Ready'}]},
    }


def test_snake_dict_keeps_each_resource_tags_in_a_list_of_resources():
    wire = [{'name': 'a', 'tags': {'ownerTeam': 'Ops'}}, {'name': 'b', 'tags': {'CostCenter': 'B'}}, 'x', None]
    assert snake_dict(wire) == [{'name': 'a', 'tags': {'ownerTeam': 'Ops'}}, {'name': 'b', 'tags': {'CostCenter': 'B'}},
                                'x', None]


def test_flatten_properties_lifts_without_overwriting_identity():
    resource = {'id': '/x', 'name': 'vmss', 'properties': {'name': 'shadow', 'provisioningState': 'Succeeded'}}
    assert flatten_properties(resource) == {'id': '/x', 'name': 'vmss', 'provisioningState': 'Succeeded'}
    assert resource['properties']['name'] == 'shadow', 'input must not be changed'


def test_shape_resource_handles_minimal_and_missing_bodies():
    # The REST reference's minimum rolling-upgrade response: every optional field missing.
    assert shape_resource({'location': 'westus'}) == {'location': 'westus'}
    assert shape_resource({}) == {}
    assert shape_resource(None) == {}


def test_shape_resource_rolling_upgrade_maximum_sample():
    wire = {
        'type': 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades',
        'location': 'westus',
        'properties': {
            'policy': {'maxBatchInstancePercent': 49, 'prioritizeUnhealthyInstances': True},
            'runningStatus': {'code': 'RollingForward', 'startTime': '2021-11-30T12:58:26.201Z'},
            'progress': {'successfulInstanceCount': 3, 'pendingInstanceCount': 1},
            'error': {'code': 'Conflict', 'message': 'x', 'details': [{'code': 'a', 'target': 'b'}]},
        },
        'tags': {'Key9': 'aaa'},
    }
    shaped = shape_resource(wire)
    assert shaped['policy'] == {'max_batch_instance_percent': 49, 'prioritize_unhealthy_instances': True}
    assert shaped['running_status']['code'] == 'RollingForward'
    assert shaped['progress']['successful_instance_count'] == 3
    assert shaped['error']['details'] == [{'code': 'a', 'target': 'b'}]
    assert shaped['tags'] == {'Key9': 'aaa'}


def test_status_suffix():
    statuses = [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/Running'}]
    assert status_suffix(statuses, 'PowerState') == 'running'
    assert status_suffix(statuses, 'ProvisioningState') == 'succeeded'
    assert status_suffix(statuses, 'HealthState') is None
    assert status_suffix(None, 'PowerState') is None
    assert status_suffix([{}], 'PowerState') is None
