# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module fed real Azure answers (tests/replay/recordings): real AnsibleModule, our client, the SDK,
the recorded status, headers and body through a fake transport.

Expected values are read from the raw recording here, not computed by the collection's code.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import (  # noqa: E402
    alerts_info, maintenance_lease, orchestration_service, os_upgrade_history_info, perform_maintenance,
    rolling_upgrade_info, scale_set_info)
from ...utils.fake_arm import RM, FakeArm, flexible_vm, run_module_main  # noqa: E402
from . import recordings as rec  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
GROUP = '/subscriptions/%s/resourceGroups/rg-web' % SUB
VMSS = GROUP + '/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web'
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')


@pytest.fixture
def run(monkeypatch, capsys):
    def _run(module, arm, **args):
        data = dict(AUTH, resource_group='rg-web', name='vmss-web')
        data.update(args)
        return run_module_main(monkeypatch, capsys, module, data, arm)
    return _run


def answer(arm, method, path, pair, times=None):
    return arm.on(method, path, status=pair['status'], body=rec.body(pair), headers=rec.headers(pair, RM), times=times)


def path_of(uri):
    """The path of a recorded URI, absolute or relative (the .NET and Java records keep relative ones)."""
    from urllib.parse import unquote, urlsplit
    return unquote(urlsplit(uri).path)


def coordinates(uri):
    """subscription, resource group and scale set of a recorded scale-set URI."""
    parts = uri.split('?')[0].split('/')
    lowered = [p.lower() for p in parts]
    return (parts[lowered.index('subscriptions') + 1], parts[lowered.index('resourcegroups') + 1],
            parts[lowered.index('virtualmachinescalesets') + 1])


def shape(value):
    """The keys at every depth of a body (list items merged): two bodies with one shape read alike."""
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ('[]',) + tuple(sorted(set(shape(v) for v in value)))
    return type(value).__name__


def distinct_shapes(pairs):
    seen, out = set(), []
    for pair in pairs:
        key = (pair['status'], shape(pair['response_body']))
        if key not in seen:
            seen.add(key)
            out.append(pair)
    return out


def uniform_vm(instance_id):
    """A VM in a maintenance wave, eligible: the recordings have no such VM (no recorded subscription was in a
    wave), so the refusal tests need this one made-up read to reach the POST at all."""
    return {'instanceId': instance_id, 'name': 'vmss-web_%s' % instance_id, 'properties': {'instanceView': {
        'statuses': [{'code': 'PowerState/running'}],
        'maintenanceRedeployStatus': {'isCustomerInitiatedMaintenanceAllowed': True, 'lastOperationResultCode': 'None'}}}}


# -- refusals are never changes ---------------------------------------------------------------------

@pytest.mark.parametrize('refusal', [
    rec.one('vmss_perform_maintenance', 409),
    rec.one('vmss_vm_perform_maintenance', 400),
], ids=['409-OperationNotAllowed', '400-InvalidParameter'])
def test_a_refused_uniform_maintenance_is_no_change_and_starts_nothing(run, refusal):
    arm = FakeArm().scale_set(VMSS)
    for iid in ('0', '1'):
        arm.on('GET', VMSS + '/virtualMachines/' + iid, body=uniform_vm(iid))
    answer(arm, 'POST', VMSS + '/performMaintenance', refusal)
    result = run(perform_maintenance, arm, instance_ids=['0', '1'])
    error = rec.error_of(refusal)
    assert result['failed'] is True
    assert result['changed'] is False
    assert result['instance_ids'] == []
    assert result['operations'] == []
    assert result['status_code'] == refusal['status']
    assert result['error']['code'] == error['code']
    assert error['message'] in result['msg']
    assert [r['method'] for r in arm.requests].count('POST') == 1


def test_a_refused_flexible_maintenance_is_no_change_and_starts_nothing(run):
    refusal = rec.one('vm_perform_maintenance', 409)
    vmss = GROUP + '/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-flex'
    arm = FakeArm().scale_set(vmss, mode='Flexible')
    arm.on('GET', GROUP + '/providers/Microsoft.Compute/virtualMachines/vmss-flex_1a2b3c4d',
           body=flexible_vm('vmss-flex_1a2b3c4d', vmss, allowed=True))
    answer(arm, 'POST', '/virtualMachines/vmss-flex_1a2b3c4d/performMaintenance', refusal)
    result = run(perform_maintenance, arm, name='vmss-flex', instance_ids=['vmss-flex_1a2b3c4d'])
    assert result['failed'] is True and result['changed'] is False
    assert result['instance_ids'] == []
    assert rec.error_of(refusal)['message'] in result['msg']


