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
import re

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.arguments import instance_sort_key
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import deadline
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import parse_time, format_time
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.plan import (
    PlanningError, iso8601_seconds)

# Azure documents no duration for a self-service maintenance beyond "up to several minutes" of
# unavailability, but its own scheduled maintenance leaves at least 30 minutes per update domain (and names
# "more than 30 minutes between update domains" as a reason to self-serve): the estimate of one batch,
# maintenance plus recovery, starts from the same figure.
DEFAULT_BATCH_MINUTES = 30

# What Azure reports in lastOperationResultCode (MaintenanceOperationResultCodeTypes).
COMPLETED = 'MaintenanceCompleted'
FAILED_CODES = ('RetryLater', 'MaintenanceAborted')

# Per-instance outcomes of a run.
MAINTAINED = 'maintained'
FAILED = 'failed'
NOT_CONFIRMED = 'not_confirmed'

_UTC = datetime.timezone.utc
_OFFSET = re.compile(r'(?:[zZ]|[+-]\d{2}:?\d{2})$')


def _as_time(value, name='time'):
    """A datetime (naive = UTC) or an ISO 8601 string (``Z`` or an offset) -> an aware datetime."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_UTC)
    parsed = parse_time(value)
    if parsed is None:
        raise PlanningError('%s must be an ISO 8601 date-time, not %r' % (name, value))
    return parsed


def batch_minutes(value, name='safe_maintenance_expected_batch_minutes'):
    """How long one batch is expected to take, in minutes: a number greater than 0."""
    try:
        minutes = float(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        minutes = None
    if minutes is None or math.isnan(minutes) or math.isinf(minutes) or minutes <= 0:
        raise PlanningError('%s must be a number of minutes greater than 0 (for example %d), not %r'
                            % (name, DEFAULT_BATCH_MINUTES, value))
    return minutes


def not_after(value, run_start, name='safe_maintenance_not_after'):
    """The end of the run window: an ISO 8601 date-time with a UTC offset, or an ISO 8601 duration from
    ``run_start`` (``PT4H``). None or '' means no run window."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.upper().startswith('P'):
        try:
            return _as_time(run_start, 'the run start') + datetime.timedelta(seconds=iso8601_seconds(text, name))
        except PlanningError as exc:
            raise PlanningError('%s; or give an ISO 8601 date-time with an offset' % exc)
    parsed = parse_time(text) if isinstance(text, str) and 'T' in text.upper() else None
    if parsed is not None and not _OFFSET.search(text):
        raise PlanningError('%s %r has no UTC offset: add one (2026-12-01T22:00:00+01:00 or ...Z) so the run '
                            'window does not depend on the time zone of the controller' % (name, value))
    if parsed is None:
        raise PlanningError('%s must be an ISO 8601 date-time with an offset (2026-12-01T22:00:00+01:00) or '
                            'a duration from the start of the run (PT4H), not %r' % (name, value))
    return parsed


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
    at = _as_time(start, 'the run start')
    window_end = _as_time(window_end, 'the end of the run window') if window_end is not None else None
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


def describe_deadline_warnings(warnings):
    """One sentence naming every instance the plan cannot maintain by its deadline, or ''."""
    if not warnings:
        return ''
    return ('The plan cannot maintain %d instance(s) by their self-service deadline; after it Azure maintains '
            'them in its scheduled window at a time it chooses: %s.' % (len(warnings), '; '.join(
                '%s (deadline %s, batch %s estimated to end %s)' % (
                    w['instance_id'], w['deadline'], w['batch'], w['estimated_end']) for w in warnings)))


def next_batch_fits(now, window_end, expected_batch_minutes=DEFAULT_BATCH_MINUTES, batch=None, pause=0):
    """True when the next batch is estimated to end by the end of the run window (or there is none).

    The batch starts after ``pause`` seconds from ``now``, and never earlier than the plan's
    ``estimated_start`` for it (``batch`` as schedule() returns it): a run that goes faster than the estimate
    keeps to the plan, so the plan printed before the first batch says which batches this window holds.
    """
    if window_end is None:
        return True
    start = _as_time(now, 'now') + datetime.timedelta(seconds=float(pause or 0))
    planned = (batch or {}).get('estimated_start')
    if planned:
        start = max(start, _as_time(planned, 'the estimated start of the batch'))
    end = start + datetime.timedelta(minutes=batch_minutes(expected_batch_minutes))
    return end <= _as_time(window_end, 'the end of the run window')


