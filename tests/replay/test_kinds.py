# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kinds.py: which operation a request is, and the request key ARM answers by."""
from __future__ import absolute_import, division, print_function

from kinds import kind_of, normalise_filter, request_key

VMSS = '/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachineScaleSets/web'


def test_kinds_of_the_collections_requests():
    assert kind_of('GET', 'https://management.azure.com' + VMSS + '?api-version=2024-07-01') == 'vmss_get'
    assert kind_of('GET', VMSS + '/virtualmachines/3/instanceView') == 'vmss_vm_instance_view'
    assert kind_of('POST', VMSS + '/performMaintenance') == 'vmss_perform_maintenance'
    assert kind_of('GET', '/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/o?p=1') == \
        'operation_status'
    assert kind_of('PUT', VMSS) is None


def test_the_filter_is_compared_as_arm_reads_it():
    quoted = "'virtualMachineScaleSet/id' eq '%s'" % VMSS
    assert normalise_filter(quoted) == normalise_filter("virtualMachineScaleSet/id  eq '%s'" % VMSS.upper())


def test_api_version_and_operation_tokens_do_not_matter_but_expand_does():
    plain = request_key('GET', VMSS + '/virtualMachines?api-version=2017-03-30')
    assert plain == request_key('get', VMSS.lower() + '/virtualMachines/?api-version=2024-11-01')
    assert plain != request_key('GET', VMSS + '/virtualMachines?$expand=instanceView')
    op = '/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/o'
    assert request_key('GET', op + '?p=1&t=2&c=3&s=4&h=5') == request_key('GET', op)
    assert request_key('GET', op + '?monitor=true') != request_key('GET', op)
