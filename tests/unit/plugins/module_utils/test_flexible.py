# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flexible scale sets through the shared client and the real SDK, only the HTTP transport faked.

Every test also checks, through the ``arm`` fixture, that no request touched the scale-set VM APIs
(Azure refuses them on a Flexible scale set) and that no performMaintenance went to the scale set.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from urllib.parse import parse_qs

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import flexible
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ScaleSetRef  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import (  # noqa: E402
    AzureVmssError, NotAvailableError)
from ...utils.fake_arm import FakeArm, RM, SUB, VMSS_PATH, flexible_vm  # noqa: E402

REF = ScaleSetRef('rg', 'web')
VMS = '/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines' % SUB
FAST = {'retry-after-ms': '10'}
REFUSED = {'error': {'code': 'OperationNotAllowed',
                     'message': "Operation 'VirtualMachineScaleSets.virtualMachines.GET' is not allowed on Virtual "
                                "Machine Scale Set 'web'."}}


def op_url(name):
    return RM + '/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/op-%s?api-version=2026-04-01' % (
        SUB, name)


def flex_vm(name, allowed=None, zone=None, fault_domain=0, scale_set=VMSS_PATH):
    return flexible_vm(name, scale_set, allowed=allowed, zone=zone, fault_domain=fault_domain)


@pytest.fixture
def arm():
    fake = FakeArm()
    yield fake
    for request in fake.requests:
        assert '/virtualMachineScaleSets/web/virtualMachines' not in request['path'], (
            'scale-set VM API on a Flexible scale set: %s' % request['path'])
        assert not request['path'].endswith('/virtualMachineScaleSets/web/performMaintenance')


def flexible_scale_set(arm, capacity=None):
    return arm.scale_set(mode='Flexible', capacity=capacity)


def paths(arm):
    return [r['path'] for r in arm.requests]


# -- reads ------------------------------------------------------------------------------------------

def test_fleet_is_the_resource_groups_filtered_vm_list_with_instance_view(arm):
    page1 = {'value': [flex_vm('web_b2'), flex_vm('other_1', scale_set=VMSS_PATH + 'x')],
             'nextLink': RM + VMS + '?api-version=2026-04-01&$skiptoken=2'}
    flexible_scale_set(arm).on('GET', VMS, body=page1, times=1).on('GET', VMS, body={'value': [flex_vm('web_a1')]})
    client = arm.client()
    vms = client.read_instances(REF)
    assert [vm['name'] for vm in vms] == ['web_b2', 'web_a1'], 'a VM of another scale set never gets through'
    assert paths(arm) == [VMSS_PATH, VMS, VMS]
    query = parse_qs(arm.requests[1]['query'])
    assert query['$expand'] == ['instanceView']
    assert query['$filter'] == ["'virtualMachineScaleSet/id' eq '%s'" % VMSS_PATH]
    assert client.orchestration_mode(REF) == 'Flexible'
    assert client.requests_sent == 3, 'the mode is read once per run'


def test_named_vms_are_one_get_each_in_the_order_asked(arm):
    flexible_scale_set(arm).on('GET', VMS + '/web_b2', body=flex_vm('web_b2'))
    arm.on('GET', VMS + '/web_a1', body=flex_vm('web_a1'))
    vms = arm.client().read_instances(REF, ['web_b2', 'web_a1'])
    assert [vm['name'] for vm in vms] == ['web_b2', 'web_a1']
    assert paths(arm)[0] == VMSS_PATH
    assert sorted(paths(arm)[1:]) == [VMS + '/web_a1', VMS + '/web_b2']
    assert all('expand=instanceView' in r['query'] for r in arm.requests[1:])


