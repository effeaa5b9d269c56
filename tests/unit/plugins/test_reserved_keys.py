# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No module of the collection returns (or documents) a top-level result key that Ansible reserves.

Ansible reads some result keys itself: a truthy ``skipped`` shows the task as SKIPPED, ``failed`` or a
non-zero ``rc`` fails it, ``results`` is taken for a loop's results, ``ansible_facts`` become host facts,
``add_host``/``add_group`` change the inventory, ``attempts``/``retries`` are overwritten by ``until``, and so
on. Two checks, both over every file in plugins/modules/, so modules added later are covered too:

- RETURN: the documented top-level keys (parsed from the source, without importing the module).
- main(): each module run over a fake ARM (real AnsibleModule, our client and the real SDK, only the HTTP
  transport and the credential faked), in a success and a failure case; the keys it actually returned.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import glob
import importlib
import json
import os
import pytest
import time
import yaml
from types import SimpleNamespace

from ansible.module_utils import basic

MODULES_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'plugins', 'modules')
MODULE_FILES = sorted(path for path in glob.glob(os.path.join(MODULES_DIR, '*.py'))
                      if not os.path.basename(path).startswith('_'))
MODULE_NAMES = [os.path.basename(path)[:-3] for path in MODULE_FILES]

# Never a top-level key of a module result.
RESERVED = frozenset([
    'skipped', 'failed', 'results', 'ansible_facts', 'invocation', 'warnings', 'deprecations', 'exception',
    'unreachable', 'rc', 'attempts', 'retries', 'failed_when_result', 'changed_when_result', 'add_host',
    'add_group', 'diff', 'ansible_stats', 'item', 'ansible_loop_var', 'ansible_index_var',
])
# Keys AnsibleModule itself adds to what a module passes: 'invocation' (always before ansible-core 2.21,
# on request since), 'failed' from fail_json.
ADDED_BY_ANSIBLE = frozenset(['invocation', 'failed'])


def reserved_problems(keys, failed=False):
    problems = []
    for key in keys:
        if key in RESERVED or key.startswith('_ansible_') or key.startswith('ansible_'):
            problems.append('%s is reserved by Ansible' % key)
        elif key == 'msg' and not failed:
            problems.append('msg is for failures (Ansible shows it as the task message)')
    return problems


