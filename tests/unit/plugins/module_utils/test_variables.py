# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one validator of the role's variables gathers what the three checks found, in the order the role showed."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._decisions import variables as role_variables


def test_one_validator_reports_every_part_policy_window_and_controls_in_order():
    bad = {'safe_maintenance_max_batch_instance_percent': 0, 'safe_maintenance_not_after': 'soon',
           'safe_maintenance_batch_sizes': ['0%'], 'safe_maintenance_scale_set': 'vmss-web',
           'safe_maintenance_resource_group': 'rg-web'}
    problems = role_variables.role_variable_problems(bad)
    policy = role_variables.variable_problems(bad)
    window = role_variables.window_variable_problems(bad)
    controls = role_variables.control_variable_problems(bad)
    assert policy and window and controls
    assert problems == sorted(policy + window) + controls
    assert any('safe_maintenance_max_batch_instance_percent' in p for p in problems)
    assert any('safe_maintenance_not_after' in p for p in problems)
    assert any('safe_maintenance_batch_sizes' in p for p in problems)


def test_valid_variables_have_no_problem():
    good = {'safe_maintenance_scale_set': 'vmss-web', 'safe_maintenance_resource_group': 'rg-web'}
    assert role_variables.role_variable_problems(good) == []
