# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import read_cost


@pytest.mark.parametrize('fleet, pages', [(0, 0), (1, 1), (100, 1), (101, 2), (1000, 10), (1001, 11)])
def test_list_pages(fleet, pages):
    assert read_cost.list_pages(fleet) == pages


def test_a_few_named_instances_need_no_capacity_read():
    assert not read_cost.needs_capacity(read_cost.NAMED_READ_LIMIT)
    assert read_cost.needs_capacity(read_cost.NAMED_READ_LIMIT + 1)
    # whatever the fleet, up to the limit they are read by GET (the capacity is not known then)
    assert read_cost.read_named_by_get(read_cost.NAMED_READ_LIMIT, 0)


def test_named_reads_spare_the_high_cost_list_budget():
    assert read_cost.read_named_by_get(5, 1000)
    assert read_cost.read_named_by_get(8, 1000), 'fewer GETs than list pages'
    assert not read_cost.read_named_by_get(20, 100), 'one page: one request, one high-cost token'
    assert not read_cost.read_named_by_get(6, 0), 'no capacity known: the list, which names what is missing'
    assert read_cost.read_named_by_get(200, 1000), '10 high-cost tokens of 10 a minute cost more than 200 of 1,500'
    assert not read_cost.read_named_by_get(201, 1000), 'more than one poll should take of ARM read bucket'
    assert read_cost.read_named_by_get(150, 200), '150 of 1,500 GETs a minute, 2 of 10 list pages a minute'


def test_poll_interval_stays_inside_compute_refill_rates():
    assert read_cost.poll_interval(2, 12) == 5
    # a 200-instance batch of 1,000 is polled by GET (200 of ARM's 25 reads a second), not by 10 list pages
    assert read_cost.poll_interval(200, 1000) == 8
    assert read_cost.poll_interval(201, 1000) == 60
    assert read_cost.poll_interval(20, 100) == 6
    assert read_cost.poll_interval(10, 50) == 6
    assert read_cost.poll_interval(1, 1, minimum=1) == 5
    assert read_cost.poll_interval(1, 0) == read_cost.MIN_POLL_SECONDS


def test_the_shared_client_does_not_import_the_role_planner():
    import ast
    import os
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import client, instance_reads
    # the client and the mixin its instance reads live in
    trees = [ast.parse(open(os.path.splitext(m.__file__)[0] + '.py').read()) for m in (client, instance_reads)]
    imported = set()
    for node in (n for tree in trees for n in ast.walk(tree)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or '')
            imported.update('%s.%s' % (node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not [name for name in imported if name.endswith('planning')], imported
    assert any(name.endswith('read_cost') for name in imported)
