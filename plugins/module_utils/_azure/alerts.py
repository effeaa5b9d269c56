# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Monitor's fired alerts (the Alerts Management REST API) for a scale set and its resource group.

Read through the run's one ComputeManagementClient pipeline (``ComputeClient``): the same credential and
token cache, retries honouring Retry-After, user agent, timeouts, request accounting and error
translation as every Compute call, and no other SDK package to install. The alert shaping is pure.

Requests go through ``ComputeClient.send_request``, the client's public way to call an ARM API that
azure-mgmt-compute has no method for. Which alerts count is read in _answers/alerts.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.alerts import (
    select_alerts, SEVERITIES, shape_alert)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError

# The newest stable api-version of Alerts_GetAll (azure-rest-api-specs: alertsmanagement stable/2019-03-01;
# every later one is a preview).
API_VERSION = '2019-03-01'
TIME_RANGES = ('1h', '1d', '7d', '30d')
# The API's largest page (pageCount 1..250; 25 by default): the fewest requests.
PAGE_COUNT = 250
# The API's own default timeRange is 1d: an alert firing for longer would not be listed.
DEFAULT_TIME_RANGE = '30d'


def alerts_path(subscription_id):
    return '/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts' % subscription_id


def query_params(ref, severities, alert_states, time_range=DEFAULT_TIME_RANGE):
    """The query of the first request: fired alerts in the scale set's resource group.

    The API filters one severity and one alert state per request: with one wanted, the filter goes to
    the server; with several, select_alerts filters the answer (one request instead of one per value).
    """
    params = {'api-version': API_VERSION, 'targetResourceGroup': ref.resource_group,
              'monitorCondition': 'Fired', 'timeRange': time_range, 'pageCount': str(PAGE_COUNT)}
    if len(severities) == 1:
        params['severity'] = severities[0]
    if len(alert_states) == 1:
        params['alertState'] = alert_states[0]
    return params


def list_fired_alerts(client, ref, severities=SEVERITIES, alert_states=('New',), scope='resource_group',
                      time_range=DEFAULT_TIME_RANGE):
    """The fired alerts of the scale set's resource group (or, scope=scale_set, of the scale set and its
    instances) with the wanted severities and alert states, shaped; pages followed by nextLink."""
    vmss_id = client.resource_id(ref)
    operation = 'read the fired Azure Monitor alerts of {target}'
    path, params = alerts_path(client.subscription_id), query_params(ref, list(severities), list(alert_states), time_range)
    shaped = []
    while path:
        _status, _headers, body = client.send_request('GET', path, None, params=params, operation=operation,
                                                      target=ref, expect=200)
        if not isinstance(body, dict):
            raise AzureVmssError('Failed to %s: the answer is not a JSON object' % operation.format(target=ref))
        for wire in body.get('value') or []:
            if isinstance(wire, dict):
                shaped.append(shape_alert(wire, vmss_id))
        path, params = body.get('nextLink'), None  # the next link carries its own query
    return select_alerts(shaped, severities, alert_states, scope)
