# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's report: per-instance outcomes, totals, batches and the final message. Pure
functions. Its log lines are in run_log.py, its timeline's geometry in timeline.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    instance_sort_key, join_ids)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.batches import (
    FAILED, HEALTH_UNKNOWN, HEALTHY, unhealthy_after_ids)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.outcomes import (
    annotate_instances, maintained_ids, window_report)


# Per-instance outcomes in the report's ``instances``.
MAINTAINED = 'maintained'
UNHEALTHY = 'unhealthy'
FAILED_INSTANCE = 'failed'
UNKNOWN = 'health_unknown'
SKIPPED = 'skipped'
ALREADY = 'already_maintained'
LEFT = 'left'
PLANNED = 'planned'
NOT_REQUESTED = 'not_requested'


def instance_outcomes(fleet, plan, records, check_mode=False, aborted=False):
    """One entry per instance of the scale set (``fleet``: instance_view_info's instances at the preflight):
    ``instance_id``, ``name``, ``zone``, ``update_domain``, ``fault_domain``, ``batch``, ``outcome``, ``reason``
    and ``last_operation_result_code`` (as the preflight read it)."""
    plan = plan or {}
    planned = dict((i, b['number']) for b in plan.get('batches') or [] for i in b['instance_ids'])
    skipped = dict((s['instance_id'], s['reason']) for s in plan.get('skipped') or [])
    already = set(plan.get('already_maintained') or [])
    eligible = set(plan.get('eligible') or [])
    done = {}
    for record in records:
        sent_skips = dict((s['instance_id'], s['reason']) for s in record.get('skipped_instances') or [])
        for instance_id in record['instance_ids']:
            if record['outcome'] == FAILED:
                done[instance_id] = (FAILED_INSTANCE, record.get('error') or 'maintenance failed')
            elif instance_id in sent_skips:
                done[instance_id] = (SKIPPED, 'not eligible any more when its batch was sent: %s' % sent_skips[instance_id])
            elif record['outcome'] == HEALTH_UNKNOWN:
                done[instance_id] = (UNKNOWN, record.get('error') or 'health could not be read')
            elif instance_id in (record.get('unhealthy_after') or []):
                done[instance_id] = (UNHEALTHY, 'still unhealthy after health_timeout')
            else:
                done[instance_id] = (MAINTAINED, 'maintained, running and healthy again')
    entries = []
    for instance in sorted(fleet or [], key=lambda i: instance_sort_key(i.get('instance_id'))):
        instance_id = instance['instance_id']
        if instance_id in done:
            outcome, reason = done[instance_id]
        elif instance_id in skipped:
            outcome, reason = SKIPPED, skipped[instance_id]
        elif instance_id in already:
            outcome, reason = ALREADY, 'maintenance already completed'
        elif instance_id in planned and check_mode:
            outcome, reason = PLANNED, 'check mode: planned for batch %d' % planned[instance_id]
        elif instance_id in eligible or instance_id in planned:
            outcome, reason = LEFT, ('the run stopped before its batch' if aborted else 'not maintained by this run')
        elif plan:
            outcome, reason = NOT_REQUESTED, 'not in safe_maintenance_instance_ids'
        else:
            outcome, reason = LEFT, 'the run stopped before the plan'
        entries.append(dict(
            instance_id=instance_id, name=instance.get('name'), zone=instance.get('zone'),
            update_domain=instance.get('platform_update_domain'), fault_domain=instance.get('platform_fault_domain'),
            batch=planned.get(instance_id), outcome=outcome, reason=reason,
            last_operation_result_code=(instance.get('maintenance') or {}).get('last_operation_result_code')))
    return entries


def _dedupe_health(readings):
    seen, kept = set(), []
    for reading in readings:
        key = (reading.get('at'), reading.get('source'))
        if reading and key not in seen:
            seen.add(key)
            kept.append(reading)
    return kept


