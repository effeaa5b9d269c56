# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's plan as pure functions: which instances, in which batches, in what order
(deadline first, canary first, zones and update domains apart). The gates that use it are in gates.py.

The policy names and meanings follow Azure's own rolling upgrade policy, so users already know them:
- max_batch_instance_percent: a batch holds at most this share of ALL instances of the scale set (>= 1).
- max_unhealthy_instance_percent: checked before every batch; the run stops if more than this share of
  all instances is unhealthy (not running, or not healthy where there is a health signal).
- max_unhealthy_upgraded_instance_percent: checked after every batch; the run stops if more than this
  share of the instances maintained so far stayed unhealthy past health_timeout.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.health import unhealthy_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    classify_for_maintenance, deadline_sort_key, instance_sort_key)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.variables import (
    parse_batch_sizes, percent)


def batch_size(total, max_batch_instance_percent):
    """Instances per batch: the percent of all instances, rounded down, at least one."""
    return max(1, int(math.floor(total * percent(max_batch_instance_percent, 'max_batch_instance_percent') / 100.0)))


def _ordering_key(prioritize_unhealthy, unhealthy):
    def key(instance):
        first = 0 if (prioritize_unhealthy and instance['instance_id'] in unhealthy) else 1
        ud = instance.get('platform_update_domain')
        fd = instance.get('platform_fault_domain')
        return (first, deadline_sort_key(instance), ud if ud is not None else 1 << 30,
                fd if fd is not None else 1 << 30, instance_sort_key(instance['instance_id']))
    return key


def _deadline_first(prioritize_unhealthy, unhealthy):
    """Which group gives the next batch: the one whose next batch serves the earliest deadline (unhealthy first
    when asked; ties in group order). A group's own batches keep their order, so a zone's or update domain's
    instances still go in the order its key gave them."""
    def choose(chunks):
        def head(position):
            chunk = chunks[position]
            if chunk is None:
                return (2,)
            first = 0 if prioritize_unhealthy and any(i['instance_id'] in unhealthy for i in chunk) else 1
            return (first, min(deadline_sort_key(i) for i in chunk), position)
        return min(range(len(chunks)), key=head)
    return choose


def plan_batches(instances, instance_ids=None, max_batch_instance_percent=20, prioritize_unhealthy_instances=False,
                 enable_cross_zone_upgrade=False, require_health_signal=False, now=None,
                 one_update_domain_per_batch=False, batch_sizes=None):
    """The maintenance plan for a fleet (entries as instance_view_info returns them).

    Returns ``total``, ``batch_size``, ``eligible``, ``already_maintained``, ``skipped`` ({instance_id,
    reason}), ``unknown`` and ``batches`` (each {number, zone, instance_ids, update_domains}). A batch never
    spans two zones unless enable_cross_zone_upgrade, nor two update domains with one_update_domain_per_batch.
    Work goes deadline first: within a zone (or update domain), instances go by their self-service deadline
    (preMaintenanceWindowEndTime), then update domain, fault domain and id; of the zones' next batches, the one
    serving the earliest deadline goes next. Unhealthy ones go first when prioritize_unhealthy_instances.
    ``batch_sizes`` (Ansible's ``serial`` form, ``[1, 5, "20%"]``) steps the batch sizes by the batch's place in
    the run, each capped by the percent; how many instances each batch takes is controls.chunk_batches' decision.
    """
    # controls builds on this module's budget functions, so it is imported here, not at the top

    total = len(instances)
    size = batch_size(total, max_batch_instance_percent)
    sorting = classify_for_maintenance(instances, instance_ids, now=now)
    eligible = set(sorting['eligible'])
    unhealthy = set(unhealthy_ids(instances, require_health_signal))
    by_zone = {}
    for instance in instances:
        if instance['instance_id'] in eligible:
            zone = None if enable_cross_zone_upgrade else instance.get('zone')
            ud = instance.get('platform_update_domain') if one_update_domain_per_batch else None
            by_zone.setdefault((zone, ud), []).append(instance)
    key = _ordering_key(bool(prioritize_unhealthy_instances), unhealthy)
    # Groups (zones, or zone and update domain) in name order; with unhealthy-first, a group holding unhealthy
    # instances goes first. This order breaks ties between equal deadlines.
    zone_order = sorted(by_zone, key=lambda g: (0 if prioritize_unhealthy_instances and any(
        i['instance_id'] in unhealthy for i in by_zone[g]) else 1, '' if g[0] is None else str(g[0]),
        -1 if g[1] is None else g[1]))
    batches = chunk_batches([(group[0], sorted(by_zone[group], key=key)) for group in zone_order],
                            batch_size_steps(total, batch_sizes, max_batch_instance_percent),
                            choose=_deadline_first(bool(prioritize_unhealthy_instances), unhealthy))
    return dict(total=total, batch_size=size, eligible=sorting['eligible'],
                already_maintained=sorting['already_maintained'], skipped=sorting['skipped'],
                unknown=sorting['unknown'], batches=batches)


def batch_size_steps(total, batch_sizes, max_batch_instance_percent):
    """The absolute size of each step for a scale set of ``total`` instances, each capped by
    max_batch_instance_percent (as batch_size rounds it); the last step repeats for every later batch.

    No steps: one step of the max_batch_instance_percent size, the role's behaviour without
    ``safe_maintenance_batch_sizes``. A percent is of all instances, rounded down, at least 1 (``serial``'s rule).
    """
    cap = batch_size(total, max_batch_instance_percent)
    sizes = []
    for number, is_percent in parse_batch_sizes(batch_sizes):
        size = max(1, int(math.floor(total * number / 100.0))) if is_percent else number
        sizes.append(min(size, cap))
    return sizes or [cap]


def size_of_batch(number, steps):
    """The size of batch ``number`` (1-based): its step, or the last step once the steps run out."""
    return steps[min(number, len(steps)) - 1]


def chunk_batches(zone_groups, steps, choose=None):
    """Cut ordered instances into batches: ``zone_groups`` is ``[(zone, [instance, ...]), ...]``, each group's
    instances in the order they are maintained. Batch N takes ``size_of_batch(N, steps)`` instances of one group,
    so a batch never spans two zones (a group's last batch may be smaller). ``choose`` picks the group that
    gives batch N from each group's prospective next batch (None for an emptied group); without it the groups
    go one after another. Returns batches {number, zone, instance_ids, update_domains}.
    """
    queues = [(zone, list(members)) for zone, members in zone_groups]
    batches = []
    while any(members for _zone, members in queues):
        size = size_of_batch(len(batches) + 1, steps)
        chunks = [members[:size] if members else None for _zone, members in queues]
        position = choose(chunks) if choose else next(p for p, chunk in enumerate(chunks) if chunk)
        zone, members = queues[position]
        chunk = chunks[position]
        del members[:size]
        batches.append(dict(
            number=len(batches) + 1,
            zone=zone,
            instance_ids=[i['instance_id'] for i in chunk],
            update_domains=sorted(set(i.get('platform_update_domain') for i in chunk
                                      if i.get('platform_update_domain') is not None)),
        ))
    return batches
