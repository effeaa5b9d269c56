# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import orchestration as o

SS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/flex'


def test_mode_from_the_scale_set():
    assert o.orchestration_mode({'properties': {'orchestrationMode': 'Flexible'}}) == o.FLEXIBLE
    assert o.orchestration_mode({'properties': {'orchestrationMode': 'flexible'}}) == o.FLEXIBLE
    assert o.orchestration_mode({'properties': {'orchestrationMode': 'Uniform'}}) == o.UNIFORM
    assert o.orchestration_mode({'properties': {}}) == o.UNIFORM, 'older API versions leave Uniform unsaid'
    assert o.orchestration_mode({}) == o.UNIFORM


def test_membership_compares_ids_without_case():
    vm = {'properties': {'virtualMachineScaleSet': {'id': SS.upper()}}}
    assert o.belongs_to(vm, SS)
    assert not o.belongs_to(vm, SS + '2')
    assert not o.belongs_to({'properties': {}}, SS)
    assert not o.belongs_to({}, SS)


def test_the_list_filter_quotes_as_odata_does():
    assert o.vm_list_filter(SS) == "'virtualMachineScaleSet/id' eq '%s'" % SS
    assert o.vm_list_filter("a'b") == "'virtualMachineScaleSet/id' eq 'a''b'"


def test_names_on_a_uniform_scale_set_are_refused_numbers_on_flexible_are_not():
    problem = o.ids_for_mode_error(['0', 'web-1'], o.UNIFORM, "scale set 'web'")
    assert "'web-1' is not numeric" in problem and 'Uniform orchestration' in problem
    assert o.ids_for_mode_error(['0', '12'], o.UNIFORM, 'x') is None
    assert o.ids_for_mode_error(['0', 'web-1'], o.FLEXIBLE, 'x') is None, 'a VM may be named 0'


def test_missing_on_flexible_names_the_vms_to_use():
    message = o.missing_on_flexible_error(['3'], ['flex_b', 'flex_a'], "scale set 'flex'")
    assert message.startswith("instance_ids: '3' not in scale set 'flex'")
    assert 'Flexible orchestration' in message and 'not numbered' in message
    assert message.endswith("Its VMs are 'flex_a', 'flex_b'")
    message = o.missing_on_flexible_error(['flex_z'], ['vm%02d' % i for i in range(12)], 'x')
    assert 'not numbered' not in message
    assert message.endswith("'vm09' and 2 more")
