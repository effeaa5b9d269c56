# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Uniform scale set's performMaintenance as a long-running operation: its initial answer, its wait."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import describe_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError, redact


class MaintenanceOperation(object):
    """A started performMaintenance: wait for it within a deadline, or hand back its URL."""

    def __init__(self, client, ref, instance_ids, poller, operation_url, started=None, initial_status=None):
        self._client = client
        self.ref = ref
        self.instance_ids = list(instance_ids)
        self.poller = poller
        self.operation_url = operation_url
        self.started = started if started is not None else time.time()
        # 200 without an operation URL: ARM finished synchronously; 202 (or a URL): still running.
        self.initial_status = initial_status
        self.status = 'Succeeded' if self.finished_at_once else 'InProgress'

    @property
    def finished_at_once(self):
        return self.initial_status == 200 and not self.operation_url

    @property
    def operations(self):
        """The one scale-set-level operation, shaped as flexible.FlexibleMaintenance reports each of its own."""
        return [dict(instance_ids=self.instance_ids, status=self.status, operation_url=self.operation_url)]

    def start_failure_error(self):
        return None  # one POST: it either started (this object exists) or raised

    def wait(self, timeout):
        """'Succeeded' once done; raises AzureVmssError on failure or when ``timeout`` seconds have passed
        since the request was sent (the deadline counts from the POST, not from this call).

        The error's ``status`` is the operation's last status: Failed or Canceled when Azure ended it so,
        InProgress on timeout, Unknown when polling itself failed (network, throttling) before an answer.
        """
        remaining = max(0.0, self.started + timeout - time.time())
        try:
            self.poller.result(timeout=remaining)
        except Exception as exc:
            err = self._client._fail(exc, 'maintain instances %s of {target}' % describe_ids(self.instance_ids), self.ref)
            err.extra.setdefault('instance_ids', self.instance_ids)
            status = _poller_status(self.poller)
            if status in ('Failed', 'Canceled') and err.error and err.status_code == 200:
                # The operation ended badly; the 200 is only the status poll's answer, not the failure.
                err.msg = redact('Maintenance of instances %s on %s ended %s: %s: %s' % (
                    describe_ids(self.instance_ids), self.ref, status, err.error.get('code'),
                    err.error.get('message')), self._client.secrets)
                err.status_code = None
            err.extra.setdefault('status', status if status in ('Failed', 'Canceled') else 'Unknown')
            self.status = err.extra['status']
            if self.operation_url:
                err.extra.setdefault('operation_url', self.operation_url)
            raise err
        if not self.poller.done():
            self.status = 'InProgress'
            raise AzureVmssError(
                'Maintenance of instances %s on %s did not finish within wait_timeout (%s s). The operation goes on in '
                'Azure: check it with azure_vmss.maintenance.instance_view_info (maintenance.last_operation_result_code) '
                'or at %s' % (describe_ids(self.instance_ids), self.ref, timeout, self.operation_url or 'the portal'),
                instance_ids=self.instance_ids, operation_url=self.operation_url, status='InProgress')
        self.status = 'Succeeded'
        return 'Succeeded'


def _initial_response(poller):
    """The HTTP answer to the request that started an LRO (NoPolling and LROBasePolling both keep it)."""
    try:
        return poller.polling_method()._initial_response.http_response
    except AttributeError:
        return None


def _poller_status(poller):
    try:
        return poller.status()
    except Exception:
        return None
