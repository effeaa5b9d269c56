# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the maintenance plan (planning.plan_batches), over random fleets and policies.

Each test names the rule it checks. The fleets are drawn here, with each instance's zone, update domain, health and
deadline known to the test, so the rules are checked against what was drawn, not against the plan's own keys.
Settings (derandomized, no database, no deadline) come from tests/unit/conftest.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import math
import pytest

hypothesis = pytest.importorskip('hypothesis')

from hypothesis import given, strategies as st  # noqa: E402

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import plan as planning
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import health as instance_health

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)
KINDS = ('eligible', 'eligible', 'eligible', 'maintained', 'no_wave', 'retry_later', 'not_open')


@st.composite
def instances(draw, max_size=60):
    count = draw(st.integers(min_value=1, max_value=max_size))
    zoned = draw(st.booleans())
    out = []
    for number in range(count):
        kind = draw(st.sampled_from(KINDS))
        deadline_hours = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=24 * 14)))
        maintenance = None
        if kind != 'no_wave':
            end = NOW + datetime.timedelta(hours=deadline_hours) if deadline_hours else None
            start = NOW + datetime.timedelta(hours=2) if kind == 'not_open' else NOW - datetime.timedelta(days=1)
            maintenance = dict(
                is_customer_initiated_maintenance_allowed=kind == 'eligible',
                pre_maintenance_window_start_time=start.isoformat(),
                pre_maintenance_window_end_time=end.isoformat() if end else None,
                last_operation_result_code={'maintained': 'MaintenanceCompleted',
                                            'retry_later': 'RetryLater'}.get(kind, 'None'))
        out.append(dict(
            instance_id=str(number),
            zone=draw(st.sampled_from(['1', '2', '3'])) if zoned else None,
            platform_update_domain=draw(st.integers(min_value=0, max_value=4)),
            platform_fault_domain=draw(st.integers(min_value=0, max_value=2)),
            power_state=draw(st.sampled_from(['running', 'running', 'running', 'stopped'])),
            health_state=draw(st.sampled_from(['healthy', 'healthy', 'unhealthy', None])),
            maintenance=maintenance,
            _deadline=(0, deadline_hours) if maintenance and deadline_hours else (1, 0),
            _kind=kind))
    return out


batch_sizes = st.one_of(st.none(), st.lists(st.one_of(
    st.integers(min_value=1, max_value=30), st.integers(min_value=1, max_value=100).map(lambda p: '%d%%' % p)),
    min_size=1, max_size=4))


def make_plan(fleet, percent, sizes, cross_zone=False, one_ud=False, unhealthy_first=False):
    return planning.plan_batches(fleet, max_batch_instance_percent=percent, batch_sizes=sizes, now=NOW,
                                 enable_cross_zone_upgrade=cross_zone, one_update_domain_per_batch=one_ud,
                                 prioritize_unhealthy_instances=unhealthy_first)


@given(fleet=instances(), percent=st.integers(min_value=1, max_value=100), sizes=batch_sizes,
       cross_zone=st.booleans(), one_ud=st.booleans(), unhealthy_first=st.booleans())
def test_every_eligible_instance_is_in_exactly_one_batch_and_nothing_else_is(fleet, percent, sizes, cross_zone,
                                                                             one_ud, unhealthy_first):
    plan = make_plan(fleet, percent, sizes, cross_zone, one_ud, unhealthy_first)
    planned = [i for batch in plan['batches'] for i in batch['instance_ids']]
    eligible = sorted(i['instance_id'] for i in fleet if i['_kind'] == 'eligible')
    assert sorted(planned) == eligible
    assert len(planned) == len(set(planned))
    assert [b['number'] for b in plan['batches']] == list(range(1, len(plan['batches']) + 1))
    assert all(b['instance_ids'] for b in plan['batches']), 'an empty batch'


@given(fleet=instances(), percent=st.integers(min_value=1, max_value=100), sizes=batch_sizes,
       cross_zone=st.booleans(), one_ud=st.booleans())
