# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""perform_maintenance's decisions end to end: real AnsibleModule, our client, the real SDK, a fake transport.

Every test also checks, through the ``arm`` fixture, that no performMaintenance request ever left without a
non-empty ``instanceIds`` list (Azure would maintain every instance).

TestHealthWait: the health wait (wait_for_health), with a fake clock for the wait. The wait's clock (health_wait's
``time``) is a fake that moves only when ARM answers a health read ("a slow poll": each read takes the fake
seconds the test says) or when the wait sleeps. The operation's own polling runs on real time with 10 ms
Retry-After, as in the tests above.

TestOnFlexible: on the Flexible scale set vmss-flex, one POST per VM; its ``arm`` fixture checks that no request
used an API Azure refuses there (tests/unit/utils/flexible_scale_set.py).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import perform_maintenance  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import batches as batch_records
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import health_wait
from ...utils.fake_arm import FakeArm, RM, run_module_main  # noqa: E402
from ...utils import flexible_scale_set as flex  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')
OP_URL = RM + '/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/op-1?api-version=2026-04-01' % SUB
# azure-core takes "Retry-After: 0" as absent and would wait its polling interval: use milliseconds.
FAST = {'retry-after-ms': '10'}
# Keys Ansible reserves; AnsibleModule itself adds 'invocation' (run_module_main asks for it) and 'failed'.
RESERVED = {'skipped', 'results', 'ansible_facts', 'exception', 'warnings', 'deprecations'}
RESULT_KEYS = {'changed', 'instance_ids', 'skipped_instances', 'already_maintained', 'status', 'elapsed_seconds',
               'operations', 'orchestration_mode', 'window_closed'}


@pytest.fixture
def arm():
    fake = FakeArm()
    yield fake
    for request in fake.requests:
        if request['method'] == 'POST' and request['path'].lower().endswith('/performmaintenance'):
            body = request['body']
            assert isinstance(body, dict) and body.get('instanceIds'), 'performMaintenance without instanceIds: %r' % body
            assert set(body) == {'instanceIds'}


@pytest.fixture
def run(monkeypatch, capsys, arm):
    """run(args, check_mode=False) -> result dict of perform_maintenance.main() over the fake ARM."""

    def _run(module_args, check_mode=False):
        full = dict(AUTH, resource_group='rg-web', name='vmss-web')
        full.update(module_args)
        result = run_module_main(monkeypatch, capsys, perform_maintenance, full, arm, check_mode=check_mode)
        assert set(result.pop('invocation')) == {'module_args'}
        assert result.get('failed', True) is True
        assert not RESERVED & set(result), 'reserved keys returned: %s' % (RESERVED & set(result))
        if not result.get('failed'):
            assert 'msg' not in result
            assert set(result) == RESULT_KEYS | ({'operation_url'} if 'operation_url' in result else set())
        return result

    return _run


