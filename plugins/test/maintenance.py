# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests the safe_maintenance role decides with; the logic lives in module_utils/_answers/health.py and
module_utils/_decisions/schedule.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import health as instance_health
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import schedule as scheduling


class TestModule(object):

    def tests(self):
        return {
            'batch_recovered': instance_health.batch_recovered,
            'wait_over': scheduling.wait_over,
        }
