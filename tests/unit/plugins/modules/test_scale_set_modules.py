# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scale_set_info, orchestration_service and maintenance_lease end to end over the fake transport.

Real AnsibleModule, our client and azure-mgmt-compute; only the credential and the HTTP transport are replaced.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import (  # noqa: E402
    maintenance_lease, orchestration_service, scale_set_info)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils import lease as leases  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.tags import TAGS_API_VERSION  # noqa: E402
from ...utils.fake_arm import FakeArm, run_module_main  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
TAGS = VMSS + '/providers/Microsoft.Resources/tags/default'
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')
OP = 'https://management.azure.com/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/o1' % SUB


@pytest.fixture
def run(monkeypatch, capsys):
    def _run(module, extra, arm, check_mode=False):
        data = dict(AUTH, resource_group='rg-web', name='vmss-web')
        data.update(extra)
        return run_module_main(monkeypatch, capsys, module, data, arm, check_mode=check_mode)
    return _run


def scale_set_body(mode='Uniform'):
    return {'id': VMSS, 'name': 'vmss-web', 'location': 'westeurope', 'sku': {'name': 'Standard_D2s_v5', 'capacity': 3},
            'properties': {'orchestrationMode': mode, 'provisioningState': 'Succeeded',
                           'upgradePolicy': {'mode': 'Rolling', 'rollingUpgradePolicy': {'maxBatchInstancePercent': 34}},
                           'automaticRepairsPolicy': {'enabled': True, 'gracePeriod': 'PT10M'},
                           'virtualMachineProfile': {'networkProfile': {'healthProbe': {'id': '/x/probes/p'}}}}}


def view(state):
    return {'orchestrationServices': [{'serviceName': 'AutomaticRepairs', 'serviceState': state}]}


# -- scale_set_info ---------------------------------------------------------------------------------

def test_scale_set_info_is_one_get(run):
    arm = FakeArm().on('GET', VMSS, body=scale_set_body())
    result = run(scale_set_info, {}, arm)
    assert [r['path'] for r in arm.requests] == [VMSS]
    vmss = result['scale_set']
    assert vmss['capacity'] == 3 and vmss['health_signal']['kind'] == 'load_balancer_probe'
    assert vmss['upgrade_policy']['rolling_upgrade_policy'] == {'max_batch_instance_percent': 34}
    assert vmss['automatic_repairs_policy']['enabled'] is True
    assert 'orchestration_services' not in vmss and result['changed'] is False


def test_scale_set_info_with_instance_view(run):
    arm = FakeArm().on('GET', VMSS + '/instanceView', body=view('Running')).on('GET', VMSS, body=scale_set_body())
    result = run(scale_set_info, {'instance_view': True, 'query': 'scale_set.orchestration_services[0].service_state'}, arm)
    assert result['query_result'] == 'Running'
    assert [r['path'] for r in arm.requests] == [VMSS, VMSS + '/instanceView']


def test_scale_set_info_flexible_skips_the_instance_view_with_a_warning(run):
    arm = FakeArm().on('GET', VMSS, body=scale_set_body('Flexible'))
    result = run(scale_set_info, {'instance_view': True}, arm)
    assert len(arm.requests) == 1
    assert 'orchestration_services' not in result['scale_set']
    assert any('Flexible' in str(w) for w in result['warnings'])  # a string, or a dict on ansible-core 2.19


# -- orchestration_service ------------------------------------------------------------------------

def suspending_arm(before, after):
    return (FakeArm().on('GET', VMSS + '/instanceView', body=view(before), times=1)
            .on('POST', '/setOrchestrationServiceState', status=202,
                headers={'Azure-AsyncOperation': OP, 'Retry-After': '0'})
            .on('GET', '/operations/o1', body={'status': 'Succeeded', 'name': 'o1'})
            .on('GET', VMSS + '/instanceView', body=view(after)))


def test_suspend_posts_the_wire_body_waits_and_reads_back(run):
    arm = suspending_arm('Running', 'Suspended')
    result = run(orchestration_service, {'state': 'suspended'}, arm)
    assert result['changed'] is True and result['action'] == 'Suspend'
    assert result['previous_state'] == 'Running' and result['service']['service_state'] == 'Suspended'
    posts = [r for r in arm.requests if r['method'] == 'POST']
    assert [p['body'] for p in posts] == [{'serviceName': 'AutomaticRepairs', 'action': 'Suspend'}]
    assert [r['method'] for r in arm.requests] == ['GET', 'POST', 'GET', 'GET']


@pytest.mark.parametrize('before, wanted', [('Suspended', 'suspended'), ('Running', 'running'),
                                            ('NotRunning', 'suspended'), ('NotRunning', 'running')])
def test_no_post_when_nothing_to_do(run, before, wanted):
    arm = FakeArm().on('GET', VMSS + '/instanceView', body=view(before))
    result = run(orchestration_service, {'state': wanted}, arm)
    assert result['changed'] is False and result['action'] is None
    assert [r['method'] for r in arm.requests] == ['GET']