def vm(instance_id, allowed=None, code='None', message=None):
    """A VM with $expand=instanceView; ``allowed`` None: not in a maintenance wave (no maintenanceRedeployStatus)."""
    view = {'statuses': [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/running'}]}
    if allowed is not None:
        status = {'isCustomerInitiatedMaintenanceAllowed': allowed, 'lastOperationResultCode': code}
        if message:
            status['lastOperationMessage'] = message
        view['maintenanceRedeployStatus'] = status
    return {'instanceId': str(instance_id), 'name': 'vmss-web_%s' % instance_id, 'properties': {'instanceView': view}}


def fleet(arm, vms, capacity=None):
    """Answer the scale-set GET (a Uniform scale set), instance GETs and the VM list from the same VMs."""
    for body in vms:
        arm.on('GET', VMSS + '/virtualMachines/%s' % body['instanceId'], body=body)
    arm.on('GET', VMSS + '/virtualMachines', body={'value': vms})
    return arm.scale_set(VMSS, capacity=capacity)


def basic_fleet(arm, capacity=None):
    # 0, 1, 10 eligible; 2 already maintained; 5 RetryLater; 7 not in a wave.
    return fleet(arm, [vm(0, True), vm(1, True), vm(2, False, 'MaintenanceCompleted'),
                       vm(5, False, 'RetryLater', 'Retry later.'), vm(7), vm(10, True)], capacity=capacity)


def accept(arm, statuses=('InProgress', 'Succeeded'), error=None, post_status=202):
    headers = {'Azure-AsyncOperation': OP_URL, 'Location': OP_URL + '&monitor=true'}
    headers.update(FAST)
    arm.on('POST', VMSS + '/performMaintenance', status=post_status, headers=headers)
    for index, status in enumerate(statuses):
        body = {'status': status, 'name': 'op-1', 'startTime': '2026-11-20T12:00:00Z'}
        if error and status == 'Failed':
            body['error'] = error
        last = index == len(statuses) - 1
        arm.on('GET', '/operations/op-1', body=body, headers=FAST, times=None if last else 1)
    return arm


def posts(arm):
    return [r for r in arm.requests if r['method'] == 'POST']


def polls(arm):
    """Status polls of the Azure-AsyncOperation URL (the SDK reads the Location URL once more at the end)."""
    return [r for r in arm.requests if r['path'].endswith('/operations/op-1') and 'monitor=true' not in r['query']]


# -- the happy paths --------------------------------------------------------------------------------

def test_subset_is_sent_as_explicit_ids_and_waited_for(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['10', '1']))
    assert result['changed'] is True
    assert result['status'] == 'Succeeded'
    assert result['instance_ids'] == ['1', '10']
    assert result['skipped_instances'] == [] and result['already_maintained'] == []
    assert [p['body'] for p in posts(arm)] == [{'instanceIds': ['1', '10']}]
    assert len(polls(arm)) == 2
    assert result['orchestration_mode'] == 'Uniform'
    assert result['operations'] == [dict(instance_ids=['1', '10'], status='Succeeded', operation_url=OP_URL)]
    assert arm.requests[0]['path'] == VMSS, 'the scale set is read once, first, for its mode'
    assert [r['path'] for r in arm.requests].count(VMSS) == 1
    assert 'operation_url' not in result
    assert isinstance(result['elapsed_seconds'], float)
    reads = [r for r in arm.requests if r['method'] == 'GET' and '/virtualMachines/' in r['path']]
    assert len(reads) == 2 and all('expand=instanceView' in r['query'] for r in reads)


def test_all_instances_lists_once_and_sends_the_eligible_list(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(all_instances=True))
    assert result['changed'] is True and result['status'] == 'Succeeded'
    assert result['instance_ids'] == ['0', '1', '10']
    assert result['already_maintained'] == ['2']
    assert [s['instance_id'] for s in result['skipped_instances']] == ['5', '7']
    assert 'RetryLater' in result['skipped_instances'][0]['reason']
    assert 'maintenance wave' in result['skipped_instances'][1]['reason']
    assert [p['body'] for p in posts(arm)] == [{'instanceIds': ['0', '1', '10']}]
    lists = [r for r in arm.requests if r['method'] == 'GET' and r['path'] == VMSS + '/virtualMachines']
    assert len(lists) == 1


def test_ids_with_ineligible_and_maintained_members_send_only_the_eligible(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['0', '2', '5', '7']))
    assert result['changed'] is True
    assert result['instance_ids'] == ['0']
    assert result['already_maintained'] == ['2']
    assert [s['instance_id'] for s in result['skipped_instances']] == ['5', '7']
    assert all(s['reason'] for s in result['skipped_instances'])
    assert [p['body'] for p in posts(arm)] == [{'instanceIds': ['0']}]


