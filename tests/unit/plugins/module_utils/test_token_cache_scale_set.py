# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scale set's GET kept in the run's folder: RunCache.scale_set / keep_scale_set, and perform_maintenance reading it
from there (the real module over the fake transport) while every other read goes to ARM."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import pytest
import stat
import time
from ...utils.fake_arm import FakeArm, run_module_main, scale_set_body
from .test_token_cache import private_dir

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import token_cache as run_cache

VMSS_ID = '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web'
BODY = {'id': VMSS_ID, 'properties': {'orchestrationMode': 'Uniform'}, 'sku': {'capacity': 3}}


def test_a_kept_scale_set_serves_while_fresh_and_is_private(tmp_path):
    folder = private_dir(tmp_path)
    warnings = []
    cache = run_cache.RunCache(folder, warnings.append)
    assert cache.scale_set(VMSS_ID, 120) is None
    cache.keep_scale_set(VMSS_ID, BODY)
    assert cache.scale_set(VMSS_ID, 120) == BODY
    assert cache.scale_set(VMSS_ID.upper(), 120) == BODY, 'ARM ids ignore case'
    assert cache.scale_set(VMSS_ID.replace('/web', '/other'), 120) is None
    assert cache.scale_set(VMSS_ID, 0) is None, 'max_age 0: always read from ARM'
    (path,) = [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith('scale_set.')]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert warnings == []


def test_a_kept_scale_set_older_than_max_age_or_from_the_future_is_not_used(tmp_path):
    folder = private_dir(tmp_path)
    cache = run_cache.RunCache(folder, [].append)
    cache.keep_scale_set(VMSS_ID, BODY)
    (path,) = [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith('scale_set.')]
    for read_at in (time.time() - 3600, time.time() + 3600, 'yesterday'):
        with open(path, 'w') as handle:
            json.dump(dict(read_at=read_at, scale_set=BODY), handle)
        assert cache.scale_set(VMSS_ID, 120) is None


def test_a_kept_scale_set_readable_by_others_is_ignored_with_a_warning(tmp_path):
    folder = private_dir(tmp_path)
    warnings = []
    cache = run_cache.RunCache(folder, warnings.append)
    cache.keep_scale_set(VMSS_ID, BODY)
    (path,) = [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith('scale_set.')]
    os.chmod(path, 0o644)
    assert cache.scale_set(VMSS_ID, 120) is None
    cache.keep_scale_set(VMSS_ID, BODY)  # not overwritten either
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert len(warnings) == 2 and all('mode 0644' in w for w in warnings)


def test_an_unusable_folder_keeps_nothing(tmp_path):
    folder = private_dir(tmp_path, 'open', 0o755)
    cache = run_cache.RunCache(folder, [].append)
    cache.keep_scale_set(VMSS_ID, BODY)
    assert os.listdir(folder) == [] and cache.scale_set(VMSS_ID, 120) is None


# -- the modules ---------------------------------------------------------------------------------------------
SUB = '00000000-0000-0000-0000-0000000000aa'
VMSS = '/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB
AUTH = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant='tenant-1')
VM = {'instanceId': '2', 'name': 'vmss-web_2', 'properties': {'instanceView': {
    'statuses': [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/running'}],
    'maintenanceRedeployStatus': {'isCustomerInitiatedMaintenanceAllowed': False,
                                  'lastOperationResultCode': 'MaintenanceCompleted'}}}}


@pytest.mark.parametrize('module_name', ['instance_view_info', 'perform_maintenance'])
def test_perform_maintenance_reads_the_scale_set_another_call_kept_and_the_reads_before_it_do_not(
        tmp_path, monkeypatch, capsys, module_name):
    from ansible_collections.azure_vmss.maintenance.plugins import modules
    import importlib
    folder = private_dir(tmp_path)
    arm = FakeArm()
    arm.on('GET', VMSS + '/virtualMachines/2', body=VM)
    arm.on('GET', VMSS, body=scale_set_body(VMSS))
    args = dict(AUTH, resource_group='rg-web', name='vmss-web', instance_ids=['2'], token_cache_dir=folder)
    # the fleet read before a batch: always from ARM, and kept
    first = run_module_main(monkeypatch, capsys, importlib.import_module(modules.__name__ + '.instance_view_info'),
                            args, arm)
    assert not first.get('failed') and [r['path'] for r in arm.requests].count(VMSS) == 1
    module = importlib.import_module(modules.__name__ + '.' + module_name)
    second = run_module_main(monkeypatch, capsys, module, args, arm)
    assert not second.get('failed'), second.get('msg')
    assert second['orchestration_mode'] == 'Uniform'
    expected = 1 if module_name == 'perform_maintenance' else 2
    assert [r['path'] for r in arm.requests].count(VMSS) == expected
