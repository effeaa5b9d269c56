# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place a ComputeClient is built, for the modules and the inventory plugin alike.

Settings -> an auth plan (auth.resolve) -> the cloud's endpoints -> one credential -> one client per
subscription. The caller checks the subscription ids and registers the plan's secrets for masking first.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


# The packages a client needs, with the module that shows each is installed.
REQUIRED_PACKAGES = (('azure-mgmt-compute', 'azure.mgmt.compute'), ('azure-identity', 'azure.identity'))


def missing_package():
    """The pip name of the first required package that is not installed, or None (nothing is imported)."""
    from importlib.util import find_spec
    for package, module_name in REQUIRED_PACKAGES:
        try:
            if find_spec('azure') is None or find_spec(module_name) is None:
                return package
        except ImportError:
            return package
    return None


def _which(name):
    from ansible.module_utils.common.process import get_bin_path
    try:
        return get_bin_path(name)
    except ValueError:
        return None


def auth_plan(settings, environ):
    """How to authenticate (auth.AuthPlan) from module options or inventory options and the environment."""
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import auth
    return auth.resolve(settings, environ, which=_which)


def compute_clients(plan, subscription_ids, ansible_version='', run_cache=None, share_transport=False,
                    **client_options):
    """One ComputeClient per subscription id, on one credential (its token serves them all).

    ``run_cache`` (token_cache.RunCache) shares the token and the cloud's metadata between the calls of a run;
    ``share_transport`` gives the credential and the clients one connection pool (a module's one process).
    """
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import auth, clouds
    # new_transport through client, where the tests give a fake one
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ComputeClient, new_transport
    cloud = clouds.resolve_cloud(plan.cloud_environment, run_cache=run_cache)
    token_cache = run_cache.token_caches() if run_cache is not None and plan.kind in auth.TOKEN_CACHE_KINDS else None
    credential_options = dict(token_cache=token_cache) if token_cache else {}
    if share_transport:
        client_options['transport'] = credential_options['transport'] = new_transport()
    credential = auth.build_credential(plan, cloud, **credential_options)
    usable_cache = run_cache if run_cache is not None and run_cache.usable else None
    return [ComputeClient(credential, subscription_id, cloud, auth_description=plan.description, secrets=plan.secrets,
                          ansible_version=ansible_version, run_cache=usable_cache, **client_options)
            for subscription_id in subscription_ids]
