# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of ARM's answers, without their values, and the differences between two sets of shapes. Pure.

A shape keeps what tells whether the simulator answers as Azure does: per request kind (method and path with
every name replaced), the status codes, the names of the headers that matter, and for JSON bodies the keys,
the JSON types and, for the few keys whose values are a closed set (codes, states, modes), those values.
Nothing else of a value is kept: no names, ids, times, messages, tag names or tag values. That is what makes
the fidelity report a file a user can attach to an issue.

Written to be unified with the shape comparison of recorded Azure answers: ``body_shape`` / ``merge`` /
``compare`` take and give plain dicts and lists only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

FORMAT = 'azure_vmss.maintenance/fidelity-shapes/1'

# Keys whose string values are a closed set that says something about behaviour, never about the user.
ENUM_KEYS = frozenset((
    'code', 'level', 'status', 'orchestrationMode', 'provisioningState', 'lastOperationResultCode', 'mode',
    'startedBy', 'lastAction', 'serviceName', 'serviceState', 'severity', 'alertState', 'monitorCondition',
    'monitorService', 'signalType', 'osType', 'tier', 'type', 'storageAccountType', 'createOption', 'caching',
    'repairAction', 'protocol', 'modelDefinitionApplied',
))
# Enum-like values that still carry a user's own words are cut to their prefix ("PowerState/running" is kept,
# a status code never holds more than a prefix and a state).
_ENUM_VALUE = re.compile(r'^[A-Za-z][A-Za-z0-9]*(/[A-Za-z0-9_.-]*)?$')
_MAX_ENUM_LENGTH = 64
# Keys whose children are the user's own names (tags) or free-form: only their type is kept.
OPAQUE_KEYS = frozenset(('tags', 'context', 'settings', 'protectedSettings', 'customData', 'userData'))
# The headers that matter to a client: paging, LROs, throttling, retries. Their names only.
HEADERS = ('retry-after', 'retry-after-ms', 'azure-asyncoperation', 'location', 'x-ms-ratelimit-remaining-resource',
           'x-ms-ratelimit-remaining-subscription-reads', 'x-ms-ratelimit-remaining-subscription-writes',
           'x-ms-request-id', 'x-ms-correlation-request-id', 'content-type')
# A path segment after one of these is a name (of the user's resources, a location or an operation id).
_NAMED = frozenset(s.lower() for s in ('subscriptions', 'resourceGroups', 'virtualMachineScaleSets', 'virtualMachines',
                                       'locations', 'operations', 'providers/Microsoft.Resources/tags'))


def request_kind(method, path):
    """'GET', '/subscriptions/x/resourceGroups/rg/.../virtualMachines/3' -> 'GET /subscriptions/{}/resourceGroups/{}/...'."""
    segments = [s for s in (path or '').split('?', 1)[0].split('/') if s]
    out = []
    named = False
    for segment in segments:
        if named:
            out.append('{}')
            named = False
            continue
        out.append(segment)
        named = segment.lower() in _NAMED
    return '%s /%s' % ((method or 'GET').upper(), '/'.join(out))


