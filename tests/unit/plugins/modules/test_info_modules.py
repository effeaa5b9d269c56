# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The info modules' main() end to end: real AnsibleModule, our client and the real SDK over a fake transport.

Only two things are replaced: the azure-identity credential (no Azure AD here) and the HTTP transport.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import (  # noqa: E402
    instance_view_info, os_upgrade_history_info, rolling_upgrade_info)
from ...utils.fake_arm import FakeArm, run_module_main  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')
NOT_FOUND = {'error': {'code': 'ResourceNotFound',
                       'message': "The Resource 'Microsoft.Compute/virtualMachineScaleSets/vmss-web' under resource "
                                  "group 'rg-web' was not found."}}
RESERVED = {'skipped', 'failed', 'results', 'ansible_facts', 'msg', 'invocation'}


@pytest.fixture
def run(monkeypatch, capsys):
    """run(module, args, arm) -> (result dict, arm) with the module's main() over the fake ARM."""

    def _run(module, args, arm=None, check_mode=False):
        arm = arm or FakeArm()
        return run_module_main(monkeypatch, capsys, module, args, arm, check_mode=check_mode), arm

    return _run


def args(**extra):
    data = dict(AUTH, resource_group='rg-web', name='vmss-web')
    data.update(extra)
    return data


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


# -- instance_view_info ---------------------------------------------------------------------------------

def test_whole_fleet_is_one_request_per_page_sorted_numerically(run):
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


def test_named_instances_are_one_get_each_with_expand(run):
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


def test_more_named_instances_than_the_pool_are_listed_when_the_list_is_cheaper(run):
    arm = (FakeArm().on('GET', '/virtualMachines', body={'value': [vm(i) for i in range(8)]})
           .on('GET', VMSS, body={'name': 'vmss-web', 'sku': {'capacity': 8}}))
    result, arm = run(instance_view_info, args(instance_ids=['6', '0', '1', '2', '3', '4']), arm=arm)
    assert [r['path'] for r in arm.requests] == [VMSS, VMSS + '/virtualMachines'], 'capacity first, then one page'
    assert [i['instance_id'] for i in result['instances']] == ['0', '1', '2', '3', '4', '6']


def test_a_recovery_poll_stops_at_an_instance_still_initializing_and_says_so(run):
    arm = uniform(FakeArm(), capacity=1000)
    for i in range(100):
        arm.on('GET', VMSS + '/virtualMachines/%d' % i, body=vm(i, health='initializing' if i == 2 else 'healthy'))
    ids = [str(i) for i in range(100)]
    result, arm = run(instance_view_info, args(instance_ids=ids, stop_at_unrecovered=True), arm=arm)
    assert result['stopped_early'] is True
    read = [i['instance_id'] for i in result['instances']]
    assert '2' in read and len(read) < 100 and len(arm.requests) == 1 + len(read)
    assert result['summary']['total'] == len(read)


def test_a_recovery_poll_that_finds_all_recovered_reads_them_all(run):
    arm = uniform(FakeArm(), capacity=1000)
    for i in range(100):
        arm.on('GET', VMSS + '/virtualMachines/%d' % i, body=vm(i, health='healthy'))
    result, arm = run(instance_view_info, args(instance_ids=[str(i) for i in range(100)], stop_at_unrecovered=True),
                      arm=arm)
    assert result['stopped_early'] is False
    assert len(result['instances']) == 100 and len(arm.requests) == 101


def test_unknown_instance_fails_naming_it(run):
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
def test_bad_instance_ids_fail_before_any_request(run, ids, message):
    result, arm = run(instance_view_info, args(instance_ids=ids))
    assert result['failed'] is True
    assert message in result['msg']
    assert arm.requests == []


def test_query_returns_only_query_result(run):
    arm = uniform(FakeArm().on('GET', '/virtualMachines', body={'value': [vm(1, health='unhealthy'), vm(0, health='healthy')]}))
    result, _arm = run(instance_view_info, args(query="instances[?health_state=='unhealthy'].instance_id"), arm=arm)
    assert result['query_result'] == ['1']
    assert 'instances' not in result and 'summary' not in result


