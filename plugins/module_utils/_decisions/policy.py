# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a maintenance run takes from the scale set's own settings, and what makes it refuse. Pure functions.

Inputs are the shaped results of the collection's modules (``scale_set_info``'s ``scale_set``,
``rolling_upgrade_info``'s ``rolling_upgrade``, ``os_upgrade_history_info``'s ``history``), so the role can call
these as filters on what it registered.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.scale_set import NO_SIGNAL, service_state
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions.variables import (
    iso8601_seconds, PERCENT_VARIABLES)

# The policy fields a run uses, with Azure's defaults for a rolling upgrade policy.
POLICY_DEFAULTS = dict(
    max_batch_instance_percent=20,
    max_unhealthy_instance_percent=20,
    max_unhealthy_upgraded_instance_percent=20,
    pause_time_between_batches='PT0S',
    prioritize_unhealthy_instances=False,
    enable_cross_zone_upgrade=False,
)

SOURCE_VARIABLE = 'role variable'
SOURCE_SCALE_SET = 'scale set rolling upgrade policy'
SOURCE_DEFAULT = 'default'


def resolve_fields(rolling_upgrade_policy, user_values, defaults=None):
    """The run's policy, field by field: a value the user set wins, then the scale set's, then the default.

    ``rolling_upgrade_policy`` is ``scale_set.upgrade_policy.rolling_upgrade_policy`` (snake_case, or None);
    ``user_values`` maps field names to what the user set, None for "not set". Returns
    ``{'policy': {field: value}, 'sources': {field: source}}``.
    """
    defaults = dict(POLICY_DEFAULTS if defaults is None else defaults)
    from_scale_set = rolling_upgrade_policy or {}
    user_values = user_values or {}
    policy, sources = {}, {}
    for field, default in defaults.items():
        if user_values.get(field) is not None:
            policy[field], sources[field] = user_values[field], SOURCE_VARIABLE
        elif from_scale_set.get(field) is not None:
            policy[field], sources[field] = from_scale_set[field], SOURCE_SCALE_SET
        else:
            policy[field], sources[field] = default, SOURCE_DEFAULT
    return dict(policy=policy, sources=sources)


def require_health_signal(setting, health_kind):
    """Whether instances must report health, from ``safe_maintenance_require_health_signal``.

    ``setting`` is ``auto`` (required when the scale set has a health signal), or a boolean. Returns
    ``{'required': bool, 'refusal': message or ''}``: with ``auto`` and no health signal the run refuses, since it
    could only judge instances by their power state.
    """
    text = str(setting).strip().lower()
    if text in ('true', 'yes', '1'):
        return dict(required=True, refusal='')
    if text in ('false', 'no', '0'):
        return dict(required=False, refusal='')
    if text != 'auto':
        raise ValueError("safe_maintenance_require_health_signal must be auto, true or false, got %r" % (setting,))
    if (health_kind or NO_SIGNAL) == NO_SIGNAL:
        return dict(required=False, refusal=(
            'The scale set has no health signal: a maintained instance could only be judged by its power state. Add a '
            'load balancer health probe (virtualMachineProfile.networkProfile.healthProbe) or the Application Health '
            'extension (ApplicationHealthLinux or ApplicationHealthWindows), or set '
            'safe_maintenance_require_health_signal: false to maintain on power state alone.'))
    return dict(required=True, refusal='')


def repairs_to_suspend(scale_set, suspend_setting=True):
    """Whether the run suspends automatic repairs: ``{'suspend': bool, 'reason': text}``.

    Only when repairs are enabled in the policy and Running in the instance view: never resume what the run did not
    suspend, so a service that was already Suspended is left as found.
    """
    if not suspend_setting:
        return dict(suspend=False, reason='safe_maintenance_suspend_automatic_repairs is false')
    policy = (scale_set or {}).get('automatic_repairs_policy') or {}
    if not policy.get('enabled'):
        return dict(suspend=False, reason='automatic repairs are not enabled on the scale set')
    state = service_state((scale_set or {}).get('orchestration_services'))
    if state != 'Running':
        return dict(suspend=False, reason='automatic repairs are %s, not Running: left as they are' % state)
    return dict(suspend=True, reason='automatic repairs are enabled and Running')


def operations_in_progress(instances):
    """Instance ids (in the given order) whose provisioning state is ``updating``: an operation, for example the
    maintenance a killed run had started, is still running on them. A rerun must not POST them again (Azure
    answers 409): it waits for them and verifies them like a batch."""
    return [entry.get('instance_id') for entry in instances or []
            if (entry.get('provisioning_state') or '').lower() == 'updating']


# Azure's rollingUpgradePolicy names (as the info module returns them) -> the role's policy keys.
_POLICY_KEYS = PERCENT_VARIABLES + ('pause_time_between_batches', 'prioritize_unhealthy_instances',
                                    'enable_cross_zone_upgrade')


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
    chosen = resolve_fields(azure, dict((key, (variables or {}).get(key)) for key in _POLICY_KEYS))
    if chosen['sources']['pause_time_between_batches'] == SOURCE_SCALE_SET:
        iso8601_seconds(chosen['policy']['pause_time_between_batches'], 'the scale set policy pauseTimeBetweenBatches')
    result = dict(chosen['policy'])
    result['sources'] = chosen['sources']
    used = [source for source in (SOURCE_VARIABLE, SOURCE_SCALE_SET,
                                  SOURCE_DEFAULT) if source in chosen['sources'].values()]
    result['source'] = ', '.join(used)
    return result
