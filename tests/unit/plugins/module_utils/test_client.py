# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared client over the real SDK, with only the HTTP transport faked."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import (  # noqa: E402
    ComputeClient, ScaleSetRef)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError  # noqa: E402
from ...utils.fake_arm import FakeArm, FakeCredential, VMSS_PATH, RM  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.pipeline import parse_remaining_resource
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import instance_reads

REF = ScaleSetRef('rg', 'web')
NOT_FOUND = {'error': {'code': 'ResourceNotFound', 'message': "The Resource 'Microsoft.Compute/virtualMachineScaleSets/web' "
                                                              "under resource group 'rg' was not found."}}


def test_rolling_upgrade_latest_is_returned_as_wire_dict():
    arm = FakeArm().on('GET', '/rollingUpgrades/latest', body={
        'type': 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades', 'location': 'westus',
        'properties': {'runningStatus': {'code': 'RollingForward'}}})
    status = arm.client().get_latest_rolling_upgrade(REF)
    assert status['properties']['runningStatus']['code'] == 'RollingForward'
    assert len(arm.requests) == 1
    assert arm.requests[0]['path'] == VMSS_PATH + '/rollingUpgrades/latest'
    assert 'api-version=' in arm.requests[0]['query']
    assert arm.requests[0]['headers']['User-Agent'].startswith('azure_vmss.maintenance/')


def test_rolling_upgrade_never_run_is_none_after_one_look_at_the_scale_set():
    arm = (FakeArm().on('GET', '/rollingUpgrades/latest', status=404, body={'error': {'code': 'NotFound', 'message': 'x'}})
           .on('GET', VMSS_PATH, body={'name': 'web', 'location': 'westus'}))
    assert arm.client().get_latest_rolling_upgrade(REF) is None
    assert [r['path'] for r in arm.requests] == [VMSS_PATH + '/rollingUpgrades/latest', VMSS_PATH]


def test_rolling_upgrade_of_missing_scale_set_says_so():
    arm = (FakeArm().on('GET', '/rollingUpgrades/latest', status=404, body=NOT_FOUND)
           .on('GET', VMSS_PATH, status=404, body=NOT_FOUND))
    with pytest.raises(AzureVmssError) as err:
        arm.client().get_latest_rolling_upgrade(REF)
    assert err.value.status_code == 404
    assert err.value.error['code'] == 'ResourceNotFound'
    assert err.value.msg.startswith("Failed to read scale set 'web' in resource group 'rg': ResourceNotFound")
    assert 'ResourceNotFound' in err.value.msg


def test_os_upgrade_history_follows_next_link_and_stops_at_max_items():
    page1 = {'value': [{'properties': {'runningStatus': {'code': 'Completed'}}}] * 2,
             'nextLink': RM + VMSS_PATH + '/osUpgradeHistory?api-version=2026-04-01&$skiptoken=2'}
    page2 = {'value': [{'properties': {'runningStatus': {'code': 'Faulted'}}}]}
    arm = FakeArm().on('GET', '/osUpgradeHistory', body=page1, times=1).on('GET', '/osUpgradeHistory', body=page2)
    assert len(arm.client().list_os_upgrade_history(REF)) == 3
    assert len(arm.requests) == 2
    assert 'skiptoken=2' in arm.requests[1]['query']

    arm = FakeArm().on('GET', '/osUpgradeHistory', body=page1, times=1).on('GET', '/osUpgradeHistory', body=page2)
    assert len(arm.client().list_os_upgrade_history(REF, max_items=2)) == 2
    assert len(arm.requests) == 1, 'the second page must not be fetched'


