# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the read modules' unit tests share (instance_view_info, os_upgrade_history_info, rolling_upgrade_info):
the scale set they read, its arguments, and the ``run`` fixture of a test class that derives from InfoModuleRun.

Each module's main() runs end to end: real AnsibleModule, our client and the real SDK over a fake transport.
Only two things are replaced: the azure-identity credential (no Azure AD here) and the HTTP transport.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from .fake_arm import FakeArm, run_module_main

SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')


class InfoModuleRun(object):
    """Base of a test class whose tests run a read module: gives them the ``run`` fixture."""

    @pytest.fixture
    def run(self, monkeypatch, capsys):
        """run(module, args, arm) -> (result dict, arm) with the module's main() over the fake ARM."""

        def _run(module, args, arm=None, check_mode=False):
            arm = arm or FakeArm()
            return run_module_main(monkeypatch, capsys, module, args, arm, check_mode=check_mode), arm

        return _run


class RefusesBadInputFirst(InfoModuleRun):
    """The checks every read module passes before it sends anything; a test class sets ``MODULE``."""

    MODULE = None

    def test_bad_query_fails_before_any_request(self, run):
        result, arm = run(self.MODULE, args(query='instances[?'))
        assert result['failed'] is True
        assert 'not a valid JMESPath expression' in result['msg']
        assert arm.requests == []

    @pytest.mark.parametrize('field, value, message', [
        ('resource_group', 'rg.', 'resource_group'),
        ('resource_group', 'rg/x', 'resource_group'),
        ('name', 'vmss web', 'name'),
        ('name', 'v' * 65, 'name'),
    ])
    def test_bad_names_fail_before_any_request(self, run, field, value, message):
        result, arm = run(self.MODULE, args(**{field: value}))
        assert result['failed'] is True
        assert result['msg'].startswith(message)
        assert arm.requests == []


def args(**extra):
    data = dict(AUTH, resource_group='rg-web', name='vmss-web')
    data.update(extra)
    return data
