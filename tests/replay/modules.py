# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of the collection's modules in this process, as Ansible would run it, against a server: the real
AnsibleModule, our client, azure-identity and azure-mgmt-compute over HTTPS. Nothing is faked."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib
import io
import json
import sys


def run_module(name, args, connection):
    """The result dict of ``plugins/modules/<name>.py`` with ``args`` and the server's credentials."""
    from ansible.module_utils import basic
    from ansible.module_utils.common import warnings as ansible_warnings
    module = importlib.import_module('ansible_collections.azure_vmss.maintenance.plugins.modules.%s' % name)
    full = dict(client_id=connection['client_id'], secret=connection['secret'], tenant=connection['tenant'],
                cloud_environment=connection['resource_manager_url'], auth_source='auto')
    full.update(args)
    saved = {}
    # A module process starts with empty warning stores and its own arguments; so does each run here.
    for attr in ('_global_warnings', '_global_deprecations'):
        if hasattr(ansible_warnings, attr):
            saved[attr] = getattr(ansible_warnings, attr)
            setattr(ansible_warnings, attr, type(saved[attr])())
    old_args, old_profile = basic._ANSIBLE_ARGS, getattr(basic, '_ANSIBLE_PROFILE', None)
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': full}).encode('utf-8')
    if hasattr(basic, '_ANSIBLE_PROFILE'):
        basic._ANSIBLE_PROFILE = 'legacy'
    out, old_out = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        module.main()
    except SystemExit:
        pass
    finally:
        sys.stdout = old_out
        basic._ANSIBLE_ARGS = old_args
        if hasattr(basic, '_ANSIBLE_PROFILE'):
            basic._ANSIBLE_PROFILE = old_profile
        for attr, value in saved.items():
            setattr(ansible_warnings, attr, value)
    return json.loads(out.getvalue())
