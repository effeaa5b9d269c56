#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: alerts_info
short_description: Get the fired Azure Monitor alerts of an Azure virtual machine scale set and its resource group
version_added: 0.1.0
description:
  - Reads the Azure Monitor alerts that are fired and not resolved (C(monitorCondition=Fired)) for the scale set's
    resource group, which includes the scale set and its instances, from the Alerts Management REST API
    (C(GET /subscriptions/{id}/providers/Microsoft.AlertsManagement/alerts), api-version C(2019-03-01)), one
    request per page of up to 250 alerts.
  - The request goes through the same Azure pipeline as the collection's Compute calls (credentials, retries
    that honour C(Retry-After), user agent, error messages); no other Azure SDK package is needed.
  - The identity needs C(Microsoft.AlertsManagement/alerts/read) on the subscription (the Monitoring Reader
    and Reader roles have it).
  - Use it to hold a maintenance run while something is wrong; the P(azure_vmss.maintenance.safe_maintenance#role)
    role's alert gate is built on it.
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
  - azure_vmss.maintenance.azure.query
  - azure_vmss.maintenance.azure.info_attributes
options:
  severities:
    description:
      - The alert severities to return; V(Sev0) is the most severe, V(Sev4) the least.
      - With one severity the API filters it; with several, the module filters the API's answer (one request
        instead of one per severity).
    type: list
    elements: str
    choices: [Sev0, Sev1, Sev2, Sev3, Sev4]
    default: [Sev0, Sev1, Sev2, Sev3, Sev4]
  alert_states:
    description:
      - The alert states (set by people in the portal) to return. V(New) is an alert nobody has taken yet;
        V(Acknowledged) one somebody is working on. Closed alerts are never returned.
    type: list
    elements: str
    choices: [New, Acknowledged]
    default: [New]
  scope:
    description:
      - V(resource_group) returns the alerts of every resource in the scale set's resource group (a load
        balancer or database the scale set serves, the scale set itself and its instances).
      - V(scale_set) returns only the alerts whose target is the scale set or one of its instances.
    type: str
    choices: [resource_group, scale_set]
    default: resource_group
  time_range:
    description:
      - How far back an alert may have started and still be returned. The API's own default is one day, which
        would hide an alert that has been firing for longer, so the module asks for the most the API keeps.
    type: str
    choices: [1h, 1d, 7d, 30d]
    default: 30d
'''

EXAMPLES = r'''
- name: Fired, unresolved alerts of the scale set's resource group (credentials from the environment)
  azure_vmss.maintenance.alerts_info:
    resource_group: rg-web
    name: vmss-web
  register: fired

- name: Stop while a Sev0 to Sev2 alert fires on the scale set
  azure_vmss.maintenance.alerts_info:
    resource_group: rg-web
    name: vmss-web
    scope: scale_set
    severities: [Sev0, Sev1, Sev2]
  register: severe
  failed_when: severe.alerts | length > 0

- name: Only the names and severities
  azure_vmss.maintenance.alerts_info:
    resource_group: rg-web
    vmss_name: vmss-web
    query: "alerts[].[name, severity]"
  register: names
'''

RETURN = r'''
alerts:
  description:
    - The fired alerts, the most severe first, then the oldest. The API's C(properties.essentials) are at the
      top of each alert, next to its C(id), C(name) and C(type), with keys in snake_case.
  returned: success and O(query) is not set
  type: list
  elements: dict
  sample:
    - id: /subscriptions/0000/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web/providers/Microsoft.AlertsManagement/alerts/1
      name: cpu high
      type: Microsoft.AlertsManagement/alerts
      severity: Sev1
      monitor_condition: Fired
      alert_state: New
      monitor_service: Platform
      signal_type: Metric
      target_resource: /subscriptions/0000/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web
      target_resource_name: vmss-web
      target_resource_group: rg-web
      target_resource_type: virtualmachinescalesets
      alert_rule: /subscriptions/0000/resourceGroups/rg-web/providers/microsoft.insights/metricAlerts/cpu-high
      start_date_time: '2026-12-01T20:00:00Z'
      last_modified_date_time: '2026-12-01T20:00:00Z'
      description: CPU above 90% for 5 minutes
      on_scale_set: true
  contains:
    id:
      description: The alert's ARM id.
      type: str
      returned: always
    name:
      description: The alert's name (the alert rule's name).
      type: str
      returned: always
    severity:
      description: V(Sev0) (critical) to V(Sev4) (verbose).
      type: str
      returned: always
    monitor_condition:
      description: Always V(Fired).
      type: str
      returned: always
    alert_state:
      description: V(New) or V(Acknowledged).
      type: str
      returned: always
    target_resource:
      description: The ARM id of the resource the alert is about.
      type: str
      returned: always
    target_resource_group:
      description: The resource group of that resource.
      type: str
      returned: always
    start_date_time:
      description: When the alert fired (ISO 8601).
      type: str
      returned: always
    on_scale_set:
      description: Whether the alert's target is the scale set or one of its instances.
      type: bool
      returned: always
query_result:
  description: The result of O(query) applied to the data (RV(alerts)).
  returned: success and O(query) is set
  type: raw
  sample: [[cpu high, Sev1]]
'''

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule, QUERY_ARGS
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import query_result
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import alerts as monitor
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import variables
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import alerts


def main():
    spec = dict(
        severities=dict(type='list', elements='str', choices=list(variables.SEVERITIES), default=list(variables.SEVERITIES)),
        alert_states=dict(type='list', elements='str', choices=list(alerts.ALERT_STATES), default=['New']),
        scope=dict(type='str', choices=['resource_group', 'scale_set'], default='resource_group'),
        time_range=dict(type='str', choices=list(monitor.TIME_RANGES), default=monitor.DEFAULT_TIME_RANGE),
    )
    spec.update(QUERY_ARGS)
    module = AzureVmssModule(argument_spec=spec)
    query = module.compile_query()
    params = module.params
    for name in ('severities', 'alert_states'):
        if not params[name]:
            module.fail_json(msg='%s is empty: give at least one of %s.' % (
                name, ', '.join(variables.SEVERITIES if name == 'severities' else alerts.ALERT_STATES)))
    try:
        fired = monitor.list_fired_alerts(module.client, module.scale_set, severities=sorted(set(params['severities'])),
                                          alert_states=sorted(set(params['alert_states'])), scope=params['scope'],
                                          time_range=params['time_range'])
    except AzureVmssError as exc:
        module.fail_error(exc)
    module.exit_json(changed=False, **query_result(query, dict(alerts=fired)))


if __name__ == '__main__':
    main()
