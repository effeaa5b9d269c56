# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's token cache: folder and file checks, corrupt or foreign files ignored with a warning, opt-in.

The end-to-end cases run a module's main() with the real azure-identity credential, MSAL,
msal-extensions and azure-mgmt-compute; only the HTTP transport is fake (fake_arm), and Azure AD's
token requests are counted on it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import token_cache as run_cache

TOKEN = 'tok-cached-9d1f2c'  # what the fake Azure AD issues; must never show in output
SUB = '00000000-0000-0000-0000-0000000000aa'
TENANT = '11111111-1111-4111-8111-111111111111'
LOGIN = 'https://login.microsoftonline.com/%s' % TENANT
OPENID = {'token_endpoint': LOGIN + '/oauth2/v2.0/token', 'authorization_endpoint': LOGIN + '/oauth2/v2.0/authorize',
          'issuer': LOGIN + '/v2.0', 'device_authorization_endpoint': LOGIN + '/oauth2/v2.0/devicecode'}
VM = {'instanceId': '0', 'name': 'vmss-web_0', 'location': 'westeurope',
      'properties': {'provisioningState': 'Succeeded', 'instanceView': {
          'statuses': [{'code': 'PowerState/running', 'level': 'Info'}]}}}


def warned(result):
    """The result's warnings as one text (ansible-core 2.19 gives them structured, 2.16 as strings)."""
    return json.dumps(result.get('warnings') or [])


def private_dir(tmp_path, name='run', mode=0o700):
    path = tmp_path / name
    path.mkdir()
    os.chmod(str(path), mode)
    return str(path)


# -- folder and file checks ------------------------------------------------------------------------
def test_only_a_private_folder_of_this_user_passes(tmp_path):
    assert run_cache.dir_problem(private_dir(tmp_path)) is None
    assert 'does not exist' in run_cache.dir_problem(str(tmp_path / 'missing'))
    assert 'mode 0755' in run_cache.dir_problem(private_dir(tmp_path, 'open', 0o755))
    assert 'mode 0750' in run_cache.dir_problem(private_dir(tmp_path, 'group', 0o750))
    other_user = os.geteuid() + 1
    assert 'belongs to uid' in run_cache.dir_problem(private_dir(tmp_path, 'theirs'), euid=other_user)
    os.symlink(private_dir(tmp_path, 'real'), str(tmp_path / 'link'))
    assert 'symbolic link' in run_cache.dir_problem(str(tmp_path / 'link'))
    (tmp_path / 'plain').write_text('x')
    assert 'not a folder' in run_cache.dir_problem(str(tmp_path / 'plain'))


def test_only_a_private_regular_file_of_this_user_is_read(tmp_path):
    folder = private_dir(tmp_path)
    path = os.path.join(folder, 'f.json')
    assert run_cache.file_problem(path) is None  # not written yet: fine
    with open(path, 'w') as handle:
        handle.write('{}')
    os.chmod(path, 0o600)
    assert run_cache.file_problem(path) is None
    assert 'belongs to uid' in run_cache.file_problem(path, euid=os.geteuid() + 1)
    os.chmod(path, 0o644)
    assert 'mode 0644' in run_cache.file_problem(path)
    os.symlink(path, path + '.link')
    assert 'symbolic link' in run_cache.file_problem(path + '.link')
    os.mkdir(path + '.dir')
    assert 'not a regular file' in run_cache.file_problem(path + '.dir')


def test_an_unusable_folder_warns_once_and_caches_nothing(tmp_path):
    folder = private_dir(tmp_path, 'open', 0o755)
    warnings, fetched = [], []
    cache = run_cache.RunCache(folder, warnings.append)
    assert cache.token_caches() == {}
    for _attempt in range(2):
        assert cache.cloud('https://arm.test', lambda url: fetched.append(url) or {'ok': 1}, dict) == {'ok': 1}
    assert fetched == ['https://arm.test'] * 2
    assert os.listdir(folder) == []
    assert len(warnings) == 1 and folder in warnings[0] and 'mode 0755' in warnings[0]


@pytest.mark.parametrize('content', ['{"AccessToken": {"k": {"secret": "%s"' % TOKEN, '[1, 2]', '\x00\x01'],
                         ids=['cut short', 'not an object', 'binary'])
