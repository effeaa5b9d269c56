# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Result shaping: ARM's camelCase wire dicts to the snake_case data modules return.

Pure functions only; no Azure imports, so modules can shape results without paying for the SDK.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Keys whose values are user data: their own keys must reach the user exactly as they wrote them.
USER_DATA_KEYS = frozenset(['tags'])

_WORD_BOUNDARY = re.compile(r'(.)([A-Z][a-z]+)')
_LOWER_UPPER = re.compile(r'([a-z0-9])([A-Z])')


def camel_to_snake(name):
    """``isCustomerInitiatedMaintenanceAllowed`` -> ``is_customer_initiated_maintenance_allowed``.

    Runs of capitals stay one word (``HTTPSPort`` -> ``https_port``, ``vmId`` -> ``vm_id``).
    """
    if not isinstance(name, str):
        return name
    partial = _WORD_BOUNDARY.sub(r'\1_\2', name)
    return _LOWER_UPPER.sub(r'\1_\2', partial).lower()


def snake_dict(data, user_data_keys=USER_DATA_KEYS):
    """Convert dict keys to snake_case recursively (through lists too).

    Values under ``user_data_keys`` (matched on the wire name) are copied untouched.
    """
    if isinstance(data, dict):
        converted = {}
        for key, value in data.items():
            if key in user_data_keys:
                converted[camel_to_snake(key)] = value
            else:
                converted[camel_to_snake(key)] = snake_dict(value, user_data_keys)
        return converted
    if isinstance(data, list):
        return [snake_dict(item, user_data_keys) for item in data]
    return data


def flatten_properties(resource):
    """Lift an ARM resource's ``properties`` into the resource itself, as the Azure CLI shows it.

    Envelope keys (``id``, ``name``, ``location`` ...) win over a property of the same name, so
    identity is never overwritten. A resource without ``properties`` is returned as a copy.
    """
    if not isinstance(resource, dict):
        return resource
    flat = dict(resource)
    properties = flat.pop('properties', None)
    if isinstance(properties, dict):
        for key, value in properties.items():
            flat.setdefault(key, value)
    return flat


def shape_resource(resource):
    """Wire dict of one ARM resource -> flattened, snake_case dict (``{}`` for None)."""
    if not resource:
        return {}
    return snake_dict(flatten_properties(resource))


def status_suffix(statuses, prefix):
    """The part after ``prefix/`` of the first status code with that prefix, lower-cased.

    ``[{'code': 'PowerState/running'}]``, ``'PowerState'`` -> ``'running'``; None when absent.
    """
    wanted = prefix + '/'
    for status in statuses or []:
        code = (status or {}).get('code') or ''
        if code.startswith(wanted):
            return code[len(wanted):].lower()
    return None


def query_result(compiled_query, data):
    """What a module returns: ``data`` itself, or only ``query_result`` when a query was given."""
    if compiled_query is None:
        return data
    return dict(query_result=compiled_query.search(data))
