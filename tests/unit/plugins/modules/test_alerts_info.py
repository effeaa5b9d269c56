# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""alerts_info's main() end to end over the fake transport: real AnsibleModule, our client and the SDK pipeline."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from urllib.parse import parse_qs

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import alerts_info  # noqa: E402
from ...utils.fake_arm import FakeArm, run_module_main  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
ALERTS = '/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts' % SUB
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')


def alert(name, severity, target=VMSS):
    return {'id': target + '/providers/Microsoft.AlertsManagement/alerts/' + name, 'name': name,
            'type': 'Microsoft.AlertsManagement/alerts',
            'properties': {'essentials': {'severity': severity, 'monitorCondition': 'Fired', 'alertState': 'New',
                                          'targetResource': target, 'targetResourceGroup': 'rg-web',
                                          'startDateTime': '2026-12-01T20:00:00Z'}}}


def fleet_arm():
    lb = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Network/loadBalancers/lb' % SUB
    return FakeArm().on('GET', ALERTS, body={'value': [alert('cpu', 'Sev1'), alert('lb probes', 'Sev2', lb),
                                                       alert('info', 'Sev4')]})


def run(monkeypatch, capsys, arm, check_mode=False, **extra):
    args = dict(AUTH, resource_group='rg-web', name='vmss-web')
    args.update(extra)
    return run_module_main(monkeypatch, capsys, alerts_info, args, arm, check_mode=check_mode)


@pytest.mark.parametrize('check_mode', [False, True])
def test_returns_the_fired_alerts_in_one_request_also_in_check_mode(monkeypatch, capsys, check_mode):
    arm = fleet_arm()
    result = run(monkeypatch, capsys, arm, check_mode=check_mode, severities=['Sev0', 'Sev1', 'Sev2'])
    assert result['changed'] is False and not result.get('failed'), result
    assert [(a['name'], a['severity'], a['on_scale_set']) for a in result['alerts']] == [
        ('cpu', 'Sev1', True), ('lb probes', 'Sev2', False)]
    assert len(arm.requests) == 1
    query = parse_qs(arm.requests[0]['query'])
    assert query['targetResourceGroup'] == ['rg-web'] and query['alertState'] == ['New']
    assert query['api-version'] == ['2019-03-01'] and query['timeRange'] == ['30d']


def test_scope_scale_set_and_one_severity_and_query(monkeypatch, capsys):
    arm = fleet_arm()
    result = run(monkeypatch, capsys, arm, scope='scale_set', severities=['Sev1'], query='alerts[].name')
    assert result['query_result'] == ['cpu'] and 'alerts' not in result
    assert parse_qs(arm.requests[0]['query'])['severity'] == ['Sev1']


def test_a_refused_read_fails_naming_the_scale_set(monkeypatch, capsys):
    arm = FakeArm().on('GET', ALERTS, status=403, body={'error': {
        'code': 'AuthorizationFailed', 'message': "The client 'app' does not have authorization to perform action "
                                                  "'Microsoft.AlertsManagement/alerts/read'"}})
    result = run(monkeypatch, capsys, arm)
    assert result['failed'] is True and result['status_code'] == 403
    assert "alerts of scale set 'vmss-web' in resource group 'rg-web'" in result['msg']
    assert 'Microsoft.AlertsManagement/alerts/read' in result['msg'] and 's3cret-value' not in str(result)
