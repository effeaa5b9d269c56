# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scale set as ARM answered it -> a scenario of the collection's simulator. Pure functions.

Input: ARM's wire JSON (the scale set GET, its VM list with instance views, the latest rolling upgrade, the OS
upgrade history, the fired alerts as ``alerts.shape_alert`` gives them) and the time ARM answered (its ``Date``
header). Every time is written relative to that time (``+3600s``), so the simulator, which starts its clock at
load, sees the same windows and deadlines ahead as the scale set had.

Only what a rehearsal needs leaves ARM's answers: no ids with the subscription in them, no VM ids, no computer
names, disks, networks, OS or extension settings. With ``neutral_names`` the resource group, the scale set, the
Flexible VM names, tag values and alert names are replaced; the replacements come back as a separate mapping.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import status_suffix
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import parse_time

# The simulator's own tenant, subscription and app (tests/simulator/scenarios/*.yml): a scenario that names no
# real one still loads, and the rehearsal's credentials are the simulator's, never the user's.
SIM_TENANT = '11111111-1111-4111-8111-111111111111'
SIM_SUBSCRIPTION = '22222222-2222-4222-8222-222222222222'
SIM_CLIENT_ID = 'aaaaaaaa-0000-4000-8000-000000000001'
SIM_SECRET = 'rehearsal-secret-not-from-azure'
NEUTRAL_RESOURCE_GROUP = 'rg-rehearsal'
NEUTRAL_SCALE_SET = 'vmss-rehearsal'
LEASE_TAG = 'azure_vmss_maintenance_lease'
# What the simulator takes for a VM's maintenance when the snapshot cannot know it (Azure does not say).
DEFAULT_MAINTENANCE = dict(duration=600, recovery=60, retry_after=15)

_WINDOW_KEYS = (('pre_start', 'preMaintenanceWindowStartTime'), ('pre_end', 'preMaintenanceWindowEndTime'),
                ('start', 'maintenanceWindowStartTime'), ('end', 'maintenanceWindowEndTime'))
_HEALTH_KINDS = {'load_balancer_probe': 'probe', 'application_health_extension': 'extension', 'none': 'none'}


def relative(value, now):
    """ARM's time -> '+3600s' / '-86400s' from ``now`` (whole seconds), or None when it is not a time."""
    when = parse_time(value)
    if when is None:
        return None
    seconds = int(round((when - now).total_seconds()))
    return '%+ds' % seconds


def scrub(text, replacements):
    """Azure's own words (a result message) with every original name in ``replacements`` replaced, longest first."""
    if not isinstance(text, str):
        return text
    for original in sorted(replacements, key=len, reverse=True):
        if original:
            text = re.sub(re.escape(original), replacements[original], text, flags=re.IGNORECASE)
    return text


def _props(wire):
    return (wire or {}).get('properties') or {}


def neutral_vm_names(names, scale_set_name):
    """Flexible VM names -> ``{scale set}_{n:08d}`` in their sorted order, so plans that sort by name keep it."""
    return dict((name, '%s_%08d' % (scale_set_name, index + 1)) for index, name in enumerate(sorted(names)))


def page_size(pages, default=100):
    """The VM list's page size from its pages [(items, had a nextLink)]: the first page's, when there was a next."""
    if pages and pages[0][1] and pages[0][0] > 0:
        return pages[0][0]
    return default


def _health_signal(shaped_scale_set):
    return _HEALTH_KINDS.get((shaped_scale_set.get('health_signal') or {}).get('kind'), 'none')


def _camel(key):
    head, _sep, tail = key.partition('_')
    return head + ''.join(part[:1].upper() + part[1:] for part in tail.split('_')) if tail else head


def _upgrade_policy(scale_set_wire):
    policy = _props(scale_set_wire).get('upgradePolicy') or {}
    shaped = dict(mode=policy.get('mode') or 'Manual')
    rolling = policy.get('rollingUpgradePolicy')
    if isinstance(rolling, dict) and rolling:
        shaped['rolling_upgrade_policy'] = dict(rolling)
    automatic = policy.get('automaticOSUpgradePolicy') or {}
    if automatic.get('enableAutomaticOSUpgrade'):
        shaped['automatic_os_upgrade'] = True
    return shaped


def _repairs(shaped_scale_set, repairs_state):
    policy = shaped_scale_set.get('automatic_repairs_policy') or {}
    if not policy.get('enabled'):
        return None
    repairs = dict(enabled=True, grace_period=policy.get('grace_period') or 'PT30M',
                   repair_action=policy.get('repair_action') or 'Replace')
    if repairs_state:
        repairs['state'] = repairs_state
    return repairs