def variable_problems(variables, run_start=None, prefix='safe_maintenance_'):
    """What is wrong with the window variables among ``variables`` (full names -> values), one sentence each
    naming its variable; names it does not hold are not checked. ``run_start`` matters only for the value's
    form (a duration counts from it)."""
    run_start = run_start or datetime.datetime(2000, 1, 1, tzinfo=_UTC)
    checks = {
        'expected_batch_minutes': lambda name, value: batch_minutes(value, name),
        'not_after': lambda name, value: not_after(value, run_start, name),
        'update_domain_pause': lambda name, value: value in (None, '') or iso8601_seconds(value, name),
    }
    problems = []
    for name, value in sorted(variables.items()):
        check = checks.get(name[len(prefix):] if name.startswith(prefix) else name)
        if check is None:
            continue
        try:
            check(name, value)
        except PlanningError as exc:
            problems.append(str(exc))
    return problems


def completion(instance):
    """Whether Azure reports the instance's maintenance done, from its instance view entry (as
    instance_view_info returns it): ``(outcome, reason, last_operation_result_code)``.

    Maintained only when Azure reports ``MaintenanceCompleted``, or no longer reports pending maintenance
    for it; ``RetryLater`` and ``MaintenanceAborted`` are failures, with Azure's ``lastOperationMessage``;
    anything else is not confirmed.
    """
    maintenance = instance.get('maintenance')
    if not maintenance:
        return MAINTAINED, 'Azure no longer reports pending maintenance for it', None
    code = maintenance.get('last_operation_result_code')
    message = maintenance.get('last_operation_message')
    if code == COMPLETED:
        return MAINTAINED, 'Azure reports MaintenanceCompleted', code
    if code in FAILED_CODES:
        return FAILED, 'Azure reports %s%s' % (code, ': %s' % message if message else ''), code
    return NOT_CONFIRMED, 'Azure does not report the maintenance completed (lastOperationResultCode %s%s)' % (
        code or 'missing', ', %s' % message if message else ''), code


def instance_outcomes(instances, unhealthy_ids=()):
    """Per instance of a batch (instance view entries read after it): {instance_id, outcome, reason,
    last_operation_result_code, healthy}. ``unhealthy_ids`` are those still unhealthy (planning.unhealthy_ids)."""
    unhealthy = set(unhealthy_ids)
    out = []
    for instance in instances:
        outcome, reason, code = completion(instance)
        out.append(dict(instance_id=instance.get('instance_id'), outcome=outcome, reason=reason,
                        last_operation_result_code=code, healthy=instance.get('instance_id') not in unhealthy))
    return out


def proof_failures(outcomes):
    """The ids whose maintenance Azure reports as failed (they count against the upgraded-unhealthy budget)."""
    return [o['instance_id'] for o in outcomes if o['outcome'] == FAILED]


# Outcomes of instances the run did not maintain (with those of completion()).
SKIPPED = 'skipped'
ALREADY_MAINTAINED = 'already_maintained'
LEFT = 'left'


def upgraded_unhealthy_ids(outcomes):
    """The maintained instances that count against max_unhealthy_upgraded_instance_percent: those still
    unhealthy and those whose maintenance Azure reports as failed (RetryLater, MaintenanceAborted)."""
    return sorted(set(o['instance_id'] for o in outcomes if o['outcome'] == FAILED or not o['healthy']),
                  key=instance_sort_key)


def _describe(outcome):
    parts = []
    if outcome['outcome'] != MAINTAINED:
        parts.append(outcome['reason'])
    if not outcome['healthy']:
        parts.append('unhealthy')
    if outcome['outcome'] == MAINTAINED:
        parts.append(outcome['reason'])
    return '%s (%s)' % (outcome['instance_id'], '; '.join(parts))


def verdict(outcomes, fail_on_unhealthy_after=True):
    """What success means, once every batch is done: every instance the run maintained is proven maintained
    and healthy. Returns ``{'ok', 'failed', 'message', 'instance_ids'}``: ``instance_ids`` are those that are
    not; ``failed`` whether that fails the run (``fail_on_unhealthy_after``) or is a warning."""
    bad = [o for o in outcomes if o['outcome'] != MAINTAINED or not o['healthy']]
    if not bad:
        return dict(ok=True, failed=False, message='', instance_ids=[])
    message = ('%d of %d maintained instance(s) are not proven maintained and healthy: %s.' % (
        len(bad), len(outcomes), ', '.join(_describe(o) for o in sorted(bad, key=lambda o: instance_sort_key(o['instance_id'])))))
    if not fail_on_unhealthy_after:
        message += ' (safe_maintenance_fail_on_unhealthy_after is false: a warning, not a failure)'
    return dict(ok=False, failed=bool(fail_on_unhealthy_after), message=message,
                instance_ids=sorted((o['instance_id'] for o in bad), key=instance_sort_key))


