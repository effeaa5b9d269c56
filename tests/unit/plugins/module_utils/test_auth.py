# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credential resolution matrix: every source, both environment name sets, precedence, gaps."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import auth
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.clouds import Cloud, KNOWN_CLOUDS
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError

NO_PARAMS = dict(auth_source='auto', subscription_id=None, client_id=None, secret=None, tenant=None,
                 certificate_path=None, certificate_password=None, ad_user=None, password=None, profile=None,
                 cloud_environment=None)

AWX_ENV = {'AZURE_SUBSCRIPTION_ID': 'sub-awx', 'AZURE_CLIENT_ID': 'app-awx', 'AZURE_SECRET': 's3cret-awx',
           'AZURE_TENANT': 'tenant-awx'}
IDENTITY_ENV = {'AZURE_SUBSCRIPTION_ID': 'sub-id', 'AZURE_CLIENT_ID': 'app-id', 'AZURE_CLIENT_SECRET': 's3cret-id',
                'AZURE_TENANT_ID': 'tenant-id'}


def params(**kw):
    merged = dict(NO_PARAMS)
    merged.update(kw)
    return merged


def no_az(_name):
    return None


def has_az(_name):
    return '/usr/bin/az'


@pytest.fixture
def config_dir(tmp_path):
    return tmp_path


def write_credentials(folder, text):
    path = folder / 'credentials'
    path.write_text(text)
    return {'AZURE_CONFIG_DIR': str(folder)}


def test_parameters_win_over_environment(config_dir):
    env = dict(AWX_ENV, AZURE_CONFIG_DIR=str(config_dir))
    plan = auth.resolve(params(client_id='app-p', secret='s3cret-p', tenant='tenant-p', subscription_id='sub-p'), env, no_az)
    assert plan.source == 'parameters'
    assert plan.kind == 'service_principal_secret'
    assert plan.fields == {'client_id': 'app-p', 'secret': 's3cret-p', 'tenant': 'tenant-p'}
    assert plan.subscription_id == 'sub-p'
    assert plan.secrets == ('s3cret-p',)
    assert 's3cret' not in plan.description


def test_awx_environment_names(config_dir):
    plan = auth.resolve(params(), dict(AWX_ENV, AZURE_CONFIG_DIR=str(config_dir)), no_az)
    assert (plan.source, plan.kind, plan.subscription_id) == ('environment', 'service_principal_secret', 'sub-awx')
    assert plan.fields == {'client_id': 'app-awx', 'secret': 's3cret-awx', 'tenant': 'tenant-awx'}
    assert 'AZURE_SECRET' in plan.description and 's3cret' not in plan.description


def test_azure_identity_environment_names(config_dir):
    plan = auth.resolve(params(), dict(IDENTITY_ENV, AZURE_CONFIG_DIR=str(config_dir)), no_az)
    assert plan.fields == {'client_id': 'app-id', 'secret': 's3cret-id', 'tenant': 'tenant-id'}
    assert plan.subscription_id == 'sub-id'


def test_awx_name_wins_when_both_sets_are_present(config_dir):
    env = dict(IDENTITY_ENV)
    env.update(AWX_ENV)
    env['AZURE_CONFIG_DIR'] = str(config_dir)
    assert auth.resolve(params(), env, no_az).fields['secret'] == 's3cret-awx'


def test_awx_user_password(config_dir):
    env = {'AZURE_AD_USER': 'ops@example.com', 'AZURE_PASSWORD': 'pw-1234', 'AZURE_SUBSCRIPTION_ID': 's',
           'AZURE_CONFIG_DIR': str(config_dir)}
    plan = auth.resolve(params(), env, no_az)
    assert plan.kind == 'user_password'
    assert plan.secrets == ('pw-1234',)


def test_certificate_from_azure_identity_env(config_dir):
    env = {'AZURE_CLIENT_ID': 'app', 'AZURE_TENANT_ID': 't', 'AZURE_CLIENT_CERTIFICATE_PATH': '/c.pem',
           'AZURE_CLIENT_CERTIFICATE_PASSWORD': 'certpw', 'AZURE_CONFIG_DIR': str(config_dir)}
    plan = auth.resolve(params(), env, no_az)
    assert plan.kind == 'service_principal_certificate'
    assert plan.fields['certificate_path'] == '/c.pem'
    assert plan.secrets == ('certpw',)


def test_credential_file_default_profile(config_dir):
    env = write_credentials(config_dir, '[default]\nsubscription_id=sub-f\nclient_id=app-f\nsecret=s3cret-f\ntenant=t-f\n')
    plan = auth.resolve(params(), env, has_az)
    assert (plan.source, plan.kind, plan.subscription_id) == ('credential_file', 'service_principal_secret', 'sub-f')
    assert '[default]' in plan.description


def test_credential_file_named_profile_from_param_and_env(config_dir):
    env = write_credentials(config_dir, '[default]\nclient_id=a\nsecret=b\ntenant=c\n[prod]\nclient_id=p\nsecret=q\n'
                                        'tenant=r\nsubscription_id=sub-prod\ncloud_environment=AzureChinaCloud\n')
    plan = auth.resolve(params(profile='prod'), env, no_az)
    assert plan.fields['client_id'] == 'p' and plan.subscription_id == 'sub-prod'
    assert plan.cloud_environment == 'AzureChinaCloud'
    plan = auth.resolve(params(), dict(env, AZURE_PROFILE='prod'), no_az)
    assert plan.fields['client_id'] == 'p'


def test_missing_profile_names_the_profiles(config_dir):
    env = write_credentials(config_dir, '[default]\nclient_id=a\nsecret=b\ntenant=c\n')
    with pytest.raises(AzureVmssError) as err:
        auth.resolve(params(profile='nope'), env, no_az)
    assert '[nope]' in err.value.msg and 'default' in err.value.msg


