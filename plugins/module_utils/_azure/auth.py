# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where credentials come from, decided by pure functions; the azure-identity objects built from that.

Order for ``auth_source: auto``: module parameters, environment variables, the credential file, then
the Azure CLI login (when ``az`` is installed) or managed identity. The first source that carries any
credential field supplies all of them; ``subscription_id`` and ``cloud_environment`` are looked up on
their own in the same order, so a job can take its subscription from a parameter and its service
principal from AWX's injected environment.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
from collections import namedtuple

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError

# Environment names, first match wins: AWX/Tower's "Microsoft Azure Resource Manager" credential
# injects the first set; azure-identity's EnvironmentCredential reads the second.
ENV_NAMES = {
    'subscription_id': ('AZURE_SUBSCRIPTION_ID',),
    'client_id': ('AZURE_CLIENT_ID',),
    'secret': ('AZURE_SECRET', 'AZURE_CLIENT_SECRET'),
    'tenant': ('AZURE_TENANT', 'AZURE_TENANT_ID'),
    'certificate_path': ('AZURE_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PATH'),
    'certificate_password': ('AZURE_CERTIFICATE_PASSWORD', 'AZURE_CLIENT_CERTIFICATE_PASSWORD'),
    'ad_user': ('AZURE_AD_USER', 'AZURE_USERNAME'),
    'password': ('AZURE_PASSWORD',),
    'cloud_environment': ('AZURE_CLOUD_ENVIRONMENT',),
    'profile': ('AZURE_PROFILE',),
}

CREDENTIAL_FIELDS = ('client_id', 'secret', 'tenant', 'certificate_path', 'certificate_password', 'ad_user', 'password')
# Fields whose presence means "this source is meant to authenticate" (a lone tenant is not enough).
TRIGGER_FIELDS = ('client_id', 'secret', 'certificate_path', 'ad_user', 'password')
SECRET_FIELDS = ('secret', 'certificate_password', 'password')

# The Azure CLI's public client id: what a user/password login uses when no client_id is given.
AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'

# Only a service principal reads its tokens back silently from a run's cache (token_cache.py): azure-identity's
# user/password credential does so only with an authentication record, the Azure CLI keeps its own cache,
# managed identity asks the local endpoint. Here, not in token_cache.py, so a run without a cache never imports it.
TOKEN_CACHE_KINDS = ('service_principal_secret', 'service_principal_certificate')

# kind: service_principal_secret | service_principal_certificate | user_password | cli | msi
# source: parameters | environment | credential_file | cli | msi ; description: for messages (no secrets).
AuthPlan = namedtuple('AuthPlan', ['kind', 'source', 'description', 'subscription_id', 'cloud_environment',
                                   'fields', 'secrets'])


def config_dir(environ):
    """The Azure CLI's config folder: ``AZURE_CONFIG_DIR`` or ``~/.azure``."""
    return environ.get('AZURE_CONFIG_DIR') or os.path.join(os.path.expanduser('~'), '.azure')


def credential_file_path(environ):
    return os.path.join(config_dir(environ), 'credentials')


def read_credential_file(path, profile):
    """The profile's keys from the INI credential file, None if the file is absent.

    Raises AzureVmssError when the file exists but the profile is not in it or it cannot be parsed.
    """
    if not os.path.isfile(path):
        return None
    from configparser import ConfigParser, Error as ConfigError
    parser = ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except ConfigError as exc:
        raise AzureVmssError('The credential file %s cannot be parsed: %s' % (path, exc.__class__.__name__))
    if not parser.has_section(profile):
        raise AzureVmssError('The credential file %s has no profile [%s] (profiles: %s); set profile to one of them'
                             % (path, profile, ', '.join(parser.sections()) or 'none'))
    return dict(parser.items(profile))


def _from_env(environ):
    values = {}
    for field, names in ENV_NAMES.items():
        for name in names:
            if environ.get(name):
                values[field] = environ[name]
                break
    return values


