# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # The options every module of the collection shares: the scale set and how to authenticate.
    DOCUMENTATION = r'''
options:
  subscription_id:
    description:
      - The Azure subscription that holds the scale set.
      - When not set, taken from E(AZURE_SUBSCRIPTION_ID), then from the credential file profile, then (with
        O(auth_source=cli)) from the Azure CLI's default subscription.
    type: str
  auth_source:
    description:
      - Where to take credentials from.
      - V(auto) uses the first of these that has credentials in it; module parameters, environment variables,
        the credential file, then the Azure CLI login when C(az) is installed, else managed identity.
      - V(env) reads only environment variables. AWX/Tower's C(Microsoft Azure Resource Manager) credential
        injects E(AZURE_CLIENT_ID), E(AZURE_SECRET), E(AZURE_TENANT), E(AZURE_SUBSCRIPTION_ID) (or
        E(AZURE_AD_USER) and E(AZURE_PASSWORD)); azure-identity's names E(AZURE_CLIENT_SECRET),
        E(AZURE_TENANT_ID), E(AZURE_CLIENT_CERTIFICATE_PATH), E(AZURE_USERNAME) work too.
      - V(credential_file) reads the INI file C(credentials) in E(AZURE_CONFIG_DIR) (default C(~/.azure)),
        section O(profile).
      - V(cli) uses the login of the Azure CLI (C(az login)).
      - V(msi) uses the managed identity of the Azure VM or service the module runs on; set O(client_id) to
        pick a user-assigned identity.
    type: str
    default: auto
    choices: [auto, env, credential_file, cli, msi]
  client_id:
    description:
      - The application (client) id of a service principal, or of a user-assigned managed identity with
        O(auth_source=msi).
    type: str
  secret:
    description:
      - The service principal's client secret.
    type: str
  tenant:
    description:
      - The Azure AD tenant id of the service principal or user.
    type: str
  certificate_path:
    description:
      - Path to a PEM or PKCS12 file with the service principal's certificate and private key, used instead
        of O(secret).
    type: path
  certificate_password:
    description:
      - The password of the certificate file, if it has one.
    type: str
  ad_user:
    description:
      - An Azure AD user name for a user/password login (no multi-factor authentication). Needs O(password).
    type: str
  password:
    description:
      - The password of O(ad_user).
    type: str
  profile:
    description:
      - The section of the credential file to read; E(AZURE_PROFILE) when not set, else C(default).
    type: str
  cloud_environment:
    description:
      - The Azure cloud. V(AzureCloud), V(AzureChinaCloud), V(AzureUSGovernment), or the C(https://) URL of a
        Resource Manager endpoint (Azure Stack Hub, a private cloud, the collection's simulator), whose login
        endpoint and token audience are read from its C(/metadata/endpoints).
      - When not set, taken from E(AZURE_CLOUD_ENVIRONMENT), then the credential file, else V(AzureCloud).
    type: str
  token_cache_dir:
    description:
      - A folder in which the module calls of one run share what they learn from Azure AD and the cloud, so
        that only the first call asks for it. It holds a service principal's access tokens (MSAL's token
        cache, written by msal-extensions, unencrypted), the C(/metadata/endpoints) answer of a URL
        O(cloud_environment), and each scale set's GET answer (model data; M(azure_vmss.maintenance.perform_maintenance)
        reuses one at most 120 s old for the scale set's orchestration mode, id and capacity, which a decision of
        its own never needs fresher; every other module reads the scale set from ARM and keeps the answer here).
      - The folder must exist, belong to the user the module runs as, and have mode C(0700) (C(mktemp -d)
        makes one). Whoever created it removes it when the run ends; the C(safe_maintenance) role does so
        for its own.
      - A folder or file that does not pass these checks, or a cache that cannot be read, is ignored with a
        warning; the call then authenticates as without it. Nothing of the cache's content appears in
        results or warnings.
      - Tokens are reused for the same client id, tenant and cloud; a call with another secret for the same
        client id gets the cached token. Give one run's folder to one identity.
      - Used with O(client_id) and O(secret) or O(certificate_path) (from any source). The Azure CLI keeps
        its own cache; user/password and managed identity logins do not use this one.
      - When not set, taken from E(AZURE_VMSS_TOKEN_CACHE_DIR); without either, nothing is cached.
    type: path
notes:
  - TLS certificates are always verified. To trust a private CA, point E(REQUESTS_CA_BUNDLE) at a PEM bundle
    that contains it; there is no option to turn verification off.
  - Secrets from parameters, the environment and the credential file are masked in all output.
requirements:
  - python >= 3.9
  - azure-mgmt-compute >= 38.0.0
  - azure-identity >= 1.19.0
'''

    SCALE_SET = r'''
options:
  resource_group:
    description:
      - The resource group of the scale set; 1 to 90 letters, digits, periods, underscores, hyphens and parentheses,
        not ending in a period.
    type: str
    required: true
  name:
    description:
      - The name of the virtual machine scale set.
    type: str
    required: true
    aliases: [vmss_name]
'''

    QUERY = r'''
options:
  query:
    description:
      - A JMESPath expression (as the Azure CLI's C(--query)) applied to the module's data, which is the
        result this module returns without O(query).
      - With O(query) set, the module returns only RV(query_result), which keeps the output of a large fleet
        small. An invalid expression fails before any request is made.
    type: str
requirements:
  - jmespath
'''

    # The three info modules: they only read.
    INFO_ATTRIBUTES = r'''
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no difference to show.
'''
