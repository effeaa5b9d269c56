# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scale set's orchestration mode and what it means for instance ids. Pure functions, no Azure imports.

Uniform scale sets number their VMs (``instanceId`` '0', '1' ...) and serve them through the scale-set VM
APIs. Flexible scale sets hold ordinary ``Microsoft.Compute/virtualMachines`` resources that reference the
scale set in ``properties.virtualMachineScaleSet.id``; their instance id is the VM name (Azure docs,
"Instance IDs for Azure Virtual Machine Scale Set virtual machines"), and Azure refuses the scale-set VM
APIs on them. The mode is set when the scale set is created and never changes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

UNIFORM = 'Uniform'
FLEXIBLE = 'Flexible'
# How many VM names an error message shows before it says how many more there are.
NAMES_SHOWN = 10


def orchestration_mode(scale_set):
    """``Flexible`` or ``Uniform`` from a scale set's wire dict; older API versions leave Uniform unsaid."""
    properties = (scale_set or {}).get('properties') or {}
    return FLEXIBLE if str(properties.get('orchestrationMode') or '').lower() == 'flexible' else UNIFORM


def same_resource_id(left, right):
    """ARM resource ids compare without regard to case (Azure may change the case it returns)."""
    return bool(left) and bool(right) and str(left).lower() == str(right).lower()


def vm_list_filter(scale_set_id):
    """The Virtual Machines - List ``$filter`` that keeps a Flexible scale set's VMs (OData quotes doubled).

    The property name quoted, as the Azure CLI sends it: the form real Azure was recorded answering
    (tests/replay/recordings); the REST reference's unquoted form was never recorded.
    """
    return "'virtualMachineScaleSet/id' eq '%s'" % str(scale_set_id).replace("'", "''")


def belongs_to(vm, scale_set_id):
    """Whether a VM's wire dict references the scale set (``properties.virtualMachineScaleSet.id``)."""
    reference = ((vm or {}).get('properties') or {}).get('virtualMachineScaleSet') or {}
    return same_resource_id(reference.get('id'), scale_set_id)


def describe_names(names, shown=NAMES_SHOWN):
    """``'a', 'b' and 3 more`` for messages; ``(none)`` for an empty list."""
    names = sorted(names, key=lambda name: str(name).lower())
    if not names:
        return '(none)'
    text = ', '.join("'%s'" % name for name in names[:shown])
    if len(names) > shown:
        text += ' and %d more' % (len(names) - shown)
    return text


def ids_for_mode_error(instance_ids, mode, target):
    """Why ``instance_ids`` cannot name instances of a scale set in ``mode``, or None.

    A Uniform scale set's ids are numbers, so a name is refused before any instance is read. On a
    Flexible scale set a number can still be a VM's name, so numbers are only refused once they are
    not found (missing_on_flexible_error).
    """
    if mode != UNIFORM:
        return None
    names = [str(i) for i in instance_ids if not str(i).isdigit()]
    if not names:
        return None
    return ("instance_ids: %s %s not numeric, but %s uses Uniform orchestration: its instances are named by their "
            "numeric instance_id ('0', '12' ...), as instance_view_info returns them"
            % (describe_names(names), 'is' if len(names) == 1 else 'are', target))


def missing_on_flexible_error(missing, vm_names, target):
    """The message for ids a Flexible scale set does not have, naming the VM names to use instead.

    ``missing`` are the requested ids not found, ``vm_names`` the scale set's VM names (None if unread).
    """
    numeric = [str(i) for i in missing if str(i).isdigit()]
    message = 'instance_ids: %s not in %s' % (describe_names(missing), target)
    if numeric:
        message += (', which uses Flexible orchestration: its instances are VMs named by their VM names, not numbered '
                    '(the numeric instance ids of Uniform scale sets do not apply)')
    if vm_names is not None:
        message += '. Its VMs are %s' % describe_names(vm_names)
    return message