def _has_credentials(values):
    return any(values.get(field) for field in TRIGGER_FIELDS)


def _pick(field, *sources):
    for source in sources:
        if source and source.get(field):
            return source[field]
    return None


def credential_kind(fields, description):
    """Which azure-identity credential the fields make, or a clear error naming what is missing."""
    if fields.get('ad_user') or fields.get('password'):
        if not (fields.get('ad_user') and fields.get('password')):
            missing = 'password' if fields.get('ad_user') else 'ad_user'
            raise AzureVmssError('%s gives %s but not %s: a user login needs both ad_user and password'
                                 % (description, 'ad_user' if missing == 'password' else 'password', missing))
        return 'user_password'
    if fields.get('certificate_path'):
        missing = [name for name in ('client_id', 'tenant') if not fields.get(name)]
        if missing:
            raise AzureVmssError('%s gives certificate_path but not %s: a certificate login needs client_id, tenant '
                                 'and certificate_path' % (description, ' and '.join(missing)))
        return 'service_principal_certificate'
    missing = [name for name in ('client_id', 'secret', 'tenant') if not fields.get(name)]
    if missing:
        raise AzureVmssError('%s is incomplete: missing %s. A service principal needs client_id, secret and tenant '
                             '(or certificate_path instead of secret)' % (description, ', '.join(missing)))
    return 'service_principal_secret'


def resolve(params, environ, which=None, read_file=read_credential_file):
    """Decide how this run authenticates. Pure but for reading the credential file and ``which('az')``.

    ``params`` are the module parameters; ``environ`` a mapping like os.environ. Returns an AuthPlan.
    """
    env_values = _from_env(environ)
    auth_source = params.get('auth_source') or 'auto'
    profile = params.get('profile') or env_values.get('profile') or 'default'
    path = credential_file_path(environ)
    explicit_profile = bool(params.get('profile') or env_values.get('profile'))

    param_values = dict((k, v) for k, v in params.items() if k in CREDENTIAL_FIELDS and v)
    # The file is required when asked for by name; otherwise it is one more place to look, read only
    # when the earlier sources leave something to find.
    file_required = auth_source == 'credential_file' or explicit_profile
    file_wanted = file_required or not _pick('subscription_id', params, env_values) or (
        auth_source == 'auto' and not _has_credentials(param_values) and not _has_credentials(env_values))
    file_values = None
    if file_wanted:
        try:
            file_values = read_file(path, profile)
        except AzureVmssError:
            if file_required:
                raise
        if file_values is None and file_required:
            raise AzureVmssError('auth_source %s, profile %s: the credential file %s does not exist (set AZURE_CONFIG_DIR '
                                 'to the folder that holds it, or use another auth_source)' % (auth_source, profile, path))

    file_desc = 'the credential file %s [%s]' % (path, profile)
    env_desc = 'environment variables (%s)' % ', '.join(
        sorted(name for names in ENV_NAMES.values() for name in names if environ.get(name)))

    if auth_source == 'auto':
        if _has_credentials(param_values):
            source, description, fields = 'parameters', 'module parameters', param_values
        elif _has_credentials(env_values):
            source, description, fields = 'environment', env_desc, env_values
        elif file_values and _has_credentials(file_values):
            source, description, fields = 'credential_file', file_desc, file_values
        elif which is not None and which('az'):
            source, description, fields = 'cli', 'the Azure CLI login (az)', {}
        else:
            source, description, fields = 'msi', 'managed identity', {}
    elif auth_source == 'env':
        source, description, fields = 'environment', env_desc, env_values
        if not _has_credentials(env_values):
            raise AzureVmssError('auth_source env: no credentials in the environment. Set AZURE_CLIENT_ID with '
                                 'AZURE_SECRET (or AZURE_CLIENT_SECRET) and AZURE_TENANT (or AZURE_TENANT_ID), or '
                                 'AZURE_AD_USER with AZURE_PASSWORD')
    elif auth_source == 'credential_file':
        source, description, fields = 'credential_file', file_desc, file_values or {}
    elif auth_source == 'cli':
        source, description, fields = 'cli', 'the Azure CLI login (az)', {}
    else:
        source, description, fields = 'msi', 'managed identity', {}

    fields = dict((k, fields.get(k)) for k in CREDENTIAL_FIELDS if fields.get(k))
    if source in ('parameters', 'environment', 'credential_file'):
        if not fields.get('tenant') and params.get('tenant'):
            fields['tenant'] = params['tenant']
        kind = credential_kind(fields, description)
    else:
        kind = source
        # A user-assigned managed identity is chosen by its client id.
        if source == 'msi' and params.get('client_id'):
            fields['client_id'] = params['client_id']
        if params.get('tenant'):
            fields['tenant'] = params['tenant']

    subscription_id = _pick('subscription_id', params, env_values, file_values)
    cloud_environment = _pick('cloud_environment', params, env_values, file_values)
    secrets = tuple(fields[name] for name in SECRET_FIELDS if fields.get(name))
    return AuthPlan(kind=kind, source=source, description=description, subscription_id=subscription_id,
                    cloud_environment=cloud_environment, fields=fields, secrets=secrets)


