# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scale set's ARM answers -> a simulator scenario: what is kept, what is left out, names made neutral."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import snapshot, times
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.scale_set import shape_scale_set

NOW = datetime.datetime(2026, 12, 7, 6, 0, 0, tzinfo=datetime.timezone.utc)
SUB = '0b0b0b0b-1111-4222-8333-444444444444'


def vmss(mode='Uniform', **props):
    return {'id': '/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachineScaleSets/web' % SUB,
            'name': 'web', 'location': 'northeurope', 'zones': ['1', '2'],
            'sku': {'name': 'Standard_D4s_v5', 'tier': 'Standard', 'capacity': 2},
            'tags': {'owner': 'team-payments', 'azure_vmss_maintenance_lease': 'run-1;host'},
            'properties': dict(orchestrationMode=mode, provisioningState='Succeeded',
                               upgradePolicy={'mode': 'Rolling', 'rollingUpgradePolicy': {'maxBatchInstancePercent': 50}},
                               automaticRepairsPolicy={'enabled': True, 'gracePeriod': 'PT10M'},
                               virtualMachineProfile={'osProfile': {'adminPassword': 'hunter2-secret'},
                                                      'networkProfile': {'healthProbe': {'id': '/x/probes/p'}}},
                               **props)}


def vm(instance_id=None, name=None, zone='1', health='HealthState/healthy', maintenance=True, allowed=True,
       result='None', update_domain=0):
    view = {'platformFaultDomain': 0, 'computerName': 'web-secret-host',
            'statuses': [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/running'}],
            'vmHealth': {'status': {'code': health}}}
    if update_domain is not None:
        view['platformUpdateDomain'] = update_domain
    if maintenance:
        view['maintenanceRedeployStatus'] = {
            'isCustomerInitiatedMaintenanceAllowed': allowed,
            'preMaintenanceWindowStartTime': '2026-12-06T06:00:00.0000000+00:00',
            'preMaintenanceWindowEndTime': '2026-12-07T08:00:00.1234567+00:00',
            'maintenanceWindowStartTime': '2026-12-08T06:00:00Z', 'maintenanceWindowEndTime': '2026-12-09T06:00:00Z',
            'lastOperationResultCode': result,
            'lastOperationMessage': "VM '%s' of /subscriptions/%s/resourceGroups/rg-prod: retry later." % (
                name or 'web_%s' % instance_id, SUB)}
    body = {'name': name or 'web_%s' % instance_id, 'zones': [zone],
            'properties': {'vmId': 'f00-vm-id', 'latestModelApplied': True, 'instanceView': view}}
    if instance_id is not None:
        body['instanceId'] = instance_id
    else:
        body['properties']['virtualMachineScaleSet'] = {'id': 'x'}
    return body


def build(wire, vms, **kwargs):
    kwargs.setdefault('resource_group', 'rg-prod')
    kwargs.setdefault('source_subscription_id', SUB)
    return snapshot.build_scenario(wire, shape_scale_set(wire), vms, NOW, **kwargs)


def test_times_are_relative_to_arms_answer():
    assert snapshot.relative('2026-12-07T08:00:00.1234567+00:00', NOW) == '+7200s'
    assert snapshot.relative('2026-12-06T06:00:00Z', NOW) == '-86400s'
    assert snapshot.relative('not a time', NOW) is None
    assert times.parse_time('Mon, 07 Dec 2026 06:00:00 GMT') == NOW


def test_uniform_scale_set_and_instances():
    scenario, mapping = build(vmss(), [vm('10', zone='2', update_domain=1), vm('2', health='HealthState/unhealthy'),
                                       vm('3', maintenance=False), vm('4', allowed=False, result='RetryLater')],
                              repairs_state='Suspended')
    assert mapping == {}
    rg = scenario['resource_groups'][0]
    assert rg['name'] == 'rg-prod' and rg['location'] == 'northeurope'
    s = rg['scale_sets'][0]
    assert s['name'] == 'web' and s['orchestration_mode'] == 'Uniform' and s['zones'] == ['1', '2']
    assert s['health_signal'] == 'probe'
    assert s['automatic_repairs'] == {'enabled': True, 'grace_period': 'PT10M', 'repair_action': 'Replace',
                                      'state': 'Suspended'}
    assert s['upgrade_policy'] == {'mode': 'Rolling', 'rolling_upgrade_policy': {'maxBatchInstancePercent': 50}}
    assert s['sku'] == {'name': 'Standard_D4s_v5', 'tier': 'Standard'}
    assert s['tags'] == {'owner': 'team-payments'}  # another run's lease tag is not carried over
    assert s['instances']['ids'] == ['2', '3', '4', '10']  # numeric order, as the simulator keeps them
    ov = s['instances']['overrides']
    assert ov['10']['zone'] == '2' and ov['10']['update_domain'] == 1 and ov['10']['fault_domain'] == 0
    assert ov['10']['window'] == {'pre_start': '-86400s', 'pre_end': '+7200s', 'start': '+86400s', 'end': '+172800s'}
    assert ov['10']['eligible'] is True and ov['10']['power_state'] == 'running' and ov['10']['health'] == 'healthy'
    assert ov['2']['health'] == 'unhealthy'
    assert ov['3']['maintenance'] is None and 'window' not in ov['3']
    assert ov['4']['eligible'] is False and ov['4']['last_result'] == 'RetryLater'
    # Azure's own words, which the role quotes as the reason it skips the VM; the subscription replaced
    assert ov['4']['last_message'] == "VM 'web_4' of /subscriptions/%s/resourceGroups/rg-prod: retry later." % (
        snapshot.SIM_SUBSCRIPTION)


def test_nothing_secret_or_identifying_is_written():
    scenario, _mapping = build(vmss(), [vm('0')])
    text = json.dumps(scenario)
    for value in (SUB, 'hunter2-secret', 'web-secret-host', 'f00-vm-id', 'run-1;host'):
        assert value not in text
    assert scenario['subscriptions'][0]['id'] == snapshot.SIM_SUBSCRIPTION
    assert scenario['principals'][0]['secret'] == snapshot.SIM_SECRET


def test_the_subscription_only_when_asked():
    scenario, _mapping = build(vmss(), [vm('0')], subscription_id=SUB)
    assert scenario['subscriptions'][0]['id'] == SUB


def test_neutral_names_keep_the_order_and_come_back_as_a_mapping():
    wire = vmss('Flexible')
    vms = [vm(name='web_zz999999', update_domain=None), vm(name='web_aa111111', update_domain=None)]
    alerts = [{'name': 'payments p95 latency', 'severity': 'Sev1', 'alert_state': 'New', 'on_scale_set': True,
               'start_date_time': '2026-12-07T05:00:00Z'}]
    scenario, mapping = build(wire, vms, neutral_names=True, alerts=alerts)
    s = scenario['resource_groups'][0]['scale_sets'][0]
    assert scenario['resource_groups'][0]['name'] == 'rg-rehearsal' and s['name'] == 'vmss-rehearsal'
    assert s['instances']['names'] == ['vmss-rehearsal_00000001', 'vmss-rehearsal_00000002']
    assert 'update_domain' not in s['instances']['overrides']['vmss-rehearsal_00000001']
    assert mapping['vms'] == {'web_aa111111': 'vmss-rehearsal_00000001', 'web_zz999999': 'vmss-rehearsal_00000002'}
    assert mapping['scale_sets'] == {'web': 'vmss-rehearsal'} and mapping['resource_groups'] == {'rg-prod': 'rg-rehearsal'}
    assert s['tags'] == {'owner': 'value-1'} and mapping['tag_values'] == {'team-payments': 'value-1'}
    assert scenario['alerts'] == [{'name': 'alert-1', 'severity': 'Sev1', 'resource_group': 'rg-rehearsal',
                                   'scale_set': 'vmss-rehearsal', 'alert_state': 'New', 'monitor_service': 'Platform',
                                   'signal_type': 'Metric', 'started': '-3600s'}]
    text = json.dumps(scenario)
    assert s['instances']['overrides']['vmss-rehearsal_00000001']['last_message'] == (
        "VM 'vmss-rehearsal_00000001' of /subscriptions/%s/resourceGroups/rg-rehearsal: retry later." % (
            snapshot.SIM_SUBSCRIPTION))
    for original in ('web_aa111111', 'web_zz999999', 'rg-prod', 'team-payments', 'payments p95'):
        assert original not in text


def test_a_window_not_yet_open_keeps_the_vm_eligible_for_when_it_opens():
    later = vm('0', allowed=False)
    later['properties']['instanceView']['maintenanceRedeployStatus']['preMaintenanceWindowStartTime'] = (
        '2026-12-07T07:00:00Z')
    scenario, _mapping = build(vmss(), [later])
    override = scenario['resource_groups'][0]['scale_sets'][0]['instances']['overrides']['0']
    assert override['eligible'] is True and override['window']['pre_start'] == '+3600s'


def test_rolling_upgrade_and_os_history():
    rolling = {'properties': {'runningStatus': {'code': 'RollingForward', 'startTime': '2026-12-07T05:00:00Z'},
                              'progress': {'successfulInstanceCount': 3, 'pendingInstanceCount': 1}}}
    history = [{'properties': {'runningStatus': {'code': 'Faulted', 'startTime': '2026-12-06T06:00:00Z',
                                                 'endTime': '2026-12-06T06:30:00Z'},
                               'startedBy': 'Platform', 'progress': {'failedInstanceCount': 2},
                               'targetImageReference': {'version': 'secret-image'}}}]
    scenario, _mapping = build(vmss(), [vm('0')], rolling=rolling, history=history)
    s = scenario['resource_groups'][0]['scale_sets'][0]
    assert s['rolling_upgrade'] == {'code': 'RollingForward', 'started': '-3600s',
                                    'progress': {'successful': 3, 'failed': 0, 'in_progress': 0, 'pending': 1}}
    assert s['os_upgrade_history'] == [{'code': 'Faulted', 'started': '-86400s', 'duration': '1800s',
                                        'started_by': 'Platform',
                                        'progress': {'successful': 0, 'failed': 2, 'in_progress': 0, 'pending': 0}}]
    assert build(vmss(), [vm('0')])[0]['resource_groups'][0]['scale_sets'][0]['rolling_upgrade'] is None


def test_the_vm_list_is_paged_as_arm_paged_it():
    assert snapshot.page_size([(5, True), (5, True), (2, False)]) == 5
    assert snapshot.page_size([(12, False)]) == 100
    assert snapshot.page_size([]) == 100
    scenario, _mapping = build(vmss(), [vm('0')], vm_page_size=5)
    assert scenario['resource_groups'][0]['scale_sets'][0]['vm_page_size'] == 5
