# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""perform_maintenance's health wait (wait_for_health) end to end: real AnsibleModule, our client, the real SDK, a
fake transport, and a fake clock for the wait.

The wait's clock (health_wait's ``time``) is a fake that moves only when ARM answers a health read ("a slow poll":
each read takes the fake seconds the test says) or when the wait sleeps. The operation's own polling runs on real
time with 10 ms Retry-After, as in test_perform_maintenance.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import perform_maintenance  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils import decisions, health_wait  # noqa: E402
from ...utils.fake_arm import FakeArm, run_module_main  # noqa: E402
from .test_perform_maintenance import AUTH, VMSS, RESERVED, accept, posts, vm  # noqa: E402


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


@pytest.fixture
def arm():
    return FakeArm()


@pytest.fixture
def run(monkeypatch, capsys, arm):
    def _run(module_args, check_mode=False):
        full = dict(AUTH, resource_group='rg-web', name='vmss-web')
        full.update(module_args)
        result = run_module_main(monkeypatch, capsys, perform_maintenance, full, arm, check_mode=check_mode)
        result.pop('invocation', None)
        assert not RESERVED & set(result), 'reserved keys returned: %s' % (RESERVED & set(result))
        return result

    return _run


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


def test_slow_polls_end_the_wait_at_the_deadline_and_a_late_recovery_is_not_healthy(run, arm, clock):
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
    record = decisions.batch_record(dict(number=1, instance_ids=['1']), 'a', 'b', result, health)
    assert record['outcome'] == decisions.UNHEALTHY and record['unhealthy_after'] == ['1']
    assert record['maintenance_seconds'] == max(0.0, round(result['elapsed_seconds'] - 45.0, 1))


def test_the_wait_ends_at_the_first_poll_that_finds_the_batch_healthy(run, arm, clock):
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
    record = decisions.batch_record(dict(number=1, instance_ids=['0', '1']), 'a', 'b', result, health)
    assert record['outcome'] == decisions.HEALTHY and record['maintained_instance_ids'] == ['0', '1']
    assert [o['outcome'] for o in record['instance_outcomes']] == ['maintained', 'maintained']


def test_poll_interval_zero_takes_the_read_cost_pace(run, arm, clock):
    arm.scale_set(VMSS, capacity=12)
    arm.on('GET', VMSS + '/virtualMachines/1', body=after_maintenance('1', clock, recovers_at=12, poll_seconds=1))
    accept(arm)
    result = run(dict(instance_ids=['1'], wait_for_health=True, health_timeout=600))
    # one instance of 12: one GET per poll, at Compute's 12 GETs per VM per minute, at least 5 s: 5 s
    assert result['health']['poll_interval'] == 5 and clock.sleeps == [5, 5]
    assert result['health']['recovered'] is True and result['health']['polls'] == 3
    assert [r['path'] for r in arm.requests].count(VMSS) == 1, 'the capacity comes from the run\'s one scale set GET'


def test_a_failed_health_read_ends_the_wait_and_says_why_without_failing_the_task(run, arm, clock):
    arm.scale_set(VMSS)
    arm.on('GET', VMSS + '/virtualMachines/1', body=vm('1', True), times=1)
    arm.on('GET', VMSS + '/virtualMachines/1', status=403,
           body={'error': {'code': 'AuthorizationFailed', 'message': 'no read permission'}})
    accept(arm)
    result = run(dict(instance_ids=['1'], wait_for_health=True, health_timeout=60, health_poll_interval=5))
    assert result['changed'] is True and not result.get('failed')
    health = result['health']
    assert 'instances' not in health and 'AuthorizationFailed' in health['msg'] and health['polls'] == 1
    record = decisions.batch_record(dict(number=1, instance_ids=['1']), 'a', 'b', result, health)
    assert record['outcome'] == decisions.HEALTH_UNKNOWN and 'AuthorizationFailed' in record['error']


def test_nothing_to_send_still_waits_for_the_named_instances(run, arm, clock):
    arm.scale_set(VMSS)
    arm.on('GET', VMSS + '/virtualMachines/2',
           body=after_maintenance('2', clock, recovers_at=0, poll_seconds=1, posted_first=False))
    result = run(dict(instance_ids=['2'], wait_for_health=True, health_timeout=60, health_poll_interval=5))
    assert result['changed'] is False and result['already_maintained'] == ['2'] and posts(arm) == []
    assert result['health']['recovered'] is True and result['health']['polls'] == 1


def test_check_mode_and_no_wait_flag_read_no_health(run, arm, clock):
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
def test_bad_health_options_fail_before_any_request(run, arm, clock, args, message):
    module_args = dict(instance_ids=['1'], wait_for_health=True)
    module_args.update(args)
    result = run(module_args)
    assert result['failed'] is True and message in result['msg']
    assert arm.requests == []