def test_a_refused_repairs_change_is_no_change(run):
    # No refusal of setOrchestrationServiceState was recorded: Azure's refusal of another scale-set action.
    refusal = rec.one('vmss_perform_maintenance', 409)
    view = rec.one('vmss_instance_view', 200, where=lambda p: 'orchestrationServices' in p['response_body'])
    arm = FakeArm()
    answer(arm, 'GET', VMSS + '/instanceView', view)
    answer(arm, 'POST', VMSS + '/setOrchestrationServiceState', refusal)
    state = view['response_body']['orchestrationServices'][0]['serviceState']
    result = run(orchestration_service, arm, state='running' if state == 'Suspended' else 'suspended')
    assert result['failed'] is True
    assert result.get('changed', False) is False
    assert rec.error_of(refusal)['code'] in result['msg']


def test_a_refused_lease_write_is_no_change(run):
    refusal = rec.one('vmss_perform_maintenance', 409)  # no refused tag write was recorded: an ARM refusal
    tags = rec.one('tags_get', 200)
    path = VMSS + '/providers/Microsoft.Resources/tags/default'
    arm = FakeArm()
    answer(arm, 'GET', path, tags)
    answer(arm, 'PATCH', path, refusal)
    result = run(maintenance_lease, arm, action='acquire', run_id='run-a', confirm_delay=60)
    assert result['failed'] is True and result['changed'] is False and result['held'] is False


# -- every recorded shape is read -------------------------------------------------------------------

@pytest.mark.parametrize('pair', distinct_shapes(rec.pairs('vmss_get', 200)), ids=lambda p: '%s#%s' % (
    p['source'].rsplit('/', 1)[-1][:60], p['interaction_index']))
def test_scale_set_info_reads_every_recorded_scale_set(run, pair):
    raw = pair['response_body']
    sub, group, name = coordinates(pair['uri'])
    arm = answer(FakeArm(), 'GET', path_of(pair['uri']), pair)
    result = run(scale_set_info, arm, subscription_id=sub, resource_group=group, name=name)
    assert not result.get('failed'), result.get('msg')
    shaped = result['scale_set']
    props = raw.get('properties') or {}
    assert shaped['id'] == raw['id'] and shaped['name'] == raw['name']
    assert shaped['orchestration_mode'] == rec.mode_of(raw)
    assert shaped['provisioning_state'] == props.get('provisioningState')
    assert shaped['capacity'] == (raw.get('sku') or {}).get('capacity')
    assert shaped['upgrade_policy']['mode'] == (props.get('upgradePolicy') or {}).get('mode')


def test_the_recordings_hold_the_shapes_the_issue_names():
    bodies = [p['response_body'] for p in rec.pairs('vmss_get', 200)]
    assert any('orchestrationMode' not in (b.get('properties') or {}) for b in bodies)
    assert any('upgradePolicy' not in (b.get('properties') or {}) for b in bodies)
    views = [p['response_body'] for p in rec.pairs('vmss_instance_view', 200)]
    assert any('orchestrationServices' not in v for v in views) and any('orchestrationServices' in v for v in views)


@pytest.mark.parametrize('pair', distinct_shapes(rec.pairs('vmss_instance_view', 200)),
                         ids=lambda p: '%s#%s' % (p['source'].rsplit('/', 1)[-1][:60], p['interaction_index']))
def test_orchestration_service_reads_every_recorded_instance_view(run, pair):
    arm = answer(FakeArm(), 'GET', VMSS + '/instanceView', pair)
    result = run(orchestration_service, arm)
    assert not result.get('failed'), result.get('msg')
    recorded = pair['response_body'].get('orchestrationServices') or []
    assert [s['service_state'] for s in result['orchestration_services']] == [s.get('serviceState') for s in recorded]
    repairs = [s.get('serviceState') for s in recorded if s.get('serviceName') == 'AutomaticRepairs']
    assert result['service']['service_state'] == (repairs[0] if repairs else 'NotRunning')
    assert result['changed'] is False


