#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: instance_view_info
short_description: Get the instance views of the VMs of an Azure virtual machine scale set
version_added: 0.1.0
description:
  - Reads the instance view of every VM of a scale set, or of the VMs named in O(instance_ids), and returns
    for each the fields a playbook needs without digging (power state, health, maintenance status, zone,
    update and fault domain) next to the full instance view.
  - The scale set itself is read first, once; its orchestration mode decides which APIs hold its VMs, so
    nobody has to say which mode it is. Uniform scale sets serve their VMs through the scale-set VM APIs
    (C(virtualMachineScaleSets/{name}/virtualMachines)); a Flexible scale set's VMs are ordinary virtual
    machines, read with the Virtual Machines APIs of the scale set's resource group, filtered on
    C(virtualMachineScaleSet/id) (Azure refuses the scale-set VM APIs on a Flexible scale set).
  - The whole fleet is read from the paged VM list with C($expand=instanceView), one request per page of
    the list, not one per VM.
  - Up to 5 named instances are read with C(GET .../virtualMachines/{id}?$expand=instanceView), one request
    each, 5 at once. That costs the same Compute throttling bucket as C(.../virtualMachines/{id}/instanceView),
    and unlike it carries the VM's C(zones), which RV(instances[].zone) needs. For more than 5 named instances
    the scale set's capacity decides, and the named instances are read by GET when that takes fewer requests than
    the VM list, or when the list has more than one page and at most 200 instances are named (the list draws
    on the scale set's scarce high-cost read budget, 10 pages a minute); otherwise from the VM list, one
    request per page.
  - Instances are named the same way in every result on both modes. RV(instances[].instance_id) is the
    numeric instance id on a Uniform scale set and the VM name on a Flexible one; RV(instances[].name) is the
    VM name on both.
  - An instance id that is not in the scale set fails the module, naming every such id (on a Flexible scale
    set, also the VM names it has).
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
  - azure_vmss.maintenance.azure.query
  - azure_vmss.maintenance.azure.info_attributes
options:
  instance_ids:
    description:
      - The instances to read. On a Uniform scale set, their numeric instance ids (C(instanceId), such as
        V('0') or V('12')); on a Flexible scale set, their VM names (such as V(vmss-web_1a2b3c4d)), compared
        without regard to case. That is, the RV(instances[].instance_id) values.
      - Values that are neither fail before any request; a name on a Uniform scale set fails after the scale
        set's read, before any instance is read.
      - Each id may appear once. When not set, every instance of the scale set is read.
    type: list
    elements: str
  health_fallback:
    description:
      - Set V(true) when the scale set has a health signal (see M(azure_vmss.maintenance.scale_set_info)). If none of the
        instances read carries C(vmHealth), their health is read from each instance's own instance view
        (C(GET .../virtualMachines/{id}/instanceView), 10 at once) instead, and RV(health_read) says so.
      - Azure documents C(vmHealth) on the instance view; no public source shows the VM list carrying it. Without
        this fallback, a list without it makes every instance read as health unknown.
      - The fallback costs one request per instance read - 1,000 for a fleet of 1,000, about 10 s at 10 at once
        and 100 ms each, drawn from ARM's read budget (250, refilled 25 a second) and Compute's scale-set VM
        GET budget - instead of the list's 10 pages.
    type: bool
    default: false
  stop_at_unrecovered:
    description:
      - Set V(true) in a poll that waits until the named instances have all recovered (the
        M(azure_vmss.maintenance.perform_maintenance) then health wait of the safe_maintenance role). Once one instance
        read is not running, failed to provision, or reports a health state other than healthy, the poll has its answer
        (not all recovered) and the reads not sent yet are not sent; RV(instances) then holds only the instances read
        (with that one) and RV(stopped_early) is V(true). Read again without it when every instance's state is needed.
      - A poll of 200 instances during the minutes they reboot then costs about 10 to 20 requests instead of 200. An
        instance without a health state does not stop the read (O(health_fallback) may still find one).
      - Only named instances read one GET each (on both modes) stop early; the VM list is read in full.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Read every instance (credentials from the environment, for example an AWX credential)
  azure_vmss.maintenance.instance_view_info:
    resource_group: rg-web
    name: vmss-web
  register: fleet

- name: Instances Azure allows self-service maintenance on
  ansible.builtin.debug:
    msg: "{{ fleet.instances | selectattr('maintenance_allowed') | map(attribute='instance_id') | list }}"

- name: Set credentials once for every module of the collection
  module_defaults:
    group/azure_vmss.maintenance.all:
      subscription_id: "{{ azure_subscription_id }}"
      client_id: "{{ azure_client_id }}"
      secret: "{{ azure_secret }}"
      tenant: "{{ azure_tenant }}"
  block:
    - name: Two instances (two requests)
      azure_vmss.maintenance.instance_view_info:
        resource_group: rg-web
        vmss_name: vmss-web
        instance_ids: ['0', '12']
      register: two

    - name: Ids of the unhealthy instances of a large fleet, without the rest of the data in the job output
      azure_vmss.maintenance.instance_view_info:
        resource_group: rg-web
        vmss_name: vmss-web
        query: "instances[?health_state=='unhealthy'].instance_id"
      register: unhealthy

    - name: Show them
      ansible.builtin.debug:
        var: unhealthy.query_result

- name: Two VMs of a Flexible scale set, named by their VM names
  azure_vmss.maintenance.instance_view_info:
    resource_group: rg-web
    name: vmss-flex
    instance_ids: [vmss-flex_1a2b3c4d, vmss-flex_5e6f7a8b]
  register: flexible_two
'''

RETURN = r'''
instances:
  description:
    - The instances, sorted by numeric instance id (on a Flexible scale set, by VM name). Every entry has every
      key listed here, however it was read and whatever the mode; a value ARM did not send is null.
  returned: success and O(query) is not set
  type: list
  elements: dict
  sample:
    - instance_id: '2'
      name: vmss-web_2
      zone: '3'
      power_state: running
      provisioning_state: succeeded
      health_state: healthy
      maintenance_allowed: true
      maintenance:
        is_customer_initiated_maintenance_allowed: true
        pre_maintenance_window_start_time: '2026-11-20T00:00:00Z'
        pre_maintenance_window_end_time: '2026-12-04T00:00:00Z'
        maintenance_window_start_time: '2026-12-05T00:00:00Z'
        maintenance_window_end_time: '2026-12-12T00:00:00Z'
        last_operation_result_code: None
      platform_update_domain: 2
      platform_fault_domain: 0
      latest_model_applied: true
      instance_view:
        platform_update_domain: 2
        platform_fault_domain: 0
        statuses:
          - code: ProvisioningState/succeeded
            level: Info
            display_status: Provisioning succeeded
          - code: PowerState/running
            level: Info
            display_status: VM running
        vm_health:
          status:
            code: HealthState/healthy
            level: Info
            display_status: The VM is healthy
  contains:
    instance_id:
      description:
        - How the instance is named in O(instance_ids) and in every module of the collection.
        - The numeric instance id on a Uniform scale set; the VM name on a Flexible scale set.
      type: str
    name:
      description:
        - The VM's resource name on both modes (on Uniform C(<scale set>_<instance id>); on Flexible the VM's
          own name, by default C(<scale set>_<8 characters>)).
      type: str
    zone:
      description: The availability zone of the VM; null where the scale set has no zones.
      type: str
    power_state:
      description: The part after C(PowerState/) of the power status, such as V(running), V(stopped), V(deallocated).
      type: str
    provisioning_state:
      description: The part after C(ProvisioningState/) of the provisioning status, lower case, such as V(succeeded).
      type: str
    health_state:
      description:
        - V(healthy), V(unhealthy), V(initializing) or V(unknown) from the application health signal;
          null where the scale set has no health signal (no health probe or extension).
      type: str
    maintenance_allowed:
      description: Whether Azure allows customer-initiated (self-service) maintenance on the VM now.
      type: bool
    maintenance:
      description:
        - The VM's maintenance redeploy status (C(is_customer_initiated_maintenance_allowed), the
          C(pre_maintenance_window_*) and C(maintenance_window_*) times, C(last_operation_result_code),
          C(last_operation_message)); null when the VM is not in a maintenance wave.
      type: dict
    platform_update_domain:
      description: The update domain of the VM; null on a Flexible scale set, which has no update domains.
      type: int
    platform_fault_domain:
      description: The fault domain of the VM.
      type: int
    latest_model_applied:
      description: Whether the VM runs the scale set's latest model; null when ARM does not say (a Flexible scale set's VMs, ordinary VMs, do not carry it).
      type: bool
    instance_view:
      description: The full instance view, keys in snake_case (C(statuses), C(vm_agent), C(disks), C(extensions) ...).
      type: dict
