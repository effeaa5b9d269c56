# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's gates and records as pure functions.

Each gate answers with the message the role fails with, or ``''`` when the run may go on, so the role's YAML
is one module call and one ``assert`` per decision. The inputs are what the modules return (results and
instance entries); times come in as ISO 8601 strings, so nothing here reads a clock.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import policy as scale_set_policy
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.arguments import instance_sort_key
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.plan import (
    PERCENT_VARIABLES, is_unhealthy, iso8601_seconds, unhealthy_ids)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.schedule import proof

# What a batch record's outcome says, in the words the report has always used.
HEALTHY = 'healthy'
UNHEALTHY = 'unhealthy after health_timeout'
FAILED = 'maintenance failed'
HEALTH_UNKNOWN = 'health not known'

# Azure's rollingUpgradePolicy names (as the info module returns them) -> the role's policy keys.
_POLICY_KEYS = PERCENT_VARIABLES + ('pause_time_between_batches', 'prioritize_unhealthy_instances',
                                    'enable_cross_zone_upgrade')


def _ids(ids):
    return ', '.join(ids) or 'none'


def within_budget(unhealthy_count, total, max_percent):
    """True while ``unhealthy_count`` is at most ``max_percent`` of ``total`` (exactly at the percent is within).

    Whole-number arithmetic, so 1 of 3 is more than 33 % and not more than 34 %. Of no instances, none may be
    unhealthy.
    """
    if total <= 0:
        return unhealthy_count <= 0
    return unhealthy_count * 100 <= total * max_percent


def batch_recovered(instances, require_health_signal=False):
    """Every instance of a batch is running and (where there is a signal) healthy; an empty read is not."""
    return bool(instances) and not any(is_unhealthy(i, require_health_signal) for i in instances)


def fleet_health(instances, require_health_signal=False, at=None, source=None):
    """One reading of the fleet's health: ``at``, ``source``, ``instances`` (count), ``unhealthy`` (count),
    ``unhealthy_ids`` and ``no_signal_ids`` (instances without an application health extension or probe)."""
    unhealthy = unhealthy_ids(instances, require_health_signal)
    no_signal = sorted((i['instance_id'] for i in instances if i.get('health_state') is None), key=instance_sort_key)
    return dict(at=at, source=source, instances=len(instances), unhealthy=len(unhealthy), unhealthy_ids=unhealthy,
                no_signal_ids=no_signal)


def effective_policy(variables, scale_set=None, from_scale_set=True):
    """The policy the run uses, field by field: a role variable the user set (not None in ``variables``), else the
    scale set's own rolling upgrade policy (``scale_set`` is scale_set_info's ``scale_set``; only with
    ``from_scale_set``), else Azure's default.

    ``sources`` names where each field came from and ``source`` sums them up for the log. A pause the scale set
    sets must be an ISO 8601 duration like the role's own.
    """
    azure = None
    if from_scale_set:
        azure = ((scale_set or {}).get('upgrade_policy') or {}).get('rolling_upgrade_policy')
    chosen = scale_set_policy.effective_policy(azure, dict((key, (variables or {}).get(key)) for key in _POLICY_KEYS))
    if chosen['sources']['pause_time_between_batches'] == scale_set_policy.SOURCE_SCALE_SET:
        iso8601_seconds(chosen['policy']['pause_time_between_batches'], 'the scale set policy pauseTimeBetweenBatches')
    result = dict(chosen['policy'])
    result['sources'] = chosen['sources']
    used = [source for source in (scale_set_policy.SOURCE_VARIABLE, scale_set_policy.SOURCE_SCALE_SET,
                                  scale_set_policy.SOURCE_DEFAULT) if source in chosen['sources'].values()]
    result['source'] = ', '.join(used)
    return result


# ---------------------------------------------------------------- refusals before any change

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
            'safe_maintenance_require_health_signal is true.' % _ids(health['no_signal_ids']))


def unhealthy_budget_refusal(health, max_unhealthy_instance_percent, batch_number=None):
    """Refuse when more than ``max_unhealthy_instance_percent`` of the fleet is unhealthy (before batch
    ``batch_number``, or before the run when it is None)."""
    # A whole number: the role's variables are checked (1-100); a scale set's policy may say 0.
    limit = int(max_unhealthy_instance_percent)
    if within_budget(health['unhealthy'], health['instances'], limit):
        return ''
    when = 'before batch %s, ' % batch_number if batch_number is not None else ''
    return '%s%d of %d instances are unhealthy (%s), more than max_unhealthy_instance_percent %d%%.' % (
        when, health['unhealthy'], health['instances'], _ids(health['unhealthy_ids']), limit)


def unknown_instances_refusal(plan, scale_set):
    """Refuse instance ids the scale set does not have."""
    if not plan.get('unknown'):
        return ''
    return 'safe_maintenance_instance_ids names %s, which scale set %s does not have.' % (
        _ids(plan['unknown']), scale_set)


# ---------------------------------------------------------------- one batch

def succeeded_ids(operation):
    """The instances whose operation perform_maintenance reports Succeeded, in its order (none when it has no
    per-operation status, as when the request itself was refused)."""
    return [str(i) for op in operation.get('operations') or [] if op.get('status') == 'Succeeded'
            for i in op.get('instance_ids') or []]