def window_stop(window_end, left_ids, fail_at_window_end=False):
    """The run window stops the run: ``{'failed', 'message'}`` naming the remaining ids."""
    message = ('The run window ends at %s (safe_maintenance_not_after) and the next batch is estimated to end '
               'later: left for the next window: %s. Run the role again in the next window to continue.' % (
                   format_time(_as_time(window_end, 'the end of the run window')),
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


def _maintained(records):
    return [i for record in records for i in record.get('maintained_instance_ids') or []]


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
    done = set(_maintained(records))
    left = [i for i in plan.get('eligible') or [] if i not in done]
    return window_stop(plan['run_window_end'], left)['message']


def proof(instances, stuck):
    """What a batch record adds from the health read that ended its wait (``instances``, the batch's entries;
    ``stuck``, the ids still unhealthy): ``instance_outcomes`` and ``failed_maintenance`` (the ids Azure reports
    RetryLater or MaintenanceAborted for)."""
    outcomes = instance_outcomes(instances or [], stuck)
    return dict(instance_outcomes=outcomes, failed_maintenance=proof_failures(outcomes))


def record_outcomes(records):
    """Every instance outcome the batch records hold, in batch order."""
    return [o for record in records for o in record.get('instance_outcomes') or []]


def window_report(plan, records, window_stop_reason='', fail_at_window_end=False, fail_on_unhealthy_after=True,
                  aborted=False):
    """What the report adds for windows: ``deadline_warnings``, ``run_window`` ({not_after, expected_batch_minutes,
    estimated_end, stopped, message}), ``left_for_next_window`` (ids), ``verdict`` (verdict() over the instances
    maintained, or None when the run stopped early or nothing ran), ``warnings`` (sentences) and ``failed``:
    whether the window or the verdict fails the run (an abort fails it anyway)."""
    plan = plan or {}
    stopped = bool(window_stop_reason)
    done = set(_maintained(records))
    left = [i for i in plan.get('eligible') or [] if i not in done] if stopped else []
    judged = None if aborted or not records else verdict(record_outcomes(records), fail_on_unhealthy_after)
    warnings = []
    if plan.get('deadline_warnings'):
        warnings.append(describe_deadline_warnings(plan['deadline_warnings']))
    failed = False
    if stopped:
        if fail_at_window_end:
            failed = True
        else:
            warnings.append(window_stop_reason)
    if judged and not judged['ok']:
        if judged['failed']:
            failed = True
        else:
            warnings.append(judged['message'])
    return dict(
        deadline_warnings=list(plan.get('deadline_warnings') or []),
        run_window=dict(not_after=plan.get('run_window_end'), expected_batch_minutes=plan.get('expected_batch_minutes'),
                        estimated_end=plan.get('estimated_end'), stopped=stopped,
                        message=window_stop_reason or None),
        left_for_next_window=left, verdict=judged, warnings=warnings, failed=failed)


def annotate_instances(entries, fleet, records, left_for_next_window=()):
    """The report's per-instance entries (report.instance_outcomes) with each one's ``deadline``, and for the
    instances the run maintained what Azure reported after their batch: ``failed`` (RetryLater,
    MaintenanceAborted, with Azure's message) or ``not_confirmed`` instead of ``maintained``, and that
    ``last_operation_result_code``; the instances a run window left say so."""
    deadlines = dict((i.get('instance_id'), format_time(deadline(i))) for i in fleet or [])
    found = dict((o['instance_id'], o) for o in record_outcomes(records))
    left = set(left_for_next_window)
    out = []
    for entry in entries:
        entry = dict(entry)
        instance_id = entry['instance_id']
        entry['deadline'] = deadlines.get(instance_id)
        outcome = found.get(instance_id)
        if outcome is not None:
            entry['last_operation_result_code'] = outcome['last_operation_result_code']
            if outcome['outcome'] != MAINTAINED:
                entry['outcome'], entry['reason'] = outcome['outcome'], outcome['reason']
        elif instance_id in left and entry.get('outcome') == LEFT:
            entry['reason'] = 'left for the next window'
        out.append(entry)
    return out
