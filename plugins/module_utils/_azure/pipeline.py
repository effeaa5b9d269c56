# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP pieces every request shares: one connection pool per run, its timeouts and retries, and the
rate-limit headers ARM answers with."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


# azure-core's RetryPolicy honours Retry-After on 429 and 5xx; allow a few more status retries than
# its default 3 so a short throttling storm is ridden out rather than failed.
RETRY_SETTINGS = dict(retry_total=10, retry_status=6, retry_connect=3, retry_read=3,
                      retry_backoff_factor=0.8, retry_backoff_max=60)


TIMEOUTS = dict(connection_timeout=15, read_timeout=120)


def new_transport(**options):
    """The run's one connection pool: the credential's Azure AD requests and the client's ARM requests.

    Login and Resource Manager on the same host (Azure Stack Hub, the simulator) then share a TLS
    connection; the timeouts apply to both.
    """
    from azure.core.pipeline.transport import RequestsTransport
    settings = dict(TIMEOUTS)
    settings.update(options)
    return RequestsTransport(**settings)


def parse_remaining_resource(header):
    """``Microsoft.Compute/GetVMScaleSetVM3Min;998,Microsoft.Compute/GetVMScaleSetVM30Min;4998`` -> dict."""
    remaining = {}
    for part in (header or '').split(','):
        name, _sep, count = part.strip().rpartition(';')
        if name and count.strip().lstrip('-').isdigit():
            remaining[name] = int(count)
    return remaining
