# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""shapes.py, the pure shape comparison, on small bodies."""
from __future__ import absolute_import, division, print_function

from shapes import compare, compare_answers, profile


def kinds(differences):
    return sorted((d['path'], d['kind']) for d in differences)


def test_the_same_shape_has_no_difference_whatever_the_values():
    recorded = profile([{'id': 'a', 'properties': {'n': 1}}, {'id': 'b', 'properties': {'n': 2.5}}])
    assert compare(recorded, {'id': 'c', 'properties': {'n': 7}}) == []


def test_extra_missing_and_type():
    recorded = profile([{'id': 'a', 'always': 1, 'sometimes': 1}, {'id': 'b', 'always': 2}])
    found = compare(recorded, {'id': 3, 'new': {'deep': True}})
    assert kinds(found) == [('always', 'missing'), ('id', 'type'), ('new', 'extra')]


def test_list_items_share_one_shape_and_an_empty_list_is_not_missing_items():
    recorded = profile([{'value': [{'a': 1}, {'a': 2, 'b': 'x'}]}])
    assert compare(recorded, {'value': []}) == []
    assert kinds(compare(recorded, {'value': [{'b': 'y'}]})) == [('value[].a', 'missing')]


def test_enum_values_outside_the_recorded_ones():
    recorded = profile([{'properties': {'orchestrationMode': 'Flexible', 'runningStatus': {'code': 'Completed'}}}])
    found = compare(recorded, {'properties': {'orchestrationMode': 'Uniform', 'runningStatus': {'code': 'Faulted'}}})
    assert kinds(found) == [('properties.orchestrationMode', 'enum'), ('properties.runningStatus.code', 'enum')]


def test_tags_are_user_data():
    recorded = profile([{'tags': {'team': 'web'}}])
    assert compare(recorded, {'tags': {'other': 'x'}}) == []


def test_answers_status_error_code_and_headers():
    answers = [(409, {'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/VMScaleSetActions3Min;239'},
                {'error': {'code': 'OperationNotAllowed', 'message': 'm'}})]
    assert compare_answers(answers, 409, {'x-ms-ratelimit-remaining-resource': 'A/B;1,A/C30Min;2'},
                           {'error': {'code': 'OperationNotAllowed', 'message': 'other'}}) == []
    found = compare_answers(answers, 400, {'x-ms-ratelimit-remaining-resource': '12'},
                            {'error': {'code': 'InvalidParameter', 'message': 'm'}})
    assert kinds(found) == [('', 'status'), ('error.code', 'error_code'),
                            ('x-ms-ratelimit-remaining-resource', 'header_format')]
    assert kinds(compare_answers(answers, 409, {}, {'error': {'code': 'OperationNotAllowed', 'message': 'm'}})) == [
        ('x-ms-ratelimit-remaining-resource', 'header')]


def test_an_empty_body_where_azure_sent_none():
    assert compare_answers([(202, {}, '')], 202, {}, None) == []
    assert kinds(compare_answers([(202, {}, '')], 202, {}, {'status': 'x'})) == [('', 'extra')]