def test_a_corrupt_token_cache_is_ignored_without_showing_it(tmp_path, monkeypatch, content):
    monkeypatch.setattr(run_cache, 'READ_RETRY_SECONDS', 0)
    folder = private_dir(tmp_path)
    path = os.path.join(folder, run_cache.TOKEN_FILES['_cache'])
    with open(path, 'w') as handle:
        handle.write(content)
    os.chmod(path, 0o600)
    warnings = []
    assert run_cache.RunCache(folder, warnings.append).token_caches() == {}
    assert len(warnings) == 1
    assert run_cache.TOKEN_FILES['_cache'] in warnings[0] and 'cannot be read' in warnings[0]
    assert TOKEN not in warnings[0]


def test_a_token_cache_readable_by_others_is_ignored(tmp_path):
    folder = private_dir(tmp_path)
    path = os.path.join(folder, run_cache.TOKEN_FILES['_cache'])
    with open(path, 'w') as handle:
        handle.write('{}')
    os.chmod(path, 0o644)
    warnings = []
    assert run_cache.RunCache(folder, warnings.append).token_caches() == {}
    assert 'mode 0644' in warnings[0]


def test_cloud_metadata_is_fetched_once_per_run_and_kept_private(tmp_path):
    folder = private_dir(tmp_path)
    fetched, warnings = [], []

    def fetch(url):
        fetched.append(url)
        return [{'resourceManager': url}]

    for _call in range(3):  # three module calls
        cache = run_cache.RunCache(folder, warnings.append)
        assert cache.cloud('https://arm.test', fetch, lambda data: data[0]['resourceManager']) == 'https://arm.test'
    assert fetched == ['https://arm.test'] and warnings == []
    (name,) = os.listdir(folder)
    assert os.stat(os.path.join(folder, name)).st_mode & 0o777 == 0o600


def test_a_cached_cloud_answer_that_does_not_parse_is_asked_again(tmp_path):
    folder = private_dir(tmp_path)
    cache = run_cache.RunCache(folder, [].append)
    cache.cloud('https://arm.test', lambda url: {'old': True}, lambda data: data)
    warnings, fetched = [], []

    def parse(data):
        if 'new' not in data:
            raise ValueError('not a cloud')
        return data

    cache = run_cache.RunCache(folder, warnings.append)
    assert cache.cloud('https://arm.test', lambda url: fetched.append(url) or {'new': True}, parse) == {'new': True}
    assert fetched == ['https://arm.test'] and 'not a cloud description' in warnings[0]


