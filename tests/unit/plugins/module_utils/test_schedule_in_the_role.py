# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows in the role's decisions and report: the proof in a batch record, the upgraded budget with Azure's
failures, what a run that did all it could fails with, the report's window fields, its log lines and timeline."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    batches as batch_records, gates, plan as planning, report, run_log, schedule as scheduling, timeline as timelines)

START = '2026-12-01T20:00:00Z'
POLICY = dict(max_batch_instance_percent=20, max_unhealthy_instance_percent=20,
              max_unhealthy_upgraded_instance_percent=20, pause_time_between_batches='PT0S',
              prioritize_unhealthy_instances=False, enable_cross_zone_upgrade=False, source='role variables')
# id -> (zone, deadline): deadline order 4, 1, 3, 0, 5, 2
FLEET_SPEC = {0: ('1', '2026-12-02T09:00:00Z'), 1: ('2', '2026-12-01T20:50:00Z'), 2: ('3', '2026-12-09T00:00:00Z'),
              3: ('1', '2026-12-01T22:00:00Z'), 4: ('2', '2026-12-01T20:40:00Z'), 5: ('3', '2026-12-03T00:00:00Z')}


def vm(instance_id, health='healthy', code='None', allowed=True, message=None):
    zone, deadline = FLEET_SPEC[instance_id]
    maintenance = dict(is_customer_initiated_maintenance_allowed=allowed, last_operation_result_code=code,
                       pre_maintenance_window_start_time='2026-11-28T00:00:00Z',
                       pre_maintenance_window_end_time=deadline)
    if message:
        maintenance['last_operation_message'] = message
    return dict(instance_id=str(instance_id), name='vmss_%s' % instance_id, zone=zone, health_state=health,
                power_state='running', provisioning_state='succeeded', platform_update_domain=instance_id % 2,
                platform_fault_domain=0, maintenance=maintenance)


def done(instance_id, **kw):
    kw.setdefault('code', 'MaintenanceCompleted')
    kw.setdefault('allowed', False)
    return vm(instance_id, **kw)


FLEET = [vm(i) for i in range(6)]


def plan(not_after=None, minutes=30):
    base = planning.plan_batches(FLEET, max_batch_instance_percent=34)
    return scheduling.scheduled_plan(base, FLEET, START, minutes, 'PT0S', None, not_after, START)


def record(batch, health_read, fleet=None):
    ids = batch['instance_ids']
    return batch_records.batch_record(batch, batch['estimated_start'], batch['estimated_start'],
                                      dict(instance_ids=ids, elapsed_seconds=30.0), dict(instances=health_read), fleet)


def test_plan_is_deadline_first():
    timed = plan()
    assert [b['instance_ids'] for b in timed['batches']] == [['4', '1'], ['3', '0'], ['5', '2']]
    assert [b['deadline'] for b in timed['batches']] == [
        '2026-12-01T20:40:00Z', '2026-12-01T22:00:00Z', '2026-12-03T00:00:00Z']
    assert [w['instance_id'] for w in timed['deadline_warnings']] == []
    assert [w['instance_id'] for w in plan(minutes=44)['deadline_warnings']] == ['4']
    assert [w['instance_id'] for w in plan(minutes=55)['deadline_warnings']] == ['4', '1']


def test_batch_record_carries_estimates_and_proof():
    first = plan()['batches'][0]
    rec = record(first, [done(4), vm(1, code='RetryLater', message='try later')])
    assert rec['deadline'] == '2026-12-01T20:40:00Z' and rec['estimated_end'] == '2026-12-01T20:30:00Z'
    assert rec['outcome'] == 'healthy' and rec['failed_maintenance'] == ['1']
    assert rec['instance_outcomes'][1]['reason'] == 'Azure reports RetryLater: try later'


def test_azure_failures_count_against_the_upgraded_budget():
    batches = plan()['batches']
    first = record(batches[0], [done(4), vm(1, code='MaintenanceAborted', message='aborted by the platform')])
    message = gates.after_batch_refusal([first], 20, 60)
    assert message == ("after batch 1, 1 of 2 maintained instances are still unhealthy after 60 s or failed by Azure's "
                       "report (1), more than max_unhealthy_upgraded_instance_percent 20%: 1: Azure reports "
                       "MaintenanceAborted: aborted by the platform.")
    assert gates.after_batch_refusal([first], 50, 60) == ''
    # unhealthy and failed at once count once
    both = record(batches[0], [done(4), vm(1, health='unhealthy', code='RetryLater')])
    assert '1 of 2' in gates.after_batch_refusal([both], 20, 60)
    # only unhealthy: the message as before
    stuck = record(batches[0], [done(4), done(1, health='unhealthy')])
    assert gates.after_batch_refusal([stuck], 20, 60).startswith(
        'after batch 1, 1 of 2 maintained instances are still unhealthy (1) after 60 s')


def full_report(records, timed, **kw):
    return report.maintenance_report(records, 'rg', 'vmss', False, START, '2026-12-01T20:10:00Z', POLICY, plan=timed,
                                     fleet=FLEET, **kw)


