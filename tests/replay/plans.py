# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which module replays a recorded pair, and what the replay server answers to each request of that run.

Pure functions over the copied pairs. One drive = one module run for one recorded pair (the focus) of a scene:
the focus answers the request it was recorded for; the other requests of the run get the scene's nearest
recorded answer of their kind. Where no recording can answer a request the module must send first, the drive
says so with a labelled stand-in (``OVERLAYS``), never silently.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

from kinds import query_key, split_uri

# Stand-ins, each named where it is used and in the docs' fidelity table.
OVERLAYS = {
    'eligible-vm': 'no recorded VM is in a maintenance wave, so a VM that Azure offers maintenance for stands in '
                   'for the read before the refused performMaintenance POST',
    'scale-set-around-vm': "the refused VM performMaintenance was recorded on a standalone VM: a Flexible scale "
                           "set that holds it stands in, and the VM's read names that scale set",
    'minimal-scale-set': 'the recording has no GET of the scale set: a scale set with only its id and name stands in '
                         '(Uniform, as Azure answered before orchestrationMode existed)',
    'state-before': "the instance view before the setOrchestrationServiceState POST was not recorded (or shows the "
                    "state after it): the recorded view with the other state of the service stands in",
    'location-final': "the SDK's last GET on the operation's Location URL was not recorded in this recording (other "
                      'recordings show it: 200 with an empty body), so that answer stands in',
    'vm-envelope': 'the VM itself was not recorded around its instance view: {instanceId, properties.instanceView} '
                   'stands in for the VM GET',
}
# Compositions of recorded answers, named in the docs: ARM embeds a VM's instance view in the VM (and in each VM of
# the list) under properties.instanceView when asked with $expand=instanceView.
COMPOSED = {
    'expand-composed': 'a recorded VM (or VM list) without $expand, with the recorded /instanceView of each VM put '
                       'under properties.instanceView, answers the $expand=instanceView request',
    'expand-partial': 'a recorded VM (or VM of a list) whose instance view was not recorded answers the '
                      '$expand=instanceView request without one: the module must read it all the same',
    'select-trimmed': "a recorded list with $expand=instanceView&$select=instanceView (items trimmed by $select) "
                      "answers the collection's $expand=instanceView list",
}

EXPAND = (('$expand', 'instanceview'),)


def path_of(uri):
    return split_uri(uri)[0]


def vmss_path(uri):
    match = re.search(r'^(.*/virtualMachineScaleSets/[^/]+)', path_of(uri), re.I)
    return match.group(1) if match else None


def coordinates(path):
    parts = path.split('/')
    lowered = [p.lower() for p in parts]
    out = {}
    for marker, key in (('subscriptions', 'subscription_id'), ('resourcegroups', 'resource_group')):
        if marker in lowered:
            out[key] = parts[lowered.index(marker) + 1]
    for marker in ('virtualmachinescalesets', 'virtualmachines'):
        if marker in lowered and lowered.index(marker) + 1 < len(parts):
            out['name'] = parts[lowered.index(marker) + 1]
            break
    return out


def answer(pair=None, status=None, body=None, headers=None, label=None):
    if pair is not None:
        body = pair['response_body'] if body is None else body
        return dict(status=pair['status'], body=None if body == '' else body, headers=dict(pair['response_headers']),
                    pair=pair_id(pair), label=label)
    return dict(status=status, body=body, headers=headers or {}, pair=None, label=label)


def pair_id(pair):
    return '%s#%s' % (pair['source'], pair['interaction_index'])


def entry(method, path, query, answers):
    return dict(method=method, path=path.lower().rstrip('/'), query=tuple(query), answers=list(answers))


def nearest(scene, kind, focus, where=lambda p: True, after=None):
    found = [p for p in scene if p['kind'] == kind and where(p)]
    if after is not None:
        later = [p for p in found if (p['interaction_index'] > focus['interaction_index']) == after]
        found = later or found
    if not found:
        return None
    return min(found, key=lambda p: (abs(p['interaction_index'] - focus['interaction_index']), p['interaction_index']))


def instance_id_of(path):
    match = re.search(r'/virtualMachines/([^/]+)', path, re.I)
    return match.group(1) if match else None


def scale_set_entry(scene, focus, path, labels):
    found = nearest(scene, 'vmss_get', focus, where=lambda p: p['status'] == 200)
    if found is not None:
        return entry('GET', path, (), [answer(found)])
    labels.append('minimal-scale-set')
    name = path.rsplit('/', 1)[-1]
    return entry('GET', path, (), [answer(status=200, body={'id': path, 'name': name, 'properties': {}},
                                          label='minimal-scale-set')])