def test_perform_maintenance_sends_the_wire_key_and_waits():
    op = RM + '/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/op1?api-version=2026-04-01'
    # azure-core takes "Retry-After: 0" as unsaid and would wait its 15 s polling interval: milliseconds.
    arm = (FakeArm().scale_set().on('POST', '/performMaintenance', status=202,
                                    headers={'Azure-AsyncOperation': op, 'retry-after-ms': '10'})
           .on('GET', '/operations/op1', body={'status': 'InProgress', 'name': 'op1'}, headers={'retry-after-ms': '10'},
               times=1)
           .on('GET', '/operations/op1', body={'status': 'Succeeded', 'name': 'op1'}))
    client = arm.client()
    operation = client.begin_perform_maintenance(REF, ['1', '3'])
    assert operation.operation_url == op
    assert operation.wait(timeout=30) == 'Succeeded'
    assert arm.requests[0]['path'] == VMSS_PATH, 'the mode first'
    post = arm.requests[1]
    assert post['path'] == VMSS_PATH + '/performMaintenance'
    assert post['body'] == {'instanceIds': ['1', '3']}
    assert len(arm.requests) == 4
    assert operation.operations == [dict(instance_ids=['1', '3'], status='Succeeded', operation_url=op)]


def test_perform_maintenance_refuses_an_empty_list_without_a_request():
    arm = FakeArm()
    with pytest.raises(AzureVmssError) as err:
        arm.client().begin_perform_maintenance(REF, [])
    assert 'every instance' in err.value.msg
    assert arm.requests == []


def test_perform_maintenance_failed_operation_reports_arm_error_and_ids():
    op = RM + '/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/op2?api-version=2026-04-01'
    arm = (FakeArm().scale_set().on('POST', '/performMaintenance', status=202,
                                    headers={'Azure-AsyncOperation': op, 'Retry-After': '0'})
           .on('GET', '/operations/op2', body={'status': 'Failed', 'name': 'op2',
                                               'error': {'code': 'MaintenanceFailed', 'message': 'host update failed'}}))
    operation = arm.client().begin_perform_maintenance(REF, ['2'])
    with pytest.raises(AzureVmssError) as err:
        operation.wait(timeout=30)
    assert 'MaintenanceFailed' in err.value.msg and 'host update failed' in err.value.msg
    assert err.value.extra['instance_ids'] == ['2']
    assert operation.operations[0]['status'] == 'Failed'


def test_conflict_is_translated_with_arm_code_and_message():
    body = {'error': {'code': 'OperationNotAllowed', 'message': "Operation 'performMaintenance' is not allowed on VM "
                                                                "'web_2' since the Subscription of this VM is not eligible."}}
    arm = FakeArm().scale_set().on('POST', '/performMaintenance', status=409, body=body)
    with pytest.raises(AzureVmssError) as err:
        arm.client().begin_perform_maintenance(REF, ['2'])
    assert err.value.status_code == 409
    assert err.value.error['code'] == 'OperationNotAllowed'
    assert "'web_2'" in err.value.msg and 'instances 2' in err.value.msg


def test_arm_401_names_the_credential_source():
    arm = FakeArm().on('GET', VMSS_PATH, status=401, body={'error': {'code': 'InvalidAuthenticationToken',
                                                                     'message': 'The access token is invalid.'}})
    with pytest.raises(AzureVmssError) as err:
        arm.client().get_scale_set(REF)
    assert 'InvalidAuthenticationToken' in err.value.msg and 'module parameters' in err.value.msg


def test_token_failure_names_source_and_never_the_secret():
    from azure.core.exceptions import ClientAuthenticationError
    failing = FakeCredential(ClientAuthenticationError(
        'AADSTS7000215: Invalid client secret provided for secret hunter2-secret'))
    arm = FakeArm()
    with pytest.raises(AzureVmssError) as err:
        arm.client(credential=failing, secrets=('hunter2-secret',)).get_scale_set(REF)
    assert 'Authentication failed using module parameters' in err.value.msg
    assert 'AADSTS7000215' in err.value.msg
    assert 'hunter2-secret' not in err.value.msg
    assert arm.requests == [], 'no ARM request without a token'