def test_check_mode_reports_the_change_without_a_post(run):
    arm = FakeArm().on('GET', VMSS + '/instanceView', body=view('Suspended'))
    result = run(orchestration_service, {'state': 'running'}, arm, check_mode=True)
    assert result['changed'] is True and result['action'] == 'Resume'
    assert [r['method'] for r in arm.requests] == ['GET']


def test_failed_state_change_says_what_failed(run):
    arm = (FakeArm().on('GET', VMSS + '/instanceView', body=view('Running'))
           .on('POST', '/setOrchestrationServiceState', status=409,
               body={'error': {'code': 'OperationNotAllowed', 'message': 'Automatic repairs are not enabled.'}}))
    result = run(orchestration_service, {'state': 'suspended'}, arm)
    assert result['failed'] is True
    assert 'suspend AutomaticRepairs' in result['msg'] and 'OperationNotAllowed' in result['msg']


# -- maintenance_lease ----------------------------------------------------------------------------

def tags_body(tags):
    return {'id': TAGS, 'name': 'default', 'type': 'Microsoft.Resources/tags', 'properties': {'tags': tags}}


# A confirm_delay far above what a loaded CI machine takes to read and write through the fake transport
# (0.3 s was seen for a 0.2 s delay): the module's own slow-write check then never trips by accident.
CONFIRM_DELAY = 60


@pytest.fixture
def waits(monkeypatch):
    """The seconds the lease module waited, recorded instead of slept; its clock stays the real one."""
    waited = []

    class Clock(object):
        time = staticmethod(time.time)
        sleep = staticmethod(waited.append)

    monkeypatch.setattr(maintenance_lease, 'time', Clock)
    return waited


def lease_args(**extra):
    data = dict(action='acquire', run_id='run-a', owner='awx job 1', confirm_delay=CONFIRM_DELAY)
    data.update(extra)
    return data


def live(run_id, owner='awx job 9'):
    return leases.format_lease(run_id, owner, time.time() + 600)


def written(requests):
    """The tags as the last PATCH Merge left them: what ARM answers a read-back with."""
    patch = [r for r in requests if r['method'] == 'PATCH'][-1]
    return tags_body(dict({'team': 'web'}, **patch['body']['properties']['tags']))


def test_acquire_reads_merges_waits_and_confirms(run, waits):
    arm = (FakeArm().on('GET', TAGS, body=tags_body({'team': 'web'}), times=1).on('PATCH', TAGS, body=written)
           .on('GET', TAGS, body=written))
    result = run(maintenance_lease, lease_args(), arm)
    assert result['changed'] is True and result['outcome'] == 'acquired' and result['held'] is True
    assert [r['method'] for r in arm.requests] == ['GET', 'PATCH', 'GET']
    assert waits == [CONFIRM_DELAY]
    assert all(r['path'] == TAGS and 'api-version=%s' % TAGS_API_VERSION in r['query'] for r in arm.requests[:2])
    body = arm.requests[1]['body']
    assert body['operation'] == 'Merge' and list(body['properties']['tags']) == [leases.LEASE_TAG]
    assert body['properties']['tags'][leases.LEASE_TAG].startswith('run=run-a;owner=awx job 1;expires=')
    assert arm.requests[0]['headers']['User-Agent'].startswith('azure_vmss.maintenance/')
    assert arm.requests[0]['headers']['Authorization'] == 'Bearer fake-token'


def test_live_lease_of_another_run_is_refused_without_a_write(run, waits):
    arm = FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-b')}))
    result = run(maintenance_lease, lease_args(), arm)
    assert result['failed'] is True and result['outcome'] == 'refused'
    assert "run 'run-b'" in result['msg'] and 'awx job 9' in result['msg'] and "break_lease: 'run-b'" in result['msg']
    assert [r['method'] for r in arm.requests] == ['GET']


