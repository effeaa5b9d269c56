# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_view_info's main() end to end: real AnsibleModule, our client and the real SDK over a fake transport.

Only two things are replaced: the azure-identity credential (no Azure AD here) and the HTTP transport.
TestInstanceViewInfo reads the Uniform scale set vmss-web; TestOnFlexible the Flexible vmss-flex, whose ``arm``
fixture checks that no request used an API Azure refuses there (tests/unit/utils/flexible_scale_set.py).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import instance_view_info  # noqa: E402
from ...utils.fake_arm import FakeArm  # noqa: E402
from ...utils.info_modules import VMSS, RefusesBadInputFirst, args  # noqa: E402
from ...utils import flexible_scale_set as flex  # noqa: E402

RESERVED = {'skipped', 'failed', 'results', 'ansible_facts', 'msg', 'invocation'}


def vm(instance_id, zone=None, health=None, maintenance=None, power='running'):
    view = {'platformUpdateDomain': int(instance_id) % 5, 'platformFaultDomain': 0,
            'statuses': [{'code': 'ProvisioningState/succeeded', 'level': 'Info'},
                         {'code': 'PowerState/%s' % power, 'level': 'Info'}]}
    if health:
        view['vmHealth'] = {'status': {'code': 'HealthState/%s' % health}}
    if maintenance is not None:
        view['maintenanceRedeployStatus'] = {'isCustomerInitiatedMaintenanceAllowed': maintenance,
                                             'lastOperationResultCode': 'None'}
    body = {'instanceId': str(instance_id), 'name': 'vmss-web_%s' % instance_id, 'location': 'westeurope',
            'properties': {'latestModelApplied': True, 'provisioningState': 'Succeeded', 'instanceView': view}}
    if zone:
        body['zones'] = [str(zone)]
    return body


def uniform(arm, capacity=None):
    """Answer the scale-set GET every instance read starts with: a Uniform scale set."""
    return arm.scale_set(VMSS, capacity=capacity)


def list_without_health():
    arm = uniform(FakeArm().on('GET', '/virtualMachines', body={'value': [vm(0), vm(1), vm(2)]}))
    for iid, health in ((0, 'healthy'), (1, 'unhealthy'), (2, 'healthy')):
        arm.on('GET', '/virtualMachines/%d/instanceView' % iid, body={'vmHealth': {'status': {'code': 'HealthState/%s' % health}}})
    return arm


