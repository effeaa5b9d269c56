# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules' tests on a Flexible scale set share: the scale set vmss-flex, its VMs (ordinary VMs named by
name), the answers of their maintenance, and the ``arm`` and ``run`` fixtures of a test class that derives from
FlexibleScaleSetRun.

Every module on a Flexible scale set, end to end over the fake transport: real AnsibleModule, our client, the SDK.
The ``arm`` fixture checks after each test that no request used the scale-set VM APIs or the scale-set
performMaintenance, which Azure refuses on a Flexible scale set.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from .fake_arm import FakeArm, RM, flexible_vm, run_module_main

SUB = '00000000-0000-0000-0000-0000000000aa'
GROUP = '/subscriptions/%s/resourceGroups/rg-web' % SUB
VMSS = GROUP + '/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-flex'
VMS = GROUP + '/providers/Microsoft.Compute/virtualMachines'
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')
FAST = {'retry-after-ms': '10'}


class FlexibleScaleSetRun(object):
    """Base of a test class whose tests run modules on vmss-flex: gives them the ``arm`` and ``run`` fixtures."""

    @pytest.fixture
    def arm(self):
        fake = FakeArm()
        yield fake
        for request in fake.requests:
            assert '/virtualMachineScaleSets/vmss-flex/virtualMachines' not in request['path'], request['path']
            assert not request['path'].endswith('/virtualMachineScaleSets/vmss-flex/performMaintenance')
            if request['method'] == 'POST':
                assert request['path'].startswith(VMS + '/') and request['body'] is None

    @pytest.fixture
    def run(self, monkeypatch, capsys, arm):
        def _run(module, module_args, check_mode=False):
            full = dict(AUTH, resource_group='rg-web', name='vmss-flex')
            full.update(module_args)
            return run_module_main(monkeypatch, capsys, module, full, arm, check_mode=check_mode)
        return _run


def vm(name, allowed=None, zone=None, code='None'):
    return flexible_vm(name, VMSS, allowed=allowed, zone=zone, code=code)


def flexible_fleet(arm, vms, capacity=None):
    arm.scale_set(VMSS, mode='Flexible', capacity=capacity)
    for body in vms:
        arm.on('GET', VMS + '/' + body['name'], body=body)
    return arm.on('GET', VMS, body={'value': vms})


def basic(arm):
    # a1, c3 eligible; b2 already maintained; d4 not in a wave.
    return flexible_fleet(arm, [vm('vmss-flex_c3', True, zone=2), vm('vmss-flex_a1', True, zone=1),
                                vm('vmss-flex_b2', False, code='MaintenanceCompleted'), vm('vmss-flex_d4')])


def op_url(name):
    return RM + '/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/op-%s?api-version=x' % (
        SUB, name)


def accept(arm, name, statuses=('InProgress', 'Succeeded'), error=None):
    arm.on('POST', VMS + '/%s/performMaintenance' % name, status=202,
           headers=dict(FAST, **{'Azure-AsyncOperation': op_url(name)}))
    for index, status in enumerate(statuses):
        body = {'status': status, 'name': 'op-' + name}
        if error and status == 'Failed':
            body['error'] = error
        arm.on('GET', '/operations/op-' + name, body=body, headers=FAST, times=None if index == len(statuses) - 1 else 1)
    return arm


def posted(arm):
    return sorted(r['path'][len(VMS) + 1:].split('/')[0] for r in arm.requests if r['method'] == 'POST')


# -- rolling_upgrade_info and os_upgrade_history_info ----------------------------------------------------

REFUSED = {'error': {'code': 'OperationNotAllowed', 'message': "Operation 'VirtualMachineScaleSets.osUpgradeHistory.GET'"
                                                               " is not allowed on Virtual Machine Scale Set 'vmss-flex'."}}
