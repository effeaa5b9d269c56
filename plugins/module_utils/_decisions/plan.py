# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's plan as pure functions: variables, batches, health, durations (the gates that
use them, the budgets among them, are in decisions.py).

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
import re

from ansible_collections.azure_vmss.maintenance.plugins.module_utils.arguments import (
    instance_ids_error, instance_sort_key, resource_group_error, scale_set_name_error)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    classify_for_maintenance, deadline_sort_key)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.lease_record import run_id_error

_DURATION = re.compile(
    r'^P(?!$)(?:(?P<days>\d+(?:\.\d+)?)D)?'
    r'(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$')


class PlanningError(ValueError):
    """A policy value or input the plan cannot be made from; the message names the variable."""


def iso8601_seconds(duration, name='duration'):
    """``PT0S`` -> 0, ``PT1M30S`` -> 90, ``P1DT2H`` -> 93600. Years, months and weeks are refused (ambiguous)."""
    if not isinstance(duration, str):
        raise PlanningError('%s must be an ISO 8601 duration string such as PT30S or PT5M, not %r' % (name, duration))
    match = _DURATION.match(duration.strip().upper())
    if not match:
        raise PlanningError('%s %r is not an ISO 8601 duration of days, hours, minutes and seconds (for example '
                            'PT0S, PT30S, PT5M, PT1H30M)' % (name, duration))
    parts = dict((key, float(value)) for key, value in match.groupdict().items() if value)
    return parts.get('days', 0) * 86400 + parts.get('hours', 0) * 3600 + parts.get('minutes', 0) * 60 + parts.get('seconds', 0)


def percent(value, name):
    """A whole number from 1 to 100 (an int, or a string of one); anything else names ``name``."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 100:
        raise PlanningError('%s must be a whole number from 1 to 100, not %r' % (name, value))
    return int(text)


def whole_number(value, name, minimum=0):
    """A whole number (an int, or a string of one) of at least ``minimum``; anything else names ``name``."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < minimum:
        raise PlanningError('%s must be a whole number of seconds, %s, not %r' % (
            name, 'greater than 0' if minimum == 1 else '%d or more' % minimum, value))
    return int(text)


PERCENT_VARIABLES = ('max_batch_instance_percent', 'max_unhealthy_instance_percent',
                     'max_unhealthy_upgraded_instance_percent')
POSITIVE_VARIABLES = ('health_timeout', 'operation_timeout')
NON_NEGATIVE_VARIABLES = ('poll_interval', 'lease_duration', 'lease_confirm_delay')
NAME_VARIABLES = ('resource_group', 'scale_set')
DURATION_VARIABLES = ('pause_time_between_batches',)
# Policy variables the user may leave unset (null): each then comes from the scale set, else Azure's default.
OPTIONAL_POLICY_VARIABLES = PERCENT_VARIABLES + DURATION_VARIABLES


def variable_problems(variables, prefix='safe_maintenance_'):
    """What is wrong with the role's variables, one sentence each naming its variable (``prefix`` + name).

    ``variables`` maps full variable names to values; names it does not hold are not checked.
    """
    problems = []
    for name, value in sorted(variables.items()):
        short = name[len(prefix):] if name.startswith(prefix) else name
        try:
            if short in OPTIONAL_POLICY_VARIABLES and value is None:
                continue  # not set: taken from the scale set's rolling upgrade policy, else Azure's default
            if short == 'require_health_signal':
                if str(value).strip().lower() not in ('auto', 'true', 'false', 'yes', 'no'):
                    problems.append('%s must be auto, true or false, not %r' % (name, value))
            elif short in ('run_id', 'break_lease'):
                problem = run_id_error(value) if value not in (None, '') else None
                if problem:
                    problems.append('%s %r %s' % (name, value, problem))
            elif short in PERCENT_VARIABLES:
                percent(value, name)
            elif short in POSITIVE_VARIABLES:
                whole_number(value, name, 1)
            elif short in NON_NEGATIVE_VARIABLES:
                whole_number(value, name, 0)
            elif short in DURATION_VARIABLES:
                iso8601_seconds(value, name)
            elif short in NAME_VARIABLES and (not isinstance(value, str) or not value.strip()):
                problems.append('%s must name the %s, not %r' % (
                    name, 'scale set' if short == 'scale_set' else 'resource group of the scale set', value))
            elif short in NAME_VARIABLES:
                # The modules would refuse these too, but under their own option names.
                problem = (scale_set_name_error if short == 'scale_set' else resource_group_error)(value)
                if problem:
                    problems.append('%s %r %s' % (name, value, problem))
            elif short == 'instance_ids' and value:
                problem = instance_ids_error(value) if isinstance(value, list) else 'must be a list of instance ids'
                if problem:
                    problems.append('%s %s' % (name, problem))
        except PlanningError as exc:
            problems.append(str(exc))
    return problems


def batch_size(total, max_batch_instance_percent):
    """Instances per batch: the percent of all instances, rounded down, at least one."""
    return max(1, int(math.floor(total * percent(max_batch_instance_percent, 'max_batch_instance_percent') / 100.0)))


def is_unhealthy(instance, require_health_signal=False):
    """Not running, failed to provision, or (with a health signal) anything but healthy."""
    if instance.get('power_state') != 'running':
        return True
    if instance.get('provisioning_state') == 'failed':
        return True
    health = instance.get('health_state')
    if health is None:
        return bool(require_health_signal)
    return health != 'healthy'


def settles_not_recovered(instance):
    """True when this one instance already makes a read of its batch "not recovered" (``batch_recovered`` false),
    whatever ``require_health_signal`` and whatever a health fallback could add: it is not running, failed to
    provision, or reports a health state other than healthy. An instance without a health state does not settle
    it (the fallback may still find one). A health poll may stop reading once it meets such an instance."""
    return is_unhealthy(instance, require_health_signal=False)


def unhealthy_ids(instances, require_health_signal=False):
    return sorted((i['instance_id'] for i in instances if is_unhealthy(i, require_health_signal)), key=instance_sort_key)


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
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.gates import batch_size_steps, chunk_batches
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
