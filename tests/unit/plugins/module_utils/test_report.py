# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's report, its run log lines and the HTML timeline's geometry."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import yaml

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import health as instance_health
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    batches as batch_records, plan as planning, report, run_log, timeline as timelines)

ELIGIBLE = {'is_customer_initiated_maintenance_allowed': True}
POLICY = dict(max_batch_instance_percent=20, max_unhealthy_instance_percent=20,
              max_unhealthy_upgraded_instance_percent=20, pause_time_between_batches='PT0S',
              prioritize_unhealthy_instances=False, enable_cross_zone_upgrade=False, source='role variables')


def vm(instance_id, zone='1', health='healthy', maintenance='eligible'):
    return dict(instance_id=str(instance_id), name='vmss_%s' % instance_id, zone=zone, health_state=health,
                power_state='running', provisioning_state='succeeded', platform_update_domain=instance_id % 5,
                platform_fault_domain=0, maintenance=dict(ELIGIBLE) if maintenance == 'eligible' else maintenance)


FLEET = [vm(0), vm(1), vm(2, health='unhealthy'), vm(3), vm(4, maintenance=None),
         vm(5, maintenance={'is_customer_initiated_maintenance_allowed': False,
                            'last_operation_result_code': 'MaintenanceCompleted'})]
PLAN = planning.plan_batches(FLEET, max_batch_instance_percent=34)  # batches [0, 1], [2, 3]
DONE = {'is_customer_initiated_maintenance_allowed': False, 'last_operation_result_code': 'MaintenanceCompleted'}


def at(seconds):
    return '2026-12-01T10:%02d:%02d.000000Z' % divmod(seconds, 60)


def run(stop_after_first=False):
    readings = [instance_health.fleet_health(FLEET, at=at(2), source='preflight read')]
    first = batch_records.batch_record(PLAN['batches'][0], at(5), at(65), dict(instance_ids=['0', '1'], elapsed_seconds=50.0),
                                       dict(instances=[vm(0, maintenance=DONE), vm(1, maintenance=DONE)]), readings[0])
    records = [first]
    if not stop_after_first:
        readings.append(instance_health.fleet_health(FLEET, at=at(70), source='before batch 2'))
        records.append(batch_records.batch_record(
            PLAN['batches'][1], at(70), at(130), dict(instance_ids=['2', '3'], elapsed_seconds=48.0),
            dict(instances=[vm(2, maintenance=DONE), vm(3, health='unhealthy', maintenance=DONE)]), readings[1]))
    return report.maintenance_report(
        records, resource_group='rg', scale_set='vmss', check_mode=False, started=at(0), finished=at(140),
        policy=POLICY, plan=PLAN, fleet=FLEET, fleet_health=readings,
        abort_reason='after batch 2, too many' if not stop_after_first else None)


def test_report_keeps_every_field_typed():
    result = run()
    assert set(result) >= {'resource_group', 'scale_set', 'check_mode', 'started', 'finished', 'policy', 'batch_size',
                           'planned_batches', 'batches', 'skipped_instances', 'already_maintained',
                           'remaining_instance_ids', 'totals', 'aborted', 'abort_reason', 'instances', 'fleet_health',
                           'message'}
    assert result['totals'] == dict(instances=6, eligible=4, maintained=4, unhealthy_after_maintenance=1, skipped=1,
                                    already_maintained=1, batches_done=1, batches_planned=2)
    assert result['batch_size'] == 2 and result['aborted'] is True and result['check_mode'] is False
    assert result['remaining_instance_ids'] == []
    assert result['message'].startswith('Maintenance of vmss stopped: after batch 2, too many.')
    assert json.loads(json.dumps(result)) == result


def test_instance_outcomes():
    outcomes = dict((i['instance_id'], (i['outcome'], i['batch'])) for i in run()['instances'])
    assert outcomes == {'0': ('maintained', 1), '1': ('maintained', 1), '2': ('maintained', 2), '3': ('unhealthy', 2),
                        '4': ('skipped', None), '5': ('already_maintained', None)}
    stopped = dict((i['instance_id'], i['outcome']) for i in run(stop_after_first=True)['instances'])
    assert stopped['2'] == stopped['3'] == 'left'
    assert report.maintenance_report([], 'rg', 'vmss', False, at(0), at(1), POLICY, abort_reason='refused',
                                     total=None)['instances'] == []


def test_report_before_the_plan_has_every_key():
    result = report.maintenance_report([], 'rg', 'vmss', False, at(0), at(1), POLICY, plan={}, abort_reason='x', total=5)
    assert result['totals']['instances'] == 5 and result['batch_size'] is None and result['planned_batches'] == []
    assert result['message'] == 'Maintenance of vmss stopped: x. Nothing was changed.'


def _plain_lines(lines):
    """Every line as YAML's dumper would print it: unquoted, unfolded; so the columns stay aligned."""
    for line in lines:
        assert len(line) <= run_log.LINE_WIDTH, line
        dumped = yaml.safe_dump([line], width=80, default_flow_style=False)
        assert dumped == '- %s\n' % line, dumped


def _columns(rows):
    header = rows[0]
    starts = [i for i in range(1, len(header)) if header[i] != ' ' and header[i - 1] == ' ' and header[i - 2] == ' ']
    for row in rows[1:]:
        for start in starts:
            assert row[start - 1] == ' ' and row[start] != ' ', (row, start)


