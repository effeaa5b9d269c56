# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances of a scale set as playbooks want them, and their maintenance eligibility. Pure functions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import snake_dict, status_suffix
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import parse_time

# What a maintenance status sorts an instance into.
ELIGIBLE = 'eligible'
MAINTAINED = 'already_maintained'
NOT_ELIGIBLE = 'not_eligible'


def summarize(vm):
    """One VM (from the VM list or a VM GET with ``$expand=instanceView``) -> the entry modules return.

    Every entry has the same keys, whichever way it was read and however little ARM sent, on both
    orchestration modes: a Uniform VM's ``instance_id`` is its number, a Flexible one's (an ordinary VM that
    references the scale set) its name.
    """
    vm = vm or {}
    properties = vm.get('properties') or {}
    view = properties.get('instanceView') or {}
    statuses = view.get('statuses') or []
    health = ((view.get('vmHealth') or {}).get('status') or {}).get('code')
    maintenance = view.get('maintenanceRedeployStatus')
    provisioning = status_suffix(statuses, 'ProvisioningState')
    if provisioning is None and properties.get('provisioningState'):
        provisioning = str(properties['provisioningState']).lower()
    zones = vm.get('zones') or []
    instance_id = vm.get('instanceId')
    if instance_id is None and properties.get('virtualMachineScaleSet'):
        instance_id = vm.get('name')  # a Flexible scale set's VM: its name is its instance id
    return {
        'instance_id': str(instance_id) if instance_id is not None else None,
        'name': vm.get('name'),
        'zone': str(zones[0]) if zones else None,
        'power_state': status_suffix(statuses, 'PowerState'),
        'provisioning_state': provisioning,
        'health_state': health.split('/', 1)[1].lower() if health and '/' in health else None,
        'maintenance_allowed': bool((maintenance or {}).get('isCustomerInitiatedMaintenanceAllowed')),
        'maintenance': snake_dict(maintenance) if maintenance else None,
        'platform_update_domain': view.get('platformUpdateDomain'),
        'platform_fault_domain': view.get('platformFaultDomain'),
        'latest_model_applied': properties.get('latestModelApplied'),
        'instance_view': snake_dict(view),
    }


def sort_instances(entries):
    """By numeric instance id ('10' after '5'), then VM names in text order."""
    return sorted(entries, key=lambda entry: instance_sort_key(entry.get('instance_id')))


def maintenance_status(entry, now=None):
    """``(ELIGIBLE | MAINTAINED | NOT_ELIGIBLE, reason or None)`` from an entry's maintenance status."""
    maintenance = entry.get('maintenance')
    if not maintenance:
        return NOT_ELIGIBLE, 'not in a maintenance wave (Azure reports no pending maintenance for it)'
    if maintenance.get('is_customer_initiated_maintenance_allowed'):
        return ELIGIBLE, None
    code = maintenance.get('last_operation_result_code')
    message = maintenance.get('last_operation_message')
    if code == 'MaintenanceCompleted':
        return MAINTAINED, 'maintenance already completed'
    if code == 'RetryLater':
        return NOT_ELIGIBLE, 'Azure asked to retry later (RetryLater)%s' % (': %s' % message if message else '')
    now = now or datetime.datetime.now(datetime.timezone.utc)
    start = parse_time(maintenance.get('pre_maintenance_window_start_time'))
    end = parse_time(maintenance.get('pre_maintenance_window_end_time'))
    if start and now < start:
        return NOT_ELIGIBLE, 'the self-service maintenance window opens at %s' % maintenance['pre_maintenance_window_start_time']
    if end and now > end:
        return NOT_ELIGIBLE, 'the self-service maintenance window closed at %s' % maintenance['pre_maintenance_window_end_time']
    reason = 'Azure does not allow customer-initiated maintenance on it now'
    if code and code != 'None':
        reason += ' (last operation: %s%s)' % (code, ', %s' % message if message else '')
    return NOT_ELIGIBLE, reason


def classify_for_maintenance(entries, requested_ids=None, now=None):
    """Sort instances for performMaintenance.

    ``entries`` are summaries (of the requested instances, or of the whole fleet); ``requested_ids``
    the ids asked for, or None for every instance. Returns a dict with ``eligible`` (ids),
    ``already_maintained`` (ids), ``skipped`` (list of {instance_id, reason}) and ``unknown`` (ids asked
    for that the scale set does not have), each in numeric id order.
    """
    by_id = dict((entry['instance_id'], entry) for entry in entries)
    wanted = list(requested_ids) if requested_ids is not None else list(by_id)
    plan = dict(eligible=[], already_maintained=[], skipped=[], unknown=[])
    for instance_id in sorted(set(str(i) for i in wanted), key=instance_sort_key):
        entry = by_id.get(instance_id)
        if entry is None:
            plan['unknown'].append(instance_id)
            continue
        state, reason = maintenance_status(entry, now)
        if state == ELIGIBLE:
            plan['eligible'].append(instance_id)
        elif state == MAINTAINED:
            plan['already_maintained'].append(instance_id)
        else:
            plan['skipped'].append(dict(instance_id=instance_id, reason=reason))
    return plan


def deadline(entry):
    """The instance's self-service deadline (its ``preMaintenanceWindowEndTime``) as a datetime, or None."""
    return parse_time((entry.get('maintenance') or {}).get('pre_maintenance_window_end_time'))


def deadline_sort_key(entry):
    """Earliest self-service deadline first; instances without one after every instance with one."""
    when = deadline(entry)
    return (0, when.timestamp()) if when is not None else (1, 0.0)


def instance_sort_key(instance_id):
    """Numeric order for ids: '10' after '5'; anything odd goes last, in text order."""
    text = str(instance_id)
    return (0, int(text), '') if text.isdigit() else (1, 0, text)


def join_ids(ids):
    """Ids joined by ``, ``, or ``none`` (the form a refusal names them in)."""
    return ', '.join(ids) or 'none'


def describe_ids(instance_ids):
    return ', '.join(str(i) for i in instance_ids)