def rolling_upgrade(wire, now, replacements=None):
    """The latest rolling upgrade -> the scenario's ``rolling_upgrade`` (None: the scale set never had one)."""
    if not wire:
        return None
    props = _props(wire)
    status = props.get('runningStatus') or {}
    progress = props.get('progress') or {}
    record = dict(code=status.get('code') or 'Completed',
                  progress=dict(successful=progress.get('successfulInstanceCount', 0),
                                failed=progress.get('failedInstanceCount', 0),
                                in_progress=progress.get('inProgressInstanceCount', 0),
                                pending=progress.get('pendingInstanceCount', 0)))
    started = relative(status.get('startTime'), now)
    if started:
        record['started'] = started
    if props.get('error'):
        record['error'] = dict(code=(props['error'] or {}).get('code'),
                               message=scrub((props['error'] or {}).get('message'), replacements or {}))
    return record


def os_upgrade_history(items, now, keep=3):
    """The newest ``keep`` OS upgrades -> the scenario's ``os_upgrade_history`` (no image names: versions only)."""
    history = []
    for item in (items or [])[:keep]:
        props = _props(item)
        status = props.get('runningStatus') or {}
        progress = props.get('progress') or {}
        entry = dict(code=status.get('code') or 'Completed', started_by=props.get('startedBy') or 'Platform',
                     progress=dict(successful=progress.get('successfulInstanceCount', 0),
                                   failed=progress.get('failedInstanceCount', 0),
                                   in_progress=progress.get('inProgressInstanceCount', 0),
                                   pending=progress.get('pendingInstanceCount', 0)))
        start, end = parse_time(status.get('startTime')), parse_time(status.get('endTime'))
        if start is not None:
            entry['started'] = '%+ds' % int(round((start - now).total_seconds()))
            if end is not None:
                entry['duration'] = '%ds' % max(0, int(round((end - start).total_seconds())))
        history.append(entry)
    return history


def instance_record(vm, now, health_signal, replacements=None):
    """One VM (list entry, wire JSON with its instance view) -> (its id, its per-instance scenario overrides)."""
    props = _props(vm)
    view = props.get('instanceView') or {}
    statuses = view.get('statuses') or []
    flexible = vm.get('instanceId') is None
    instance_id = str(vm.get('name') if flexible else vm.get('instanceId'))
    zones = vm.get('zones') or []
    record = dict(zone=str(zones[0]) if zones else None)
    if not flexible and view.get('platformUpdateDomain') is not None:
        record['update_domain'] = int(view['platformUpdateDomain'])
    if view.get('platformFaultDomain') is not None:
        record['fault_domain'] = int(view['platformFaultDomain'])
    power = status_suffix(statuses, 'PowerState')
    if power:
        record['power_state'] = power
    provisioning = status_suffix(statuses, 'ProvisioningState')
    if provisioning:
        # The simulator derives it (updating while under maintenance); kept as evidence, not replayed.
        record['provisioning_state_seen'] = provisioning
    health = (((view.get('vmHealth') or {}).get('status') or {}).get('code') or '')
    if health_signal != 'none' and '/' in health:
        record['health'] = health.split('/', 1)[1].lower()
    if props.get('latestModelApplied') is not None:
        record['latest_model_applied'] = bool(props['latestModelApplied'])
    maintenance = view.get('maintenanceRedeployStatus')
    if not isinstance(maintenance, dict):
        record['maintenance'] = None  # not in a maintenance wave
        return instance_id, record
    window = {}
    for key, wire_key in _WINDOW_KEYS:
        value = relative(maintenance.get(wire_key), now)
        if value is not None:
            window[key] = value
    record['window'] = window
    allowed = bool(maintenance.get('isCustomerInitiatedMaintenanceAllowed'))
    pre_start, pre_end = (parse_time(maintenance.get('preMaintenanceWindowStartTime')),
                          parse_time(maintenance.get('preMaintenanceWindowEndTime')))
    window_open = pre_start is not None and pre_end is not None and pre_start <= now < pre_end
    # The simulator answers allowed only while the window is open; outside it, its flag is what Azure would
    # say once the window opens, which the snapshot cannot know: it keeps the VM eligible then.
    record['eligible'] = allowed or not window_open
    result = maintenance.get('lastOperationResultCode')
    if result:
        record['last_result'] = result
    if maintenance.get('lastOperationMessage'):
        # Azure's text (the role quotes it as the reason it skips a VM), with the names in it replaced
        record['last_message'] = scrub(maintenance['lastOperationMessage'], replacements or {})
    return instance_id, record


def _alert_record(alert, now, resource_group, scale_set, names):
    record = dict(name=names.get(alert.get('name'), alert.get('name')), severity=alert.get('severity') or 'Sev3',
                  resource_group=resource_group, alert_state=alert.get('alert_state') or 'New',
                  monitor_service=alert.get('monitor_service') or 'Platform',
                  signal_type=alert.get('signal_type') or 'Metric')
    if alert.get('on_scale_set'):
        record['scale_set'] = scale_set
    started = relative(alert.get('start_date_time'), now)
    if started:
        record['started'] = started
    return record


