# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token bucket that paces per-VM writes and polls, on a fake clock (no real waiting)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.pacing import (
    retry_after_seconds, TokenBucket)


class Clock(object):
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_a_burst_goes_at_once_then_the_rate_holds():
    clock = Clock()
    bucket = TokenBucket(3, 2.0, clock=clock, sleep=clock.sleep)
    for _burst in range(3):
        assert bucket.acquire() == 0.0
    assert clock.now == 100.0
    bucket.acquire()
    bucket.acquire()
    assert clock.sleeps == [0.5, 0.5], 'then one every 1/rate seconds'
    assert round(bucket.waited, 6) == 1.0


def test_tokens_come_back_with_time_but_never_beyond_the_capacity():
    clock = Clock()
    bucket = TokenBucket(2, 1.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.acquire()
    clock.now += 60  # a long pause refills to 2, not 60
    for _refilled in range(2):
        assert bucket.acquire() == 0.0
    bucket.acquire()
    assert clock.sleeps == [1.0]


def test_retry_after_blocks_everyone_until_it_has_passed():
    clock = Clock()
    blocked = [107.5]
    bucket = TokenBucket(10, 1.0, blocked_until=lambda: blocked[0], clock=clock, sleep=clock.sleep)
    bucket.acquire()
    assert clock.now >= 107.5
    assert clock.sleeps[0] == 7.5


def test_retry_after_seconds_reads_azure_cores_headers():
    assert retry_after_seconds({'Retry-After': '7'}) == 7.0
    assert retry_after_seconds({'retry-after-ms': '250', 'Retry-After': '7'}) == 0.25
    assert retry_after_seconds({'x-ms-retry-after-ms': '1500'}) == 1.5
    assert retry_after_seconds({'Retry-After': '0'}, default=15) == 15, 'zero is unsaid, as azure-core reads it'
    assert retry_after_seconds({'Retry-After': 'Wed, 21 Oct 2026 07:28:00 GMT'}, default=15) == 15
    assert retry_after_seconds({}) is None
