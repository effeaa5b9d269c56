# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health from the instance view when the VM list carries none."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.health import lacks_health, with_health
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import summarize

HEALTHY = {'status': {'code': 'HealthState/healthy'}}


def vm(instance_id, health=None):
    view = {'statuses': [{'code': 'PowerState/running'}]}
    if health:
        view['vmHealth'] = health
    return {'instanceId': instance_id, 'properties': {'instanceView': view}}


def test_lacks_health_only_when_no_vm_has_it():
    assert lacks_health([vm('0'), vm('1')]) is True
    assert lacks_health([vm('0'), vm('1', HEALTHY)]) is False
    assert lacks_health([]) is False
    assert lacks_health([{'instanceId': '0'}]) is True


def test_with_health_gives_the_same_summary_as_a_list_that_had_it():
    merged = with_health(vm('3'), {'vmHealth': HEALTHY, 'statuses': []})
    assert summarize(merged) == summarize(vm('3', HEALTHY))
    original = vm('3')
    with_health(original, {'vmHealth': HEALTHY})
    assert 'vmHealth' not in original['properties']['instanceView'], 'the input is not changed'


def test_with_health_of_a_bare_vm_and_a_view_without_health():
    assert summarize(with_health({'instanceId': '1'}, {'vmHealth': HEALTHY}))['health_state'] == 'healthy'
    assert with_health(vm('1'), {'statuses': []}) == vm('1')
    assert with_health(vm('1'), None) == vm('1')
