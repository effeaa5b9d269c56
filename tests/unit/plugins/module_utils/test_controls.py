# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator controls: stepped batch sizes, the floor, the alert gate, the hook batch, variable checks."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    batches as batch_records, gates, plan as planning, schedule as scheduling, variables as role_variables)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.plan import plan_batches
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.variables import PlanningError


def inst(iid, zone=None, ud=None, health='healthy', power='running', allowed=True):
    return {'instance_id': str(iid), 'name': 'web_%s' % iid, 'zone': zone, 'power_state': power,
            'provisioning_state': 'succeeded', 'health_state': health, 'maintenance_allowed': allowed,
            'maintenance': {'is_customer_initiated_maintenance_allowed': allowed, 'last_operation_result_code': 'None'},
            'platform_update_domain': int(iid) % 5 if ud is None else ud, 'platform_fault_domain': 0,
            'instance_view': {'computer_name': 'web%06x' % int(iid)}}


# -- batch sizes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('value,expect', [
    ([1, 5, '20%'], [(1, False), (5, False), (20, True)]),
    (['1', ' 50% '], [(1, False), (50, True)]),
    (3, [(3, False)]),
    ('100%', [(100, True)]),
    (None, []), ([], []), ('', []),
])
def test_parse_batch_sizes(value, expect):
    assert role_variables.parse_batch_sizes(value) == expect


@pytest.mark.parametrize('value,words', [
    ([1, 0], 'item 2 is 0: a batch takes at least 1 instance'),
    (['0%'], 'item 1'),
    (['150%'], '1% to 100%'),
    ([1, 'many'], "item 2 is 'many'"),
    ([True], 'item 1 is True'),
    ([2.5], 'item 1 is 2.5'),
    ([-1], 'item 1 is -1'),
])
def test_bad_batch_sizes_name_the_variable_and_the_item(value, words):
    with pytest.raises(PlanningError) as caught:
        role_variables.parse_batch_sizes(value)
    assert str(caught.value).startswith('safe_maintenance_batch_sizes item')
    assert words in str(caught.value)


def test_batch_sizes_must_be_a_list():
    with pytest.raises(PlanningError) as caught:
        role_variables.parse_batch_sizes({'first': 1})
    assert str(caught.value).startswith('safe_maintenance_batch_sizes must be a list of batch sizes')


def test_steps_are_capped_by_the_percent_and_percent_of_all_instances():
    assert planning.batch_size_steps(10, [1, '50%'], 100) == [1, 5]
    # the cap: 20% of 10 = 2 per batch at most
    assert planning.batch_size_steps(10, [1, 5, '50%'], 20) == [1, 2, 2]
    # 20% of 3 instances rounds down to 0: at least one, as serial does
    assert planning.batch_size_steps(3, ['20%'], 100) == [1]
    assert planning.batch_size_steps(10, None, 30) == [3]
    assert [planning.size_of_batch(n, [1, 5, 2]) for n in range(1, 6)] == [1, 5, 2, 2, 2]


def test_plan_with_stepped_sizes_keeps_the_zone_rule():
    fleet = [inst(i, zone=str(1 + i % 2), ud=0) for i in range(10)]  # zone 1: 0 2 4 6 8, zone 2: 1 3 5 7 9
    plan = plan_batches(fleet, max_batch_instance_percent=100, batch_sizes=[1, '50%'])
    assert [b['instance_ids'] for b in plan['batches']] == [['0'], ['2', '4', '6', '8'], ['1', '3', '5', '7', '9']]
    assert [b['zone'] for b in plan['batches']] == ['1', '1', '2']
    capped = plan_batches(fleet, max_batch_instance_percent=20, batch_sizes=[1, '50%'])
    assert [len(b['instance_ids']) for b in capped['batches']] == [1, 2, 2, 2, 2, 1]
    # without batch_sizes the plan is what it was: the percent for every batch
    plain = plan_batches(fleet, max_batch_instance_percent=20)
    assert [len(b['instance_ids']) for b in plain['batches']] == [2, 2, 1, 2, 2, 1]
    cross = plan_batches(fleet, max_batch_instance_percent=100, batch_sizes=[1, '50%'], enable_cross_zone_upgrade=True)
    assert [len(b['instance_ids']) for b in cross['batches']] == [1, 5, 4]


def test_chunk_batches_numbers_across_zones_and_lists_update_domains():
    groups = [('1', [inst(0, ud=0), inst(3, ud=3)]), ('2', [inst(1, ud=1), inst(4, ud=1), inst(7, ud=2)])]
    batches = planning.chunk_batches(groups, [1, 2])
    assert batches == [
        {'number': 1, 'zone': '1', 'instance_ids': ['0'], 'update_domains': [0]},
        {'number': 2, 'zone': '1', 'instance_ids': ['3'], 'update_domains': [3]},
        {'number': 3, 'zone': '2', 'instance_ids': ['1', '4'], 'update_domains': [1]},
        {'number': 4, 'zone': '2', 'instance_ids': ['7'], 'update_domains': [2]},
    ]