def _type_name(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


def body_shape(value, key=None):
    """A JSON value -> its shape: {'types': [...], 'keys': {k: shape}, 'items': shape, 'values': [...]}."""
    shape = {'types': [_type_name(value)]}
    if isinstance(value, dict):
        if key in OPAQUE_KEYS:
            return shape
        shape['keys'] = dict((k, body_shape(v, k)) for k, v in value.items())
    elif isinstance(value, list):
        items = None
        for item in value:
            items = merge(items, body_shape(item, key))
        if items is not None:
            shape['items'] = items
    elif isinstance(value, str) and key in ENUM_KEYS:
        if len(value) <= _MAX_ENUM_LENGTH and _ENUM_VALUE.match(value):
            shape['values'] = [value]
    return shape


def merge(a, b):
    """The union of two shapes (either may be None)."""
    if a is None:
        return b
    if b is None:
        return a
    out = {'types': sorted(set(a.get('types', [])) | set(b.get('types', [])))}
    if 'keys' in a or 'keys' in b:
        keys_a, keys_b = a.get('keys', {}), b.get('keys', {})
        out['keys'] = dict((k, merge(keys_a.get(k), keys_b.get(k))) for k in sorted(set(keys_a) | set(keys_b)))
        # a key seen in one answer and not another is optional; say so without values
        optional = set(a.get('optional', [])) | set(b.get('optional', [])) | (set(keys_a) ^ set(keys_b))
        if optional:
            out['optional'] = sorted(optional)
    if 'items' in a or 'items' in b:
        out['items'] = merge(a.get('items'), b.get('items'))
    if 'values' in a or 'values' in b:
        out['values'] = sorted(set(a.get('values', [])) | set(b.get('values', [])))
    return out


def answer_shape(method, path, status, headers, body):
    """One answer -> {kind: {'statuses', 'headers', 'body'}} (body None when the answer was not JSON)."""
    names = sorted(h for h in (str(k).lower() for k in (headers or {})) if h in HEADERS)
    entry = {'statuses': [int(status)], 'headers': names}
    if body is not None:
        entry['body'] = body_shape(body)
    return {request_kind(method, path): entry}


def add(shapes, method, path, status, headers, body):
    """Fold one answer into ``shapes`` (a dict kind -> entry), in place; returns ``shapes``."""
    for kind, entry in answer_shape(method, path, status, headers, body).items():
        old = shapes.get(kind)
        if old is None:
            shapes[kind] = entry
            continue
        old['statuses'] = sorted(set(old['statuses']) | set(entry['statuses']))
        old['headers'] = sorted(set(old['headers']) | set(entry['headers']))
        if 'body' in entry or 'body' in old:
            old['body'] = merge(old.get('body'), entry.get('body'))
    return shapes


def _walk(path, azure, sim, out):
    if azure is None or sim is None:
        return
    missing = sorted(set(azure.get('types', [])) - set(sim.get('types', [])))
    if missing:
        out.append(dict(path=path or '.', difference='types', azure=azure.get('types'), simulator=sim.get('types')))
    keys_a, keys_s = azure.get('keys', {}), sim.get('keys', {})
    for key in sorted(set(keys_a) - set(keys_s)):
        out.append(dict(path='%s.%s' % (path, key), difference='only in Azure'))
    for key in sorted(set(keys_s) - set(keys_a)):
        out.append(dict(path='%s.%s' % (path, key), difference='only in the simulator'))
    values_a, values_s = set(azure.get('values', [])), set(sim.get('values', []))
    if values_a - values_s:
        out.append(dict(path=path or '.', difference='values only in Azure', azure=sorted(values_a - values_s)))
    for key in sorted(set(keys_a) & set(keys_s)):
        _walk('%s.%s' % (path, key), keys_a[key], keys_s[key], out)
    _walk(path + '[]', azure.get('items'), sim.get('items'), out)


def compare(azure, simulator):
    """Two shape sets (kind -> entry) -> the differences, a list of dicts; empty when they agree.

    Values only the simulator gave are not differences: a snapshot sees one moment, the simulator may show
    more states. Keys only the simulator sends are, as a client may come to depend on them.
    """
    out = []
    for kind in sorted(set(azure) | set(simulator)):
        a, s = azure.get(kind), simulator.get(kind)
        if a is None or s is None:
            out.append(dict(request=kind, difference='asked of Azure only' if s is None else 'asked of the simulator only'))
            continue
        if set(a['statuses']) - set(s['statuses']):
            out.append(dict(request=kind, difference='statuses', azure=a['statuses'], simulator=s['statuses']))
        if set(a['headers']) ^ set(s['headers']):
            out.append(dict(request=kind, difference='headers', only_in_azure=sorted(set(a['headers']) - set(s['headers'])),
                            only_in_simulator=sorted(set(s['headers']) - set(a['headers']))))
        body_out = []
        _walk('', a.get('body'), s.get('body'), body_out)
        for item in body_out:
            item['request'] = kind
            out.append(item)
    return out
