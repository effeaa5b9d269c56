# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the lease decisions (lease.py) and of time parsing, over random interleavings and values.

The lease is modelled as maintenance_lease runs it: read the tag, decide_acquire, write our value, back off when
read-to-write took longer than confirm_delay (write_was_slow, deleting our value), else wait confirm_delay and read
back; hold while our value is there and live, release by name and value. The tag is one value that the last write
sets (ARM's tags have no compare-and-swap). Settings come from tests/unit/conftest.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import heapq
import pytest

pytest.importorskip('hypothesis')

from hypothesis import given, strategies as st  # noqa: E402

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import lease_record as leases
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import times
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import variables as role_variables

CONFIRM = 5
DURATION = 120


@st.composite
def runs(draw, slow_writes=False):
    count = draw(st.integers(min_value=2, max_value=5))
    out = []
    for number in range(count):
        out.append(dict(
            run_id='run-%d' % number,
            read_at=draw(st.integers(min_value=0, max_value=300)),
            # read to the end of the write: within confirm_delay unless slow writes are drawn
            write_takes=draw(st.integers(min_value=0, max_value=3 * CONFIRM if slow_writes else CONFIRM)),
            holds_for=draw(st.integers(min_value=0, max_value=2 * DURATION))))
    return out


def interleave(drawn):
    """Run every acquire to its end, steps in time order (ties in the order drawn). Returns each run's holding
    interval [confirmed, end) (end: its release or its lease's expiry, whichever is first) and its outcome."""
    tag = [None]
    events = []
    for order, run in enumerate(drawn):
        heapq.heappush(events, (run['read_at'], order, 'read', run))
    held, outcome = {}, {}
    while events:
        now, order, step, run = heapq.heappop(events)
        mine = leases.format_lease(run['run_id'], 'owner', run.get('expires', 0)) if 'expires' in run else None
        if step == 'read':
            decision = leases.decide_acquire(leases.parse_lease(tag[0]), run['run_id'], now)
            if decision['action'] != leases.TAKE:
                outcome[run['run_id']] = decision['outcome']
                continue
            heapq.heappush(events, (now + run['write_takes'], order, 'write', run))
        elif step == 'write':
            run['expires'] = now + DURATION
            tag[0] = leases.format_lease(run['run_id'], 'owner', run['expires'])
            if leases.write_was_slow(CONFIRM, run['write_takes']):
                if tag[0] == leases.format_lease(run['run_id'], 'owner', run['expires']):
                    tag[0] = None  # back off: delete our value (by name and value)
                outcome[run['run_id']] = 'backed_off'
                continue
            heapq.heappush(events, (now + CONFIRM, order, 'confirm', run))
        elif step == 'confirm':
            if tag[0] != mine:
                outcome[run['run_id']] = 'lost_race'
                continue
            outcome[run['run_id']] = 'held'
            end = min(now + run['holds_for'], run['expires'])
            held[run['run_id']] = (now, end)
            heapq.heappush(events, (now + run['holds_for'], order, 'release', run))
        elif step == 'release':
            decision = leases.decide_release(leases.parse_lease(tag[0]), run['run_id'])
            if decision['action'] == leases.RELEASE:
                tag[0] = None
    return held, outcome


@given(runs())
def test_at_most_one_run_holds_the_lease_at_any_moment(drawn):
    # Rule: of runs that each take at most confirm_delay from their read to the end of their write (the module
    # backs off otherwise), at most one holds the lease at any moment, for any interleaving of acquire and release
    # and expiry.
    held, outcome = interleave(drawn)
    spans = sorted(held.values())
    for (start_a, end_a), (start_b, _end_b) in zip(spans, spans[1:]):
        assert start_b >= end_a, 'two runs hold the lease at once: %r (%r)' % (held, outcome)
    assert set(outcome.values()) <= {'held', 'lost_race', 'refused', 'backed_off', 'took_over_expired', 'acquired'}


@given(runs(slow_writes=True))
def test_a_run_slower_than_confirm_delay_never_holds(drawn):
    held, outcome = interleave(drawn)
    for run in drawn:
        if run['write_takes'] > CONFIRM and run['run_id'] in outcome:
            assert run['run_id'] not in held


@given(st.integers(min_value=0, max_value=4102444800), st.integers(min_value=-1000, max_value=1000))
def test_a_live_lease_is_never_taken_without_break_and_an_expired_one_always_is(expires, offset):
    now = expires + offset
    lease = leases.parse_lease(leases.format_lease('holder', 'someone', expires))
    other = leases.decide_acquire(lease, 'other', now)
    assert (other['action'] == leases.TAKE) is (now >= expires)
    assert leases.decide_acquire(lease, 'other', now, break_lease='holder')['action'] == leases.TAKE
    assert leases.decide_acquire(lease, 'other', now, break_lease='third')['action'] == (
        leases.TAKE if now >= expires else leases.REFUSE)
    assert leases.decide_release(lease, 'other')['action'] == leases.NOTHING  # never delete another run's lease
    assert leases.decide_release(lease, 'holder')['action'] == leases.RELEASE


@given(st.integers(min_value=0, max_value=4102444800), st.booleans())
def test_lease_values_and_times_round_trip(epoch, repairs):
    value = leases.format_lease('run-1', 'me@host', epoch, repairs)
    parsed = leases.parse_lease(value)
    assert times.parse_epoch(parsed['expires']) == epoch
    assert parsed['run_id'] == 'run-1' and parsed['repairs_suspended'] is repairs


@given(st.text(max_size=80))
def test_an_unreadable_lease_value_reads_as_expired_never_as_live(value):
    parsed = leases.parse_lease(value)
    if parsed is not None and parsed['expires'] is None:
        assert leases.lease_state(parsed, 0) == leases.EXPIRED


@given(st.integers(min_value=0, max_value=99), st.integers(min_value=0, max_value=99), st.integers(min_value=0, max_value=999),
       st.integers(min_value=0, max_value=99999), st.booleans())
def test_iso8601_durations_parse_to_their_seconds(days, hours, minutes, seconds, lower):
    text = 'P%dDT%dH%dM%dS' % (days, hours, minutes, seconds)
    expected = days * 86400 + hours * 3600 + minutes * 60 + seconds
    assert role_variables.iso8601_seconds(text.lower() if lower else text) == expected
    if hours or minutes or seconds:
        assert role_variables.iso8601_seconds('PT%dS' % expected) == expected


@given(st.sampled_from(['P1Y', 'P1W', 'P1M', 'PT', 'P', '1H', 'PT-5S', 'PT1.5.2S', '', 'T5S']))
def test_ambiguous_or_malformed_durations_are_refused(text):
    with pytest.raises(role_variables.PlanningError):
        role_variables.iso8601_seconds(text)


@given(st.datetimes(min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1)),
       st.integers(min_value=-14 * 60, max_value=14 * 60), st.integers(min_value=0, max_value=9999999),
       st.sampled_from([1, 3, 6, 7]))