def build_credential(plan, cloud, token_cache=None, transport=None):
    """The azure-identity credential for a plan; azure-identity does all token handling.

    ``token_cache``: keyword arguments that give a service principal credential the run's persisted MSAL
    token caches (run_cache.RunCache.token_caches); other kinds do not read such a cache back.
    ``transport``: the azure-core transport its Azure AD requests go through (client.new_transport).
    """
    from azure import identity

    http = dict(transport=transport) if transport is not None else {}
    common = dict(authority=cloud.authority, **http)
    if token_cache and plan.kind in TOKEN_CACHE_KINDS:
        common.update(token_cache)
    if not cloud.instance_discovery:
        # A private cloud's authority is unknown to the public cloud's discovery endpoint.
        common['disable_instance_discovery'] = True
    fields = plan.fields
    if plan.kind == 'service_principal_secret':
        return identity.ClientSecretCredential(fields['tenant'], fields['client_id'], fields['secret'], **common)
    if plan.kind == 'service_principal_certificate':
        password = fields.get('certificate_password')
        try:
            return identity.CertificateCredential(fields['tenant'], fields['client_id'], fields['certificate_path'],
                                                  password=password.encode('utf-8') if password else None, **common)
        except (ValueError, TypeError, OSError) as exc:
            # The file is read here, before any request: a wrong password or a file that is not a
            # certificate with its key surfaces now, as cryptography's or azure-identity's words.
            raise AzureVmssError('certificate_path %s from %s could not be loaded%s: %s. Check the file (PEM or PKCS12 '
                                 'with the private key) and certificate_password.'
                                 % (fields['certificate_path'], plan.description,
                                    ' with the given certificate_password' if password else ' (no certificate_password given)',
                                    exc))
    if plan.kind == 'user_password':
        return identity.UsernamePasswordCredential(fields.get('client_id') or AZURE_CLI_CLIENT_ID, fields['ad_user'],
                                                   fields['password'], tenant_id=fields.get('tenant') or 'organizations',
                                                   **common)
    if plan.kind == 'cli':
        return identity.AzureCliCredential(tenant_id=fields.get('tenant'))
    return identity.ManagedIdentityCredential(client_id=fields.get('client_id'), **http)


def cli_subscription(run_command):
    """The Azure CLI's default subscription id (``az account show``), for auth_source cli without one.

    ``run_command`` is AnsibleModule.run_command-like: ``(rc, out, err) = run_command(args)``.
    """
    rc, out, err = run_command(['az', 'account', 'show', '--query', 'id', '--output', 'tsv'])
    if rc != 0 or not out.strip():
        raise AzureVmssError('auth_source cli: no subscription_id given and `az account show` failed (%s); run '
                             '`az login` or set subscription_id' % (err.strip() or 'rc=%s' % rc))
    return out.strip()