def instance_views_by_vm(scene, focus):
    """``{instance id: nearest recorded /instanceView pair}`` of the scene's scale-set VMs."""
    out = {}
    for pair in scene:
        if pair['kind'] == 'vmss_vm_instance_view' and pair['status'] == 200:
            iid = instance_id_of(path_of(pair['uri']))
            best = out.get(iid)
            if best is None or (abs(pair['interaction_index'] - focus['interaction_index'])
                                < abs(best['interaction_index'] - focus['interaction_index'])):
                out[iid] = pair
    return out


def with_view(vm, view):
    vm = copy.deepcopy(vm)
    vm.setdefault('properties', {})['instanceView'] = copy.deepcopy(view)
    return vm


def expanded_vm_answer(scene, focus, iid, labels, served):
    """The answer to ``GET .../virtualMachines/{iid}?$expand=instanceView`` from the scene's recordings."""
    direct = nearest(scene, 'vmss_vm_get', focus, where=lambda p: p['status'] == 200 and instance_id_of(path_of(
        p['uri'])) == iid and query_key(split_uri(p['uri'])[1]) == EXPAND)
    if focus['kind'] == 'vmss_vm_get' and direct is not focus:
        direct = None
    if direct is not None and focus['kind'] != 'vmss_vm_instance_view':
        return answer(direct)
    views = instance_views_by_vm(scene, focus)
    view = focus if focus['kind'] == 'vmss_vm_instance_view' else views.get(iid)
    plain = focus if focus['kind'] == 'vmss_vm_get' else nearest(
        scene, 'vmss_vm_get', focus, where=lambda p: p['status'] == 200 and instance_id_of(path_of(p['uri'])) == iid
        and not query_key(split_uri(p['uri'])[1]))
    if plain is not None and view is not None:
        labels.append('expand-composed')
        served.append(pair_id(view))
        result = answer(plain, body=with_view(plain['response_body'], view['response_body']), label='expand-composed')
        return result
    if plain is not None:
        labels.append('expand-partial')
        return answer(plain, label='expand-partial')
    if view is not None:
        labels.append('vm-envelope')
        return answer(view, body={'instanceId': iid, 'properties': {'instanceView': view['response_body']}},
                      label='vm-envelope')
    return None


def expanded_list_answer(scene, focus, labels, served):
    """The answer to the scale set's VM list with $expand=instanceView from the scene's recordings."""
    query = query_key(split_uri(focus['uri'])[1])
    if query == EXPAND:
        return answer(focus)
    if dict(query).get('$expand') == 'instanceview' and dict(query).get('$select'):
        labels.append('select-trimmed')
        return answer(focus, label='select-trimmed')
    if '$filter' in dict(query):
        return None  # a filtered list answers another question
    views = instance_views_by_vm(scene, focus)
    items = []
    for vm in focus['response_body'].get('value', []):
        view = views.get(str(vm.get('instanceId')))
        if view is None:
            labels.append('expand-partial')
            items.append(vm)
            continue
        served.append(pair_id(view))
        items.append(with_view(vm, view['response_body']))
    labels.append('expand-composed')
    body = dict(focus['response_body'], value=items)
    return answer(focus, body=body, label='expand-composed')


