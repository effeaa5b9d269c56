# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator held to real Azure: for every kind of recorded answer, the simulator is sent the equivalent
request and its answer's shape is compared with the recorded ones (shapes.compare_answers): status, error code,
keys and value types at every depth, enum values, the headers that matter, paging.

Differences kept on purpose are in DELIBERATE, each with why; any other difference fails, and so does an entry
of DELIBERATE that no longer happens (the table must say what the simulator does).
"""
from __future__ import absolute_import, division, print_function

import copy
import fnmatch
import json
import os

import pytest
import requests

from armsim import Simulator, load_scenario
from kinds import query_key, split_uri
from shapes import compare_answers

HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS = [json.loads(line) for line in open(os.path.join(HERE, '..', 'replay', 'recordings', 'pairs.jsonl'))]
RG = 'rg-sim'

# Deliberate differences: (cases, path or path prefix ending in '.', kinds) -> why. ``cases`` is an fnmatch
# pattern of the case names below. Every row must still match something (test_the_table_..._is_current).
NOT_WAVE = ('no recorded VM was in a maintenance wave (the recorded subscriptions had none); the simulated VMs are, '
            'which is what the collection is for')
NOT_READ = 'fields of the VM or scale set model that the simulator does not model and the collection never reads'
DELIBERATE = [
    ('vmss_get *', 'properties.upgradePolicy.rollingUpgradePolicy.', 'extra',
     'enableCrossZoneUpgrade and prioritizeUnhealthyInstances are in the REST reference; no recorded scale set set them'),
    ('rolling_upgrade_latest', 'properties.policy.', 'extra',
     'enableCrossZoneUpgrade and prioritizeUnhealthyInstances are in the REST reference; no recorded policy set them'),
    ('vmss_get *', 'properties.virtualMachineProfile.extensionProfile.extensions[].properties.settings.', 'extra',
     "the Application Health extension's documented settings (protocol, port, requestPath), which scale_set_info "
     "reads for health_signal; no recorded scale set had that extension"),
    ('vmss_get *', 'zones', 'extra', 'the scenario scale sets are zonal; no recorded one is'),
    ('vmss_get *', 'properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties.'
                   'ipConfigurations', 'missing', NOT_READ),
    ('vmss_get *', 'properties.virtualMachineProfile.osProfile.secrets', 'missing', NOT_READ),
    ('vmss_instance_view repairs', 'orchestrationServices[].serviceState', 'enum',
     'Running, the documented state of enabled repairs; the recordings caught only Suspended'),
    ('os_upgrade_history', 'value[].properties.', 'extra enum',
     'the scenario has a Faulted upgrade (with its error) started by the Platform, as documented; the one recorded '
     'non-empty history is one Completed upgrade started by the User'),
    ('os_upgrade_history', 'value[].properties.runningStatus.completedTime', 'missing',
     'the REST reference and the SDK say endTime; the one recorded entry (api-version 2019-03-01, a .NET record '
     'of 2018) says completedTime. UNVERIFIED which one Azure sends today; the collection reads neither'),
    ('vm*', 'tags', 'missing', 'the recorded VMs carry the tags their tests gave them; the simulated ones have none '
     'and leave the key out (UNVERIFIED whether Azure then sends {})'),
    ('vm*', 'value[].tags', 'missing', 'the recorded VMs carry the tags their tests gave them; the simulated ones have '
     'none and leave the key out (UNVERIFIED whether Azure then sends {})'),
    ('vmss_vm_list expand select', 'value[].properties.instanceView.maintenanceRedeployStatus', 'extra', NOT_WAVE),
    ('vmss_vm_instance_view', 'maintenanceRedeployStatus', 'extra', NOT_WAVE),
    ('vm_get flexible', 'properties.instanceView.maintenanceRedeployStatus.', 'extra enum missing',
     NOT_WAVE + ': the recorded standalone VM outside a wave has three fields and a message, the simulated one the '
     'window times and no message yet'),
    ('vmss_vm_perform_maintenance stale id', '', 'status error_code header missing',
     "the collection never sends a Uniform VM's own performMaintenance; the simulator checks that the VM exists "
     "first (404 NotFound). The scale-set POST with a stale id, which the collection sends, answers the recorded "
     "400 InvalidParameter (case 'vmss_perform_maintenance stale id')"),
    ('vm_get missing', '', 'error_code header',
     "a VM that never existed: ARM answers 404 ResourceNotFound without Compute's rate-limit header (the REST "
     "reference, the simulator); the recordings caught Compute's 404 NotFound for VMs deleted moments before. The "
     "collection reads the 404, not the code"),
    ('vm_list flexible', 'nextLink', 'extra', 'the scenario pages its 5 VMs 2 a page; every recorded list had one page'),
    ('vm_list flexible', 'value[].zones', 'extra', 'the scenario scale set is zonal; the recorded one was not'),
    ('vm_*', 'value[].properties.platformFaultDomain', 'extra',
     'the simulated Flexible VMs state their fault domain; the recorded ones were created without one'),
    ('vm_get flexible', 'properties.platformFaultDomain', 'extra',
     'the simulated Flexible VMs state their fault domain; the recorded VM was created without one'),
    ('vm_*', 'value[].properties.', 'missing', NOT_READ),
    ('vm_get flexible', 'properties.', 'missing', NOT_READ),
    ('vm_get flexible', 'properties.instanceView.platformFaultDomain', 'extra',
     'the recorded VM is a standalone VM (no fault domain in its view); the simulated one is in a Flexible scale set'),
    ('vm_get flexible', 'properties.instanceView.vmHealth', 'extra',
     'the recorded VM has no health probe or extension; the simulated one has (vmHealth as documented)'),
    ('vm_get flexible', 'properties.virtualMachineScaleSet', 'extra', 'the recorded VM belongs to no scale set'),
    ('soss *', 'x-ms-ratelimit-remaining-resource', 'header',
     "Azure's operation status answers carry Compute's GetOperation counts; the simulator charges no Compute policy "
     "for polls (the one documented figure, 15 a minute per operation, would throttle its fast-clock polls), so it "
     "sends no such header there. The collection reads the header only for its results"),
    ('vm_get flexible', 'properties.networkProfile.networkInterfaces[].properties', 'extra',
     "NIC properties as the recorded Flexible VM lists have them; the recorded standalone VM's NIC is only its id"),
]


def deliberate(case, difference):
    """The row of DELIBERATE that covers a difference, or None."""
    for row in DELIBERATE:
        cases, path, kinds, _why = row
        if not fnmatch.fnmatch(case, cases) or difference['kind'] not in kinds.split():
            continue
        here = difference['path']
        if not path or here == path or here.startswith(path + '[') or (path.endswith('.') and here.startswith(path)):
            return row
    return None


def recorded(kind, status, query=None):
    """The recorded (status, headers, body) answers of a kind, of the same query shape when given and recorded."""
    found = [p for p in PAIRS if p['kind'] == kind and p['status'] == status]
    if query is not None:
        same = [p for p in found if query_key(split_uri(p['uri'])[1]) == query]
        found = same or found
    return [(p['status'], p['response_headers'], p['response_body']) for p in found]


def scenario():
    data = copy.deepcopy(load_scenario('basic'))
    for vmss in data['resource_groups'][0]['scale_sets']:
        if vmss['name'] == 'vmss-nozones':
            vmss['automatic_repairs'] = {'enabled': True, 'grace_period': 'PT10M', 'state': 'Running'}
    return data


@pytest.fixture(scope='module')
def sim():
    with Simulator(scenario='basic', scenario_data=scenario(), time_scale=0.01, seed=1, proxy=False) as s:
        yield s


@pytest.fixture(scope='module')
def http(sim):
    return make_http(sim)


def make_http(sim):
    from azure.identity import ClientSecretCredential
    c = sim.connection
    token = ClientSecretCredential(c['tenant'], c['client_id'], c['secret'], authority=sim.base_url,
                                   disable_instance_discovery=True,
                                   connection_verify=sim.ca_bundle).get_token(sim.base_url + '/.default').token
    session = requests.Session()
    session.verify = sim.ca_bundle
    session.headers['Authorization'] = 'Bearer ' + token

    def send(method, path, query=None, body=None):
        url = path if path.startswith('https://') else sim.base_url + path
        params = dict(query or {})
        if not path.startswith('https://'):
            params.setdefault('api-version', '2024-11-01')
        response = session.request(method, url, params=params, json=body, verify=sim.ca_bundle)
        try:
            data = response.json() if response.content else ''
        except ValueError:
            data = response.text
        return response.status_code, dict(response.headers), data
    return send


def vmss(sim, name):
    return '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s' % (
        sim.connection['subscription_id'], RG, name)


def vm(sim, name=''):
    return '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines%s' % (
        sim.connection['subscription_id'], RG, ('/' + name) if name else '')


EXPAND = {'$expand': 'instanceView'}
EXPAND_SELECT = {'$expand': 'instanceView', '$select': 'instanceView'}


def cases(sim):
    """(case name, kind, status, method, path, query, body): the simulator's equivalent of each recorded kind."""
    flex_filter = "'virtualMachineScaleSet/id' eq '%s'" % vmss(sim, 'vmss-flex')
    return [
        ('vmss_get uniform', 'vmss_get', 200, 'GET', vmss(sim, 'vmss-zoned'), {}, None),
        ('vmss_get flexible', 'vmss_get', 200, 'GET', vmss(sim, 'vmss-flex'), {}, None),
        ('vmss_get missing', 'vmss_get', 404, 'GET', vmss(sim, 'vmss-missing'), {}, None),
        ('vmss_instance_view repairs', 'vmss_instance_view', 200, 'GET', vmss(sim, 'vmss-nozones') + '/instanceView', {}, None),
        ('vmss_instance_view', 'vmss_instance_view', 200, 'GET', vmss(sim, 'vmss-zoned') + '/instanceView', {}, None),
        ('rolling_upgrade_latest', 'rolling_upgrade_latest', 200, 'GET', vmss(sim, 'vmss-rolling') + '/rollingUpgrades/latest', {}, None),
        ('os_upgrade_history', 'os_upgrade_history', 200, 'GET', vmss(sim, 'vmss-rolling') + '/osUpgradeHistory', {}, None),
        ('os_upgrade_history empty', 'os_upgrade_history', 200, 'GET', vmss(sim, 'vmss-nozones') + '/osUpgradeHistory', {}, None),
        ('vmss_vm_list', 'vmss_vm_list', 200, 'GET', vmss(sim, 'vmss-nozones') + '/virtualMachines', {}, None),
        ('vmss_vm_list expand select', 'vmss_vm_list', 200, 'GET', vmss(sim, 'vmss-nozones') + '/virtualMachines',
         EXPAND_SELECT, None),
        ('vmss_vm_get', 'vmss_vm_get', 200, 'GET', vmss(sim, 'vmss-nozones') + '/virtualMachines/0', {}, None),
        ('vmss_vm_instance_view', 'vmss_vm_instance_view', 200, 'GET',
         vmss(sim, 'vmss-nozones') + '/virtualMachines/0/instanceView', {}, None),
        ('vmss_vm_instance_view missing', 'vmss_vm_instance_view', 404, 'GET',
         vmss(sim, 'vmss-nozones') + '/virtualMachines/99/instanceView', {}, None),
        ('vmss_perform_maintenance not eligible', 'vmss_perform_maintenance', 409, 'POST',
         vmss(sim, 'vmss-zoned') + '/performMaintenance', {}, {'instanceIds': ['5']}),
        ('vmss_perform_maintenance stale id', 'vmss_vm_perform_maintenance', 400, 'POST',
         vmss(sim, 'vmss-zoned') + '/performMaintenance', {}, {'instanceIds': ['99']}),
        ('vmss_vm_perform_maintenance stale id', 'vmss_vm_perform_maintenance', 400, 'POST',
         vmss(sim, 'vmss-zoned') + '/virtualMachines/99/performMaintenance', {}, None),
        ('vm_list flexible', 'vm_list', 200, 'GET', vm(sim), {'$filter': flex_filter}, None),
        ('vm_get flexible', 'vm_get', 200, 'GET', vm(sim, 'vmss-flex_0c5e2a41'), EXPAND, None),
        ('vm_get missing', 'vm_get', 404, 'GET', vm(sim, 'vmss-flex_nope'), {}, None),
        ('vm_perform_maintenance not eligible', 'vm_perform_maintenance', 409, 'POST',
         vm(sim, 'vmss-flex_3f8b5d74') + '/performMaintenance', {}, None),
        ('tags_get', 'tags_get', 200, 'GET', vmss(sim, 'vmss-zoned') + '/providers/Microsoft.Resources/tags/default',
         {'api-version': '2021-04-01'}, None),
        ('tags_patch', 'tags_patch', 200, 'PATCH', vmss(sim, 'vmss-zoned') + '/providers/Microsoft.Resources/tags/default',
         {'api-version': '2021-04-01'}, {'operation': 'Merge', 'properties': {'tags': {'team': 'web'}}}),
        ('alerts_list', 'alerts_list', 200, 'GET', '/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts'
         % sim.connection['subscription_id'], {'api-version': '2019-05-05-preview'}, None),
    ]