# -- end to end: the real credential over a fake transport -------------------------------------------
@pytest.fixture
def module_run(monkeypatch, capsys, tmp_path):
    """run(**args) -> the result of instance_view_info's main() for instance 0; .arm counts the requests."""
    pytest.importorskip('azure.identity')
    pytest.importorskip('azure.mgmt.compute')
    from ansible.module_utils import basic
    from azure.core.pipeline.transport import RequestsTransport
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import client as client_module
    from ansible_collections.azure_vmss.maintenance.plugins.modules import instance_view_info
    from ...utils.fake_arm import FakeArm

    arm = FakeArm()
    arm.on('GET', '/%s/v2.0/.well-known/openid-configuration' % TENANT, body=OPENID)
    arm.on('POST', '/%s/oauth2/v2.0/token' % TENANT,
           body={'access_token': TOKEN, 'expires_in': 3600, 'token_type': 'Bearer'})
    # every instance read starts with the scale set's GET (its orchestration mode)
    arm.scale_set('/subscriptions/%s/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web' % SUB)
    arm.on('GET', '/virtualMachineScaleSets/vmss-web/virtualMachines/0', body=VM)
    monkeypatch.setattr(client_module, 'new_transport',
                        lambda **kw: RequestsTransport(session=arm.session(), session_owner=False))
    # azure-identity's own default cache location is under HOME: it must stay empty
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.delenv(run_cache.ENV_NAME, raising=False)
    for name in ('AZURE_CLIENT_ID', 'AZURE_SECRET', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT', 'AZURE_TENANT_ID'):
        monkeypatch.delenv(name, raising=False)

    def _run(**extra):
        args = dict(subscription_id=SUB, client_id='app', secret='s3cret-value', tenant=TENANT,
                    resource_group='rg-web', name='vmss-web', instance_ids=['0'])
        args.update(extra)
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8'))
        if hasattr(basic, '_ANSIBLE_PROFILE'):
            monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy')
        with pytest.raises(SystemExit):
            instance_view_info.main()
        out = capsys.readouterr().out
        assert TOKEN not in out
        result = json.loads(out)
        assert not result.get('failed'), result.get('msg')
        return result

    _run.arm = arm
    _run.token_requests = lambda: len([r for r in arm.requests if r['method'] == 'POST'])
    return _run


def test_module_calls_of_a_run_ask_azure_ad_for_one_token(module_run, tmp_path):
    folder = private_dir(tmp_path)
    for _call in range(3):
        result = module_run(token_cache_dir=folder)
        assert result['instances'][0]['instance_id'] == '0'
        assert not result.get('warnings')
    assert module_run.token_requests() == 1
    # every ARM request (the scale set's GET and the VM's, per call) still carried the token, from the cache
    # after the first call
    arm_auth = [r['headers'].get('Authorization') for r in module_run.arm.requests if '/subscriptions/' in r['path']]
    assert arm_auth == ['Bearer ' + TOKEN] * 6
    path = os.path.join(folder, run_cache.TOKEN_FILES['_cache'])
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not os.path.exists(str(tmp_path / 'home' / '.IdentityService'))


def test_the_environment_variable_names_the_folder(module_run, tmp_path, monkeypatch):
    monkeypatch.setenv(run_cache.ENV_NAME, private_dir(tmp_path))
    module_run()
    module_run()
    assert module_run.token_requests() == 1


def test_without_the_option_nothing_is_kept(module_run, tmp_path):
    module_run()
    module_run()
    assert module_run.token_requests() == 2
    assert not os.path.exists(str(tmp_path / 'home'))


def test_an_insecure_folder_is_ignored_with_a_warning_not_a_failure(module_run, tmp_path):
    folder = private_dir(tmp_path, 'open', 0o755)
    first = module_run(token_cache_dir=folder)
    module_run(token_cache_dir=folder)
    assert module_run.token_requests() == 2
    assert os.listdir(folder) == []
    assert 'token_cache_dir' in warned(first) and 'mode 0755' in warned(first)


def test_a_corrupt_cache_is_ignored_with_a_warning_not_a_failure(module_run, tmp_path, monkeypatch):
    monkeypatch.setattr(run_cache, 'READ_RETRY_SECONDS', 0)
    folder = private_dir(tmp_path)
    module_run(token_cache_dir=folder)
    path = os.path.join(folder, run_cache.TOKEN_FILES['_cache'])
    with open(path) as handle:
        cut = handle.read()[:40]
    with open(path, 'w') as handle:
        handle.write(cut)
    result = module_run(token_cache_dir=folder)
    assert module_run.token_requests() == 2
    assert run_cache.TOKEN_FILES['_cache'] in warned(result) and 'cannot be read' in warned(result)


def test_an_old_lock_file_is_ignored_with_a_warning_without_waiting(module_run, tmp_path, caplog):
    import logging
    import time
    folder = private_dir(tmp_path)
    lock = os.path.join(folder, run_cache.TOKEN_FILES['_cache'] + '.lockfile')
    with open(lock, 'w') as handle:
        handle.write('12345 killed')
    old = time.time() - run_cache.STALE_LOCK_SECONDS - 1
    os.utime(lock, (old, old))
    caplog.set_level(logging.DEBUG, logger='msal_extensions')
    result = module_run(token_cache_dir=folder)
    assert 'left by a call that was killed' in warned(result)
    # msal-extensions logs each 0.25 s retry on a lock file it finds (up to 5 s): not one, so no wait.
    # Read from its log, not from a clock, so that a busy machine cannot fail this test.
    assert not [r for r in caplog.records if 'existing lock file' in r.getMessage()]


def test_a_fresh_lock_that_never_goes_does_not_fail_the_call(module_run, tmp_path):
    from msal_extensions import token_cache
    if 'portalocker' in repr(getattr(token_cache, 'CrossPlatLock')) or token_cache.CrossPlatLock.__module__.endswith('cache_lock'):
        pytest.skip('portalocker locks are released with the process: no stale lock file')
    folder = private_dir(tmp_path)
    path = os.path.join(folder, run_cache.TOKEN_FILES['_cache'])
    with open(path + '.lockfile', 'w') as handle:
        handle.write('12345 killed')
    result = module_run(token_cache_dir=folder)  # msal-extensions waits 5 s for the lock, then gives up
    assert result['instances'][0]['instance_id'] == '0'
    assert 'keeps its token in memory' in warned(result)
