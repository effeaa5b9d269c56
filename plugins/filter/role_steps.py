# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the safe_maintenance role's step decisions (health polls, health rule, lease and repairs records,
the fleet read and the canary check before a batch, the abort reason); the logic lives in
module_utils/_decisions/role_steps.py, and each filter has its function's name."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import role_steps

STEPS = ('health_signal_forced', 'health_rule', 'batch_health_poll_interval', 'in_flight_wait', 'in_flight_settled',
         'lease_record', 'repairs_plan', 'repairs_after_suspend', 'repairs_after_resume', 'lease_after_release',
         'fleet_read_due', 'fleet_readings_with', 'canary_refusal_before', 'abort_reason')


class FilterModule(object):

    def filters(self):
        return dict((name, getattr(role_steps, name)) for name in STEPS)
