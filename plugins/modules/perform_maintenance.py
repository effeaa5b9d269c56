#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: perform_maintenance
short_description: Start self-service maintenance on instances of an Azure virtual machine scale set
version_added: 0.1.0
description:
  - Starts customer-initiated (self-service) maintenance on chosen instances of a scale set with one
    scale-set-level ARM C(performMaintenance) request, and by default waits until Azure reports the
    operation finished.
  - Azure maintains B(every) instance of the scale set when that request carries no instance ids. This
    module never sends such a request; even with O(all_instances=true) it sends the explicit list of
    eligible instances.
  - Before sending anything, the module reads the maintenance status of the instances (a few instance
    reads for up to five named instances, else one listing of the scale set's instances) and sorts them
    into eligible (C(isCustomerInitiatedMaintenanceAllowed) is true), already maintained (the last
    maintenance result is C(MaintenanceCompleted) and Azure no longer offers maintenance), not eligible
    (with the reason, for example no maintenance wave, outside the self-service window, or C(RetryLater)),
    and unknown ids.
  - Unknown instance ids fail the task before any request is sent. Not eligible instances are left out
    and listed in RV(skipped_instances), or fail the task before anything is sent with
    O(skip_ineligible=false) (ARM would reject the whole request with C(409 OperationNotAllowed)).
  - When no instance is left to maintain, nothing is sent and C(changed) is V(false), so running the
    same task again is idempotent.
  - Self-service maintenance moves each instance to an updated host and reboots it; the temporary disk
    is lost.
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
options:
  instance_ids:
    description:
      - The instance ids (the scale set's numeric C(instanceId) values, such as V('0') or V('12')) to maintain.
      - Exactly one of O(instance_ids) and O(all_instances=true) is required.
    type: list
    elements: str
  all_instances:
    description:
      - V(true) to maintain every instance of the scale set that is eligible now. The module still sends
        the explicit list of those instances, never a request without ids.
      - Exactly one of O(instance_ids) and O(all_instances=true) is required; O(all_instances=false) without
        O(instance_ids) is an error. The two options exclude each other, so do not set O(all_instances) at all
        (not even to V(false)) together with O(instance_ids).
    type: bool
  skip_ineligible:
    description:
      - V(true) leaves instances that Azure does not allow to be maintained now out of the request and lists
        them in RV(skipped_instances).
      - V(false) fails the task, before anything is sent, when any requested instance is not eligible.
        Instances that were already maintained never cause a failure.
    type: bool
    default: true
  wait:
    description:
      - V(true) follows the long-running operation until Azure reports it finished, polling as often as
        Azure's C(Retry-After) header says, for at most O(wait_timeout) seconds.
      - V(false) returns as soon as Azure accepted the request, with RV(status=InProgress) and
        RV(operation_url); check progress with M(azure_vmss.maintenance.instance_view_info).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the operation with O(wait=true), counted from the request. Must be
        greater than 0.
      - When it passes, the task fails with RV(status=InProgress); the maintenance goes on in Azure.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    description: Makes the same reads, reports what would be sent and skipped with C(changed) as it would be, and sends nothing.
  diff_mode:
    support: none
    description: The result lists exactly which instances were sent, skipped and already maintained.
notes:
  - The eligibility of an instance can change between the module's check and its request. If ARM then
    rejects the request (C(409 OperationNotAllowed)) the task fails with ARM's message and the ids sent;
    run it again to re-check.
  - A task that fails after the request was sent (the operation failed, or O(wait_timeout) passed) still
    returns RV(instance_ids), RV(status) and, when known, RV(operation_url) and ARM's C(error).
seealso:
  - module: azure_vmss.maintenance.instance_view_info
  - name: Handling maintenance notifications for virtual machine scale sets
    description: Self-service maintenance, its windows and what it does to a VM.
    link: https://learn.microsoft.com/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-maintenance-notifications
'''

EXAMPLES = r'''
- name: Maintain two instances, credentials for every module of the collection set once
  module_defaults:
    group/azure_vmss.maintenance.all:
      subscription_id: "{{ azure_subscription_id }}"
      client_id: "{{ azure_client_id }}"
      secret: "{{ azure_secret }}"
      tenant: "{{ azure_tenant }}"
  block:
    - name: Maintain instances 0 and 3, skipping any that Azure does not allow now
      azure_vmss.maintenance.perform_maintenance:
        resource_group: rg-web
        name: vmss-web
        instance_ids: ['0', '3']
      register: maintenance

    - name: Show what was maintained and what was left out
      ansible.builtin.debug:
        msg: >-
          maintained {{ maintenance.instance_ids }}, already done {{ maintenance.already_maintained }},
          skipped {{ maintenance.skipped_instances | map(attribute='instance_id') | list }}

- name: Preview maintaining every eligible instance (sends nothing)
  azure_vmss.maintenance.perform_maintenance:
    resource_group: rg-web
    vmss_name: vmss-web
    all_instances: true
  check_mode: true
  register: preview

- name: Fail rather than skip when an instance is not eligible
  azure_vmss.maintenance.perform_maintenance:
    resource_group: rg-web
    name: vmss-web
    instance_ids: "{{ preview.instance_ids }}"
    skip_ineligible: false
    wait_timeout: 1800
  when: preview.changed

- name: Start maintenance without waiting
  azure_vmss.maintenance.perform_maintenance:
    resource_group: rg-web
    name: vmss-web
    instance_ids: ['5']
    wait: false
  register: started

- name: Poll the instance until its maintenance has completed
  azure_vmss.maintenance.instance_view_info:
    resource_group: rg-web
    name: vmss-web
    instance_ids: "{{ started.instance_ids }}"
  register: view
  until: >-
    view.instances | map(attribute='maintenance.last_operation_result_code')
    | reject('equalto', 'MaintenanceCompleted') | list | length == 0
  retries: 60
  delay: 60
  when: started.changed
'''

RETURN = r'''
instance_ids:
  description:
    - The instance ids the request was sent for (in check mode, would be sent for), in numeric order.
    - Empty when nothing was, or would be, sent.
  returned: always
  type: list
  elements: str
  sample: ['0', '1', '10']
skipped_instances:
  description:
    - The requested instances (with O(all_instances=true), the scale set's instances) that were left out
      because Azure does not allow maintenance on them now, in numeric order.
  returned: always
  type: list
  elements: dict
  sample:
    - instance_id: '5'
      reason: 'Azure asked to retry later (RetryLater): Maintenance cannot be performed at this time.'
  contains:
    instance_id:
      description: The instance id.
      type: str
      returned: always
    reason:
      description: Why Azure does not allow maintenance on it, read from its maintenance status.
      type: str
      returned: always
already_maintained:
  description:
    - The requested instances (with O(all_instances=true), the scale set's instances) whose last maintenance
      completed and that Azure no longer offers maintenance for; they are not sent.
  returned: always
  type: list
  elements: str
  sample: ['2']
status:
  description:
    - The operation's status. V(Succeeded) or V(Failed) (on failure, also V(Canceled), or V(Unknown) when
      polling failed before Azure reported an end) with O(wait=true); V(InProgress) with O(wait=false), or
      when O(wait_timeout) passed.
    - V(null) when no request was sent (nothing to do, or check mode).
  returned: always
  type: str
  sample: Succeeded
operation_url:
  description:
    - The URL of the Azure operation (its C(Azure-AsyncOperation) header), to follow it outside Ansible.
  returned: when a request was sent with O(wait=false), and on failure after the request was sent when known
  type: str
  sample: https://management.azure.com/subscriptions/xxx/providers/Microsoft.Compute/locations/westeurope/operations/yyy?api-version=2026-04-01
elapsed_seconds:
  description:
    - Seconds the module spent, reads included; with O(wait=true) this includes the whole maintenance.
  returned: always
  type: float
  sample: 412.3
'''

import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.instances import (
    classify_for_maintenance, summarize)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.client import describe_ids

ARGUMENT_SPEC = dict(
    instance_ids=dict(type='list', elements='str'),
    all_instances=dict(type='bool'),
    skip_ineligible=dict(type='bool', default=True),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=3600),
)


def describe_skipped(skipped):
    return '; '.join('%s (%s)' % (item['instance_id'], item['reason']) for item in skipped)


class PerformMaintenance(object):
    """One run of the module: read, sort, (maybe) send, (maybe) wait. Every exit goes through here."""

    def __init__(self, module):
        self.module = module
        self.started = time.time()
        self.result = dict(changed=False, instance_ids=[], skipped_instances=[], already_maintained=[], status=None)

    def elapsed(self):
        return round(time.time() - self.started, 1)

    def exit(self, **extra):
        self.result.update(extra)
        self.module.exit_json(elapsed_seconds=self.elapsed(), **self.result)

    def fail(self, msg, **extra):
        data = dict(self.result)
        data.update(extra)
        self.module.fail_json(msg=msg, elapsed_seconds=self.elapsed(), **data)

    def fail_error(self, exc, msg_suffix=''):
        if msg_suffix:
            exc.msg = exc.msg.rstrip('.') + '. ' + msg_suffix
        data = dict(self.result)
        data['elapsed_seconds'] = self.elapsed()
        self.module.fail_error(exc, **data)

    # -- steps ------------------------------------------------------------------------------------
    def requested_ids(self):
        params = self.module.params
        if params['wait_timeout'] <= 0:
            self.module.fail_json(msg='wait_timeout must be greater than 0 (seconds), got %s.' % params['wait_timeout'])
        if params['instance_ids'] is None:
            if not params['all_instances']:
                self.module.fail_json(msg='all_instances is false and instance_ids is not set: give instance_ids, or '
                                          'all_instances: true to maintain every eligible instance.')
            return None
        return self.module.instance_ids_param()

    def plan(self, requested):
        module = self.module
        try:
            vms = module.client.read_instances(module.scale_set, requested)
        except AzureVmssError as exc:
            if exc.extra.get('unknown_instance_ids'):
                exc.msg += '. Nothing was sent.'
            self.fail_error(exc)
        plan = classify_for_maintenance([summarize(vm) for vm in vms], requested)
        if plan['unknown']:  # read_instances names them already; kept as a guard, never send for them
            self.fail('instance_ids: %s not in %s. Nothing was sent.' % (describe_ids(plan['unknown']), module.scale_set),
                      unknown_instance_ids=plan['unknown'])
        self.result.update(skipped_instances=plan['skipped'], already_maintained=plan['already_maintained'])
        if plan['skipped'] and not module.params['skip_ineligible']:
            self.fail('Not eligible for maintenance now on %s: %s. Nothing was sent (skip_ineligible is false; set '
                      'it to true to maintain the eligible instances and skip these).'
                      % (module.scale_set, describe_skipped(plan['skipped'])))
        return plan['eligible']

    def run(self):
        module = self.module
        requested = self.requested_ids()
        eligible = self.plan(requested)
        if not eligible:
            self.exit()
        self.result.update(changed=True, instance_ids=eligible)
        if module.check_mode:
            self.exit()

        wait = module.params['wait']
        try:
            operation = module.client.begin_perform_maintenance(module.scale_set, eligible, wait=wait)
        except AzureVmssError as exc:
            hint = ''
            if exc.status_code == 409:
                hint = ('Azure rejected the request for instances %s; their eligibility may have changed since the '
                        'module read it: run the task again to re-check.' % describe_ids(eligible))
            self.fail_error(exc, hint)
        if not wait:
            status = 'Succeeded' if operation.finished_at_once else 'InProgress'
            self.exit(status=status, operation_url=operation.operation_url)
        try:
            self.result['status'] = operation.wait(module.params['wait_timeout'])
        except AzureVmssError as exc:
            self.result['status'] = exc.extra.get('status')
            self.fail_error(exc)
        self.exit()


def main():
    module = AzureVmssModule(argument_spec=ARGUMENT_SPEC,
                             mutually_exclusive=[('instance_ids', 'all_instances')],
                             required_one_of=[('instance_ids', 'all_instances')])
    PerformMaintenance(module).run()


if __name__ == '__main__':
    main()