def batch_record(batch, started, finished, operation, health=None, fleet=None, require_health_signal=False):
    """What the report says about one batch that was sent (or refused by ARM).

    ``operation`` is perform_maintenance's result, ``health`` the last health read of the batch's instances
    (perform_maintenance's ``health``, or instance_view_info's result; ignored when the operation failed), ``fleet`` the fleet's health reading the
    batch started on (fleet_health). The keys of earlier versions stay; ``maintained_instance_ids`` (the ids
    the request named), ``update_domains``, ``fleet_instances``, ``fleet_unhealthy_before`` and
    ``fleet_unhealthy_after`` were added, then the plan's ``deadline``, ``estimated_start`` and ``estimated_end``
    and Azure's word on each instance (``instance_outcomes``, ``failed_maintenance``).
    """
    record = dict(number=batch['number'], zone=batch.get('zone'), instance_ids=list(batch['instance_ids']),
                  update_domains=list(batch.get('update_domains') or []), started=started, finished=finished)
    # the plan's estimate beside the actual times (windows.scheduled_plan)
    record.update((key, batch[key]) for key in ('deadline', 'estimated_start', 'estimated_end') if key in batch)
    if fleet is not None:
        record.update(fleet_instances=fleet['instances'], fleet_unhealthy_before=list(fleet['unhealthy_ids']))
    if operation.get('failed'):
        # On a Flexible scale set each VM has its own operation: those Azure reports Succeeded were maintained even
        # though the batch failed (the report must not list them as left to do). A Uniform batch is one operation.
        record.update(outcome=FAILED, error=operation.get('msg') or '', maintained_instance_ids=succeeded_ids(operation))
        return record
    elapsed, waited = operation.get('elapsed_seconds'), (operation.get('health') or {}).get('seconds')
    if elapsed is not None and waited is not None:
        # perform_maintenance's own health wait is part of its elapsed_seconds; the record keeps the maintenance's
        elapsed = round(max(0.0, elapsed - waited), 1)
    record.update(maintenance_seconds=elapsed,
                  skipped_instances=list(operation.get('skipped_instances') or []),
                  maintained_instance_ids=list(operation.get('instance_ids') or []))
    instances = (health or {}).get('instances')
    if instances is None:
        record.update(unhealthy_after=[], outcome=HEALTH_UNKNOWN,
                      error=(health or {}).get('msg') or 'health could not be read')
        return record
    stuck = unhealthy_ids(instances, require_health_signal)
    record.update(unhealthy_after=stuck, outcome=HEALTHY if not stuck else UNHEALTHY)
    # What Azure reports about each instance's maintenance, from the read that ended the wait: instance_outcomes,
    # and failed_maintenance (RetryLater, MaintenanceAborted), which counts against the upgraded budget.
    record.update(proof(instances, stuck))
    if fleet is not None:
        # The batch's instances as just read, the others as the fleet read before the batch found them.
        others = set(fleet['unhealthy_ids']) - set(record['instance_ids'])
        record['fleet_unhealthy_after'] = sorted(others | set(stuck), key=instance_sort_key)
    return record


def maintained_ids(records):
    """The ids maintenance was started on, over all batch records, in order."""
    return [i for record in records for i in record.get('maintained_instance_ids') or []]


def unhealthy_after_ids(records):
    return [i for record in records for i in record.get('unhealthy_after') or []]


def failed_maintenance(records):
    """The instance outcomes Azure reported as failed (RetryLater, MaintenanceAborted), over all batch records."""
    return [o for record in records for o in record.get('instance_outcomes') or [] if o['outcome'] == 'failed']


def after_batch_refusal(records, max_unhealthy_upgraded_instance_percent, health_timeout):
    """Stop after the last batch of ``records`` when its maintenance failed, its health could not be read, or
    more than ``max_unhealthy_upgraded_instance_percent`` of all instances maintained so far stayed unhealthy
    past ``health_timeout`` seconds."""
    if not records:
        return ''
    last = records[-1]
    named = 'batch %s (instances %s)' % (last['number'], _ids(last['instance_ids']))
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
                    last['number'], len(stuck), len(done), _ids(sorted(stuck, key=instance_sort_key)), health_timeout,
                    limit))
    return ('after batch %s, %d of %d maintained instances are still unhealthy after %s s or failed by Azure\'s report '
            '(%s), more than max_unhealthy_upgraded_instance_percent %d%%: %s.' % (
                last['number'], len(counted), len(done), health_timeout, _ids(sorted(counted, key=instance_sort_key)),
                limit, '; '.join('%s: %s' % (o['instance_id'], o['reason'].rstrip('.')) for o in failures)))


def final_message(report):
    """The message a failed run fails with; ``''`` when it did not fail. A stopped run says why, what was maintained
    and what is left; a run that did all it could but fails (its run window ended with
    safe_maintenance_fail_at_window_end, or maintained instances are not proven maintained and healthy) says that."""
    if not report.get('aborted'):
        if not report.get('failed'):
            return ''
        window, verdict = report.get('run_window') or {}, report.get('verdict') or {}
        parts = [window['message']] if window.get('stopped') and window.get('message') else []
        if verdict.get('failed'):
            parts.append(verdict['message'])
        return 'Maintenance of %s failed: %s' % (report.get('scale_set'), ' '.join(parts))
    reason = (report.get('abort_reason') or 'the run stopped').strip()
    if reason[-1:] not in '.!?':
        reason += '.'
    text = 'Maintenance of %s stopped: %s' % (report.get('scale_set'), reason)
    if not report.get('batches'):
        return text if text.endswith('Nothing was changed.') else text + ' Nothing was changed.'
    return text + (' Maintained: %d instance(s) (%s); left to do: %s. Run the role again to continue with what '
                   'is left.' % (report['totals']['maintained'], _ids(maintained_ids(report['batches'])),
                                 _ids(report.get('remaining_instance_ids') or [])))
