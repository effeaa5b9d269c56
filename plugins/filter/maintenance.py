# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the safe_maintenance role decides with; the logic lives in module_utils/_decisions (plan, gates,
policy, schedule, batches, variables) and module_utils/_answers (health, lease_record, read_cost)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import (
    health as instance_health, lease_record as lease, read_cost)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    batches as batch_records, gates, plan as planning, policy as policies, schedule as scheduling,
    variables as role_variables)


def _checked(function):
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except role_variables.PlanningError as exc:
            raise AnsibleFilterError(str(exc))
    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


def plan_batches(instances, instance_ids=None, max_batch_instance_percent=20, prioritize_unhealthy_instances=False,
                 enable_cross_zone_upgrade=False, require_health_signal=False, one_update_domain_per_batch=False,
                 batch_sizes=None):
    return planning.plan_batches(instances, instance_ids=instance_ids or None,
                                 max_batch_instance_percent=max_batch_instance_percent,
                                 prioritize_unhealthy_instances=prioritize_unhealthy_instances,
                                 enable_cross_zone_upgrade=enable_cross_zone_upgrade,
                                 require_health_signal=require_health_signal,
                                 one_update_domain_per_batch=bool(one_update_domain_per_batch),
                                 batch_sizes=batch_sizes)


def scheduled_plan(plan, instances, start, expected_batch_minutes=role_variables.DEFAULT_BATCH_MINUTES,
                   pause_time_between_batches='PT0S', update_domain_pause=None, not_after=None, run_start=None):
    return scheduling.scheduled_plan(plan, instances, start, expected_batch_minutes, pause_time_between_batches,
                                     update_domain_pause, not_after, run_start)


def unhealthy_ids(instances, require_health_signal=False):
    return instance_health.unhealthy_ids(instances, require_health_signal)


def iso8601_seconds(duration, name='duration'):
    return role_variables.iso8601_seconds(duration, name)


def role_variable_problems(variables):
    """Sentences naming each invalid safe_maintenance_ variable; empty when all are valid."""
    return role_variables.role_variable_problems(variables)


def poll_interval(batch_instances, fleet_size, minimum=5):
    return read_cost.poll_interval(int(batch_instances), int(fleet_size), minimum=int(minimum))


class FilterModule(object):

    def filters(self):
        return {
            'plan_batches': _checked(plan_batches),
            'unhealthy_ids': _checked(unhealthy_ids),
            'iso8601_seconds': _checked(iso8601_seconds),
            'poll_interval': _checked(poll_interval),
            'role_variable_problems': role_variable_problems,
            'effective_policy': _checked(policies.effective_policy),
            'fleet_health': instance_health.fleet_health,
            'rolling_upgrade_refusal': gates.rolling_upgrade_refusal,
            'os_upgrade_refusal': gates.os_upgrade_refusal,
            'health_signal_refusal': gates.health_signal_refusal,
            'unhealthy_budget_refusal': gates.unhealthy_budget_refusal,
            'unknown_instances_refusal': gates.unknown_instances_refusal,
            'batch_record': batch_records.batch_record,
            'after_batch_refusal': gates.after_batch_refusal,
            'policy_variables': role_variables.policy_variables,
            'provisioning_refusal': gates.provisioning_refusal,
            'os_upgrade_in_progress_refusal': gates.os_upgrade_in_progress_refusal,
            'require_health_signal': policies.require_health_signal,
            'repairs_to_suspend': policies.repairs_to_suspend,
            'operations_in_progress': policies.operations_in_progress,
            'lease_settings': lease.lease_settings,
            'scheduled_plan': _checked(scheduled_plan),
            'window_stop_message': _checked(scheduling.window_stop_message),
        }
