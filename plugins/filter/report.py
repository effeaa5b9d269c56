# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that build the safe_maintenance role's report and its run log; the logic lives in module_utils/_decisions
(report, run_log, timeline)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import (
    report, run_log, timeline as timelines)


class FilterModule(object):

    def filters(self):
        return {
            'maintenance_report': report.maintenance_report,
            'plan_lines': run_log.plan_lines,
            'batch_line': run_log.batch_line,
            'report_lines': run_log.report_lines,
            'report_timeline': timelines.report_timeline,
        }
