# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the safe_maintenance role decides with; the logic lives in module_utils/planning.py, decisions.py,
scale_set_policy.py, lease.py, windows.py and read_cost.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.azure_vmss.maintenance.plugins.module_utils import (
    decisions, lease, planning, read_cost, scale_set_policy, windows)


def _checked(function):
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except planning.PlanningError as exc:
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


def scheduled_plan(plan, instances, start, expected_batch_minutes=windows.DEFAULT_BATCH_MINUTES,
                   pause_time_between_batches='PT0S', update_domain_pause=None, not_after=None, run_start=None):
    return windows.scheduled_plan(plan, instances, start, expected_batch_minutes, pause_time_between_batches,
                                  update_domain_pause, not_after, run_start)


def unhealthy_ids(instances, require_health_signal=False):
    return planning.unhealthy_ids(instances, require_health_signal)


def iso8601_seconds(duration, name='duration'):
    return planning.iso8601_seconds(duration, name)


def role_variable_problems(variables):
    """Sentences naming each invalid safe_maintenance_ variable; empty when all are valid."""
    return sorted(planning.variable_problems(variables) + windows.variable_problems(variables))


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
            'effective_policy': _checked(decisions.effective_policy),
            'fleet_health': decisions.fleet_health,
            'rolling_upgrade_refusal': decisions.rolling_upgrade_refusal,
            'os_upgrade_refusal': decisions.os_upgrade_refusal,
            'health_signal_refusal': decisions.health_signal_refusal,
            'unhealthy_budget_refusal': decisions.unhealthy_budget_refusal,
            'unknown_instances_refusal': decisions.unknown_instances_refusal,
            'batch_record': decisions.batch_record,
            'after_batch_refusal': decisions.after_batch_refusal,
            'policy_variables': scale_set_policy.policy_variables,
            'provisioning_refusal': scale_set_policy.provisioning_refusal,
            'os_upgrade_in_progress_refusal': scale_set_policy.os_upgrade_in_progress_refusal,
            'require_health_signal': scale_set_policy.require_health_signal,
            'repairs_to_suspend': scale_set_policy.repairs_to_suspend,
            'operations_in_progress': scale_set_policy.operations_in_progress,
            'lease_settings': lease.lease_settings,
            'scheduled_plan': _checked(scheduled_plan),
            'window_stop_message': _checked(windows.window_stop_message),
        }