def test_plan_lines_are_an_aligned_table():
    lines = run_log.plan_lines(PLAN, POLICY, 'rg', 'vmss')
    table = lines[lines.index('batch  zone  update domains  instances'):][:3]
    assert table[1:] == ['1      1     0, 1            0, 1', '2      1     2, 3            2, 3']
    _columns(table)
    _plain_lines(table)
    assert lines[0] == 'Plan for rg/vmss - 2 batches of at most 2 instances (20% of 6)'
    assert 'Skipped 4 - not in a maintenance wave' in '\n'.join(lines)
    assert lines[-1] == 'Starting.'
    assert run_log.plan_lines(PLAN, POLICY, 'rg', 'vmss', check_mode=True)[-1] == 'Check mode: nothing will be changed.'


def test_a_long_batch_is_shortened_to_the_line():
    fleet = [vm(i, maintenance='eligible') for i in range(1000)]
    plan = planning.plan_batches(fleet, max_batch_instance_percent=20, enable_cross_zone_upgrade=True)
    lines = run_log.plan_lines(plan, POLICY, 'rg', 'vmss')
    rows = [line for line in lines if line[:1].isdigit()]
    assert len(rows) == 5
    _plain_lines(rows)
    assert rows[0].endswith('0, 5, 10, 15, 20, 25, 30, 35 +192 more')  # 8 shown + 192 = 200


def test_batch_line_and_summary():
    result = run()
    assert run_log.batch_line(result['batches'][0], 2) == (
        'Batch 1/2 healthy, 1.0 min, fleet unhealthy 1/6 - ids 0, 1')
    assert run_log.batch_line(result['batches'][1], 2) == (
        'Batch 2/2 unhealthy, 1.0 min, fleet unhealthy 1/6 - ids 2, 3')
    big = dict(result['batches'][0], instance_ids=[str(i) for i in range(200)], fleet_instances=1000)
    line = run_log.batch_line(big, 5)
    assert len(line) <= run_log.LINE_WIDTH and line.endswith(' more'), line
    lines = run_log.report_lines(result, ['/tmp/r.json', '', '/tmp/r.html'])
    assert lines[0] == 'Run stopped - 4 of 4 eligible maintained, 1 of 2 batches healthy, 2.3 min'
    table = lines[1:4]
    assert table[0].split() == ['batch', 'zone', 'started', 'minutes', 'outcome', 'fleet', 'unhealthy', 'instances']
    assert table[2].split()[:5] == ['2', '1', '10:01:10', '1.0', 'unhealthy']
    _columns(table)
    _plain_lines(table)
    assert 'Stopped because after batch 2, too many' in lines
    assert lines[-2:] == ['Report written to /tmp/r.json', 'Report written to /tmp/r.html']


def test_timeline_geometry():
    result = run()
    timeline = timelines.report_timeline(result, width=1000, left=70, right=20)
    assert [lane['label'] for lane in timeline['lanes']] == ['batch 1', 'batch 2']
    first, second = timeline['lanes']
    # 140 s over 910 px: batch 1 from 5 s to 65 s, batch 2 from 70 s to 130 s
    assert first['x'] == 102.5 and first['width'] == 390.0
    assert second['x'] == 525.0 and second['css'] == 'unhealthy'
    assert second['y'] > first['y']
    assert timeline['chart_bottom'] - timeline['chart_top'] == 110
    # readings: 1 unhealthy (2) at 2 s and 70 s; after batch 1: 1 (2); after batch 2: 1 (3); a step line to the end
    assert [d['title'] for d in timeline['dots']] == [
        'preflight read: 1 of 6 unhealthy', 'after batch 1: 1 of 6 unhealthy', 'before batch 2: 1 of 6 unhealthy',
        'after batch 2: 1 of 6 unhealthy']
    points = timeline['points'].split()
    assert points[0] == '83.0,%s' % float(timeline['chart_top']) and points[-1].startswith('980.0,')
    assert [t['label'] for t in timeline['ticks']][:3] == ['0:00', '0:15', '0:30']
    assert timeline['ticks'][-1]['x'] <= 980.0


def test_timeline_without_batches():
    empty = timelines.report_timeline(report.maintenance_report([], 'rg', 'vmss', True, at(0), at(3), POLICY, plan=PLAN))
    assert empty['lanes'] == [] and empty['points'] == '' and empty['ticks'][0]['label'] == '0:00'


def test_timeline_levels_are_whole_instances():
    result = run()
    assert [level['label'] for level in timelines.report_timeline(result)['levels']] == ['0', '1']
    many = dict(result, fleet_health=[dict(result['fleet_health'][0], unhealthy=9)])
    assert [level['label'] for level in timelines.report_timeline(many)['levels']] == ['0', '4', '9']


def test_summary_in_check_mode():
    planned = report.maintenance_report([], 'rg', 'vmss', True, at(0), at(3), POLICY, plan=PLAN, fleet=FLEET)
    lines = run_log.report_lines(planned, ['/tmp/r.json'])
    assert lines == ['Check mode - 2 batches planned for 4 eligible instances, nothing changed',
                     'Instances - 6 in all, 0 unhealthy after, 1 skipped, 1 already maintained',
                     'Report written to /tmp/r.json']
    assert [i['outcome'] for i in planned['instances']] == ['planned'] * 4 + ['skipped', 'already_maintained']