@pytest.mark.parametrize('workers', [1, 10])
def test_a_poll_of_named_vms_stops_sending_once_one_is_down_and_names_no_unread_vm_unknown(arm, monkeypatch, workers):
    # One worker: the count is exact under any thread schedule. Ten: how many reads were in flight when web_004 was
    # seen depends on the schedule (a busy machine lets the others run ahead), so only what any schedule keeps.
    monkeypatch.setattr(flexible, 'WORKERS', workers)
    names = ['web_%03d' % i for i in range(200)]
    flexible_scale_set(arm, capacity=1000)
    for i, name in enumerate(names):
        arm.on('GET', VMS + '/' + name, body=flex_vm(name))
    stop_at = 'web_004'
    vms = arm.client().read_instances(REF, names, stop_when=lambda vm: vm['name'] == stop_at)
    got = [vm['name'] for vm in vms]
    assert stop_at in got and got == sorted(got)
    assert len(paths(arm)) - 1 == len(vms)  # every VM read is returned; no unread VM is named unknown
    if workers == 1:
        assert got == names[:5]


def test_many_named_vms_of_a_small_fleet_come_from_one_page_matching_names_without_case(arm):
    names = ['web_%d' % i for i in range(8)]
    flexible_scale_set(arm, capacity=8).on('GET', VMS, body={'value': [flex_vm(n) for n in names]})
    vms = arm.client().read_instances(REF, [n.upper() for n in names[:6]])
    assert [vm['name'] for vm in vms] == names[:6], "the names as Azure spells them"
    assert paths(arm) == [VMSS_PATH, VMS]


def test_unknown_and_foreign_vms_are_named_with_the_vms_the_scale_set_has(arm):
    flexible_scale_set(arm)
    arm.on('GET', VMS + '/web_a1', body=flex_vm('web_a1'))
    arm.on('GET', VMS + '/db_1', body=flex_vm('db_1', scale_set=VMSS_PATH.replace('/web', '/db')))
    arm.on('GET', VMS + '/3', status=404, body={'error': {'code': 'ResourceNotFound', 'message': 'no'}})
    arm.on('GET', VMS, body={'value': [flex_vm('web_a1'), flex_vm('web_b2')]})
    with pytest.raises(AzureVmssError) as err:
        arm.client().read_instances(REF, ['web_a1', 'db_1', '3'])
    msg = err.value.msg
    assert msg.startswith("instance_ids: '3', 'db_1' not in scale set 'web'")
    assert 'Flexible orchestration' in msg and 'not numbered' in msg
    assert msg.endswith("Its VMs are 'web_a1', 'web_b2'")
    assert sorted(err.value.extra['unknown_instance_ids']) == ['3', 'db_1']


def test_names_on_a_uniform_scale_set_fail_after_only_the_scale_set_read():
    arm = FakeArm().scale_set(mode='Uniform')
    with pytest.raises(AzureVmssError) as err:
        arm.client().read_instances(REF, ['0', 'web_a1'])
    assert "'web_a1' is not numeric" in err.value.msg and 'Uniform orchestration' in err.value.msg
    assert paths(arm) == [VMSS_PATH]


# -- rolling upgrade and OS upgrade history -----------------------------------------------------------

@pytest.mark.parametrize('status, code', [(409, 'OperationNotAllowed'), (400, 'BadRequest')])
def test_a_refused_rolling_upgrade_read_on_flexible_is_not_available(arm, status, code):
    body = {'error': {'code': code, 'message': "Operation 'VirtualMachineScaleSets.rollingUpgrades.GET' is not "
                                               "allowed on Virtual Machine Scale Set 'web'."}}
    flexible_scale_set(arm).on('GET', '/rollingUpgrades/latest', status=status, body=body)
    with pytest.raises(NotAvailableError) as err:
        arm.client().get_latest_rolling_upgrade(REF)
    assert err.value.msg.startswith("Azure does not offer the latest rolling upgrade of scale set 'web' in resource "
                                    "group 'rg', which uses Flexible orchestration (Azure: %s" % code)
    assert 'credential' not in err.value.msg
    assert paths(arm) == [VMSS_PATH + '/rollingUpgrades/latest', VMSS_PATH]


def test_the_same_refusal_on_a_uniform_scale_set_stays_a_failure():
    arm = FakeArm().scale_set(mode='Uniform').on('GET', '/osUpgradeHistory', status=409, body=REFUSED)
    with pytest.raises(AzureVmssError) as err:
        arm.client().list_os_upgrade_history(REF)
    assert not isinstance(err.value, NotAvailableError)
    assert err.value.status_code == 409


