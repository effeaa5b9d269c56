# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator's controls of a maintenance run as pure functions: stepped batch sizes (Ansible's ``serial``
form), the absolute floor of healthy instances, the canary's bake time, the Azure Monitor alert gate, and the
batch a hook sees. Each gate answers with the message the role fails with, or ``''`` when the run may go on.

Every error message names the role variable it is about. No Azure imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.plan import (
    PlanningError, batch_size, iso8601_seconds)

SEVERITIES = ('Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4')
DEFAULT_ALERT_SEVERITIES = ('Sev0', 'Sev1', 'Sev2')
BATCH_SIZES = 'safe_maintenance_batch_sizes'
MIN_HEALTHY = 'safe_maintenance_min_healthy_instances'
ALERT_SEVERITIES = 'safe_maintenance_alert_severities'


# -- stepped batch sizes ------------------------------------------------------------------------------

def parse_batch_sizes(value, name=BATCH_SIZES):
    """``[1, 5, "20%"]`` -> ``[(1, False), (5, False), (20, True)]``: (number, is a percent).

    As Ansible's ``serial``: a whole number of instances or a percent of the scale set per item; one value
    alone is a list of one; empty (or None) means no steps. Anything else raises PlanningError naming ``name``.
    """
    if value is None or value == '' or value == []:
        return []
    if isinstance(value, dict):
        raise PlanningError('%s must be a list of batch sizes such as [1, 5, "20%%"], not %r' % (name, value))
    items = value if isinstance(value, (list, tuple)) else [value]
    steps = []
    for position, item in enumerate(items, 1):
        text = str(item).strip()
        is_percent = text.endswith('%')
        number = text[:-1].strip() if is_percent else text
        if isinstance(item, (bool, float)) or not number.isdigit():
            raise PlanningError('%s item %d is %r: give a whole number of instances (5) or a percent of the scale '
                                'set ("20%%"), as in [1, 5, "20%%"]' % (name, position, item))
        if int(number) < 1 or (is_percent and int(number) > 100):
            raise PlanningError('%s item %d is %r: a batch takes at least 1 instance%s' % (
                name, position, item, ' and a percent is 1% to 100%' if is_percent else ''))
        steps.append((int(number), is_percent))
    return steps


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


# -- the absolute floor ---------------------------------------------------------------------------------

def min_healthy_count(value, name=MIN_HEALTHY):
    text = str(value).strip()
    if isinstance(value, (bool, float)) or not text.isdigit():
        raise PlanningError('%s must be a whole number of instances, 0 or more, not %r' % (name, value))
    return int(text)


def min_healthy_refusal(health, batch_instance_ids, min_healthy_instances, batch_number=None, name=MIN_HEALTHY):
    """Why the batch must not start: the healthy instances would drop below the floor while it is maintained;
    '' when it may start.

    ``health`` is a fleet health reading (``instances``, the count, and ``unhealthy_ids``); the batch takes its
    healthy members out of service, its unhealthy ones take nothing more away.
    """
    floor = min_healthy_count(min_healthy_instances, name)
    if floor == 0:
        return ''
    unhealthy = set(health.get('unhealthy_ids') or [])
    total = int(health.get('instances') or 0)
    healthy = total - len(unhealthy)
    taken = [str(i) for i in batch_instance_ids if str(i) not in unhealthy]
    left = healthy - len(taken)
    if left >= floor:
        return ''
    which = 'batch %s' % batch_number if batch_number is not None else 'the batch'
    return ('%s would leave %d healthy instance%s, fewer than %s %d: %d of %d instances are healthy and %s takes '
            '%d of them (%s) out of service. Lower %s, or maintain when more instances are healthy.' % (
                which, left, '' if left == 1 else 's', name, floor, healthy, total, which,
                len(taken), ', '.join(taken) or 'none', name))


# -- the canary ------------------------------------------------------------------------------------------

def pause_before_batch(number, pause_seconds, canary_pause='PT0S', name='safe_maintenance_canary_pause'):
    """Seconds to wait before batch ``number``: the pause between batches, and before batch 2 at least the
    canary pause (the bake time of batch 1). Batch 1 starts at once."""
    number = int(number)
    if number <= 1:
        return 0
    pause = int(math.ceil(float(pause_seconds or 0)))
    if number == 2:
        pause = max(pause, int(math.ceil(iso8601_seconds(canary_pause or 'PT0S', name))))
    return pause