# -- os_upgrade_history_info ----------------------------------------------------------------------------

def history_entry(code, version):
    return {'type': 'Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory', 'location': 'westeurope',
            'properties': {'runningStatus': {'code': code, 'startTime': '2026-11-01T00:00:00Z'}, 'startedBy': 'User',
                           'targetImageReference': {'version': version},
                           'progress': {'successfulInstanceCount': 5}}}


def history_pages():
    link = 'https://management.azure.com' + VMSS + '/osUpgradeHistory?api-version=2026-04-01&$skiptoken=%d'
    return (FakeArm()
            .on('GET', '/osUpgradeHistory', body={'value': [history_entry('Completed', '3'), history_entry('Faulted', '2')],
                                                  'nextLink': link % 2}, times=1)
            .on('GET', '/osUpgradeHistory', body={'value': [history_entry('Completed', '1'), {}]}))


def test_history_follows_pages_and_shapes_entries(run):
    result, arm = run(os_upgrade_history_info, args(), arm=history_pages())
    assert len(arm.requests) == 2
    upgrades = result['os_upgrades']
    assert [u.get('target_image_reference', {}).get('version') for u in upgrades] == ['3', '2', '1', None]
    assert upgrades[0]['running_status'] == {'code': 'Completed', 'start_time': '2026-11-01T00:00:00Z'}
    assert upgrades[0]['progress'] == {'successful_instance_count': 5}
    assert upgrades[0]['started_by'] == 'User'
    assert upgrades[3] == {}, 'the minimum entry of the REST reference is an empty object'


def test_history_max_items_stops_paging(run):
    result, arm = run(os_upgrade_history_info, args(max_items=2), arm=history_pages())
    assert len(arm.requests) == 1
    assert len(result['os_upgrades']) == 2


def test_history_empty(run):
    arm = FakeArm().on('GET', '/osUpgradeHistory', body={'value': []})
    result, _arm = run(os_upgrade_history_info, args(), arm=arm)
    assert result['os_upgrades'] == []


@pytest.mark.parametrize('value', [0, -3])
def test_history_max_items_must_be_positive(run, value):
    result, arm = run(os_upgrade_history_info, args(max_items=value))
    assert result['failed'] is True and 'max_items must be greater than 0' in result['msg']
    assert arm.requests == []


def test_history_missing_scale_set(run):
    arm = FakeArm().on('GET', '/osUpgradeHistory', status=404, body=NOT_FOUND)
    result, _arm = run(os_upgrade_history_info, args(), arm=arm)
    assert result['failed'] is True
    assert 'ResourceNotFound' in result['msg'] and 'vmss-web' in result['msg']
    assert result['status_code'] == 404


# -- common -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('module', [rolling_upgrade_info, os_upgrade_history_info, instance_view_info])
def test_bad_query_fails_before_any_request(run, module):
    result, arm = run(module, args(query='instances[?'))
    assert result['failed'] is True
    assert 'not a valid JMESPath expression' in result['msg']
    assert arm.requests == []


@pytest.mark.parametrize('module', [rolling_upgrade_info, os_upgrade_history_info, instance_view_info])
@pytest.mark.parametrize('field, value, message', [
    ('resource_group', 'rg.', 'resource_group'),
    ('resource_group', 'rg/x', 'resource_group'),
    ('name', 'vmss web', 'name'),
    ('name', 'v' * 65, 'name'),
])
def test_bad_names_fail_before_any_request(run, module, field, value, message):
    result, arm = run(module, args(**{field: value}))
    assert result['failed'] is True
    assert result['msg'].startswith(message)
    assert arm.requests == []


def test_vmss_name_alias(run):
    arm = FakeArm().on('GET', '/osUpgradeHistory', body={'value': []})
    data = args()
    data['vmss_name'] = data.pop('name')
    result, arm = run(os_upgrade_history_info, data, arm=arm)
    assert result['os_upgrades'] == []
    assert arm.requests[0]['path'] == VMSS + '/osUpgradeHistory'


