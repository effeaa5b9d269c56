# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sorting instances for performMaintenance: eligible, already maintained, not eligible (why), unknown."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    classify_for_maintenance, ELIGIBLE, MAINTAINED, maintenance_status, NOT_ELIGIBLE, summarize)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import parse_time

NOW = datetime.datetime(2026, 11, 20, 12, 0, 0, tzinfo=datetime.timezone.utc)


def vm(instance_id, **status):
    """A VM as the VM list / VM GET with $expand=instanceView sends it; ``status`` = maintenanceRedeployStatus."""
    view = {'statuses': [{'code': 'PowerState/running'}]}
    if status:
        view['maintenanceRedeployStatus'] = status
    return {'instanceId': str(instance_id), 'properties': {'instanceView': view}}


def entry(instance_id, **status):
    return summarize(vm(instance_id, **status))


def test_eligible_when_customer_initiated_maintenance_is_allowed():
    assert maintenance_status(entry(1, isCustomerInitiatedMaintenanceAllowed=True, lastOperationResultCode='None'),
                              NOW) == (ELIGIBLE, None)


def test_allowed_wins_over_an_old_result_code():
    # A failed (aborted) attempt may be retried: Azure offers maintenance again.
    state = maintenance_status(entry(1, isCustomerInitiatedMaintenanceAllowed=True,
                                     lastOperationResultCode='MaintenanceAborted'), NOW)[0]
    assert state == ELIGIBLE


def test_completed_and_no_longer_allowed_is_already_maintained():
    assert maintenance_status(entry(2, isCustomerInitiatedMaintenanceAllowed=False,
                                    lastOperationResultCode='MaintenanceCompleted'), NOW)[0] == MAINTAINED


def test_no_status_at_all_is_not_in_a_maintenance_wave():
    state, reason = maintenance_status(entry(3), NOW)
    assert state == NOT_ELIGIBLE
    assert 'maintenance wave' in reason


def test_empty_view_and_missing_properties_are_not_eligible():
    for raw in ({'instanceId': '4'}, {'instanceId': '4', 'properties': {}},
                {'instanceId': '4', 'properties': {'instanceView': {}}}):
        state, reason = maintenance_status(summarize(raw), NOW)
        assert state == NOT_ELIGIBLE and 'maintenance wave' in reason


def test_retry_later_gives_the_code_and_message():
    state, reason = maintenance_status(entry(5, isCustomerInitiatedMaintenanceAllowed=False,
                                             lastOperationResultCode='RetryLater',
                                             lastOperationMessage='Try again in a few hours.'), NOW)
    assert state == NOT_ELIGIBLE
    assert 'RetryLater' in reason and 'Try again in a few hours.' in reason


def test_window_not_open_yet():
    state, reason = maintenance_status(entry(6, isCustomerInitiatedMaintenanceAllowed=False,
                                             lastOperationResultCode='None',
                                             preMaintenanceWindowStartTime='2026-11-21T00:00:00Z',
                                             preMaintenanceWindowEndTime='2026-11-30T00:00:00Z'), NOW)
    assert state == NOT_ELIGIBLE
    assert 'opens at 2026-11-21T00:00:00Z' in reason


def test_window_closed():
    state, reason = maintenance_status(entry(7, isCustomerInitiatedMaintenanceAllowed=False,
                                             preMaintenanceWindowStartTime='2026-11-01T00:00:00.0000000+00:00',
                                             preMaintenanceWindowEndTime='2026-11-19T23:59:59.9999999+00:00'), NOW)
    assert state == NOT_ELIGIBLE
    assert 'closed at 2026-11-19T23:59:59.9999999+00:00' in reason


def test_inside_window_but_not_allowed_names_the_last_operation():
    state, reason = maintenance_status(entry(8, isCustomerInitiatedMaintenanceAllowed=False,
                                             lastOperationResultCode='MaintenanceAborted',
                                             lastOperationMessage='host busy',
                                             preMaintenanceWindowStartTime='2026-11-01T00:00:00Z',
                                             preMaintenanceWindowEndTime='2026-11-30T00:00:00Z'), NOW)
    assert state == NOT_ELIGIBLE
    assert 'does not allow' in reason and 'MaintenanceAborted' in reason and 'host busy' in reason


def test_result_code_none_is_not_shown_as_a_last_operation():
    state, reason = maintenance_status(entry(9, isCustomerInitiatedMaintenanceAllowed=False,
                                             lastOperationResultCode='None'), NOW)
    assert state == NOT_ELIGIBLE
    assert 'last operation' not in reason


@pytest.mark.parametrize('text, expected', [
    ('2026-11-20T12:00:00Z', datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.timezone.utc)),
    ('2026-11-20T12:00:00.1234567+00:00', datetime.datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)),
    # the offset's digits are not fraction digits
    ('2026-11-20T17:00:00.12+05:00', datetime.datetime(2026, 11, 20, 12, 0, 0, 120000, tzinfo=datetime.timezone.utc)),
    ('2026-11-20T12:00:00', datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.timezone.utc)),
    ('not a time', None),
    (None, None),
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_classify_named_ids_in_numeric_order_with_unknown():
    entries = [
        entry(10, isCustomerInitiatedMaintenanceAllowed=True),
        entry(2, isCustomerInitiatedMaintenanceAllowed=True),
        entry(5, isCustomerInitiatedMaintenanceAllowed=False, lastOperationResultCode='RetryLater'),
        entry(1, isCustomerInitiatedMaintenanceAllowed=False, lastOperationResultCode='MaintenanceCompleted'),
        entry(3),
    ]
    plan = classify_for_maintenance(entries, ['10', '2', '5', '1', '3', '42'], now=NOW)
    assert plan['eligible'] == ['2', '10']
    assert plan['already_maintained'] == ['1']
    assert [s['instance_id'] for s in plan['skipped']] == ['3', '5']
    assert all(set(s) == {'instance_id', 'reason'} and s['reason'] for s in plan['skipped'])
    assert plan['unknown'] == ['42']


def test_classify_only_what_was_asked_for():
    entries = [entry(i, isCustomerInitiatedMaintenanceAllowed=True) for i in range(4)]
    plan = classify_for_maintenance(entries, ['3', '1'], now=NOW)
    assert plan == dict(eligible=['1', '3'], already_maintained=[], skipped=[], unknown=[])


def test_classify_whole_fleet_when_no_ids_asked():
    entries = [entry(0, isCustomerInitiatedMaintenanceAllowed=True), entry(1),
               entry(11, isCustomerInitiatedMaintenanceAllowed=False, lastOperationResultCode='MaintenanceCompleted')]
    plan = classify_for_maintenance(entries, None, now=NOW)
    assert plan['eligible'] == ['0']
    assert plan['already_maintained'] == ['11']
    assert [s['instance_id'] for s in plan['skipped']] == ['1']
    assert plan['unknown'] == []


def test_classify_empty_fleet_is_nothing_to_do():
    assert classify_for_maintenance([], None, now=NOW) == dict(eligible=[], already_maintained=[], skipped=[], unknown=[])