class TestInstanceViewInfo(RefusesBadInputFirst):
    MODULE = instance_view_info

    def test_whole_fleet_is_one_request_per_page_sorted_numerically(self, run):
        page1 = {'value': [vm(10, zone=1, health='unhealthy', maintenance=True), vm(2, zone=3, health='healthy')],
                 'nextLink': 'https://management.azure.com' + VMSS + '/virtualMachines?api-version=2026-04-01'
                             '&$expand=instanceView&$skiptoken=p2'}
        page2 = {'value': [vm(0, zone=1, health='healthy', maintenance=True), vm(5, zone=2, power='deallocated')]}
        arm = uniform(FakeArm().on('GET', '/virtualMachines', body=page1, times=1).on('GET', '/virtualMachines', body=page2))
        result, arm = run(instance_view_info, args(), arm=arm)
        assert [r['path'] for r in arm.requests] == [VMSS] + [VMSS + '/virtualMachines'] * 2, 'the mode, then the pages'
        assert '%24expand=instanceView' in arm.requests[1]['query'] or '$expand=instanceView' in arm.requests[1]['query']
        assert [i['instance_id'] for i in result['instances']] == ['0', '2', '5', '10']
        assert result['orchestration_mode'] == 'Uniform'
        assert result['changed'] is False
        assert not RESERVED & (set(result) - {'invocation'})
        first = result['instances'][0]
        assert first['zone'] == '1' and first['health_state'] == 'healthy' and first['maintenance_allowed'] is True
        assert result['instances'][2]['health_state'] is None
        assert result['summary'] == {'total': 4, 'maintenance_allowed': 2,
                                     'power_states': {'running': 3, 'deallocated': 1},
                                     'health_states': {'healthy': 2, 'unhealthy': 1, 'unreported': 1}}

    def test_named_instances_are_one_get_each_with_expand(self, run):
        arm = uniform(FakeArm().on('GET', '/virtualMachines/7', body=vm(7, zone=2, maintenance=False))
                      .on('GET', '/virtualMachines/3', body=vm(3)))
        result, arm = run(instance_view_info, args(instance_ids=['7', '3']), arm=arm, check_mode=True)
        assert arm.requests[0]['path'] == VMSS
        assert sorted(r['path'] for r in arm.requests[1:]) == [VMSS + '/virtualMachines/3', VMSS + '/virtualMachines/7']
        assert all('instanceView' in r['query'] for r in arm.requests[1:])
        assert [i['instance_id'] for i in result['instances']] == ['3', '7']
        assert result['instances'][0]['zone'] is None
        assert result['instances'][1]['maintenance'] == {'is_customer_initiated_maintenance_allowed': False,
                                                         'last_operation_result_code': 'None'}

    def test_more_named_instances_than_the_pool_are_listed_when_the_list_is_cheaper(self, run):
        arm = (FakeArm().on('GET', '/virtualMachines', body={'value': [vm(i) for i in range(8)]})
               .on('GET', VMSS, body={'name': 'vmss-web', 'sku': {'capacity': 8}}))
        result, arm = run(instance_view_info, args(instance_ids=['6', '0', '1', '2', '3', '4']), arm=arm)
        assert [r['path'] for r in arm.requests] == [VMSS, VMSS + '/virtualMachines'], 'capacity first, then one page'
        assert [i['instance_id'] for i in result['instances']] == ['0', '1', '2', '3', '4', '6']

    def test_a_recovery_poll_stops_at_an_instance_still_initializing_and_says_so(self, run):
        arm = uniform(FakeArm(), capacity=1000)
        for i in range(100):
            arm.on('GET', VMSS + '/virtualMachines/%d' % i, body=vm(i, health='initializing' if i == 2 else 'healthy'))
        ids = [str(i) for i in range(100)]
        result, arm = run(instance_view_info, args(instance_ids=ids, stop_at_unrecovered=True), arm=arm)
        assert result['stopped_early'] is True
        read = [i['instance_id'] for i in result['instances']]
        assert '2' in read and len(read) < 100 and len(arm.requests) == 1 + len(read)
        assert result['summary']['total'] == len(read)

    def test_a_recovery_poll_that_finds_all_recovered_reads_them_all(self, run):
        arm = uniform(FakeArm(), capacity=1000)
        for i in range(100):
            arm.on('GET', VMSS + '/virtualMachines/%d' % i, body=vm(i, health='healthy'))
        result, arm = run(instance_view_info, args(instance_ids=[str(i) for i in range(100)], stop_at_unrecovered=True),
                          arm=arm)
        assert result['stopped_early'] is False
        assert len(result['instances']) == 100 and len(arm.requests) == 101

    def test_unknown_instance_fails_naming_it(self, run):
        arm = (FakeArm().on('GET', '/virtualMachines/1', body=vm(1))
               .on('GET', '/virtualMachines/9', status=404, body={'error': {'code': 'NotFound', 'message': 'x'}})
               .on('GET', VMSS, body={'name': 'vmss-web'}))
        result, _arm = run(instance_view_info, args(instance_ids=['1', '9']), arm=arm)
        assert result['failed'] is True
        assert "9 not in scale set 'vmss-web' in resource group 'rg-web'" in result['msg']
        assert result['unknown_instance_ids'] == ['9']

    @pytest.mark.parametrize('ids, message', [
        (['1', 'x/y'], "instance_ids contains 'x/y', which is neither a numeric instance id"),
        (['1', '1'], 'instance_ids lists 1 more than once'),
        (['web-1', 'WEB-1'], 'instance_ids lists WEB-1 more than once'),
    ])
    def test_bad_instance_ids_fail_before_any_request(self, run, ids, message):
        result, arm = run(instance_view_info, args(instance_ids=ids))
        assert result['failed'] is True
        assert message in result['msg']
        assert arm.requests == []

    def test_query_returns_only_query_result(self, run):
        arm = uniform(FakeArm().on('GET', '/virtualMachines', body={'value': [vm(1, health='unhealthy'), vm(0, health='healthy')]}))
        result, _arm = run(instance_view_info, args(query="instances[?health_state=='unhealthy'].instance_id"), arm=arm)
        assert result['query_result'] == ['1']
        assert 'instances' not in result and 'summary' not in result

    # -- health from the instance view ---------------------------------------------------------------

    def test_health_fallback_reads_each_instance_view_when_the_list_has_no_health(self, run):
        result, arm = run(instance_view_info, args(health_fallback=True), arm=list_without_health())
        assert [i['health_state'] for i in result['instances']] == ['healthy', 'unhealthy', 'healthy']
        assert result['health_read'] == {'source': 'instance_view', 'extra_requests': 3}
        views = sorted(r['path'] for r in arm.requests if r['path'].endswith('/instanceView'))
        assert views == [VMSS + '/virtualMachines/%d/instanceView' % i for i in range(3)]
        assert len(arm.requests) == 2 + 3, 'the scale set (its mode), one list page, one instance view each'

    def test_without_the_fallback_health_stays_unknown_and_nothing_more_is_read(self, run):
        result, arm = run(instance_view_info, args(), arm=list_without_health())
        assert [i['health_state'] for i in result['instances']] == [None, None, None]
        assert result['health_read'] == {'source': 'vm_read', 'extra_requests': 0}
        assert len(arm.requests) == 2

    def test_a_list_with_health_needs_no_fallback(self, run):
        arm = uniform(FakeArm().on('GET', '/virtualMachines', body={'value': [vm(0, health='healthy'), vm(1)]}))
        result, arm = run(instance_view_info, args(health_fallback=True), arm=arm)
        assert result['health_read']['source'] == 'vm_read' and len(arm.requests) == 2


