# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by every module, and the name checks ARM would make later.

Kept free of Azure imports: a module validates its arguments before it pays for the SDK.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.basic import env_fallback

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import instance_sort_key

AUTH_SOURCES = ['auto', 'env', 'credential_file', 'cli', 'msi']

# Documented once in plugins/doc_fragments/azure.py; keep the two in step (sanity checks it).
AZURE_AUTH_ARGS = dict(
    subscription_id=dict(type='str'),
    auth_source=dict(type='str', default='auto', choices=AUTH_SOURCES),
    client_id=dict(type='str'),
    secret=dict(type='str', no_log=True),
    tenant=dict(type='str'),
    certificate_path=dict(type='path'),
    certificate_password=dict(type='str', no_log=True),
    ad_user=dict(type='str'),
    password=dict(type='str', no_log=True),
    profile=dict(type='str'),
    cloud_environment=dict(type='str'),
    # The environment name is run_cache.ENV_NAME; kept literal so this file imports nothing.
    token_cache_dir=dict(type='path', fallback=(env_fallback, ['AZURE_VMSS_TOKEN_CACHE_DIR'])),
)

SCALE_SET_ARGS = dict(
    resource_group=dict(type='str', required=True),
    name=dict(type='str', required=True, aliases=['vmss_name']),
)

# Resource group: 1-90 letters (Unicode letters are allowed by ARM), digits, '.', '_', '-', '(', ')';
# must not end in a period.
_RESOURCE_GROUP = re.compile(r'^[-\w._()]{1,90}$', re.UNICODE)
# Scale set: ARM's published rule for virtualMachineScaleSets is 1-64 characters (Linux; a Windows
# computer-name prefix is shorter but that is not the resource name), no spaces or URL-breaking
# characters, not ending in '.' or '-'. We accept letters, digits, '.', '_', '-' starting with a letter
# or digit: every name ARM accepts in practice, and nothing that would break the request path.
_SCALE_SET = re.compile(r'^[A-Za-z0-9][-A-Za-z0-9._]{0,63}$')
_INSTANCE_ID = re.compile(r'^[0-9]{1,10}$')
_VM_NAME_FORBIDDEN = frozenset('\\/"[]:|<>+=;,?*@&#%')
# A subscription id is a GUID; it goes into every request path, so nothing else may pass.
_SUBSCRIPTION_ID = re.compile(r'^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$')


def resource_group_error(value):
    """Why ``value`` is not a valid resource group name, or None."""
    if not isinstance(value, str) or not value:
        return 'must be a non-empty string'
    if len(value) > 90:
        return 'is %d characters long; ARM allows at most 90' % len(value)
    if not _RESOURCE_GROUP.match(value):
        return "may contain only letters, digits, '.', '_', '-', '(' and ')'"
    if value.endswith('.'):
        return 'must not end with a period'
    return None


def scale_set_name_error(value):
    """Why ``value`` is not a valid scale set name, or None."""
    if not isinstance(value, str) or not value:
        return 'must be a non-empty string'
    if len(value) > 64:
        return 'is %d characters long; ARM allows at most 64' % len(value)
    if not _SCALE_SET.match(value):
        return "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'"
    if value[-1] in '.-':
        return "must not end with '.' or '-'"
    return None


def subscription_id_error(value):
    """Why ``value`` is not a subscription id (a GUID), or None."""
    if not isinstance(value, str) or not _SUBSCRIPTION_ID.match(value):
        return 'is not a subscription id: Azure subscription ids are GUIDs such as 00000000-0000-0000-0000-000000000000'
    return None


def vm_name_error(value):
    """Why ``value`` cannot be the name of an Azure VM (a Flexible scale set's instance), or None.

    Azure's naming rules for Microsoft.Compute/virtualMachines: the resource name has at most 64
    characters (the 15-character Windows limit is the computer name's), may not contain
    ``\\/"[]:|<>+=;,?*@&``, may not start with '_' and may not end with '.' or '-'. We also refuse
    whitespace, '#' and '%', which would break the request path. The names Azure gives a Flexible
    scale set's VMs, ``{scale set name}_{8 characters of a GUID}``, pass.
    """
    if not isinstance(value, str) or not value:
        return 'must be a non-empty string'
    if len(value) > 64:
        return 'is %d characters long; Azure VM names have at most 64' % len(value)
    bad = sorted(set(char for char in value if char in _VM_NAME_FORBIDDEN or char.isspace() or ord(char) < 32))
    if bad:
        return 'contains %s, which Azure VM names may not contain' % ', '.join(repr(char) for char in bad)
    if value.startswith('_'):
        return "must not start with '_'"
    if value[-1] in '.-':
        return "must not end with '.' or '-'"
    return None


def instance_ids_error(values):
    """Why a list of instance ids is not usable, or None.

    Each id is a Uniform scale set's numeric instanceId (``'0'``, ``'12'``) or a Flexible scale set's VM
    name; which of the two the scale set takes is checked once its orchestration mode is known
    (orchestration.ids_for_mode_error). Names are compared as Azure compares them, ignoring case.
    """
    if not values:
        return 'must list at least one instance id'
    seen = set()
    for value in values:
        text = str(value).strip()
        if not _INSTANCE_ID.match(text):
            problem = vm_name_error(text)
            if problem:
                return ("contains %r, which is neither a numeric instance id (Uniform scale sets, such as '0' or '12') "
                        "nor a VM name (Flexible scale sets): the name %s" % (value, problem))
        if text.lower() in seen:
            return 'lists %s more than once' % text
        seen.add(text.lower())
    return None


def normalize_instance_ids(values):
    """Strings without surrounding space, numbers in numeric order, then names in text order."""
    return sorted((str(value).strip() for value in values), key=instance_sort_key)