def differences(kind, status, query, answer):
    answers = recorded(kind, status, query)
    assert answers, 'no recorded %s %s' % (kind, status)
    return compare_answers(answers, *answer)


def unexpected(case, found):
    bad = []
    for difference in found:
        row = deliberate(case, difference)
        if row is None:
            bad.append(difference)
        else:
            USED.add(row[:3])
    return bad


USED = set()


def test_each_recorded_kind_is_answered_alike(sim, http):
    report = {}
    for case, kind, status, method, path, query, body in cases(sim):
        sim.reset()
        answer = http(method, path, query, body)
        sent = query_key(sorted(query.items()))
        bad = unexpected(case, differences(kind, status, sent, answer))
        if bad:
            report[case] = bad
    assert not report, json.dumps(report, indent=1)


def test_set_orchestration_service_state_and_its_polls_are_answered_alike(sim, http):
    sim.reset()
    path = vmss(sim, 'vmss-nozones') + '/setOrchestrationServiceState'
    answer = http('POST', path, {}, {'serviceName': 'AutomaticRepairs', 'action': 'Suspend'})
    found = [('soss post', d) for d in differences('set_orchestration_service_state', 202, (), answer)]
    headers = dict((k.lower(), v) for k, v in answer[1].items())
    polls = []
    while len(polls) < 50:  # the simulated clock moves an hour a poll: no wait on the real one
        polled = http('GET', headers['azure-asyncoperation'])
        polls.append(polled)
        if polled[2].get('status') != 'InProgress':
            break
        sim.advance_clock(by='1h')
    final = http('GET', headers['location'])
    for polled in polls:
        found.extend(('soss poll', d) for d in differences('operation_status', 200, (), polled))
    found.extend(('soss location', d) for d in differences('operation_status', 200, (('monitor', 'true'),), final))
    bad = [(case, d) for case, d in found if unexpected(case, [d])]
    assert polls[-1][2]['status'] == 'Succeeded'
    assert not bad, json.dumps(bad, indent=1)


def test_the_table_of_deliberate_differences_is_current():
    stale = [row[:3] for row in DELIBERATE if row[:3] not in USED]
    assert not stale, 'DELIBERATE entries that no longer happen: %s' % stale