orchestration_mode:
  description: The scale set's orchestration mode, V(Uniform) or V(Flexible), as read from the scale set.
  returned: success and O(query) is not set
  type: str
  sample: Uniform
summary:
  description:
    - Counts over RV(instances). Values that ARM did not send (no power state, no health signal) are counted
      under V(unreported).
  returned: success and O(query) is not set
  type: dict
  sample:
    total: 5
    maintenance_allowed: 4
    power_states: {running: 5}
    health_states: {healthy: 4, unhealthy: 1}
  contains:
    total:
      description: The number of instances returned.
      type: int
    maintenance_allowed:
      description: How many of them allow customer-initiated maintenance now.
      type: int
    power_states:
      description: Instances per RV(instances[].power_state).
      type: dict
    health_states:
      description: Instances per RV(instances[].health_state).
      type: dict
health_read:
  description:
    - Where the health states came from - C(source) V(vm_read) (the VM list or VM reads themselves) or
      V(instance_view) (the fallback of O(health_fallback)), and C(extra_requests), the requests the fallback made.
  returned: success and O(query) is not set
  type: dict
  sample: {source: vm_read, extra_requests: 0}
stopped_early:
  description:
    - V(true) when O(stop_at_unrecovered) ended the read before every named instance was read; RV(instances) and
      RV(summary) then cover only the instances read, and at least one of them has not recovered.
  returned: success and O(query) is not set
  type: bool
  sample: false
