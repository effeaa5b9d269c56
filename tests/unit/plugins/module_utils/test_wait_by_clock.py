# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every documented wait ends when its time is up by the clock, within one poll, however long each poll takes.

- perform_maintenance's operation wait (wait_timeout), Uniform: a status poll that never answers does not hold it.
- the same wait, Flexible: with a clock of the test's, polls of random length; the wait ends at the first check at
  or after the deadline, so never before it and at most one poll after it; no poll starts after the deadline.
- the role's alert gate and its wait for a killed run's instances (scheduling.wait_over, the clock test of their
  `until`): modelled as Ansible runs an until loop (read, test, sleep delay), with reads of random length.
- the lease: maintenance_lease's only wait is one time.sleep(confirm_delay), a clock wait by construction, and a
  read/write slower than confirm_delay backs off (test_lease_record.py covers that decision).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import threading
import time

pytest.importorskip('azure.mgmt.compute')

from hypothesis import given, strategies as st  # noqa: E402

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import flexible
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ScaleSetRef  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError  # noqa: E402
from ...utils.fake_arm import FakeArm, RM  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import schedule as scheduling

REF = ScaleSetRef('rg', 'web')
OP = RM + '/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/op1?api-version=2026-04-01'


def test_uniform_wait_ends_on_wait_timeout_while_a_status_poll_hangs():
    # Rule: the operation wait ends by the clock even when a poll never answers.
    answered = threading.Event()

    def hang(_requests):
        answered.wait()  # released once the wait has ended, so the SDK's poller thread ends too
        return {'status': 'InProgress', 'name': 'op1'}

    arm = (FakeArm().scale_set().on('POST', '/performMaintenance', status=202,
                                    headers={'Azure-AsyncOperation': OP, 'retry-after-ms': '10'})
           .on('GET', '/operations/op1', body=hang))
    client = arm.client()
    # The deadline counts from the POST, so the clock is read before it: read after it, as this test once did, a
    # busy machine's slow POST made the wait look early (0.88 s of 1 s, CI on Python 3.13).
    before_post = time.time()
    operation = client.begin_perform_maintenance(REF, ['1'])
    try:
        with pytest.raises(AzureVmssError) as caught:
            operation.wait(timeout=1)
        still_hanging = not answered.is_set()
    finally:
        answered.set()
    assert still_hanging, 'the wait ended while its poll was still unanswered'
    assert caught.value.extra['status'] == 'InProgress'
    assert 'did not finish within wait_timeout (1 s)' in caught.value.msg
    assert time.time() - before_post >= 0.95  # not before its time (a lower bound holds on any machine)
    assert [r for r in arm.requests if r['path'].endswith('/operations/op1')], 'a poll was sent'


class SlowClock(object):
    """The clock flexible.py reads: time() and sleep(); a slow poll moves it by the poll's length."""

    def __init__(self, now=1000000.0):
        self.now = now
        self.lock = threading.Lock()

    def time(self):
        with self.lock:
            return self.now

    def sleep(self, seconds):
        with self.lock:
            self.now += max(0.0, seconds)

    def monotonic(self):
        return self.time()


@given(timeout=st.integers(min_value=1, max_value=600),
       polls=st.lists(st.floats(min_value=0.0, max_value=300.0, allow_nan=False), min_size=1, max_size=50),
       retry_after=st.integers(min_value=0, max_value=120))
def test_flexible_wait_ends_by_the_clock_within_one_poll(timeout, polls, retry_after):
    # Rule: the Flexible operation wait ends at or after its deadline, at most one poll after it, and sends no poll
    # once the deadline has passed, whatever each poll takes and whatever Retry-After asks.
    clock = SlowClock()
    sent = []

    def slow_poll(_requests):
        sent.append(clock.time())
        clock.sleep(polls[(len(sent) - 1) % len(polls)])
        return {'status': 'InProgress', 'name': 'op1'}

    arm = FakeArm().on('GET', '/operations/op1', body=slow_poll, headers={'Retry-After': str(retry_after)})
    operation = flexible.VmOperation('web_1')
    operation.status, operation.url, operation.accepted = 'InProgress', OP, True
    real_time = flexible.time
    flexible.time = clock
    try:
        started = clock.time()
        waiting = flexible.FlexibleMaintenance(arm.client(), REF, [operation], started, default_poll=15.0)
        with pytest.raises(AzureVmssError) as caught:
            waiting.wait(timeout)
    finally:
        flexible.time = real_time
    deadline = started + timeout
    assert caught.value.extra['status'] == 'InProgress'
    assert clock.time() >= deadline, 'ended before its time'
    assert clock.time() <= deadline + max(polls), 'ended more than one poll after its time'
    assert sent and all(at < deadline for at in sent), 'a poll was sent after the deadline'


