# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scale_sets inventory plugin over the fake transport: the real plugin, Ansible's inventory and
cache machinery, our client and azure-mgmt-compute; canned ARM answers below."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleOptionsError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import auth
from ansible_collections.azure_vmss.maintenance.plugins.plugin_utils import inventory as inv
from ansible_collections.azure_vmss.maintenance.tests.unit.utils.fake_arm import FakeCredential
from ansible_collections.azure_vmss.maintenance.tests.unit.utils.sdk_race import replay

SUB1 = '22222222-2222-4222-8222-222222222222'
SUB2 = '33333333-3333-4333-8333-333333333333'
LIST = '/providers/Microsoft.Compute/virtualMachineScaleSets'


def scale_set(sub, rg, name, location='westeurope', zones=None, tags=None, capacity=3, mode='Rolling'):
    body = {'id': '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s'
                  % (sub, rg, name),
            'name': name, 'type': 'Microsoft.Compute/virtualMachineScaleSets', 'location': location,
            'sku': {'name': 'Standard_D2s_v5', 'tier': 'Standard', 'capacity': capacity},
            'properties': {'orchestrationMode': 'Uniform', 'upgradePolicy': {'mode': mode}}}
    if zones:
        body['zones'] = zones
    if tags:
        body['tags'] = tags
    return body


def vm(iid, allowed=None, result='None', pre_end='2026-12-20T00:00:00Z'):
    view = {'statuses': [{'code': 'PowerState/running'}]}
    if allowed is not None:
        view['maintenanceRedeployStatus'] = {
            'isCustomerInitiatedMaintenanceAllowed': allowed, 'preMaintenanceWindowStartTime': '2026-11-01T00:00:00Z',
            'preMaintenanceWindowEndTime': pre_end, 'lastOperationResultCode': result}
    return {'instanceId': str(iid), 'name': 'x_%s' % iid, 'properties': {'instanceView': view}}


def rate_headers(high_cost_remaining):
    return {'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/HighCostGetVMScaleSet3Min;29,'
                                                 'Microsoft.Compute/HighCostGetVMScaleSet30Min;%d' % high_cost_remaining}


def run(tmp_path, monkeypatch, arm, config, env=None, cache=True):
    """Parse an inventory file with ``config`` (YAML text) through the real plugin; (inventory, plugin)."""
    from azure.core.pipeline.transport import RequestsTransport
    for name in ('AZURE_SUBSCRIPTION_ID', 'AZURE_CLIENT_ID', 'AZURE_SECRET', 'AZURE_TENANT', 'AZURE_CLIENT_SECRET',
                 'AZURE_TENANT_ID', 'AZURE_CLOUD_ENVIRONMENT', 'AZURE_PROFILE'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('AZURE_CONFIG_DIR', str(tmp_path / 'no-azure-config'))
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    seen = {}

    def fake_credential(plan, cloud):
        seen['plan'] = plan
        return FakeCredential()

    monkeypatch.setattr(auth, 'build_credential', fake_credential)
    path = tmp_path / 'fleet.azure_vmss.yml'
    path.write_text(config)
    plugin = inventory_loader.get('azure_vmss.maintenance.scale_sets')
    plugin._client_options = lambda: dict(transport=RequestsTransport(session=arm.session(), session_owner=False),
                                          retry_backoff_factor=0)
    data = InventoryData()
    assert plugin.verify_file(str(path))
    plugin.parse(data, DataLoader(), str(path), cache=cache)
    if plugin.get_option('cache'):
        plugin.update_cache_if_changed()   # what InventoryManager does after a parse
    plugin.seen = seen
    return data, plugin


CREDS = 'client_id: app\nsecret: s3cret-value\ntenant: t\n'


def two_subscriptions(arm):
    arm.on('GET', '/subscriptions/%s%s' % (SUB1, LIST), body={'value': [
        scale_set(SUB1, 'rg-web', 'vmss-web', zones=['1', '2'], tags={'env': 'prod'}),
        scale_set(SUB1, 'rg-api', 'vmss-api', location='northeurope', tags={'env': 'prod'}, mode='Manual')],
        'nextLink': 'https://management.azure.com/subscriptions/%s%s/page2?api-version=2026-04-01' % (SUB1, LIST)})
    arm.on('GET', '/subscriptions/%s%s/page2' % (SUB1, LIST), body={'value': [
        scale_set(SUB1, 'rg-web', 'vmss-batch', tags={'env': 'prod', 'team': 'data'})]})
    arm.on('GET', '/subscriptions/%s%s' % (SUB2, LIST), body={'value': [
        scale_set(SUB2, 'rg-web', 'vmss-web', tags={'env': 'staging'})]})


def test_lists_every_subscription_by_page_with_hostvars_and_groups(tmp_path, monkeypatch, arm):
    two_subscriptions(arm)
    data, plugin = run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS +
                       'subscriptions: [%s, %s]\n' % (SUB1, SUB2))
    assert [r['path'].rsplit('/', 1)[-1] for r in arm.requests] == ['virtualMachineScaleSets', 'page2',
                                                                    'virtualMachineScaleSets']
    assert sorted(data.hosts) == ['vmss-api_rg-api', 'vmss-batch_rg-web', 'vmss-web_rg-web_22222222',
                                  'vmss-web_rg-web_33333333']
    web = data.hosts['vmss-web_rg-web_22222222'].vars
    assert web['azure_subscription_id'] == SUB1 and web['azure_resource_group'] == 'rg-web'
    assert web['azure_scale_set'] == 'vmss-web' and web['azure_zones'] == ['1', '2']
    assert web['azure_capacity'] == 3 and web['azure_upgrade_policy_mode'] == 'Rolling'
    assert data.hosts['vmss-api_rg-api'].vars['azure_upgrade_policy_mode'] == 'Manual'
    assert sorted(h.name for h in data.groups['location_northeurope'].get_hosts()) == ['vmss-api_rg-api']
    assert len(data.groups['subscription_%s' % SUB1.replace('-', '_')].get_hosts()) == 3
    assert 'maintenance_pending' not in data.groups
    assert plugin.requests_sent == 3