def test_os_upgrade_history_of_flexible_is_whatever_azure_answers(arm):
    arm.on('GET', '/osUpgradeHistory', body={'value': []})
    assert arm.client().list_os_upgrade_history(REF) == []
    assert paths(arm) == [VMSS_PATH + '/osUpgradeHistory'], 'no scale-set read when Azure answers'


# -- maintenance --------------------------------------------------------------------------------------

def accept_vm(arm, name, statuses=('InProgress', 'Succeeded'), error=None):
    headers = {'Azure-AsyncOperation': op_url(name), 'Location': op_url(name) + '&monitor=true'}
    headers.update(FAST)
    arm.on('POST', VMS + '/%s/performMaintenance' % name, status=202, headers=headers)
    for index, status in enumerate(statuses):
        body = {'status': status, 'name': 'op-' + name, 'startTime': '2026-11-20T12:00:00Z'}
        if error and status == 'Failed':
            body['error'] = error
        arm.on('GET', '/operations/op-%s' % name, body=body, headers=FAST,
               times=None if index == len(statuses) - 1 else 1)


def posts(arm):
    return [r for r in arm.requests if r['method'] == 'POST']


def test_one_post_per_vm_without_a_body_each_followed_to_its_end(arm):
    flexible_scale_set(arm)
    for name in ('web_a1', 'web_b2', 'web_c3'):
        accept_vm(arm, name)
    operation = arm.client().begin_perform_maintenance(REF, ['web_a1', 'web_b2', 'web_c3'])
    assert sorted(p['path'] for p in posts(arm)) == [VMS + '/%s/performMaintenance' % n for n in ('web_a1', 'web_b2', 'web_c3')]
    assert all(p['body'] is None for p in posts(arm)), 'the VM is in the path; nothing in a body can widen it'
    assert operation.operation_url is None and operation.instance_ids == ['web_a1', 'web_b2', 'web_c3']
    assert operation.wait(timeout=30) == 'Succeeded'
    assert [(o['instance_ids'], o['status'], o['operation_url']) for o in operation.operations] == [
        (['web_a1'], 'Succeeded', op_url('web_a1')), (['web_b2'], 'Succeeded', op_url('web_b2')),
        (['web_c3'], 'Succeeded', op_url('web_c3'))]
    polls = [r for r in arm.requests if '/operations/' in r['path']]
    assert len(polls) == 6, 'each operation polled until it ended, no more'


def test_a_failed_vm_operation_is_reported_with_the_others_outcomes(arm):
    flexible_scale_set(arm)
    accept_vm(arm, 'web_a1')
    accept_vm(arm, 'web_b2', statuses=('InProgress', 'Failed'),
              error={'code': 'MaintenanceOperationFailed', 'message': 'host update failed'})
    operation = arm.client().begin_perform_maintenance(REF, ['web_a1', 'web_b2'])
    with pytest.raises(AzureVmssError) as err:
        operation.wait(timeout=30)
    assert err.value.extra['status'] == 'Failed'
    assert "'web_b2' Failed: MaintenanceOperationFailed: host update failed" in err.value.msg
    assert "Succeeded: 'web_a1'" in err.value.msg
    outcomes = dict((o['instance_ids'][0], o) for o in err.value.extra['operations'])
    assert outcomes['web_a1']['status'] == 'Succeeded'
    assert outcomes['web_b2']['error']['code'] == 'MaintenanceOperationFailed'


def test_the_first_refused_post_stops_the_rest(arm, monkeypatch):
    monkeypatch.setattr(flexible, 'WORKERS', 1)  # one at a time, so "the rest" is certain
    flexible_scale_set(arm)
    accept_vm(arm, 'web_a1')
    arm.on('POST', VMS + '/web_b2/performMaintenance', status=409, body={'error': {
        'code': 'OperationNotAllowed',
        'message': "Operation 'performMaintenance' is not allowed on VM 'web_b2' since the Subscription of this VM "
                   "is not eligible."}})
    accept_vm(arm, 'web_c3')
    operation = arm.client().begin_perform_maintenance(REF, ['web_a1', 'web_b2', 'web_c3'])
    assert [p['path'].split('/')[-2] for p in posts(arm)] == ['web_a1', 'web_b2']
    assert operation.instance_ids == ['web_a1']
    start_error = operation.start_failure_error()
    assert "not allowed on VM 'web_b2'" in start_error.msg and "Not sent after that failure: 'web_c3'" in start_error.msg
    assert start_error.status_code == 409
    with pytest.raises(AzureVmssError) as err:
        operation.wait(timeout=30)
    assert err.value.extra['status'] == 'Failed'
    assert [o['status'] for o in err.value.extra['operations']] == ['Succeeded', 'Failed', 'NotStarted']


