# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and maintenance of a Flexible scale set: its VMs through the ordinary Virtual Machines APIs.

Azure refuses the scale-set VM APIs (``virtualMachineScaleSets/{name}/virtualMachines...``) on a Flexible
scale set, so nothing here touches them. Functions take the run's ComputeClient and return wire dicts;
SDK types stay inside, as in client.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.orchestration import (
    belongs_to, describe_names, missing_on_flexible_error, vm_list_filter)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError, redact
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.fan_out import fan_out, NOT_STARTED
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.pacing import (
    retry_after_seconds, TokenBucket)

# Per-VM performMaintenance POSTs count against ARM's writes (per principal and subscription: a bucket of
# 200, refilled 10 a second) and Compute's "Update VM" policy (per subscription: refilled 500 a minute,
# bucket 1,500; per VM 4 a minute, bucket 12, and we send one per VM). Half of each, so the subscription's
# other automation keeps the rest: bursts of 100, then 4 a second (240 a minute).
VM_WRITE_BURST = 100
VM_WRITE_RATE = 4.0
# Operation status polls count against ARM's reads (bucket 250, refilled 25 a second) and Compute's "Get
# Operation" policy (15 a minute per operation, 5,000 per subscription). 10 a second keeps well inside both,
# also with a role polling the batch's health meanwhile.
POLL_BURST = 20
POLL_RATE = 10.0
# Requests in flight at once: the size of the transport's connection pool (instance_reads.INSTANCE_READ_WORKERS).
WORKERS = 10


def spelled_scale_set_id(client, ref):
    """The scale set's resource id as Azure spells it (from the run's one scale-set GET)."""
    return client.get_scale_set(ref).get('id') or client.resource_id(ref)


def list_vms(client, ref, expand='instanceView'):
    """Every VM of the scale set with its instance view: one request per page of the VM list.

    The list of the scale set's resource group, not ``list_all`` over the subscription: Azure creates a
    Flexible scale set's VMs in the scale set's resource group ("The newly created VM must be in the same
    resource group as the Flexible scale set regardless of deployment methods", Azure docs "Flexible
    orchestration for Virtual Machine Scale Sets"), and a resource group's list is the smaller scan.
    ``$expand=instanceView`` is accepted only with this ``$filter``. Each VM is checked against the scale set
    again, so nothing outside it can ever be maintained.
    """
    target = spelled_scale_set_id(client, ref)
    try:
        pager = client.compute.virtual_machines.list(ref.resource_group, filter=vm_list_filter(target), expand=expand)
        vms = list(client.json_items(pager))
    except Exception as exc:
        raise client.fail(exc, 'list the VMs of {target}', ref)
    return [vm for vm in vms if belongs_to(vm, target)]


def get_vms(client, ref, names, stop_when=None):
    """Named VMs, one GET each (``$expand=instanceView``), WORKERS at once; in the order asked.

    A VM that does not exist, or exists but belongs to no or another scale set, is unknown: every unknown
    name is named in one error, together with the scale set's VM names. ``stop_when`` ends the reads early
    as in client.get_instances: the VMs read are returned, and names not read are not checked.
    """
    from azure.core.exceptions import ResourceNotFoundError
    target = spelled_scale_set_id(client, ref)

    def read(name):
        try:
            vm = client.read_json(client.compute.virtual_machines.get, ref.resource_group, name, expand='instanceView')
        except ResourceNotFoundError:
            return name, None, None
        except Exception as exc:
            return name, None, client.fail(exc, "read VM '%s' of {target}" % name, ref)
        if not belongs_to(vm, target):
            return name, None, None
        return name, vm, None

    if len(names) > 1:
        client.one_token_for_all('read VMs %s of {target}' % describe_names(names), ref)
    outcomes = [(o if o is not NOT_STARTED else (name, NOT_STARTED, None))
                for name, o in zip(names, fan_out(read, names, WORKERS, stop_when=lambda o: (
                    stop_when is not None and o[1] is not None and stop_when(o[1]))))]
    failures = [exc for _name, _vm, exc in outcomes if exc is not None]
    if failures:
        raise failures[0]
    missing = [name for name, vm, _exc in outcomes if vm is None]
    if missing:
        raise unknown_names_error(ref, missing, [vm.get('name') for vm in list_vms(client, ref)])
    return [vm for _name, vm, _exc in outcomes if vm is not NOT_STARTED]


def unknown_names_error(ref, missing, vm_names):
    return AzureVmssError(missing_on_flexible_error(missing, vm_names, ref), unknown_instance_ids=list(missing))


