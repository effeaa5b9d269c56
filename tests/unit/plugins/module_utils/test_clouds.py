# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import clouds
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError

METADATA_LIST = [
    {'name': 'AzureCloud', 'resourceManager': 'https://management.azure.com/',
     'authentication': {'loginEndpoint': 'https://login.microsoftonline.com',
                        'audiences': ['https://management.core.windows.net/', 'https://management.azure.com/']}},
    {'name': 'Stack', 'resourceManager': 'https://management.local.azurestack.external/',
     'authentication': {'loginEndpoint': 'https://adfs.local.azurestack.external/adfs/',
                        'audiences': ['https://management.adfs.azurestack.local/4de154de']}},
]


def never_fetch(_url):
    raise AssertionError('a named cloud needs no request')


@pytest.mark.parametrize('name, rm', [
    (None, 'https://management.azure.com'),
    ('AzureCloud', 'https://management.azure.com'),
    ('azurechinacloud', 'https://management.chinacloudapi.cn'),
    ('AzureUSGovernment', 'https://management.usgovcloudapi.net'),
])
def test_named_clouds(name, rm):
    cloud = clouds.resolve_cloud(name, fetch=never_fetch)
    assert cloud.resource_manager == rm
    assert cloud.scope == rm + '/.default'
    assert cloud.instance_discovery is True


def test_url_cloud_picks_matching_entry():
    seen = []

    def fetch(url):
        seen.append(url)
        return METADATA_LIST

    cloud = clouds.resolve_cloud('https://management.local.azurestack.external', fetch=fetch)
    assert seen == ['https://management.local.azurestack.external']
    assert cloud.authority == 'https://adfs.local.azurestack.external/adfs'
    assert cloud.scope == 'https://management.adfs.azurestack.local/4de154de/.default'
    assert cloud.instance_discovery is False


def test_url_cloud_single_object_metadata():
    metadata = {'resourceManager': 'https://127.0.0.1:8443/',
                'authentication': {'loginEndpoint': 'https://127.0.0.1:8443/', 'audiences': ['https://127.0.0.1:8443/']}}
    cloud = clouds.resolve_cloud('https://127.0.0.1:8443/', fetch=lambda url: metadata)
    assert cloud.resource_manager == 'https://127.0.0.1:8443'
    assert cloud.authority == 'https://127.0.0.1:8443'
    assert cloud.scope == 'https://127.0.0.1:8443/.default'


def test_url_cloud_without_authentication_is_refused():
    with pytest.raises(AzureVmssError) as err:
        clouds.resolve_cloud('https://example.invalid', fetch=lambda url: {'resourceManager': 'https://example.invalid'})
    assert 'loginEndpoint' in err.value.msg


def test_plain_http_and_unknown_names_are_refused():
    with pytest.raises(AzureVmssError) as err:
        clouds.resolve_cloud('http://127.0.0.1:1', fetch=never_fetch)
    assert 'https://' in err.value.msg
    with pytest.raises(AzureVmssError) as err:
        clouds.resolve_cloud('AzureGermanCloud', fetch=never_fetch)
    assert 'AzureCloud' in err.value.msg
