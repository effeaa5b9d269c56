# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet playbook's combined report: each scale set's outcome from its safe_maintenance report,
totals, what is left and the earliest self-service deadline among the scale sets with work left."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import parse_time, utc_time

MAINTAINED = 'maintained'
NOTHING_TO_DO = 'nothing to do'
PLANNED = 'planned (check mode)'
FAILED = 'failed'
NOT_STARTED = 'not started'
OUTCOMES = (MAINTAINED, NOTHING_TO_DO, PLANNED, FAILED, NOT_STARTED)


def scale_set_outcome(entry):
    """(outcome, instances left) of one fleet entry: its role report, or none when it never started."""
    report = entry.get('report')
    if not report:
        pending = entry.get('pending')
        return (FAILED if entry.get('failed') else NOT_STARTED), (pending if isinstance(pending, int) else None)
    left = len(report.get('remaining_instance_ids') or [])
    if report.get('aborted') or entry.get('failed'):
        return FAILED, left
    if report.get('check_mode'):
        return PLANNED, left
    if (report.get('totals') or {}).get('maintained'):
        return MAINTAINED, left
    return NOTHING_TO_DO, left


def fleet_report(entries, started=None, finished=None, now=None):
    """``entries``: one per scale-set host, {host, subscription_id, resource_group, scale_set, deadline,
    pending, failed, report} (deadline and pending from the inventory's maintenance status, report the
    role's safe_maintenance_report or None). Returns the combined report."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    rows, totals = [], dict((o, 0) for o in OUTCOMES)
    maintained = left_total = 0
    unknown_left = []
    for entry in sorted(entries, key=lambda e: e.get('host') or ''):
        outcome, left = scale_set_outcome(entry)
        report = entry.get('report') or {}
        totals[outcome] += 1
        done = (report.get('totals') or {}).get('maintained') or 0
        maintained += done
        if left is None:
            unknown_left.append(entry.get('host'))
        else:
            left_total += left
        rows.append(dict(host=entry.get('host'), subscription_id=entry.get('subscription_id'),
                         resource_group=entry.get('resource_group'), scale_set=entry.get('scale_set'),
                         outcome=outcome, maintained=done, left=left, deadline=utc_time(entry.get('deadline')),
                         message=report.get('message') or entry.get('message')))
    with_work_left = [r for r in rows if (r['left'] is None or r['left'] > 0) and parse_time(r['deadline'])]
    earliest = min(with_work_left, key=lambda r: parse_time(r['deadline'])) if with_work_left else None
    return dict(
        started=utc_time(started), finished=utc_time(finished),
        scale_sets=rows,
        totals=dict(scale_sets=len(rows), instances_maintained=maintained, instances_left=left_total,
                    scale_sets_left_unknown=len(unknown_left), outcomes=totals),
        left=[dict(host=r['host'], outcome=r['outcome'], left=r['left'], deadline=r['deadline'])
              for r in rows if r['left'] is None or r['left'] > 0],
        earliest_deadline=None if earliest is None else dict(
            host=earliest['host'], deadline=earliest['deadline'],
            missed=parse_time(earliest['deadline']) < now),
        failed=totals[FAILED] > 0,
    )