def until_loop(wait_seconds, delay, reads, start=5000.0):
    """Ansible's until loop over one task (read, test, sleep delay, read again, at most retries + 1 reads), with the
    role's test `now is wait_over(deadline, delay)`: the reads' start times and when the loop ended."""
    polls = scheduling.alert_polls('PT%dS' % wait_seconds, delay)
    deadline = start + polls['seconds']
    now, starts = start, []
    for attempt in range(polls['retries'] + 1):
        starts.append(now)
        now += reads[attempt % len(reads)]
        if scheduling.wait_over(now, deadline, polls['delay']):
            return starts, now, deadline, attempt + 1, polls
        now += polls['delay']
    return starts, now, deadline, polls['retries'] + 1, polls


@given(wait_seconds=st.integers(min_value=1, max_value=7200), delay=st.integers(min_value=1, max_value=120),
       reads=st.lists(st.floats(min_value=0.0, max_value=120.0, allow_nan=False), min_size=1, max_size=30))
def test_the_roles_until_waits_end_by_the_clock_within_one_read(wait_seconds, delay, reads):
    # Rule: the alert gate (and the wait for a killed run's instances) starts no read after its deadline and ends
    # within one read of it, however long each read takes; the retries cap never ends it before the clock does
    # (that is: every read the clock allows is made).
    starts, ended, deadline, made, polls = until_loop(wait_seconds, delay, reads)
    assert all(at <= deadline for at in starts), 'a read started after the deadline'
    assert ended <= deadline + max(reads), 'the wait overran its deadline by more than one read'
    assert made <= polls['retries'] + 1
    if made == polls['retries'] + 1:
        # the cap was reached: only because the clock also said stop, or the next read would start late
        assert scheduling.wait_over(ended, deadline, polls['delay'])


def test_the_old_count_of_retries_overran_with_slow_reads():
    # Why: the same loop ending on the count alone (retries x delay) with 1.2 s reads waited 30 s + 11 reads.
    polls = scheduling.alert_polls('PT30S', 3)
    assert polls == dict(retries=10, delay=3, seconds=30)
    counted = (polls['retries'] + 1) * 1.2 + polls['retries'] * polls['delay']
    assert counted > 30 + 1.2
    _starts, ended, deadline, _made, _polls = until_loop(30, 3, [1.2])
    assert ended <= deadline + 1.2


def test_the_poll_pacer_does_not_wait_past_the_deadline_for_a_token():
    # Rule: a poll that could only be sent after the deadline (429 Retry-After, an empty bucket) is not waited for.
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.pacing import TokenBucket
    clock = SlowClock()
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.sleep(seconds)

    bucket = TokenBucket(1, 0.5, blocked_until=lambda: clock.time() + 60, clock=clock.time, sleep=sleep)
    assert bucket.acquire(max_wait=10) is None
    assert slept == []
    free = TokenBucket(1, 0.5, clock=clock.time, sleep=sleep)
    assert free.acquire(max_wait=10) == 0.0  # a token at hand is taken
    assert free.acquire(max_wait=1) is None  # the next one is 2 s away
    assert free.acquire() is not None and slept == [2.0]  # without max_wait it waits, as before


def test_a_throttled_flexible_wait_sleeps_to_its_deadline_without_polling():
    # Rule: when ARM's Retry-After (the client's throttled_until) reaches past the deadline, the wait sends nothing
    # more and sleeps to its deadline (it does not spin), then ends by the clock.
    clock = SlowClock()
    arm = FakeArm().on('GET', '/operations/op1', body={'status': 'InProgress', 'name': 'op1'})
    client = arm.client()
    # the state a 429 with Retry-After: 3600 leaves in the client (its pipeline policy sets it from the header)
    client._throttled_until = time.monotonic() + 3600
    operation = flexible.VmOperation('web_1')
    operation.status, operation.url, operation.accepted = 'InProgress', OP, True
    real_time = flexible.time
    flexible.time = clock
    try:
        started = clock.time()
        with pytest.raises(AzureVmssError) as caught:
            flexible.FlexibleMaintenance(client, REF, [operation], started, default_poll=15.0).wait(30)
    finally:
        flexible.time = real_time
    assert caught.value.extra['status'] == 'InProgress'
    assert not [r for r in arm.requests if r['path'].endswith('/operations/op1')], 'a poll was sent while throttled'
    assert clock.time() >= started + 30
