# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance summaries from the REST reference's bodies, the fullest and the emptiest ones."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import sort_instances, summarize
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import shape_resource

ENTRY_KEYS = {'instance_id', 'name', 'zone', 'power_state', 'provisioning_state', 'health_state',
              'maintenance_allowed', 'maintenance', 'platform_update_domain', 'platform_fault_domain',
              'latest_model_applied', 'instance_view'}

# "Virtual Machine Scale Set VMs - Get Instance View", api-version 2024-07-01, sample response
# (a VM placed on a dedicated host group): verbatim from the REST reference.
REFERENCE_INSTANCE_VIEW = {
    'platformUpdateDomain': 0,
    'platformFaultDomain': 0,
    'rdpThumbPrint': None,
    'vmAgent': {
        'vmAgentVersion': 'Unknown',
        'statuses': [{'code': 'ProvisioningState/Unavailable', 'level': 'Warning', 'displayStatus': 'Not Ready',
                      'message': 'VM status blob is found but not yet populated.', 'time': '2024-07-01T05:00:32+00:00'}],
        'extensionHandlers': None,
    },
    'disks': [{'name': 'myOSDisk', 'encryptionSettings': None,
               'statuses': [{'code': 'ProvisioningState/succeeded', 'level': 'Info',
                             'displayStatus': 'Provisioning succeeded', 'message': None,
                             'time': '2024-07-01T04:58:58.0882815+00:00'}]}],
    'extensions': None,
    'assignedHost': '/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/'
                    'hostGroups/myHostGroup/hosts/myHost',
    'bootDiagnostics': None,
    'statuses': [
        {'code': 'ProvisioningState/succeeded', 'level': 'Info', 'displayStatus': 'Provisioning succeeded',
         'message': None, 'time': '2020-06-05T04:59:58.1852966+00:00'},
        {'code': 'PowerState/running', 'level': 'Info', 'displayStatus': 'VM running', 'message': None, 'time': None},
    ],
}

# Every field of VirtualMachineScaleSetVMInstanceView's definition that the summary reads, as the REST
# reference defines them (maintenanceRedeployStatus, vmHealth), on a VM of the paged list.
MAINTENANCE = {
    'isCustomerInitiatedMaintenanceAllowed': True,
    'preMaintenanceWindowStartTime': '2026-11-20T00:00:00.0000000+00:00',
    'preMaintenanceWindowEndTime': '2026-12-04T00:00:00.0000000+00:00',
    'maintenanceWindowStartTime': '2026-12-05T00:00:00.0000000+00:00',
    'maintenanceWindowEndTime': '2026-12-12T00:00:00.0000000+00:00',
    'lastOperationResultCode': 'None',
    'lastOperationMessage': None,
}


def vm(instance_id, view=None, zones=None, **properties):
    body = {'instanceId': instance_id, 'name': 'web_%s' % instance_id,
            'id': '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web/'
                  'virtualMachines/%s' % instance_id,
            'properties': dict(properties)}
    if view is not None:
        body['properties']['instanceView'] = view
    if zones is not None:
        body['zones'] = zones
    return body


def test_reference_instance_view_gives_the_derived_fields():
    entry = summarize(vm('0', copy.deepcopy(REFERENCE_INSTANCE_VIEW), latestModelApplied=True))
    assert set(entry) == ENTRY_KEYS
    assert entry['instance_id'] == '0'
    assert entry['name'] == 'web_0'
    assert entry['power_state'] == 'running'
    assert entry['provisioning_state'] == 'succeeded'
    # No vmHealth in the body: the scale set has no health signal.
    assert entry['health_state'] is None
    assert entry['maintenance'] is None
    assert entry['maintenance_allowed'] is False
    assert entry['platform_update_domain'] == 0
    assert entry['platform_fault_domain'] == 0
    assert entry['zone'] is None
    assert entry['latest_model_applied'] is True
    view = entry['instance_view']
    assert view['assigned_host'].endswith('/hosts/myHost')
    assert view['vm_agent']['vm_agent_version'] == 'Unknown'
    assert view['vm_agent']['statuses'][0]['display_status'] == 'Not Ready'
    assert view['disks'][0]['encryption_settings'] is None
    assert view['rdp_thumb_print'] is None
    assert view['statuses'][1] == {'code': 'PowerState/running', 'level': 'Info', 'display_status': 'VM running',
                                   'message': None, 'time': None}


