# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's gates: budgets at their edges, what counts as recovered, the batch record, the refusals."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import health as instance_health
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    batches as batch_records, gates, policy as policies, report)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.variables import PlanningError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import outcomes as window_outcomes


T0 = '2026-12-01T10:00:00.000000Z'
T1 = '2026-12-01T10:01:30.000000Z'


def vm(instance_id, health='healthy', power='running', zone=None):
    return dict(instance_id=str(instance_id), health_state=health, power_state=power, provisioning_state='succeeded',
                zone=zone, platform_update_domain=int(instance_id) % 5)


@pytest.mark.parametrize('unhealthy, total, percent, within', [
    (2, 10, 20, True),     # exactly at the percent is within
    (3, 10, 20, False),
    (0, 0, 20, True),      # no instances: nothing is unhealthy
    (1, 0, 100, False),    # ... and none may be
    (0, 1, 1, True),
    (1, 1, 100, True),     # one instance: only 100 % lets it be unhealthy
    (1, 1, 99, False),
    (1, 3, 33, False),     # 33.3 % rounds neither way: more than 33, not more than 34
    (1, 3, 34, True),
    (1, 5, 20, True),
    (2, 7, 28, False),     # 28.57 %
    (2, 7, 29, True),
    (200, 1000, 20, True),
    (201, 1000, 20, False),
])
def test_within_budget_edges(unhealthy, total, percent, within):
    assert gates.within_budget(unhealthy, total, percent) is within


def test_batch_recovered():
    assert instance_health.batch_recovered([vm(0), vm(1)])
    assert not instance_health.batch_recovered([vm(0), vm(1, health='unknown')])
    assert not instance_health.batch_recovered([vm(0), vm(1, power='deallocated')])
    assert not instance_health.batch_recovered([])
    assert instance_health.batch_recovered([vm(0, health=None)])
    assert not instance_health.batch_recovered([vm(0, health=None)], require_health_signal=True)


def test_fleet_health_counts_in_id_order():
    reading = instance_health.fleet_health([vm(10, 'unhealthy'), vm(2, None), vm(9, power='stopped'), vm(1)], at=T0,
                                           source='preflight read')
    assert reading == dict(at=T0, source='preflight read', instances=4, unhealthy=2, unhealthy_ids=['9', '10'],
                           no_signal_ids=['2'])
    assert instance_health.fleet_health([vm(2, None)], require_health_signal=True)['unhealthy_ids'] == ['2']
    assert instance_health.fleet_health([])['instances'] == 0


def test_unhealthy_budget_refusal_before_the_run_and_before_a_batch():
    reading = instance_health.fleet_health([vm(0), vm(1, 'unhealthy'), vm(2), vm(3, 'unhealthy'), vm(4)])
    assert gates.unhealthy_budget_refusal(reading, 40) == ''
    message = gates.unhealthy_budget_refusal(reading, 20)
    assert message == '2 of 5 instances are unhealthy (1, 3), more than max_unhealthy_instance_percent 20%.'
    assert gates.unhealthy_budget_refusal(reading, '20', batch_number=3).startswith('before batch 3, 2 of 5')
    assert gates.unhealthy_budget_refusal(instance_health.fleet_health([]), 20) == ''


def test_health_signal_refusal():
    reading = instance_health.fleet_health([vm(0, None), vm(1), vm(2, None)])
    assert gates.health_signal_refusal(reading, False) == ''
    message = gates.health_signal_refusal(reading, True)
    assert 'instances 0, 2 report no health' in message and 'safe_maintenance_require_health_signal' in message
    assert gates.health_signal_refusal(instance_health.fleet_health([vm(1)]), True) == ''


def test_rolling_upgrade_refusal():
    running = dict(rolling_upgrade_active=True,
                   rolling_upgrade=dict(running_status=dict(code='RollingForward', start_time=T0)))
    message = gates.rolling_upgrade_refusal(running)
    assert 'is RollingForward (started %s)' % T0 in message
    assert 'safe_maintenance_allow_during_rolling_upgrade' in message
    assert gates.rolling_upgrade_refusal(running, allow_during_rolling_upgrade=True) == ''
    assert gates.rolling_upgrade_refusal(dict(rolling_upgrade_active=False, rolling_upgrade=None)) == ''


def test_os_upgrade_refusal():
    faulted = [dict(running_status=dict(code='Faulted'), error=dict(message='2 instances failed'))]
    message = gates.os_upgrade_refusal(faulted)
    assert 'ended Faulted (2 instances failed)' in message
    assert 'safe_maintenance_fail_on_faulted_os_upgrade' in message
    assert gates.os_upgrade_refusal(faulted, fail_on_faulted_os_upgrade=False) == ''
    assert gates.os_upgrade_refusal([dict(running_status=dict(code='Completed'))] + faulted) == ''
    assert gates.os_upgrade_refusal([]) == ''
    assert 'no error message' in gates.os_upgrade_refusal([dict(running_status=dict(code='Faulted'))])


