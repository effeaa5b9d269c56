# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the gates: the budgets and the floor (a refusal exactly when the rule is broken, at the edges), the
after-batch budget, the canary, the verdict, the run window and the estimates. Each test names its rule; the rule
is computed here with exact fractions from what was drawn. Settings come from tests/unit/conftest.py."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import pytest
from fractions import Fraction

pytest.importorskip('hypothesis')

from hypothesis import given, strategies as st  # noqa: E402

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import gates
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import batches
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import schedule as scheduling
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import times
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import outcomes as window_outcomes

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
percents = st.integers(min_value=0, max_value=100)


@st.composite
def counts(draw):
    total = draw(st.integers(min_value=0, max_value=300))
    # the edges: exactly at the percent, one over, one under, all, none
    return total, draw(st.integers(min_value=0, max_value=total))


@given(counts(), percents)
def test_within_budget_exactly_when_the_share_is_at_most_the_percent(count_pair, percent):
    total, unhealthy = count_pair
    expected = unhealthy == 0 if total == 0 else Fraction(unhealthy, total) <= Fraction(percent, 100)
    assert gates.within_budget(unhealthy, total, percent) is expected


@given(counts(), st.integers(min_value=1, max_value=100), st.one_of(st.none(), st.integers(min_value=1, max_value=50)))
def test_the_unhealthy_budget_refuses_exactly_when_more_than_the_percent_is_unhealthy(count_pair, percent, batch):
    total, unhealthy = count_pair
    ids = [str(i) for i in range(unhealthy)]
    health = dict(instances=total, unhealthy=unhealthy, unhealthy_ids=ids)
    refusal = gates.unhealthy_budget_refusal(health, percent, batch)
    broken = Fraction(unhealthy, total) > Fraction(percent, 100) if total else unhealthy > 0
    assert bool(refusal) is broken
    if refusal:
        assert 'max_unhealthy_instance_percent %d%%' % percent in refusal


@given(st.data())
def test_the_floor_refuses_exactly_when_the_batch_would_leave_fewer_healthy_than_it(data):
    total = data.draw(st.integers(min_value=0, max_value=100))
    ids = [str(i) for i in range(total)]
    unhealthy = data.draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    batch = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=20)) if ids else []
    floor = data.draw(st.integers(min_value=0, max_value=110))
    refusal = gates.min_healthy_refusal(dict(instances=total, unhealthy_ids=unhealthy), batch, floor)
    healthy_left = total - len(unhealthy) - len([i for i in batch if i not in unhealthy])
    assert bool(refusal) is (floor > 0 and healthy_left < floor)


@st.composite
def batch_records(draw):
    records, next_id = [], 0
    for number in range(1, draw(st.integers(min_value=1, max_value=6)) + 1):
        size = draw(st.integers(min_value=1, max_value=8))
        ids = [str(i) for i in range(next_id, next_id + size)]
        next_id += size
        outcome = draw(st.sampled_from([batches.HEALTHY, batches.UNHEALTHY, batches.FAILED,
                                        batches.HEALTH_UNKNOWN]))
        record = dict(number=number, instance_ids=ids, outcome=outcome)
        if outcome == batches.FAILED:
            record.update(maintained_instance_ids=[], error='boom')
        else:
            record['maintained_instance_ids'] = ids
            stuck = draw(st.lists(st.sampled_from(ids), unique=True)) if outcome == batches.UNHEALTHY else []
            failed = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
            record.update(unhealthy_after=stuck, instance_outcomes=[
                dict(instance_id=i, outcome='failed' if i in failed else 'maintained', reason='r') for i in ids])
        records.append(record)
    return records


@given(batch_records(), st.integers(min_value=0, max_value=100))
def test_the_after_batch_budget_stops_exactly_when_broken(records, percent):
    # Stop after a batch whose maintenance failed or whose health is unknown, or when more than the percent of
    # the instances maintained so far are unhealthy after it or failed by Azure's report.
    refusal = gates.after_batch_refusal(records, percent, 60)
    last = records[-1]
    maintained = [i for r in records for i in r.get('maintained_instance_ids') or []]
    counted = set(i for r in records for i in r.get('unhealthy_after') or [])
    counted |= set(o['instance_id'] for r in records for o in r.get('instance_outcomes') or [] if o['outcome'] == 'failed')
    if last['outcome'] in (batches.FAILED, batches.HEALTH_UNKNOWN):
        assert refusal
    elif not maintained:
        assert bool(refusal) is bool(counted)
    else:
        assert bool(refusal) is (Fraction(len(counted), len(maintained)) > Fraction(percent, 100))


@given(st.lists(st.sampled_from(['0', '1', '2', '3', '4']), unique=True),
       st.lists(st.sampled_from(['0', '1', '2', '3', '9']), unique=True), st.integers(min_value=0, max_value=3600))
