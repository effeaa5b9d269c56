# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Compute calls the modules make, as plain functions over one ComputeManagementClient.

Every method returns plain dicts in ARM's wire shape (camelCase, ``properties`` nested) and raises
only AzureVmssError, already worded for the user. SDK types never leave this file.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import describe_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.orchestration import (
    FLEXIBLE, orchestration_mode)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import (
    AzureVmssError, NotAvailableError, redact, translate)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.instance_reads import InstanceReads
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.operations import (
    _initial_response, MaintenanceOperation)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.pacing import retry_after_seconds
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.pipeline import (
    new_transport, parse_remaining_resource, RETRY_SETTINGS, TIMEOUTS)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.version import COLLECTION_NAME, COLLECTION_VERSION


# LRO polling when ARM sends no Retry-After (it usually does; that value wins).
DEFAULT_POLL_SECONDS = 15


class ScaleSetRef(object):
    """A scale set's coordinates, and how to name it in messages."""

    def __init__(self, resource_group, name):
        self.resource_group = resource_group
        self.name = name

    def resource_id(self, subscription_id):
        return '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s' % (
            subscription_id, self.resource_group, self.name)

    def __str__(self):
        return "scale set '%s' in resource group '%s'" % (self.name, self.resource_group)


class ComputeClient(InstanceReads):
    """One ComputeManagementClient for one module run, with request accounting for results and pacing."""

    def __init__(self, credential, subscription_id, cloud, auth_description='', secrets=(), ansible_version='',
                 run_cache=None, **client_options):
        self.auth_description = auth_description
        # The run's folder (run_cache.RunCache) keeps every scale set GET; a call that sets scale_set_max_age (seconds)
        # reads it from there instead while it is that fresh (see get_scale_set).
        self.run_cache = run_cache
        self.scale_set_max_age = 0
        self.secrets = tuple(secrets)
        self._credential = credential
        self._scope = cloud.scope
        self._subscription_id = subscription_id
        self._base_url = cloud.resource_manager.rstrip('/')
        self.requests_sent = 0
        self.rate_limit = {}
        self.last_headers = {}
        self._throttled_until = 0.0
        self._scale_sets = {}
        self._lock = threading.Lock()
        user_agent = '%s/%s' % (COLLECTION_NAME, COLLECTION_VERSION)
        if ansible_version:
            user_agent += ' ansible-core/%s' % ansible_version
        self._user_agent = user_agent
        options = dict(RETRY_SETTINGS)
        options.update(TIMEOUTS)
        options.update(client_options)  # tests pass a fake transport here
        if 'transport' not in options:
            options['transport'] = new_transport(**options)
        self._options = options
        self._sdk = None
        # Callables given each pipeline response too (scale_set_snapshot records the answers' shapes).
        self.response_observers = []

    @property
    def _compute(self):
        """The run's one ComputeManagementClient, built on first use (after argument checks and credentials)."""
        if self._sdk is None:
            from azure.mgmt.compute import ComputeManagementClient
            from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.throttling import retry_policy
            options = dict(self._options)
            options.setdefault('retry_policy', retry_policy(**self._options))
            self._sdk = ComputeManagementClient(
                self._credential, self._subscription_id, base_url=self._base_url, credential_scopes=[self._scope],
                user_agent=self._user_agent, raw_response_hook=self._on_response, **options)
        return self._sdk

    # -- accounting -------------------------------------------------------------------------------
    def _on_response(self, pipeline_response):
        # Runs for every HTTP answer ARM gives, retries and LRO polls included (not token requests).
        headers = pipeline_response.http_response.headers
        with self._lock:
            self.requests_sent += 1
            if pipeline_response.http_response.status_code == 429:
                # Paced senders (flexible.py) wait this out together instead of each meeting it alone.
                self._throttled_until = max(self._throttled_until,
                                            time.monotonic() + (retry_after_seconds(headers) or 0.0))
            self.last_headers = dict(headers)
            remaining = parse_remaining_resource(headers.get('x-ms-ratelimit-remaining-resource'))
            for name in ('x-ms-ratelimit-remaining-subscription-reads', 'x-ms-ratelimit-remaining-subscription-writes'):
                if str(headers.get(name, '')).isdigit():
                    remaining[name[len('x-ms-ratelimit-remaining-'):]] = int(headers[name])
            self.rate_limit.update(remaining)
        for observe in self.response_observers:
            observe(pipeline_response)

    def _fail(self, exc, operation, target):
        return translate(exc, operation, str(target), auth_description=self.auth_description, secrets=self.secrets)

    # What flexible.py uses of the client.
    fail = _fail

    @property
    def compute(self):
        return self._compute

    @staticmethod
    def initial_response(poller):
        return _initial_response(poller)

    def throttled_until(self):
        """The time.monotonic() before which ARM asked (429 Retry-After) not to send."""
        return self._throttled_until

    @property
    def subscription_id(self):
        return self._subscription_id

    def resource_id(self, ref):
        """The scale set's resource id, built from the subscription and ``ref`` (no request)."""
        return ref.resource_id(self._subscription_id)

    def one_token_for_all(self, operation, ref):
        """Get a token before requests go out in parallel: each worker's first request would otherwise ask
        Azure AD for its own (the pipeline's token cache is empty until one answer arrives)."""
        try:
            self._credential.get_token(self._scope)
        except Exception as exc:
            raise self._fail(exc, operation, ref)

    # -- scale set --------------------------------------------------------------------------------
    def list_all_scale_sets(self):
        """Every scale set of the subscription (List All): one request per page, following nextLink."""
        try:
            return [vmss.as_dict() for vmss in self._compute.virtual_machine_scale_sets.list_all()]
        except Exception as exc:
            raise self._fail(exc, 'list the scale sets of {target}', 'subscription %s' % self._subscription_id)

    def get_scale_set(self, ref):
        """The scale set, read once per module run: its mode, id and capacity serve every later decision. With
        scale_set_max_age, the answer another call of the run kept in its folder, when it is that fresh."""
        key = (ref.resource_group.lower(), ref.name.lower())
        if key not in self._scale_sets and self.run_cache is not None and self.scale_set_max_age > 0:
            kept = self.run_cache.scale_set(self.resource_id(ref), self.scale_set_max_age)
            if kept is not None:
                self._scale_sets[key] = kept
        if key not in self._scale_sets:
            try:
                self._scale_sets[key] = self._compute.virtual_machine_scale_sets.get(ref.resource_group, ref.name).as_dict()
            except Exception as exc:
                raise self._fail(exc, 'read {target}', ref)
            if self.run_cache is not None:
                self.run_cache.keep_scale_set(self.resource_id(ref), self._scale_sets[key])
        return self._scale_sets[key]

    def orchestration_mode(self, ref):
        """``Flexible`` or ``Uniform``, from the run's scale-set GET."""
        return orchestration_mode(self.get_scale_set(ref))

    def known_orchestration_mode(self, ref):
        """The mode if this run has read the scale set already, else None (no request)."""
        scale_set = self._scale_sets.get((ref.resource_group.lower(), ref.name.lower()))
        return orchestration_mode(scale_set) if scale_set is not None else None

    def _not_available(self, exc, what, ref):
        """A 400/409 refusal on a Flexible scale set as NotAvailableError, else None (a real failure).

        Azure refuses scale-set APIs that Flexible orchestration does not offer with OperationNotAllowed
        ("Operation '...' is not allowed on Virtual Machine Scale Set '...'"); observed as 400 (with code
        BadRequest) and as 409. UNVERIFIED which one each operation answers today, so both count, and only
        once the scale set's GET says Flexible: on a Uniform scale set the same answer stays a failure.
        """
        from azure.core.exceptions import HttpResponseError
        if not isinstance(exc, HttpResponseError) or getattr(exc, 'status_code', None) not in (400, 409):
            return None
        if self.orchestration_mode(ref) != FLEXIBLE:
            return None
        failure = self._fail(exc, what, ref)
        detail = ''
        if failure.error:
            detail = ' (Azure: %s: %s)' % (failure.error.get('code'), failure.error.get('message'))
        return NotAvailableError(redact('Azure does not offer %s, which uses Flexible orchestration%s'
                                        % (what.format(target=ref), detail), self.secrets),
                                 status_code=failure.status_code, error=failure.error)

    def get_latest_rolling_upgrade(self, ref):
        """The latest rolling upgrade, or None when the scale set never had one.

        ARM answers 404 both for "no rolling upgrade yet" and for "no such scale set"; only then do we
        read the scale set itself, which raises the right error when it is missing.
        """
        from azure.core.exceptions import ResourceNotFoundError
        try:
            return self._compute.virtual_machine_scale_set_rolling_upgrades.get_latest(ref.resource_group, ref.name).as_dict()
        except ResourceNotFoundError:
            self.get_scale_set(ref)
            return None
        except Exception as exc:
            raise (self._not_available(exc, 'the latest rolling upgrade of {target}', ref)
                   or self._fail(exc, 'read the latest rolling upgrade of {target}', ref))

    def list_os_upgrade_history(self, ref, max_items=None):
        """OS upgrade history newest first; stops paging once ``max_items`` are in hand."""
        items = []
        try:
            pager = self._compute.virtual_machine_scale_sets.get_os_upgrade_history(ref.resource_group, ref.name)
            for page in pager.by_page():  # pages are fetched lazily: stopping early saves the later ones
                for item in page:
                    items.append(item.as_dict())
                    if max_items and len(items) >= max_items:
                        return items
        except Exception as exc:
            raise (self._not_available(exc, 'the OS upgrade history of {target}', ref)
                   or self._fail(exc, 'read the OS upgrade history of {target}', ref))
        return items

    # -- maintenance ------------------------------------------------------------------------------
    def begin_perform_maintenance(self, ref, instance_ids, wait=True):
        """Start performMaintenance on exactly ``instance_ids``; returns a MaintenanceOperation (Uniform) or a
        flexible.FlexibleMaintenance (Flexible: one per-VM operation each).

        ARM maintains EVERY instance when the body lacks ``instanceIds``. The SDK sends no body when the
        ids argument is omitted and sends a plain dict's keys as given, so the body is always the model
        (which serialises to ``{"instanceIds": [...]}``) and an empty list is refused here.
        """
        if not instance_ids:
            raise AzureVmssError('Refusing to send performMaintenance without instance ids: Azure would maintain '
                                 'every instance of %s' % ref)
        if self.orchestration_mode(ref) == FLEXIBLE:
            # One per-VM POST each (flexible.begin_maintenance); a Flexible scale set refuses the scale-set one.
            from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import flexible
            return flexible.begin_maintenance(self, ref, instance_ids, default_poll=DEFAULT_POLL_SECONDS)
        from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceIDs

        body = VirtualMachineScaleSetVMInstanceIDs(instance_ids=[str(i) for i in instance_ids])
        kwargs = dict(polling_interval=DEFAULT_POLL_SECONDS)
        if not wait:
            kwargs['polling'] = False
        started = time.time()
        try:
            poller = self._compute.virtual_machine_scale_sets.begin_perform_maintenance(
                ref.resource_group, ref.name, vm_instance_i_ds=body, **kwargs)
        except Exception as exc:
            raise self._fail(exc, 'start maintenance of instances %s of {target}' % describe_ids(instance_ids), ref)
        # The answer to the POST itself: the poller's thread may already have replaced last_headers with
        # those of its first status poll (Retry-After 0), which carry no operation URL.
        initial = _initial_response(poller)
        headers = initial.headers if initial is not None else self.last_headers
        headers = dict((k.lower(), v) for k, v in headers.items())
        operation_url = headers.get('azure-asyncoperation') or headers.get('location')
        initial_status = initial.status_code if initial is not None else None
        return MaintenanceOperation(self, ref, instance_ids, poller, operation_url, started=started,
                                    initial_status=initial_status)

    # -- the scale set's instance view, orchestration services, ARM calls outside the Compute SDK -------
    def get_scale_set_instance_view(self, ref):
        """The scale set's own instance view (statuses summary, extensions, ``orchestrationServices``)."""
        try:
            return self._compute.virtual_machine_scale_sets.get_instance_view(ref.resource_group, ref.name).as_dict()
        except Exception as exc:
            raise self._fail(exc, 'read the instance view of {target}', ref)

    def set_orchestration_service_state(self, ref, service_name, action, timeout=600):
        """POST setOrchestrationServiceState (long-running) and wait for it, at most ``timeout`` seconds."""
        from azure.mgmt.compute.models import OrchestrationServiceStateInput

        body = OrchestrationServiceStateInput(service_name=service_name, action=action)
        what = '%s %s on {target}' % (action.lower(), service_name)
        try:
            poller = self._compute.virtual_machine_scale_sets.begin_set_orchestration_service_state(
                ref.resource_group, ref.name, body, polling_interval=DEFAULT_POLL_SECONDS)
            poller.result(timeout=timeout)
        except Exception as exc:
            raise self._fail(exc, what, ref)
        if not poller.done():
            raise AzureVmssError('Could not %s within %s s; the operation goes on in Azure.'
                                 % (_phrase(what, ref), timeout), status='InProgress')
        return 'Succeeded'

    def send_request(self, method, path, api_version, body=None, operation='call {target}', target='', timeout=120,
                     params=None, expect=None):
        """One ARM request that azure-mgmt-compute has no method for, through the Compute client's own pipeline
        (credential, retries, user agent, request accounting); errors come out translated like the SDK's.

        Returns ``(status_code, headers, body dict or None)``. A 202 with a ``Location`` is followed until
        ARM answers otherwise (ARM's long-running pattern for the Tags API), at the pace of ``Retry-After``.
        ``path`` is relative to Resource Manager's URL, or a whole ``nextLink`` (which carries its own query);
        ``params`` adds to the query; ``expect``, a status code, makes any other answer an error.
        """
        from azure.core.rest import HttpRequest
        from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                           ResourceNotFoundError, map_error)
        error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}
        deadline = time.time() + timeout
        try:
            query = dict(params or {})
            if api_version:
                query['api-version'] = api_version
            url = path if path.startswith('https://') or path.startswith('http://') else self._base_url + path
            response = self._compute.send_request(HttpRequest(method, url, params=query, json=body))
            while response.status_code == 202 and response.headers.get('Location'):
                if time.time() > deadline:
                    raise AzureVmssError('Failed to %s: ARM still answered 202 Accepted after %s s.'
                                         % (_phrase(operation, target), timeout))
                time.sleep(retry_after_seconds(response.headers, default=2))
                response = self._compute.send_request(HttpRequest('GET', response.headers['Location']))
            if response.status_code >= 400 or (expect is not None and response.status_code != expect):
                map_error(status_code=response.status_code, response=response, error_map=error_map)
                raise HttpResponseError(response=response)
        except Exception as exc:
            raise self._fail(exc, operation, target)
        data = None
        if response.content:
            try:
                data = response.json()
            except ValueError:
                data = None
        return response.status_code, response.headers, data


def _phrase(operation, target):
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import describe_action
    return describe_action(operation, str(target))