# -- the floor ----------------------------------------------------------------------------------------------

def reading(total, unhealthy_ids=()):
    """A fleet health reading as the role takes it (instances: the count, unhealthy_ids)."""
    return {'instances': total, 'unhealthy': len(unhealthy_ids), 'unhealthy_ids': list(unhealthy_ids)}


def test_floor_refuses_a_batch_that_would_go_below_it():
    health = reading(5, ['4'])
    assert gates.min_healthy_refusal(health, ['0', '1'], 2) == ''
    msg = gates.min_healthy_refusal(health, ['0', '1', '4'], 3, batch_number=2)
    assert msg.startswith('batch 2 would leave 2 healthy instances, fewer than safe_maintenance_min_healthy_instances 3: '
                          '4 of 5 instances are healthy and batch 2 takes 2 of them (0, 1) out of service.')
    assert gates.min_healthy_refusal(health, ['0'], 0) == ''
    # an unhealthy member takes nothing healthy away; exactly at the floor is allowed
    assert gates.min_healthy_refusal(health, ['4'], 4) == ''
    assert gates.min_healthy_refusal(reading(3), ['0'], 2) == ''
    assert gates.min_healthy_refusal(reading(3), ['0'], 3).startswith('the batch would leave 2 healthy instances')


@pytest.mark.parametrize('bad', [-1, 'two', True, 1.5, None])
def test_floor_value_is_checked(bad):
    with pytest.raises(PlanningError) as caught:
        gates.min_healthy_refusal(reading(1), ['0'], bad)
    assert 'safe_maintenance_min_healthy_instances must be a whole number' in str(caught.value)


# -- the canary ---------------------------------------------------------------------------------------------

def test_pause_before_batch_two_is_at_least_the_canary_pause():
    assert scheduling.pause_before_batch(1, 10, 'PT5M') == 0
    assert scheduling.pause_before_batch(2, 10, 'PT5M') == 300
    assert scheduling.pause_before_batch(2, 600, 'PT5M') == 600
    assert scheduling.pause_before_batch(3, 10, 'PT5M') == 10
    assert scheduling.pause_before_batch(2, 0.4, 'PT0S') == 1
    assert scheduling.pause_before_batch(2, 0, None) == 0
    with pytest.raises(PlanningError) as caught:
        scheduling.pause_before_batch(2, 0, '5m')
    assert 'safe_maintenance_canary_pause' in str(caught.value)


def test_canary_refusal_when_batch_one_went_unhealthy_during_the_pause():
    assert gates.canary_refusal(reading(5, ['3']), ['0'], 'PT1M') == ''
    msg = gates.canary_refusal(reading(5, ['0', '3']), ['0'], 'PT1M')
    assert msg == ('the canary batch 1 did not hold: instance 0 is unhealthy after safe_maintenance_canary_pause PT1M. '
                   'Batch 2 was not started; look at it first.')
    assert gates.canary_refusal(reading(5, ['0']), ['0'], 'PT0S') == ''


# -- the alert gate ---------------------------------------------------------------------------------------

def alert(name, severity, target='vmss-web', start='2026-12-01T20:00:00Z'):
    return {'name': name, 'severity': severity, 'monitor_condition': 'Fired', 'alert_state': 'New',
            'target_resource_name': target, 'start_date_time': start}


def test_alert_gate_holds_on_the_default_severities_and_names_each_alert():
    msg = gates.alert_refusal([alert('disk', 'Sev3'), alert('lb probes', 'Sev2', 'lb'), alert('cpu high', 'Sev1')],
                              batch_number=2, alert_wait='PT1M')
    assert msg == ("2 Azure Monitor alerts of severity Sev0/Sev1/Sev2 still fire after waiting safe_maintenance_alert_wait "
                   "PT1M, holding batch 2: 'cpu high' (Sev1) on vmss-web; 'lb probes' (Sev2) on lb. Resolve them, or "
                   "change safe_maintenance_alert_severities or safe_maintenance_block_on_alerts.")


def test_alert_gate_passes_lower_severities_and_resolved_alerts():
    assert gates.alert_refusal([alert('disk', 'Sev3')]) == ''
    assert gates.alert_refusal([dict(alert('cpu', 'Sev1'), monitor_condition='Resolved')]) == ''
    assert gates.alert_refusal([alert('disk', 'Sev3')], severities=['Sev3']) != ''
    one = gates.alert_refusal([alert('cpu', 'Sev0', target='')])
    assert one.startswith("1 Azure Monitor alert of severity Sev0/Sev1/Sev2 still fires, holding the next batch: "
                          "'cpu' (Sev0). Resolve it,")


