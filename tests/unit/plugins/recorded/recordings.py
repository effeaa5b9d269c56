# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real Azure answers (tests/replay/recordings/pairs.jsonl) for the unit tests, and ARM paths rewritten to fit.

Each answer keeps its recorded status, body and the headers the SDK reads; only the host of the URLs it
carries is changed to the fake one, so the SDK follows them to the fake transport.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

PAIRS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'replay', 'recordings', 'pairs.jsonl')
_CACHE = []


def pairs(kind=None, status=None):
    if not _CACHE:
        with open(PAIRS) as handle:
            _CACHE.extend(json.loads(line) for line in handle)
    return [copy.deepcopy(p) for p in _CACHE
            if (kind is None or p['kind'] == kind) and (status is None or p['status'] == status)]


def one(kind, status=None, where=lambda pair: True):
    found = [p for p in pairs(kind, status) if where(p)]
    assert found, 'no recorded %s %s' % (kind, status)
    return found[0]


def headers(pair, host):
    """The recorded headers the SDK reads, URLs pointed at ``host``; a short Retry-After in milliseconds
    where Azure gave none, so that polls do not wait the SDK's default 15 s (timing only)."""
    out = {}
    for name, value in pair['response_headers'].items():
        if isinstance(value, str):
            value = value.replace('https://management.azure.com', host)
        out[name] = value
    if not any(name in out for name in ('retry-after', 'retry-after-ms', 'x-ms-retry-after-ms')):
        out['retry-after-ms'] = '10'
    return out


def body(pair):
    """The recorded body as the fake transport sends it: JSON, or nothing for an empty one."""
    value = pair['response_body']
    return None if value in ('', None) else value


def error_of(pair):
    return pair['response_body']['error']


def mode_of(scale_set_body):
    """Orchestration mode as the raw recording states it: absent means Uniform (Azure's default before
    Flexible existed)."""
    return ((scale_set_body.get('properties') or {}).get('orchestrationMode')) or 'Uniform'
