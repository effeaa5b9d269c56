# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import utc_time
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.fleet_report import (
    fleet_report, scale_set_outcome)

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def role_report(maintained, remaining=(), aborted=False, check_mode=False, message='m'):
    return dict(aborted=aborted, check_mode=check_mode, remaining_instance_ids=list(remaining), message=message,
                totals=dict(maintained=maintained))


def entry(host, report=None, deadline=None, pending=None, failed=False):
    return dict(host=host, subscription_id='s', resource_group='rg', scale_set=host, deadline=deadline,
                pending=pending, failed=failed, report=report)


def test_outcomes():
    assert scale_set_outcome(entry('a', role_report(3))) == ('maintained', 0)
    assert scale_set_outcome(entry('a', role_report(0))) == ('nothing to do', 0)
    assert scale_set_outcome(entry('a', role_report(1, ['4', '5'], aborted=True))) == ('failed', 2)
    assert scale_set_outcome(entry('a', role_report(0, ['1'], check_mode=True))) == ('planned (check mode)', 1)
    assert scale_set_outcome(entry('a', pending=7)) == ('not started', 7)
    assert scale_set_outcome(entry('a')) == ('not started', None)
    assert scale_set_outcome(entry('a', failed=True)) == ('failed', None)


def test_totals_left_and_earliest_deadline():
    report = fleet_report([
        entry('b-done', role_report(4), deadline='2026-12-03T00:00:00Z'),
        entry('a-failed', role_report(1, ['2', '3'], aborted=True), deadline='2026-12-09T00:00:00Z'),
        entry('c-waiting', pending=5, deadline='2026-11-30T00:00:00Z'),
        entry('d-unknown'),
    ], finished='f', now=NOW)
    assert [r['host'] for r in report['scale_sets']] == ['a-failed', 'b-done', 'c-waiting', 'd-unknown']
    assert report['totals']['outcomes'] == {'maintained': 1, 'nothing to do': 0, 'planned (check mode)': 0,
                                            'failed': 1, 'not started': 2}
    assert report['totals']['instances_maintained'] == 5 and report['totals']['instances_left'] == 7
    assert report['totals']['scale_sets_left_unknown'] == 1
    assert [x['host'] for x in report['left']] == ['a-failed', 'c-waiting', 'd-unknown']
    # b-done's deadline is earlier than a-failed's but nothing is left there
    assert report['earliest_deadline'] == dict(host='c-waiting', deadline='2026-11-30T00:00:00Z', missed=True)
    assert report['failed'] is True and report['finished'] == 'f'


def test_empty_fleet():
    report = fleet_report([], now=NOW)
    assert report['totals']['scale_sets'] == 0 and report['earliest_deadline'] is None and report['failed'] is False


def test_times_are_shown_to_the_second_in_utc():
    # Azure's deadline (7 fractional digits, an offset) and Ansible's now(utc=true).isoformat() (microseconds)
    report = fleet_report([entry('a', pending=3, deadline='2026-12-08T04:36:56.3997630+01:00')],
                          finished='2026-12-02T03:55:27.585441', now=NOW)
    assert report['scale_sets'][0]['deadline'] == '2026-12-08T03:36:56Z'
    assert report['earliest_deadline']['deadline'] == '2026-12-08T03:36:56Z'
    assert report['finished'] == '2026-12-02T03:55:27Z'
    assert utc_time(None) is None and utc_time('soon') == 'soon'
