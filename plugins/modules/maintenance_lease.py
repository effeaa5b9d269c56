#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: maintenance_lease
short_description: Take, renew or release the maintenance lease of an Azure virtual machine scale set
version_added: 0.1.0
description:
  - One maintenance run at a time per scale set, across controllers and AWX jobs. The lease is the tag
    C(azure_vmss_maintenance_lease) on the scale set, with the value C(run=<run id>;owner=<owner>;expires=<UTC time>).
  - The tag is written through ARM's Tags API at the scale set's scope
    (C(PATCH {scale set id}/providers/Microsoft.Resources/tags/default) with C(operation) V(Merge) to write it
    and V(Delete) to remove it; api-version 2025-04-01), through the same azure-core pipeline as the Compute
    requests. That writes the C(Microsoft.Resources/tags) extension resource, not the scale set's model, so it
    does not start a model update of the instances. The identity needs C(Microsoft.Resources/tags/write) and
    C(Microsoft.Resources/tags/read) on the scale set (the B(Tag Contributor) role has both).
  - O(action=acquire) reads the lease; if another run holds a live one, it fails before writing anything and
    names the holder. A free or expired lease (or one named by O(break_lease)) is written, and after
    O(confirm_delay) seconds read back; only if the value is still this run's does the run hold it. Of two runs
    that start at the same moment, the later write wins and the other fails naming it. A run that took longer
    than O(confirm_delay) from its read to the end of its write removes its value again and fails, because it
    cannot tell whether it overwrote a run that had already confirmed.
  - O(action=renew) (before each batch) writes a new expiry if this run holds the lease, and reads it back; it
    fails if another run holds it. O(action=release) removes the lease if this run holds it, and leaves another
    run's lease alone. O(action=read) only reads.
  - Expiry is judged by ARM's clock (the C(Date) header of its answers), so controllers with different clocks agree.
  - Each write is one C(PATCH); reads are one C(GET) each. O(action=acquire) costs 3 requests (read, write, read
    back), O(action=renew) 3, O(action=release) 3 (read, delete, read back), O(action=read) 1.
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
options:
  action:
    description: What to do with the lease.
    type: str
    choices: [acquire, renew, release, read]
    default: read
  run_id:
    description:
      - The id of this run, 1 to 64 letters, digits, C(.), C(_), C(:), C(@) or C(-). Required unless O(action=read).
      - The same run id must be used to renew and release the lease it acquired.
    type: str
  owner:
    description:
      - Who runs, for people reading the tag, for example the AWX job (C(awx job 1234)). At most 120 characters, no C(;).
      - Default C(<user>@<host>) of the machine that runs the module.
    type: str
  duration:
    description:
      - Seconds from now until the lease expires, when it is acquired or renewed. Must be greater than O(confirm_delay).
      - Renew well before it passes; an expired lease may be taken over by another run (with a warning).
    type: int
    default: 1800
  break_lease:
    description:
      - The run id of a live lease to take over on purpose with O(action=acquire), for example the lease of a
        cancelled AWX job. A lease held by another run id is still refused.
    type: str
  repairs_suspended:
    description:
      - With O(action=acquire) or O(action=renew), record in the lease that this run has automatic repairs suspended
        (C(;repairs=suspended)). A run that takes the lease over (the holder was killed) sees it as
        C(repairs_suspended) of RV(previous_lease) and knows it must resume them.
    type: bool
    default: false
  confirm_delay:
    description:
      - Seconds to wait after writing the lease before reading it back with O(action=acquire), and the longest
        read-to-write time a run may take (see the description). Give more on slow links.
    type: float
    default: 5
attributes:
  check_mode:
    support: full
    description: Reads the lease and reports what it would do (C(changed) and RV(outcome) as they would be); writes nothing.
  diff_mode:
    support: none
    description: RV(previous_lease) and RV(lease) show the change.
'''

EXAMPLES = r'''
- name: Take the lease for this run (fails, naming the holder, if another run holds it)
  azure_vmss.maintenance.maintenance_lease:
    resource_group: rg-web
    name: vmss-web
    action: acquire
    run_id: "{{ awx_job_id | default(ansible_date_time.epoch) }}"
    owner: "{{ 'awx job ' ~ awx_job_id if awx_job_id is defined else omit }}"
    duration: 1800
  register: lease

- name: Renew it before the next batch
  azure_vmss.maintenance.maintenance_lease:
    resource_group: rg-web
    name: vmss-web
    action: renew
    run_id: "{{ lease.lease.run_id }}"

- name: Release it when the run ends
  azure_vmss.maintenance.maintenance_lease:
    resource_group: rg-web
    name: vmss-web
    action: release
    run_id: "{{ lease.lease.run_id }}"

- name: Take over the lease of a cancelled job on purpose
  azure_vmss.maintenance.maintenance_lease:
    resource_group: rg-web
    name: vmss-web
    action: acquire
    run_id: rerun-1
    break_lease: "1234"
'''

RETURN = r'''
lease:
  description:
    - The lease on the scale set after the module ran (in check mode, what it would be), or null when there is none.
  returned: success, and on failure when a lease was read
  type: dict
  sample: {run_id: '1234', owner: awx job 1234, expires: '2026-12-01T21:30:00Z', repairs_suspended: false,
           value: 'run=1234;owner=awx job 1234;expires=2026-12-01T21:30:00Z'}
  contains:
    run_id:
      description: The run id of the holder (null for a value that does not parse).
      type: str
      returned: always
    owner:
      description: The holder's owner text.
      type: str
      returned: always
    expires:
      description: When the lease expires (UTC, ISO 8601), null for a value that does not parse.
      type: str
      returned: always
    repairs_suspended:
      description: Whether the holder recorded that it has automatic repairs suspended.
      type: bool
      returned: always
    value:
      description: The tag's value as stored.
      type: str
      returned: always
