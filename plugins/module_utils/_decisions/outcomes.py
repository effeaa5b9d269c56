# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Azure says became of each maintained instance, and whether the run proved its work: the outcome of
each instance from its instance view (maintained, failed, not confirmed), the verdict over them, and the
report's view of the run window (what was left for the next window and why). Pure functions.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    deadline, instance_sort_key)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import format_time


# What Azure reports in lastOperationResultCode (MaintenanceOperationResultCodeTypes).
COMPLETED = 'MaintenanceCompleted'


FAILED_CODES = ('RetryLater', 'MaintenanceAborted')


# Per-instance outcomes of a run.
MAINTAINED = 'maintained'


FAILED = 'failed'


NOT_CONFIRMED = 'not_confirmed'


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


def maintenance_outcomes(instances, unhealthy_ids=()):
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


def proof(instances, stuck):
    """What a batch record adds from the health read that ended its wait (``instances``, the batch's entries;
    ``stuck``, the ids still unhealthy): ``instance_outcomes`` and ``failed_maintenance`` (the ids Azure reports
    RetryLater or MaintenanceAborted for)."""
    outcomes = maintenance_outcomes(instances or [], stuck)
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
    done = set(maintained_ids(records))
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


def maintained_ids(records):
    """The ids maintenance was started on, over all batch records, in order."""
    return [i for record in records for i in record.get('maintained_instance_ids') or []]


def describe_deadline_warnings(warnings):
    """One sentence naming every instance the plan cannot maintain by its deadline, or ''."""
    if not warnings:
        return ''
    return ('The plan cannot maintain %d instance(s) by their self-service deadline; after it Azure maintains '
            'them in its scheduled window at a time it chooses: %s.' % (len(warnings), '; '.join(
                '%s (deadline %s, batch %s estimated to end %s)' % (
                    w['instance_id'], w['deadline'], w['batch'], w['estimated_end']) for w in warnings)))