def test_the_canary_refuses_exactly_when_a_batch_one_instance_is_unhealthy_after_its_pause(first, sick, pause):
    refusal = gates.canary_refusal(dict(unhealthy_ids=sick), first, 'PT%dS' % pause)
    assert bool(refusal) is (pause > 0 and bool(set(first) & set(sick)))


@given(st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=7200),
       st.integers(min_value=0, max_value=7200))
def test_the_canary_pause_holds_batch_two_only(number, pause, canary):
    wait = scheduling.pause_before_batch(number, pause, 'PT%dS' % canary)
    assert wait == (0 if number == 1 else max(pause, canary) if number == 2 else pause)


outcome_entries = st.lists(st.fixed_dictionaries(dict(
    instance_id=st.sampled_from([str(i) for i in range(30)]),
    outcome=st.sampled_from([window_outcomes.MAINTAINED, window_outcomes.FAILED, window_outcomes.NOT_CONFIRMED]),
    reason=st.just('r'), healthy=st.booleans())), unique_by=lambda o: o['instance_id'], max_size=20)


@given(outcome_entries, st.booleans())
def test_the_verdict_is_success_only_when_every_maintained_instance_is_proven_maintained_and_healthy(outcomes, strict):
    verdict = window_outcomes.verdict(outcomes, strict)
    proven = all(o['outcome'] == window_outcomes.MAINTAINED and o['healthy'] for o in outcomes)
    assert verdict['ok'] is proven
    assert verdict['failed'] is (not proven and strict)
    assert set(verdict['instance_ids']) == set(o['instance_id'] for o in outcomes
                                               if o['outcome'] != window_outcomes.MAINTAINED or not o['healthy'])


@given(now_s=st.integers(min_value=0, max_value=86400), window_s=st.integers(min_value=-3600, max_value=86400),
       minutes=st.integers(min_value=1, max_value=240), pause=st.integers(min_value=0, max_value=7200),
       planned_s=st.one_of(st.none(), st.integers(min_value=0, max_value=86400)))
def test_a_batch_starts_only_when_its_estimated_end_is_within_the_run_window(now_s, window_s, minutes, pause, planned_s):
    now = T0 + datetime.timedelta(seconds=now_s)
    window_end = T0 + datetime.timedelta(seconds=window_s)
    batch = dict(estimated_start=times.format_time(T0 + datetime.timedelta(seconds=planned_s))) if planned_s is not None else None
    start = max([now + datetime.timedelta(seconds=pause)] + ([T0 + datetime.timedelta(seconds=planned_s)] if batch else []))
    fits = scheduling.next_batch_fits(now.isoformat(), window_end.isoformat(), minutes, batch, pause)
    assert fits is (start + datetime.timedelta(minutes=minutes) <= window_end)


@st.composite
def scheduled(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    fleet, batches = [], []
    for number in range(1, count + 1):
        ids = [str(number * 10 + k) for k in range(draw(st.integers(min_value=1, max_value=3)))]
        batches.append(dict(number=number, zone=None, instance_ids=ids, update_domains=[]))
        for i in ids:
            hours = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=48)))
            fleet.append(dict(instance_id=i, maintenance=dict(pre_maintenance_window_end_time=(
                T0 + datetime.timedelta(hours=hours)).isoformat() if hours is not None else None)))
    return dict(batches=batches), fleet


@given(scheduled(), st.integers(min_value=1, max_value=180), st.integers(min_value=0, max_value=3600),
       st.one_of(st.none(), st.integers(min_value=0, max_value=48 * 60)))
def test_the_estimates_chain_batches_and_warn_exactly_for_deadlines_they_miss(plan_fleet, minutes, pause, window_min):
    plan, fleet = plan_fleet
    window_end = T0 + datetime.timedelta(minutes=window_min) if window_min is not None else None
    out = scheduling.schedule(plan, fleet, T0.isoformat(), minutes, pause, window_end)
    at, missed = T0, set()
    deadline_of = dict((i['instance_id'], i['maintenance']['pre_maintenance_window_end_time']) for i in fleet)
    for entry in out['batches']:
        end = at + datetime.timedelta(minutes=minutes)
        assert entry['estimated_start'] == times.format_time(at) and entry['estimated_end'] == times.format_time(end)
        assert entry['in_run_window'] is (window_end is None or end <= window_end)
        for i in entry['instance_ids']:
            if deadline_of[i] and end > datetime.datetime.fromisoformat(deadline_of[i]):
                missed.add(i)
        at = end + datetime.timedelta(seconds=pause)
    assert set(w['instance_id'] for w in out['deadline_warnings']) == missed