def test_orchestration_service_follows_the_recorded_operation(run):
    post = rec.one('set_orchestration_service_state', 202, where=lambda p: p['request_body']['action'] == 'Suspend')
    polls = [p for p in rec.pairs('operation_status') if p['scene'] == post['scene']
             and p['interaction_index'] > post['interaction_index']]
    polls = polls[:next(i for i, p in enumerate(polls) if 'monitor=true' in p['uri']) + 1]
    running = {'orchestrationServices': [{'serviceName': 'AutomaticRepairs', 'serviceState': 'Running'}]}
    after = rec.one('vmss_instance_view', 200, where=lambda p: p['scene'] == post['scene'])
    arm = FakeArm().on('GET', VMSS + '/instanceView', body=running, times=1)
    answer(arm, 'GET', VMSS + '/instanceView', after)
    answer(arm, 'POST', VMSS + '/setOrchestrationServiceState', post)
    for poll in polls:
        answer(arm, 'GET', path_of(poll['uri']), poll, times=1)
    result = run(orchestration_service, arm, state='suspended')
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True and result['action'] == 'Suspend'
    assert arm.requests[1]['body'] == post['request_body']
    assert result['service']['service_state'] == after['response_body']['orchestrationServices'][0]['serviceState']


@pytest.mark.parametrize('pair', rec.pairs('rolling_upgrade_latest', 200), ids=lambda p: '%s#%s' % (
    p['source'].rsplit('/', 1)[-1][:60], p['interaction_index']))
def test_rolling_upgrade_info_reads_every_recorded_latest(run, pair):
    raw = pair['response_body']
    assert 'id' not in raw and 'name' not in raw
    arm = answer(FakeArm(), 'GET', VMSS + '/rollingUpgrades/latest', pair)
    result = run(rolling_upgrade_info, arm)
    assert not result.get('failed'), result.get('msg')
    code = raw['properties']['runningStatus']['code']
    assert result['rolling_upgrade']['running_status']['code'] == code
    assert result['rolling_upgrade_active'] is (code in ('RollingForward', 'RollingBack'))


@pytest.mark.parametrize('pair', rec.pairs('os_upgrade_history', 200), ids=lambda p: p['source'].rsplit('/', 1)[-1][:60])
def test_os_upgrade_history_info_reads_every_recorded_history(run, pair):
    arm = answer(FakeArm(), 'GET', VMSS + '/osUpgradeHistory', pair)
    result = run(os_upgrade_history_info, arm)
    assert not result.get('failed'), result.get('msg')
    assert len(result['os_upgrades']) == len(pair['response_body']['value'])


def test_the_empty_recorded_history_is_an_empty_list(run):
    pair = rec.one('os_upgrade_history', 200, where=lambda p: p['response_body'] == {'value': []})
    result = run(os_upgrade_history_info, answer(FakeArm(), 'GET', VMSS + '/osUpgradeHistory', pair))
    assert result['os_upgrades'] == [] and result['available'] is True


def test_alerts_info_ends_at_the_recorded_empty_next_link(run):
    pair = rec.one('alerts_list', 200)
    assert pair['response_body']['nextLink'] == ''
    arm = answer(FakeArm(), 'GET', '/providers/Microsoft.AlertsManagement/alerts', pair)
    result = run(alerts_info, arm)
    assert not result.get('failed'), result.get('msg')
    assert result['alerts'] == []
    assert len(arm.requests) == 1


def scene_pair(kind, pair, status=200):
    """The nearest recorded ``kind`` of ``pair``'s scene (same recording, same scale set)."""
    found = [p for p in rec.pairs(kind, status) if p['scene'] == pair['scene']]
    assert found, 'no recorded %s in %s' % (kind, pair['scene'])
    return min(found, key=lambda p: abs(p['interaction_index'] - pair['interaction_index']))


@pytest.mark.parametrize('pair', rec.pairs('vm_list', 200), ids=lambda p: '%s#%s' % (
    p['source'].rsplit('@', 1)[-1][:8], p['interaction_index']))
