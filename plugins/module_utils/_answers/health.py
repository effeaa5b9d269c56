# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health from the right read. Pure functions.

Azure's REST reference documents ``vmHealth`` on a VM's instance view; no public source shows the VM list
(``$expand=instanceView``) carrying it. When a scale set has a health signal and the list gives no instance a
``vmHealth``, health is read from each instance's ``/instanceView`` instead and put where the list would have
put it, so everything downstream reads the same shape either way.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy


def _view(vm):
    return ((vm or {}).get('properties') or {}).get('instanceView') or {}


def lacks_health(vms):
    """True when there are VMs and none of them carries ``instanceView.vmHealth``."""
    return bool(vms) and not any(_view(vm).get('vmHealth') for vm in vms)


def with_health(vm, instance_view):
    """A copy of ``vm`` with ``vmHealth`` taken from its own ``instance_view`` (unchanged if that has none)."""
    health = (instance_view or {}).get('vmHealth')
    merged = copy.deepcopy(vm)
    if health:
        properties = merged.setdefault('properties', {})
        view = properties.get('instanceView')
        if not isinstance(view, dict):
            view = properties['instanceView'] = {}
        view['vmHealth'] = copy.deepcopy(health)
    return merged
