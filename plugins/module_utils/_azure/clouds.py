# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Azure a run talks to: the Resource Manager URL, the login authority and the token scope."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError

# name: the cloud as the user named it; resource_manager: ARM's base URL; authority: the Azure AD
# login host; scope: what tokens are requested for; instance_discovery: whether MSAL may ask the public
# cloud to validate the authority (never for a private cloud, which the public cloud cannot know).
Cloud = namedtuple('Cloud', ['name', 'resource_manager', 'authority', 'scope', 'instance_discovery'])

KNOWN_CLOUDS = {
    'azurecloud': Cloud('AzureCloud', 'https://management.azure.com',
                        'https://login.microsoftonline.com', 'https://management.azure.com/.default', True),
    'azurechinacloud': Cloud('AzureChinaCloud', 'https://management.chinacloudapi.cn',
                             'https://login.chinacloudapi.cn', 'https://management.chinacloudapi.cn/.default', True),
    'azureusgovernment': Cloud('AzureUSGovernment', 'https://management.usgovcloudapi.net',
                               'https://login.microsoftonline.us', 'https://management.usgovcloudapi.net/.default', True),
}

METADATA_API_VERSION = '2022-09-01'
DEFAULT_CLOUD = 'AzureCloud'


def cloud_from_metadata(resource_manager_url, metadata):
    """Build a Cloud from a ``/metadata/endpoints`` answer.

    api-version 2022-09-01 answers a list of cloud descriptions, older versions (and Azure Stack Hub)
    a single object; take the entry whose ``resourceManager`` is the URL asked, else the first.
    """
    base = resource_manager_url.rstrip('/')
    entries = metadata if isinstance(metadata, list) else [metadata]
    entries = [entry for entry in entries if isinstance(entry, dict)]
    chosen = None
    for entry in entries:
        if str(entry.get('resourceManager', '')).rstrip('/').lower() == base.lower():
            chosen = entry
            break
    if chosen is None and entries:
        chosen = entries[0]
    authentication = (chosen or {}).get('authentication') or {}
    login = authentication.get('loginEndpoint')
    audiences = authentication.get('audiences') or []
    if not login or not audiences:
        raise AzureVmssError(
            'cloud_environment %s: its metadata (%s/metadata/endpoints) names no authentication.loginEndpoint '
            'or audiences; is this an Azure Resource Manager endpoint?' % (resource_manager_url, base))
    audience = str(audiences[0]).rstrip('/')
    return Cloud(name=base, resource_manager=base, authority=str(login).rstrip('/'),
                 scope=audience + '/.default', instance_discovery=False)


def fetch_metadata(resource_manager_url, timeout=15):
    """GET the cloud metadata with TLS verified (a private CA comes through REQUESTS_CA_BUNDLE)."""
    import requests  # azure-core's own transport; only a URL cloud needs it here

    url = '%s/metadata/endpoints?api-version=%s' % (resource_manager_url.rstrip('/'), METADATA_API_VERSION)
    try:
        response = requests.get(url, timeout=timeout, headers={'Accept': 'application/json'})
    except requests.exceptions.SSLError as exc:
        raise AzureVmssError(
            'cloud_environment %s: TLS verification failed (%s). If the endpoint uses a private CA, set '
            'REQUESTS_CA_BUNDLE to a PEM bundle that contains it; verification cannot be turned off.'
            % (resource_manager_url, exc))
    except requests.exceptions.RequestException as exc:
        raise AzureVmssError('cloud_environment %s: could not read %s: %s' % (resource_manager_url, url, exc))
    if response.status_code != 200:
        raise AzureVmssError('cloud_environment %s: %s answered HTTP %s; is this an Azure Resource Manager endpoint?'
                             % (resource_manager_url, url, response.status_code), status_code=response.status_code)
    try:
        return response.json()
    except ValueError:
        raise AzureVmssError('cloud_environment %s: %s did not answer JSON' % (resource_manager_url, url))


def resolve_cloud(cloud_environment, fetch=fetch_metadata, run_cache=None):
    """``AzureCloud`` & co. by name (case-insensitive), or an ``https://`` Resource Manager URL.

    A URL cloud's metadata is read once per run when ``run_cache`` (a usable RunCache) is given.
    """
    value = (cloud_environment or DEFAULT_CLOUD).strip()
    known = KNOWN_CLOUDS.get(value.lower())
    if known:
        return known
    if value.lower().startswith('https://'):
        if run_cache is not None:
            return run_cache.cloud(value, fetch, lambda metadata: cloud_from_metadata(value, metadata))
        return cloud_from_metadata(value, fetch(value))
    if value.lower().startswith('http://'):
        raise AzureVmssError('cloud_environment %s: use https://; tokens are never sent over plain http' % value)
    raise AzureVmssError('cloud_environment %r is not known: use one of %s, or the https:// URL of a Resource Manager '
                         'endpoint' % (value, ', '.join(cloud.name for cloud in KNOWN_CLOUDS.values())))