def test_maintenance_health_and_zone():
    view = copy.deepcopy(REFERENCE_INSTANCE_VIEW)
    view.update(platformUpdateDomain=3, platformFaultDomain=1, maintenanceRedeployStatus=dict(MAINTENANCE),
                vmHealth={'status': {'code': 'HealthState/unhealthy', 'level': 'Warning', 'displayStatus': 'Unhealthy'}})
    entry = summarize(vm('12', view, zones=['2']))
    assert entry['zone'] == '2'
    assert entry['health_state'] == 'unhealthy'
    assert entry['maintenance_allowed'] is True
    assert entry['maintenance'] == {
        'is_customer_initiated_maintenance_allowed': True,
        'pre_maintenance_window_start_time': '2026-11-20T00:00:00.0000000+00:00',
        'pre_maintenance_window_end_time': '2026-12-04T00:00:00.0000000+00:00',
        'maintenance_window_start_time': '2026-12-05T00:00:00.0000000+00:00',
        'maintenance_window_end_time': '2026-12-12T00:00:00.0000000+00:00',
        'last_operation_result_code': 'None',
        'last_operation_message': None,
    }
    assert entry['platform_update_domain'] == 3
    assert entry['platform_fault_domain'] == 1
    assert entry['instance_view']['vm_health']['status']['display_status'] == 'Unhealthy'


def test_maintenance_not_allowed_is_false_not_missing():
    view = {'maintenanceRedeployStatus': {'isCustomerInitiatedMaintenanceAllowed': False,
                                          'lastOperationResultCode': 'MaintenanceCompleted'}}
    entry = summarize(vm('1', view))
    assert entry['maintenance_allowed'] is False
    assert entry['maintenance'] == {'is_customer_initiated_maintenance_allowed': False,
                                    'last_operation_result_code': 'MaintenanceCompleted'}


def test_health_states_are_lower_case_words():
    for code, state in (('HealthState/healthy', 'healthy'), ('HealthState/Unhealthy', 'unhealthy'),
                        ('HealthState/initializing', 'initializing'), ('HealthState/unknown', 'unknown')):
        entry = summarize(vm('1', {'vmHealth': {'status': {'code': code}}}))
        assert entry['health_state'] == state


def test_minimal_bodies_give_every_key_with_nulls():
    # The reference's minimum instance view is an empty object; a VM may carry no properties at all.
    for body in (vm('4', {}), {'instanceId': '4'}, {'instanceId': '4', 'properties': None},
                 {'instanceId': '4', 'properties': {'instanceView': None}}):
        entry = summarize(body)
        assert set(entry) == ENTRY_KEYS
        assert entry['instance_id'] == '4'
        assert entry['instance_view'] == {}
        assert entry['name'] == body.get('name')
        for key in ('zone', 'power_state', 'provisioning_state', 'health_state', 'maintenance',
                    'platform_update_domain', 'platform_fault_domain', 'latest_model_applied'):
            assert entry[key] is None, key
        assert entry['maintenance_allowed'] is False
    assert set(summarize(None)) == ENTRY_KEYS
    assert set(summarize({})) == ENTRY_KEYS


def test_provisioning_state_falls_back_to_the_vm_property():
    entry = summarize(vm('1', {'statuses': [{'code': 'PowerState/deallocated'}]}, provisioningState='Succeeded'))
    assert entry['provisioning_state'] == 'succeeded'
    assert entry['power_state'] == 'deallocated'


