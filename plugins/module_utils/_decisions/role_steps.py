# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's remaining step decisions as pure functions, so the role's YAML only says what
happens in what order: how the health waits poll, how the health-signal setting reads, what the lease and the
automatic repairs record after each step, whether a fleet read or the canary check is due before a batch, and
why the run stopped.

Each takes plain values (a module's registered result is a dict) and returns a new value; nothing is changed in
place. No Azure imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import (
    health as instance_health, read_cost)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import gates, policy as policies

# The in-flight wait reads every few seconds, as the batch wait's floor does.
IN_FLIGHT_POLL_SECONDS = 5
# A lease taken from another run (forced, or expired) carries that run's suspended automatic repairs.
TAKEOVER_OUTCOMES = ('broke_lease', 'took_over_expired')
_TRUE_WORDS = ('yes', 'on', '1', 'true')


def _as_bool(value):
    """Ansible's ``bool`` filter: True for true, yes, on and 1 (in any case), False for anything else."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in _TRUE_WORDS


def _skipped(result):
    """Ansible's ``skipped`` test on a registered result; None stands for a step that never ran."""
    return result is None or bool(result.get('skipped'))


def health_signal_forced(setting):
    """Whether ``safe_maintenance_require_health_signal`` asks for a health signal outright (true, yes or 1),
    before the scale set is read: ``auto`` decides only once its health signal is known."""
    return str(setting).lower() in ('true', 'yes', '1')


def health_rule(setting, health_kind):
    """The run's health rule once the scale set is read: ``required`` and ``refusal`` as
    ``policies.require_health_signal`` decides them, and ``fallback``: whether an instance read must look
    into the instance views for health (the scale set has a signal, the VM list may carry none)."""
    rule = dict(policies.require_health_signal(setting, health_kind))
    rule['fallback'] = health_kind != 'none'
    return rule


def batch_health_poll_interval(poll_interval, batch_size, fleet_size):
    """Seconds between the health polls of a batch: ``safe_maintenance_poll_interval`` when set (above 0),
    otherwise the read-cost pace for ``batch_size`` instances in a fleet of ``fleet_size``."""
    interval = int(poll_interval or 0)
    if interval > 0:
        return interval
    return read_cost.poll_interval(int(batch_size), int(fleet_size or 0))


def in_flight_wait(now, operation_timeout, health_timeout, delay=IN_FLIGHT_POLL_SECONDS):
    """How the run waits for instances an earlier run left under an operation: until ``deadline`` (epoch
    seconds: the operation timeout and the health timeout from ``now``), reading every ``delay`` seconds;
    ``retries`` only caps the reads (the deadline ends the wait)."""
    budget = int(operation_timeout) + int(health_timeout)
    delay = int(delay)
    return dict(deadline=float(now) + budget, retries=int(math.ceil(budget / float(delay))), delay=delay)


def in_flight_settled(read, require_health_signal=False):
    """Whether a read of the in-flight instances finds each done (no operation left) and recovered (running,
    and healthy where there is a signal). A failed read (no ``instances``) has not settled."""
    instances = (read or {}).get('instances')
    if instances is None:
        return False
    return (not policies.operations_in_progress(instances)
            and instance_health.batch_recovered(instances, _as_bool(require_health_signal)))


def lease_record(enabled, settings=None, taken=None, check_mode=False):
    """The lease as the report shows it after the claim: with the lease off, not held; otherwise held (except in
    check mode) by this run's ``run_id`` and ``owner``, with how it was taken (``outcome``) and the run whose
    lease it took (``previous_holder``, or None)."""
    if not _as_bool(enabled):
        return dict(enabled=False, held=False, released=False)
    settings = settings or {}
    taken = taken or {}
    previous = taken.get('previous_lease') or {}
    return dict(enabled=True, held=not _as_bool(check_mode), released=False, run_id=settings.get('run_id'),
                owner=settings.get('owner'), outcome=taken.get('outcome'), previous_holder=previous.get('run_id'))


def repairs_plan(scale_set, suspend_setting=True, lease_enabled=False, lease_taken=None):
    """What the run does about automatic repairs: ``policies.repairs_to_suspend``'s decision, neither
    suspended nor resumed yet; but when this run took over the lease of a run that had suspended them (and was
    killed), it suspends nothing and resumes them at its end, as if it had suspended them itself."""
    plan = dict(policies.repairs_to_suspend(scale_set, _as_bool(suspend_setting)))
    plan.update(suspended=False, resumed=False)
    taken = lease_taken or {}
    previous = taken.get('previous_lease') or {}
    if (_as_bool(lease_enabled) and taken.get('outcome') in TAKEOVER_OUTCOMES
            and _as_bool(previous.get('repairs_suspended', False))):
        plan.update(suspend=False, suspended=True,
                    reason='suspended by run %s, whose lease this run took over' % previous.get('run_id'))
    return plan


def repairs_after_suspend(repairs, suspend_result):
    """The repairs record after the suspend step: unchanged when the step did not run; otherwise suspended
    when the request changed the service, or when it failed (only then does the run resume them).

    A failed request may still have been applied: an answer lost after Azure took the request (a dropped
    connection) reads as a failure. So the run resumes them at its end all the same; resuming a service that
    runs sends nothing (orchestration_service reads the state first)."""
    record = dict(repairs)
    if not _skipped(suspend_result):
        record['suspended'] = bool(suspend_result.get('changed') or suspend_result.get('failed'))
    return record


def repairs_after_resume(repairs, resume_result):
    """The repairs record after the resume step: unchanged when the step did not run; otherwise whether the
    resume succeeded and its error (None when it did)."""
    record = dict(repairs)
    if not _skipped(resume_result):
        record.update(resumed=not resume_result.get('failed', False), resume_error=resume_result.get('msg'))
    return record


def lease_after_release(lease_state, release_result):
    """The lease record after the release step: unchanged when the step did not run (no lease held); otherwise
    whether the release succeeded and its error (None when it did)."""
    record = dict(lease_state)
    if not _skipped(release_result):
        record.update(released=not release_result.get('failed', False), release_error=release_result.get('msg'))
    return record


def fleet_read_due(batch_number, alert_read=None):
    """Whether the fleet is read again before batch ``batch_number``: before every batch after the first, and
    before the first when the alert gate waited (read more than once), since the preflight's read is then old."""
    attempts = int((alert_read or {}).get('attempts') or 1)
    return int(batch_number) > 1 or attempts > 1


def fleet_readings_with(readings, read, require_health_signal=False, at=None, source=None):
    """The run's fleet readings with the reading of ``read`` (an instance read's result) appended; unchanged when
    the read did not run. The run's current fleet health is always the last reading."""
    readings = list(readings or [])
    if _skipped(read):
        return readings
    return readings + [instance_health.fleet_health(read.get('instances') or [], _as_bool(require_health_signal),
                                                    at=at, source=source)]


def canary_refusal_before(fleet_health, batch_number, plan, canary_pause='PT0S'):
    """Why batch ``batch_number`` must not start because the canary (batch 1) did not stay healthy through the
    canary pause; checked only before batch 2, '' before every other batch and when it may start."""
    if int(batch_number) != 2:
        return ''
    first = ((plan or {}).get('batches') or [{}])[0].get('instance_ids') or []
    return gates.canary_refusal(fleet_health, first, canary_pause)


def abort_reason(failed_result, failed_task_name='?'):
    """Why the run stopped, for the report: the failed step's message, or the failed task's name when it gave
    none."""
    message = (failed_result or {}).get('msg')
    if message:
        return message
    return 'task %s failed' % (failed_task_name,)
