# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet playbook's combined report; the logic lives in module_utils/_decisions/fleet_report.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import fleet_report


class FilterModule(object):

    def filters(self):
        return {'fleet_report': fleet_report.fleet_report}
