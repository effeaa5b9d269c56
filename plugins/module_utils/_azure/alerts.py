# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Monitor's fired alerts (the Alerts Management REST API) for a scale set and its resource group.

Read through the run's one ComputeManagementClient pipeline (``ComputeClient``): the same credential and
token cache, retries honouring Retry-After, user agent, timeouts, request accounting and error
translation as every Compute call, and no other SDK package to install. The alert shaping is pure.

It uses two parts of ComputeClient that client.py keeps for itself (``_compute``, the lazily built SDK
client, and ``_fail``, its error translation) so that the Compute client needs no change for another
provider's API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import snake_dict
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError

# The newest stable api-version of Alerts_GetAll (azure-rest-api-specs: alertsmanagement stable/2019-03-01;
# every later one is a preview).
API_VERSION = '2019-03-01'
SEVERITIES = ('Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4')
ALERT_STATES = ('New', 'Acknowledged')
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


def scale_set_id(subscription_id, ref):
    return '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s' % (
        subscription_id, ref.resource_group, ref.name)


def on_scale_set(target_resource, vmss_id):
    """Whether an alert's target is the scale set or one of its instances (ARM ids are case-insensitive)."""
    target = (target_resource or '').rstrip('/').lower()
    vmss = vmss_id.lower()
    return target == vmss or target.startswith(vmss + '/')


def shape_alert(wire, vmss_id):
    """One alert of the API's answer -> the module's dict: the essentials at the top, snake_case."""
    essentials = dict(((wire.get('properties') or {}).get('essentials') or {}))
    flat = dict(essentials)
    for key in ('id', 'name', 'type'):
        if key in wire:
            flat[key] = wire[key]
    shaped = snake_dict(flat)
    shaped['on_scale_set'] = on_scale_set(essentials.get('targetResource'), vmss_id)
    return shaped


def select_alerts(alerts, severities, alert_states, scope='resource_group'):
    """The shaped alerts that are fired and wanted: severity, alert state and (scope=scale_set) target."""
    wanted_sev = set(severities)
    wanted_state = set(alert_states)
    picked = []
    for alert in alerts:
        if alert.get('monitor_condition') != 'Fired':
            continue
        if alert.get('severity') not in wanted_sev or alert.get('alert_state') not in wanted_state:
            continue
        if scope == 'scale_set' and not alert.get('on_scale_set'):
            continue
        picked.append(alert)
    # the most severe first, then the oldest
    return sorted(picked, key=lambda a: (a.get('severity') or '', a.get('start_date_time') or '', a.get('name') or ''))


def list_fired_alerts(client, ref, severities=SEVERITIES, alert_states=('New',), scope='resource_group',
                      time_range=DEFAULT_TIME_RANGE):
    """The fired alerts of the scale set's resource group (or, scope=scale_set, of the scale set and its
    instances) with the wanted severities and alert states, shaped; pages followed by nextLink."""
    from azure.core.rest import HttpRequest

    sdk = client._compute
    subscription_id = sdk._config.subscription_id
    vmss_id = scale_set_id(subscription_id, ref)
    # a path relative to the client's Resource Manager URL: send_request joins them, as for Compute calls
    request = HttpRequest('GET', alerts_path(subscription_id),
                          params=query_params(ref, list(severities), list(alert_states), time_range))
    shaped = []
    while request is not None:
        body = _send(client, sdk, request, ref)
        for wire in body.get('value') or []:
            if isinstance(wire, dict):
                shaped.append(shape_alert(wire, vmss_id))
        next_link = body.get('nextLink')
        request = HttpRequest('GET', next_link) if next_link else None
    return select_alerts(shaped, severities, alert_states, scope)


def _send(client, sdk, request, ref):
    """One request through the Compute SDK client's pipeline; the JSON body, or the translated error."""
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceNotFoundError,
                                       map_error)
    operation = 'read the fired Azure Monitor alerts of {target}'
    try:
        response = sdk.send_request(request)
        if response.status_code != 200:
            # the error mapping the generated Compute operations use, so 401 reads as an authentication error
            map_error(response.status_code, response, {401: ClientAuthenticationError, 404: ResourceNotFoundError})
            raise HttpResponseError(response=response)
        body = response.json()
    except Exception as exc:
        raise client._fail(exc, operation, ref)
    if not isinstance(body, dict):
        raise AzureVmssError('Failed to %s: the answer is not a JSON object' % operation.format(target=ref))
    return body
