# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Maintenance windows: deadline-first planning, the estimate, deadline warnings, the run window, update-domain
spacing and the proof of completion."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import summarize
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    outcomes as window_outcomes, plan as planning, schedule as scheduling, variables as role_variables)

START = datetime.datetime(2026, 12, 1, 20, 0, tzinfo=datetime.timezone.utc)


def at(minutes):
    """An Azure-style timestamp (7 fractional digits) ``minutes`` after START."""
    return (START + datetime.timedelta(minutes=minutes)).strftime('%Y-%m-%dT%H:%M:%S.%f') + '0+00:00'


def vm(instance_id, zone=None, ud=0, deadline=None, health='healthy', code='None', allowed=True, message=None,
       in_wave=True):
    """One VM as the VM list sends it, summarised as instance_view_info returns it."""
    view = {'platformUpdateDomain': ud, 'platformFaultDomain': 0,
            'statuses': [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/running'}],
            'vmHealth': {'status': {'code': 'HealthState/%s' % health}}}
    if in_wave:
        view['maintenanceRedeployStatus'] = {
            'isCustomerInitiatedMaintenanceAllowed': allowed, 'preMaintenanceWindowStartTime': at(-2880),
            'preMaintenanceWindowEndTime': at(deadline if deadline is not None else 14400),
            'maintenanceWindowStartTime': at(15000), 'maintenanceWindowEndTime': at(25000),
            'lastOperationResultCode': code}
        if message:
            view['maintenanceRedeployStatus']['lastOperationMessage'] = message
    body = {'instanceId': str(instance_id), 'name': 'vmss_%s' % instance_id, 'properties': {'instanceView': view}}
    if zone is not None:
        body['zones'] = [str(zone)]
    return summarize(body)


# The simulator's `windows` scenario: id -> (zone, update domain, deadline in minutes from START)
SCENARIO = {0: (1, 0, 14400), 1: (2, 1, 180), 2: (3, 2, 12960), 3: (1, 3, 300), 4: (2, 4, 11520), 5: (3, 0, 50),
            6: (1, 1, 120), 9: (1, 4, 10080), 10: (2, 0, 40), 11: (3, 1, 8640)}


def scenario_fleet():
    return [vm(i, zone=z, ud=ud, deadline=d) for i, (z, ud, d) in sorted(SCENARIO.items())]


def ids(plan):
    return [b['instance_ids'] for b in plan['batches']]


# -- ordering -------------------------------------------------------------------------------------------------

def test_deadline_first_across_zones_keeps_zones_and_batch_size():
    plan = planning.plan_batches(scenario_fleet(), max_batch_instance_percent=20)
    assert plan['batch_size'] == 2
    assert ids(plan) == [['10', '1'], ['5', '11'], ['6', '3'], ['9', '0'], ['4'], ['2']]
    assert [b['zone'] for b in plan['batches']] == ['2', '3', '1', '1', '2', '3']
    assert [b['number'] for b in plan['batches']] == [1, 2, 3, 4, 5, 6]
    # zone by zone and id order would have started with zone 1's 0 and 3
    for batch in plan['batches']:
        assert len(set(SCENARIO[int(i)][0] for i in batch['instance_ids'])) == 1


def test_stepped_sizes_go_deadline_first_and_keep_zones():
    """Batch sizes come from the batch's place in the run, the group that gives it from the deadlines."""
    plan = planning.plan_batches(scenario_fleet(), max_batch_instance_percent=100, batch_sizes=[1, 3])
    # the canary is the instance with the earliest deadline (10: 40 min); then 3 at a time, never two zones
    assert ids(plan) == [['10'], ['5', '11', '2'], ['6', '3', '9'], ['1', '4'], ['0']]
    assert [b['zone'] for b in plan['batches']] == ['2', '3', '1', '2', '1']
    # with the percent cap under the step, the cap wins
    capped = planning.plan_batches(scenario_fleet(), max_batch_instance_percent=20, batch_sizes=[1, 3])
    assert ids(capped) == [['10'], ['5', '11'], ['6', '3'], ['1', '4'], ['9', '0'], ['2']]


def test_deadline_first_cross_zone():
    plan = planning.plan_batches(scenario_fleet(), enable_cross_zone_upgrade=True)
    assert ids(plan) == [['10', '5'], ['6', '1'], ['3', '11'], ['9', '4'], ['2', '0']]
    assert all(b['zone'] is None for b in plan['batches'])


def test_equal_deadlines_keep_update_domain_then_id_order():
    fleet = [vm(i, zone=1, ud=ud, deadline=600) for i, ud in ((0, 2), (1, 0), (2, 1), (3, 0))]
    assert ids(planning.plan_batches(fleet, max_batch_instance_percent=50)) == [['1', '3'], ['2', '0']]


def test_equal_deadlines_plan_zone_by_zone_as_before():
    fleet = [vm(i, zone=i % 2 + 1, ud=i % 3) for i in range(6)]
    plan = planning.plan_batches(fleet, max_batch_instance_percent=34)
    assert [b['zone'] for b in plan['batches']] == ['1', '1', '2', '2']


def test_prioritize_unhealthy_still_goes_first():
    fleet = scenario_fleet()
    fleet[[e['instance_id'] for e in fleet].index('2')]['health_state'] = 'unhealthy'
    plan = planning.plan_batches(fleet, prioritize_unhealthy_instances=True)
    assert ids(plan)[0] == ['2', '5']          # zone 3: the unhealthy one, then its zone's earliest deadline
    assert ids(plan)[1] == ['10', '1']
    assert planning.plan_batches(fleet)['batches'][0]['instance_ids'] == ['10', '1']


def test_one_update_domain_per_batch():
    fleet = [vm(i, zone=i % 2 + 1, ud=i % 3, deadline=1000 - 10 * i) for i in range(12)]
    plan = planning.plan_batches(fleet, max_batch_instance_percent=25, one_update_domain_per_batch=True)
    by_id = dict((e['instance_id'], e) for e in fleet)
    for batch in plan['batches']:
        assert len(batch['update_domains']) == 1 and len(batch['instance_ids']) <= 3
        assert set(by_id[i]['zone'] for i in batch['instance_ids']) == set([batch['zone']])
    assert sorted(i for b in plan['batches'] for i in b['instance_ids']) == sorted(by_id)
    # the latest ids have the earliest deadlines: 11 (zone 2, update domain 2) goes first
    assert plan['batches'][0]['instance_ids'][0] == '11'
    # without it, a batch of 3 mixes update domains
    assert any(len(b['update_domains']) > 1 for b in planning.plan_batches(fleet, max_batch_instance_percent=25)['batches'])


def test_closed_and_not_yet_open_windows_stay_skipped_with_the_time():
    fleet = scenario_fleet() + [vm(7, zone=2, allowed=False), vm(8, zone=3, deadline=-60, allowed=False)]
    fleet[-2]['maintenance']['pre_maintenance_window_start_time'] = at(360)
    plan = planning.plan_batches(fleet, now=START)
    reasons = dict((s['instance_id'], s['reason']) for s in plan['skipped'])
    assert reasons['7'] == 'the self-service maintenance window opens at %s' % at(360)
    assert reasons['8'] == 'the self-service maintenance window closed at %s' % at(-60)
    assert '7' not in str(ids(plan)) and '8' not in str(ids(plan))


# -- the estimate and the deadline warnings --------------------------------------------------------------------

def test_schedule_estimates_and_deadlines_per_batch():
    fleet = scenario_fleet()
    plan = planning.plan_batches(fleet)
    timed = scheduling.schedule(plan, fleet, START, expected_batch_minutes=30)
    first, second = timed['batches'][0], timed['batches'][1]
    assert first['deadline'] == '2026-12-01T20:40:00Z' and first['estimated_start'] == '2026-12-01T20:00:00Z'
    assert first['estimated_end'] == '2026-12-01T20:30:00Z' and second['estimated_end'] == '2026-12-01T21:00:00Z'
    assert second['deadline'] == '2026-12-01T20:50:00Z'
    assert timed['batches'][-1]['estimated_end'] == '2026-12-01T23:00:00Z'
    assert timed['estimated_end'] == '2026-12-01T23:00:00Z'
    assert all(b['in_run_window'] for b in timed['batches'])
    # exactly the instance the plan cannot reach: 5 (deadline 20:50) in batch 2, estimated to end 21:00
    assert timed['deadline_warnings'] == [dict(instance_id='5', deadline='2026-12-01T20:50:00Z', batch=2,
                                               estimated_end='2026-12-01T21:00:00Z')]
    # the plan itself is not changed
    assert 'deadline' not in plan['batches'][0]


def test_schedule_pause_and_default_minutes():
    fleet = scenario_fleet()
    plan = planning.plan_batches(fleet)
    timed = scheduling.schedule(plan, fleet, START.isoformat(), pause=scheduling.pause_seconds(60, 1800))
    assert role_variables.DEFAULT_BATCH_MINUTES == 30
    assert [b['estimated_start'][11:16] for b in timed['batches']] == ['20:00', '21:00', '22:00', '23:00', '00:00',
                                                                       '01:00']
    # with half-hour gaps, 6 (deadline 22:00) in batch 3 (ends 22:30) is missed as well
    assert [w['instance_id'] for w in timed['deadline_warnings']] == ['5', '6']
    text = window_outcomes.describe_deadline_warnings(timed['deadline_warnings'])
    assert text.startswith('The plan cannot maintain 2 instance(s) by their self-service deadline')
    assert '5 (deadline 2026-12-01T20:50:00Z, batch 2 estimated to end 2026-12-01T21:30:00Z)' in text
    assert window_outcomes.describe_deadline_warnings([]) == ''


def test_schedule_marks_batches_beyond_the_run_window():
    fleet = scenario_fleet()
    plan = planning.plan_batches(fleet)
    end = role_variables.not_after('PT45M', START)
    timed = scheduling.schedule(plan, fleet, START, 30, window_end=end)
    assert [b['in_run_window'] for b in timed['batches']] == [True] + [False] * 5
    assert timed['estimated_end'] == '2026-12-01T20:30:00Z'


@pytest.mark.parametrize('value, minutes', [(30, 30), ('12', 12), (2.5, 2.5), ('0.5', 0.5)])
def test_batch_minutes(value, minutes):
    assert role_variables.batch_minutes(value) == minutes


@pytest.mark.parametrize('value', [0, -1, '', 'x', None, True, 'nan', 'inf'])
def test_batch_minutes_refused_naming_the_variable(value):
    with pytest.raises(role_variables.PlanningError) as err:
        role_variables.batch_minutes(value)
    assert 'safe_maintenance_expected_batch_minutes' in str(err.value)


# -- the run window --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('PT4H', START + datetime.timedelta(hours=4)),
    ('pt90m', START + datetime.timedelta(minutes=90)),
    ('P1DT30M', START + datetime.timedelta(days=1, minutes=30)),
    ('2026-12-01T23:30:00+01:00', datetime.datetime(2026, 12, 1, 22, 30, tzinfo=datetime.timezone.utc)),
    ('2026-12-01T22:30:00Z', datetime.datetime(2026, 12, 1, 22, 30, tzinfo=datetime.timezone.utc)),
    ('2026-12-01T22:30:00.1234567+00:00',
     datetime.datetime(2026, 12, 1, 22, 30, 0, 123456, tzinfo=datetime.timezone.utc)),
])
def test_not_after(value, expected):
    assert role_variables.not_after(value, START) == expected