def canary_refusal(health, first_batch_ids, canary_pause, name='safe_maintenance_canary_pause'):
    """After the canary pause: why batch 2 must not start (an instance of batch 1 is unhealthy in the fleet
    read taken after the pause); '' when it may, or when there is no canary pause."""
    if iso8601_seconds(canary_pause or 'PT0S', name) <= 0:
        return ''
    unhealthy = set(health.get('unhealthy_ids') or [])
    sick = [str(i) for i in first_batch_ids if str(i) in unhealthy]
    if not sick:
        return ''
    return ('the canary batch 1 did not hold: instance%s %s %s unhealthy after %s %s. Batch 2 was not started; '
            'look at %s first.' % ('' if len(sick) == 1 else 's', ', '.join(sick), 'is' if len(sick) == 1 else 'are',
                                   name, canary_pause, 'it' if len(sick) == 1 else 'them'))


# -- the alert gate -------------------------------------------------------------------------------------

def alert_severities(value, name=ALERT_SEVERITIES):
    """The validated severity list (default Sev0, Sev1, Sev2 when None)."""
    if value is None:
        return list(DEFAULT_ALERT_SEVERITIES)
    items = value if isinstance(value, (list, tuple)) else None
    if not items:
        raise PlanningError('%s must be a non-empty list of %s, not %r' % (name, ', '.join(SEVERITIES), value))
    bad = [item for item in items if item not in SEVERITIES]
    if bad:
        raise PlanningError('%s has %s: each item is one of %s' % (
            name, ', '.join(repr(b) for b in bad), ', '.join(SEVERITIES)))
    return sorted(set(items))


def describe_alert(alert):
    """``'cpu high' (Sev1) on vmss-web``: how an alert is named in messages."""
    target = alert.get('target_resource_name') or (alert.get('target_resource') or '').rsplit('/', 1)[-1]
    return "'%s' (%s)%s" % (alert.get('name'), alert.get('severity'), ' on %s' % target if target else '')


def alert_refusal(alerts, severities=None, batch_number=None, alert_wait=None):
    """The alert gate before a batch: why it must not start, naming each fired alert of ``severities`` with its
    severity (the most severe first); '' when none fires.

    ``alerts`` is alerts_info's result (or its ``alerts`` list). A result without alerts is a failed read, and
    a gate that cannot see stays closed: the message is the read's error.
    """
    wanted = alert_severities(severities)
    which = 'batch %s' % batch_number if batch_number is not None else 'the next batch'
    if isinstance(alerts, dict):
        if 'alerts' not in alerts:
            return ('the Azure Monitor alerts could not be read before %s, so the alert gate stays closed: %s' % (
                which, alerts.get('msg') or 'no answer'))
        alerts = alerts['alerts']
    holding = sorted((a for a in alerts or [] if a.get('severity') in wanted
                      and a.get('monitor_condition', 'Fired') == 'Fired'),
                     key=lambda a: (a.get('severity') or '', a.get('start_date_time') or '', a.get('name') or ''))
    if not holding:
        return ''
    waited = ' after waiting safe_maintenance_alert_wait %s' % alert_wait if alert_wait else ''
    return ('%d Azure Monitor alert%s of severity %s still fire%s%s, holding %s: %s. Resolve %s, or change '
            'safe_maintenance_alert_severities or safe_maintenance_block_on_alerts.' % (
                len(holding), '' if len(holding) == 1 else 's', '/'.join(wanted), 's' if len(holding) == 1 else '',
                waited, which, '; '.join(describe_alert(a) for a in holding), 'it' if len(holding) == 1 else 'them'))


# The pace of the alert reads while the gate holds, when safe_maintenance_poll_interval leaves it to the role:
# one ARM read per 30 s is nothing against ARM's 12,000 reads an hour.
ALERT_POLL_SECONDS = 30