class TestOnFlexible(flex.FlexibleScaleSetRun):

    def test_fleet_read_names_instances_by_vm_name(self, run, arm):
        flex.basic(arm)
        result = run(instance_view_info, {})
        assert result['orchestration_mode'] == 'Flexible'
        assert [i['instance_id'] for i in result['instances']] == ['vmss-flex_a1', 'vmss-flex_b2', 'vmss-flex_c3',
                                                                   'vmss-flex_d4']
        first = result['instances'][0]
        assert first['name'] == first['instance_id'] and first['zone'] == '1'
        assert first['platform_fault_domain'] == 0 and first['platform_update_domain'] is None
        assert first['maintenance_allowed'] is True
        assert [r['path'] for r in arm.requests] == [flex.VMSS, flex.VMS], 'the mode, then one page of the VM list'

    def test_named_vms_are_read_by_get(self, run, arm):
        flex.basic(arm)
        result = run(instance_view_info, {'instance_ids': ['vmss-flex_c3', 'VMSS-FLEX_A1']})
        assert [i['instance_id'] for i in result['instances']] == ['vmss-flex_a1', 'vmss-flex_c3']
        assert sorted(r['path'] for r in arm.requests[1:]) == [flex.VMS + '/VMSS-FLEX_A1', flex.VMS + '/vmss-flex_c3']

    def test_numeric_ids_on_flexible_fail_naming_the_vm_names(self, run, arm):
        flex.basic(arm).on('GET', flex.VMS + '/0', status=404, body={'error': {'code': 'ResourceNotFound', 'message': 'no'}})
        result = run(instance_view_info, {'instance_ids': ['0']})
        assert result['failed'] is True
        assert "instance_ids: '0' not in scale set 'vmss-flex'" in result['msg']
        assert 'Flexible orchestration' in result['msg']
        assert "'vmss-flex_a1', 'vmss-flex_b2', 'vmss-flex_c3', 'vmss-flex_d4'" in result['msg']