@pytest.mark.parametrize('value', [None, '', '  '])
def test_no_run_window(value):
    assert role_variables.not_after(value, START) is None
    assert scheduling.next_batch_fits(START, None, 30)


@pytest.mark.parametrize('value, words', [
    ('2026-12-01T22:30:00', 'no UTC offset'), ('tomorrow', 'date-time with an offset'), ('P1M', 'duration'),
    ('PT', 'duration'), (4, 'date-time with an offset')])
def test_not_after_refused_naming_the_variable(value, words):
    with pytest.raises(role_variables.PlanningError) as err:
        role_variables.not_after(value, START)
    assert 'safe_maintenance_not_after' in str(err.value) and words in str(err.value)


def test_next_batch_fits():
    end = role_variables.not_after('PT45M', START)
    assert scheduling.next_batch_fits(START, end, 30)
    assert scheduling.next_batch_fits(START + datetime.timedelta(minutes=15), end, 30)
    assert not scheduling.next_batch_fits(START + datetime.timedelta(minutes=16), end, 30)
    assert not scheduling.next_batch_fits('2026-12-01T20:16:00Z', end, 30)


# -- proof of completion ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('entry, outcome, code, words', [
    (vm(0, code='MaintenanceCompleted', allowed=False), 'maintained', 'MaintenanceCompleted', 'MaintenanceCompleted'),
    (vm(0, in_wave=False), 'maintained', None, 'no longer reports pending maintenance'),
    (vm(0, code='RetryLater', message='try again in an hour'), 'failed', 'RetryLater', 'RetryLater: try again'),
    (vm(0, code='MaintenanceAborted', message='aborted by the platform'), 'failed', 'MaintenanceAborted',
     'MaintenanceAborted: aborted by the platform'),
    (vm(0, code='None'), 'not_confirmed', 'None', 'lastOperationResultCode None'),
])
def test_completion(entry, outcome, code, words):
    got = window_outcomes.completion(entry)
    assert got[0] == outcome and got[2] == code and words in got[1]