def test_throttled_read_is_retried_after_retry_after_and_rate_limits_are_recorded():
    headers = {'Retry-After': '0', 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/HighCostGet3Min;0'}
    ok_headers = {'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/GetVMScaleSet3Min;35',
                  'x-ms-ratelimit-remaining-subscription-reads': '249'}
    arm = (FakeArm().on('GET', VMSS_PATH, status=429, headers=headers, times=1,
                        body={'code': 'OperationNotAllowed', 'message': 'too many requests'})
           .on('GET', VMSS_PATH, body={'name': 'web'}, headers=ok_headers))
    client = arm.client()
    assert client.get_scale_set(REF)['name'] == 'web'
    assert len(arm.requests) == 2
    assert client.requests_sent == 2
    assert client.rate_limit['Microsoft.Compute/GetVMScaleSet3Min'] == 35
    assert client.rate_limit['subscription-reads'] == 249


def test_unknown_named_instances_are_all_named():
    vm = {'instanceId': '1', 'properties': {'instanceView': {'platformUpdateDomain': 0}}}
    arm = (FakeArm().on('GET', '/virtualMachines/1', body=vm)
           .on('GET', '/virtualMachines/7', status=404, body={'error': {'code': 'NotFound', 'message': 'nope'}})
           .on('GET', '/virtualMachines/9', status=404, body={'error': {'code': 'NotFound', 'message': 'nope'}})
           .scale_set())
    with pytest.raises(AzureVmssError) as err:
        arm.client().read_instances(REF, ['1', '7', '9'])
    assert err.value.msg.startswith('instance_ids: 7, 9 not in')
    assert err.value.extra['unknown_instance_ids'] == ['7', '9']


def test_named_instances_use_one_get_each_with_expand():
    arm = (FakeArm().scale_set().on('GET', '/virtualMachines/1', body={'instanceId': '1'})
           .on('GET', '/virtualMachines/2', body={'instanceId': '2'}))
    vms = arm.client().read_instances(REF, ['1', '2'])
    assert [vm['instanceId'] for vm in vms] == ['1', '2']
    assert [r['path'] for r in arm.requests][0] == VMSS_PATH
    assert all('expand=instanceView' in r['query'] for r in arm.requests[1:])


def test_many_named_instances_of_a_small_fleet_are_listed():
    page = {'value': [{'instanceId': str(i)} for i in range(10)]}
    arm = (FakeArm().on('GET', VMSS_PATH + '/virtualMachines', body=page)
           .scale_set(capacity=10))
    vms = arm.client().read_instances(REF, ['1', '2', '3', '4', '5', '6'])
    assert [vm['instanceId'] for vm in vms] == ['1', '2', '3', '4', '5', '6']
    assert [r['path'] for r in arm.requests] == [VMSS_PATH, VMSS_PATH + '/virtualMachines']
    assert 'expand=instanceView' in arm.requests[1]['query']


def test_many_named_instances_of_a_large_fleet_are_read_one_by_one():
    # 1,000 instances are 10 pages of the VM list: 8 GETs are fewer requests.
    arm = FakeArm().scale_set(capacity=1000)
    for i in range(8):
        arm.on('GET', VMSS_PATH + '/virtualMachines/%d' % i, body={'instanceId': str(i)})
    vms = arm.client().read_instances(REF, [str(i) for i in range(8)])
    assert [vm['instanceId'] for vm in vms] == [str(i) for i in range(8)]
    assert len(arm.requests) == 9
    assert not any(r['path'].endswith('/virtualMachines') for r in arm.requests)


def test_parse_remaining_resource():
    header = 'Microsoft.Compute/GetVMScaleSetVM3Min;998,Microsoft.Compute/GetVMScaleSetVM30Min;4998'
    assert parse_remaining_resource(header) == {'Microsoft.Compute/GetVMScaleSetVM3Min': 998,
                                                'Microsoft.Compute/GetVMScaleSetVM30Min': 4998}
    assert parse_remaining_resource('') == {}
    assert parse_remaining_resource('garbage') == {}


def test_untrusted_login_endpoint_is_reported_as_tls_not_as_wrong_secret():
    from azure.core.exceptions import ClientAuthenticationError
    failing = FakeCredential(ClientAuthenticationError(
        "Authentication failed: HTTPSConnectionPool(host='login.test', port=443): Max retries exceeded "
        "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')))"))
    with pytest.raises(AzureVmssError) as err:
        FakeArm().client(credential=failing).get_scale_set(REF)
    assert 'REQUESTS_CA_BUNDLE' in err.value.msg
    assert 'Check the tenant' not in err.value.msg
    assert err.value.msg.startswith("Could not reach the login endpoint to read scale set 'web'")


def test_reads_go_through_azure_mgmt_compute_and_follow_next_link():
    next_link = RM + VMSS_PATH + '/virtualMachines?api-version=2026-04-01&$expand=instanceView&$skiptoken=1'
    arm = (FakeArm().on('GET', VMSS_PATH + '/virtualMachines', body={'value': [{'instanceId': '0'}], 'nextLink': next_link},
                        times=1)
           .on('GET', VMSS_PATH + '/virtualMachines', body={'value': [{'instanceId': '1'}]})
           .on('GET', VMSS_PATH + '/virtualMachines/7', body={'instanceId': '7', 'properties': {}}))
    client = arm.client()
    assert [vm['instanceId'] for vm in client.list_instances(REF)] == ['0', '1']
    assert client.get_instance(REF, '7')['instanceId'] == '7'
    assert client.requests_sent == 3
    first, second, single = arm.requests
    assert 'api-version=' in first['query'] and 'expand=instanceView' in first['query']
    assert second['query'].count('api-version=') == 1 and 'skiptoken=1' in second['query']
    assert 'expand=instanceView' in single['query']
    # the SDK's own user agent part: the request was built by ComputeManagementClient
    assert all('azsdk-python-mgmt-compute' in r['headers']['User-Agent'] for r in arm.requests)


def test_the_vm_list_keeps_arm_json_and_the_sdks_request_and_errors():
    # Pages as ARM sent them (a field no model knows stays), sent by the SDK's own request and pipeline.
    vm = {'instanceId': '0', 'properties': {'instanceView': {'platformUpdateDomain': 2}}, 'futureField': {'x': 1}}
    next_link = RM + VMSS_PATH + '/virtualMachines?api-version=2026-04-01&$expand=instanceView&$skiptoken=1'
    arm = (FakeArm().on('GET', VMSS_PATH + '/virtualMachines', body={'value': [vm], 'nextLink': next_link}, times=1)
           .on('GET', VMSS_PATH + '/virtualMachines', body={'value': []}))
    vms = arm.client().list_instances(REF)
    assert vms == [vm] and isinstance(vms[0], dict)  # an SDK model is a MutableMapping, not a dict
    assert [r['path'] for r in arm.requests] == [VMSS_PATH + '/virtualMachines'] * 2
    assert all('azsdk-python-mgmt-compute' in r['headers']['User-Agent'] for r in arm.requests)
    assert all(r['headers']['Authorization'] == 'Bearer fake-token' for r in arm.requests)
    missing = FakeArm().on('GET', VMSS_PATH + '/virtualMachines', status=404,
                           body={'error': {'code': 'ResourceNotFound', 'message': 'no scale set web'}})
    with pytest.raises(AzureVmssError) as err:
        missing.client().list_instances(REF)
    assert 'ResourceNotFound' in err.value.msg and "list the instances of scale set 'web'" in err.value.msg


def test_a_pager_of_another_shape_is_read_through_its_models():
    class Model(object):
        def __init__(self, data):
            self.data = data

        def as_dict(self):
            return dict(self.data)

    assert list(ComputeClient.json_items(iter([Model({'instanceId': '3'})]))) == [{'instanceId': '3'}]


def test_many_named_instances_are_read_ten_at_once():
    import threading
    arm = FakeArm().scale_set(capacity=1000)
    for i in range(30):
        arm.on('GET', '/virtualMachines/%d' % i, body={'instanceId': str(i)})
    lock = threading.Lock()
    active = [0, 0]  # now, peak
    ten_in_flight = threading.Event()
    answer = arm.answer

    def held(request):
        # The first ten instance reads wait until ten are in flight, so the peak is 10 however the threads are
        # scheduled (a sleep made it depend on how fast a busy machine starts them); the timeout only ends a
        # failing run (fewer than ten at once). Other requests (sign-in, the scale set) pass.
        if '/virtualMachines/' not in request.url:
            return answer(request)
        with lock:
            active[0] += 1
            active[1] = max(active)
            if active[0] >= 10:
                ten_in_flight.set()
        ten_in_flight.wait(timeout=60)
        with lock:
            active[0] -= 1
        return answer(request)
    arm.answer = held
    vms = arm.client().read_instances(REF, [str(i) for i in range(30)])
    assert [vm['instanceId'] for vm in vms] == [str(i) for i in range(30)]
    assert active[1] == 10


def _vm(instance_id, power='running', health='healthy'):
    statuses = [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/%s' % power}]
    return {'instanceId': str(instance_id), 'properties': {'instanceView': {
        'statuses': statuses, 'vmHealth': {'status': {'code': 'HealthState/%s' % health}}}}}


def _not_running(vm):
    return 'PowerState/running' not in [s['code'] for s in vm['properties']['instanceView']['statuses']]


def test_a_poll_stops_sending_once_an_instance_is_down(monkeypatch):
    # One worker, so the order of reads is the order asked and the count is exact under any schedule:
    # instances 0-2, then 3 (still stopped), and none of the 196 after it.
    monkeypatch.setattr(instance_reads, 'INSTANCE_READ_WORKERS', 1)
    arm = FakeArm().scale_set(capacity=1000)
    for i in range(200):
        arm.on('GET', VMSS_PATH + '/virtualMachines/%d' % i, body=_vm(i, power='stopped' if i == 3 else 'running'))
    vms = arm.client().read_instances(REF, [str(i) for i in range(200)], stop_when=_not_running)
    assert [vm['instanceId'] for vm in vms] == ['0', '1', '2', '3']
    assert len([r for r in arm.requests if '/virtualMachines/' in r['path']]) == 4


def test_parallel_reads_that_stop_return_what_they_read_in_order():
    # With 10 workers, how many reads were already in flight when instance 3 was seen depends on the thread
    # schedule (a busy machine may let the others run ahead), so no count is asserted: only what holds under any
    # schedule. Every read sent is returned, once, in the order asked, and instance 3 is among them.
    arm = FakeArm().scale_set(capacity=1000)
    for i in range(200):
        arm.on('GET', VMSS_PATH + '/virtualMachines/%d' % i, body=_vm(i, power='stopped' if i == 3 else 'running'))
    vms = arm.client().read_instances(REF, [str(i) for i in range(200)], stop_when=_not_running)
    got = [vm['instanceId'] for vm in vms]
    assert '3' in got
    assert got == sorted(got, key=int)
    sent = [r['path'].rsplit('/', 1)[-1] for r in arm.requests if '/virtualMachines/' in r['path']]
    assert sorted(sent, key=int) == got


def test_a_poll_that_meets_no_instance_down_reads_them_all():
    arm = FakeArm().scale_set(capacity=1000)
    for i in range(30):
        arm.on('GET', VMSS_PATH + '/virtualMachines/%d' % i, body=_vm(i))
    vms = arm.client().read_instances(REF, [str(i) for i in range(30)], stop_when=_not_running)
    assert [vm['instanceId'] for vm in vms] == [str(i) for i in range(30)]
    assert len([r for r in arm.requests if '/virtualMachines/' in r['path']]) == 30


def test_the_vm_list_is_read_in_full_even_with_stop_when():
    page = {'value': [_vm(i, power='stopped') for i in range(10)]}
    arm = FakeArm().on('GET', VMSS_PATH + '/virtualMachines', body=page).scale_set(capacity=10)
    vms = arm.client().read_instances(REF, [str(i) for i in range(6)], stop_when=_not_running)
    assert [vm['instanceId'] for vm in vms] == [str(i) for i in range(6)]
