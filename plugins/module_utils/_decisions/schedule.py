# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Maintenance windows as pure functions: each instance's self-service deadline, the estimate of a plan
against the clock, the deadline warnings, the run window, the pause between update domains, and the proof
that Azure completed an instance's maintenance.

Azure gives each VM of a maintenance wave a self-service window (``preMaintenanceWindowStartTime`` /
``EndTime``, typically about 35 days); after it, Azure maintains the VM itself in the scheduled window
(``maintenanceWindowStartTime`` / ``EndTime``), update domain by update domain, at least 30 minutes apart.
The end of the self-service window is the instance's deadline: after it, performMaintenance is refused.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import math

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    deadline, instance_sort_key)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import format_time
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.outcomes import maintained_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.variables import (
    as_time, batch_minutes, DEFAULT_BATCH_MINUTES, iso8601_seconds, not_after)


def pause_seconds(pause_time_between_batches_seconds=0, update_domain_pause_seconds=0):
    """The wait after a batch is healthy again: the longer of the two pauses (both count from then)."""
    return max(float(pause_time_between_batches_seconds or 0), float(update_domain_pause_seconds or 0))


def schedule(plan, instances, start, expected_batch_minutes=DEFAULT_BATCH_MINUTES, pause=0, window_end=None):
    """The plan against the clock.

    ``plan`` is what planning.plan_batches returns, ``instances`` the fleet it was made from, ``start``
    when the first batch starts, ``pause`` the seconds between batches (pause_seconds()), ``window_end``
    the end of the run window (not_after()) or None.

    Returns ``batches``: copies of the plan's batches with ``deadline`` (the earliest deadline the batch
    serves), ``estimated_start`` and ``estimated_end``, and ``in_run_window`` (False for a batch whose
    estimated end is after the run window: it is left for the next window); ``deadline_warnings``: one
    entry per instance whose batch is estimated to end after its deadline ({instance_id, deadline, batch,
    estimated_end}), in batch order; ``estimated_end``: that of the last batch in the run window.
    """
    minutes = batch_minutes(expected_batch_minutes)
    length = datetime.timedelta(minutes=minutes)
    gap = datetime.timedelta(seconds=float(pause or 0))
    by_id = dict((i.get('instance_id'), i) for i in instances)
    at = as_time(start, 'the run start')
    window_end = as_time(window_end, 'the end of the run window') if window_end is not None else None
    batches, warnings, last_end = [], [], None
    for batch in plan.get('batches') or []:
        end = at + length
        deadlines = [(deadline(by_id.get(i) or {}), i) for i in batch['instance_ids']]
        known = [when for when, _i in deadlines if when is not None]
        entry = dict(batch)
        entry.update(deadline=format_time(min(known)) if known else None, estimated_start=format_time(at),
                     estimated_end=format_time(end), in_run_window=window_end is None or end <= window_end)
        batches.append(entry)
        if entry['in_run_window']:
            last_end = end
        for when, instance_id in deadlines:
            if when is not None and end > when:
                warnings.append(dict(instance_id=instance_id, deadline=format_time(when), batch=batch['number'],
                                     estimated_end=format_time(end)))
        at = end + gap
    return dict(batches=batches, deadline_warnings=warnings, estimated_end=format_time(last_end))


def next_batch_fits(now, window_end, expected_batch_minutes=DEFAULT_BATCH_MINUTES, batch=None, pause=0):
    """True when the next batch is estimated to end by the end of the run window (or there is none).

    The batch starts after ``pause`` seconds from ``now``, and never earlier than the plan's
    ``estimated_start`` for it (``batch`` as schedule() returns it): a run that goes faster than the estimate
    keeps to the plan, so the plan printed before the first batch says which batches this window holds.
    """
    if window_end is None:
        return True
    start = as_time(now, 'now') + datetime.timedelta(seconds=float(pause or 0))
    planned = (batch or {}).get('estimated_start')
    if planned:
        start = max(start, as_time(planned, 'the estimated start of the batch'))
    end = start + datetime.timedelta(minutes=batch_minutes(expected_batch_minutes))
    return end <= as_time(window_end, 'the end of the run window')


def window_stop(window_end, left_ids, fail_at_window_end=False):
    """The run window stops the run: ``{'failed', 'message'}`` naming the remaining ids."""
    message = ('The run window ends at %s (safe_maintenance_not_after) and the next batch is estimated to end '
               'later: left for the next window: %s. Run the role again in the next window to continue.' % (
                   format_time(as_time(window_end, 'the end of the run window')),
                   ', '.join(sorted(left_ids, key=instance_sort_key)) or 'none'))
    return dict(failed=bool(fail_at_window_end), message=message)