def test_instance_outcomes_and_failures():
    batch = [vm(1, code='MaintenanceCompleted', allowed=False),
             vm(2, code='MaintenanceAborted', message='aborted'),
             vm(3, code='None', health='unhealthy')]
    outcomes = window_outcomes.maintenance_outcomes(batch, planning.unhealthy_ids(batch))
    assert [(o['instance_id'], o['outcome'], o['healthy']) for o in outcomes] == [
        ('1', 'maintained', True), ('2', 'failed', True), ('3', 'not_confirmed', False)]
    assert outcomes[1]['reason'] == 'Azure reports MaintenanceAborted: aborted'
    assert window_outcomes.proof_failures(outcomes) == ['2']


def test_pause_seconds():
    assert scheduling.pause_seconds(0, 0) == 0
    assert scheduling.pause_seconds(60, None) == 60
    assert scheduling.pause_seconds(60, 1800) == 1800


# -- budgets, what success means, the run window's stop, the per-instance report -------------------------------

def outcome(instance_id, state='maintained', healthy=True, reason='Azure reports MaintenanceCompleted'):
    return dict(instance_id=instance_id, outcome=state, reason=reason, healthy=healthy,
                last_operation_result_code='MaintenanceCompleted' if state == 'maintained' else 'None')


def test_upgraded_unhealthy_counts_failures_and_unhealthy():
    outcomes = [outcome('10'), outcome('2', healthy=False), outcome('9', 'failed', reason='Azure reports RetryLater'),
                outcome('3', 'not_confirmed')]
    assert window_outcomes.upgraded_unhealthy_ids(outcomes) == ['2', '9']


