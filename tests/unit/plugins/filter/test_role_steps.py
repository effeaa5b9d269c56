# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's step decisions (module_utils/_decisions/role_steps.py) as the role calls them through its
filters, and the rule that every filter and test plugin of the collection is named like its function."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib
import os

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.filter.role_steps import FilterModule
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import role_steps

FILTERS = FilterModule().filters()
PLUGINS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins')
FILTER_FILES = sorted(f[:-3] for f in os.listdir(os.path.join(PLUGINS, 'filter')) if f.endswith('.py'))
TEST_FILES = sorted(f[:-3] for f in os.listdir(os.path.join(PLUGINS, 'test')) if f.endswith('.py'))


def _all_plugins():
    for kind, files, method in (('filter', FILTER_FILES, 'filters'), ('test', TEST_FILES, 'tests')):
        for name in files:
            module = importlib.import_module('ansible_collections.azure_vmss.maintenance.plugins.%s.%s' % (kind, name))
            owner = module.FilterModule() if kind == 'filter' else module.TestModule()
            for plugin, function in sorted(getattr(owner, method)().items()):
                yield kind, plugin, function


@pytest.mark.parametrize('kind,plugin,function', list(_all_plugins()), ids=lambda v: getattr(v, '__name__', v))
def test_every_plugin_is_named_like_its_function_and_documented(kind, plugin, function):
    assert function.__name__ == plugin
    assert os.path.isfile(os.path.join(PLUGINS, kind, plugin + '.yml'))


# -- the health rule and the health polls --

@pytest.mark.parametrize('setting,forced', [
    (True, True), ('true', True), ('Yes', True), ('1', True), (1, True),
    ('auto', False), (False, False), ('no', False), ('0', False), (' true', False)])
def test_health_signal_forced_reads_the_setting_as_the_role_did(setting, forced):
    # the role's Jinja was: setting | string | lower in ['true', 'yes', '1'] (no stripping)
    assert FILTERS['health_signal_forced'](setting) is forced


@pytest.mark.parametrize('setting,kind,required,refused,fallback', [
    ('auto', 'application_health_extension', True, False, True),
    ('auto', 'none', False, True, False),
    (False, 'none', False, False, False),
    (True, 'load_balancer_probe', True, False, True),
    ('false', 'load_balancer_probe', False, False, True)])
def test_health_rule_adds_the_fallback_to_the_requirement(setting, kind, required, refused, fallback):
    rule = FILTERS['health_rule'](setting, kind)
    assert rule['required'] is required
    assert bool(rule['refusal']) is refused
    assert rule['fallback'] is fallback


def test_health_rule_rejects_a_setting_it_does_not_know():
    with pytest.raises(ValueError):
        FILTERS['health_rule']('sometimes', 'none')


def test_batch_poll_interval_is_the_setting_or_the_read_cost_pace():
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import read_cost
    assert FILTERS['batch_health_poll_interval'](17, 2, 12) == 17
    assert FILTERS['batch_health_poll_interval']('9', 2, 12) == 9
    assert FILTERS['batch_health_poll_interval'](0, 2, 12) == read_cost.poll_interval(2, 12)
    assert FILTERS['batch_health_poll_interval'](0, 150, 1000) == read_cost.poll_interval(150, 1000)


def test_in_flight_wait_ends_by_the_clock_and_caps_its_reads():
    wait = FILTERS['in_flight_wait'](1000.5, 3600, '1800')
    assert wait == {'deadline': 1000.5 + 5400, 'retries': 1080, 'delay': 5}
    assert FILTERS['in_flight_wait'](0, 1, 1)['retries'] == 1  # ceil(2 / 5)


def _instance(instance_id, state='succeeded', power='running', health='healthy'):
    return {'instance_id': instance_id, 'provisioning_state': state, 'power_state': power, 'health_state': health}


def test_in_flight_settled_only_when_read_done_and_recovered():
    settled = FILTERS['in_flight_settled']
    assert settled({'instances': [_instance('1'), _instance('2')]}, True)
    assert not settled({'instances': [_instance('1'), _instance('2', state='updating')]}, True)
    assert not settled({'instances': [_instance('1', health='unhealthy')]}, True)
    assert not settled({'instances': []}, False)  # an empty read is not a recovery
    assert not settled({'failed': True, 'msg': 'throttled'}, False)  # a failed read has no instances
    assert not settled(None)