@pytest.mark.parametrize('filters, expected', [
    ('resource_groups: [RG-WEB]', ['vmss-batch_rg-web', 'vmss-web_rg-web_22222222', 'vmss-web_rg-web_33333333']),
    ("name_patterns: ['vmss-a*', 'vmss-b*']", ['vmss-api_rg-api', 'vmss-batch_rg-web']),
    ('locations: [NorthEurope]', ['vmss-api_rg-api']),
    ('tags: {env: prod, team: null}', ['vmss-batch_rg-web']),
    ('tags: {env: [staging, dev]}', ['vmss-web_rg-web']),
])
def test_filters(tmp_path, monkeypatch, arm, filters, expected):
    two_subscriptions(arm)
    data, _plugin = run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS +
                        'subscriptions: [%s, %s]\n%s\n' % (SUB1, SUB2, filters))
    assert sorted(data.hosts) == expected


def test_maintenance_status_counts_deadline_and_group(tmp_path, monkeypatch, arm):
    arm.on('GET', '/subscriptions/%s%s' % (SUB1, LIST), body={'value': [
        scale_set(SUB1, 'rg', 'pending'), scale_set(SUB1, 'rg', 'done')]})
    arm.on('GET', '/virtualMachineScaleSets/pending/virtualMachines', headers=rate_headers(900), body={'value': [
        vm(0, True, pre_end='2026-12-20T00:00:00Z'), vm(1, False, 'RetryLater', pre_end='2026-12-08T00:00:00Z'),
        vm(2, False, 'MaintenanceCompleted', pre_end='2026-12-01T00:00:00Z'), vm(3)]})
    arm.on('GET', '/virtualMachineScaleSets/done/virtualMachines', headers=rate_headers(899), body={'value': [
        vm(0, False, 'MaintenanceCompleted'), vm(1)]})
    data, plugin = run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS +
                       'subscription_id: %s\nmaintenance_status: true\n' % SUB1)
    pending = data.hosts['pending_rg'].vars
    assert pending['azure_maintenance_counts'] == dict(eligible=1, already_maintained=1, not_eligible=1, not_in_wave=1)
    assert pending['azure_maintenance_pending'] == 2
    assert pending['azure_maintenance_deadline'] == '2026-12-08T00:00:00Z'   # the completed one's is not a deadline
    done = data.hosts['done_rg'].vars
    assert done['azure_maintenance_pending'] == 0 and done['azure_maintenance_deadline'] is None
    assert [h.name for h in data.groups['maintenance_pending'].get_hosts()] == ['pending_rg']
    vm_lists = [r for r in arm.requests if r['path'].endswith('/virtualMachines')]
    assert len(vm_lists) == 2 and all('expand=instanceView' in r['query'] for r in vm_lists)
    assert plugin.requests_sent == 3


