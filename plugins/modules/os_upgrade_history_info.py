#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: os_upgrade_history_info
short_description: Get the OS upgrade history of an Azure virtual machine scale set
version_added: 0.1.0
description:
  - Reads the OS image upgrades of a scale set (ARM C(osUpgradeHistory)), newest first as Azure sends them.
  - Follows the C(nextLink) of every page, one request per page, until the history ends or O(max_items)
    entries are collected; no further page is fetched after that.
  - Azure keeps the attempts of about the last two months (at most the last five); a scale set without any
    OS upgrade returns an empty list.
  - The same request on both orchestration modes. Automatic OS image upgrades are a Uniform feature (Azure's
    orchestration modes comparison, when this was written), so a Flexible scale set may have no history or
    Azure may refuse the request. When Azure refuses it on a Flexible scale set (C(400) or C(409) with
    C(OperationNotAllowed)), the module reads the scale set once to confirm its mode and returns an empty
    RV(os_upgrades) with RV(available=false), the reason and a warning, instead of failing.
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
  - azure_vmss.maintenance.azure.query
  - azure_vmss.maintenance.azure.info_attributes
options:
  max_items:
    description:
      - Return at most this many entries (the newest ones) and stop paging once they are in hand.
      - Must be greater than 0. When not set, every page is read.
    type: int
'''

EXAMPLES = r'''
- name: Read the whole OS upgrade history (credentials from the environment, for example an AWX credential)
  azure_vmss.maintenance.os_upgrade_history_info:
    resource_group: rg-web
    name: vmss-web
  register: history

- name: Stop if the last OS upgrade did not complete
  ansible.builtin.assert:
    that: history.os_upgrades | length == 0 or history.os_upgrades[0].running_status.code == 'Completed'

- name: Set credentials once for every module of the collection
  module_defaults:
    group/azure_vmss.maintenance.all:
      subscription_id: "{{ azure_subscription_id }}"
      client_id: "{{ azure_client_id }}"
      secret: "{{ azure_secret }}"
      tenant: "{{ azure_tenant }}"
  block:
    - name: Only the newest upgrade (reads one page)
      azure_vmss.maintenance.os_upgrade_history_info:
        resource_group: rg-web
        vmss_name: vmss-web
        max_items: 1
      register: latest

    - name: Image versions and outcomes of the upgrades started by the platform
      azure_vmss.maintenance.os_upgrade_history_info:
        resource_group: rg-web
        vmss_name: vmss-web
        query: "os_upgrades[?started_by=='Platform'].{code: running_status.code, version: target_image_reference.version}"
      register: platform_upgrades

    - name: Show them
      ansible.builtin.debug:
        var: platform_upgrades.query_result
'''

RETURN = r'''
os_upgrades:
  description:
    - The OS upgrades, newest first, each with ARM's C(properties) lifted to the top and keys in snake_case.
    - Empty when the scale set never had an OS upgrade. Keys ARM does not send are absent.
  returned: success and O(query) is not set
  type: list
  elements: dict
  sample:
    - type: Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory
      location: westeurope
      running_status:
        code: Completed
        start_time: '2026-11-17T10:00:00Z'
        end_time: '2026-11-17T10:35:00Z'
      progress:
        successful_instance_count: 5
        failed_instance_count: 0
        in_progress_instance_count: 0
        pending_instance_count: 0
      started_by: User
      target_image_reference:
        publisher: Canonical
        offer: 0001-com-ubuntu-server-jammy
        sku: 22_04-lts-gen2
        version: 22.04.202611010
  contains:
    running_status:
      description:
        - C(code) (V(RollingForward), V(Cancelled), V(Completed), V(Faulted)), C(start_time) and C(end_time).
        - The keys are Azure's as it sends them; an answer Azure gave in 2018 (api-version 2019-03-01) has
          C(completed_time) where the reference says C(end_time).
      type: dict
      returned: when ARM sends it
    progress:
      description: Counts of successful, failed, in-progress and pending instances.
      type: dict
      returned: when ARM sends it
    started_by:
      description: Who started the upgrade, V(User), V(Platform) or V(Unknown).
      type: str
      returned: when ARM sends it
    target_image_reference:
      description: The image the upgrade moved to (C(publisher), C(offer), C(sku), C(version), C(exact_version), C(id) ...).
      type: dict
      returned: when ARM sends it
    error:
      description: The error of a failed upgrade (C(code), C(message), C(target), C(details), C(innererror)).
      type: dict
      returned: when the upgrade failed
    rollback_info:
      description: Counts of rolled back instances and the C(rollback_error), if a rollback ran.
      type: dict
      returned: when ARM sends it
available:
  description:
    - V(false) when Azure refused the request because the scale set uses Flexible orchestration; then
      RV(os_upgrades) is empty and RV(unavailable_reason) says what Azure answered.
  returned: success
  type: bool
  sample: true
unavailable_reason:
  description: Why the OS upgrade history is not available, with Azure's error code and message.
  returned: when RV(available) is false
  type: str
  sample: >-
    Azure does not offer the OS upgrade history of scale set 'vmss-flex' in resource group 'rg-web',
    which uses Flexible orchestration (Azure: OperationNotAllowed: ...)
query_result:
  description: The result of O(query) applied to the data (a dict with the key RV(os_upgrades)).
  returned: success and O(query) is set
  type: raw
  sample: [{code: Completed, version: 22.04.202610150}]
'''

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule, QUERY_ARGS
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError, NotAvailableError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import shape_resource, query_result


def main():
    spec = dict(QUERY_ARGS)
    spec.update(max_items=dict(type='int'))
    module = AzureVmssModule(argument_spec=spec)
    max_items = module.params['max_items']
    if max_items is not None and max_items < 1:
        module.fail_json(msg='max_items must be greater than 0, got %d.' % max_items)
    query = module.compile_query()
    unavailable = {}
    try:
        history = module.client.list_os_upgrade_history(module.scale_set, max_items=max_items)
    except NotAvailableError as exc:
        history, unavailable = [], dict(unavailable_reason=exc.msg)
        module.warn(exc.msg)
    except AzureVmssError as exc:
        module.fail_error(exc)

    data = dict(os_upgrades=[shape_resource(item) for item in history])
    module.exit_json(changed=False, available=not unavailable, **dict(unavailable, **query_result(query, data)))


if __name__ == '__main__':
    main()