query_result:
  description:
    - The result of O(query) applied to the data (a dict with the keys RV(instances), RV(summary), RV(stopped_early),
      RV(orchestration_mode) and RV(health_read)).
  returned: success and O(query) is set
  type: raw
  sample: ['10']
'''

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule, QUERY_ARGS
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import summarize, sort_instances
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import query_result
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.health_wait import read_health

UNREPORTED = 'unreported'


def count_by(entries, key):
    counts = {}
    for entry in entries:
        value = entry.get(key) or UNREPORTED
        counts[value] = counts.get(value, 0) + 1
    return counts


def fleet_summary(entries):
    return dict(
        total=len(entries),
        maintenance_allowed=sum(1 for entry in entries if entry.get('maintenance_allowed')),
        power_states=count_by(entries, 'power_state'),
        health_states=count_by(entries, 'health_state'),
    )


def main():
    spec = dict(QUERY_ARGS)
    spec.update(instance_ids=dict(type='list', elements='str'), health_fallback=dict(type='bool', default=False),
                stop_at_unrecovered=dict(type='bool', default=False))
    module = AzureVmssModule(argument_spec=spec)
    instance_ids = module.instance_ids_param()
    query = module.compile_query()
    try:
        vms, health_read = read_health(module.client, module.scale_set, instance_ids,
                                       health_fallback=module.params['health_fallback'],
                                       stop_early=module.params['stop_at_unrecovered'])
    except AzureVmssError as exc:
        module.fail_error(exc)

    instances = sort_instances([summarize(vm) for vm in vms])
    data = dict(instances=instances, summary=fleet_summary(instances),
                orchestration_mode=module.client.orchestration_mode(module.scale_set), health_read=health_read,
                stopped_early=bool(instance_ids) and len(instances) < len(instance_ids))
    module.exit_json(changed=False, **query_result(query, data))


if __name__ == '__main__':
    main()