def test_constructed_compose_groups_keyed_groups(tmp_path, monkeypatch, arm):
    two_subscriptions(arm)
    data, _plugin = run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS + (
        'subscriptions: [%s, %s]\n'
        'compose: {batch_percent: "10 if azure_capacity > 2 else 50"}\n'
        'groups: {zoned: "azure_zones | length > 0"}\n'
        'keyed_groups: [{key: azure_tags.env, prefix: env}]\n') % (SUB1, SUB2))
    # ansible-core 2.16 keeps a composed value as the template's text; 2.19 and later give the native value
    assert str(data.hosts['vmss-api_rg-api'].vars['batch_percent']) == '10'
    assert [h.name for h in data.groups['zoned'].get_hosts()] == ['vmss-web_rg-web_22222222']
    assert sorted(h.name for h in data.groups['env_staging'].get_hosts()) == ['vmss-web_rg-web_33333333']
    assert len(data.groups['env_prod'].get_hosts()) == 3


def test_cache_answers_the_second_parse_without_requests(tmp_path, monkeypatch, arm):
    two_subscriptions(arm)
    config = ('plugin: azure_vmss.maintenance.scale_sets\n' + CREDS + 'subscriptions: [%s, %s]\n'
              'cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n') % (
        SUB1, SUB2, tmp_path / 'cache')
    first, _plugin = run(tmp_path, monkeypatch, arm, config)
    sent = len(arm.requests)
    second, _plugin = run(tmp_path, monkeypatch, arm, config)
    assert len(arm.requests) == sent == 3
    assert sorted(second.hosts) == sorted(first.hosts)
    assert second.hosts['vmss-api_rg-api'].vars['azure_location'] == 'northeurope'
    assert 's3cret-value' not in ''.join(p.read_text() for p in (tmp_path / 'cache').iterdir())


def test_credentials_from_the_awx_environment(tmp_path, monkeypatch, arm):
    two_subscriptions(arm)
    data, plugin = run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n',
                       env=dict(AZURE_SUBSCRIPTION_ID=SUB2, AZURE_CLIENT_ID='app', AZURE_SECRET='env-secret-1',
                                AZURE_TENANT='t'))
    assert sorted(data.hosts) == ['vmss-web_rg-web']
    assert plugin.seen['plan'].source == 'environment' and plugin.seen['plan'].fields['secret'] == 'env-secret-1'


def test_errors_name_the_option_and_never_the_secret(tmp_path, monkeypatch, arm):
    # Ansible's option types catch a tags list; filter_problems the rest (a tag value of another type)
    with pytest.raises(AnsibleOptionsError, match="tags"):
        run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS + 'tags: [env]\n')
    with pytest.raises(AnsibleParserError, match='tags must be a mapping'):
        run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS + 'tags: {env: {a: 1}}\n')
    with pytest.raises(AnsibleParserError, match="subscriptions: 'nope'"):
        run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS + 'subscriptions: [nope]\n')
    assert arm.requests == []
    arm.on('GET', '/subscriptions/%s%s' % (SUB1, LIST), status=403, body={'error': {
        'code': 'AuthorizationFailed', 'message': 'The client app with secret s3cret-value may not read.'}})
    with pytest.raises(AnsibleParserError) as caught:
        run(tmp_path, monkeypatch, arm, 'plugin: azure_vmss.maintenance.scale_sets\n' + CREDS +
            'subscription_id: %s\n' % SUB1)
    assert 'AuthorizationFailed' in str(caught.value) and 's3cret-value' not in str(caught.value)


def test_host_names_readable_and_unique():
    records = [dict(azure_scale_set='Web', azure_resource_group='RG', azure_subscription_id=SUB1),
               dict(azure_scale_set='web', azure_resource_group='rg', azure_subscription_id=SUB2),
               dict(azure_scale_set='api', azure_resource_group='rg(1)', azure_subscription_id=SUB1)]
    assert inv.host_names(records) == ['web_rg_22222222', 'web_rg_33333333', 'api_rg-1-']


def test_pace_delay_waits_only_when_the_bucket_runs_low():
    assert inv.pace_delay(None) == 0 and inv.pace_delay(51) == 0
    assert inv.pace_delay(50) == pytest.approx(1 / 6.0)
    assert inv.pace_delay(0) == pytest.approx(51 / 6.0)


def test_vm_lists_on_two_workers_survive_the_sdks_first_use_race():
    # Issue 19's interleaving (sdk_race.py) replayed on maintenance_status_workers=2: two scale sets' paged
    # VM lists at once through the SDK's own pager. Unless the models were set up before the workers
    # started, one worker's page comes back as plain dicts: "'dict' object has no attribute 'as_dict'".
    pytest.importorskip('azure.mgmt.compute')
    report = replay('inventory', ansible_loader=True)
    assert report['error'] is None
    counts = dict(eligible=1, already_maintained=0, not_eligible=0, not_in_wave=0)
    assert report['result'] == [counts, counts]
    assert report['raced'] is False  # both workers built VM models; neither had to set the class up