def test_alert_gate_takes_the_module_result_and_stays_closed_when_the_read_failed():
    assert gates.alert_refusal({'alerts': [alert('disk', 'Sev3')], 'changed': False}, batch_number=1) == ''
    assert gates.alert_refusal({'alerts': [alert('cpu', 'Sev1')]}, batch_number=1).startswith('1 Azure Monitor alert')
    failed = {'failed': True, 'msg': 'Failed to read the fired Azure Monitor alerts: AuthorizationFailed (HTTP 403)'}
    assert gates.alert_refusal(failed, batch_number=3) == (
        'the Azure Monitor alerts could not be read before batch 3, so the alert gate stays closed: Failed to read '
        'the fired Azure Monitor alerts: AuthorizationFailed (HTTP 403)')


@pytest.mark.parametrize('bad,words', [([], 'non-empty list'), ('Sev1', 'non-empty list'),
                                       (['Sev1', 'High'], "has 'High'")])
def test_alert_severities_are_checked(bad, words):
    with pytest.raises(PlanningError) as caught:
        role_variables.alert_severities(bad)
    assert str(caught.value).startswith('safe_maintenance_alert_severities') and words in str(caught.value)


def test_alert_polls():
    # seconds: the whole wait, from which the role sets the gate's clock deadline
    assert scheduling.alert_polls('PT5M') == {'retries': 10, 'delay': 30, 'seconds': 300}
    assert scheduling.alert_polls('PT5M', 0) == {'retries': 10, 'delay': 30, 'seconds': 300}
    assert scheduling.alert_polls('PT0S', 2) == {'retries': 0, 'delay': 2, 'seconds': 0}
    assert scheduling.alert_polls('PT5S', 2) == {'retries': 3, 'delay': 2, 'seconds': 5}
    with pytest.raises(PlanningError) as caught:
        scheduling.alert_polls('5 minutes')
    assert 'safe_maintenance_alert_wait' in str(caught.value)


# -- hooks and variables ------------------------------------------------------------------------------------

def test_hook_batch_has_ids_names_computer_names_zone_and_update_domains():
    fleet = [inst(3, zone='2'), inst(8, zone='2')]
    batch = {'number': 2, 'zone': '2', 'instance_ids': ['3', '8'], 'update_domains': [3]}
    assert batch_records.hook_batch(batch, fleet) == {
        'number': 2, 'instance_ids': ['3', '8'], 'instance_names': ['web_3', 'web_8'],
        'computer_names': ['web000003', 'web000008'], 'zone': '2', 'update_domains': [3]}


def test_hook_failure_messages():
    batch = {'number': 2, 'instance_ids': ['3', '8']}
    assert batch_records.hook_failure(batch, 'before', '/p/drain.yml', 'drain timed out') == (
        'safe_maintenance_before_batch_tasks (/p/drain.yml) failed before batch 2 (instances 3, 8): drain timed out. '
        'Batch 2 was not started.')
    assert batch_records.hook_failure(batch, 'after', '/p/up.yml', '') == (
        'safe_maintenance_after_batch_tasks (/p/up.yml) failed after batch 2 (instances 3, 8) was maintained: '
        'a task failed.')
    with pytest.raises(PlanningError):
        batch_records.hook_failure(batch, 'during', '/p', 'x')


def test_control_variable_problems_name_each_variable():
    problems = role_variables.control_variable_problems({
        'safe_maintenance_batch_sizes': [1, 'x'], 'safe_maintenance_min_healthy_instances': -2,
        'safe_maintenance_alert_severities': ['Sev7'], 'safe_maintenance_canary_pause': '10m',
        'safe_maintenance_alert_wait': 'PT1M', 'safe_maintenance_block_on_alerts': 'sometimes',
        'safe_maintenance_before_batch_tasks': 42, 'safe_maintenance_after_batch_tasks': '',
        'safe_maintenance_scale_set': 'not mine'})
    assert [p.split(' ')[0] for p in problems] == [
        'safe_maintenance_alert_severities', 'safe_maintenance_batch_sizes', 'safe_maintenance_before_batch_tasks',
        'safe_maintenance_block_on_alerts', 'safe_maintenance_canary_pause', 'safe_maintenance_min_healthy_instances']
    assert role_variables.control_variable_problems({'safe_maintenance_batch_sizes': [], 'safe_maintenance_alert_severities': None,
                                                     'safe_maintenance_block_on_alerts': False}) == []
    # -e gives strings: what Ansible takes as a boolean is one
    assert role_variables.control_variable_problems({'safe_maintenance_block_on_alerts': 'true'}) == []
    assert role_variables.control_variable_problems({'safe_maintenance_block_on_alerts': 'maybe'}) != []
