# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""orchestration_service end to end over the fake transport.

Real AnsibleModule, our client and azure-mgmt-compute; only the credential and the HTTP transport are replaced.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import orchestration_service  # noqa: E402
from ...utils.fake_arm import FakeArm  # noqa: E402
from ...utils.scale_set_modules import SUB, VMSS, ScaleSetModuleRun, view  # noqa: E402

OP = 'https://management.azure.com/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/o1' % SUB


def suspending_arm(before, after):
    return (FakeArm().on('GET', VMSS + '/instanceView', body=view(before), times=1)
            .on('POST', '/setOrchestrationServiceState', status=202,
                headers={'Azure-AsyncOperation': OP, 'Retry-After': '0'})
            .on('GET', '/operations/o1', body={'status': 'Succeeded', 'name': 'o1'})
            .on('GET', VMSS + '/instanceView', body=view(after)))


class TestOrchestrationService(ScaleSetModuleRun):

    def test_suspend_posts_the_wire_body_waits_and_reads_back(self, run):
        arm = suspending_arm('Running', 'Suspended')
        result = run(orchestration_service, {'state': 'suspended'}, arm)
        assert result['changed'] is True and result['action'] == 'Suspend'
        assert result['previous_state'] == 'Running' and result['service']['service_state'] == 'Suspended'
        posts = [r for r in arm.requests if r['method'] == 'POST']
        assert [p['body'] for p in posts] == [{'serviceName': 'AutomaticRepairs', 'action': 'Suspend'}]
        assert [r['method'] for r in arm.requests] == ['GET', 'POST', 'GET', 'GET']

    @pytest.mark.parametrize('before, wanted', [('Suspended', 'suspended'), ('Running', 'running'),
                                                ('NotRunning', 'suspended'), ('NotRunning', 'running')])
    def test_no_post_when_nothing_to_do(self, run, before, wanted):
        arm = FakeArm().on('GET', VMSS + '/instanceView', body=view(before))
        result = run(orchestration_service, {'state': wanted}, arm)
        assert result['changed'] is False and result['action'] is None
        assert [r['method'] for r in arm.requests] == ['GET']

    def test_check_mode_reports_the_change_without_a_post(self, run):
        arm = FakeArm().on('GET', VMSS + '/instanceView', body=view('Suspended'))
        result = run(orchestration_service, {'state': 'running'}, arm, check_mode=True)
        assert result['changed'] is True and result['action'] == 'Resume'
        assert [r['method'] for r in arm.requests] == ['GET']

    def test_failed_state_change_says_what_failed(self, run):
        arm = (FakeArm().on('GET', VMSS + '/instanceView', body=view('Running'))
               .on('POST', '/setOrchestrationServiceState', status=409,
                   body={'error': {'code': 'OperationNotAllowed', 'message': 'Automatic repairs are not enabled.'}}))
        result = run(orchestration_service, {'state': 'suspended'}, arm)
        assert result['failed'] is True
        assert 'suspend AutomaticRepairs' in result['msg'] and 'OperationNotAllowed' in result['msg']