def maintenance_report(records, resource_group, scale_set, check_mode, started, finished, policy, plan=None,
                       fleet=None, fleet_health=None, abort_reason=None, total=None, safety=None, window_stop=None,
                       fail_at_window_end=False, fail_on_unhealthy_after=True):
    """The run's report, as the fact ``safe_maintenance_report`` and the JSON and HTML files have it.

    ``records`` are the batch records (decisions.batch_record), ``plan`` the plan (empty when the run stopped
    before it), ``fleet`` the instances the preflight read, ``fleet_health`` the fleet readings in order,
    ``total`` the instance count when there is no plan, ``safety`` what the run did about the scale set itself
    (``automatic_repairs``, ``lease``, ``health_read``, ``waited_for_instance_ids``), ``window_stop`` why the run
    window stopped the run (or empty). Numbers and booleans stay numbers and booleans. ``failed`` says whether the
    run fails: it stopped (``aborted``), or its run window ended with ``fail_at_window_end``, or with
    ``fail_on_unhealthy_after`` not every instance it maintained is proven maintained and healthy (``verdict``).
    """
    plan = plan or {}
    done = maintained_ids(records)
    eligible = list(plan.get('eligible') or [])
    reason = (abort_reason or '').strip() or None
    report = dict(
        resource_group=resource_group,
        scale_set=scale_set,
        check_mode=bool(check_mode),
        started=started,
        finished=finished,
        policy=policy,
        batch_size=plan.get('batch_size'),
        planned_batches=list(plan.get('batches') or []),
        batches=list(records),
        skipped_instances=list(plan.get('skipped') or []),
        already_maintained=list(plan.get('already_maintained') or []),
        remaining_instance_ids=[i for i in eligible if i not in done],
        totals=dict(
            instances=plan.get('total', total),
            eligible=len(eligible),
            maintained=len(done),
            unhealthy_after_maintenance=len(unhealthy_after_ids(records)),
            skipped=len(plan.get('skipped') or []),
            already_maintained=len(plan.get('already_maintained') or []),
            batches_done=len([r for r in records if r['outcome'] == HEALTHY]),
            batches_planned=len(plan.get('batches') or []),
        ),
        aborted=reason is not None,
        abort_reason=reason,
        fleet_health=_dedupe_health(fleet_health or []),
    )
    safety = dict(safety or {})
    report.update(automatic_repairs=safety.get('automatic_repairs'), lease=safety.get('lease'),
                  health_read=safety.get('health_read'),
                  waited_for_instance_ids=list(safety.get('waited_for_instance_ids') or []))
    windows = window_report(plan, records, (window_stop or '').strip(), fail_at_window_end, fail_on_unhealthy_after,
                            aborted=reason is not None or bool(check_mode))
    report.update(windows)
    report['failed'] = reason is not None or windows['failed']
    report['instances'] = annotate_instances(instance_outcomes(fleet, plan, records, check_mode, reason is not None),
                                             fleet, records, windows['left_for_next_window'])
    report['message'] = final_message(report)
    return report


# ---------------------------------------------------------------- the run log


# ---------------------------------------------------------------- the HTML report's timeline


def final_message(report):
    """The message a failed run fails with; ``''`` when it did not fail. A stopped run says why, what was maintained
    and what is left; a run that did all it could but fails (its run window ended with
    safe_maintenance_fail_at_window_end, or maintained instances are not proven maintained and healthy) says that."""
    if not report.get('aborted'):
        if not report.get('failed'):
            return ''
        window, verdict = report.get('run_window') or {}, report.get('verdict') or {}
        parts = [window['message']] if window.get('stopped') and window.get('message') else []
        if verdict.get('failed'):
            parts.append(verdict['message'])
        return 'Maintenance of %s failed: %s' % (report.get('scale_set'), ' '.join(parts))
    reason = (report.get('abort_reason') or 'the run stopped').strip()
    if reason[-1:] not in '.!?':
        reason += '.'
    text = 'Maintenance of %s stopped: %s' % (report.get('scale_set'), reason)
    if not report.get('batches'):
        return text if text.endswith('Nothing was changed.') else text + ' Nothing was changed.'
    return text + (' Maintained: %d instance(s) (%s); left to do: %s. Run the role again to continue with what '
                   'is left.' % (report['totals']['maintained'], join_ids(maintained_ids(report['batches'])),
                                 join_ids(report.get('remaining_instance_ids') or [])))
