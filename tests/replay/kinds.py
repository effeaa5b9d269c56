# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of the collection's ARM operations a recorded request is, and the request key Azure would answer by.

Pure functions, no Azure imports: the copy script, the replay server and the fidelity test share them.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
from urllib.parse import parse_qsl, unquote, urlsplit

_VMSS = r'/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.compute/virtualmachinescalesets/[^/]+'
_VM = r'/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.compute/virtualmachines'
_OPERATION = r'/subscriptions/[^/]+/providers/microsoft\.compute/locations/[^/]+/operations/[^/]+'

# (kind, method, path pattern on the lower-cased, unquoted path). Only what the collection sends.
KINDS = (
    ('vmss_get', 'GET', _VMSS),
    ('vmss_instance_view', 'GET', _VMSS + '/instanceview'),
    ('rolling_upgrade_latest', 'GET', _VMSS + '/rollingupgrades/latest'),
    ('os_upgrade_history', 'GET', _VMSS + '/osupgradehistory'),
    ('vmss_vm_list', 'GET', _VMSS + '/virtualmachines'),
    ('vmss_vm_get', 'GET', _VMSS + '/virtualmachines/[^/]+'),
    ('vmss_vm_instance_view', 'GET', _VMSS + '/virtualmachines/[^/]+/instanceview'),
    ('vmss_perform_maintenance', 'POST', _VMSS + '/performmaintenance'),
    # Not sent by the modules (Uniform maintenance is one scale-set POST), but Azure's refusals of it are
    # the same answers: kept for the unit tests of refusals.
    ('vmss_vm_perform_maintenance', 'POST', _VMSS + '/virtualmachines/[^/]+/performmaintenance'),
    ('set_orchestration_service_state', 'POST', _VMSS + '/setorchestrationservicestate'),
    ('operation_status', 'GET', _OPERATION),
    ('vm_list', 'GET', _VM),
    ('vm_get', 'GET', _VM + '/[^/]+'),
    ('vm_perform_maintenance', 'POST', _VM + '/[^/]+/performmaintenance'),
    ('tags_get', 'GET', r'.*/providers/microsoft\.resources/tags/default'),
    ('tags_patch', 'PATCH', r'.*/providers/microsoft\.resources/tags/default'),
    ('alerts_list', 'GET', r'/subscriptions/[^/]+/providers/microsoft\.alertsmanagement/alerts'),
)
_COMPILED = [(kind, method, re.compile(pattern + r'/?$')) for kind, method, pattern in KINDS]

# Recorded, but not something the collection sends; named so that the count says why each is left out.
NOT_SENT = (
    ('tags_put_or_delete', None, re.compile(r'.*/providers/microsoft\.resources/tags/default/?$')),
)


def split_uri(uri):
    """``(path, query pairs)`` of a recorded or sent URI; relative .NET URIs are fine."""
    parts = urlsplit(uri)
    return unquote(parts.path), parse_qsl(parts.query, keep_blank_values=True)


def kind_of(method, uri):
    """The collection's operation this request is, or None."""
    path = split_uri(uri)[0].lower()
    for kind, wanted, pattern in _COMPILED:
        if method.upper() == wanted and pattern.match(path):
            return kind
    return None


def not_sent_kind(method, uri):
    """For a recorded request the collection never sends: the name of what it is, else None."""
    path = split_uri(uri)[0].lower()
    for kind, wanted, pattern in NOT_SENT:
        if (wanted is None or method.upper() == wanted) and pattern.match(path):
            return kind
    return None


# Query parameters ARM reads as case-insensitive names whose values select the answer; api-version is ignored
# (the recordings span 2016 to 2025 and the SDK sends its own), and the operation URLs' opaque p/t/c/s/h
# parameters only identify the operation, which the path already does.
IGNORED_QUERY = frozenset(('api-version', 'p', 't', 'c', 's', 'h'))


def normalise_filter(value):
    """An OData ``$filter`` as ARM compares it: the property name quoted or not, blanks and case of the
    operator ignored, the quoted id compared without regard to case (ARM resource ids ignore case)."""
    text = ' '.join(value.split())
    match = re.match(r"^'?([A-Za-z/]+)'?\s+eq\s+'(.*)'$", text, re.I)
    if match:
        return '%s eq %s' % (match.group(1).lower(), match.group(2).lower())
    return text.lower()


def query_key(query):
    """The parts of a query that change Azure's answer, as a sorted tuple (names case-insensitive)."""
    items = []
    for name, value in query:
        name = name.lower()
        if name in IGNORED_QUERY:
            continue
        if name == '$filter':
            value = normalise_filter(value)
        elif name in ('$expand', '$select', 'monitor'):
            value = value.lower()
        items.append((name, value))
    return tuple(sorted(items))


def request_key(method, uri):
    """``(METHOD, lower-cased path, query key)``: two requests with the same key get the same answer."""
    path, query = split_uri(uri)
    return method.upper(), path.lower().rstrip('/'), query_key(query)