def alert_polls(alert_wait, poll_interval=0, name='safe_maintenance_alert_wait'):
    """``{'retries', 'delay'}`` for reading the alerts until they clear: reads ``delay`` seconds apart
    (poll_interval when set, else 30) for up to ``alert_wait`` (ISO 8601)."""
    wait = iso8601_seconds(alert_wait, name)
    delay = int(poll_interval) if int(poll_interval or 0) > 0 else ALERT_POLL_SECONDS
    return dict(retries=int(math.ceil(wait / float(delay))), delay=delay, seconds=wait)


def wait_over(now, deadline, delay):
    """Whether a wait that reads every ``delay`` seconds until ``deadline`` is over at ``now`` (both epoch seconds,
    ``now`` taken after a read): the next read would start after the deadline.

    A wait of retries x delay counts reads, and every read is a module process of a second or more, so it overran
    its time by that much per read. The role's waits end on this clock test instead (``retries`` only a cap that
    fast reads could reach): no read starts after the deadline, so the wait ends within one read of it.
    """
    return float(now) + max(0.0, float(delay)) > float(deadline)


# -- the batch a hook sees -------------------------------------------------------------------------------

def hook_batch(batch, instances):
    """The documented ``safe_maintenance_batch`` variable of the before/after hooks: number, instance_ids,
    instance_names, computer_names, zone, update_domains (instances as instance_view_info returns them)."""
    by_id = dict((i['instance_id'], i) for i in instances or [])
    members = [by_id.get(iid, {}) for iid in batch['instance_ids']]
    return dict(
        number=batch['number'],
        instance_ids=list(batch['instance_ids']),
        instance_names=[m.get('name') for m in members],
        computer_names=[m.get('computer_name') or (m.get('instance_view') or {}).get('computer_name') for m in members],
        zone=batch.get('zone'),
        update_domains=list(batch.get('update_domains') or []),
    )


HOOK_VARIABLES = {'before': 'safe_maintenance_before_batch_tasks', 'after': 'safe_maintenance_after_batch_tasks'}


def hook_failure(batch, hook, path, failure):
    """The message a failed hook stops the run with: which hook, its file, the batch, the failing task's message,
    and (before) that the batch was not started or (after) that it was maintained."""
    if hook not in HOOK_VARIABLES:
        raise PlanningError('hook must be one of %s, not %r' % (', '.join(sorted(HOOK_VARIABLES)), hook))
    ids = ', '.join(batch.get('instance_ids') or []) or 'none'
    if hook == 'before':
        return '%s (%s) failed before batch %s (instances %s): %s. Batch %s was not started.' % (
            HOOK_VARIABLES[hook], path, batch['number'], ids, failure or 'a task failed', batch['number'])
    return '%s (%s) failed after batch %s (instances %s) was maintained: %s.' % (
        HOOK_VARIABLES[hook], path, batch['number'], ids, failure or 'a task failed')


# -- the role's new variables --------------------------------------------------------------------------------

def _is_boolean(value):
    # what Ansible's bool filter and argument specs take (true, "yes", "on", 1 ...), as -e gives strings
    from ansible.module_utils.parsing.convert_bool import boolean
    try:
        boolean(value, strict=True)
    except TypeError:
        return False
    return True


def control_variable_problems(variables, prefix='safe_maintenance_'):
    """One sentence per invalid control variable (full names -> values); names not held are not checked."""
    checks = {
        'batch_sizes': parse_batch_sizes,
        'min_healthy_instances': min_healthy_count,
        'alert_severities': alert_severities,
        'canary_pause': iso8601_seconds,
        'alert_wait': iso8601_seconds,
    }
    problems = []
    for name, value in sorted(variables.items()):
        short = name[len(prefix):] if name.startswith(prefix) else name
        try:
            if short in checks:
                checks[short](value, name)
            elif short == 'block_on_alerts' and not _is_boolean(value):
                problems.append('%s must be true or false, not %r' % (name, value))
            elif short in ('before_batch_tasks', 'after_batch_tasks') and value not in (None, '') and (
                    not isinstance(value, str) or not value.strip()):
                problems.append('%s must be the path of a task file, not %r' % (name, value))
        except PlanningError as exc:
            problems.append(str(exc))
    return problems
