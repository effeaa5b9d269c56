# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run log's lines: the plan table, one line per batch, the summary. Pure functions.

Meant for Ansible's default callback in both result formats (JSON, as AWX shows it, and YAML): every table line
starts with a letter or digit, has no ``": "`` and stays under ``LINE_WIDTH`` characters, so YAML neither quotes
nor folds it and the columns stay aligned. PyYAML folds at 80 columns, counting the indent and ``msg: `` (9
characters) that the default callback puts before a one-line message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import (
    clock, day_clock, minutes_between)


LINE_WIDTH = 70


def fitted_ids(ids, room=None):
    """Ids joined by ', '; with ``room``, as many as fit and how many more."""
    text = ', '.join(ids) or '-'
    if room is None or len(text) <= room:
        return text
    shown = []
    for instance_id in ids:
        rest = ' +%d more' % (len(ids) - len(shown))
        if len(', '.join(shown + [instance_id])) + len(rest) > room:
            break
        shown.append(instance_id)
    return '%s +%d more' % (', '.join(shown), len(ids) - len(shown))


def _table(header, rows, last_room=None):
    """Left-aligned columns two spaces apart; the last column gets what is left of LINE_WIDTH."""
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header) - 1)]
    lines = []
    for row in [header] + rows:
        head = ''.join(str(cell).ljust(width + 2) for cell, width in zip(row[:-1], widths))
        last = row[-1]
        if isinstance(last, list):
            last = fitted_ids(last, max(12, LINE_WIDTH - len(head)))
        lines.append((head + str(last)).rstrip())
    return lines


def plan_lines(plan, policy, resource_group, scale_set, check_mode=False):
    """The plan as the role prints it: the scale set, the policy, a table of the batches, the skipped instances."""
    lines = [
        'Plan for %s/%s - %d batches of at most %d instances (%s%% of %d)' % (
            resource_group, scale_set, len(plan['batches']), plan['batch_size'], policy['max_batch_instance_percent'],
            plan['total']),
        'Instances - %d eligible, %d skipped, %d already maintained' % (
            len(plan['eligible']), len(plan['skipped']), len(plan['already_maintained'])),
        'Policy (%s) - pause %s, cross-zone batches %s' % (
            policy.get('source'), policy['pause_time_between_batches'],
            'allowed' if policy['enable_cross_zone_upgrade'] else 'never'),
        'Limits - %s%% of all unhealthy before a batch, %s%% of maintained after it' % (
            policy['max_unhealthy_instance_percent'], policy['max_unhealthy_upgraded_instance_percent']),
    ]
    timed = any('estimated_end' in b for b in plan['batches'])
    if plan['batches'] and timed:
        # the plan against the clock (windows.scheduled_plan): the earliest deadline each batch serves, its
        # estimated end, and a * for a batch outside the run window
        lines += _table(['batch', 'zone', 'update domains', 'deadline', 'ends', 'instances'], [
            [b['number'], b['zone'] if b.get('zone') is not None else '-',
             ', '.join(str(u) for u in b.get('update_domains') or []) or '-', day_clock(b.get('deadline')),
             day_clock(b.get('estimated_end')) + ('' if b.get('in_run_window', True) else ' *'), list(b['instance_ids'])]
            for b in plan['batches']])
    elif plan['batches']:
        lines += _table(['batch', 'zone', 'update domains', 'instances'], [
            [b['number'], b['zone'] if b.get('zone') is not None else '-',
             ', '.join(str(u) for u in b.get('update_domains') or []) or '-', list(b['instance_ids'])]
            for b in plan['batches']])
    else:
        lines.append('Plan - nothing to maintain')
    if timed:
        lines.append('Estimate - %s min per batch, pause %s s, last batch ends %s' % (
            plan.get('expected_batch_minutes'), plan.get('pause_seconds'), day_clock(plan.get('estimated_end'))))
    if plan.get('run_window_end'):
        outside = [str(b['number']) for b in plan['batches'] if not b.get('in_run_window', True)]
        lines.append('Run window - ends %s UTC, %s' % (
            day_clock(plan['run_window_end']),
            ('left for the next - batches %s' % fitted_ids(outside, 20)) if outside else 'every batch fits'))
    for warning in plan.get('deadline_warnings') or []:
        lines.append('Deadline missed - %s (%s), batch %s ends about %s' % (
            warning['instance_id'], day_clock(warning['deadline']), warning['batch'],
            day_clock(warning['estimated_end'])))
    for skip in plan['skipped']:
        lines.append('Skipped %s - %s' % (skip['instance_id'], skip['reason']))
    if plan['already_maintained']:
        lines.append('Already maintained - %s' % fitted_ids(plan['already_maintained'], LINE_WIDTH - 21))
    lines.append('Check mode: nothing will be changed.' if check_mode else 'Starting.')
    return lines


