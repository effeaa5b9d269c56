# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health wait ended by the clock: wait_until_recovered with a fake clock and polls that take fake time.

No test sleeps or reads the real clock: the clock moves only when a poll "takes" its time or the wait sleeps, so a
slow poll is as slow as the test says, however busy the machine is.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import health_wait


class Clock(object):
    def __init__(self, now=1000.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def entry(instance_id, healthy):
    return dict(instance_id=str(instance_id), power_state='running', provisioning_state='succeeded',
                health_state='healthy' if healthy else 'unhealthy')


class Fleet(object):
    """Instances that recover at given times (seconds after the wait starts); each poll takes ``poll_seconds``
    (spread over its reads) and, with stop_early, stops after the first instance still down."""

    def __init__(self, clock, recover_at, poll_seconds):
        self.clock = clock
        self.start = clock.now
        self.recover_at = recover_at
        self.poll_seconds = poll_seconds
        self.polls = []  # (started, stop_early, ids read), relative to the start

    def __call__(self, stop_early):
        started = self.clock.now - self.start
        read = []
        step = float(self.poll_seconds) / len(self.recover_at)
        for instance_id, at in sorted(self.recover_at.items()):
            self.clock.now += step
            read.append(entry(instance_id, self.clock.now - self.start >= at))
            if stop_early and not read[-1]['health_state'] == 'healthy':
                break
        self.clock.now = self.start + started + self.poll_seconds  # a poll costs its time even when it stops
        self.polls.append((started, stop_early, [e['instance_id'] for e in read]))
        return read, len(read) < len(self.recover_at)


def wait(fleet, clock, timeout, interval):
    return health_wait.wait_until_recovered(fleet, timeout, interval, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize('poll_seconds', [0.1, 3, 20, 29, 45, 120])
def test_the_wait_ends_within_one_poll_of_the_timeout_however_slow_the_polls(poll_seconds):
    clock = Clock()
    fleet = Fleet(clock, {'0': 10 ** 6}, poll_seconds)  # never recovers
    result = wait(fleet, clock, timeout=30, interval=5)
    assert result['recovered'] is False and result['timed_out'] is True
    # no poll starts after the deadline, and the wait ends at most one poll after it
    assert all(started <= 30 for started, _stop, _ids in fleet.polls)
    assert 30 <= result['seconds'] <= 30 + poll_seconds
    assert clock.now - fleet.start == pytest.approx(result['seconds'], abs=0.1)
    # polls are paced: each sleep is the interval, but none goes past the deadline
    assert all(0 <= s <= 5 for s in clock.sleeps)
    assert len(fleet.polls) == result['polls']


def test_an_instance_that_recovers_after_the_timeout_is_not_counted_healthy():
    # The role's old until: counted polls: ceil(30 / 5) = 6 polls of 5 s sleep + 3 s read each waited 48 s, and an
    # instance healthy at 45 s passed. By the clock, the wait ends at 30 s + one poll, with it still down.
    clock = Clock()
    fleet = Fleet(clock, {'0': 0, '1': 45}, poll_seconds=3)
    result = wait(fleet, clock, timeout=30, interval=5)
    assert result['recovered'] is False
    assert [(i['instance_id'], i['health_state']) for i in result['instances']] == [('0', 'healthy'), ('1', 'unhealthy')]
    assert result['seconds'] <= 33
    # the poll that started at the deadline read every instance
    assert fleet.polls[-1][1] is False and fleet.polls[-1][2] == ['0', '1']
    assert fleet.polls[-1][0] == pytest.approx(30)


def test_the_wait_stops_at_the_first_poll_that_finds_every_instance_recovered():
    clock = Clock()
    fleet = Fleet(clock, {'0': 7, '1': 12}, poll_seconds=2)
    result = wait(fleet, clock, timeout=600, interval=5)
    assert result == dict(recovered=True, timed_out=False, instances=[entry('0', True), entry('1', True)],
                          polls=3, seconds=16.0)
    # polls at 0, 7 and 14 s (2 s read, 5 s pause), the wait ends with the third at 16 s; the first stopped at instance 0
    assert [(p[0], p[2]) for p in fleet.polls] == [(0, ['0']), (7, ['0', '1']), (14, ['0', '1'])]
    assert clock.sleeps == [5, 5]


def test_a_poll_that_stopped_early_and_crossed_the_deadline_is_completed_and_keeps_what_it_saw_down():
    # Instance 0 is down until 50 s; 1 and 2 are never read by the stopping polls. The poll that starts at 25 s
    # stops at 0 and ends at 45 s, after the deadline: every instance is read once more (at 45-65 s), and 0, which
    # that read finds healthy (50 s), stays down as the poll at the deadline saw it.
    clock = Clock()
    fleet = Fleet(clock, {'0': 50, '1': 0, '2': 0}, poll_seconds=20)
    result = wait(fleet, clock, timeout=30, interval=5)
    assert result['recovered'] is False and result['timed_out'] is True
    assert [(p[0], p[1], p[2]) for p in fleet.polls] == [(0, True, ['0']), (25, True, ['0']), (45, False, ['0', '1', '2'])]
    assert [(i['instance_id'], i['health_state']) for i in result['instances']] == [
        ('0', 'unhealthy'), ('1', 'healthy'), ('2', 'healthy')]
    assert result['polls'] == 3


def test_a_zero_timeout_reads_every_instance_once():
    clock = Clock()
    fleet = Fleet(clock, {'0': 0, '1': 10}, poll_seconds=1)
    result = wait(fleet, clock, timeout=0, interval=5)
    assert result['recovered'] is False and result['polls'] == 1
    assert fleet.polls == [(0, False, ['0', '1'])]
    assert clock.sleeps == []


def test_keep_seen_down_only_keeps_entries_the_partial_read_saw_unhealthy():
    partial = [entry('0', True), entry('3', False)]
    complete = [entry('0', True), entry('3', True), entry('5', False)]
    assert health_wait.keep_seen_down(partial, complete) == [entry('0', True), entry('3', False), entry('5', False)]
    no_signal = dict(entry('3', True), health_state=None)
    # without a health signal an instance counts as down only when a signal is required
    assert health_wait.keep_seen_down([no_signal], [entry('3', True)]) == [entry('3', True)]
    assert health_wait.keep_seen_down([no_signal], [entry('3', True)], require_health_signal=True) == [no_signal]
