# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scale_sets inventory's decisions as pure functions: which scale sets are kept, their host names
and host variables, the maintenance summary of one scale set, and the pace that keeps a walk of many VM
lists inside Compute's per-subscription budget. No Azure imports; the plugin does the requests."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import re

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import instances, times

# Compute's per-subscription high-cost-get (VM list) budget (arm-facts): a bucket of 1,080, refilled 360
# a minute. The walk slows down only when the bucket runs low, keeping PACE_FLOOR requests in reserve
# for whatever else (a running maintenance job) uses the same subscription.
HIGH_COST_GET_SUBSCRIPTION_PER_SECOND = 360 / 60.0
PACE_FLOOR = 50
HIGH_COST_GET_SUBSCRIPTION_HEADER = 'Microsoft.Compute/HighCostGetVMScaleSet30Min'

_HOST_UNSAFE = re.compile(r'[^a-z0-9_.-]+')


def resource_group_of(scale_set_id):
    """The resource group named in a resource id, as ARM spells it there."""
    parts = (scale_set_id or '').split('/')
    for index, part in enumerate(parts):
        if part.lower() == 'resourcegroups' and index + 1 < len(parts):
            return parts[index + 1]
    return None


def host_vars(scale_set, subscription_id):
    """A scale set (wire shape of the List All answer) -> the host variables the inventory sets."""
    properties = scale_set.get('properties') or {}
    sku = scale_set.get('sku') or {}
    return {
        'azure_subscription_id': subscription_id,
        'azure_resource_group': resource_group_of(scale_set.get('id')),
        'azure_scale_set': scale_set.get('name'),
        'azure_id': scale_set.get('id'),
        'azure_location': scale_set.get('location'),
        'azure_zones': [str(z) for z in scale_set.get('zones') or []],
        'azure_capacity': sku.get('capacity'),
        'azure_sku': sku.get('name'),
        'azure_upgrade_policy_mode': (properties.get('upgradePolicy') or {}).get('mode'),
        'azure_orchestration_mode': properties.get('orchestrationMode') or 'Uniform',
        'azure_tags': dict(scale_set.get('tags') or {}),
    }


def filter_problems(options):
    """Messages for filter options of the wrong shape, naming the option and the fix (before any request)."""
    problems = []
    for name in ('resource_groups', 'name_patterns', 'locations', 'subscriptions'):
        value = options.get(name)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)):
            problems.append('%s must be a list of non-empty strings, got %r' % (name, value))
    tags = options.get('tags')
    if tags is not None and (not isinstance(tags, dict) or
                             not all(isinstance(v, (str, list)) or v is None for v in tags.values())):
        problems.append('tags must be a mapping of tag name to a value, a list of values, or null for "any value"; '
                        'got %r' % (tags,))
    return problems


def keep(hostvars, options):
    """Whether a scale set passes the filters. Names and locations compare case-insensitively (ARM does)."""
    groups = options.get('resource_groups')
    if groups and (hostvars['azure_resource_group'] or '').lower() not in [g.lower() for g in groups]:
        return False
    patterns = options.get('name_patterns')
    if patterns and not any(fnmatch.fnmatchcase((hostvars['azure_scale_set'] or '').lower(), p.lower())
                            for p in patterns):
        return False
    locations = options.get('locations')
    if locations and (hostvars['azure_location'] or '').lower().replace(' ', '') not in [
            loc.lower().replace(' ', '') for loc in locations]:
        return False
    for tag, wanted in (options.get('tags') or {}).items():
        tags = hostvars['azure_tags']
        if tag not in tags:
            return False
        if wanted is None:
            continue
        values = wanted if isinstance(wanted, list) else [wanted]
        if tags[tag] not in [str(v) for v in values]:
            return False
    return True


def host_names(records):
    """Readable, unique host names for hostvars records, in their order.

    ``<scale set>_<resource group>``, lower case. Fleets reuse names across subscriptions (one per
    stage): every record whose name recurs gets ``_<first 8 characters of its subscription id>``.
    """
    base = [_HOST_UNSAFE.sub('-', ('%s_%s' % (r['azure_scale_set'], r['azure_resource_group'])).lower())
            for r in records]
    counts = {}
    for name in base:
        counts[name] = counts.get(name, 0) + 1
    names = []
    for name, record in zip(base, records):
        if counts[name] > 1:
            name = '%s_%s' % (name, (record['azure_subscription_id'] or '')[:8].lower())
        names.append(name)
    return names


def maintenance_summary(vms, now=None):
    """One scale set's VM list (wire shape, ``$expand=instanceView``) -> counts by maintenance state,
    the earliest self-service deadline of the instances still to maintain, and whether any is pending.

    States, as the modules sort instances: eligible (self-service allowed now), already_maintained,
    not_eligible (in a wave, but Azure does not allow it now), not_in_wave.
    """
    counts = dict(eligible=0, already_maintained=0, not_eligible=0, not_in_wave=0)
    deadline = None
    for vm in vms:
        entry = instances.summarize(vm)
        if not entry['maintenance']:
            counts['not_in_wave'] += 1
            continue
        state, _reason = instances.maintenance_status(entry, now)
        counts[state] += 1
        if state == instances.MAINTAINED:
            continue
        end = entry['maintenance'].get('pre_maintenance_window_end_time')
        parsed = times.parse_time(end)
        if parsed is not None and (deadline is None or parsed < deadline[0]):
            deadline = (parsed, end)
    return {
        'azure_maintenance_counts': counts,
        'azure_maintenance_pending': counts['eligible'] + counts['not_eligible'],
        'azure_maintenance_deadline': deadline[1] if deadline else None,
    }


def pace_delay(remaining, floor=PACE_FLOOR, per_second=HIGH_COST_GET_SUBSCRIPTION_PER_SECOND):
    """Seconds to wait before the next VM list of a subscription, from the remaining count its last answer
    reported: none while the bucket holds more than ``floor``, else the time the refill takes to get back."""
    if remaining is None or remaining > floor:
        return 0.0
    return (floor - remaining + 1) / per_second


def group_name(prefix, value):
    """A group name Ansible accepts: lower case, anything but letters, digits and '_' as '_'."""
    return re.sub(r'[^a-z0-9_]', '_', ('%s_%s' % (prefix, value)).lower())
