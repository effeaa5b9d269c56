# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the operator controls of the safe_maintenance role (batch sizes, canary, hooks, alert gate, floor);
the logic lives in module_utils/controls.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.azure_vmss.maintenance.plugins.module_utils import controls, planning


def _checked(function):
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except planning.PlanningError as exc:
            raise AnsibleFilterError(str(exc))
    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


def control_variable_problems(variables):
    """Sentences naming each invalid operator-control variable of the role; empty when all are valid."""
    return controls.control_variable_problems(variables)


class FilterModule(object):

    def filters(self):
        return {
            'control_variable_problems': control_variable_problems,
            'pause_before_batch': _checked(controls.pause_before_batch),
            'canary_refusal': _checked(controls.canary_refusal),
            'min_healthy_refusal': _checked(controls.min_healthy_refusal),
            'alert_refusal': _checked(controls.alert_refusal),
            'alert_polls': _checked(controls.alert_polls),
            'hook_batch': controls.hook_batch,
            'hook_failure': _checked(controls.hook_failure),
        }