def test_unknown_instances_refusal():
    assert gates.unknown_instances_refusal(dict(unknown=[]), 'vmss') == ''
    assert gates.unknown_instances_refusal(dict(unknown=['42', '43']), 'vmss') == (
        'safe_maintenance_instance_ids names 42, 43, which scale set vmss does not have.')


POLICY = dict(max_batch_instance_percent=20, max_unhealthy_instance_percent=20,
              max_unhealthy_upgraded_instance_percent=20, pause_time_between_batches='PT0S',
              prioritize_unhealthy_instances=False, enable_cross_zone_upgrade=False, source='role variables')


def test_effective_policy_field_by_field_from_variables_scale_set_and_defaults():
    unset = dict((key, None) for key in POLICY if key != 'source')
    scale_set = dict(upgrade_policy=dict(rolling_upgrade_policy=dict(
        max_batch_instance_percent=50, max_unhealthy_instance_percent=None, pause_time_between_batches='PT1S',
        max_surge=True)))
    policy = policies.effective_policy(dict(unset, max_unhealthy_upgraded_instance_percent=30), scale_set)
    assert policy['max_batch_instance_percent'] == 50 and policy['pause_time_between_batches'] == 'PT1S'
    assert policy['max_unhealthy_upgraded_instance_percent'] == 30 and policy['max_unhealthy_instance_percent'] == 20
    assert policy['sources'] == dict(max_batch_instance_percent='scale set rolling upgrade policy',
                                     max_unhealthy_instance_percent='default',
                                     max_unhealthy_upgraded_instance_percent='role variable',
                                     pause_time_between_batches='scale set rolling upgrade policy',
                                     prioritize_unhealthy_instances='default', enable_cross_zone_upgrade='default')
    assert policy['source'] == 'role variable, scale set rolling upgrade policy, default'
    assert 'max_surge' not in policy
    ignored = policies.effective_policy(unset, scale_set, from_scale_set=False)
    assert ignored['max_batch_instance_percent'] == 20 and ignored['source'] == 'default'
    assert policies.effective_policy(unset, dict(upgrade_policy=dict(rolling_upgrade_policy=None)))['source'] == 'default'
    with pytest.raises(PlanningError) as err:
        policies.effective_policy(unset, dict(upgrade_policy=dict(rolling_upgrade_policy=dict(
            pause_time_between_batches='5m'))))
    assert 'pauseTimeBetweenBatches' in str(err.value)


BATCH = dict(number=2, zone='1', instance_ids=['3', '6'], update_domains=[3, 1])
FLEET = instance_health.fleet_health([vm(i, 'unhealthy' if i in (4, 6) else 'healthy') for i in range(8)], at=T0)


def test_batch_record_healthy():
    operation = dict(changed=True, instance_ids=['3', '6'], skipped_instances=[], elapsed_seconds=41.5)
    record = batch_records.batch_record(BATCH, T0, T1, operation, dict(instances=[vm(3), vm(6)]), FLEET)
    assert record == dict(number=2, zone='1', instance_ids=['3', '6'], update_domains=[3, 1], started=T0, finished=T1,
                          maintenance_seconds=41.5, skipped_instances=[], maintained_instance_ids=['3', '6'],
                          unhealthy_after=[], outcome='healthy', fleet_instances=8, fleet_unhealthy_before=['4', '6'],
                          fleet_unhealthy_after=['4'], failed_maintenance=[], instance_outcomes=[
                              dict(instance_id=i, outcome='maintained', healthy=True, last_operation_result_code=None,
                                   reason='Azure no longer reports pending maintenance for it') for i in ('3', '6')])


def test_batch_record_unhealthy_failed_and_unknown():
    operation = dict(instance_ids=['3', '6'], elapsed_seconds=40.0)
    record = batch_records.batch_record(BATCH, T0, T1, operation, dict(instances=[vm(3, 'unhealthy'), vm(6)]))
    assert record['outcome'] == 'unhealthy after health_timeout' and record['unhealthy_after'] == ['3']
    assert 'fleet_instances' not in record
    failed = batch_records.batch_record(BATCH, T0, T1, dict(failed=True, msg='vmss_6 failed', instance_ids=['3', '6']),
                                        dict(skipped=True), FLEET)
    assert failed['outcome'] == 'maintenance failed' and failed['error'] == 'vmss_6 failed'
    assert failed['maintained_instance_ids'] == [] and 'fleet_unhealthy_after' not in failed
    unknown = batch_records.batch_record(BATCH, T0, T1, operation, dict(failed=True, msg='read failed'), FLEET)
    assert unknown['outcome'] == 'health not known' and unknown['error'] == 'read failed'
    assert unknown['maintained_instance_ids'] == ['3', '6'] and unknown['unhealthy_after'] == []


