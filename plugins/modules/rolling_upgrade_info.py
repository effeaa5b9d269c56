#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: rolling_upgrade_info
short_description: Get the latest rolling upgrade of an Azure virtual machine scale set
version_added: 0.1.0
description:
  - Reads the status of the latest rolling upgrade of a scale set (ARM C(rollingUpgrades/latest)) with one
    request, and says whether it is still running.
  - A scale set that never had a rolling upgrade is not an error; RV(rolling_upgrade) is then empty.
    ARM answers 404 both for that and for a missing scale set, so on a 404 the module reads the scale set
    once to tell the two apart.
  - The same request on both orchestration modes. Flexible scale sets take upgrade policies (Automatic,
    Rolling, Manual; in preview for Flexible when this was written), so Azure answers what it has. Should Azure
    refuse the request on a Flexible scale set (C(400) or C(409) with C(OperationNotAllowed)), the module
    reads the scale set once to confirm its mode and returns RV(available=false) with the reason, and a
    warning, instead of failing, because the information does not exist there (the credentials and the name are fine).
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
  - azure_vmss.maintenance.azure.query
  - azure_vmss.maintenance.azure.info_attributes
'''

EXAMPLES = r'''
- name: Read the latest rolling upgrade (credentials from the environment, for example an AWX credential)
  azure_vmss.maintenance.rolling_upgrade_info:
    resource_group: rg-web
    name: vmss-web
  register: upgrade

- name: Stop if a rolling upgrade is running
  ansible.builtin.assert:
    that: not upgrade.rolling_upgrade_active
    fail_msg: "A rolling upgrade is {{ upgrade.rolling_upgrade.running_status.code }}"

- name: Set credentials once for every module of the collection
  module_defaults:
    group/azure_vmss.maintenance.all:
      subscription_id: "{{ azure_subscription_id }}"
      client_id: "{{ azure_client_id }}"
      secret: "{{ azure_secret }}"
      tenant: "{{ azure_tenant }}"
  block:
    - name: Only the progress counters
      azure_vmss.maintenance.rolling_upgrade_info:
        resource_group: rg-web
        vmss_name: vmss-web
        query: progress
      register: progress

    - name: Show them
      ansible.builtin.debug:
        var: progress.query_result
'''

RETURN = r'''
rolling_upgrade:
  description:
    - The latest rolling upgrade, with ARM's C(properties) lifted to the top and keys in snake_case.
    - Empty when the scale set never had a rolling upgrade. Not returned when O(query) is set.
  returned: success and O(query) is not set
  type: dict
  sample:
    location: westus
    type: Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades
    policy:
      max_batch_instance_percent: 20
      max_unhealthy_instance_percent: 20
      max_unhealthy_upgraded_instance_percent: 20
      pause_time_between_batches: PT0S
    running_status:
      code: Completed
      start_time: '2026-11-20T10:00:00Z'
      last_action: Start
      last_action_time: '2026-11-20T10:00:00Z'
    progress:
      successful_instance_count: 12
      failed_instance_count: 0
      in_progress_instance_count: 0
      pending_instance_count: 0
  contains:
    location:
      description: The Azure region of the scale set.
      type: str
      returned: when ARM sends it
    type:
      description: The resource type, C(Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades).
      type: str
      returned: when ARM sends it
    policy:
      description: The rolling upgrade policy the upgrade ran with.
      type: dict
      returned: when ARM sends it
    running_status:
      description: C(code) (V(RollingForward), V(RollingBack), V(Cancelled), V(Completed), V(Faulted)), start and last action.
      type: dict
      returned: when ARM sends it
    progress:
      description: Counts of successful, failed, in-progress and pending instances.
      type: dict
      returned: when ARM sends it
    error:
      description: The error of a failed upgrade (C(code), C(message), C(target), C(details)).
      type: dict
      returned: when the upgrade failed
rolling_upgrade_active:
  description: Whether the upgrade is running (V(RollingForward) or V(RollingBack)).
  returned: success and O(query) is not set
  type: bool
  sample: false
available:
  description:
    - V(false) when Azure refused the request because the scale set uses Flexible orchestration; then
      RV(rolling_upgrade) is empty and RV(unavailable_reason) says what Azure answered.
  returned: success
  type: bool
  sample: true
unavailable_reason:
  description: Why the latest rolling upgrade is not available, with Azure's error code and message.
  returned: when RV(available) is false
  type: str
  sample: >-
    Azure does not offer the latest rolling upgrade of scale set 'vmss-flex' in resource group 'rg-web',
    which uses Flexible orchestration (Azure: OperationNotAllowed: ...)
query_result:
  description: The result of O(query) applied to the data (RV(rolling_upgrade), RV(rolling_upgrade_active)).
  returned: success and O(query) is set
  type: raw
  sample: {successful_instance_count: 12, failed_instance_count: 0}
'''

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule, QUERY_ARGS
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError, NotAvailableError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import shape_resource, query_result

ACTIVE_CODES = ('RollingForward', 'RollingBack')


def main():
    module = AzureVmssModule(argument_spec=dict(QUERY_ARGS))
    query = module.compile_query()
    unavailable = {}
    try:
        latest = module.client.get_latest_rolling_upgrade(module.scale_set)
    except NotAvailableError as exc:
        latest, unavailable = None, dict(unavailable_reason=exc.msg)
        module.warn(exc.msg)
    except AzureVmssError as exc:
        module.fail_error(exc)

    rolling_upgrade = shape_resource(latest)
    code = (rolling_upgrade.get('running_status') or {}).get('code')
    data = dict(rolling_upgrade=rolling_upgrade, rolling_upgrade_active=code in ACTIVE_CODES)
    module.exit_json(changed=False, available=not unavailable, **dict(unavailable, **query_result(query, data)))


if __name__ == '__main__':
    main()
