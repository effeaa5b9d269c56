# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every gate of a maintenance run: the refusals before any change (rolling upgrade, OS upgrade, provisioning,
health signal, unknown instances), before each batch (unhealthy budget, healthy floor, canary, alerts) and after
each batch (the after-batch budget). Each answers with the message the role fails with, or ``''`` when the run
may go on, so the role's YAML is one module call and one ``assert`` per decision. Every message names the
role variable it is about. Pure functions; no Azure imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import (
    instance_sort_key, join_ids)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.batches import (
    FAILED, failed_maintenance, HEALTH_UNKNOWN, unhealthy_after_ids)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.outcomes import maintained_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.variables import (
    alert_severities, iso8601_seconds, MIN_HEALTHY, min_healthy_count)


# -- stepped batch sizes ------------------------------------------------------------------------------


# -- the absolute floor ---------------------------------------------------------------------------------


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


# -- the batch a hook sees -------------------------------------------------------------------------------


# -- the role's new variables --------------------------------------------------------------------------------


def within_budget(unhealthy_count, total, max_percent):
    """True while ``unhealthy_count`` is at most ``max_percent`` of ``total`` (exactly at the percent is within).

    Whole-number arithmetic, so 1 of 3 is more than 33 % and not more than 34 %. Of no instances, none may be
    unhealthy.
    """
    if total <= 0:
        return unhealthy_count <= 0
    return unhealthy_count * 100 <= total * max_percent


def rolling_upgrade_refusal(rolling_upgrade, allow_during_rolling_upgrade=False):
    """Refuse while a rolling upgrade runs (``rolling_upgrade`` is rolling_upgrade_info's result)."""
    if not rolling_upgrade.get('rolling_upgrade_active') or allow_during_rolling_upgrade:
        return ''
    status = (rolling_upgrade.get('rolling_upgrade') or {}).get('running_status') or {}
    return ('a rolling upgrade of the scale set is %s (started %s); wait for it to end or set '
            'safe_maintenance_allow_during_rolling_upgrade.'
            % (status.get('code') or 'running', status.get('start_time') or '?'))


def os_upgrade_refusal(os_upgrades, fail_on_faulted_os_upgrade=True):
    """Refuse after a ``Faulted`` latest OS upgrade (``os_upgrades``: os_upgrade_history_info's list, newest first)."""
    if not fail_on_faulted_os_upgrade or not os_upgrades:
        return ''
    latest = os_upgrades[0] or {}
    if ((latest.get('running_status') or {}).get('code')) != 'Faulted':
        return ''
    message = (latest.get('error') or {}).get('message') or 'no error message'
    return ('the latest OS upgrade of the scale set ended Faulted (%s); look into it first, or set '
            'safe_maintenance_fail_on_faulted_os_upgrade to false.' % message)


def health_signal_refusal(health, require_health_signal=False):
    """With ``require_health_signal``, refuse when an instance of the reading ``health`` has no health signal."""
    if not require_health_signal or not health.get('no_signal_ids'):
        return ''
    return ('instances %s report no health (no application health extension or load balancer probe), and '
            'safe_maintenance_require_health_signal is true.' % join_ids(health['no_signal_ids']))


def unhealthy_budget_refusal(health, max_unhealthy_instance_percent, batch_number=None):
    """Refuse when more than ``max_unhealthy_instance_percent`` of the fleet is unhealthy (before batch
    ``batch_number``, or before the run when it is None)."""
    # A whole number: the role's variables are checked (1-100); a scale set's policy may say 0.
    limit = int(max_unhealthy_instance_percent)
    if within_budget(health['unhealthy'], health['instances'], limit):
        return ''
    when = 'before batch %s, ' % batch_number if batch_number is not None else ''
    return '%s%d of %d instances are unhealthy (%s), more than max_unhealthy_instance_percent %d%%.' % (
        when, health['unhealthy'], health['instances'], join_ids(health['unhealthy_ids']), limit)


def unknown_instances_refusal(plan, scale_set):
    """Refuse instance ids the scale set does not have."""
    if not plan.get('unknown'):
        return ''
    return 'safe_maintenance_instance_ids names %s, which scale set %s does not have.' % (
        join_ids(plan['unknown']), scale_set)


def after_batch_refusal(records, max_unhealthy_upgraded_instance_percent, health_timeout):
    """Stop after the last batch of ``records`` when its maintenance failed, its health could not be read, or
    more than ``max_unhealthy_upgraded_instance_percent`` of all instances maintained so far stayed unhealthy
    past ``health_timeout`` seconds."""
    if not records:
        return ''
    last = records[-1]
    named = 'batch %s (instances %s)' % (last['number'], join_ids(last['instance_ids']))
    if last['outcome'] == FAILED:
        return '%s: %s' % (named, last.get('error') or 'maintenance failed')
    if last['outcome'] == HEALTH_UNKNOWN:
        return '%s was maintained but its health could not be read: %s' % (named, last.get('error') or 'unknown error')
    limit = int(max_unhealthy_upgraded_instance_percent)
    failures = failed_maintenance(records)
    stuck = set(unhealthy_after_ids(records))
    counted, done = stuck | set(o['instance_id'] for o in failures), maintained_ids(records)
    if within_budget(len(counted), len(done), limit):
        return ''
    if not failures:
        return ('after batch %s, %d of %d maintained instances are still unhealthy (%s) after %s s, more than '
                'max_unhealthy_upgraded_instance_percent %d%%.' % (
                    last['number'], len(stuck), len(done), join_ids(sorted(stuck, key=instance_sort_key)), health_timeout,
                    limit))
    return ('after batch %s, %d of %d maintained instances are still unhealthy after %s s or failed by Azure\'s report '
            '(%s), more than max_unhealthy_upgraded_instance_percent %d%%: %s.' % (
                last['number'], len(counted), len(done), health_timeout, join_ids(sorted(counted, key=instance_sort_key)),
                limit, '; '.join('%s: %s' % (o['instance_id'], o['reason'].rstrip('.')) for o in failures)))


def os_upgrade_in_progress(history):
    """The newest OS image upgrade of ``history`` that is still RollingForward, or None."""
    for entry in history or []:
        if ((entry or {}).get('running_status') or {}).get('code') == 'RollingForward':
            return entry
    return None


def os_upgrade_in_progress_refusal(history):
    """Refuse while an OS image upgrade (automatic or started by a user) rolls forward (``history``:
    os_upgrade_history_info's list, newest first); ``''`` when none does."""
    upgrade = os_upgrade_in_progress(history)
    if upgrade is None:
        return ''
    started_by = upgrade.get('started_by')
    kind = 'an automatic OS image upgrade' if started_by == 'Platform' else 'an OS image upgrade'
    return '%s is in progress on the scale set (started %s%s); wait for it to finish.' % (
        kind, (upgrade.get('running_status') or {}).get('start_time') or 'at an unknown time',
        ' by %s' % started_by if started_by else '')


def provisioning_refusal(scale_set):
    """Refuse while Azure is still changing the scale set (``scale_set``: scale_set_info's ``scale_set``)."""
    state = (scale_set or {}).get('provisioning_state')
    if not state or state == 'Succeeded':
        return ''
    return ('the scale set is in provisioning state %s, not Succeeded; wait until Azure has finished the operation '
            'that changes it.' % state)
