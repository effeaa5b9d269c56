# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input, table-driven over every module: each row fails with a message naming the parameter, and
no request is made (the credential is never asked for a token, the fake ARM sees nothing).

The integration target bad_input_refused runs the same kind of table (and the role's variables) against
the simulator; this is the fast version that runs in the units stage.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import pytest
import re

pytest.importorskip('azure.mgmt.compute')

from ansible_collections.azure_vmss.maintenance.plugins.modules import (  # noqa: E402
    alerts_info, instance_view_info, maintenance_lease, orchestration_service, os_upgrade_history_info,
    perform_maintenance, rolling_upgrade_info, scale_set_info)
from ..utils.fake_arm import FakeArm, run_module_main  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
SECRET = 's3cret-value-bad-input'
AUTH = dict(subscription_id=SUB, client_id='app', secret=SECRET, tenant='tenant-1')

MODULES = {
    'rolling_upgrade_info': (rolling_upgrade_info, {}),
    'os_upgrade_history_info': (os_upgrade_history_info, {}),
    'instance_view_info': (instance_view_info, {}),
    'perform_maintenance': (perform_maintenance, {'instance_ids': ['0']}),
    'scale_set_info': (scale_set_info, {}),
    'orchestration_service': (orchestration_service, {'state': 'suspended'}),
    'maintenance_lease': (maintenance_lease, {'action': 'acquire', 'run_id': 'run-1'}),
    'alerts_info': (alerts_info, {}),
}

COMMON = [
    ({'resource_group': ''}, 'resource_group'),
    ({'name': ''}, 'name'),
    ({'resource_group': 'r' * 91}, 'resource_group'),
    ({'name': 'v' * 65}, 'name'),
    ({'resource_group': 'rg/../other'}, 'resource_group'),
    ({'resource_group': 'rg.'}, 'resource_group'),
    ({'name': 'vmss web'}, 'name'),
    ({'name': 'vmss?api-version=1'}, 'name'),
    ({'name': 'vmss/../x'}, 'name'),
    ({'name': 'vmss-'}, 'name'),
    ({'name': ['vmss-web']}, 'name'),
    ({'auth_source': 'bogus'}, 'auth_source'),
    ({'validate_certs': False}, 'validate_certs'),
    ({'cert_validation_mode': 'ignore'}, 'cert_validation_mode'),
    ({'subscription_id': 'not-a-subscription'}, 'subscription_id'),
    ({'subscription_id': SUB + '/resourceGroups/other'}, 'subscription_id'),
    ({'subscription_id': SUB + ' '}, 'subscription_id'),
]
QUERY = [
    ({'query': '[?'}, 'query'),
    ({'query': ''}, 'query'),
    ({'query': 'foo bar'}, 'query'),
]
IDS = [
    # Numbers (Uniform) and VM names (Flexible) pass; what is neither, or repeats, does not.
    ({'instance_ids': ['a b']}, 'instance_ids'),
    ({'instance_ids': ['1', '1']}, 'instance_ids'),
    ({'instance_ids': ['1', ' 1']}, 'instance_ids'),
    ({'instance_ids': ['vm-a', 'VM-A']}, 'instance_ids'),
    ({'instance_ids': []}, 'instance_ids'),
    ({'instance_ids': ['']}, 'instance_ids'),
    ({'instance_ids': ['web/1']}, 'instance_ids'),
    ({'instance_ids': ['1.']}, 'instance_ids'),
    ({'instance_ids': ['_web']}, 'instance_ids'),
    ({'instance_ids': ['w' * 65]}, 'instance_ids'),
    ({'instance_ids': {'0': True}}, 'instance_ids'),
]
SPECIFIC = {
    'rolling_upgrade_info': QUERY + [({'max_items': 1}, 'max_items')],
    'os_upgrade_history_info': QUERY + [({'max_items': 0}, 'max_items'), ({'max_items': -1}, 'max_items'),
                                        ({'max_items': 'all'}, 'max_items'), ({'max_items': 2.5}, 'max_items')],
    'instance_view_info': QUERY + IDS,
    'alerts_info': QUERY + [({'severities': ['Sev5']}, 'severities'), ({'severities': 'High'}, 'severities'),
                            ({'severities': []}, 'severities'), ({'alert_states': ['Closed']}, 'alert_states'),
                            ({'alert_states': []}, 'alert_states'), ({'scope': 'subscription'}, 'scope'),
                            ({'time_range': '2d'}, 'time_range')],
    'perform_maintenance': IDS + [
        ({'wait_timeout': 0}, 'wait_timeout'), ({'wait_timeout': -5}, 'wait_timeout'),
        ({'wait_timeout': 'soon'}, 'wait_timeout'), ({'wait': 'maybe'}, 'wait'),
        ({'skip_ineligible': 'perhaps'}, 'skip_ineligible'), ({'all_instances': 'yes please'}, 'all_instances'),
        ({'all_instances': True}, 'all_instances'), ({'instance_ids': None}, 'all_instances'),
        ({'instance_ids': None, 'all_instances': False}, 'all_instances'), ({'query': 'x'}, 'query')],
    'scale_set_info': QUERY + [({'instance_view': 'maybe'}, 'instance_view')],
    'orchestration_service': [({'state': 'paused'}, 'state'), ({'service_name': 'Repairs'}, 'service_name'),
                              ({'wait_timeout': 0}, 'wait_timeout')],
    'maintenance_lease': [({'action': 'steal'}, 'action'), ({'run_id': None}, 'run_id'), ({'run_id': 'a b'}, 'run_id'),
                          ({'run_id': 'r' * 65}, 'run_id'), ({'owner': 'me;you'}, 'owner'), ({'owner': ''}, 'owner'),
                          ({'break_lease': 'x y'}, 'break_lease'), ({'break_lease': 'x', 'action': 'release'}, 'break_lease'),
                          ({'duration': 5}, 'duration'), ({'confirm_delay': -1}, 'confirm_delay'),
                          ({'duration': 'long'}, 'duration')],
}

CASES = [(module, args, expect) for module in MODULES for args, expect in COMMON + SPECIFIC[module]]


class CountingCredential(object):
    def __init__(self):
        self.calls = 0

    def get_token(self, *scopes, **kwargs):
        self.calls += 1
        raise AssertionError('bad input must fail before a token is asked for')


@pytest.mark.parametrize('module_name,bad,expect', CASES,
                         ids=['%s-%s' % (m, json.dumps(a, sort_keys=True)) for m, a, _e in CASES])
def test_bad_input_fails_before_any_request(monkeypatch, capsys, module_name, bad, expect):
    module, base = MODULES[module_name]
    arm = FakeArm()
    credential = CountingCredential()
    monkeypatch.delenv('AZURE_SUBSCRIPTION_ID', raising=False)
    args = dict(AUTH, resource_group='rg-web', name='vmss-web')
    args.update(base)
    args.update(bad)
    args = dict((k, v) for k, v in args.items() if v is not None)
    result = run_module_main(monkeypatch, capsys, module, args, arm, credential=credential)

    assert result.get('failed') is True, result
    assert re.search(r'(?<![A-Za-z_])%s(?![A-Za-z_])' % re.escape(expect), result['msg']), result['msg']
    assert arm.requests == []
    assert credential.calls == 0
    assert SECRET not in json.dumps(result)
