# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils import arguments


@pytest.mark.parametrize('name', ['rg', 'my-rg_1.(prod)', 'a' * 90, u'gruppe-\u00fc'])
def test_valid_resource_groups(name):
    assert arguments.resource_group_error(name) is None


@pytest.mark.parametrize('name, words', [
    ('', 'non-empty'),
    ('a' * 91, 'at most 90'),
    ('rg.', 'period'),
    ('rg/x', 'only letters'),
    ('rg x', 'only letters'),
    (None, 'non-empty'),
])
def test_invalid_resource_groups(name, words):
    assert words in arguments.resource_group_error(name)


@pytest.mark.parametrize('name', ['web', 'vmss-zoned', 'a_b.c', 'A' * 64, '9lives'])
def test_valid_scale_set_names(name):
    assert arguments.scale_set_name_error(name) is None


@pytest.mark.parametrize('name, words', [
    ('', 'non-empty'),
    ('a' * 65, 'at most 64'),
    ('-web', 'start with a letter or digit'),
    ('_web', 'start with a letter or digit'),
    ('web-', "end with"),
    ('web.', "end with"),
    ('we b', 'only letters'),
    ('web#1', 'only letters'),
])
def test_invalid_scale_set_names(name, words):
    assert words in arguments.scale_set_name_error(name)


def test_instance_ids_are_numbers_or_vm_names():
    assert arguments.instance_ids_error(['0', '10', 5]) is None
    # Flexible scale sets name their VMs {scale set}_{8 characters}; any valid VM name passes.
    assert arguments.instance_ids_error(['vmss-flex_1a2b3c4d', 'web-01', 'abc']) is None
    assert 'at least one' in arguments.instance_ids_error([])
    assert 'more than once' in arguments.instance_ids_error(['1', ' 1'])
    assert 'more than once' in arguments.instance_ids_error(['Web-1', 'web-1']), 'VM names ignore case'
    assert arguments.normalize_instance_ids(['10', ' 2', 5, 'b', 'a']) == ['2', '5', '10', 'a', 'b']


@pytest.mark.parametrize('value, words', [
    ('web/1', "'/'"),
    ('web 1', "' '"),
    ('a' * 65, 'at most 64'),
    ('_web', "start with '_'"),
    ('web-', "end with '.' or '-'"),
    ('web.', "end with '.' or '-'"),
    ('web#1', "'#'"),
    ('web?x', "'?'"),
    ('', 'non-empty'),
])
def test_malformed_instance_ids_name_the_value_and_the_rule(value, words):
    problem = arguments.instance_ids_error(['1', value])
    assert repr(value) in problem
    assert 'neither a numeric instance id' in problem
    assert words in problem


def test_instance_sort_key_is_numeric():
    assert sorted(['10', '2', '1', 'x'], key=arguments.instance_sort_key) == ['1', '2', '10', 'x']