def drive(scene, focus):
    """The module run that replays ``focus``: ``dict(module, args, entries, labels, also_served)``, or
    ``dict(module=None, reason=...)`` when no module sends its request."""
    kind = focus['kind']
    labels, served = [], []
    entries = []
    path = path_of(focus['uri'])
    base = vmss_path(focus['uri'])
    args = coordinates(base or path)

    def done(module, **extra):
        extra_args = extra.pop('args', {})
        args.update(extra_args)
        return dict(module=module, args=args, entries=entries, labels=labels, also_served=served, **extra)

    if kind == 'vmss_get':
        answers = [answer(focus)]
        if focus['status'] >= 500:  # the SDK retries a 5xx GET: the recording's next answer is what it then got
            later = nearest(scene, 'vmss_get', focus, where=lambda p: p['status'] == 200, after=True)
            if later is not None:
                answers.append(answer(later))
        entries.append(entry('GET', path, (), answers))
        return done('scale_set_info')
    if kind == 'vmss_instance_view':
        entries.append(entry('GET', path, (), [answer(focus)]))
        return done('orchestration_service')
    if kind == 'rolling_upgrade_latest':
        entries.append(entry('GET', path, (), [answer(focus)]))
        return done('rolling_upgrade_info')
    if kind == 'os_upgrade_history':
        entries.append(entry('GET', path, (), [answer(focus)]))
        return done('os_upgrade_history_info')
    if kind.startswith('vmss_vm_') and scene_is_flexible(scene, focus):
        return dict(module=None, reason='a scale-set VM API on a Flexible scale set: the collection reads its VMs '
                                        'through the Virtual Machines APIs instead')
    if kind == 'vmss_vm_list':
        listed = expanded_list_answer(scene, focus, labels, served)
        if listed is None:
            return dict(module=None, reason='a filtered scale-set VM list, or one without every VM\'s instance view '
                                            'recorded: the collection always asks $expand=instanceView, unfiltered')
        entries.append(scale_set_entry(scene, focus, base, labels))
        entries.append(entry('GET', path, EXPAND, [listed]))
        return done('instance_view_info')
    if kind in ('vmss_vm_get', 'vmss_vm_instance_view'):
        iid = instance_id_of(path)
        if focus['status'] != 200:
            return dict(module=None, reason='a missing instance: the collection reads it with the VM GET, not recorded')
        vm = expanded_vm_answer(scene, focus, iid, labels, served)
        if vm is None:
            return dict(module=None, reason='no instance view recorded for this VM to answer $expand=instanceView')
        entries.append(scale_set_entry(scene, focus, base, labels))
        entries.append(entry('GET', '%s/virtualMachines/%s' % (base, iid), EXPAND, [vm]))
        extra = {}
        if kind == 'vmss_vm_instance_view':
            entries.append(entry('GET', path, (), [answer(focus)]))
            extra = dict(health_fallback=True)
        return done('instance_view_info', args=dict(instance_ids=[iid], **extra))
    if kind == 'set_orchestration_service_state':
        return orchestration_drive(scene, focus, entries, labels, done, base, path)
    if kind == 'operation_status':
        return dict(module=None, reason='replayed within its setOrchestrationServiceState drive')
    if kind == 'vmss_perform_maintenance':
        ids = list((focus['request_body'] or {}).get('instanceIds') or []) if isinstance(focus['request_body'], dict) else []
        if not ids:
            named = re.search(r"on VM '[^']*_(\d+)'", str(focus['response_body']))
            ids = [named.group(1)] if named else ['0']
        entries.append(scale_set_entry(scene, focus, base, labels))
        labels.append('eligible-vm')
        for iid in ids:
            entries.append(entry('GET', '%s/virtualMachines/%s' % (base, iid), EXPAND,
                                 [answer(status=200, body=eligible_vm(iid, base), label='eligible-vm')]))
        entries.append(entry('POST', path, (), [answer(focus)]))
        return done('perform_maintenance', args=dict(instance_ids=ids))
    if kind == 'vm_perform_maintenance':
        vm_name = coordinates(path)['name']
        group = path.split('/providers/')[0]
        base = group + '/providers/Microsoft.Compute/virtualMachineScaleSets/replay-flex'
        labels.extend(['scale-set-around-vm', 'eligible-vm'])
        entries.append(entry('GET', base, (), [answer(status=200, label='scale-set-around-vm', body={
            'id': base, 'name': 'replay-flex', 'properties': {'orchestrationMode': 'Flexible'}})]))
        vm = eligible_vm(vm_name, base, flexible_path=path.rsplit('/', 1)[0])
        entries.append(entry('GET', path.rsplit('/', 1)[0], EXPAND, [answer(status=200, body=vm, label='eligible-vm')]))
        entries.append(entry('POST', path, (), [answer(focus)]))
        args.update(coordinates(base))
        return done('perform_maintenance', args=dict(instance_ids=[vm_name]))
    if kind == 'vm_list':
        target = re.search(r"'(/subscriptions/[^']+)'", dict((k.lower(), v) for k, v in split_uri(focus['uri'])[1]).get(
            '$filter', ''))
        if target is None:
            return dict(module=None, reason='a VM list without the scale-set filter')
        base = target.group(1)
        args.update(coordinates(base))
        entries.append(scale_set_entry(scene, focus, base, labels))
        sent = tuple(sorted(dict(query_key(split_uri(focus['uri'])[1]), **{'$expand': 'instanceview'}).items()))
        labels.append('no-flexible-instance-view')
        entries.append(entry('GET', path, sent, [answer(focus, label='no-flexible-instance-view')]))
        return done('instance_view_info')
    return dict(module=None, reason=NOT_DRIVEN.get(kind, 'no module sends it'))


