# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolling_upgrade_info's main() end to end: real AnsibleModule, our client and the real SDK over a fake transport.

Only two things are replaced: the azure-identity credential (no Azure AD here) and the HTTP transport.
TestRollingUpgradeInfo reads the Uniform scale set vmss-web; TestOnFlexible the Flexible vmss-flex
(tests/unit/utils/flexible_scale_set.py).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import rolling_upgrade_info  # noqa: E402
from ...utils.fake_arm import FakeArm  # noqa: E402
from ...utils.info_modules import VMSS, RefusesBadInputFirst, args  # noqa: E402
from ...utils import flexible_scale_set as flex  # noqa: E402


class TestRollingUpgradeInfo(RefusesBadInputFirst):
    MODULE = rolling_upgrade_info

    def test_rolling_upgrade_active_and_shaped(self, run):
        arm = FakeArm().on('GET', '/rollingUpgrades/latest', body={
            'type': 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades', 'location': 'westeurope',
            'properties': {'policy': {'maxBatchInstancePercent': 20}, 'runningStatus': {'code': 'RollingBack'},
                           'progress': {'pendingInstanceCount': 2}}})
        result, arm = run(rolling_upgrade_info, args(), arm=arm, check_mode=True)
        assert result['rolling_upgrade_active'] is True
        assert result['rolling_upgrade']['policy'] == {'max_batch_instance_percent': 20}
        assert result['rolling_upgrade']['progress'] == {'pending_instance_count': 2}
        assert len(arm.requests) == 1

    def test_rolling_upgrade_minimum_body(self, run):
        arm = FakeArm().on('GET', '/rollingUpgrades/latest', body={'location': 'aaaaaa', 'id': 'aaaaaaaaaa'})
        result, _arm = run(rolling_upgrade_info, args(), arm=arm)
        assert result['rolling_upgrade'] == {'location': 'aaaaaa', 'id': 'aaaaaaaaaa'}
        assert result['rolling_upgrade_active'] is False

    def test_rolling_upgrade_never_run(self, run):
        arm = (FakeArm().on('GET', '/rollingUpgrades/latest', status=404, body={'error': {'code': 'NotFound', 'message': 'x'}})
               .on('GET', VMSS, body={'name': 'vmss-web'}))
        result, arm = run(rolling_upgrade_info, args(), arm=arm)
        assert result['rolling_upgrade'] == {} and result['rolling_upgrade_active'] is False
        assert len(arm.requests) == 2

    def test_secret_never_in_failure_output(self, run):
        arm = FakeArm().on('GET', '/rollingUpgrades/latest', status=401, body={
            'error': {'code': 'InvalidAuthenticationToken', 'message': 'bad token for s3cret-value'}})
        result, _arm = run(rolling_upgrade_info, args(), arm=arm)
        assert result['failed'] is True
        assert 's3cret-value' not in json.dumps(result)


class TestOnFlexible(flex.FlexibleScaleSetRun):

    def test_refused_rolling_upgrade_is_reported_not_available_also_with_a_query(self, run, arm):
        arm.scale_set(flex.VMSS, mode='Flexible').on('GET', '/rollingUpgrades/latest', status=400, body=flex.REFUSED)
        result = run(rolling_upgrade_info, {'query': 'rolling_upgrade_active'})
        assert result['available'] is False and result['query_result'] is False
        assert 'unavailable_reason' in result

    def test_rolling_upgrade_of_flexible_is_whatever_azure_answers(self, run, arm):
        arm.on('GET', '/rollingUpgrades/latest', body={
            'type': 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades',
            'properties': {'runningStatus': {'code': 'RollingForward'}}})
        result = run(rolling_upgrade_info, {})
        assert result['available'] is True and result['rolling_upgrade_active'] is True
        assert 'unavailable_reason' not in result
        assert [r['path'] for r in arm.requests] == [flex.VMSS + '/rollingUpgrades/latest']