previous_lease:
  description: The lease as the module found it (same keys as RV(lease)), or null.
  returned: success, and on failure when a lease was read
  type: dict
  sample: null
lease_state:
  description: State of RV(lease) by ARM's clock - V(free), V(live) or V(expired).
  returned: success
  type: str
  sample: live
held:
  description: Whether this run holds the lease after the module ran.
  returned: success, and on failure when a lease was read
  type: bool
  sample: true
outcome:
  description:
    - V(acquired), V(renewed), V(took_over_expired), V(broke_lease), V(released), V(not_held) (nothing to release, or
      another run's lease left alone), V(read); on failure V(refused), V(lost), V(lost_race), V(backed_off) or
      V(release_failed).
  returned: always
  type: str
  sample: acquired
'''

import getpass
import socket
import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import lease_record as leases
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.lease import LeaseProtocol
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.tags import ScopeTags, TAG_PERMISSION_HINT

ARGUMENT_SPEC = dict(
    action=dict(type='str', default='read', choices=['acquire', 'renew', 'release', 'read']),
    run_id=dict(type='str'),
    owner=dict(type='str'),
    duration=dict(type='int', default=1800),
    break_lease=dict(type='str'),
    repairs_suspended=dict(type='bool', default=False),
    confirm_delay=dict(type='float', default=5),
)


def default_owner():
    try:
        user = getpass.getuser()
    except Exception:  # no user name in a bare container
        user = 'unknown'
    return '%s@%s' % (user, socket.gethostname())


class Lease(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        self.action = params['action']
        self.run_id = params['run_id']
        self.owner = params['owner'] if params['owner'] is not None else default_owner()
        self.result = dict(changed=False, outcome=None, lease=None, previous_lease=None, held=False)
        self.check_arguments()
        self.tags = None

    def check_arguments(self):
        params = self.module.params
        if self.action != 'read':
            if not self.run_id:
                self.module.fail_json(msg='run_id is required with action=%s.' % self.action)
            problem = leases.run_id_error(self.run_id)
            if problem:
                self.module.fail_json(msg='run_id %r %s.' % (self.run_id, problem))
        problem = leases.owner_error(self.owner)
        if problem:
            self.module.fail_json(msg='owner %r %s.' % (self.owner, problem))
        if params['break_lease'] is not None:
            problem = leases.run_id_error(params['break_lease'])
            if problem:
                self.module.fail_json(msg='break_lease %r %s.' % (params['break_lease'], problem))
            if self.action != 'acquire':
                self.module.fail_json(msg='break_lease works only with action=acquire.')
        if params['confirm_delay'] < 0:
            self.module.fail_json(msg='confirm_delay must be 0 or more (seconds), got %s.' % params['confirm_delay'])
        if params['duration'] <= params['confirm_delay']:
            self.module.fail_json(msg='duration (%s s) must be greater than confirm_delay (%s s).'
                                  % (params['duration'], params['confirm_delay']))

    # -- outcomes -------------------------------------------------------------------------------------
    def exit(self, outcome, current, now, changed=False):
        self.result.update(outcome=outcome, lease=current, changed=changed, lease_state=leases.lease_state(current, now),
                           held=bool(current and current.get('run_id') == self.run_id
                                     and leases.lease_state(current, now) == leases.LIVE))
        self.module.exit_json(**self.result)

    def fail(self, outcome, msg, current):
        self.result.update(outcome=outcome, lease=current,
                           held=bool(current and current.get('run_id') == self.run_id))
        self.module.fail_json(msg=msg, **self.result)

    def run(self):
        module, params = self.module, self.module.params
        ref = module.scale_set
        protocol = LeaseProtocol(ScopeTags(module.client, module.client.resource_id(ref), ref), self.run_id, self.owner,
                                 params['duration'], params['confirm_delay'], params['repairs_suspended'],
                                 sleep=time.sleep, clock=time.time)
        started = time.time()
        current = protocol.read()
        self.result['previous_lease'] = current
        if self.action == 'read':
            self.exit('read', current, protocol.now())
        if self.action == 'release':
            outcome = protocol.release(current, check_mode=module.check_mode)
        elif self.action == 'acquire':
            outcome = protocol.acquire(current, started, params['break_lease'], check_mode=module.check_mode)
        else:
            outcome = protocol.renew(current, started, check_mode=module.check_mode)
        for warning in outcome.warnings:
            module.warn(warning)
        if outcome.failure:
            self.fail(outcome.outcome, outcome.failure, outcome.lease)
        self.exit(outcome.outcome, outcome.lease, protocol.now(), changed=outcome.changed)


def main():
    module = AzureVmssModule(argument_spec=ARGUMENT_SPEC)
    lease = Lease(module)
    try:
        lease.run()
    except AzureVmssError as exc:
        if exc.status_code == 403:
            exc.msg = exc.msg.rstrip('.') + '. ' + TAG_PERMISSION_HINT
        module.fail_error(exc, **lease.result)


if __name__ == '__main__':
    main()