def test_no_batch_is_over_the_percent_of_all_instances_or_its_stepped_size(fleet, percent, sizes, cross_zone, one_ud):
    plan = make_plan(fleet, percent, sizes, cross_zone, one_ud)
    cap = max(1, (len(fleet) * percent) // 100)  # the percent of ALL instances, rounded down, at least one
    steps = []
    for item in sizes or []:
        text = str(item)
        step = max(1, (len(fleet) * int(text[:-1])) // 100) if text.endswith('%') else int(text)
        steps.append(min(step, cap))
    for batch in plan['batches']:
        assert len(batch['instance_ids']) <= cap
        if steps:
            assert len(batch['instance_ids']) <= steps[min(batch['number'], len(steps)) - 1]


@given(fleet=instances(), sizes=batch_sizes)
def test_the_canary_batch_is_the_first_step_and_comes_first(fleet, sizes):
    # With steps such as [1, 5, "20%"], batch 1 (the canary) holds at most the first step's instances.
    plan = make_plan(fleet, 100, sizes)
    if plan['batches'] and sizes:
        first = str(sizes[0])
        limit = max(1, len(fleet) * int(first[:-1]) // 100) if first.endswith('%') else int(first)
        assert plan['batches'][0]['number'] == 1
        assert len(plan['batches'][0]['instance_ids']) <= limit


@given(fleet=instances(), percent=st.integers(min_value=1, max_value=100), sizes=batch_sizes, one_ud=st.booleans())
def test_no_batch_spans_two_zones_unless_cross_zone_is_allowed(fleet, percent, sizes, one_ud):
    plan = make_plan(fleet, percent, sizes, cross_zone=False, one_ud=one_ud)
    zone_of = dict((i['instance_id'], i['zone']) for i in fleet)
    for batch in plan['batches']:
        zones = set(zone_of[i] for i in batch['instance_ids'])
        assert len(zones) == 1 and batch['zone'] in zones


@given(fleet=instances(), percent=st.integers(min_value=1, max_value=100), sizes=batch_sizes,
       cross_zone=st.booleans())
def test_one_update_domain_per_batch_when_asked(fleet, percent, sizes, cross_zone):
    plan = make_plan(fleet, percent, sizes, cross_zone=cross_zone, one_ud=True)
    ud_of = dict((i['instance_id'], i['platform_update_domain']) for i in fleet)
    for batch in plan['batches']:
        assert len(set(ud_of[i] for i in batch['instance_ids'])) == 1
        assert batch['update_domains'] == [ud_of[batch['instance_ids'][0]]]


@given(fleet=instances(), percent=st.integers(min_value=1, max_value=100), sizes=batch_sizes,
       cross_zone=st.booleans(), one_ud=st.booleans())
def test_deadline_first_each_batch_serves_the_earliest_deadline_left(fleet, percent, sizes, cross_zone, one_ud):
    # The earliest deadline among the instances not yet maintained is always in the next batch (no deadline: last).
    plan = make_plan(fleet, percent, sizes, cross_zone, one_ud)
    deadline_of = dict((i['instance_id'], i['_deadline']) for i in fleet)
    batches = plan['batches']
    for position, batch in enumerate(batches):
        left = [deadline_of[i] for later in batches[position:] for i in later['instance_ids']]
        assert min(deadline_of[i] for i in batch['instance_ids']) == min(left)


@given(fleet=instances(), percent=st.integers(min_value=1, max_value=100), cross_zone=st.booleans())
def test_unhealthy_first_when_asked_batch_one_holds_an_unhealthy_instance(fleet, percent, cross_zone):
    plan = make_plan(fleet, percent, None, cross_zone, unhealthy_first=True)
    sick = set(i['instance_id'] for i in fleet if i['_kind'] == 'eligible' and instance_health.is_unhealthy(i))
    if sick:
        assert sick & set(plan['batches'][0]['instance_ids'])


@given(total=st.integers(min_value=0, max_value=1000), percent=st.integers(min_value=1, max_value=100))
def test_batch_size_is_the_percent_rounded_down_at_least_one(total, percent):
    size = planning.batch_size(total, percent)
    assert size == max(1, int(math.floor(total * percent / 100.0)))
    assert size >= 1 and (size == 1 or size * 100 <= total * percent)


@given(total=st.integers(min_value=1, max_value=500), percent=st.integers(min_value=1, max_value=100), sizes=batch_sizes)
def test_stepped_sizes_never_exceed_the_percent_and_the_last_repeats(total, percent, sizes):
    steps = planning.batch_size_steps(total, sizes, percent)
    cap = planning.batch_size(total, percent)
    assert steps and all(1 <= s <= cap for s in steps)
    assert planning.size_of_batch(len(steps) + 7, steps) == steps[-1]