def test_verdict_success_only_when_all_proven_and_healthy():
    assert window_outcomes.verdict([outcome('1'), outcome('2')]) == dict(ok=True, failed=False, message='', instance_ids=[])
    assert window_outcomes.verdict([])['ok']
    bad = [outcome('1'), outcome('12', healthy=False),
           outcome('3', 'not_confirmed', reason='Azure does not report the maintenance completed '
                                                '(lastOperationResultCode None)')]
    got = window_outcomes.verdict(bad)
    assert got['failed'] and not got['ok'] and got['instance_ids'] == ['3', '12']
    assert got['message'] == ('2 of 3 maintained instance(s) are not proven maintained and healthy: 3 (Azure does not '
                              'report the maintenance completed (lastOperationResultCode None)), 12 (unhealthy; Azure '
                              'reports MaintenanceCompleted).')
    warned = window_outcomes.verdict(bad, fail_on_unhealthy_after=False)
    assert not warned['failed'] and not warned['ok'] and 'a warning, not a failure' in warned['message']


def test_window_stop():
    got = scheduling.window_stop('2026-12-01T21:00:00+01:00', ['11', '3'])
    assert not got['failed']
    assert got['message'] == ('The run window ends at 2026-12-01T20:00:00Z (safe_maintenance_not_after) and the next '
                              'batch is estimated to end later: left for the next window: 3, 11. Run the role again '
                              'in the next window to continue.')
    assert scheduling.window_stop(START, [], fail_at_window_end=True)['failed']