def test_losing_the_race_fails_naming_the_winner(run, waits):
    arm = (FakeArm().on('GET', TAGS, body=tags_body({}), times=1).on('PATCH', TAGS, body=tags_body({}))
           .on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-b', 'bob@ctl2')})))
    result = run(maintenance_lease, lease_args(), arm)
    assert result['failed'] is True and result['outcome'] == 'lost_race' and result['held'] is False
    assert "run 'run-b'" in result['msg'] and 'bob@ctl2' in result['msg']
    assert [r['method'] for r in arm.requests] == ['GET', 'PATCH', 'GET']


def applied(requests):
    """The tags after every PATCH so far, Merge and Delete alike, as ARM would answer a read."""
    tags = {'team': 'web'}
    for patch in (r['body'] for r in requests if r['method'] == 'PATCH'):
        for name, value in patch['properties']['tags'].items():
            if patch['operation'] == 'Merge':
                tags[name] = value
            elif tags.get(name) == value:
                del tags[name]
    return tags_body(tags)


def test_a_write_slower_than_confirm_delay_removes_its_value_and_fails(run, waits):
    # confirm_delay 0: any read-to-write time is too long, so the run cannot know it did not overwrite a
    # lease taken meanwhile. It must neither wait nor claim the lease, and must take its own value out again.
    arm = FakeArm().on('GET', TAGS, body=applied).on('PATCH', TAGS, body=applied)
    result = run(maintenance_lease, lease_args(confirm_delay=0), arm)
    assert result['failed'] is True and result['outcome'] == 'backed_off' and result['held'] is False
    assert 'confirm_delay' in result['msg'] and waits == []
    patches = [r['body'] for r in arm.requests if r['method'] == 'PATCH']
    assert [p['operation'] for p in patches] == ['Merge', 'Delete']
    assert patches[1]['properties']['tags'] == patches[0]['properties']['tags']
    assert result['lease'] is None and applied(arm.requests)['properties']['tags'] == {'team': 'web'}


def test_check_mode_acquire_writes_nothing(run, waits):
    arm = FakeArm().on('GET', TAGS, body=tags_body({}))
    result = run(maintenance_lease, lease_args(), arm, check_mode=True)
    assert result['changed'] is True and result['outcome'] == 'acquired'
    assert result['lease']['run_id'] == 'run-a'
    assert [r['method'] for r in arm.requests] == ['GET']


def test_release_deletes_by_name_and_value_and_checks(run, waits):
    value = live('run-a')
    arm = (FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: value, 'team': 'web'}), times=1)
           .on('PATCH', TAGS, body=tags_body({'team': 'web'})).on('GET', TAGS, body=tags_body({'team': 'web'})))
    result = run(maintenance_lease, lease_args(action='release'), arm)
    assert result['changed'] is True and result['outcome'] == 'released' and result['lease'] is None
    assert arm.requests[1]['body'] == {'operation': 'Delete', 'properties': {'tags': {leases.LEASE_TAG: value}}}


def test_release_leaves_another_runs_lease(run, waits):
    arm = FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-b')}))
    result = run(maintenance_lease, lease_args(action='release'), arm)
    assert result['changed'] is False and result['outcome'] == 'not_held'
    assert [r['method'] for r in arm.requests] == ['GET']
    assert any('run-b' in str(w) for w in result['warnings'])


def test_accepted_write_is_followed_to_its_end(run, waits):
    location = 'https://management.azure.com/subscriptions/%s/operationresults/abc?api-version=2018-08-01' % SUB
    value = live('run-a')
    arm = (FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: value}), times=1)
           .on('PATCH', TAGS, status=202, headers={'Location': location, 'Retry-After': '0'})
           .on('GET', '/operationresults/abc', status=202, headers={'Location': location, 'Retry-After': '0'}, times=1)
           .on('GET', '/operationresults/abc', status=200)
           .on('GET', TAGS, body=tags_body({})))
    result = run(maintenance_lease, lease_args(action='release'), arm)
    assert result['outcome'] == 'released'
    assert [r['path'].rsplit('/', 1)[-1] for r in arm.requests] == ['default', 'default', 'abc', 'abc', 'default']


def test_forbidden_tag_write_names_the_permission(run, waits):
    arm = (FakeArm().on('GET', TAGS, body=tags_body({}))
           .on('PATCH', TAGS, status=403, body={'error': {'code': 'AuthorizationFailed',
                                                          'message': 'The client does not have authorization.'}}))
    result = run(maintenance_lease, lease_args(), arm)
    assert result['failed'] is True
    assert 'AuthorizationFailed' in result['msg'] and 'Microsoft.Resources/tags/write' in result['msg']
    assert 'Tag Contributor' in result['msg']
    assert 's3cret-value' not in str(result)


@pytest.mark.parametrize('extra, message', [
    ({'run_id': None}, 'run_id is required'),
    ({'run_id': 'a;b'}, 'run_id'),
    ({'owner': 'x;y'}, 'owner'),
    ({'break_lease': 'b', 'action': 'renew'}, 'break_lease'),
    ({'duration': 3, 'confirm_delay': 5}, 'duration'),
    ({'confirm_delay': -1}, 'confirm_delay'),
])
def test_bad_lease_arguments_fail_before_any_request(run, waits, extra, message):
    arm = FakeArm()
    result = run(maintenance_lease, lease_args(**extra), arm)
    assert result['failed'] is True and message in result['msg']
    assert arm.requests == []


def test_renew_records_suspended_repairs_for_a_run_that_takes_over(run, waits):
    arm = (FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-a')}), times=1)
           .on('PATCH', TAGS, body=written).on('GET', TAGS, body=written))
    result = run(maintenance_lease, lease_args(action='renew', repairs_suspended=True), arm)
    assert result['outcome'] == 'renewed' and result['lease']['repairs_suspended'] is True
    assert arm.requests[1]['body']['properties']['tags'][leases.LEASE_TAG].endswith(';repairs=suspended')
