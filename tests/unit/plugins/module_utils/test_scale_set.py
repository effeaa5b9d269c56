# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shaping a scale set's own settings: health signal, policies, orchestration services."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.scale_set import (
    health_signal, orchestration_services, service_state, service_state_change, shape_scale_set)

PROBE_ID = ('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/probes/http')


def extension(ext_type='ApplicationHealthLinux', publisher='Microsoft.ManagedServices', **settings):
    return {'name': 'HealthExtension', 'properties': {'publisher': publisher, 'type': ext_type,
                                                      'typeHandlerVersion': '2.0', 'settings': settings}}


def vmss(probe=None, extensions=None, **props):
    profile = {'networkProfile': {}, 'extensionProfile': {'extensions': extensions or []},
               'osProfile': {'adminUsername': 'azureuser', 'customData': 'c2VjcmV0'}}
    if probe:
        profile['networkProfile']['healthProbe'] = {'id': probe}
    body = {'id': '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web',
            'name': 'web', 'location': 'westeurope', 'sku': {'name': 'Standard_D2s_v5', 'tier': 'Standard', 'capacity': 6},
            'zones': ['1', '2'], 'tags': {'CostCenter': 'A1', 'azure_vmss_maintenance_lease': 'x'},
            'properties': dict(virtualMachineProfile=profile, **props)}
    return body


def test_probe_is_the_health_signal():
    assert health_signal(vmss(probe=PROBE_ID)) == {'kind': 'load_balancer_probe', 'probe_id': PROBE_ID, 'extension': None}


@pytest.mark.parametrize('ext_type', ['ApplicationHealthLinux', 'ApplicationHealthWindows'])
def test_application_health_extension_with_its_settings(ext_type):
    signal = health_signal(vmss(extensions=[extension('CustomScript', 'Microsoft.Azure.Extensions'),
                                            extension(ext_type, protocol='https', port=443, requestPath='/health')]))
    assert signal['kind'] == 'application_health_extension'
    assert signal['extension'] == {'name': 'HealthExtension', 'type': ext_type, 'publisher': 'Microsoft.ManagedServices',
                                   'type_handler_version': '2.0', 'protocol': 'https', 'port': 443,
                                   'request_path': '/health'}


def test_an_extension_of_the_right_type_from_another_publisher_is_not_a_health_signal():
    assert health_signal(vmss(extensions=[extension(publisher='Contoso.Fake')]))['kind'] == 'none'


def test_no_signal_and_minimal_bodies():
    assert health_signal(vmss())['kind'] == 'none'
    assert health_signal({})['kind'] == 'none'
    assert health_signal({'properties': None})['kind'] == 'none'


def test_both_signals_report_the_extension_and_keep_the_probe():
    signal = health_signal(vmss(probe=PROBE_ID, extensions=[extension(protocol='tcp', port=80)]))
    assert signal['kind'] == 'application_health_extension' and signal['probe_id'] == PROBE_ID


def test_shape_has_the_policies_and_no_os_profile():
    body = vmss(probe=PROBE_ID, orchestrationMode='Uniform', provisioningState='Succeeded', platformFaultDomainCount=1,
                singlePlacementGroup=False,
                upgradePolicy={'mode': 'Rolling',
                               'rollingUpgradePolicy': {'maxBatchInstancePercent': 30, 'pauseTimeBetweenBatches': 'PT1M'},
                               'automaticOSUpgradePolicy': {'enableAutomaticOSUpgrade': True}},
                automaticRepairsPolicy={'enabled': True, 'gracePeriod': 'PT30M', 'repairAction': 'Replace'})
    shaped = shape_scale_set(body)
    assert shaped['capacity'] == 6 and shaped['sku']['name'] == 'Standard_D2s_v5'
    assert shaped['zones'] == ['1', '2']
    assert shaped['upgrade_policy'] == {'mode': 'Rolling',
                                        'rolling_upgrade_policy': {'max_batch_instance_percent': 30,
                                                                   'pause_time_between_batches': 'PT1M'},
                                        'automatic_os_upgrade_policy': {'enable_automatic_os_upgrade': True}}
    assert shaped['automatic_repairs_policy'] == {'enabled': True, 'grace_period': 'PT30M', 'repair_action': 'Replace'}
    assert shaped['tags'] == {'CostCenter': 'A1', 'azure_vmss_maintenance_lease': 'x'}
    assert shaped['provisioning_state'] == 'Succeeded' and shaped['platform_fault_domain_count'] == 1
    assert shaped['single_placement_group'] is False
    assert 'orchestration_services' not in shaped
    assert 'c2VjcmV0' not in repr(shaped) and 'azureuser' not in repr(shaped)


def test_shape_of_a_minimal_body():
    shaped = shape_scale_set({'name': 'web'})
    assert shaped['orchestration_mode'] == 'Uniform'
    assert shaped['upgrade_policy'] == {'mode': None, 'rolling_upgrade_policy': None, 'automatic_os_upgrade_policy': None}
    assert shaped['automatic_repairs_policy'] == {'enabled': False, 'grace_period': None, 'repair_action': None}
    assert shaped['capacity'] is None and shaped['zones'] == [] and shaped['tags'] == {}


def test_orchestration_services_from_the_instance_view():
    view = {'orchestrationServices': [{'serviceName': 'AutomaticRepairs', 'serviceState': 'Suspended',
                                       'lastStatusChangeTime': '2026-12-01T20:00:00Z'}]}
    shaped = shape_scale_set({'name': 'web'}, view)
    assert shaped['orchestration_services'] == [{'service_name': 'AutomaticRepairs', 'service_state': 'Suspended',
                                                 'last_status_change_time': '2026-12-01T20:00:00Z'}]
    assert service_state(shaped['orchestration_services']) == 'Suspended'
    assert service_state(orchestration_services({})) == 'NotRunning'
    assert service_state(orchestration_services(view), 'AutomaticZoneRebalancing') == 'NotRunning'


@pytest.mark.parametrize('current, wanted, action', [
    ('Running', 'suspended', 'Suspend'),
    ('Suspended', 'running', 'Resume'),
    ('Suspended', 'suspended', None),
    ('Running', 'running', None),
    ('NotRunning', 'suspended', None),
    ('NotRunning', 'running', None),
    (None, 'suspended', None),
])
def test_service_state_change(current, wanted, action):
    assert service_state_change(current, wanted)[0] == action


def test_service_state_change_says_why_nothing_is_sent():
    assert 'not enabled' in service_state_change('NotRunning', 'suspended')[1]
    assert service_state_change('Suspended', 'suspended')[1] == 'already Suspended'
    with pytest.raises(ValueError):
        service_state_change('Running', 'paused')
