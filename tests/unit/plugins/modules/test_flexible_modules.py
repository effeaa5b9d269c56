# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module on a Flexible scale set, end to end over the fake transport: real AnsibleModule, our client, the SDK.

The ``arm`` fixture checks after each test that no request used the scale-set VM APIs or the scale-set
performMaintenance, which Azure refuses on a Flexible scale set.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import (  # noqa: E402
    instance_view_info, os_upgrade_history_info, perform_maintenance, rolling_upgrade_info)
from ...utils.fake_arm import FakeArm, RM, flexible_vm, run_module_main  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
GROUP = '/subscriptions/%s/resourceGroups/rg-web' % SUB
VMSS = GROUP + '/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-flex'
VMS = GROUP + '/providers/Microsoft.Compute/virtualMachines'
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')
FAST = {'retry-after-ms': '10'}


@pytest.fixture
def arm():
    fake = FakeArm()
    yield fake
    for request in fake.requests:
        assert '/virtualMachineScaleSets/vmss-flex/virtualMachines' not in request['path'], request['path']
        assert not request['path'].endswith('/virtualMachineScaleSets/vmss-flex/performMaintenance')
        if request['method'] == 'POST':
            assert request['path'].startswith(VMS + '/') and request['body'] is None


@pytest.fixture
def run(monkeypatch, capsys, arm):
    def _run(module, module_args, check_mode=False):
        full = dict(AUTH, resource_group='rg-web', name='vmss-flex')
        full.update(module_args)
        return run_module_main(monkeypatch, capsys, module, full, arm, check_mode=check_mode)
    return _run


def vm(name, allowed=None, zone=None, code='None'):
    return flexible_vm(name, VMSS, allowed=allowed, zone=zone, code=code)


def flexible_fleet(arm, vms, capacity=None):
    arm.scale_set(VMSS, mode='Flexible', capacity=capacity)
    for body in vms:
        arm.on('GET', VMS + '/' + body['name'], body=body)
    return arm.on('GET', VMS, body={'value': vms})


def basic(arm):
    # a1, c3 eligible; b2 already maintained; d4 not in a wave.
    return flexible_fleet(arm, [vm('vmss-flex_c3', True, zone=2), vm('vmss-flex_a1', True, zone=1),
                                vm('vmss-flex_b2', False, code='MaintenanceCompleted'), vm('vmss-flex_d4')])


def op_url(name):
    return RM + '/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/op-%s?api-version=x' % (
        SUB, name)


def accept(arm, name, statuses=('InProgress', 'Succeeded'), error=None):
    arm.on('POST', VMS + '/%s/performMaintenance' % name, status=202,
           headers=dict(FAST, **{'Azure-AsyncOperation': op_url(name)}))
    for index, status in enumerate(statuses):
        body = {'status': status, 'name': 'op-' + name}
        if error and status == 'Failed':
            body['error'] = error
        arm.on('GET', '/operations/op-' + name, body=body, headers=FAST, times=None if index == len(statuses) - 1 else 1)
    return arm


def posted(arm):
    return sorted(r['path'][len(VMS) + 1:].split('/')[0] for r in arm.requests if r['method'] == 'POST')


# -- instance_view_info --------------------------------------------------------------------------------

def test_fleet_read_names_instances_by_vm_name(run, arm):
    basic(arm)
    result = run(instance_view_info, {})
    assert result['orchestration_mode'] == 'Flexible'
    assert [i['instance_id'] for i in result['instances']] == ['vmss-flex_a1', 'vmss-flex_b2', 'vmss-flex_c3',
                                                               'vmss-flex_d4']
    first = result['instances'][0]
    assert first['name'] == first['instance_id'] and first['zone'] == '1'
    assert first['platform_fault_domain'] == 0 and first['platform_update_domain'] is None
    assert first['maintenance_allowed'] is True
    assert [r['path'] for r in arm.requests] == [VMSS, VMS], 'the mode, then one page of the VM list'


def test_named_vms_are_read_by_get(run, arm):
    basic(arm)
    result = run(instance_view_info, {'instance_ids': ['vmss-flex_c3', 'VMSS-FLEX_A1']})
    assert [i['instance_id'] for i in result['instances']] == ['vmss-flex_a1', 'vmss-flex_c3']
    assert sorted(r['path'] for r in arm.requests[1:]) == [VMS + '/VMSS-FLEX_A1', VMS + '/vmss-flex_c3']


def test_numeric_ids_on_flexible_fail_naming_the_vm_names(run, arm):
    basic(arm).on('GET', VMS + '/0', status=404, body={'error': {'code': 'ResourceNotFound', 'message': 'no'}})
    result = run(instance_view_info, {'instance_ids': ['0']})
    assert result['failed'] is True
    assert "instance_ids: '0' not in scale set 'vmss-flex'" in result['msg']
    assert 'Flexible orchestration' in result['msg']
    assert "'vmss-flex_a1', 'vmss-flex_b2', 'vmss-flex_c3', 'vmss-flex_d4'" in result['msg']


# -- perform_maintenance --------------------------------------------------------------------------------

def test_all_instances_sends_one_post_per_eligible_vm_and_reports_each(run, arm):
    accept(accept(basic(arm), 'vmss-flex_a1'), 'vmss-flex_c3')
    result = run(perform_maintenance, {'all_instances': True})
    assert result['changed'] is True and result['status'] == 'Succeeded'
    assert result['orchestration_mode'] == 'Flexible'
    assert result['instance_ids'] == ['vmss-flex_a1', 'vmss-flex_c3']
    assert result['already_maintained'] == ['vmss-flex_b2']
    assert [s['instance_id'] for s in result['skipped_instances']] == ['vmss-flex_d4']
    assert posted(arm) == ['vmss-flex_a1', 'vmss-flex_c3'], 'exactly one POST per maintained VM'
    assert [(o['instance_ids'], o['status']) for o in result['operations']] == [
        (['vmss-flex_a1'], 'Succeeded'), (['vmss-flex_c3'], 'Succeeded')]
    assert [r['path'] for r in arm.requests if r['method'] == 'GET' and '/operations/' not in r['path']] == [VMSS, VMS]


