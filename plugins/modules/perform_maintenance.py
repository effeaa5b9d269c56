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
  - Starts customer-initiated (self-service) maintenance on chosen instances of a scale set, and by default
    waits until Azure reports it finished. The module learns the scale set's orchestration mode from one
    read of the scale set and uses the matching API; nobody has to say which mode it is.
  - On a B(Uniform) scale set it sends one scale-set-level ARM C(performMaintenance) request for all the
    instances. Azure maintains B(every) instance of the scale set when that request carries no instance ids.
    This module never sends such a request; even with O(all_instances=true) it sends the explicit list of
    eligible instances.
  - On a B(Flexible) scale set, whose instances are ordinary virtual machines, it sends one
    C(virtualMachines/{name}/performMaintenance) request per eligible VM (never a scale-set-level one) and
    follows all of them to the end, reporting each outcome in RV(operations). The requests are paced within
    Azure's write limits (bursts of 100, then 4 a second) and the status polls within its read limits;
    a C(429) answer's C(Retry-After) holds every request back until it has passed. The first request Azure
    refuses stops the ones not sent yet.
  - Before sending anything, the module reads the scale set (for its mode) and the maintenance status of the
    instances (a few instance reads for up to five named instances, else one listing of the scale set's
    instances; as M(azure_vmss.maintenance.instance_view_info) reads them) and sorts them
    into eligible (C(isCustomerInitiatedMaintenanceAllowed) is true), already maintained (the last
    maintenance result is C(MaintenanceCompleted) and Azure no longer offers maintenance), not eligible
    (with the reason, for example no maintenance wave, outside the self-service window, or C(RetryLater)),
    and unknown ids.
  - Instances are named as M(azure_vmss.maintenance.instance_view_info) returns them in C(instance_id), that is the
    numeric instance id on a Uniform scale set, the VM name on a Flexible one.
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
      - The instances to maintain. On a Uniform scale set, their numeric instance ids (C(instanceId), such as
        V('0') or V('12')); on a Flexible scale set, their VM names (such as V(vmss-web_1a2b3c4d)), compared
        without regard to case.
      - Values that are neither fail the task before any request; so does a name on a Uniform scale set (after
        the scale set's read), and an id a Flexible scale set does not have fails naming the scale set's VMs.
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
      - V(false) returns as soon as Azure accepted the request (on a Flexible scale set, every request), with
        RV(status=InProgress), RV(operations) and, on a Uniform scale set, RV(operation_url); check progress
        with M(azure_vmss.maintenance.instance_view_info).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the operation with O(wait=true), counted from the request. Must be
        greater than 0.
      - When it passes, the task fails with RV(status=InProgress); the maintenance goes on in Azure.
    type: int
    default: 3600
  wait_for_health:
    description:
      - V(true) waits, after the maintenance finished (or when nothing was sent), until every named instance (with
        O(all_instances=true), every instance sent) is running and healthy again, or O(health_timeout) has passed,
        in the same module run, and returns what the last read found in RV(health). The task does not fail
        when the instances stay unhealthy, nor when a health read fails; RV(health) says so and the caller decides
        (the safe_maintenance role counts them against its budget).
      - The wait is ended by the clock. Its deadline is computed once, when the wait starts, and checked before and
        after every poll, so the wait ends within one poll of O(health_timeout) however long each poll takes, and
        only a poll that started before the deadline can find the instances recovered.
      - A poll stops reading at the first instance still down, as
        O(azure_vmss.maintenance.instance_view_info#module:stop_at_unrecovered) does. The poll at the deadline
        reads every instance, and so does one more read when the poll that ended the wait stopped early. An
        instance a poll saw down at the deadline stays down in RV(health.instances).
      - Requires O(wait=true). Not done in check mode.
    type: bool
    default: false
  health_timeout:
    description:
      - Seconds the O(wait_for_health) wait lasts at most, counted from its start (after the maintenance finished).
        Must be greater than 0.
    type: int
    default: 600
  health_poll_interval:
    description:
      - Seconds between the end of one health poll and the start of the next, with O(wait_for_health=true).
      - V(0) takes the pace that keeps the polls inside Compute's and ARM's read limits for this many instances of a
        scale set of this capacity (the collection's read-cost model, as the P(azure_vmss.maintenance.poll_interval#filter)
        filter gives it; at least 5 s).
    type: int
    default: 0
  health_fallback:
    description:
      - As M(azure_vmss.maintenance.instance_view_info)'s O(azure_vmss.maintenance.instance_view_info#module:health_fallback), for the reads of
        O(wait_for_health). Set V(true) when the scale set has a health signal.
    type: bool
    default: false
  require_health_signal:
    description:
      - With O(wait_for_health=true), count an instance without a health signal as not recovered (as the
        P(azure_vmss.maintenance.batch_recovered#test) test does).
    type: bool
    default: false
  not_after:
    description:
      - The end of a maintenance window, as an ISO 8601 date-time (V(2026-12-08T03:00:00Z); without an offset it is
        UTC). When it has passed at the moment the module would send the request (after its reads, which can take a
        while on a busy controller), nothing is sent, RV(window_closed) is V(true), C(changed) is V(false) and the
        task does not fail; there is no health wait.
      - The check is made once, just before the request. On a Flexible scale set, whose VMs each get their own
        request, it is made before the first of them; the rest follow within Azure's write pacing.
      - The safe_maintenance role passes the end of its run window (C(safe_maintenance_not_after)) here, so no
        request leaves after it however long the steps between the role's own window check and the request take.
    type: str
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
    returns RV(instance_ids), RV(status), RV(operations) and, when known, RV(operation_url) and ARM's C(error).
  - On a Flexible scale set the VMs' operations are independent. One that fails does not stop the others
    Azure already accepted; RV(operations) says how each ended.
seealso:
  - module: azure_vmss.maintenance.instance_view_info
  - name: Handling maintenance notifications for virtual machine scale sets
    description: Self-service maintenance, its windows and what it does to a VM.
    link: https://learn.microsoft.com/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-maintenance-notifications
  - name: Orchestration modes API comparison
    description: Which APIs a Flexible scale set offers instead of the scale-set VM APIs.
    link: https://learn.microsoft.com/azure/virtual-machine-scale-sets/orchestration-modes-api-comparison
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

- name: Maintain two VMs of a Flexible scale set (its instances are named by VM name)
  azure_vmss.maintenance.perform_maintenance:
    resource_group: rg-web
    name: vmss-flex
    instance_ids: [vmss-flex_1a2b3c4d, vmss-flex_5e6f7a8b]
  register: flexible

- name: Show how each VM's maintenance ended
  ansible.builtin.debug:
    msg: "{{ flexible.operations | map(attribute='status') | list }}"

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
    - The instances maintenance was started for (in check mode, would be started for), numeric ids in
      numeric order, then VM names; numeric ids on a Uniform scale set, VM names (as Azure spells them) on a
      Flexible one.
    - On a Flexible scale set, only the VMs whose request Azure accepted, when a refused request stopped the rest.
    - Empty when nothing was, or would be, sent, and when Azure refused the request (nothing started).
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
      description: The instance id (the VM name on a Flexible scale set).
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
    - V(null) on a Flexible scale set, which has one operation per VM; see RV(operations).
  returned: when a request was sent with O(wait=false), and on failure after the request was sent when known
  type: str
  sample: https://management.azure.com/subscriptions/xxx/providers/Microsoft.Compute/locations/westeurope/operations/yyy?api-version=2026-04-01
operations:
  description:
    - The maintenance operations started, with how each ended (or stood when the module returned). One for
      all the instances on a Uniform scale set; one per VM on a Flexible scale set.
    - Empty when nothing was sent (nothing to do, or check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - instance_ids: [vmss-flex_1a2b3c4d]
      status: Succeeded
      operation_url: https://management.azure.com/subscriptions/xxx/providers/Microsoft.Compute/locations/westeurope/operations/yyy?api-version=2026-04-01
  contains:
    instance_ids:
      description: The instances of this operation.
      type: list
      elements: str
      returned: always
    status:
      description:
        - V(Succeeded), V(Failed), V(Canceled), V(InProgress), V(Unknown) (following it failed), or
          V(NotStarted) (Flexible only, not sent after another request was refused).
      type: str
      returned: always
    operation_url:
      description: The URL Azure gave to follow the operation; V(null) when it gave none.
      type: str
      returned: always
    error:
      description: Azure's error (C(code), C(message), C(target), C(details)) when the operation failed.
      type: dict
      returned: when the operation failed
orchestration_mode:
  description: The scale set's orchestration mode, V(Uniform) or V(Flexible), as read from the scale set.
  returned: always (V(null) when the scale set could not be read)
  type: str
  sample: Flexible
window_closed:
  description:
    - V(true) when O(not_after) had passed at the moment the request would have been sent, so nothing was sent.
  returned: always
  type: bool
  sample: false
elapsed_seconds:
  description:
    - Seconds the module spent, reads included; with O(wait=true) this includes the whole maintenance, and with
      O(wait_for_health=true) the health wait (RV(health.seconds)).
  returned: always
  type: float
  sample: 412.3
health:
  description:
    - What the O(wait_for_health) wait found.
  returned: with O(wait_for_health=true), unless the task failed or there was no instance to wait for
  type: dict
  sample: {recovered: true, timed_out: false, polls: 3, seconds: 41.2, poll_interval: 5, instances: []}
  contains:
    recovered:
      description: V(true) when a poll that started before the deadline found every instance running and healthy.
      type: bool
      returned: always
    timed_out:
      description: V(true) when O(health_timeout) passed first.
      type: bool
      returned: always
    instances:
      description:
        - The instances as the read that ended the wait found them, in the shape of
          RV(azure_vmss.maintenance.instance_view_info#module:instances) (power and health state, Azure's maintenance
          result in C(maintenance.last_operation_result_code)). Every instance waited for, also when the wait timed out.
      type: list
      elements: dict
      returned: unless a health read failed
    msg:
      description: Why a health read failed; the wait ended there.
      type: str
      returned: when a health read failed
    polls:
      description: The health reads made.
      type: int
      returned: always
    seconds:
      description: Seconds the wait lasted.
      type: float
      returned: always
    poll_interval:
      description: The seconds between polls used (O(health_poll_interval), or the pace it chose for V(0)).
      type: int
      returned: always
    health_read:
      description: Where the health states of the last read came from, as RV(azure_vmss.maintenance.instance_view_info#module:health_read).
      type: dict
      returned: always
'''

import datetime
import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    classify_for_maintenance, summarize)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import describe_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import parse_time


# Seconds a scale set GET kept in token_cache_dir by another call of the run may serve this one.
SCALE_SET_MAX_AGE = 120

ARGUMENT_SPEC = dict(
    instance_ids=dict(type='list', elements='str'),
    all_instances=dict(type='bool'),
    skip_ineligible=dict(type='bool', default=True),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=3600),
    wait_for_health=dict(type='bool', default=False),
    health_timeout=dict(type='int', default=600),
    health_poll_interval=dict(type='int', default=0),
    health_fallback=dict(type='bool', default=False),
    require_health_signal=dict(type='bool', default=False),
    not_after=dict(type='str'),
)


def describe_skipped(skipped):
    return '; '.join('%s (%s)' % (item['instance_id'], item['reason']) for item in skipped)


class PerformMaintenance(object):
    """One run of the module: read, sort, (maybe) send, (maybe) wait. Every exit goes through here."""

    def __init__(self, module):
        self.module = module
        self.started = time.time()
        self.result = dict(changed=False, instance_ids=[], skipped_instances=[], already_maintained=[], status=None,
                           operations=[], orchestration_mode=None, window_closed=False)
        self.named = None
        self.not_after = None

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
        if params['wait_for_health']:
            if not params['wait']:
                self.module.fail_json(msg='wait_for_health needs wait: true (the health wait starts after the maintenance).')
            if params['health_timeout'] <= 0:
                self.module.fail_json(msg='health_timeout must be greater than 0 (seconds), got %s.' % params['health_timeout'])
            if params['health_poll_interval'] < 0:
                self.module.fail_json(msg='health_poll_interval must be 0 (automatic) or more (seconds), got %s.'
                                          % params['health_poll_interval'])
        if params['not_after'] is not None:
            self.not_after = parse_time(params['not_after'])
            if self.not_after is None:
                self.module.fail_json(msg='not_after must be an ISO 8601 date-time such as 2026-12-08T03:00:00Z '
                                          '(UTC when it has no offset), got %r.' % params['not_after'])
        if params['instance_ids'] is None:
            if not params['all_instances']:
                self.module.fail_json(msg='all_instances is false and instance_ids is not set: give instance_ids, or '
                                          'all_instances: true to maintain every eligible instance.')
            return None
        return self.module.instance_ids_param()

    def plan(self, requested):
        module = self.module
        # The scale set's mode, id and capacity (which API, which read) do not change between the fleet read the role
        # made seconds ago and this call: another call's answer in the run's folder serves while it is this fresh.
        module.client.scale_set_max_age = SCALE_SET_MAX_AGE
        try:
            vms = module.client.read_instances(module.scale_set, requested)
        except AzureVmssError as exc:
            if exc.extra.get('unknown_instance_ids'):
                exc.msg += '. Nothing was sent.'
            self.result['orchestration_mode'] = module.client.known_orchestration_mode(module.scale_set)
            self.fail_error(exc)
        self.result['orchestration_mode'] = module.client.orchestration_mode(module.scale_set)
        entries = [summarize(vm) for vm in vms]
        if requested is not None:
            # The ids as Azure spells them: VM names match regardless of case, and read_instances keeps the order.
            requested = [entry['instance_id'] for entry in entries]
        self.named = requested
        plan = classify_for_maintenance(entries, requested)
        if plan['unknown']:  # read_instances names them already; kept as a guard, never send for them
            self.fail('instance_ids: %s not in %s. Nothing was sent.' % (describe_ids(plan['unknown']), module.scale_set),
                      unknown_instance_ids=plan['unknown'])
        self.result.update(skipped_instances=plan['skipped'], already_maintained=plan['already_maintained'])
        if plan['skipped'] and not module.params['skip_ineligible']:
            self.fail('Not eligible for maintenance now on %s: %s. Nothing was sent (skip_ineligible is false; set '
                      'it to true to maintain the eligible instances and skip these).'
                      % (module.scale_set, describe_skipped(plan['skipped'])))
        return plan['eligible']

    def wait_for_health(self):
        """The health wait of the named instances (or those sent), in this process; {} when not asked or in check mode.

        Never fails the task: a health read that fails ends the wait with its message in ``health.msg``.
        """
        module = self.module
        ids = self.named if self.named is not None else self.result['instance_ids']
        if not module.params['wait_for_health'] or module.check_mode or not ids:
            return {}
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import health_wait
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import read_cost
        interval = module.params['health_poll_interval']
        if interval <= 0:
            # the scale set's GET of this run (read for its mode already): no request
            capacity = (module.client.get_scale_set(module.scale_set).get('sku') or {}).get('capacity')
            interval = read_cost.poll_interval(len(ids), capacity or len(ids))
        return dict(health=health_wait.wait_for_batch(
            module.client, module.scale_set, ids, module.params['health_timeout'], interval,
            health_fallback=module.params['health_fallback'],
            require_health_signal=module.params['require_health_signal']))

    def run(self):
        module = self.module
        requested = self.requested_ids()
        eligible = self.plan(requested)
        if not eligible:
            self.exit(**self.wait_for_health())
        # The last moment before the request: the reads above may have taken long enough to end the window.
        if self.not_after is not None and datetime.datetime.now(datetime.timezone.utc) >= self.not_after:
            self.exit(window_closed=True)
        self.result.update(changed=True, instance_ids=eligible)
        if module.check_mode:
            self.exit()

        wait = module.params['wait']
        try:
            operation = module.client.begin_perform_maintenance(module.scale_set, eligible, wait=wait)
        except AzureVmssError as exc:
            # Refused before anything started (Azure's recorded 409 OperationNotAllowed, 400 InvalidParameter).
            self.result.update(changed=False, instance_ids=[])
            hint = ''
            if exc.status_code == 409:
                hint = ('Azure rejected the request for instances %s; their eligibility may have changed since the '
                        'module read it: run the task again to re-check.' % describe_ids(eligible))
            self.fail_error(exc, hint)
        # On a Flexible scale set one refused POST stops the rest: only the accepted VMs were sent.
        self.result.update(instance_ids=operation.instance_ids, operations=operation.operations)
        if not wait:
            start_error = operation.start_failure_error()
            if start_error is not None:
                self.result['status'] = 'Failed'
                self.fail_error(start_error)
            status = 'Succeeded' if operation.finished_at_once else 'InProgress'
            self.exit(status=status, operation_url=operation.operation_url)
        try:
            self.result['status'] = operation.wait(module.params['wait_timeout'])
        except AzureVmssError as exc:
            self.result.update(status=exc.extra.get('status'), operations=operation.operations)
            self.fail_error(exc)
        self.result['operations'] = operation.operations
        self.exit(**self.wait_for_health())


def main():
    module = AzureVmssModule(argument_spec=ARGUMENT_SPEC,
                             mutually_exclusive=[('instance_ids', 'all_instances')],
                             required_one_of=[('instance_ids', 'all_instances')])
    PerformMaintenance(module).run()


if __name__ == '__main__':
    main()