def test_many_named_ids_of_a_small_fleet_are_read_with_one_listing(run, arm):
    accept(basic_fleet(arm, capacity=6))
    result = run(dict(instance_ids=['0', '1', '2', '5', '7', '10']))
    assert result['instance_ids'] == ['0', '1', '10']
    gets = [r for r in arm.requests if r['method'] == 'GET' and '/operations/' not in r['path']]
    assert [r['path'] for r in gets] == [VMSS, VMSS + '/virtualMachines']


def test_wait_false_returns_in_progress_and_the_operation_url_without_polling(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['0'], wait=False))
    assert result['changed'] is True
    assert result['status'] == 'InProgress'
    assert result['operation_url'] == OP_URL
    assert polls(arm) == []


def test_synchronous_200_with_wait_false_is_succeeded(run, arm):
    basic_fleet(arm).on('POST', VMSS + '/performMaintenance', status=200)
    result = run(dict(instance_ids=['0'], wait=False))
    assert result['status'] == 'Succeeded'


# -- nothing to do ----------------------------------------------------------------------------------

def test_nothing_eligible_is_unchanged_and_sends_nothing(run, arm):
    basic_fleet(arm)
    result = run(dict(instance_ids=['2', '5']))
    assert result['changed'] is False
    assert result['status'] is None
    assert result['instance_ids'] == []
    assert result['already_maintained'] == ['2']
    assert [s['instance_id'] for s in result['skipped_instances']] == ['5']
    assert posts(arm) == []


def test_second_run_after_maintenance_is_unchanged(run, arm):
    fleet(arm, [vm(0, False, 'MaintenanceCompleted'), vm(1, False, 'MaintenanceCompleted')])
    result = run(dict(all_instances=True))
    assert result['changed'] is False and result['already_maintained'] == ['0', '1']
    assert posts(arm) == []


def test_empty_scale_set_with_all_instances_sends_nothing(run, arm):
    fleet(arm, [])
    result = run(dict(all_instances=True))
    assert result['changed'] is False and result['instance_ids'] == [] and result['status'] is None
    assert posts(arm) == []


# -- the end of a window (not_after) -----------------------------------------------------------------

def test_not_after_passed_after_the_reads_sends_nothing(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['0', '1'], not_after='2026-01-01T00:00:00Z', wait_for_health=True))
    assert result['window_closed'] is True
    assert result['changed'] is False and result['instance_ids'] == [] and result['status'] is None
    assert posts(arm) == []
    assert 'health' not in result, 'nothing was sent: no health wait'
    assert [r['path'] for r in arm.requests if r['method'] == 'GET'][0] == VMSS, 'the reads were made'


def test_not_after_passed_in_check_mode_would_send_nothing(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(all_instances=True, not_after='2026-01-01T00:00:00+01:00'), check_mode=True)
    assert result['window_closed'] is True and result['changed'] is False and result['instance_ids'] == []


def test_not_after_still_ahead_sends_as_without_it(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['10', '1'], not_after='2999-01-01T00:00:00'))
    assert result['window_closed'] is False and result['status'] == 'Succeeded'
    assert [p['body'] for p in posts(arm)] == [{'instanceIds': ['1', '10']}]


# -- check mode -------------------------------------------------------------------------------------

def test_check_mode_reads_reports_and_sends_nothing(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(all_instances=True), check_mode=True)
    assert result['changed'] is True
    assert result['instance_ids'] == ['0', '1', '10']
    assert [s['instance_id'] for s in result['skipped_instances']] == ['5', '7']
    assert result['status'] is None
    assert posts(arm) == []
    assert all(r['method'] == 'GET' for r in arm.requests)


def test_check_mode_with_nothing_to_do_is_unchanged(run, arm):
    basic_fleet(arm)
    assert run(dict(instance_ids=['2']), check_mode=True)['changed'] is False


# -- failing before anything is sent -----------------------------------------------------------------