def scheduled_plan(plan, instances, start, expected_batch_minutes=DEFAULT_BATCH_MINUTES, pause_time_between_batches='PT0S',
                   update_domain_pause=None, not_after_value=None, run_start=None):
    """The plan with its times: a copy of ``plan`` whose batches carry ``deadline``, ``estimated_start``,
    ``estimated_end`` and ``in_run_window`` (schedule()), plus ``deadline_warnings``, ``estimated_end``,
    ``expected_batch_minutes``, ``pause_seconds`` (the wait after a healthy batch: the longer of
    ``pause_time_between_batches`` and ``update_domain_pause``), ``update_domain_pause`` and ``run_window_end``
    (``not_after_value`` from ``run_start``, or None). ``start`` is when the first batch starts."""
    ud_pause = update_domain_pause or None
    # whole seconds, rounded up: what the role waits
    pause = int(math.ceil(pause_seconds(
        iso8601_seconds(pause_time_between_batches or 'PT0S', 'pause_time_between_batches'),
        iso8601_seconds(ud_pause, 'safe_maintenance_update_domain_pause') if ud_pause else 0)))
    window_end = not_after(not_after_value, run_start or start)
    timed = schedule(plan, instances, start, expected_batch_minutes, pause, window_end)
    result = dict(plan)
    result.update(batches=timed['batches'], deadline_warnings=timed['deadline_warnings'],
                  estimated_end=timed['estimated_end'], expected_batch_minutes=batch_minutes(expected_batch_minutes),
                  pause_seconds=pause, update_domain_pause=ud_pause, run_window_end=format_time(window_end))
    return result


def window_stop_message(batch, now, plan, records=()):
    """Before a batch: ``''`` when it may start, else why not and what is left (the run window is over).

    ``batch`` and ``plan`` are as scheduled_plan() returns them, ``records`` the batch records so far.
    """
    if not plan.get('run_window_end'):
        return ''
    pause = (plan.get('pause_seconds') or 0) if batch.get('number', 1) > 1 else 0
    if next_batch_fits(now, plan['run_window_end'], plan.get('expected_batch_minutes', DEFAULT_BATCH_MINUTES),
                       batch, pause):
        return ''
    done = set(maintained_ids(records))
    left = [i for i in plan.get('eligible') or [] if i not in done]
    return window_stop(plan['run_window_end'], left)['message']


def pause_before_batch(number, pause_seconds, canary_pause='PT0S', name='safe_maintenance_canary_pause'):
    """Seconds to wait before batch ``number``: the pause between batches, and before batch 2 at least the
    canary pause (the bake time of batch 1). Batch 1 starts at once."""
    number = int(number)
    if number <= 1:
        return 0
    pause = int(math.ceil(float(pause_seconds or 0)))
    if number == 2:
        pause = max(pause, int(math.ceil(iso8601_seconds(canary_pause or 'PT0S', name))))
    return pause


# The pace of the alert reads while the gate holds, when safe_maintenance_poll_interval leaves it to the role:
# one ARM read per 30 s is nothing against ARM's 12,000 reads an hour.
ALERT_POLL_SECONDS = 30


def alert_polls(alert_wait, poll_interval=0, name='safe_maintenance_alert_wait'):
    """``{'retries', 'delay'}`` for reading the alerts until they clear: reads ``delay`` seconds apart
    (poll_interval when set, else 30) for up to ``alert_wait`` (ISO 8601)."""
    wait = iso8601_seconds(alert_wait, name)
    delay = int(poll_interval) if int(poll_interval or 0) > 0 else ALERT_POLL_SECONDS
    return dict(retries=int(math.ceil(wait / float(delay))), delay=delay, seconds=wait)


def wait_over(now, deadline, delay):
    """Whether a wait that reads every ``delay`` seconds until ``deadline`` is over at ``now`` (both epoch seconds,
    ``now`` taken after a read): the next read would start after the deadline.

    A wait of retries x delay counts reads, and every read is a module process of a second or more, so it overran
    its time by that much per read. The role's waits end on this clock test instead (``retries`` only a cap that
    fast reads could reach): no read starts after the deadline, so the wait ends within one read of it.
    """
    return float(now) + max(0.0, float(delay)) > float(deadline)