def read_vms(client, ref, names=None, stop_when=None):
    """The VMs of the scale set, or the named ones, in the fewest requests (the Uniform rules, client.read_instances)."""
    if not names:
        return list_vms(client, ref)
    if client.named_by_get(ref, len(names)):
        return get_vms(client, ref, names, stop_when=stop_when)
    vms = list_vms(client, ref)
    by_name = dict((str(vm.get('name')).lower(), vm) for vm in vms)
    missing = [name for name in names if name.lower() not in by_name]
    if missing:
        raise unknown_names_error(ref, missing, [vm.get('name') for vm in vms])
    return [by_name[name.lower()] for name in names]


# -- maintenance ------------------------------------------------------------------------------------

class VmOperation(object):
    """One VM's performMaintenance: how it started, where to follow it, and how it ended."""

    def __init__(self, name):
        self.name = name
        self.status = 'NotStarted'
        self.url = None
        self.url_is_location = False  # a Location URL answers 202 while running, not a status body
        self.accepted = False
        self.error = None
        self.message = None
        self.exception = None
        self.next_poll = 0.0

    def result(self):
        entry = dict(instance_ids=[self.name], status=self.status, operation_url=self.url)
        if self.error:
            entry['error'] = self.error
        return entry


def begin_maintenance(client, ref, names, default_poll=15.0):
    """POST ``.../virtualMachines/{name}/performMaintenance`` once for each of ``names``, paced.

    Each POST names exactly one VM, so there is no request that could mean "every VM". The first POST
    that fails stops the ones not yet sent (they stay NotStarted); with none accepted, its error is
    raised as is. Returns a FlexibleMaintenance.
    """
    if not names:
        raise AzureVmssError('Refusing to start maintenance without instance ids on %s' % ref)
    import threading
    pacer = TokenBucket(VM_WRITE_BURST, VM_WRITE_RATE, blocked_until=client.throttled_until)
    stop = threading.Event()
    operations = [VmOperation(name) for name in names]
    started = time.time()
    if len(names) > 1:
        client.one_token_for_all('start maintenance of VMs %s of {target}' % describe_names(names), ref)

    def start(operation):
        pacer.acquire()
        if stop.is_set():
            return
        try:
            poller = client.compute.virtual_machines.begin_perform_maintenance(
                ref.resource_group, operation.name, polling=False)
        except Exception as exc:
            stop.set()
            failure = client.fail(exc, "start maintenance of VM '%s' of {target}" % operation.name, ref)
            operation.status, operation.error, operation.message = 'Failed', failure.error, failure.msg
            operation.exception = failure
            return
        operation.accepted = True
        initial = client.initial_response(poller)
        headers = dict((k.lower(), v) for k, v in (initial.headers if initial is not None else {}).items())
        operation.url = headers.get('azure-asyncoperation') or headers.get('location')
        operation.url_is_location = not headers.get('azure-asyncoperation') and bool(operation.url)
        done = initial is not None and initial.status_code == 200 and not operation.url
        operation.status = 'Succeeded' if done else 'InProgress'
        operation.next_poll = time.time() + retry_after_seconds(headers, default_poll)

    fan_out(start, operations, WORKERS)
    accepted = [op for op in operations if op.status in ('InProgress', 'Succeeded')]
    if not accepted:
        raise next(op.exception for op in operations if op.status == 'Failed')
    return FlexibleMaintenance(client, ref, operations, started, default_poll)