def test_same_keys_from_list_and_from_single_get():
    # A list entry and a VM GET with $expand=instanceView have the same shape; an instanceView-only body
    # (GET .../instanceView) has no instanceId or zones, which is why the module does not use it.
    listed = summarize(vm('3', copy.deepcopy(REFERENCE_INSTANCE_VIEW), zones=['1']))
    fetched = summarize(vm('3', copy.deepcopy(REFERENCE_INSTANCE_VIEW), zones=['1']))
    assert listed == fetched
    assert set(listed) == ENTRY_KEYS


def test_sort_is_numeric():
    entries = [summarize(vm(i, {})) for i in ('10', '2', '0', '100', '9', '1')]
    assert [e['instance_id'] for e in sort_instances(entries)] == ['0', '1', '2', '9', '10', '100']


# "Virtual Machine Scale Sets - Get OS Upgrade History", MaximumSet and MinimumSet sample entries.
OS_UPGRADE_MAXIMUM = {
    'properties': {
        'runningStatus': {'code': 'RollingForward', 'startTime': '2021-11-30T13:05:40.442Z',
                          'endTime': '2021-11-30T13:05:40.443Z'},
        'progress': {'successfulInstanceCount': 6, 'failedInstanceCount': 25, 'inProgressInstanceCount': 20,
                     'pendingInstanceCount': 27},
        'error': {'details': [{'code': 'aaaaaaaaaaaaaaaaaaaaaaaa', 'target': 'aaaa', 'message': 'aa'}],
                  'innererror': {'exceptiontype': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'errordetail': 'aaaaaaaaaaaaaaaaaaaaaaaa'},
                  'code': 'aaaaaaa', 'target': 'aaaaaaa', 'message': 'aaaaaaaaa'},
        'startedBy': 'Unknown',
        'targetImageReference': {'sku': '2016-Datacenter', 'publisher': 'MicrosoftWindowsServer', 'version': 'latest',
                                 'offer': 'WindowsServer', 'exactVersion': 'aaaaaaa', 'sharedGalleryImageId': 'aaaaaa',
                                 'id': 'aaaaaaaaaaaaaaaaaaa'},
        'rollbackInfo': {'successfullyRolledbackInstanceCount': 12, 'failedRolledbackInstanceCount': 2,
                         'rollbackError': {'code': 'aaaaaaa', 'target': 'aaaaaaa', 'message': 'aaaaaaaaa'}},
    },
    'type': 'aaaaaaaaaaaaaaaaaaa',
    'location': 'aaaaaaaaaaaaa',
}


def test_os_upgrade_entries_are_flattened_and_snake_case():
    entry = shape_resource(copy.deepcopy(OS_UPGRADE_MAXIMUM))
    assert 'properties' not in entry
    assert entry['type'] == 'aaaaaaaaaaaaaaaaaaa'
    assert entry['location'] == 'aaaaaaaaaaaaa'
    assert entry['running_status'] == {'code': 'RollingForward', 'start_time': '2021-11-30T13:05:40.442Z',
                                       'end_time': '2021-11-30T13:05:40.443Z'}
    assert entry['progress'] == {'successful_instance_count': 6, 'failed_instance_count': 25,
                                 'in_progress_instance_count': 20, 'pending_instance_count': 27}
    assert entry['started_by'] == 'Unknown'
    assert entry['target_image_reference']['exact_version'] == 'aaaaaaa'
    assert entry['target_image_reference']['shared_gallery_image_id'] == 'aaaaaa'
    assert entry['error']['innererror'] == {'exceptiontype': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
                                            'errordetail': 'aaaaaaaaaaaaaaaaaaaaaaaa'}
    assert entry['rollback_info']['successfully_rolledback_instance_count'] == 12
    assert entry['rollback_info']['rollback_error']['code'] == 'aaaaaaa'


def test_os_upgrade_minimum_entry_is_empty():
    assert shape_resource({}) == {}