# -- the lease and automatic repairs --

SETTINGS = {'run_id': 'run-2', 'owner': 'awx job 7'}


def test_lease_record_off_is_the_report_start():
    assert FILTERS['lease_record'](False, SETTINGS, {'skipped': True}) == {
        'enabled': False, 'held': False, 'released': False}


def test_lease_record_names_the_run_and_the_run_it_took_over():
    taken = {'outcome': 'broke_lease', 'previous_lease': {'run_id': 'run-1', 'repairs_suspended': True}}
    assert FILTERS['lease_record'](True, SETTINGS, taken, False) == {
        'enabled': True, 'held': True, 'released': False, 'run_id': 'run-2', 'owner': 'awx job 7',
        'outcome': 'broke_lease', 'previous_holder': 'run-1'}
    fresh = FILTERS['lease_record']('yes', SETTINGS, {'outcome': 'acquired', 'previous_lease': None}, True)
    assert fresh['held'] is False and fresh['previous_holder'] is None and fresh['outcome'] == 'acquired'


REPAIRS_ON = {'automatic_repairs_policy': {'enabled': True},
              'orchestration_services': [{'service_name': 'AutomaticRepairs', 'service_state': 'Running'}]}


def test_repairs_plan_suspends_what_runs():
    plan = FILTERS['repairs_plan'](REPAIRS_ON, True, True, {'outcome': 'acquired'})
    assert plan['suspend'] is True and plan['suspended'] is False and plan['resumed'] is False
    assert FILTERS['repairs_plan'](REPAIRS_ON, 'false')['suspend'] is False


@pytest.mark.parametrize('outcome', ['broke_lease', 'took_over_expired'])
@pytest.mark.parametrize('flag', [True, 'true', 'yes'])
def test_repairs_plan_takes_over_the_resume_of_the_run_whose_lease_it_took(outcome, flag):
    taken = {'outcome': outcome, 'previous_lease': {'run_id': 'run-1', 'repairs_suspended': flag}}
    plan = FILTERS['repairs_plan'](REPAIRS_ON, True, True, taken)
    assert plan == {'suspend': False, 'suspended': True, 'resumed': False,
                    'reason': 'suspended by run run-1, whose lease this run took over'}


@pytest.mark.parametrize('lease_enabled,taken', [
    (False, {'outcome': 'broke_lease', 'previous_lease': {'run_id': 'r', 'repairs_suspended': True}}),
    (True, {'outcome': 'acquired', 'previous_lease': {'run_id': 'r', 'repairs_suspended': True}}),
    (True, {'outcome': 'took_over_expired', 'previous_lease': {'run_id': 'r', 'repairs_suspended': False}}),
    (True, {'outcome': 'took_over_expired', 'previous_lease': None}),
    (True, {'skipped': True})])
def test_repairs_plan_takes_over_nothing_else(lease_enabled, taken):
    assert FILTERS['repairs_plan'](REPAIRS_ON, True, lease_enabled, taken) == dict(
        FILTERS['repairs_plan'](REPAIRS_ON, True), suspended=False, resumed=False)


def test_records_after_a_step_that_did_not_run_are_unchanged():
    repairs = {'suspend': False, 'suspended': False, 'resumed': False, 'reason': 'off'}
    lease = {'enabled': True, 'held': False, 'released': False}
    assert FILTERS['repairs_after_suspend'](repairs, {'skipped': True, 'changed': False}) == repairs
    assert FILTERS['repairs_after_resume'](repairs, {'skipped': True}) == repairs
    assert FILTERS['lease_after_release'](lease, {'skipped': True}) == lease


def test_records_after_a_step_that_ran():
    repairs = {'suspend': True, 'suspended': False, 'resumed': False, 'reason': 'on'}
    assert FILTERS['repairs_after_suspend'](repairs, {'changed': True})['suspended'] is True
    assert FILTERS['repairs_after_suspend'](repairs, {'changed': False})['suspended'] is False
    # seed 7, scenario 46: the suspend's answer was lost after Azure took it; the run must resume them at its end
    lost = {'failed': True, 'changed': False, 'msg': 'Could not reach Azure to suspend AutomaticRepairs'}
    assert FILTERS['repairs_after_suspend'](repairs, lost)['suspended'] is True
    assert FILTERS['repairs_after_resume'](repairs, {'changed': True}) == dict(
        repairs, resumed=True, resume_error=None)
    assert FILTERS['repairs_after_resume'](repairs, {'failed': True, 'msg': 'denied'}) == dict(
        repairs, resumed=False, resume_error='denied')
    lease = {'enabled': True, 'held': True, 'released': False}
    assert FILTERS['lease_after_release'](lease, {'changed': True}) == dict(lease, released=True, release_error=None)
    assert FILTERS['lease_after_release'](lease, {'failed': True, 'msg': 'gone'}) == dict(
        lease, released=False, release_error='gone')