def test_skip_ineligible_false_fails_naming_ids_and_reasons(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['0', '2', '5', '7'], skip_ineligible=False))
    assert result['failed'] is True
    assert '5 (Azure asked to retry later (RetryLater)' in result['msg']
    assert '7 (not in a maintenance wave' in result['msg']
    assert 'Nothing was sent' in result['msg']
    assert '2 (' not in result['msg'], 'already maintained is not a reason to fail'
    assert [s['instance_id'] for s in result['skipped_instances']] == ['5', '7']
    assert result['instance_ids'] == []
    assert posts(arm) == []


def test_skip_ineligible_false_with_only_eligible_and_maintained_sends(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['0', '2'], skip_ineligible=False))
    assert result['changed'] is True and result['instance_ids'] == ['0']


def test_unknown_ids_fail_before_sending_and_are_named(run, arm):
    accept(basic_fleet(arm))
    arm.on('GET', VMSS + '/virtualMachines/42', status=404, body={'error': {'code': 'NotFound', 'message': 'no'}})
    arm.on('GET', VMSS + '/virtualMachines/43', status=404, body={'error': {'code': 'NotFound', 'message': 'no'}})
    result = run(dict(instance_ids=['0', '42', '43']))
    assert result['failed'] is True
    assert result['msg'].startswith('instance_ids: 42, 43 not in')
    assert 'Nothing was sent' in result['msg']
    assert result['unknown_instance_ids'] == ['42', '43']
    assert posts(arm) == []


def test_unknown_ids_among_many_fail_before_sending(run, arm):
    accept(basic_fleet(arm))
    result = run(dict(instance_ids=['0', '1', '2', '5', '7', '99']))
    assert result['failed'] is True and result['unknown_instance_ids'] == ['99']
    assert posts(arm) == []


@pytest.mark.parametrize('module_args, fragment', [
    ({}, 'one of the following is required'),
    ({'all_instances': False}, 'all_instances is false'),
    ({'instance_ids': ['1'], 'all_instances': True}, 'mutually exclusive'),
    ({'instance_ids': []}, 'at least one instance id'),
    ({'instance_ids': ['1', 'web/1']}, "contains 'web/1', which is neither a numeric instance id"),
    ({'instance_ids': ['1', '_web']}, "must not start with '_'"),
    ({'instance_ids': ['1', ' 1']}, 'more than once'),
    ({'instance_ids': ['1'], 'wait_timeout': 0}, 'wait_timeout must be greater than 0'),
    ({'instance_ids': ['1'], 'wait_timeout': -5}, 'wait_timeout must be greater than 0'),
    ({'instance_ids': ['1'], 'not_after': 'tonight'}, "not_after must be an ISO 8601 date-time such as"),
])
def test_bad_arguments_fail_without_a_request(run, arm, module_args, fragment):
    result = run(module_args)
    assert result['failed'] is True
    assert fragment in result['msg']
    assert arm.requests == []


# -- failing after sending ----------------------------------------------------------------------------

def test_conflict_that_arrives_anyway_fails_with_arm_message_and_ids(run, arm):
    basic_fleet(arm).on('POST', VMSS + '/performMaintenance', status=409, body={'error': {
        'code': 'OperationNotAllowed',
        'message': "Operation 'performMaintenance' is not allowed on VM 'vmss-web_1' since the Subscription of this "
                   "VM is not eligible."}})
    result = run(dict(instance_ids=['0', '1']))
    assert result['failed'] is True
    assert "not allowed on VM 'vmss-web_1'" in result['msg']
    assert 'instances 0, 1' in result['msg']
    assert 'run the task again' in result['msg']
    assert result['status_code'] == 409
    assert result['error']['code'] == 'OperationNotAllowed'
    # Refused: nothing started, so nothing changed and no instance is reported as started.
    assert result['instance_ids'] == []
    assert result['changed'] is False
    assert len(posts(arm)) == 1