def test_instance_view_info_reads_the_recorded_flexible_vm_lists(run, pair):
    from urllib.parse import parse_qsl, urlsplit
    from ansible_collections.azure_vmss.maintenance.plugins.modules import instance_view_info
    scale_set = scene_pair('vmss_get', pair)
    raw_set = scale_set['response_body']
    assert rec.mode_of(raw_set) == 'Flexible'
    sub, group, name = coordinates(scale_set['uri'])
    arm = answer(FakeArm(), 'GET', path_of(scale_set['uri']), scale_set)
    answer(arm, 'GET', path_of(pair['uri']), pair)
    result = run(instance_view_info, arm, subscription_id=sub, resource_group=group, name=name)
    assert not result.get('failed'), result.get('msg')
    # Azure's own $filter chose these: every item is a member, whatever case its ids are spelt in.
    members = [vm['name'] for vm in pair['response_body']['value']]
    assert members
    assert sorted(i['instance_id'] for i in result['instances']) == sorted(members)
    assert result['orchestration_mode'] == 'Flexible'
    sent = dict(parse_qsl(urlsplit(pair['uri']).query))['$filter']
    assert dict(parse_qsl(arm.requests[1]['query']))['$filter'].lower() == sent.lower()


def test_the_recorded_flexible_vms_spell_the_group_otherwise():
    owners = [vm['properties']['virtualMachineScaleSet']['id'] for p in rec.pairs('vm_list', 200)
              for vm in p['response_body']['value']]
    assert any(owner != owner.lower() and '/resourceGroups/CLI_' in owner for owner in owners)


@pytest.mark.parametrize('pair', [p for p in rec.pairs('vmss_vm_list', 200) if 'expand' in p['uri'].lower()],
                         ids=lambda p: '%s#%s' % (p['source'].rsplit('/', 1)[-1][:50], p['interaction_index']))
def test_instance_view_info_reads_the_recorded_uniform_vm_lists(run, pair):
    from ansible_collections.azure_vmss.maintenance.plugins.modules import instance_view_info
    sub, group, name = coordinates(pair['uri'])
    scale_set = {'id': '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s'
                       % (sub, group, name), 'name': name, 'properties': {}}
    arm = FakeArm().on('GET', scale_set['id'], body=scale_set)
    answer(arm, 'GET', path_of(pair['uri']), pair)
    result = run(instance_view_info, arm, subscription_id=sub, resource_group=group, name=name)
    assert not result.get('failed'), result.get('msg')
    raw = dict((vm['instanceId'], vm) for vm in pair['response_body']['value'] if vm.get('properties'))
    assert sorted(i['instance_id'] for i in result['instances']) == sorted(raw)
    for entry in result['instances']:
        codes = [s['code'] for s in raw[entry['instance_id']]['properties']['instanceView'].get('statuses', [])]
        power = [c.split('/', 1)[1] for c in codes if c.startswith('PowerState/')]
        assert entry['power_state'] == (power[0] if power else None)


def test_a_recorded_429_without_retry_after_waits_the_seconds_of_its_message(monkeypatch, run):
    from azure.core.pipeline.transport import RequestsTransport
    throttled = rec.one('throttled', 429)
    assert not any(k in throttled['response_headers'] for k in ('retry-after', 'retry-after-ms'))
    said = int(throttled['response_body']['error']['message'].split("after '")[1].split("'")[0])
    slept = []
    monkeypatch.setattr(RequestsTransport, 'sleep', lambda self, seconds: slept.append(seconds))
    view = rec.one('vmss_instance_view', 200)
    arm = FakeArm().on('GET', VMSS + '/instanceView', status=429, body=throttled['response_body'], times=1)
    answer(arm, 'GET', VMSS + '/instanceView', view)
    result = run(orchestration_service, arm)
    assert not result.get('failed'), result.get('msg')
    assert slept == [said]
    assert len(arm.requests) == 2


@pytest.mark.parametrize('pair', [p for p in rec.pairs('tags_get', 200) + rec.pairs('tags_patch', 200)
                                  if isinstance(p['response_body'], dict)],
                         ids=lambda p: '%s#%s' % (p['source'].rsplit('/', 1)[-1][:50], p['interaction_index']))
def test_maintenance_lease_reads_every_recorded_tags_answer(run, pair):
    # Another resource's tags, read as the scale set's: the Tags API answers alike at every scope.
    arm = answer(FakeArm(), 'GET', VMSS + '/providers/Microsoft.Resources/tags/default', pair)
    result = run(maintenance_lease, arm, action='read')
    assert not result.get('failed'), result.get('msg')
    recorded = (pair['response_body'].get('properties') or {}).get('tags') or {}
    assert ('azure_vmss_maintenance_lease' in [k.lower() for k in recorded]) is (result['lease'] is not None)
    assert result['changed'] is False and result['held'] is False
