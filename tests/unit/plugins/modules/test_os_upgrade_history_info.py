# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""os_upgrade_history_info's main() end to end: real AnsibleModule, our client and the real SDK over a fake transport.

Only two things are replaced: the azure-identity credential (no Azure AD here) and the HTTP transport.
TestOsUpgradeHistoryInfo reads the Uniform scale set vmss-web; TestOnFlexible the Flexible vmss-flex
(tests/unit/utils/flexible_scale_set.py).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import os_upgrade_history_info  # noqa: E402
from ...utils.fake_arm import FakeArm  # noqa: E402
from ...utils.info_modules import VMSS, RefusesBadInputFirst, args  # noqa: E402
from ...utils import flexible_scale_set as flex  # noqa: E402

NOT_FOUND = {'error': {'code': 'ResourceNotFound',
                       'message': "The Resource 'Microsoft.Compute/virtualMachineScaleSets/vmss-web' under resource "
                                  "group 'rg-web' was not found."}}


def history_entry(code, version):
    return {'type': 'Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory', 'location': 'westeurope',
            'properties': {'runningStatus': {'code': code, 'startTime': '2026-11-01T00:00:00Z'}, 'startedBy': 'User',
                           'targetImageReference': {'version': version},
                           'progress': {'successfulInstanceCount': 5}}}


def history_pages():
    link = 'https://management.azure.com' + VMSS + '/osUpgradeHistory?api-version=2026-04-01&$skiptoken=%d'
    return (FakeArm()
            .on('GET', '/osUpgradeHistory', body={'value': [history_entry('Completed', '3'), history_entry('Faulted', '2')],
                                                  'nextLink': link % 2}, times=1)
            .on('GET', '/osUpgradeHistory', body={'value': [history_entry('Completed', '1'), {}]}))


class TestOsUpgradeHistoryInfo(RefusesBadInputFirst):
    MODULE = os_upgrade_history_info

    def test_history_follows_pages_and_shapes_entries(self, run):
        result, arm = run(os_upgrade_history_info, args(), arm=history_pages())
        assert len(arm.requests) == 2
        upgrades = result['os_upgrades']
        assert [u.get('target_image_reference', {}).get('version') for u in upgrades] == ['3', '2', '1', None]
        assert upgrades[0]['running_status'] == {'code': 'Completed', 'start_time': '2026-11-01T00:00:00Z'}
        assert upgrades[0]['progress'] == {'successful_instance_count': 5}
        assert upgrades[0]['started_by'] == 'User'
        assert upgrades[3] == {}, 'the minimum entry of the REST reference is an empty object'

    def test_history_max_items_stops_paging(self, run):
        result, arm = run(os_upgrade_history_info, args(max_items=2), arm=history_pages())
        assert len(arm.requests) == 1
        assert len(result['os_upgrades']) == 2

    def test_history_empty(self, run):
        arm = FakeArm().on('GET', '/osUpgradeHistory', body={'value': []})
        result, _arm = run(os_upgrade_history_info, args(), arm=arm)
        assert result['os_upgrades'] == []

    @pytest.mark.parametrize('value', [0, -3])
    def test_history_max_items_must_be_positive(self, run, value):
        result, arm = run(os_upgrade_history_info, args(max_items=value))
        assert result['failed'] is True and 'max_items must be greater than 0' in result['msg']
        assert arm.requests == []

    def test_history_missing_scale_set(self, run):
        arm = FakeArm().on('GET', '/osUpgradeHistory', status=404, body=NOT_FOUND)
        result, _arm = run(os_upgrade_history_info, args(), arm=arm)
        assert result['failed'] is True
        assert 'ResourceNotFound' in result['msg'] and 'vmss-web' in result['msg']
        assert result['status_code'] == 404

    def test_vmss_name_alias(self, run):
        arm = FakeArm().on('GET', '/osUpgradeHistory', body={'value': []})
        data = args()
        data['vmss_name'] = data.pop('name')
        result, arm = run(os_upgrade_history_info, data, arm=arm)
        assert result['os_upgrades'] == []
        assert arm.requests[0]['path'] == VMSS + '/osUpgradeHistory'


class TestOnFlexible(flex.FlexibleScaleSetRun):

    def test_refused_os_upgrade_history_is_reported_not_available(self, run, arm):
        arm.scale_set(flex.VMSS, mode='Flexible').on('GET', '/osUpgradeHistory', status=409, body=flex.REFUSED)
        result = run(os_upgrade_history_info, {})
        assert result.get('failed') is not True
        assert result['available'] is False and result['os_upgrades'] == []
        assert 'Flexible orchestration' in result['unavailable_reason'] and 'OperationNotAllowed' in result['unavailable_reason']
        assert 'Flexible orchestration' in repr(result['warnings']), 'warned (ansible-core 2.19 structures warnings)'