NOT_DRIVEN = {
    'vmss_vm_perform_maintenance': 'the collection maintains Uniform instances with one scale-set POST, never per VM',
    'vm_get': 'a standalone VM (no scale set) or a missing one: only the unit tests read these',
    'tags_get': "another resource's tags: the lease module reads only the scale set's (unit tests read the shape)",
    'tags_patch': "another resource's tags: the lease module writes only the scale set's",
    'alerts_list': "the recorded query (targetResource, monitorService) is not the one alerts_info sends (unit tests "
                   "read the shape)",
    'throttled': 'a DELETE of a resource group: the unit tests give its body to a read',
}
COMPOSED['no-flexible-instance-view'] = ('the recorded Flexible VM lists were sent without $expand=instanceView: '
                                         'their items answer the collection\'s $expand request without an instance view')


def eligible_vm(iid, scale_set_path, flexible_path=None):
    view = {'statuses': [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/running'}],
            'maintenanceRedeployStatus': {'isCustomerInitiatedMaintenanceAllowed': True,
                                          'lastOperationResultCode': 'None'}}
    if flexible_path is not None:
        return {'id': flexible_path, 'name': iid, 'properties': {
            'virtualMachineScaleSet': {'id': scale_set_path}, 'instanceView': view}}
    return {'instanceId': iid, 'name': '%s_%s' % (scale_set_path.rsplit('/', 1)[-1], iid),
            'properties': {'instanceView': view}}


def orchestration_drive(scene, focus, entries, labels, done, base, path):
    action = (focus['request_body'] or {}).get('action')
    service = (focus['request_body'] or {}).get('serviceName', 'AutomaticRepairs')
    if action not in ('Suspend', 'Resume'):
        return dict(module=None, reason='an action the module does not send: %r' % action)
    wanted = 'suspended' if action == 'Suspend' else 'running'
    before_state = 'Running' if action == 'Suspend' else 'Suspended'
    view_path = base + '/instanceView'
    before = nearest(scene, 'vmss_instance_view', focus, after=False,
                     where=lambda p: state_of(p['response_body'], service) == before_state)
    if before is not None and before['interaction_index'] < focus['interaction_index']:
        first = answer(before)
    else:
        labels.append('state-before')
        template = nearest(scene, 'vmss_instance_view', focus)
        body = copy.deepcopy(template['response_body']) if template else {}
        body['orchestrationServices'] = [{'serviceName': service, 'serviceState': before_state}]
        first = answer(status=200, body=body, label='state-before')
    after = nearest(scene, 'vmss_instance_view', focus, after=True)
    later = [answer(after)] if after is not None and after['interaction_index'] > focus['interaction_index'] else []
    entries.append(entry('GET', view_path, (), [first] + later))
    entries.append(entry('POST', path, (), [answer(focus)]))
    for url in operation_urls(focus):
        op_path, op_query = split_uri(url)
        polls = [p for p in scene if p['kind'] == 'operation_status' and p['interaction_index'] > focus['interaction_index']
                 and path_of(p['uri']).lower() == op_path.lower()
                 and query_key(split_uri(p['uri'])[1]) == query_key(op_query)]
        polls = polls[:max(1, len(polls))]
        if polls:
            entries.append(entry('GET', op_path, query_key(op_query), [answer(p) for p in polls]))
        elif ('monitor', 'true') in query_key(op_query):
            labels.append('location-final')
            entries.append(entry('GET', op_path, query_key(op_query), [answer(status=200, body=None,
                                                                              label='location-final')]))
    return done('orchestration_service', args=dict(state=wanted, service_name=service),
                expected_after=state_of(after['response_body'], service) if later else None)


def operation_urls(pair):
    return [pair['response_headers'][name] for name in ('azure-asyncoperation', 'location')
            if pair['response_headers'].get(name)]


def state_of(view, service):
    for item in (view or {}).get('orchestrationServices') or []:
        if str(item.get('serviceName')).lower() == service.lower():
            return item.get('serviceState')
    return None


def scene_is_flexible(scene, focus):
    found = nearest(scene, 'vmss_get', focus, where=lambda p: p['status'] == 200)
    return bool(found) and str(((found['response_body'] or {}).get('properties') or {}).get(
        'orchestrationMode')).lower() == 'flexible'