def _fleet_text(record):
    if record.get('fleet_instances') is None:
        return '-'
    after = record.get('fleet_unhealthy_after')
    count = len(after) if after is not None else len(record.get('fleet_unhealthy_before') or [])
    return '%d of %d' % (count, record['fleet_instances'])


def batch_line(record, batches_planned):
    """One line for a finished batch: n/N, outcome, minutes, the fleet's unhealthy count, then the instances.

    The ids come last, so that a long batch is cut to ``+N more`` rather than folded onto a second line.
    """
    minutes = minutes_between(record.get('started'), record.get('finished'))
    head = 'Batch %s/%s %s, %s min, fleet unhealthy %s - ids ' % (
        record['number'], batches_planned, record['outcome'].replace(' after health_timeout', ''),
        '?' if minutes is None else minutes, _fleet_text(record).replace(' of ', '/'))
    return head + fitted_ids(record['instance_ids'], max(12, LINE_WIDTH - len(head)))


def report_lines(report, files=None):
    """The closing summary: how the run ended, a table of the batches, the totals, what is left, the files."""
    totals = report['totals']
    minutes = minutes_between(report.get('started'), report.get('finished'))
    if report['check_mode']:
        lines = ['Check mode - %d batches planned for %d eligible instances, nothing changed' % (
            totals['batches_planned'], totals['eligible'])]
    else:
        lines = ['Run %s - %d of %d eligible maintained, %d of %d batches healthy, %s min' % (
            'stopped' if report['aborted'] else 'failed' if report.get('failed') else 'finished', totals['maintained'],
            totals['eligible'], totals['batches_done'], totals['batches_planned'], '?' if minutes is None else minutes)]
    if report['batches']:
        lines += _table(['batch', 'zone', 'started', 'minutes', 'outcome', 'fleet unhealthy', 'instances'], [
            [r['number'], r['zone'] if r.get('zone') is not None else '-', clock(r.get('started')),
             minutes_between(r.get('started'), r.get('finished')), r['outcome'].replace(' after health_timeout', ''),
             _fleet_text(r), list(r['instance_ids'])] for r in report['batches']])
    lines.append('Instances - %s in all, %d unhealthy after, %d skipped, %d already maintained' % (
        totals['instances'] if totals['instances'] is not None else '?', totals['unhealthy_after_maintenance'],
        totals['skipped'], totals['already_maintained']))
    if not report['check_mode']:
        lines.append('Left to do - %s' % (fitted_ids(report['remaining_instance_ids'], LINE_WIDTH - 14)
                                          if report['remaining_instance_ids'] else 'nothing'))
    if report.get('left_for_next_window'):
        lines.append('Left for the next window - %s' % fitted_ids(report['left_for_next_window'], LINE_WIDTH - 26))
    if report['aborted']:
        lines.append('Stopped because %s' % report['abort_reason'])
    elif report.get('failed'):
        lines.append('Failed - %s' % report['message'])
    for warning in report.get('warnings') or []:
        lines.append('Warning - %s' % warning)
    for path in [f for f in files or [] if f]:
        lines.append('Report written to %s' % path)
    return lines