# -- rolling_upgrade_info ---------------------------------------------------------------------------------

def test_rolling_upgrade_active_and_shaped(run):
    arm = FakeArm().on('GET', '/rollingUpgrades/latest', body={
        'type': 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades', 'location': 'westeurope',
        'properties': {'policy': {'maxBatchInstancePercent': 20}, 'runningStatus': {'code': 'RollingBack'},
                       'progress': {'pendingInstanceCount': 2}}})
    result, arm = run(rolling_upgrade_info, args(), arm=arm, check_mode=True)
    assert result['rolling_upgrade_active'] is True
    assert result['rolling_upgrade']['policy'] == {'max_batch_instance_percent': 20}
    assert result['rolling_upgrade']['progress'] == {'pending_instance_count': 2}
    assert len(arm.requests) == 1


def test_rolling_upgrade_minimum_body(run):
    arm = FakeArm().on('GET', '/rollingUpgrades/latest', body={'location': 'aaaaaa', 'id': 'aaaaaaaaaa'})
    result, _arm = run(rolling_upgrade_info, args(), arm=arm)
    assert result['rolling_upgrade'] == {'location': 'aaaaaa', 'id': 'aaaaaaaaaa'}
    assert result['rolling_upgrade_active'] is False


def test_rolling_upgrade_never_run(run):
    arm = (FakeArm().on('GET', '/rollingUpgrades/latest', status=404, body={'error': {'code': 'NotFound', 'message': 'x'}})
           .on('GET', VMSS, body={'name': 'vmss-web'}))
    result, arm = run(rolling_upgrade_info, args(), arm=arm)
    assert result['rolling_upgrade'] == {} and result['rolling_upgrade_active'] is False
    assert len(arm.requests) == 2


def test_secret_never_in_failure_output(run):
    arm = FakeArm().on('GET', '/rollingUpgrades/latest', status=401, body={
        'error': {'code': 'InvalidAuthenticationToken', 'message': 'bad token for s3cret-value'}})
    result, _arm = run(rolling_upgrade_info, args(), arm=arm)
    assert result['failed'] is True
    assert 's3cret-value' not in json.dumps(result)


# -- instance_view_info: health from the instance view ---------------------------------------------------

def list_without_health():
    arm = uniform(FakeArm().on('GET', '/virtualMachines', body={'value': [vm(0), vm(1), vm(2)]}))
    for iid, health in ((0, 'healthy'), (1, 'unhealthy'), (2, 'healthy')):
        arm.on('GET', '/virtualMachines/%d/instanceView' % iid, body={'vmHealth': {'status': {'code': 'HealthState/%s' % health}}})
    return arm


def test_health_fallback_reads_each_instance_view_when_the_list_has_no_health(run):
    result, arm = run(instance_view_info, args(health_fallback=True), arm=list_without_health())
    assert [i['health_state'] for i in result['instances']] == ['healthy', 'unhealthy', 'healthy']
    assert result['health_read'] == {'source': 'instance_view', 'extra_requests': 3}
    views = sorted(r['path'] for r in arm.requests if r['path'].endswith('/instanceView'))
    assert views == [VMSS + '/virtualMachines/%d/instanceView' % i for i in range(3)]
    assert len(arm.requests) == 2 + 3, 'the scale set (its mode), one list page, one instance view each'


def test_without_the_fallback_health_stays_unknown_and_nothing_more_is_read(run):
    result, arm = run(instance_view_info, args(), arm=list_without_health())
    assert [i['health_state'] for i in result['instances']] == [None, None, None]
    assert result['health_read'] == {'source': 'vm_read', 'extra_requests': 0}
    assert len(arm.requests) == 2


def test_a_list_with_health_needs_no_fallback(run):
    arm = uniform(FakeArm().on('GET', '/virtualMachines', body={'value': [vm(0, health='healthy'), vm(1)]}))
    result, arm = run(instance_view_info, args(health_fallback=True), arm=arm)
    assert result['health_read']['source'] == 'vm_read' and len(arm.requests) == 2