def record(number, ids, stuck=(), outcome=None, **extra):
    result = dict(number=number, instance_ids=list(ids), maintained_instance_ids=list(ids), unhealthy_after=list(stuck),
                  outcome=outcome or ('healthy' if not stuck else 'unhealthy after health_timeout'))
    result.update(extra)
    return result


def test_after_batch_refusal_upgraded_budget_edges():
    assert gates.after_batch_refusal([], 20, 60) == ''
    # 1 of 5 maintained unhealthy is exactly 20 %: the run goes on
    assert gates.after_batch_refusal([record(1, ['0', '1', '2']), record(2, ['3', '4'], ['4'])], 20, 60) == ''
    message = gates.after_batch_refusal([record(1, ['0', '5']), record(2, ['1', '2'], ['1'])], 20, 4)
    assert message == ('after batch 2, 1 of 4 maintained instances are still unhealthy (1) after 4 s, more than '
                       'max_unhealthy_upgraded_instance_percent 20%.')
    # one instance maintained and unhealthy: only 100 % lets the run go on
    assert gates.after_batch_refusal([record(1, ['0'], ['0'])], 100, 60) == ''
    assert gates.after_batch_refusal([record(1, ['0'], ['0'])], 99, 60) != ''


def test_after_batch_refusal_failed_and_unknown():
    failed = record(2, ['1', '2'], outcome='maintenance failed', error='vmss-flat_2: Failed', maintained_instance_ids=[])
    assert gates.after_batch_refusal([record(1, ['0']), failed], 20, 60) == (
        'batch 2 (instances 1, 2): vmss-flat_2: Failed')
    unknown = record(1, ['0'], outcome='health not known', error='timed out')
    assert gates.after_batch_refusal([unknown], 20, 60) == (
        'batch 1 (instances 0) was maintained but its health could not be read: timed out')


def test_maintained_and_unhealthy_ids_over_records():
    records = [record(1, ['0', '5']), record(2, ['1', '2'], ['1'])]
    assert window_outcomes.maintained_ids(records) == ['0', '5', '1', '2']
    assert batch_records.unhealthy_after_ids(records) == ['1']


def test_final_message():
    assert report.final_message(dict(aborted=False)) == ''
    nothing = report.final_message(dict(aborted=True, abort_reason='a rolling upgrade is running ', scale_set='vmss',
                                        batches=[]))
    assert nothing == 'Maintenance of vmss stopped: a rolling upgrade is running. Nothing was changed.'
    leased = report.final_message(dict(aborted=True, abort_reason="leased by run 'a'. Nothing was changed.",
                                       scale_set='vmss', batches=[]))
    assert leased == "Maintenance of vmss stopped: leased by run 'a'. Nothing was changed.", 'said once'
    stopped = report.final_message(dict(
        aborted=True, abort_reason='after batch 2, too many', scale_set='vmss', remaining_instance_ids=['3', '4'],
        batches=[record(1, ['0', '5']), record(2, ['1', '2'], ['1'])], totals=dict(maintained=4)))
    assert stopped == ('Maintenance of vmss stopped: after batch 2, too many. Maintained: 4 instance(s) (0, 5, 1, 2); '
                       'left to do: 3, 4. Run the role again to continue with what is left.')


def test_after_batch_refusal_names_the_unhealthy_in_id_order():
    records = [record(1, ['10', '2'], ['10']), record(2, ['9', '3'], ['9'])]
    assert '(9, 10)' in gates.after_batch_refusal(records, 20, 60)


def test_a_failed_flexible_batch_records_the_vms_azure_completed():
    # seed 2, scenario 25 of the campaign: two of six VMs' operations succeeded before the batch failed
    operation = dict(failed=True, msg='did not all succeed', instance_ids=['vm0', 'vm9'],
                     operations=[dict(instance_ids=['vm0'], status='Succeeded'),
                                 dict(instance_ids=['vm12'], status='Failed'),
                                 dict(instance_ids=['vm9'], status='Succeeded')])
    record = batch_records.batch_record(BATCH, T0, T1, operation, dict(skipped=True), FLEET)
    assert record['outcome'] == 'maintenance failed' and record['maintained_instance_ids'] == ['vm0', 'vm9']
    uniform = dict(failed=True, msg='Failed', instance_ids=['3', '6'],
                   operations=[dict(instance_ids=['3', '6'], status='Failed')])
    assert batch_records.batch_record(BATCH, T0, T1, uniform, dict(skipped=True), FLEET)['maintained_instance_ids'] == []
