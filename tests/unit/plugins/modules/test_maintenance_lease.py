# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""maintenance_lease end to end over the fake transport.

Real AnsibleModule, our client and azure-mgmt-compute; only the credential and the HTTP transport are replaced.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import maintenance_lease  # noqa: E402
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import lease_record as leases
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.tags import TAGS_API_VERSION  # noqa: E402
from ...utils.fake_arm import FakeArm  # noqa: E402
from ...utils.scale_set_modules import SUB, VMSS, ScaleSetModuleRun  # noqa: E402

TAGS = VMSS + '/providers/Microsoft.Resources/tags/default'


def tags_body(tags):
    return {'id': TAGS, 'name': 'default', 'type': 'Microsoft.Resources/tags', 'properties': {'tags': tags}}


# A confirm_delay far above what a loaded CI machine takes to read and write through the fake transport
# (0.3 s was seen for a 0.2 s delay): the module's own slow-write check then never trips by accident.
CONFIRM_DELAY = 60


@pytest.fixture
def waits(monkeypatch):
    """The seconds the lease module waited, recorded instead of slept; its clock stays the real one."""
    waited = []

    class Clock(object):
        time = staticmethod(time.time)
        sleep = staticmethod(waited.append)

    monkeypatch.setattr(maintenance_lease, 'time', Clock)
    return waited


def lease_args(**extra):
    data = dict(action='acquire', run_id='run-a', owner='awx job 1', confirm_delay=CONFIRM_DELAY)
    data.update(extra)
    return data


def live(run_id, owner='awx job 9'):
    return leases.format_lease(run_id, owner, time.time() + 600)


def written(requests):
    """The tags as the last PATCH Merge left them: what ARM answers a read-back with."""
    patch = [r for r in requests if r['method'] == 'PATCH'][-1]
    return tags_body(dict({'team': 'web'}, **patch['body']['properties']['tags']))


def applied(requests):
    """The tags after every PATCH so far, Merge and Delete alike, as ARM would answer a read."""
    tags = {'team': 'web'}
    for patch in (r['body'] for r in requests if r['method'] == 'PATCH'):
        for name, value in patch['properties']['tags'].items():
            if patch['operation'] == 'Merge':
                tags[name] = value
            elif tags.get(name) == value:
                del tags[name]
    return tags_body(tags)


