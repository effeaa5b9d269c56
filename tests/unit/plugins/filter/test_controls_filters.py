# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator-control filters as the role calls them: each has its documentation, and a bad value fails as a
filter error with the variable's name (what Ansible shows), not as a Python traceback."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.azure_vmss.maintenance.plugins.filter.controls import FilterModule
from ansible_collections.azure_vmss.maintenance.plugins.filter.maintenance import FilterModule as PlanFilters

FILTERS = FilterModule().filters()
DOCS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'filter')


@pytest.mark.parametrize('name', sorted(FILTERS))
def test_every_filter_has_its_documentation(name):
    assert os.path.isfile(os.path.join(DOCS, name + '.yml'))


def test_bad_values_are_filter_errors_naming_the_variable():
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS['alert_polls']('ten minutes')
    assert 'safe_maintenance_alert_wait' in str(caught.value)
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS['min_healthy_refusal']({'instances': 3, 'unhealthy_ids': []}, ['0'], 'two')
    assert 'safe_maintenance_min_healthy_instances' in str(caught.value)
    with pytest.raises(AnsibleFilterError) as caught:
        PlanFilters().filters()['plan_batches']([], batch_sizes=['0%'])
    assert 'safe_maintenance_batch_sizes item 1' in str(caught.value)


def test_the_plan_filter_passes_batch_sizes_on():
    fleet = [{'instance_id': str(i), 'zone': None, 'power_state': 'running', 'health_state': 'healthy',
              'maintenance_allowed': True, 'platform_update_domain': 0,
              'maintenance': {'is_customer_initiated_maintenance_allowed': True, 'last_operation_result_code': 'None'}}
             for i in range(4)]
    plan = PlanFilters().filters()['plan_batches'](fleet, max_batch_instance_percent=100, batch_sizes=[1, '50%'])
    assert [b['instance_ids'] for b in plan['batches']] == [['0'], ['1', '2'], ['3']]
    assert FILTERS['pause_before_batch'](2, 5, 'PT1M') == 60