def module_source(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def documented_return(path):
    """The RETURN block of a module file as data, read with ast (the module is not imported)."""
    tree = ast.parse(module_source(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'RETURN' for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or {}
    return None


def test_there_are_modules_to_check():
    assert 'perform_maintenance' in MODULE_NAMES and 'rolling_upgrade_info' in MODULE_NAMES


@pytest.mark.parametrize('path', MODULE_FILES, ids=MODULE_NAMES)
def test_documented_return_keys_are_not_reserved(path):
    returned = documented_return(path)
    assert returned is not None, 'module has no RETURN'
    assert isinstance(returned, dict), 'RETURN must be a mapping of key -> description'
    assert reserved_problems(key for key in returned if key != 'changed') == []
    if 'changed' in returned:
        assert returned['changed'].get('type') == 'bool', 'changed is only ever the bool Ansible means'


def test_the_check_itself_catches_reserved_keys():
    assert reserved_problems(['skipped', 'status', 'ansible_facts', '_ansible_no_log', 'ansible_host', 'rc'])
    assert reserved_problems(['msg']) and not reserved_problems(['msg'], failed=True)
    assert not reserved_problems(['skipped_instances', 'instance_ids', 'status', 'changed'])


# -- running main() ---------------------------------------------------------------------------------

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import auth
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import client as client_module
from ..utils.fake_arm import FakeArm, FakeCredential, RM  # noqa: E402

SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
BASE_ARGS = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1',
                 resource_group='rg-web', name='vmss-web')
# Options a module needs beyond BASE_ARGS to get past argument validation. A module not listed runs
# with BASE_ARGS only: if that fails validation, its failure result is still checked.
EXTRA_ARGS = {
    'perform_maintenance': dict(all_instances=True),
    'orchestration_service': dict(state='suspended'),
    # A confirm_delay far above a loaded machine's read-and-write time (0.3 s was seen against 0.2 s); the
    # run fixture records the module's waits instead of sleeping them.
    'maintenance_lease': dict(action='acquire', run_id='run-1', confirm_delay=60),
}
OP_URL = RM + '/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/op-1?api-version=2026-04-01' % SUB
FAST = {'retry-after-ms': '10'}


def vm_body(instance_id, allowed):
    view = {'platformUpdateDomain': 0, 'platformFaultDomain': 0,
            'statuses': [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/running'}],
            'vmHealth': {'status': {'code': 'HealthState/healthy'}},
            'maintenanceRedeployStatus': {'isCustomerInitiatedMaintenanceAllowed': allowed,
                                          'lastOperationResultCode': 'None' if allowed else 'RetryLater'}}
    return {'instanceId': str(instance_id), 'name': 'vmss-web_%s' % instance_id, 'zones': ['1'],
            'properties': {'latestModelApplied': True, 'instanceView': view}}


def tags_as_written(requests):
    patches = [r for r in requests if r['method'] == 'PATCH']
    tags = patches[-1]['body']['properties']['tags'] if patches else {}
    return {'id': VMSS + '/providers/Microsoft.Resources/tags/default', 'properties': {'tags': tags}}


def repairs_as_set(requests):
    posts = [r for r in requests if r['method'] == 'POST' and r['path'].endswith('/setOrchestrationServiceState')]
    state = 'Suspended' if posts and posts[-1]['body']['action'] == 'Suspend' else 'Running'
    return {'virtualMachine': {'statusesSummary': []},
            'orchestrationServices': [{'serviceName': 'AutomaticRepairs', 'serviceState': state}]}


def working_arm():
    """Plausible answers for every route the collection's modules use."""
    vms = [vm_body(0, True), vm_body(1, False)]
    arm = FakeArm()
    for body in vms:
        arm.on('GET', VMSS + '/virtualMachines/%s' % body['instanceId'], body=body)
        arm.on('GET', VMSS + '/virtualMachines/%s/instanceView' % body['instanceId'],
               body=body['properties']['instanceView'])
    arm.on('GET', VMSS + '/virtualMachines', body={'value': vms})
    arm.on('GET', '/rollingUpgrades/latest', body={
        'type': 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades', 'location': 'westeurope',
        'properties': {'runningStatus': {'code': 'Completed'}, 'progress': {'successfulInstanceCount': 2}}})
    arm.on('GET', '/osUpgradeHistory', body={'value': [{'properties': {
        'runningStatus': {'code': 'Completed', 'startTime': '2026-11-01T00:00:00Z'},
        'progress': {'successfulInstanceCount': 2}, 'startedBy': 'User',
        'targetImageReference': {'version': '22.04.202611010'}}}]})
    arm.on('GET', VMSS + '/instanceView', body=repairs_as_set)
    arm.on('POST', VMSS + '/setOrchestrationServiceState', status=202, headers=dict(FAST, **{'Azure-AsyncOperation': OP_URL}))
    arm.on('GET', '/providers/Microsoft.Resources/tags/default', body=tags_as_written)
    arm.on('PATCH', '/providers/Microsoft.Resources/tags/default', body=tags_as_written)
    arm.on('GET', '/providers/Microsoft.AlertsManagement/alerts', body={'value': []})
    arm.on('GET', VMSS, body={'id': VMSS, 'name': 'vmss-web', 'location': 'westeurope', 'properties': {}})
    headers = {'Azure-AsyncOperation': OP_URL}
    headers.update(FAST)
    arm.on('POST', VMSS + '/performMaintenance', status=202, headers=headers)
    arm.on('GET', '/operations/op-1', body={'status': 'Succeeded', 'name': 'op-1'}, headers=FAST)
    return arm


def failing_arm():
    """Every request answers 404 ResourceNotFound."""
    arm = FakeArm()
    body = {'error': {'code': 'ResourceNotFound', 'message': "The Resource 'Microsoft.Compute/virtualMachineScaleSets/"
                                                             "vmss-web' under resource group 'rg-web' was not found."}}
    for method in ('GET', 'POST', 'PATCH'):
        arm.on(method, '', status=404, body=body)
    return arm


@pytest.fixture
def run(monkeypatch, capsys):
    pytest.importorskip('azure.mgmt.compute')  # the RETURN checks above run without the SDK

    def _run(name, arm, check_mode=False):
        from azure.core.pipeline.transport import RequestsTransport

        class FakeTransportClient(client_module.ComputeClient):
            def __init__(self, *a, **kw):
                kw['transport'] = RequestsTransport(session=arm.session(), session_owner=False)
                kw['retry_backoff_factor'] = 0
                kw['retry_total'] = 0
                super(FakeTransportClient, self).__init__(*a, **kw)

        monkeypatch.setattr(client_module, 'ComputeClient', FakeTransportClient)
        monkeypatch.setattr(auth, 'build_credential', lambda plan, cloud, **kwargs: FakeCredential())
        module_args = dict(BASE_ARGS)
        module_args.update(EXTRA_ARGS.get(name, {}))
        if check_mode:
            module_args['_ansible_check_mode'] = True
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': module_args}).encode('utf-8'))
        if hasattr(basic, '_ANSIBLE_PROFILE'):
            monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy')
        module = importlib.import_module('ansible_collections.azure_vmss.maintenance.plugins.modules.%s' % name)
        if name == 'maintenance_lease':
            # Its confirm_delay wait is recorded, not slept (see EXTRA_ARGS); its clock stays the real one.
            monkeypatch.setattr(module, 'time', SimpleNamespace(time=time.time, sleep=lambda seconds: None))
        with pytest.raises(SystemExit):
            module.main()
        return json.loads(capsys.readouterr().out)

    return _run


def check_result(result):
    failed = result.get('failed', False)
    assert failed in (True, False)
    assert isinstance(result.get('changed', False), bool), 'changed must be a bool'
    own = [key for key in result if key not in ADDED_BY_ANSIBLE]
    assert reserved_problems(own, failed=failed) == [], result.get('msg')
    if failed:
        assert result.get('msg'), 'a failure says why'


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check_mode'])
@pytest.mark.parametrize('name', MODULE_NAMES)
def test_returned_keys_are_not_reserved(run, name, check_mode):
    result = run(name, working_arm(), check_mode=check_mode)
    check_result(result)
    if name in EXTRA_ARGS or name.endswith('_info'):
        assert not result.get('failed'), result.get('msg')


@pytest.mark.parametrize('name', MODULE_NAMES)
def test_failure_keys_are_not_reserved(run, name):
    result = run(name, failing_arm())
    check_result(result)
    assert result.get('failed') is True
