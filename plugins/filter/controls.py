# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the operator controls of the safe_maintenance role (batch sizes, canary, hooks, alert gate, floor);
the logic lives in module_utils/_decisions (gates, schedule, batches, variables)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the role's filters' one wrapper: a PlanningError (a bad variable, named in its message) becomes a filter error
from ansible_collections.azure_vmss.maintenance.plugins.filter.maintenance import _checked
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import gates
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import schedule as scheduling
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import batches as batch_records
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import variables as role_variables


def control_variable_problems(variables):
    """Sentences naming each invalid operator-control variable of the role; empty when all are valid."""
    return role_variables.control_variable_problems(variables)


class FilterModule(object):

    def filters(self):
        return {
            'control_variable_problems': control_variable_problems,
            'pause_before_batch': _checked(scheduling.pause_before_batch),
            'canary_refusal': _checked(gates.canary_refusal),
            'min_healthy_refusal': _checked(gates.min_healthy_refusal),
            'alert_refusal': _checked(gates.alert_refusal),
            'alert_polls': _checked(scheduling.alert_polls),
            'hook_batch': batch_records.hook_batch,
            'hook_failure': _checked(batch_records.hook_failure),
        }