def build_scenario(scale_set_wire, shaped_scale_set, vms, now, rolling=None, history=None, alerts=None,
                   repairs_state=None, subscription_id=None, neutral_names=False, resource_group=None,
                   maintenance=None, name='snapshot', source_subscription_id=None, vm_page_size=100):
    """Everything read -> (scenario dict, mapping dict of original -> neutral names; empty without them).

    ``subscription_id`` is written only when given (the caller decides whether the user allowed it); otherwise
    the simulator's own, and ``source_subscription_id`` (the real one) is replaced wherever Azure's messages quote
    it. ``now`` is the time ARM answered, an aware datetime.
    """
    mapping = {}
    scale_set_name = shaped_scale_set.get('name') or ''
    rg_name, vmss_name = resource_group, scale_set_name
    if neutral_names:
        rg_name, vmss_name = NEUTRAL_RESOURCE_GROUP, NEUTRAL_SCALE_SET
        mapping['resource_groups'] = {resource_group: rg_name}
        mapping['scale_sets'] = {scale_set_name: vmss_name}
    health = _health_signal(shaped_scale_set)
    mode = shaped_scale_set.get('orchestration_mode') or 'Uniform'
    sub = subscription_id or SIM_SUBSCRIPTION
    replacements = {}
    if source_subscription_id and not subscription_id:
        replacements[source_subscription_id] = sub
    if neutral_names:
        replacements.update({resource_group: rg_name, scale_set_name: vmss_name})
        if mode == 'Flexible':
            mapping['vms'] = neutral_vm_names([str(vm.get('name')) for vm in vms or []], vmss_name)
            replacements.update(mapping['vms'])
        # a Uniform VM's name is {scale set}_{id}: the scale set's replacement covers it
    records = [instance_record(vm, now, health, replacements) for vm in vms or []]
    if mode == 'Flexible' and neutral_names:
        records = [(mapping['vms'][iid], record) for iid, record in records]
    if mode != 'Flexible':
        records.sort(key=lambda pair: int(pair[0]) if pair[0].isdigit() else -1)
    else:
        records.sort(key=lambda pair: pair[0])

    tags = dict(shaped_scale_set.get('tags') or {})
    tags.pop(LEASE_TAG, None)  # another run's lease is not the rehearsal's; the role takes its own
    if neutral_names:
        mapping['tag_values'] = {}
        for index, key in enumerate(sorted(tags)):
            neutral = 'value-%d' % (index + 1)
            mapping['tag_values'][tags[key]] = neutral
            tags[key] = neutral
    alert_names = {}
    if neutral_names:
        alert_names = dict((alert.get('name'), 'alert-%d' % (index + 1)) for index, alert in enumerate(alerts or []))
        mapping['alerts'] = alert_names

    scale_set = dict(name=vmss_name, orchestration_mode=mode, zones=[str(z) for z in shaped_scale_set.get('zones') or []],
                     health_signal=health, provisioning_state=shaped_scale_set.get('provisioning_state') or 'Succeeded',
                     tags=tags, upgrade_policy=_upgrade_policy(scale_set_wire))
    sku = shaped_scale_set.get('sku') or {}
    if sku.get('name'):
        scale_set['sku'] = dict((key, sku[key]) for key in ('name', 'tier') if sku.get(key))
    repairs = _repairs(shaped_scale_set, repairs_state)
    if repairs:
        scale_set['automatic_repairs'] = repairs
    scale_set['rolling_upgrade'] = rolling_upgrade(rolling, now, replacements)
    if mode != 'Flexible':
        scale_set['os_upgrade_history'] = os_upgrade_history(history, now)
    ids = [iid for iid, _record in records]
    scale_set['instances'] = {('names' if mode == 'Flexible' else 'ids'): ids, 'wave': 'all', 'eligible': 'all',
                              'overrides': dict(records)}
    # Per scale set too, so the scale set keeps it when scenarios are merged.
    scale_set['maintenance'] = dict(maintenance or DEFAULT_MAINTENANCE)
    # As ARM paged the list: how the role reads a fleet (a list, or GETs) depends on the number of pages.
    scale_set['vm_page_size'] = int(vm_page_size)

    scenario = dict(
        name=name,
        # what this file is; every time in it is relative to the moment ARM answered the snapshot's VM list
        snapshot=dict(orchestration_mode=mode, instance_count=len(ids), neutral_names=bool(neutral_names)),
        tenant=SIM_TENANT,
        subscriptions=[dict(id=sub, display_name='Rehearsal subscription')],
        principals=[dict(name='app', default=True, client_id=SIM_CLIENT_ID, secret=SIM_SECRET, certificate=True,
                         subscriptions='all')],
        defaults=dict(maintenance=dict(maintenance or DEFAULT_MAINTENANCE)),
        alerts=[_alert_record(alert, now, rg_name, vmss_name, alert_names) for alert in alerts or []],
        resource_groups=[dict(name=rg_name, location=shaped_scale_set.get('location') or 'westeurope',
                              scale_sets=[scale_set])],
    )
    return scenario, mapping
