# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of JSON answers, and how one answer's shape differs from a set of recorded ones.

Pure functions, no I/O: a profile of recorded bodies (every path, with list items as ``[]``: the types seen,
how often it is present when its parent is, the values of enum-like keys), and the differences of one body
from that profile. Reusable for any "does this server answer like Azure" check.

A difference is a dict ``{path, kind, detail}`` with kind one of:
- ``extra``: a path no recorded answer has;
- ``missing``: a path every recorded answer has (where its parent is present) that this body lacks;
- ``type``: a JSON type at a path that no recorded answer has there (int and float count as one: number);
- ``enum``: a value at an enum-like path (``ENUM_KEYS``) that no recorded answer has there;
- ``status`` / ``error_code`` / ``header`` / ``header_format``: from compare_answers.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Keys whose string values are a closed set in Azure's answers (the last key of the path).
ENUM_KEYS = frozenset(('orchestrationMode', 'mode', 'serviceState', 'serviceName', 'status', 'lastAction',
                       'startedBy', 'lastOperationResultCode', 'level', 'provisioningState'))
# Enum-like only below these parents (``code`` is free text in errors, an enum in a running status).
ENUM_PATHS = (re.compile(r'(^|\.)runningStatus\.code$'),)
# Headers that matter to the collection or the SDK; the rate-limit one also by its format.
HEADERS = ('azure-asyncoperation', 'location', 'retry-after', 'x-ms-ratelimit-remaining-resource')
# User data: a tag's name is not part of Azure's shape (only that ``tags`` is an object).
USER_DATA_KEYS = frozenset(('tags',))
RATELIMIT_FORMAT = re.compile(r'^[A-Za-z0-9./_]+;-?\d+(,[A-Za-z0-9./_]+;-?\d+)*$')


def json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


def walk(value, path=''):
    """``(path, value)`` for the value and everything in it; list items share the path ``path[]``."""
    yield path, value
    if path.rsplit('.', 1)[-1] in USER_DATA_KEYS:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, '%s.%s' % (path, key) if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, path + '[]')


def is_enum(path):
    last = path.rsplit('.', 1)[-1].rstrip('[]')
    return last in ENUM_KEYS or any(pattern.search(path) for pattern in ENUM_PATHS)


def profile(bodies):
    """The shape of a set of answers: ``{path: {types, present, values}}`` plus ``_answers`` (how many)."""
    shape = {}
    for body in bodies:
        seen = {}
        for path, value in walk(body):
            entry = seen.setdefault(path, dict(types=set(), values=set()))
            entry['types'].add(json_type(value))
            if is_enum(path) and isinstance(value, str):
                entry['values'].add(value)
        for path, entry in seen.items():
            total = shape.setdefault(path, dict(types=set(), values=set(), present=0))
            total['types'] |= entry['types']
            total['values'] |= entry['values']
            total['present'] += 1
    return shape


def parent(path):
    if path.endswith('[]'):
        return path[:-2]
    return path.rsplit('.', 1)[0] if '.' in path else ''


def compare(recorded, body):
    """The differences of ``body`` from the profile ``recorded`` (see the module's docstring)."""
    differences = []
    mine = profile([body])
    for path, entry in sorted(mine.items()):
        if path not in recorded:
            if parent(path) in recorded or path.count('.') == 0:
                differences.append(dict(path=path, kind='extra', detail=sorted(entry['types'])))
            continue  # below an extra path: reported once, at its top
        known = recorded[path]
        odd = entry['types'] - known['types'] - {'null'}
        if odd:
            differences.append(dict(path=path, kind='type', detail='%s, recorded %s' % (sorted(odd), sorted(known['types']))))
        if is_enum(path) and known['values']:
            unknown = entry['values'] - known['values']
            if unknown:
                differences.append(dict(path=path, kind='enum', detail='%s, recorded %s' % (
                    sorted(unknown), sorted(known['values']))))
    for path, known in sorted(recorded.items()):
        above = parent(path)
        if not path or path in mine or above not in mine or path.endswith('[]'):
            continue
        # Present in every recorded answer that has its parent (list items: in some item of each such answer).
        if known['present'] >= recorded[above]['present']:
            differences.append(dict(path=path, kind='missing', detail='in every recorded answer'))
    return differences


def error_code(body):
    error = body.get('error') if isinstance(body, dict) else None
    return error.get('code') if isinstance(error, dict) else None


def compare_answers(recorded_answers, status, headers, body):
    """Differences of one answer ``(status, headers, body)`` from recorded ``[(status, headers, body)]`` of the
    same request: status, error code, headers that matter, and (for JSON bodies) the shape."""
    differences = []
    statuses = set(s for s, _h, _b in recorded_answers)
    if status not in statuses:
        differences.append(dict(path='', kind='status', detail='%s, recorded %s' % (status, sorted(statuses))))
    codes = set(error_code(b) for _s, _h, b in recorded_answers) - {None}
    if codes and error_code(body) not in codes:
        differences.append(dict(path='error.code', kind='error_code', detail='%s, recorded %s' % (
            error_code(body), sorted(codes))))
    lowered = dict((str(k).lower(), v) for k, v in (headers or {}).items())
    for name in HEADERS:
        if all(name in dict((str(k).lower(), v) for k, v in h.items()) for _s, h, _b in recorded_answers):
            if name not in lowered:
                differences.append(dict(path=name, kind='header', detail='in every recorded answer'))
    if 'x-ms-ratelimit-remaining-resource' in lowered and not RATELIMIT_FORMAT.match(
            lowered['x-ms-ratelimit-remaining-resource']):
        differences.append(dict(path='x-ms-ratelimit-remaining-resource', kind='header_format',
                                detail=lowered['x-ms-ratelimit-remaining-resource']))
    bodies = [b for _s, _h, b in recorded_answers if isinstance(b, (dict, list))]
    if bodies and isinstance(body, (dict, list)):
        differences.extend(compare(profile(bodies), body))
    elif bodies and body not in (None, '', b''):
        differences.append(dict(path='', kind='type', detail='a body that is not JSON'))
    elif not bodies and isinstance(body, (dict, list)) and body:
        differences.append(dict(path='', kind='extra', detail='a JSON body where Azure sent none'))
    return differences
