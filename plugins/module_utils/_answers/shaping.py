# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Result shaping: ARM's camelCase wire dicts to the snake_case data modules return.

Pure functions only; no Azure imports, so modules can shape results without paying for the SDK.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

# Keys whose values are user data: their own keys must reach the user exactly as they wrote them. ARM has them
# only at the top level of a resource, which is the only level ansible-core's ignore_list applies to: so shape
# each resource on its own (a list of resources item by item), never a structure that nests resources.
USER_DATA_KEYS = ('tags',)


def snake_dict(data, user_data_keys=USER_DATA_KEYS):
    """ARM's camelCase keys to snake_case, recursively (``vmId`` -> ``vm_id``, ``HTTPSPort`` -> ``https_port``).

    ansible-core's converter (the one amazon.aws and others use); a list is converted item by item, with each
    item's ``user_data_keys`` (on the wire name) left untouched; anything else is returned as it is.
    """
    if isinstance(data, dict):
        return camel_dict_to_snake_dict(data, ignore_list=tuple(user_data_keys))
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