def test_next_batch_keeps_to_the_planned_start():
    fleet = scenario_fleet()
    end = role_variables.not_after('PT45M', START)
    timed = scheduling.schedule(planning.plan_batches(fleet), fleet, START, 30, window_end=end)
    first, second = timed['batches'][0], timed['batches'][1]
    # batch 1 fits at once; batch 2, though batch 1 was done in a minute, is planned to start at 20:30
    assert scheduling.next_batch_fits(START + datetime.timedelta(minutes=1), end, 30, first)
    assert not scheduling.next_batch_fits(START + datetime.timedelta(minutes=1), end, 30, second)
    # the pause counts too
    assert not scheduling.next_batch_fits(START, end, 30, first, pause=16 * 60)
    assert scheduling.next_batch_fits(START, end, 30, first, pause=15 * 60)


def test_window_variable_problems():
    assert role_variables.window_variable_problems({'safe_maintenance_expected_batch_minutes': 30,
                                                    'safe_maintenance_not_after': 'PT4H',
                                                    'safe_maintenance_update_domain_pause': 'PT30M',
                                                    'safe_maintenance_scale_set': 'x'}, START) == []
    assert role_variables.window_variable_problems({'safe_maintenance_not_after': '', 'safe_maintenance_update_domain_pause': ''},
                                                   START) == []
    problems = role_variables.window_variable_problems({'safe_maintenance_expected_batch_minutes': 0,
                                                        'safe_maintenance_not_after': 'soon',
                                                        'safe_maintenance_update_domain_pause': '30m'}, START)
    assert len(problems) == 3
    assert problems[0].startswith('safe_maintenance_expected_batch_minutes must be a number of minutes')
    assert problems[1].startswith('safe_maintenance_not_after must be an ISO 8601 date-time')
    assert problems[2].startswith("safe_maintenance_update_domain_pause '30m' is not an ISO 8601 duration")


# -- what the role's plan, batch records and report take from here --------------------------------------------

def windowed_plan(not_after_value='PT45M', ud_pause=None):
    fleet = scenario_fleet()
    plan = planning.plan_batches(fleet, one_update_domain_per_batch=bool(ud_pause))
    return fleet, scheduling.scheduled_plan(plan, fleet, START, 30, 'PT1M', ud_pause, not_after_value, START)


def record(number, ids, outcomes=None, outcome='healthy'):
    """A batch record as decisions.batch_record writes it, with proof() added."""
    entry = dict(number=number, instance_ids=list(ids), maintained_instance_ids=list(ids), outcome=outcome,
                 unhealthy_after=[])
    entry.update(window_outcomes.proof(outcomes if outcomes is not None else
                                       [vm(i, code='MaintenanceCompleted', allowed=False) for i in ids], []))
    return entry


def test_scheduled_plan():
    _fleet, plan = windowed_plan()
    assert plan['run_window_end'] == '2026-12-01T20:45:00Z' and plan['pause_seconds'] == 60
    assert plan['expected_batch_minutes'] == 30 and plan['update_domain_pause'] is None
    assert [b['in_run_window'] for b in plan['batches']] == [True] + [False] * 5
    assert plan['batches'][1]['estimated_start'] == '2026-12-01T20:31:00Z'
    assert plan['eligible'] and plan['batch_size'] == 2
    _fleet, spaced = windowed_plan(None, 'PT30M')
    assert spaced['pause_seconds'] == 1800 and spaced['run_window_end'] is None
    assert all(len(b['update_domains']) == 1 for b in spaced['batches'])
    with pytest.raises(role_variables.PlanningError, match='safe_maintenance_update_domain_pause'):
        windowed_plan(None, '30m')


