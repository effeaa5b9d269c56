# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's report, its run log lines and the geometry of its HTML timeline. Pure functions.

The log lines are meant for Ansible's default callback in both result formats (JSON, as AWX shows it, and
YAML): every table line starts with a letter or digit, has no ``": "`` and stays under ``LINE_WIDTH``
characters, so YAML neither quotes nor folds it and the columns stay aligned. PyYAML folds at 80 columns,
counting the indent and ``msg: `` (9 characters) that the default callback puts before a one-line message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.arguments import instance_sort_key
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.batches import (
    FAILED, HEALTH_UNKNOWN, HEALTHY, final_message, maintained_ids, unhealthy_after_ids)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import clock, day_clock, parse_time
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.schedule import annotate_instances, window_report

LINE_WIDTH = 70

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


def _minutes(started, finished):
    start, end = parse_time(started), parse_time(finished)
    if not start or not end:
        return None
    return round((end - start).total_seconds() / 60.0, 1)


def _ids(ids, room=None):
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
            last = _ids(last, max(12, LINE_WIDTH - len(head)))
        lines.append((head + str(last)).rstrip())
    return lines


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
            ('left for the next - batches %s' % _ids(outside, 20)) if outside else 'every batch fits'))
    for warning in plan.get('deadline_warnings') or []:
        lines.append('Deadline missed - %s (%s), batch %s ends about %s' % (
            warning['instance_id'], day_clock(warning['deadline']), warning['batch'],
            day_clock(warning['estimated_end'])))
    for skip in plan['skipped']:
        lines.append('Skipped %s - %s' % (skip['instance_id'], skip['reason']))
    if plan['already_maintained']:
        lines.append('Already maintained - %s' % _ids(plan['already_maintained'], LINE_WIDTH - 21))
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
    minutes = _minutes(record.get('started'), record.get('finished'))
    head = 'Batch %s/%s %s, %s min, fleet unhealthy %s - ids ' % (
        record['number'], batches_planned, record['outcome'].replace(' after health_timeout', ''),
        '?' if minutes is None else minutes, _fleet_text(record).replace(' of ', '/'))
    return head + _ids(record['instance_ids'], max(12, LINE_WIDTH - len(head)))


def report_lines(report, files=None):
    """The closing summary: how the run ended, a table of the batches, the totals, what is left, the files."""
    totals = report['totals']
    minutes = _minutes(report.get('started'), report.get('finished'))
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
             _minutes(r.get('started'), r.get('finished')), r['outcome'].replace(' after health_timeout', ''),
             _fleet_text(r), list(r['instance_ids'])] for r in report['batches']])
    lines.append('Instances - %s in all, %d unhealthy after, %d skipped, %d already maintained' % (
        totals['instances'] if totals['instances'] is not None else '?', totals['unhealthy_after_maintenance'],
        totals['skipped'], totals['already_maintained']))
    if not report['check_mode']:
        lines.append('Left to do - %s' % (_ids(report['remaining_instance_ids'], LINE_WIDTH - 14)
                                          if report['remaining_instance_ids'] else 'nothing'))
    if report.get('left_for_next_window'):
        lines.append('Left for the next window - %s' % _ids(report['left_for_next_window'], LINE_WIDTH - 26))
    if report['aborted']:
        lines.append('Stopped because %s' % report['abort_reason'])
    elif report.get('failed'):
        lines.append('Failed - %s' % report['message'])
    for warning in report.get('warnings') or []:
        lines.append('Warning - %s' % warning)
    for path in [f for f in files or [] if f]:
        lines.append('Report written to %s' % path)
    return lines


# ---------------------------------------------------------------- the HTML report's timeline

def _seconds_between(start, value):
    parsed = parse_time(value)
    return (parsed - start).total_seconds() if parsed and start else None


def _tick_step(span):
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600):
        if span / step <= 10:
            return step
    return 43200