def test_named_vms_with_another_case_are_sent_as_azure_spells_them(run, arm):
    accept(basic(arm), 'vmss-flex_a1')
    result = run(perform_maintenance, {'instance_ids': ['VMSS-FLEX_A1', 'vmss-flex_b2']})
    assert result['instance_ids'] == ['vmss-flex_a1'] and result['already_maintained'] == ['vmss-flex_b2']
    assert posted(arm) == ['vmss-flex_a1']


def test_check_mode_reads_and_sends_nothing(run, arm):
    basic(arm)
    result = run(perform_maintenance, {'all_instances': True}, check_mode=True)
    assert result['changed'] is True and result['instance_ids'] == ['vmss-flex_a1', 'vmss-flex_c3']
    assert result['operations'] == [] and result['status'] is None
    assert all(r['method'] == 'GET' for r in arm.requests)


def test_wait_false_returns_each_operation_without_polling(run, arm):
    accept(accept(basic(arm), 'vmss-flex_a1'), 'vmss-flex_c3')
    result = run(perform_maintenance, {'all_instances': True, 'wait': False})
    assert result['status'] == 'InProgress' and result['operation_url'] is None
    assert [o['operation_url'] for o in result['operations']] == [op_url('vmss-flex_a1'), op_url('vmss-flex_c3')]
    assert not any('/operations/' in r['path'] for r in arm.requests)


def test_one_failed_vm_fails_the_task_with_every_outcome(run, arm):
    accept(basic(arm), 'vmss-flex_a1')
    accept(arm, 'vmss-flex_c3', statuses=('InProgress', 'Failed'),
           error={'code': 'MaintenanceOperationFailed', 'message': 'aborted'})
    result = run(perform_maintenance, {'all_instances': True})
    assert result['failed'] is True and result['changed'] is True
    assert result['status'] == 'Failed'
    assert "'vmss-flex_c3' Failed: MaintenanceOperationFailed: aborted" in result['msg']
    assert dict((o['instance_ids'][0], o['status']) for o in result['operations']) == {
        'vmss-flex_a1': 'Succeeded', 'vmss-flex_c3': 'Failed'}
    assert 's3cret-value' not in repr(result)


def test_numeric_ids_on_flexible_send_nothing(run, arm):
    basic(arm).on('GET', VMS + '/3', status=404, body={'error': {'code': 'ResourceNotFound', 'message': 'no'}})
    result = run(perform_maintenance, {'instance_ids': ['3']})
    assert result['failed'] is True
    assert 'Flexible orchestration' in result['msg'] and "'vmss-flex_a1'" in result['msg']
    assert 'Nothing was sent' in result['msg'] and result['unknown_instance_ids'] == ['3']
    assert result['orchestration_mode'] == 'Flexible', 'known from the scale set read before the failure'
    assert posted(arm) == []


def test_vm_names_on_a_uniform_scale_set_fail_before_any_instance_read(monkeypatch, capsys):
    arm = FakeArm().scale_set(VMSS, mode='Uniform')
    full = dict(AUTH, resource_group='rg-web', name='vmss-flex', instance_ids=['vmss-flex_a1'])
    result = run_module_main(monkeypatch, capsys, perform_maintenance, full, arm)
    assert result['failed'] is True
    assert "'vmss-flex_a1' is not numeric" in result['msg'] and 'Uniform orchestration' in result['msg']
    assert 'Nothing was sent' in result['msg']
    assert [r['path'] for r in arm.requests] == [VMSS]


# -- rolling_upgrade_info and os_upgrade_history_info ----------------------------------------------------

REFUSED = {'error': {'code': 'OperationNotAllowed', 'message': "Operation 'VirtualMachineScaleSets.osUpgradeHistory.GET'"
                                                               " is not allowed on Virtual Machine Scale Set 'vmss-flex'."}}


def test_refused_os_upgrade_history_is_reported_not_available(run, arm):
    arm.scale_set(VMSS, mode='Flexible').on('GET', '/osUpgradeHistory', status=409, body=REFUSED)
    result = run(os_upgrade_history_info, {})
    assert result.get('failed') is not True
    assert result['available'] is False and result['os_upgrades'] == []
    assert 'Flexible orchestration' in result['unavailable_reason'] and 'OperationNotAllowed' in result['unavailable_reason']
    assert 'Flexible orchestration' in repr(result['warnings']), 'warned (ansible-core 2.19 structures warnings)'


def test_refused_rolling_upgrade_is_reported_not_available_also_with_a_query(run, arm):
    arm.scale_set(VMSS, mode='Flexible').on('GET', '/rollingUpgrades/latest', status=400, body=REFUSED)
    result = run(rolling_upgrade_info, {'query': 'rolling_upgrade_active'})
    assert result['available'] is False and result['query_result'] is False
    assert 'unavailable_reason' in result


def test_rolling_upgrade_of_flexible_is_whatever_azure_answers(run, arm):
    arm.on('GET', '/rollingUpgrades/latest', body={
        'type': 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades',
        'properties': {'runningStatus': {'code': 'RollingForward'}}})
    result = run(rolling_upgrade_info, {})
    assert result['available'] is True and result['rolling_upgrade_active'] is True
    assert 'unavailable_reason' not in result
    assert [r['path'] for r in arm.requests] == [VMSS + '/rollingUpgrades/latest']