def test_failed_operation_fails_with_arm_error_and_ids(run, arm):
    error = {'code': 'MaintenanceOperationFailed', 'message': "Maintenance was aborted for VM(s) 'vmss-web_1'."}
    accept(basic_fleet(arm), statuses=('InProgress', 'Failed'), error=error)
    result = run(dict(instance_ids=['0', '1']))
    assert result['failed'] is True
    assert 'MaintenanceOperationFailed' in result['msg'] and "'vmss-web_1'" in result['msg']
    assert 'ended Failed' in result['msg'] and 'instances 0, 1' in result['msg']
    assert 'HTTP 200' not in result['msg'] and 'status_code' not in result
    assert result['status'] == 'Failed'
    assert result['instance_ids'] == ['0', '1']
    assert result['error']['code'] == 'MaintenanceOperationFailed'
    assert result['operation_url'] == OP_URL
    assert result['changed'] is True


def test_wait_timeout_fails_saying_the_operation_goes_on(run, arm):
    headers = {'Azure-AsyncOperation': OP_URL, 'Retry-After': '1'}
    basic_fleet(arm).on('POST', VMSS + '/performMaintenance', status=202, headers=headers)
    arm.on('GET', '/operations/op-1', body={'status': 'InProgress', 'name': 'op-1'}, headers={'Retry-After': '1'})
    result = run(dict(instance_ids=['1'], wait_timeout=1))
    assert result['failed'] is True
    assert result['status'] == 'InProgress'
    assert 'did not finish within wait_timeout (1 s)' in result['msg']
    assert 'goes on in Azure' in result['msg']
    assert 'instance_view_info' in result['msg'] and OP_URL in result['msg']
    assert result['operation_url'] == OP_URL
    assert result['instance_ids'] == ['1']
    # Not before wait_timeout. No upper bound by the wall clock: a busy machine may take any time to run the
    # polls; the message above says the wait ended on wait_timeout (test_wait_by_clock.py proves how soon).
    assert result['elapsed_seconds'] >= 1


# -- the health wait (wait_for_health), on a fake clock -----------------------------------------------

