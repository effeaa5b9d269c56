# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AzureVmssModule: AnsibleModule with the common Azure options, name checks and one lazy client.

A module builds one of these with its own argument spec, asks ``module.client`` for data and shapes
the result. Nothing from the Azure SDK is imported until ``client`` is first used, after argument
validation, so a bad argument fails in milliseconds.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import traceback

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.azure_vmss.maintenance.plugins.module_utils import arguments
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError, redact

REQUIREMENTS_HINT = ('Install the collection\'s Python requirements on the host that runs the module: '
                     'pip install -r <collection path>/requirements.txt')

QUERY_ARGS = dict(query=dict(type='str'))


class AzureVmssModule(AnsibleModule):

    def __init__(self, argument_spec, scale_set=True, **kwargs):
        spec = dict(arguments.AZURE_AUTH_ARGS)
        if scale_set:
            spec.update(arguments.SCALE_SET_ARGS)
        spec.update(argument_spec)
        kwargs.setdefault('supports_check_mode', True)
        super(AzureVmssModule, self).__init__(argument_spec=spec, **kwargs)
        self._client = None
        self._auth_plan = None
        self.scale_set = None
        if scale_set:
            self.scale_set = self._scale_set_ref()

    # -- validation ---------------------------------------------------------------------------------
    def _scale_set_ref(self):
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ScaleSetRef
        problem = arguments.resource_group_error(self.params['resource_group'])
        if problem:
            self.fail_json(msg='resource_group %r %s.' % (self.params['resource_group'], problem))
        problem = arguments.scale_set_name_error(self.params['name'])
        if problem:
            self.fail_json(msg='name %r %s.' % (self.params['name'], problem))
        return ScaleSetRef(self.params['resource_group'], self.params['name'])

    def instance_ids_param(self, name='instance_ids'):
        """The validated, de-duplicated, numerically sorted ids of a list option, or None if unset."""
        values = self.params.get(name)
        if values is None:
            return None
        problem = arguments.instance_ids_error(values)
        if problem:
            self.fail_json(msg='%s %s.' % (name, problem))
        return arguments.normalize_instance_ids(values)

    def compile_query(self):
        """Compile the ``query`` option before any request, so a typo costs nothing."""
        expression = self.params.get('query')
        if expression is None:
            return None
        try:
            import jmespath
        except ImportError:
            self.fail_json(msg=missing_required_lib('jmespath') + ' ' + REQUIREMENTS_HINT,
                           exception=traceback.format_exc())
        try:
            return jmespath.compile(expression)
        except jmespath.exceptions.JMESPathError as exc:
            self.fail_json(msg='query %r is not a valid JMESPath expression: %s' % (expression, exc))

    # -- the client ---------------------------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self):
        # Only looked up here: the azure packages are imported when the client is built, after the arguments
        # are checked, so a bad argument fails without paying for their import.
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import factory
        package = factory.missing_package()
        if package:
            self.fail_json(msg=missing_required_lib(package) + ' ' + REQUIREMENTS_HINT)
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import auth, lazy_imports
        try:
            plan = factory.auth_plan(self.params, os.environ)
            # Secrets from the environment or the credential file are not module parameters, so
            # AnsibleModule would not mask them: register them so no output can carry them.
            for secret in plan.secrets:
                self.no_log_values.add(secret)
            self._auth_plan = plan
            # Before azure.identity is imported (build_credential); only here, in the module's own process.
            lazy_imports.defer(lazy_imports.unused_by(plan.kind))
            subscription_id = plan.subscription_id
            if not subscription_id and plan.kind == 'cli':
                subscription_id = auth.cli_subscription(self.run_command)
            if not subscription_id:
                raise AzureVmssError('subscription_id is not set: give the subscription_id option, set '
                                     'AZURE_SUBSCRIPTION_ID, or add subscription_id to the credential file profile')
            problem = arguments.subscription_id_error(subscription_id)
            if problem:
                # Checked before any request: the value is part of every request path.
                raise AzureVmssError('subscription_id %r %s.' % (subscription_id, problem))
            cache = None
            if self.params.get('token_cache_dir'):
                from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.token_cache import RunCache
                cache = RunCache(self.params['token_cache_dir'], self.warn)
            return factory.compute_clients(plan, [subscription_id], ANSIBLE_VERSION, run_cache=cache,
                                           share_transport=True)[0]
        except AzureVmssError as exc:
            self.fail_error(exc)

    # -- failing ------------------------------------------------------------------------------------
    def fail_error(self, exc, **result):
        """fail_json from an AzureVmssError, with its structured keys and no secret anywhere."""
        secrets = self._auth_plan.secrets if self._auth_plan else ()
        data = dict(result)
        data.update(exc.result())
        self.fail_json(msg=redact(exc.msg, secrets), **data)
