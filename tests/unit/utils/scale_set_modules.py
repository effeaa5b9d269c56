# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the unit tests of scale_set_info, orchestration_service and maintenance_lease share: the scale set
vmss-web, its orchestration services' view, and the ``run`` fixture of a test class that derives from
ScaleSetModuleRun.

Real AnsibleModule, our client and azure-mgmt-compute; only the credential and the HTTP transport are replaced.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from .fake_arm import run_module_main

SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')


class ScaleSetModuleRun(object):
    """Base of a test class whose tests run one of these modules on vmss-web: gives them the ``run`` fixture."""

    @pytest.fixture
    def run(self, monkeypatch, capsys):
        def _run(module, extra, arm, check_mode=False):
            data = dict(AUTH, resource_group='rg-web', name='vmss-web')
            data.update(extra)
            return run_module_main(monkeypatch, capsys, module, data, arm, check_mode=check_mode)
        return _run


def view(state):
    return {'orchestrationServices': [{'serviceName': 'AutomaticRepairs', 'serviceState': state}]}