class FakeTime(object):
    """health_wait's ``time``: monotonic() and sleep() on a fake clock."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []
        self._lock = threading.Lock()

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds):
        with self._lock:
            self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(health_wait, 'time', fake)
    return fake


def after_maintenance(instance_id, clock, recovers_at, poll_seconds, posted_first=True):
    """A VM GET answer: eligible before the POST; after it, maintained (MaintenanceCompleted) and unhealthy until
    the fake clock reaches ``recovers_at``. Each read after the POST takes ``poll_seconds`` of the fake clock."""

    def answer(requests):
        if posted_first and not posts_in(requests):
            return vm(instance_id, True)
        clock.advance(poll_seconds)
        body = vm(instance_id, False, 'MaintenanceCompleted')
        state = 'healthy' if clock.now >= recovers_at else 'unhealthy'
        body['properties']['instanceView']['vmHealth'] = {'status': {'code': 'HealthState/' + state}}
        return body

    return answer


def posts_in(requests):
    return [r for r in requests if r['method'] == 'POST']


def health_gets(arm):
    """The VM GETs sent after the maintenance request: the health wait's reads, from the transport's log."""
    first_post = next(i for i, r in enumerate(arm.requests) if r['method'] == 'POST')
    return [r for r in arm.requests[first_post:] if r['method'] == 'GET' and '/virtualMachines/' in r['path']]


class TestHealthWait(object):
    """The health wait's tests: their ``arm`` is a plain fake ARM, their ``run`` checks only reserved keys."""

    @pytest.fixture
    def arm(self):
        return FakeArm()

    @pytest.fixture
    def run(self, monkeypatch, capsys, arm):
        def _run(module_args, check_mode=False):
            full = dict(AUTH, resource_group='rg-web', name='vmss-web')
            full.update(module_args)
            result = run_module_main(monkeypatch, capsys, perform_maintenance, full, arm, check_mode=check_mode)
            result.pop('invocation', None)
            assert not RESERVED & set(result), 'reserved keys returned: %s' % (RESERVED & set(result))
            return result

        return _run

    def test_slow_polls_end_the_wait_at_the_deadline_and_a_late_recovery_is_not_healthy(self, run, arm, clock):
        # Each poll takes 20 s; the instance recovers at 46 s. Polls start at 0 and 25 s (5 s pause); the second ends at
        # 45 s, past the 30 s deadline, and no third poll starts. A wait that counted its polls (ceil(30 / 5) = 6, the
        # role's old until:) would have read on to 46 s and passed the instance as healthy.
        arm.scale_set(VMSS)
        arm.on('GET', VMSS + '/virtualMachines/1', body=after_maintenance('1', clock, recovers_at=46, poll_seconds=20))
        accept(arm)
        result = run(dict(instance_ids=['1'], wait_for_health=True, health_timeout=30, health_poll_interval=5))
        assert result['changed'] is True and result['status'] == 'Succeeded' and not result.get('failed')
        health = result['health']
        assert health['recovered'] is False and health['timed_out'] is True
        assert health['polls'] == 2 and len(health_gets(arm)) == 2
        assert health['seconds'] == 45.0 and clock.sleeps == [5]
        assert [(i['instance_id'], i['health_state']) for i in health['instances']] == [('1', 'unhealthy')]
        assert health['instances'][0]['maintenance']['last_operation_result_code'] == 'MaintenanceCompleted'
        # the role's record of this batch counts it as unhealthy after health_timeout
        record = batch_records.batch_record(dict(number=1, instance_ids=['1']), 'a', 'b', result, health)
        assert record['outcome'] == batch_records.UNHEALTHY and record['unhealthy_after'] == ['1']
        assert record['maintenance_seconds'] == max(0.0, round(result['elapsed_seconds'] - 45.0, 1))

    def test_the_wait_ends_at_the_first_poll_that_finds_the_batch_healthy(self, run, arm, clock):
        arm.scale_set(VMSS)
        arm.on('GET', VMSS + '/virtualMachines/0', body=after_maintenance('0', clock, recovers_at=0, poll_seconds=3))
        arm.on('GET', VMSS + '/virtualMachines/1', body=after_maintenance('1', clock, recovers_at=20, poll_seconds=3))
        accept(arm)
        result = run(dict(instance_ids=['0', '1'], wait_for_health=True, health_timeout=600, health_poll_interval=5))
        health = result['health']
        assert health['recovered'] is True and health['timed_out'] is False
        assert [i['health_state'] for i in health['instances']] == ['healthy', 'healthy']
        assert len(health_gets(arm)) == 2 * health['polls'] and health['polls'] >= 2
        assert health['seconds'] < 600
        assert all(s == 5 for s in clock.sleeps)
        assert [p['body'] for p in posts(arm)] == [{'instanceIds': ['0', '1']}]
        record = batch_records.batch_record(dict(number=1, instance_ids=['0', '1']), 'a', 'b', result, health)
        assert record['outcome'] == batch_records.HEALTHY and record['maintained_instance_ids'] == ['0', '1']
        assert [o['outcome'] for o in record['instance_outcomes']] == ['maintained', 'maintained']

    def test_poll_interval_zero_takes_the_read_cost_pace(self, run, arm, clock):
        arm.scale_set(VMSS, capacity=12)
        arm.on('GET', VMSS + '/virtualMachines/1', body=after_maintenance('1', clock, recovers_at=12, poll_seconds=1))
        accept(arm)
        result = run(dict(instance_ids=['1'], wait_for_health=True, health_timeout=600))
        # one instance of 12: one GET per poll, at Compute's 12 GETs per VM per minute, at least 5 s: 5 s
        assert result['health']['poll_interval'] == 5 and clock.sleeps == [5, 5]
        assert result['health']['recovered'] is True and result['health']['polls'] == 3
        assert [r['path'] for r in arm.requests].count(VMSS) == 1, 'the capacity comes from the run\'s one scale set GET'

    def test_a_failed_health_read_ends_the_wait_and_says_why_without_failing_the_task(self, run, arm, clock):
        arm.scale_set(VMSS)
        arm.on('GET', VMSS + '/virtualMachines/1', body=vm('1', True), times=1)
        arm.on('GET', VMSS + '/virtualMachines/1', status=403,
               body={'error': {'code': 'AuthorizationFailed', 'message': 'no read permission'}})
        accept(arm)
        result = run(dict(instance_ids=['1'], wait_for_health=True, health_timeout=60, health_poll_interval=5))
        assert result['changed'] is True and not result.get('failed')
        health = result['health']
        assert 'instances' not in health and 'AuthorizationFailed' in health['msg'] and health['polls'] == 1
        record = batch_records.batch_record(dict(number=1, instance_ids=['1']), 'a', 'b', result, health)
        assert record['outcome'] == batch_records.HEALTH_UNKNOWN and 'AuthorizationFailed' in record['error']

    def test_nothing_to_send_still_waits_for_the_named_instances(self, run, arm, clock):
        arm.scale_set(VMSS)
        arm.on('GET', VMSS + '/virtualMachines/2',
               body=after_maintenance('2', clock, recovers_at=0, poll_seconds=1, posted_first=False))
        result = run(dict(instance_ids=['2'], wait_for_health=True, health_timeout=60, health_poll_interval=5))
        assert result['changed'] is False and result['already_maintained'] == ['2'] and posts(arm) == []
        assert result['health']['recovered'] is True and result['health']['polls'] == 1

    def test_check_mode_and_no_wait_flag_read_no_health(self, run, arm, clock):
        arm.scale_set(VMSS)
        arm.on('GET', VMSS + '/virtualMachines/1', body=vm('1', True))
        result = run(dict(instance_ids=['1'], wait_for_health=True), check_mode=True)
        assert result['changed'] is True and 'health' not in result
        assert [r['path'] for r in arm.requests].count(VMSS + '/virtualMachines/1') == 1 and posts(arm) == []
        result = run(dict(instance_ids=['1']), check_mode=True)
        assert 'health' not in result

    @pytest.mark.parametrize('args, message', [
        (dict(wait=False), 'wait_for_health needs wait: true'),
        (dict(health_timeout=0), 'health_timeout must be greater than 0'),
        (dict(health_poll_interval=-1), 'health_poll_interval must be 0'),
    ])
    def test_bad_health_options_fail_before_any_request(self, run, arm, clock, args, message):
        module_args = dict(instance_ids=['1'], wait_for_health=True)
        module_args.update(args)
        result = run(module_args)
        assert result['failed'] is True and message in result['msg']
        assert arm.requests == []