def report_timeline(report, width=1000, lane=22, chart=110, left=70, right=20):
    """Geometry of the HTML report's inline SVG: one lane per batch (a bar from its start to its end) above a
    step line of the fleet's unhealthy count, both against the run's time.

    Returns ``width``, ``height``, ``ticks`` (x, label), ``lanes`` (y, label, bar x/width, outcome, title, the
    instance ids and where they go, the batch's ``deadline`` and its ``deadline_x`` when it falls within the run,
    ``deadline_missed``), ``window_end``/``window_end_x`` (the end of the run window),
    ``chart_top``/``chart_bottom``, ``levels`` (y, label) and ``points`` (the polyline, ``"x,y x,y ..."``)
    with ``dots`` (x, y, title) at each reading.
    """
    start = parse_time(report.get('started'))
    end = parse_time(report.get('finished')) or start
    span = max(1.0, (end - start).total_seconds()) if start else 1.0
    batches = report.get('batches') or []
    # A deadline after the run is written beside its lane, in a margin of its own, so it never covers a bar.
    deadline_texts = any(record.get('deadline') and not 0 <= (_seconds_between(start, record['deadline']) or -1) <= span
                         for record in batches)
    if deadline_texts:
        right = max(right, 160)
    plot = width - left - right

    def x_of(seconds):
        return round(left + plot * min(max(seconds or 0.0, 0.0), span) / span, 1)

    top = 28
    lanes = []
    for index, record in enumerate(batches):
        begin = _seconds_between(start, record.get('started')) or 0.0
        finish = _seconds_between(start, record.get('finished'))
        finish = begin if finish is None else finish
        bar_x, bar_width = x_of(begin), max(2.0, round(x_of(finish) - x_of(begin), 1))
        ids = _ids(record['instance_ids'], 40)
        # The ids after the bar, or before it when the bar ends too close to the right edge.
        after = bar_x + bar_width + 8 + 7 * len(ids) <= width - right
        # the batch's deadline against the run's time: a mark on its lane when it falls within the run, else
        # written at the lane's end (deadlines are mostly hours or days after a run)
        deadline_at = _seconds_between(start, record.get('deadline'))
        lanes.append(dict(
            deadline=day_clock(record['deadline']) if record.get('deadline') else None,
            deadline_x=x_of(deadline_at) if deadline_at is not None and 0 <= deadline_at <= span else None,
            deadline_missed=bool(record.get('deadline') and parse_time(record.get('finished'))
                                 and parse_time(record['finished']) > parse_time(record['deadline'])),
            y=top + index * lane, label='batch %s' % record['number'], x=bar_x, width=bar_width,
            outcome=record['outcome'], css=record['outcome'].split(' ')[0], ids=ids,
            ids_x=round(bar_x + bar_width + 6, 1) if after else round(bar_x - 6, 1), ids_anchor='start' if after else 'end',
            title='batch %s: %s, %s' % (record['number'], ', '.join(record['instance_ids']), record['outcome'])))
    chart_top = top + max(1, len(batches)) * lane + 24
    chart_bottom = chart_top + chart
    readings = []
    for reading in report.get('fleet_health') or []:
        readings.append((_seconds_between(start, reading.get('at')), reading['unhealthy'], reading['instances'],
                         reading.get('source') or 'fleet read'))
    for record in batches:
        if record.get('fleet_unhealthy_after') is not None:
            readings.append((_seconds_between(start, record.get('finished')), len(record['fleet_unhealthy_after']),
                             record['fleet_instances'], 'after batch %s' % record['number']))
    readings = sorted((r for r in readings if r[0] is not None), key=lambda r: r[0])
    peak = max([r[1] for r in readings] + [1])
    fleet_size = max([r[2] for r in readings] + [0])

    def y_of(count):
        return round(chart_bottom - chart * count / float(peak), 1)

    points, dots = [], []
    for index, (seconds, count, instances, source) in enumerate(readings):
        if points:
            points.append('%s,%s' % (x_of(seconds), points[-1].split(',')[1]))  # a step: the count holds until read again
        points.append('%s,%s' % (x_of(seconds), y_of(count)))
        dots.append(dict(x=x_of(seconds), y=y_of(count), title='%s: %d of %d unhealthy' % (source, count, instances)))
    if points:
        points.append('%s,%s' % (x_of(span), points[-1].split(',')[1]))
    step = _tick_step(span)
    ticks = [dict(x=x_of(s), label=('%d:%02d' % divmod(int(s), 60)) if span < 3600 else
                  (start + datetime.timedelta(seconds=s)).strftime('%H:%M'))
             for s in range(0, int(span) + 1, step)]
    levels = list(range(peak + 1)) if peak <= 5 else [0, peak // 2, peak]
    window_end = (report.get('run_window') or {}).get('not_after')
    window_at = _seconds_between(start, window_end)
    return dict(window_end_x=x_of(window_at) if window_at is not None and 0 <= window_at <= span else None,
                window_end=day_clock(window_end), width=width, height=chart_bottom + 34, left=left, right=width - right,
                deadline_text_x=width - 4, top=top, ticks=ticks,
                lanes=lanes, chart_top=chart_top, chart_bottom=chart_bottom, fleet_size=fleet_size,
                levels=[dict(y=y_of(level), label=str(level)) for level in levels],
                points=' '.join(points), dots=dots, span_seconds=span)