def test_arm_times_with_an_offset_and_up_to_seven_fraction_digits_parse_to_the_same_instant(
        moment, offset_min, fraction, digits):
    zone = datetime.timezone(datetime.timedelta(minutes=offset_min))
    moment = moment.replace(microsecond=0, tzinfo=zone)
    fraction_text = ('%07d' % fraction)[:digits]
    sign = '+' if offset_min >= 0 else '-'
    text = '%s.%s%s%02d:%02d' % (
        moment.strftime('%Y-%m-%dT%H:%M:%S'), fraction_text, sign, abs(offset_min) // 60, abs(offset_min) % 60)
    parsed = times.parse_time(text)
    expected = moment + datetime.timedelta(microseconds=int(fraction_text.ljust(6, '0')[:6]))
    assert parsed == expected
    assert times.format_time(parsed) == (expected.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))


@given(st.integers(min_value=0, max_value=24 * 3600), st.sampled_from(['Z', '+01:00', '-05:30', '']))
def test_the_run_window_needs_an_offset_or_a_duration(seconds, suffix):
    start = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    assert role_variables.not_after('PT%dS' % seconds, start.isoformat()) == start + datetime.timedelta(seconds=seconds)
    text = '2026-12-02T05:00:00' + suffix
    if suffix:
        assert role_variables.not_after(text, start.isoformat()) == datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    else:
        with pytest.raises(role_variables.PlanningError):
            role_variables.not_after(text, start.isoformat())
