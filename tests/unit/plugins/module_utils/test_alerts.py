# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Monitor alerts: the pure shaping and selection, and the read over the fake transport (the real
ComputeManagementClient pipeline: credential, retries, user agent, error mapping)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from ...utils.fake_arm import FakeArm, RM, SUB, VMSS_PATH
from urllib.parse import parse_qs

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import alerts
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ScaleSetRef
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import alerts as alerts_

REF = ScaleSetRef('rg', 'web')
ALERTS = alerts.alerts_path(SUB)


def wire(name, severity='Sev1', target=VMSS_PATH, condition='Fired', state='New', start='2026-12-01T20:00:00Z'):
    return {'id': target + '/providers/Microsoft.AlertsManagement/alerts/' + name, 'type': 'Microsoft.AlertsManagement/alerts',
            'name': name, 'properties': {'essentials': {
                'severity': severity, 'monitorCondition': condition, 'alertState': state, 'targetResource': target,
                'targetResourceGroup': 'rg', 'targetResourceName': target.rsplit('/', 1)[-1],
                'startDateTime': start, 'monitorService': 'Platform', 'actionStatus': {'isSuppressed': False}}}}


def test_query_params_send_single_values_to_the_server():
    one = alerts.query_params(REF, ['Sev1'], ['New'])
    assert one == {'api-version': '2019-03-01', 'targetResourceGroup': 'rg', 'monitorCondition': 'Fired',
                   'timeRange': '30d', 'pageCount': '250', 'severity': 'Sev1', 'alertState': 'New'}
    several = alerts.query_params(REF, ['Sev0', 'Sev1'], ['New', 'Acknowledged'], time_range='1d')
    assert 'severity' not in several and 'alertState' not in several and several['timeRange'] == '1d'


def test_on_scale_set_is_the_scale_set_or_its_instances_case_insensitively():
    assert alerts_.on_scale_set(VMSS_PATH.lower(), VMSS_PATH)
    assert alerts_.on_scale_set(VMSS_PATH + '/virtualMachines/3', VMSS_PATH)
    assert not alerts_.on_scale_set(VMSS_PATH + '-2', VMSS_PATH)
    assert not alerts_.on_scale_set(None, VMSS_PATH)


def test_shape_alert_lifts_the_essentials_and_snake_cases_them():
    shaped = alerts_.shape_alert(wire('cpu high'), VMSS_PATH)
    assert shaped['name'] == 'cpu high' and shaped['severity'] == 'Sev1'
    assert shaped['monitor_condition'] == 'Fired' and shaped['target_resource'] == VMSS_PATH
    assert shaped['action_status'] == {'is_suppressed': False} and shaped['on_scale_set'] is True
    assert 'properties' not in shaped


def test_select_alerts_filters_and_orders_most_severe_then_oldest():
    shaped = [alerts_.shape_alert(w, VMSS_PATH) for w in (
        wire('late sev1', start='2026-12-01T21:00:00Z'), wire('early sev1', start='2026-12-01T20:00:00Z'),
        wire('sev0 elsewhere', severity='Sev0', target='/subscriptions/%s/resourceGroups/rg/providers/x/y/lb' % SUB),
        wire('sev3', severity='Sev3'), wire('resolved', condition='Resolved'), wire('acked', state='Acknowledged'))]
    picked = alerts_.select_alerts(shaped, ['Sev0', 'Sev1', 'Sev2'], ['New'])
    assert [a['name'] for a in picked] == ['sev0 elsewhere', 'early sev1', 'late sev1']
    on_set = alerts_.select_alerts(shaped, ['Sev0', 'Sev1', 'Sev2'], ['New', 'Acknowledged'], scope='scale_set')
    assert [a['name'] for a in on_set] == ['acked', 'early sev1', 'late sev1']


def test_list_follows_next_link_through_the_compute_pipeline():
    pytest.importorskip('azure.mgmt.compute')
    arm = FakeArm()
    next_link = RM + ALERTS + '?api-version=2019-03-01&monitorCondition=Fired&ctoken=abc'
    arm.on('GET', ALERTS, body={'value': [wire('a'), wire('b', severity='Sev3')], 'nextLink': next_link}, times=1)
    arm.on('GET', ALERTS, body={'value': [wire('c', severity='Sev2')]}, times=1)
    client = arm.client()
    fired = alerts.list_fired_alerts(client, REF, severities=['Sev0', 'Sev1', 'Sev2'])
    assert [a['name'] for a in fired] == ['a', 'c']
    assert len(arm.requests) == 2 and client.requests_sent == 2
    first = parse_qs(arm.requests[0]['query'])
    assert first['targetResourceGroup'] == ['rg'] and first['monitorCondition'] == ['Fired']
    assert first['alertState'] == ['New'] and 'severity' not in first and first['pageCount'] == ['250']
    assert 'ctoken=abc' in arm.requests[1]['query']
    headers = arm.requests[0]['headers']
    assert headers['Authorization'] == 'Bearer fake-token'
    assert 'azure_vmss.maintenance/' in headers['User-Agent'] and 'azsdk-python-mgmt-compute' in headers['User-Agent']


def test_retries_a_throttled_read_honouring_retry_after():
    pytest.importorskip('azure.mgmt.compute')
    arm = FakeArm()
    arm.on('GET', ALERTS, status=429, headers={'Retry-After': '0', 'retry-after-ms': '10'},
           body={'error': {'code': 'SubscriptionRequestsThrottled', 'message': 'slow down'}}, times=1)
    arm.on('GET', ALERTS, body={'value': [wire('a')]})
    assert [a['name'] for a in alerts.list_fired_alerts(arm.client(), REF)] == ['a']
    assert len(arm.requests) == 2


@pytest.mark.parametrize('status,code,expect', [
    (403, 'AuthorizationFailed', 'Failed to read the fired Azure Monitor alerts of scale set \'web\' in resource group '
                                 '\'rg\': AuthorizationFailed: no read (HTTP 403)'),
    (401, 'InvalidAuthenticationToken', 'Azure Resource Manager rejected the token obtained from module parameters'),
    (400, 'InvalidParameter', 'InvalidParameter: no read (HTTP 400)'),
])
def test_errors_are_translated_like_compute_errors(status, code, expect):
    pytest.importorskip('azure.mgmt.compute')
    arm = FakeArm()
    arm.on('GET', ALERTS, status=status, body={'error': {'code': code, 'message': 'no read'}})
    with pytest.raises(AzureVmssError) as caught:
        alerts.list_fired_alerts(arm.client(), REF)
    assert expect in caught.value.msg
    assert caught.value.status_code == status and caught.value.error['code'] == code