def test_window_stop_message():
    _fleet, plan = windowed_plan()
    first, second = plan['batches'][0], plan['batches'][1]
    assert scheduling.window_stop_message(first, START, plan) == ''
    done = [record(1, first['instance_ids'])]
    message = scheduling.window_stop_message(second, START + datetime.timedelta(minutes=2), plan, done)
    assert 'left for the next window: 0, 2, 3, 4, 5, 6, 9, 11.' in message
    _fleet, open_ended = windowed_plan(None)
    assert scheduling.window_stop_message(second, START + datetime.timedelta(days=30), open_ended, done) == ''


def test_proof_in_a_batch_record():
    entry = record(1, ['10', '1'], [vm(10, code='MaintenanceAborted', message='aborted by the platform'),
                                    vm(1, code='MaintenanceCompleted', allowed=False)])
    assert entry['failed_maintenance'] == ['10']
    assert [o['outcome'] for o in entry['instance_outcomes']] == ['failed', 'maintained']
    assert window_outcomes.upgraded_unhealthy_ids(window_outcomes.record_outcomes([entry, record(2, ['5'])])) == ['10']


def test_window_report_success_warning_and_failure():
    _fleet, plan = windowed_plan()
    records = [record(1, ['10', '1'])]
    stop = scheduling.window_stop_message(plan['batches'][1], START, plan, records)
    got = window_outcomes.window_report(plan, records, stop)
    assert got['failed'] is False and got['run_window']['stopped'] and got['run_window']['message'] == stop
    assert got['left_for_next_window'] == ['0', '2', '3', '4', '5', '6', '9', '11']
    assert got['verdict']['ok'] and got['warnings'][-1] == stop
    assert got['deadline_warnings'] == plan['deadline_warnings'] and got['warnings'][0].startswith('The plan cannot')
    assert window_outcomes.window_report(plan, records, stop, fail_at_window_end=True)['failed']
    # within the budget, but Azure did not confirm 1: the run fails after its batches, or warns
    unconfirmed = [record(1, ['10', '1'], [vm(10, code='MaintenanceCompleted', allowed=False), vm(1)])]
    failed = window_outcomes.window_report(plan, unconfirmed)
    assert failed['failed'] and failed['verdict']['instance_ids'] == ['1'] and not failed['run_window']['stopped']
    warned = window_outcomes.window_report(plan, unconfirmed, fail_on_unhealthy_after=False)
    assert not warned['failed'] and warned['warnings'][-1] == warned['verdict']['message']
    # a run that stopped on a budget has no verdict of its own: the stop is its failure
    assert window_outcomes.window_report(plan, unconfirmed, aborted=True)['verdict'] is None
    assert window_outcomes.window_report({}, [])['run_window']['not_after'] is None


def test_annotate_instances():
    fleet = scenario_fleet()
    entries = [dict(instance_id=i['instance_id'], outcome='maintained' if i['instance_id'] in ('10', '1') else 'left',
                    reason='maintained, running and healthy again', last_operation_result_code='None')
               for i in fleet]
    records = [record(1, ['10', '1'], [vm(10, code='RetryLater', message='later'),
                                       vm(1, code='MaintenanceCompleted', allowed=False)])]
    got = dict((e['instance_id'], e) for e in window_outcomes.annotate_instances(entries, fleet, records, ['5']))
    assert got['10']['outcome'] == 'failed' and got['10']['reason'] == 'Azure reports RetryLater: later'
    assert got['10']['last_operation_result_code'] == 'RetryLater' and got['10']['deadline'] == '2026-12-01T20:40:00Z'
    assert got['1']['outcome'] == 'maintained' and got['1']['last_operation_result_code'] == 'MaintenanceCompleted'
    assert got['5']['reason'] == 'left for the next window' and got['6']['reason'] != 'left for the next window'
    assert entries[0]['instance_id'] == '0' and 'deadline' not in entries[0]   # the entries given are not changed