class TestMaintenanceLease(ScaleSetModuleRun):

    def test_acquire_reads_merges_waits_and_confirms(self, run, waits):
        arm = (FakeArm().on('GET', TAGS, body=tags_body({'team': 'web'}), times=1).on('PATCH', TAGS, body=written)
               .on('GET', TAGS, body=written))
        result = run(maintenance_lease, lease_args(), arm)
        assert result['changed'] is True and result['outcome'] == 'acquired' and result['held'] is True
        assert [r['method'] for r in arm.requests] == ['GET', 'PATCH', 'GET']
        assert waits == [CONFIRM_DELAY]
        assert all(r['path'] == TAGS and 'api-version=%s' % TAGS_API_VERSION in r['query'] for r in arm.requests[:2])
        body = arm.requests[1]['body']
        assert body['operation'] == 'Merge' and list(body['properties']['tags']) == [leases.LEASE_TAG]
        assert body['properties']['tags'][leases.LEASE_TAG].startswith('run=run-a;owner=awx job 1;expires=')
        assert arm.requests[0]['headers']['User-Agent'].startswith('azure_vmss.maintenance/')
        assert arm.requests[0]['headers']['Authorization'] == 'Bearer fake-token'

    def test_live_lease_of_another_run_is_refused_without_a_write(self, run, waits):
        arm = FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-b')}))
        result = run(maintenance_lease, lease_args(), arm)
        assert result['failed'] is True and result['outcome'] == 'refused'
        assert "run 'run-b'" in result['msg'] and 'awx job 9' in result['msg'] and "break_lease: 'run-b'" in result['msg']
        assert [r['method'] for r in arm.requests] == ['GET']

    def test_losing_the_race_fails_naming_the_winner(self, run, waits):
        arm = (FakeArm().on('GET', TAGS, body=tags_body({}), times=1).on('PATCH', TAGS, body=tags_body({}))
               .on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-b', 'bob@ctl2')})))
        result = run(maintenance_lease, lease_args(), arm)
        assert result['failed'] is True and result['outcome'] == 'lost_race' and result['held'] is False
        assert "run 'run-b'" in result['msg'] and 'bob@ctl2' in result['msg']
        assert [r['method'] for r in arm.requests] == ['GET', 'PATCH', 'GET']

    def test_a_write_slower_than_confirm_delay_removes_its_value_and_fails(self, run, waits):
        # confirm_delay 0: any read-to-write time is too long, so the run cannot know it did not overwrite a
        # lease taken meanwhile. It must neither wait nor claim the lease, and must take its own value out again.
        arm = FakeArm().on('GET', TAGS, body=applied).on('PATCH', TAGS, body=applied)
        result = run(maintenance_lease, lease_args(confirm_delay=0), arm)
        assert result['failed'] is True and result['outcome'] == 'backed_off' and result['held'] is False
        assert 'confirm_delay' in result['msg'] and waits == []
        patches = [r['body'] for r in arm.requests if r['method'] == 'PATCH']
        assert [p['operation'] for p in patches] == ['Merge', 'Delete']
        assert patches[1]['properties']['tags'] == patches[0]['properties']['tags']
        assert result['lease'] is None and applied(arm.requests)['properties']['tags'] == {'team': 'web'}

    def test_check_mode_acquire_writes_nothing(self, run, waits):
        arm = FakeArm().on('GET', TAGS, body=tags_body({}))
        result = run(maintenance_lease, lease_args(), arm, check_mode=True)
        assert result['changed'] is True and result['outcome'] == 'acquired'
        assert result['lease']['run_id'] == 'run-a'
        assert [r['method'] for r in arm.requests] == ['GET']

    def test_release_deletes_by_name_and_value_and_checks(self, run, waits):
        value = live('run-a')
        arm = (FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: value, 'team': 'web'}), times=1)
               .on('PATCH', TAGS, body=tags_body({'team': 'web'})).on('GET', TAGS, body=tags_body({'team': 'web'})))
        result = run(maintenance_lease, lease_args(action='release'), arm)
        assert result['changed'] is True and result['outcome'] == 'released' and result['lease'] is None
        assert arm.requests[1]['body'] == {'operation': 'Delete', 'properties': {'tags': {leases.LEASE_TAG: value}}}

    def test_release_leaves_another_runs_lease(self, run, waits):
        arm = FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-b')}))
        result = run(maintenance_lease, lease_args(action='release'), arm)
        assert result['changed'] is False and result['outcome'] == 'not_held'
        assert [r['method'] for r in arm.requests] == ['GET']
        assert any('run-b' in str(w) for w in result['warnings'])

    def test_accepted_write_is_followed_to_its_end(self, run, waits):
        location = 'https://management.azure.com/subscriptions/%s/operationresults/abc?api-version=2018-08-01' % SUB
        value = live('run-a')
        arm = (FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: value}), times=1)
               .on('PATCH', TAGS, status=202, headers={'Location': location, 'Retry-After': '0'})
               .on('GET', '/operationresults/abc', status=202, headers={'Location': location, 'Retry-After': '0'}, times=1)
               .on('GET', '/operationresults/abc', status=200)
               .on('GET', TAGS, body=tags_body({})))
        result = run(maintenance_lease, lease_args(action='release'), arm)
        assert result['outcome'] == 'released'
        assert [r['path'].rsplit('/', 1)[-1] for r in arm.requests] == ['default', 'default', 'abc', 'abc', 'default']

    def test_forbidden_tag_write_names_the_permission(self, run, waits):
        arm = (FakeArm().on('GET', TAGS, body=tags_body({}))
               .on('PATCH', TAGS, status=403, body={'error': {'code': 'AuthorizationFailed',
                                                              'message': 'The client does not have authorization.'}}))
        result = run(maintenance_lease, lease_args(), arm)
        assert result['failed'] is True
        assert 'AuthorizationFailed' in result['msg'] and 'Microsoft.Resources/tags/write' in result['msg']
        assert 'Tag Contributor' in result['msg']
        assert 's3cret-value' not in str(result)

    @pytest.mark.parametrize('extra, message', [
        ({'run_id': None}, 'run_id is required'),
        ({'run_id': 'a;b'}, 'run_id'),
        ({'owner': 'x;y'}, 'owner'),
        ({'break_lease': 'b', 'action': 'renew'}, 'break_lease'),
        ({'duration': 3, 'confirm_delay': 5}, 'duration'),
        ({'confirm_delay': -1}, 'confirm_delay'),
    ])
    def test_bad_lease_arguments_fail_before_any_request(self, run, waits, extra, message):
        arm = FakeArm()
        result = run(maintenance_lease, lease_args(**extra), arm)
        assert result['failed'] is True and message in result['msg']
        assert arm.requests == []

    def test_renew_records_suspended_repairs_for_a_run_that_takes_over(self, run, waits):
        arm = (FakeArm().on('GET', TAGS, body=tags_body({leases.LEASE_TAG: live('run-a')}), times=1)
               .on('PATCH', TAGS, body=written).on('GET', TAGS, body=written))
        result = run(maintenance_lease, lease_args(action='renew', repairs_suspended=True), arm)
        assert result['outcome'] == 'renewed' and result['lease']['repairs_suspended'] is True
        assert arm.requests[1]['body']['properties']['tags'][leases.LEASE_TAG].endswith(';repairs=suspended')