# -- before a batch --

def test_fleet_read_due_after_the_first_batch_or_after_the_alert_gate_waited():
    due = FILTERS['fleet_read_due']
    assert not due(1) and not due(1, {}) and not due(1, {'attempts': 1})
    assert due(1, {'attempts': 2}) and due(2) and due('3', None)


def test_fleet_readings_with_appends_a_reading_only_when_read():
    first = {'source': 'preflight read'}
    read = {'instances': [_instance('0'), _instance('1', health='unhealthy')]}
    readings = FILTERS['fleet_readings_with']([first], read, True, at='T', source='before batch 2')
    assert readings[0] == first and len(readings) == 2
    assert readings[-1] == {'at': 'T', 'source': 'before batch 2', 'instances': 2, 'unhealthy': 1,
                            'unhealthy_ids': ['1'], 'no_signal_ids': []}
    assert FILTERS['fleet_readings_with']([first], {'skipped': True}, True) == [first]


def test_canary_is_checked_before_batch_two_only():
    plan = {'batches': [{'number': 1, 'instance_ids': ['0', '1']}, {'number': 2, 'instance_ids': ['2']}]}
    sick = {'instances': 12, 'unhealthy_ids': ['1']}
    assert FILTERS['canary_refusal_before'](sick, 2, plan, 'PT30M')
    assert '1' in FILTERS['canary_refusal_before'](sick, '2', plan, 'PT30M')
    assert FILTERS['canary_refusal_before'](sick, 2, plan, 'PT0S') == ''
    for number in (1, 3, 7):
        assert FILTERS['canary_refusal_before'](sick, number, plan, 'PT30M') == ''


def test_abort_reason_is_the_message_or_the_failed_task():
    assert FILTERS['abort_reason']({'msg': 'refused'}, 'Preflight | x') == 'refused'
    assert FILTERS['abort_reason']({'msg': ''}, 'Preflight | x') == 'task Preflight | x failed'
    assert FILTERS['abort_reason']({}) == 'task ? failed'
    assert FILTERS['abort_reason'](None, 'y') == 'task y failed'


# -- properties --

hypothesis = pytest.importorskip('hypothesis')
st = hypothesis.strategies


@hypothesis.given(st.floats(min_value=0, max_value=2e9), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6),
                  st.integers(1, 600))
def test_in_flight_wait_reads_cover_the_whole_budget(now, operation, health, delay):
    wait = role_steps.in_flight_wait(now, operation, health, delay)
    assert wait['deadline'] == now + operation + health
    assert wait['retries'] * delay >= operation + health > (wait['retries'] - 1) * delay


results = st.fixed_dictionaries({}, optional={'skipped': st.booleans(), 'changed': st.booleans(),
                                              'failed': st.booleans(), 'msg': st.one_of(st.none(), st.text())})


@hypothesis.given(results, results, results)
def test_records_keep_their_other_fields_whatever_the_step_answered(suspend, resume, release):
    repairs = {'suspend': True, 'suspended': False, 'resumed': False, 'reason': 'on'}
    lease = {'enabled': True, 'held': True, 'released': False, 'run_id': 'r'}
    after = role_steps.repairs_after_resume(role_steps.repairs_after_suspend(repairs, suspend), resume)
    assert after['suspend'] is True and after['reason'] == 'on'
    # suspended when the request changed the service or failed (a failed one may have been applied: resume anyway)
    assert after['suspended'] is (not suspend.get('skipped') and bool(suspend.get('changed') or suspend.get('failed')))
    released = role_steps.lease_after_release(lease, release)
    assert {k: released[k] for k in ('enabled', 'held', 'run_id')} == {'enabled': True, 'held': True, 'run_id': 'r'}
    assert released['released'] is (not release.get('skipped') and not release.get('failed', False))
    assert repairs == {'suspend': True, 'suspended': False, 'resumed': False, 'reason': 'on'}  # not changed in place
