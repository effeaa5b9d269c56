# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scale_set_info end to end over the fake transport.

Real AnsibleModule, our client and azure-mgmt-compute; only the credential and the HTTP transport are replaced.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import scale_set_info  # noqa: E402
from ...utils.fake_arm import FakeArm  # noqa: E402
from ...utils.scale_set_modules import VMSS, ScaleSetModuleRun, view  # noqa: E402


def scale_set_body(mode='Uniform'):
    return {'id': VMSS, 'name': 'vmss-web', 'location': 'westeurope', 'sku': {'name': 'Standard_D2s_v5', 'capacity': 3},
            'properties': {'orchestrationMode': mode, 'provisioningState': 'Succeeded',
                           'upgradePolicy': {'mode': 'Rolling', 'rollingUpgradePolicy': {'maxBatchInstancePercent': 34}},
                           'automaticRepairsPolicy': {'enabled': True, 'gracePeriod': 'PT10M'},
                           'virtualMachineProfile': {'networkProfile': {'healthProbe': {'id': '/x/probes/p'}}}}}


class TestScaleSetInfo(ScaleSetModuleRun):

    def test_scale_set_info_is_one_get(self, run):
        arm = FakeArm().on('GET', VMSS, body=scale_set_body())
        result = run(scale_set_info, {}, arm)
        assert [r['path'] for r in arm.requests] == [VMSS]
        vmss = result['scale_set']
        assert vmss['capacity'] == 3 and vmss['health_signal']['kind'] == 'load_balancer_probe'
        assert vmss['upgrade_policy']['rolling_upgrade_policy'] == {'max_batch_instance_percent': 34}
        assert vmss['automatic_repairs_policy']['enabled'] is True
        assert 'orchestration_services' not in vmss and result['changed'] is False

    def test_scale_set_info_with_instance_view(self, run):
        arm = FakeArm().on('GET', VMSS + '/instanceView', body=view('Running')).on('GET', VMSS, body=scale_set_body())
        result = run(scale_set_info, {'instance_view': True, 'query': 'scale_set.orchestration_services[0].service_state'}, arm)
        assert result['query_result'] == 'Running'
        assert [r['path'] for r in arm.requests] == [VMSS, VMSS + '/instanceView']

    def test_scale_set_info_flexible_skips_the_instance_view_with_a_warning(self, run):
        arm = FakeArm().on('GET', VMSS, body=scale_set_body('Flexible'))
        result = run(scale_set_info, {'instance_view': True}, arm)
        assert len(arm.requests) == 1
        assert 'orchestration_services' not in result['scale_set']
        assert any('Flexible' in str(w) for w in result['warnings'])  # a string, or a dict on ansible-core 2.19
