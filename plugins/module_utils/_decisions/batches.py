# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record of each batch (what was started, what Azure completed, what stayed unhealthy) and the batch a
hook sees. Pure functions: inputs are what the modules return, times are ISO 8601 strings.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.health import unhealthy_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import instance_sort_key
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.outcomes import proof
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.variables import PlanningError


# What a batch record's outcome says, in the words the report has always used.
HEALTHY = 'healthy'
UNHEALTHY = 'unhealthy after health_timeout'
FAILED = 'maintenance failed'
HEALTH_UNKNOWN = 'health not known'


# ---------------------------------------------------------------- refusals before any change


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


def unhealthy_after_ids(records):
    return [i for record in records for i in record.get('unhealthy_after') or []]


def failed_maintenance(records):
    """The instance outcomes Azure reported as failed (RetryLater, MaintenanceAborted), over all batch records."""
    return [o for record in records for o in record.get('instance_outcomes') or [] if o['outcome'] == 'failed']


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