def test_report_success_only_when_proven_and_healthy():
    timed = plan()
    ok = full_report([record(b, [done(int(i)) for i in b['instance_ids']]) for b in timed['batches']], timed)
    assert ok['failed'] is False and ok['verdict']['ok'] and ok['message'] == '' and ok['warnings'] == []
    unproven = [record(timed['batches'][0], [done(4), done(1)]), record(timed['batches'][1], [done(3), vm(0)]),
                record(timed['batches'][2], [done(5), done(2, health='unhealthy')])]
    failed = full_report(unproven, timed)
    assert failed['failed'] and not failed['aborted'] and failed['verdict']['instance_ids'] == ['0', '2']
    assert failed['message'].startswith('Maintenance of vmss failed: 2 of 6 maintained instance(s) are not proven')
    entries = dict((e['instance_id'], e) for e in failed['instances'])
    assert entries['0']['outcome'] == 'not_confirmed' and entries['2']['outcome'] == 'unhealthy'
    assert entries['4']['deadline'] == '2026-12-01T20:40:00Z' and entries['4']['last_operation_result_code'] == \
        'MaintenanceCompleted'
    warned = full_report(unproven, timed, fail_on_unhealthy_after=False)
    assert not warned['failed'] and warned['warnings'] == [warned['verdict']['message']]
    assert json.loads(json.dumps(failed)) == failed


def test_report_of_a_run_window_stop():
    timed = plan('PT45M')
    first = record(timed['batches'][0], [done(4), done(1)])
    stop = scheduling.window_stop_message(timed['batches'][1], '2026-12-01T20:05:00Z', timed, [first])
    assert 'left for the next window: 0, 2, 3, 5.' in stop
    result = full_report([first], timed, window_stop=stop)
    assert not result['failed'] and result['run_window']['stopped'] and result['left_for_next_window'] == [
        '0', '2', '3', '5']
    assert result['warnings'] == [stop] and result['remaining_instance_ids'] == ['0', '2', '3', '5']
    assert [e['reason'] for e in result['instances'] if e['outcome'] == 'left'] == ['left for the next window'] * 4
    fails = full_report([first], timed, window_stop=stop, fail_at_window_end=True)
    assert fails['failed'] and fails['message'] == 'Maintenance of vmss failed: ' + stop
    lines = run_log.report_lines(result)
    assert 'Left for the next window - 0, 2, 3, 5' in lines and ('Warning - ' + stop) in lines
    assert run_log.report_lines(fails)[0].startswith('Run failed - 2 of 6 eligible maintained')


def test_plan_lines_show_deadlines_estimates_and_the_window():
    lines = run_log.plan_lines(plan('PT45M', minutes=44), POLICY, 'rg', 'vmss')
    assert lines[4].split() == ['batch', 'zone', 'update', 'domains', 'deadline', 'ends', 'instances']
    assert lines[5].split() == ['1', '2', '0,', '1', '12-01', '20:40', '12-01', '20:44', '4,', '1']
    assert lines[6].split()[-3:] == ['*', '3,', '0']
    assert 'Estimate - 44.0 min per batch, pause 0 s, last batch ends 12-01 20:44' in lines
    assert 'Run window - ends 12-01 20:45 UTC, left for the next - batches 2, 3' in lines
    assert 'Deadline missed - 4 (12-01 20:40), batch 1 ends about 12-01 20:44' in lines
    assert all(len(line) <= run_log.LINE_WIDTH for line in lines[4:-1])
    # a plan without times prints as before
    assert run_log.plan_lines(planning.plan_batches(FLEET, max_batch_instance_percent=34), POLICY, 'rg', 'vmss')[4] \
        .split() == ['batch', 'zone', 'update', 'domains', 'instances']


def test_timeline_marks_deadlines():
    timed = plan()
    records = [record(timed['batches'][0], [done(4), done(1)])]
    records[0]['finished'] = '2026-12-01T20:45:00Z'
    result = full_report(records, timed)
    result['finished'] = '2026-12-01T21:00:00Z'
    lanes = timelines.report_timeline(result)['lanes']
    assert lanes[0]['deadline'] == '12-01 20:40' and lanes[0]['deadline_x'] is not None
    assert lanes[0]['deadline_missed'] is True
    result['finished'] = '2026-12-01T20:30:00Z'
    assert timelines.report_timeline(result)['lanes'][0]['deadline_x'] is None   # after the run: written at the end
    # written in a margin of its own: no bar reaches into it
    timeline = timelines.report_timeline(result)
    assert timeline['right'] <= timeline['width'] - 160 and timeline['deadline_text_x'] > timeline['right']
    assert all(lane['x'] + lane['width'] <= timeline['right'] for lane in timeline['lanes'])


def test_timeline_without_later_deadlines_keeps_its_width():
    timed = plan()
    records = [record(timed['batches'][0], [done(4), done(1)])]
    records[0]['finished'] = '2026-12-01T20:45:00Z'
    result = full_report(records, timed)
    result['finished'] = '2026-12-01T21:00:00Z'
    assert timelines.report_timeline(result, width=1000, right=20)['right'] == 980
