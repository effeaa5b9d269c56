# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes of ARM's answers (no values but closed sets) and their differences."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import shapes

PATH = '/subscriptions/0b0b0b0b-1111-4222-8333-444444444444/resourceGroups/rg-prod/providers/Microsoft.Compute/' \
       'virtualMachineScaleSets/web/virtualMachines'
KIND = 'GET /subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachineScaleSets/{}/virtualMachines'


def page(*vms):
    return {'value': list(vms), 'nextLink': 'https://management.azure.com/...&$skiptoken=abc'}


def vm(power='PowerState/running', **extra):
    props = {'instanceView': {'statuses': [{'code': power, 'displayStatus': 'VM running', 'time': '2026-12-07T06:00Z'}]}}
    props.update(extra)
    return {'name': 'web_3', 'instanceId': '3', 'tags': {'owner': 'team-payments'}, 'properties': props}


def test_request_kinds_carry_no_names():
    assert shapes.request_kind('get', PATH + '?api-version=2024-07-01') == KIND
    assert shapes.request_kind('GET', '/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/'
                                      'op-1') == 'GET /subscriptions/{}/providers/Microsoft.Compute/locations/{}/operations/{}'


def test_shapes_keep_keys_types_and_closed_sets_only():
    recorded = {}
    shapes.add(recorded, 'GET', PATH, 200, {'Content-Type': 'application/json', 'x-ms-request-id': 'abc', 'Date': 'x',
                                            'Set-Cookie': 'secret'}, page(vm()))
    shapes.add(recorded, 'GET', PATH, 200, {}, page(vm('PowerState/deallocated', latestModelApplied=True)))
    entry = recorded[KIND]
    assert entry['statuses'] == [200] and entry['headers'] == ['content-type', 'x-ms-request-id']
    item = entry['body']['keys']['value']['items']
    status = item['keys']['properties']['keys']['instanceView']['keys']['statuses']['items']
    assert status['keys']['code']['values'] == ['PowerState/deallocated', 'PowerState/running']
    assert 'values' not in status['keys']['displayStatus'] and status['keys']['time']['types'] == ['string']
    assert item['keys']['properties']['optional'] == ['latestModelApplied']
    assert item['keys']['tags'] == {'types': ['object']}
    text = json.dumps(recorded)
    for value in ('web_3', 'team-payments', 'owner', 'skiptoken', 'abc', '2026-12-07', 'rg-prod', 'VM running'):
        assert value not in text


def test_compare_names_what_differs():
    azure, sim = {}, {}
    shapes.add(azure, 'GET', PATH, 200, {'Retry-After': '1'}, page(vm(extra=1)))
    shapes.add(azure, 'GET', PATH, 429, {'Retry-After': '1'}, {'error': {'code': 'OperationNotAllowed'}})
    shapes.add(azure, 'GET', '/subscriptions/s/resourceGroups/r', 200, {}, {})
    shapes.add(sim, 'GET', PATH, 200, {'retry-after-ms': '1'}, page(vm('PowerState/stopped', mine=True)))
    found = shapes.compare(azure, sim)
    kinds = [(d.get('path'), d['difference']) for d in found]
    assert (None, 'asked of Azure only') in kinds
    assert (None, 'statuses') in kinds and (None, 'headers') in kinds
    assert ('.value[].properties.extra', 'only in Azure') in kinds
    assert ('.value[].properties.mine', 'only in the simulator') in kinds
    assert ('.value[].properties.instanceView.statuses[].code', 'values only in Azure') in kinds
    assert shapes.compare(azure, azure) == []