# -- on a Flexible scale set: one POST per VM ----------------------------------------------------------

class TestOnFlexible(flex.FlexibleScaleSetRun):

    def test_all_instances_sends_one_post_per_eligible_vm_and_reports_each(self, run, arm):
        flex.accept(flex.accept(flex.basic(arm), 'vmss-flex_a1'), 'vmss-flex_c3')
        result = run(perform_maintenance, {'all_instances': True})
        assert result['changed'] is True and result['status'] == 'Succeeded'
        assert result['orchestration_mode'] == 'Flexible'
        assert result['instance_ids'] == ['vmss-flex_a1', 'vmss-flex_c3']
        assert result['already_maintained'] == ['vmss-flex_b2']
        assert [s['instance_id'] for s in result['skipped_instances']] == ['vmss-flex_d4']
        assert flex.posted(arm) == ['vmss-flex_a1', 'vmss-flex_c3'], 'exactly one POST per maintained VM'
        assert [(o['instance_ids'], o['status']) for o in result['operations']] == [
            (['vmss-flex_a1'], 'Succeeded'), (['vmss-flex_c3'], 'Succeeded')]
        assert [r['path'] for r in arm.requests if r['method'] == 'GET' and '/operations/' not in r['path']] == [flex.VMSS, flex.VMS]

    def test_named_vms_with_another_case_are_sent_as_azure_spells_them(self, run, arm):
        flex.accept(flex.basic(arm), 'vmss-flex_a1')
        result = run(perform_maintenance, {'instance_ids': ['VMSS-FLEX_A1', 'vmss-flex_b2']})
        assert result['instance_ids'] == ['vmss-flex_a1'] and result['already_maintained'] == ['vmss-flex_b2']
        assert flex.posted(arm) == ['vmss-flex_a1']

    def test_check_mode_reads_and_sends_nothing(self, run, arm):
        flex.basic(arm)
        result = run(perform_maintenance, {'all_instances': True}, check_mode=True)
        assert result['changed'] is True and result['instance_ids'] == ['vmss-flex_a1', 'vmss-flex_c3']
        assert result['operations'] == [] and result['status'] is None
        assert all(r['method'] == 'GET' for r in arm.requests)

    def test_wait_false_returns_each_operation_without_polling(self, run, arm):
        flex.accept(flex.accept(flex.basic(arm), 'vmss-flex_a1'), 'vmss-flex_c3')
        result = run(perform_maintenance, {'all_instances': True, 'wait': False})
        assert result['status'] == 'InProgress' and result['operation_url'] is None
        assert [o['operation_url'] for o in result['operations']] == [flex.op_url('vmss-flex_a1'), flex.op_url('vmss-flex_c3')]
        assert not any('/operations/' in r['path'] for r in arm.requests)

    def test_one_failed_vm_fails_the_task_with_every_outcome(self, run, arm):
        flex.accept(flex.basic(arm), 'vmss-flex_a1')
        flex.accept(arm, 'vmss-flex_c3', statuses=('InProgress', 'Failed'),
                    error={'code': 'MaintenanceOperationFailed', 'message': 'aborted'})
        result = run(perform_maintenance, {'all_instances': True})
        assert result['failed'] is True and result['changed'] is True
        assert result['status'] == 'Failed'
        assert "'vmss-flex_c3' Failed: MaintenanceOperationFailed: aborted" in result['msg']
        assert dict((o['instance_ids'][0], o['status']) for o in result['operations']) == {
            'vmss-flex_a1': 'Succeeded', 'vmss-flex_c3': 'Failed'}
        assert 's3cret-value' not in repr(result)

    def test_numeric_ids_on_flexible_send_nothing(self, run, arm):
        flex.basic(arm).on('GET', flex.VMS + '/3', status=404, body={'error': {'code': 'ResourceNotFound', 'message': 'no'}})
        result = run(perform_maintenance, {'instance_ids': ['3']})
        assert result['failed'] is True
        assert 'Flexible orchestration' in result['msg'] and "'vmss-flex_a1'" in result['msg']
        assert 'Nothing was sent' in result['msg'] and result['unknown_instance_ids'] == ['3']
        assert result['orchestration_mode'] == 'Flexible', 'known from the scale set read before the failure'
        assert flex.posted(arm) == []

    def test_vm_names_on_a_uniform_scale_set_fail_before_any_instance_read(self, monkeypatch, capsys):
        arm = FakeArm().scale_set(flex.VMSS, mode='Uniform')
        full = dict(flex.AUTH, resource_group='rg-web', name='vmss-flex', instance_ids=['vmss-flex_a1'])
        result = run_module_main(monkeypatch, capsys, perform_maintenance, full, arm)
        assert result['failed'] is True
        assert "'vmss-flex_a1' is not numeric" in result['msg'] and 'Uniform orchestration' in result['msg']
        assert 'Nothing was sent' in result['msg']
        assert [r['path'] for r in arm.requests] == [flex.VMSS]
