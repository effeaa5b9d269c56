#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: scale_set_info
short_description: Get the settings of an Azure virtual machine scale set that matter for maintenance
version_added: 0.1.0
description:
  - Reads one scale set (C(GET virtualMachineScaleSets/{name}), one request) and returns the settings that decide
    how it may be maintained - capacity and SKU, zones, orchestration mode, the upgrade policy (mode, rolling
    upgrade policy, automatic OS upgrade policy), the automatic repairs policy, which health signal the scale set
    has (a load balancer probe, the Application Health extension, or none), the platform fault domain count,
    single placement group, provisioning state and tags.
  - With O(instance_view=true) it also reads the scale set's instance view (one more request) for the states of
    its orchestration services (for example whether automatic repairs are C(Running) or C(Suspended)). Azure does
    not offer that instance view for scale sets in C(Flexible) orchestration mode; there the module leaves
    RV(scale_set.orchestration_services) out and warns.
  - Only these fields are returned, not the whole model (which also holds the OS profile and extension settings).
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
  - azure_vmss.maintenance.azure.query
  - azure_vmss.maintenance.azure.info_attributes
options:
  instance_view:
    description:
      - V(true) also reads the scale set's instance view and returns RV(scale_set.orchestration_services).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Read the scale set (credentials from the environment, for example an AWX credential)
  azure_vmss.maintenance.scale_set_info:
    resource_group: rg-web
    name: vmss-web
    instance_view: true
  register: vmss

- name: Refuse a scale set without a health signal
  ansible.builtin.assert:
    that: vmss.scale_set.health_signal.kind != 'none'
    fail_msg: Add a load balancer health probe or the Application Health extension first.

- name: Only the rolling upgrade policy
  azure_vmss.maintenance.scale_set_info:
    resource_group: rg-web
    name: vmss-web
    query: scale_set.upgrade_policy.rolling_upgrade_policy
  register: policy
'''

RETURN = r'''
scale_set:
  description: The scale set's settings, in snake_case. Not returned when O(query) is set.
  returned: success and O(query) is not set
  type: dict
  sample:
    id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web
    name: vmss-web
    location: westeurope
    capacity: 12
    sku: {name: Standard_D2s_v5, tier: Standard, capacity: 12}
    zones: ['1', '2', '3']
    orchestration_mode: Uniform
    upgrade_policy:
      mode: Rolling
      rolling_upgrade_policy: {max_batch_instance_percent: 20, max_unhealthy_instance_percent: 20,
                               max_unhealthy_upgraded_instance_percent: 20, pause_time_between_batches: PT0S}
      automatic_os_upgrade_policy: {enable_automatic_os_upgrade: false}
    automatic_repairs_policy: {enabled: true, grace_period: PT30M, repair_action: Replace}
    health_signal:
      kind: application_health_extension
      probe_id: null
      extension: {name: HealthExtension, type: ApplicationHealthLinux, publisher: Microsoft.ManagedServices,
                  type_handler_version: '2.0', protocol: http, port: 80, request_path: /health}
    platform_fault_domain_count: 1
    single_placement_group: false
    provisioning_state: Succeeded
    tags: {team: web}
    orchestration_services: [{service_name: AutomaticRepairs, service_state: Running}]
  contains:
    id:
      description: The scale set's resource id.
      type: str
      returned: always
    name:
      description: The scale set's name.
      type: str
      returned: always
    location:
      description: Its Azure region.
      type: str
      returned: always
    capacity:
      description: The number of instances the scale set is set to (C(sku.capacity)).
      type: int
      returned: always
    sku:
      description: C(name), C(tier) and C(capacity) of the scale set's SKU.
      type: dict
      returned: always
    zones:
      description: The availability zones of the scale set; empty when it is regional.
      type: list
      elements: str
      returned: always
    orchestration_mode:
      description: V(Uniform) or V(Flexible) (V(Uniform) when ARM does not say).
      type: str
      returned: always
    upgrade_policy:
      description:
        - C(mode) (V(Automatic), V(Manual) or V(Rolling)), C(rolling_upgrade_policy) and C(automatic_os_upgrade_policy)
          with ARM's fields in snake_case; a part the scale set does not have is null.
      type: dict
      returned: always
    automatic_repairs_policy:
      description: C(enabled) (false when the scale set has no policy), C(grace_period) (ISO 8601) and C(repair_action).
      type: dict
      returned: always
    health_signal:
      description:
        - C(kind) is V(load_balancer_probe), V(application_health_extension) or V(none).
        - C(probe_id) is the load balancer probe of the network profile, if any.
        - C(extension) holds the Application Health extension's C(name), C(type), C(publisher),
          C(type_handler_version), C(protocol), C(port) and C(request_path), or null.
      type: dict
      returned: always
    platform_fault_domain_count:
      description: The platform fault domain count.
      type: int
      returned: when ARM sends it
    single_placement_group:
      description: Whether the scale set is limited to one placement group.
      type: bool
      returned: when ARM sends it
    provisioning_state:
      description: The scale set's provisioning state, for example V(Succeeded) or V(Updating).
      type: str
      returned: when ARM sends it
    tags:
      description: The scale set's tags, names exactly as set.
      type: dict
      returned: always
    orchestration_services:
      description:
        - Each orchestration service of the instance view with C(service_name) (V(AutomaticRepairs),
          V(AutomaticZoneRebalancing)) and C(service_state) (V(Running), V(Suspended), V(NotRunning)); newer
          api-versions add C(latest_operation_status) and C(last_status_change_time).
      type: list
      elements: dict
      returned: when O(instance_view=true) and the scale set is not Flexible
query_result:
  description: The result of O(query) applied to the data (a dict with the key RV(scale_set)).
  returned: success and O(query) is set
  type: raw
  sample: {max_batch_instance_percent: 20}
'''

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.orchestration import FLEXIBLE, orchestration_mode
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule, QUERY_ARGS
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import query_result
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.scale_set import shape_scale_set

FLEXIBLE_NOTE = ('Azure offers no scale set instance view in Flexible orchestration mode, so '
                 'orchestration_services is not returned for %s.')


def main():
    spec = dict(QUERY_ARGS)
    spec.update(instance_view=dict(type='bool', default=False))
    module = AzureVmssModule(argument_spec=spec)
    query = module.compile_query()
    ref = module.scale_set
    try:
        wire = module.client.get_scale_set(ref)
        view = None
        if module.params['instance_view']:
            if orchestration_mode(wire) == FLEXIBLE:
                module.warn(FLEXIBLE_NOTE % ref)
            else:
                view = module.client.get_scale_set_instance_view(ref)
    except AzureVmssError as exc:
        module.fail_error(exc)
    data = dict(scale_set=shape_scale_set(wire, view))
    module.exit_json(changed=False, **query_result(query, data))


if __name__ == '__main__':
    main()
