#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: orchestration_service
short_description: Read, suspend or resume an orchestration service (automatic repairs) of an Azure scale set
version_added: 0.1.0
description:
  - Reads the state of one orchestration service of a scale set from the scale set's instance view
    (C(orchestrationServices[].serviceState), one request) and, with O(state), suspends or resumes it with ARM's
    long-running C(POST .../setOrchestrationServiceState) (C(virtual_machine_scale_sets.begin_set_orchestration_service_state)
    in azure-mgmt-compute), waits for it, and reads the instance view again to return the new state.
  - Idempotent. Nothing is sent when the service is already in the wanted state, or when it is C(NotRunning)
    (the service is not enabled on the scale set, for example automatic repairs are off), so there is nothing
    to suspend or resume.
  - Automatic repairs replace, reimage or restart instances that their health signal reports unhealthy; a
    maintenance run suspends them so that a repair does not act on an instance that is rebooting from
    maintenance, and resumes them when it ends. Only resume what you suspended.
  - Azure offers no scale set instance view in C(Flexible) orchestration mode, so this module works on
    C(Uniform) scale sets.
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
options:
  service_name:
    description: The orchestration service.
    type: str
    default: AutomaticRepairs
    choices: [AutomaticRepairs, AutomaticZoneRebalancing]
  state:
    description:
      - V(suspended) suspends the service when it is C(Running); V(running) resumes it when it is C(Suspended).
      - Not set, the module only reads the state.
    type: str
    choices: [running, suspended]
  wait_timeout:
    description: Seconds to wait for Azure to finish the state change. Must be greater than 0.
    type: int
    default: 600
attributes:
  check_mode:
    support: full
    description: Reads the state and reports whether it would change it, with C(changed) as it would be; sends no POST.
  diff_mode:
    support: none
    description: RV(previous_state) and RV(service) show the change.
'''

EXAMPLES = r'''
- name: Suspend automatic repairs for the maintenance run
  azure_vmss.maintenance.orchestration_service:
    resource_group: rg-web
    name: vmss-web
    service_name: AutomaticRepairs
    state: suspended
  register: repairs

- name: Resume them afterwards, only if this run suspended them
  azure_vmss.maintenance.orchestration_service:
    resource_group: rg-web
    name: vmss-web
    state: running
  when: repairs is changed

- name: Only read the state
  azure_vmss.maintenance.orchestration_service:
    resource_group: rg-web
    name: vmss-web
  register: current
'''

RETURN = r'''
service:
  description: The service after the module ran (as the instance view shows it; in check mode, as it was).
  returned: success
  type: dict
  sample: {service_name: AutomaticRepairs, service_state: Suspended}
  contains:
    service_name:
      description: The service's name.
      type: str
      returned: always
    service_state:
      description: V(Running), V(Suspended) or V(NotRunning) (also for a service the instance view does not list).
      type: str
      returned: always
previous_state:
  description: The service's state before the module ran.
  returned: success
  type: str
  sample: Running
action:
  description: What was sent (or would be, in check mode) - V(Suspend), V(Resume), or null when nothing was.
  returned: success
  type: str
  sample: Suspend
reason:
  description: Why, in words (for example V(already Suspended)).
  returned: success
  type: str
  sample: Running -> Suspended
orchestration_services:
  description: Every orchestration service of the scale set, in snake_case, after the module ran.
  returned: success
  type: list
  elements: dict
  sample: [{service_name: AutomaticRepairs, service_state: Suspended}]
'''

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.scale_set import (
    orchestration_services, service_state, service_state_change)

ARGUMENT_SPEC = dict(
    service_name=dict(type='str', default='AutomaticRepairs', choices=['AutomaticRepairs', 'AutomaticZoneRebalancing']),
    state=dict(type='str', choices=['running', 'suspended']),
    wait_timeout=dict(type='int', default=600),
)


def main():
    module = AzureVmssModule(argument_spec=ARGUMENT_SPEC)
    params = module.params
    if params['wait_timeout'] <= 0:
        module.fail_json(msg='wait_timeout must be greater than 0 (seconds), got %s.' % params['wait_timeout'])
    name = params['service_name']
    ref = module.scale_set
    try:
        services = orchestration_services(module.client.get_scale_set_instance_view(ref))
        previous = service_state(services, name)
        action, reason = None, 'read only'
        if params['state']:
            action, reason = service_state_change(previous, params['state'])
        if action and not module.check_mode:
            module.client.set_orchestration_service_state(ref, name, action, timeout=params['wait_timeout'])
            services = orchestration_services(module.client.get_scale_set_instance_view(ref))
            after = service_state(services, name)
            if after.lower() != params['state']:
                module.warn('Azure finished %s of %s on %s, but its instance view still shows %s.'
                            % (action, name, ref, after))
    except AzureVmssError as exc:
        module.fail_error(exc)
    module.exit_json(changed=bool(action), service=dict(service_name=name, service_state=service_state(services, name)),
                     previous_state=previous, action=action, reason=reason, orchestration_services=services)


if __name__ == '__main__':
    main()