def test_auth_source_credential_file_without_file(config_dir):
    with pytest.raises(AzureVmssError) as err:
        auth.resolve(params(auth_source='credential_file'), {'AZURE_CONFIG_DIR': str(config_dir)}, no_az)
    assert 'does not exist' in err.value.msg and 'AZURE_CONFIG_DIR' in err.value.msg


def test_environment_beats_credential_file_but_file_fills_subscription(config_dir):
    env = write_credentials(config_dir, '[default]\nsubscription_id=sub-f\nclient_id=a\nsecret=b\ntenant=c\n')
    env.update({'AZURE_CLIENT_ID': 'app', 'AZURE_SECRET': 'sec1', 'AZURE_TENANT': 't'})
    plan = auth.resolve(params(), env, no_az)
    assert plan.source == 'environment' and plan.subscription_id == 'sub-f'


def test_explicit_env_source_ignores_parameters(config_dir):
    env = dict(AWX_ENV, AZURE_CONFIG_DIR=str(config_dir))
    plan = auth.resolve(params(auth_source='env', client_id='p', secret='q', tenant='r'), env, no_az)
    assert plan.fields['client_id'] == 'app-awx'


def test_explicit_env_source_without_env(config_dir):
    with pytest.raises(AzureVmssError) as err:
        auth.resolve(params(auth_source='env'), {'AZURE_CONFIG_DIR': str(config_dir)}, no_az)
    assert 'AZURE_CLIENT_ID' in err.value.msg


def test_falls_back_to_cli_then_msi(config_dir):
    env = {'AZURE_CONFIG_DIR': str(config_dir)}
    assert auth.resolve(params(), env, has_az).kind == 'cli'
    assert auth.resolve(params(), env, no_az).kind == 'msi'


def test_msi_takes_user_assigned_client_id(config_dir):
    plan = auth.resolve(params(auth_source='msi', client_id='uami'), {'AZURE_CONFIG_DIR': str(config_dir)}, no_az)
    assert plan.kind == 'msi' and plan.fields == {'client_id': 'uami'}


@pytest.mark.parametrize('given, missing', [
    (dict(client_id='a', tenant='t'), 'secret'),
    (dict(client_id='a', secret='s'), 'tenant'),
    (dict(secret='s', tenant='t'), 'client_id'),
    (dict(certificate_path='/c', tenant='t'), 'client_id'),
    (dict(ad_user='u'), 'password'),
    (dict(password='p'), 'ad_user'),
])
def test_incomplete_parameters_name_what_is_missing(config_dir, given, missing):
    with pytest.raises(AzureVmssError) as err:
        auth.resolve(params(**given), {'AZURE_CONFIG_DIR': str(config_dir)}, no_az)
    assert missing in err.value.msg
    assert 'module parameters' in err.value.msg


def test_tenant_parameter_completes_env_credentials(config_dir):
    env = {'AZURE_CLIENT_ID': 'app', 'AZURE_SECRET': 'sec1', 'AZURE_CONFIG_DIR': str(config_dir)}
    assert auth.resolve(params(tenant='t-param'), env, no_az).fields['tenant'] == 't-param'


def test_cli_subscription():
    assert auth.cli_subscription(lambda args: (0, 'sub-cli\n', '')) == 'sub-cli'
    with pytest.raises(AzureVmssError) as err:
        auth.cli_subscription(lambda args: (1, '', 'Please run az login'))
    assert 'az login' in err.value.msg


def test_build_credential_kinds(tmp_path):
    pytest.importorskip('azure.identity')
    from azure import identity
    public = KNOWN_CLOUDS['azurecloud']
    private = Cloud('https://arm.local', 'https://arm.local', 'https://login.local', 'https://arm.local/.default', False)
    plan = auth.AuthPlan('service_principal_secret', 'parameters', 'module parameters', 's', None,
                         {'client_id': 'a', 'secret': 'b', 'tenant': 't'}, ('b',))
    assert isinstance(auth.build_credential(plan, public), identity.ClientSecretCredential)
    assert isinstance(auth.build_credential(plan, private), identity.ClientSecretCredential)
    plan = plan._replace(kind='cli', fields={})
    assert isinstance(auth.build_credential(plan, public), identity.AzureCliCredential)
    plan = plan._replace(kind='msi')
    assert isinstance(auth.build_credential(plan, public), identity.ManagedIdentityCredential)
    plan = plan._replace(kind='user_password', fields={'ad_user': 'u', 'password': 'p'})
    assert isinstance(auth.build_credential(plan, public), identity.UsernamePasswordCredential)


def test_config_dir_default(monkeypatch):
    assert auth.config_dir({}) == os.path.join(os.path.expanduser('~'), '.azure')
    assert auth.credential_file_path({'AZURE_CONFIG_DIR': '/x'}) == os.path.join('/x', 'credentials')


def test_unreadable_certificate_is_a_clear_error_without_the_password(tmp_path):
    pytest.importorskip('azure.identity')
    cert = tmp_path / 'not-a-cert.pem'
    cert.write_text('-----BEGIN NOTHING-----\n')
    plan = auth.AuthPlan('service_principal_certificate', 'parameters', 'module parameters', 's', None,
                         {'client_id': 'a', 'tenant': 't', 'certificate_path': str(cert),
                          'certificate_password': 'cert-pw-1234'}, ('cert-pw-1234',))
    with pytest.raises(AzureVmssError) as err:
        auth.build_credential(plan, KNOWN_CLOUDS['azurecloud'])
    assert err.value.msg.startswith('certificate_path %s from module parameters could not be loaded' % cert)
    assert 'certificate_password' in err.value.msg
    assert 'cert-pw-1234' not in err.value.msg