class FlexibleMaintenance(object):
    """Started per-VM operations: wait for all of them within one deadline, reporting each outcome.

    The same face as client.MaintenanceOperation (instance_ids, operation_url, finished_at_once, wait,
    operations), so perform_maintenance treats both modes alike.
    """

    def __init__(self, client, ref, operations, started, default_poll):
        self._client = client
        self.ref = ref
        self._operations = operations
        self.started = started
        self._default_poll = default_poll
        # Several operations have no single URL; each one's is in ``operations``.
        self.operation_url = None

    @property
    def instance_ids(self):
        """The VMs whose maintenance Azure accepted."""
        return [op.name for op in self._operations if op.accepted]

    @property
    def operations(self):
        return [op.result() for op in self._operations]

    @property
    def finished_at_once(self):
        return all(op.status == 'Succeeded' for op in self._operations)

    @property
    def start_failures(self):
        return [op for op in self._operations if not op.accepted]

    def start_failure_error(self):
        """The error for VMs whose maintenance did not start (one refused POST stops the rest), or None."""
        failed = self.start_failures
        if not failed:
            return None
        first = next((op for op in failed if op.status == 'Failed'), None)
        not_started = [op.name for op in failed if op.status == 'NotStarted']
        msg = first.message if first is not None else 'Maintenance did not start'
        if not_started:
            msg = msg.rstrip('.') + '. Not sent after that failure: %s' % describe_names(not_started)
        error = first.exception if first is not None else AzureVmssError(msg)
        return AzureVmssError(redact(msg, self._client.secrets), status_code=error.status_code, error=error.error,
                              status='Failed', operations=self.operations)

    def _poll(self, operation, pacer, deadline):
        from azure.core.rest import HttpRequest
        # Once the deadline has passed, no poll is sent: the wait then ends within the polls already on the wire,
        # however long the pacer or a 429's Retry-After would have held this one.
        if pacer.acquire(max_wait=max(0.0, deadline - time.time())) is None or time.time() >= deadline:
            operation.next_poll = deadline  # no poll fits before it: the loop sleeps until then, and ends
            return
        try:
            response = self._client.compute.send_request(HttpRequest('GET', operation.url))
        except Exception as exc:
            failure = self._client.fail(exc, "follow the maintenance of VM '%s' of {target}" % operation.name, self.ref)
            operation.status, operation.error, operation.message = 'Unknown', failure.error, failure.msg
            return
        operation.next_poll = time.time() + retry_after_seconds(response.headers, self._default_poll)
        body = _json(response)
        if response.status_code == 202:
            return  # still running (a Location URL says so this way)
        if response.status_code in (200, 204) and operation.url_is_location:
            operation.status = 'Succeeded'
            return
        if response.status_code == 200:
            status = body.get('status')
            if status in ('Succeeded', 'Failed', 'Canceled'):
                operation.status = status
                operation.error = _status_error(body) if status != 'Succeeded' else None
            return  # InProgress, or another status that is not final yet: keep following
        operation.status = 'Unknown'
        operation.error = _status_error(body) or dict(
            code=None, message='HTTP %s' % response.status_code, target=None, details=[])

    def wait(self, timeout):
        """'Succeeded' once every operation succeeded; else raises AzureVmssError naming each outcome.

        The deadline counts from the first POST. The error's ``status``: Failed when any operation failed,
        was canceled or did not start, Unknown when following one failed, InProgress when time ran out.
        """
        deadline = self.started + timeout
        pacer = TokenBucket(POLL_BURST, POLL_RATE, blocked_until=self._client.throttled_until)
        while True:
            pending = [op for op in self._operations if op.status == 'InProgress']
            now = time.time()
            if not pending or now >= deadline:
                break
            due = [op for op in pending if op.next_poll <= now]
            if not due:
                time.sleep(max(0.01, min(min(op.next_poll for op in pending), deadline) - now))
                continue
            fan_out(lambda op: self._poll(op, pacer, deadline), due, WORKERS)
        return self._outcome(timeout)

    def _outcome(self, timeout):
        by_status = {}
        for op in self._operations:
            by_status.setdefault(op.status, []).append(op)
        if set(by_status) == {'Succeeded'}:
            return 'Succeeded'
        parts = []
        for status in ('Failed', 'Canceled', 'Unknown', 'NotStarted', 'InProgress'):
            for op in by_status.get(status, []):
                detail = ''
                if op.error and (op.error.get('code') or op.error.get('message')):
                    detail = ': %s: %s' % (op.error.get('code'), op.error.get('message'))
                parts.append("'%s' %s%s" % (op.name, status, detail))
        if any(s in by_status for s in ('Failed', 'Canceled', 'NotStarted')):
            overall = 'Failed'
        elif 'Unknown' in by_status:
            overall = 'Unknown'
        else:
            overall = 'InProgress'
        succeeded = [op.name for op in by_status.get('Succeeded', [])]
        msg = 'Maintenance of VMs on %s did not all succeed: %s' % (self.ref, '; '.join(parts))
        if succeeded:
            msg += '. Succeeded: %s' % describe_names(succeeded)
        if overall == 'InProgress' or 'InProgress' in by_status:
            msg += ('. wait_timeout (%s s) passed with some still running; they go on in Azure: check them with '
                    'azure_vmss.maintenance.instance_view_info (maintenance.last_operation_result_code)' % timeout)
        raise AzureVmssError(redact(msg, self._client.secrets), status=overall, operations=self.operations,
                             instance_ids=self.instance_ids)


def _json(response):
    try:
        body = response.json()
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


def _status_error(body):
    error = body.get('error') if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    return dict(code=error.get('code'), message=error.get('message'), target=error.get('target'),
                details=error.get('details') or [])
