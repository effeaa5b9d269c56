#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: scale_set_snapshot
short_description: Snapshot an Azure virtual machine scale set as a scenario of the collection's simulator
version_added: 0.2.0
description:
  - Reads one scale set with GET requests only and writes a scenario file that the collection's simulator
    (C(tests/simulator/simulate.py serve --scenario-file FILE)) serves, so the C(safe_maintenance) role can
    rehearse on the operator's own fleet without touching it.
  - The scenario holds the scale set (orchestration mode, SKU, zones, upgrade and rolling upgrade policy, health
    signal, automatic repairs and their state, provisioning state, tags, the latest rolling upgrade, the newest
    OS upgrades), every instance (zone, update and fault domain, power state, health, latest model, whether it
    is in a maintenance wave, eligibility, the last maintenance result, the four window times relative to the
    snapshot's time) and the fired Azure Monitor alerts of the resource group.
  - Requests - the scale set GET, its instance view (Uniform with automatic repairs), the latest rolling upgrade,
    the OS upgrade history (Uniform), the VM list, the alerts list. Never a write.
  - Left out - secrets (the scenario's credentials are the simulator's own), resource ids, VM ids, computer names,
    disks, networks, the OS and extension settings, the messages of results and errors, and the lease tag
    C(azure_vmss_maintenance_lease). The subscription id only with O(include_subscription_id=true).
  - With O(fidelity_path) the same pass records the shape of every answer (status codes, the names of the
    headers that matter, JSON keys and types, the values of a few closed sets such as status codes and states;
    never names, ids, times or messages) and writes it; with O(compare_with) it also lists the differences to
    an earlier shape file, which is how the simulator's answers are compared with Azure's.
author:
  - azure_vmss.maintenance contributors (@azure-vmss)
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - azure_vmss.maintenance.azure.scale_set
options:
  path:
    description:
      - The scenario file to write (JSON, which the simulator reads as YAML). Its folder must exist.
      - Written with mode 0600; not written in check mode.
    type: path
    required: true
  neutral_names:
    description:
      - V(true) replaces the resource group (C(rg-rehearsal)), the scale set (C(vmss-rehearsal)), Flexible VM names
        (C(vmss-rehearsal_00000001) ..., in the original names' order), tag values and alert names, and writes the
        replacements to O(mapping_path).
    type: bool
    default: false
  mapping_path:
    description:
      - Where the original -> neutral names go with O(neutral_names=true); keep it apart from the scenario.
      - Required with O(neutral_names=true).
    type: path
  include_subscription_id:
    description:
      - V(true) writes the real subscription id into the scenario; by default the simulator's own is used.
    type: bool
    default: false
  alerts:
    description: V(false) does not read the fired Azure Monitor alerts (for an identity without Monitor read access).
    type: bool
    default: true
  maintenance:
    description:
      - How long the simulator takes to maintain each VM, in scenario seconds; Azure does not say, so these are
        the rehearsal's assumption. The simulator's C(--time-scale) shortens them all.
    type: dict
    default: {duration: 600, recovery: 60, retry_after: 15}
    suboptions:
      duration:
        description: Seconds from the request to the VM running again.
        type: int
        default: 600
      recovery:
        description: Seconds after that until its health is C(healthy).
        type: int
        default: 60
      retry_after:
        description: The C(Retry-After) of the maintenance operation's answers.
        type: int
        default: 15
  fidelity_path:
    description:
      - Where to write the shapes of the answers this pass got (JSON); a file to attach to an issue.
    type: path
  compare_with:
    description:
      - An earlier O(fidelity_path) file (for example the one written against Azure); the differences between it
        (as V(azure)) and this pass's answers (as V(simulator)) go into RV(differences) and the new fidelity file.
      - Requires O(fidelity_path).
    type: path
notes:
  - The snapshot is one moment; windows and deadlines are written relative to the time in ARM's C(Date) header.
  - How long maintenance takes, whether a VM recovers, and what Azure answers under load cannot be read; name them
    as faults when rehearsing (C(simulate.py serve --fault ...)).
attributes:
  check_mode:
    support: full
    description: Reads as usual and reports whether a file would change, but writes no file.
  diff_mode:
    support: none
    description: No diff is shown.
'''

EXAMPLES = r'''
- name: Snapshot vmss-web into a scenario, names made neutral, with the shapes of Azure's answers
  azure_vmss.maintenance.scale_set_snapshot:
    resource_group: rg-web
    name: vmss-web
    path: /tmp/rehearsal/scenario.json
    neutral_names: true
    mapping_path: /secure/vmss-web-names.json
    fidelity_path: /tmp/rehearsal/fidelity-azure.json

- name: The same pass against the simulator serving that scenario, compared with Azure's answers
  azure_vmss.maintenance.scale_set_snapshot:
    resource_group: rg-rehearsal
    name: vmss-rehearsal
    path: /tmp/rehearsal/scenario-from-simulator.json
    fidelity_path: /tmp/rehearsal/fidelity-report.json
    compare_with: /tmp/rehearsal/fidelity-azure.json
  register: fidelity
'''

RETURN = r'''
scenario_path:
  description: The scenario file (O(path)).
  returned: always
  type: str
  sample: /tmp/rehearsal/scenario.json
taken_at:
  description: The time of ARM's answer to the VM list (its C(Date) header), which every relative time is from.
  returned: always
  type: str
  sample: '2026-12-07T06:00:00Z'
orchestration_mode:
  description: V(Uniform) or V(Flexible).
  returned: always
  type: str
  sample: Uniform
instance_count:
  description: How many instances the scenario holds.
  returned: always
  type: int
  sample: 12
alert_count:
  description: How many fired alerts the scenario holds.
  returned: always
  type: int
  sample: 0
requests_sent:
  description: The ARM requests of this pass (all of them reads).
  returned: always
  type: int
  sample: 5
answer_kinds:
  description: How many kinds of request (method and path with names replaced) the fidelity file describes.
  returned: when O(fidelity_path) is set
  type: int
  sample: 5
differences:
  description:
    - The differences between O(compare_with) (V(azure)) and this pass's answers (V(simulator)); each has
      C(request), C(difference) and, for body fields, C(path).
  returned: when O(compare_with) is set
  type: list
  elements: dict
  sample: [{request: "GET /subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachineScaleSets/{}",
            path: .properties.priorityMixPolicy, difference: only in Azure}]
'''

import datetime
import json
import os
import tempfile

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError, NotAvailableError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import shapes
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import snapshot
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.scale_set import (
    shape_scale_set, orchestration_services, service_state)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import times


def _dump(data):
    return json.dumps(data, indent=2, sort_keys=True) + '\n'


def _write(module, path, text):
    """Write ``text`` to ``path`` (mode 0600) unless it is already there; True when it changed (or would)."""
    try:
        with open(path) as handle:
            if handle.read() == text:
                return False
    except (IOError, OSError):
        pass
    if module.check_mode:
        return True
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        module.fail_json(msg='The folder of %s does not exist: create it first, or give another path.' % path)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix='.snapshot-')
    try:
        with os.fdopen(handle, 'w') as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except (IOError, OSError) as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        module.fail_json(msg='Cannot write %s: %s' % (path, exc))
    return True


def _observer(recorded, pages):
    """Records each answer's shape (when ``recorded`` is a dict) and the VM list's pages (length, more to come)."""
    from ansible.module_utils.six.moves.urllib.parse import urlparse

    def observe(pipeline_response):
        request, response = pipeline_response.http_request, pipeline_response.http_response
        body = None
        if 'json' in str(response.headers.get('Content-Type', '')).lower():
            try:
                body = json.loads(response.text() or 'null')
            except ValueError:
                body = None
        path = urlparse(request.url).path
        if recorded is not None:
            shapes.add(recorded, request.method, path, response.status_code, response.headers, body)
        if path.lower().endswith('/virtualmachines') and isinstance(body, dict) and isinstance(body.get('value'), list):
            pages.append((len(body['value']), bool(body.get('nextLink'))))
    return observe


def _read(module, ref, wants_alerts):
    client = module.client
    scale_set = client.get_scale_set(ref)
    shaped = shape_scale_set(scale_set)
    flexible = shaped['orchestration_mode'] == 'Flexible'
    repairs_state = None
    if not flexible and shaped['automatic_repairs_policy']['enabled']:
        repairs_state = service_state(orchestration_services(client.get_scale_set_instance_view(ref)))
    try:
        rolling = client.get_latest_rolling_upgrade(ref)
    except NotAvailableError:
        rolling = None
    history = [] if flexible else client.list_os_upgrade_history(ref, max_items=3)
    vms = client.read_instances(ref)
    # ARM's clock, not this host's: the windows are relative to when ARM answered the VM list.
    now = times.parse_time(client.last_headers.get('Date')) or datetime.datetime.now(datetime.timezone.utc)
    alerts = []
    if wants_alerts:
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.alerts import list_fired_alerts
        try:
            alerts = list_fired_alerts(client, ref, alert_states=('New', 'Acknowledged'))
        except AzureVmssError as exc:
            module.warn('The fired alerts were not read, so the scenario has none: %s. Set alerts=false to skip '
                        'them, or give the identity Microsoft.AlertsManagement/alerts/read.' % exc.msg)
    return dict(scale_set=scale_set, shaped=shaped, repairs_state=repairs_state, rolling=rolling, history=history,
                vms=vms, now=now, alerts=alerts)


def main():
    spec = dict(
        path=dict(type='path', required=True),
        neutral_names=dict(type='bool', default=False),
        mapping_path=dict(type='path'),
        include_subscription_id=dict(type='bool', default=False),
        alerts=dict(type='bool', default=True),
        maintenance=dict(type='dict', default=dict(snapshot.DEFAULT_MAINTENANCE), options=dict(
            duration=dict(type='int', default=600), recovery=dict(type='int', default=60),
            retry_after=dict(type='int', default=15))),
        fidelity_path=dict(type='path'),
        compare_with=dict(type='path'),
    )
    module = AzureVmssModule(argument_spec=spec,
                             required_if=[('neutral_names', True, ('mapping_path',))],
                             required_by=dict(compare_with=('fidelity_path',)))
    params = module.params
    earlier = None
    if params['compare_with']:
        try:
            with open(params['compare_with']) as handle:
                earlier = json.load(handle)
        except (IOError, OSError, ValueError) as exc:
            module.fail_json(msg='compare_with: cannot read %s as a fidelity file: %s' % (params['compare_with'], exc))
        if not isinstance(earlier, dict) or earlier.get('format') != shapes.FORMAT:
            module.fail_json(msg='compare_with: %s is not a fidelity file (written with fidelity_path) of format %s.'
                             % (params['compare_with'], shapes.FORMAT))
    recorded = {} if params['fidelity_path'] else None
    pages = []
    module.client.response_observers.append(_observer(recorded, pages))
    try:
        read = _read(module, module.scale_set, params['alerts'])
    except AzureVmssError as exc:
        module.fail_error(exc)
    subscription_id = module.client.subscription_id if params['include_subscription_id'] else None
    scenario, mapping = snapshot.build_scenario(
        read['scale_set'], read['shaped'], read['vms'], read['now'], rolling=read['rolling'], history=read['history'],
        alerts=read['alerts'], repairs_state=read['repairs_state'], subscription_id=subscription_id,
        neutral_names=params['neutral_names'], resource_group=module.scale_set.resource_group,
        source_subscription_id=module.client.subscription_id,
        maintenance=params['maintenance'], vm_page_size=snapshot.page_size(pages))
    changed = _write(module, params['path'], _dump(scenario))
    result = dict(scenario_path=params['path'], taken_at=read['now'].strftime('%Y-%m-%dT%H:%M:%SZ'),
                  orchestration_mode=read['shaped']['orchestration_mode'],
                  instance_count=len(read['vms']), alert_count=len(read['alerts']),
                  requests_sent=module.client.requests_sent)
    if params['neutral_names']:
        changed = _write(module, params['mapping_path'], _dump(mapping)) or changed
    if params['fidelity_path']:
        report = dict(format=shapes.FORMAT, answers=recorded)
        if earlier is not None:
            report['differences'] = shapes.compare(earlier.get('answers') or {}, recorded)
            result['differences'] = report['differences']
        result['answer_kinds'] = len(recorded)
        changed = _write(module, params['fidelity_path'], _dump(report)) or changed
    module.exit_json(changed=changed, **result)


if __name__ == '__main__':
    main()
