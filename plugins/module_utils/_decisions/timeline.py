# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The geometry of the HTML report's timeline: one lane per batch, the deadlines and the run window on one
time axis. Pure functions; the template only draws what this computes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import day_clock, parse_time
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.run_log import fitted_ids


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
        ids = fitted_ids(record['instance_ids'], 40)
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