def test_when_no_post_is_accepted_its_error_is_raised(arm):
    flexible_scale_set(arm).on('POST', VMS + '/web_a1/performMaintenance', status=409, body={'error': {
        'code': 'OperationNotAllowed', 'message': "Operation 'performMaintenance' is not allowed on VM 'web_a1'."}})
    with pytest.raises(AzureVmssError) as err:
        arm.client().begin_perform_maintenance(REF, ['web_a1'])
    assert err.value.status_code == 409 and "VM 'web_a1'" in err.value.msg


def test_a_location_only_operation_is_followed_until_200(arm):
    location = op_url('web_a1') + '&monitor=true'
    flexible_scale_set(arm).on('POST', VMS + '/web_a1/performMaintenance', status=202,
                               headers=dict(FAST, Location=location))
    arm.on('GET', '/operations/op-web_a1', status=202, headers=FAST, times=1)
    arm.on('GET', '/operations/op-web_a1', status=200)
    operation = arm.client().begin_perform_maintenance(REF, ['web_a1'])
    assert operation.wait(timeout=30) == 'Succeeded'
    assert operation.operations[0]['operation_url'] == location


def test_a_synchronous_200_is_done_at_once(arm):
    flexible_scale_set(arm).on('POST', VMS + '/web_a1/performMaintenance', status=200)
    operation = arm.client().begin_perform_maintenance(REF, ['web_a1'])
    assert operation.finished_at_once
    assert operation.wait(timeout=30) == 'Succeeded'
    assert len(arm.requests) == 2


def test_time_running_out_says_the_rest_goes_on(arm):
    flexible_scale_set(arm)
    accept_vm(arm, 'web_a1', statuses=('InProgress',))
    operation = arm.client().begin_perform_maintenance(REF, ['web_a1'])
    with pytest.raises(AzureVmssError) as err:
        operation.wait(timeout=0.3)
    assert err.value.extra['status'] == 'InProgress'
    assert 'go on in Azure' in err.value.msg and 'instance_view_info' in err.value.msg


def test_a_throttled_post_waits_out_retry_after_and_holds_the_others(arm):
    flexible_scale_set(arm)
    # azure-core retries any answer with Retry-After (the header itself, not the -ms ones), POSTs included.
    arm.on('POST', VMS + '/web_a1/performMaintenance', status=429, times=1,
           headers={'Retry-After': '1'}, body={'error': {'code': 'TooManyRequests', 'message': 'slow down'}})
    accept_vm(arm, 'web_a1')
    client = arm.client()
    operation = client.begin_perform_maintenance(REF, ['web_a1'])
    assert [p['path'] for p in posts(arm)] == [VMS + '/web_a1/performMaintenance'] * 2, 'retried after Retry-After'
    assert client.throttled_until() > 0, 'paced senders see the hold'
    assert operation.wait(timeout=30) == 'Succeeded'


def test_posts_are_paced_by_the_write_bucket(arm, monkeypatch):
    import time
    monkeypatch.setattr(flexible, 'VM_WRITE_BURST', 2)
    monkeypatch.setattr(flexible, 'VM_WRITE_RATE', 10.0)
    flexible_scale_set(arm).on('POST', '/performMaintenance', status=200)
    names = ['web_%d' % i for i in range(5)]
    started = time.monotonic()
    operation = arm.client().begin_perform_maintenance(REF, names)
    elapsed = time.monotonic() - started
    assert len(posts(arm)) == 5 and operation.finished_at_once
    assert elapsed >= 0.28, 'two at once, then one every 0.1 s: %.3f s' % elapsed
