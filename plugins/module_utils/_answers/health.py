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

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import instance_sort_key


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


def is_unhealthy(instance, require_health_signal=False):
    """Not running, failed to provision, or (with a health signal) anything but healthy."""
    if instance.get('power_state') != 'running':
        return True
    if instance.get('provisioning_state') == 'failed':
        return True
    health = instance.get('health_state')
    if health is None:
        return bool(require_health_signal)
    return health != 'healthy'


def settles_not_recovered(instance):
    """True when this one instance already makes a read of its batch "not recovered" (``batch_recovered`` false),
    whatever ``require_health_signal`` and whatever a health fallback could add: it is not running, failed to
    provision, or reports a health state other than healthy. An instance without a health state does not settle
    it (the fallback may still find one). A health poll may stop reading once it meets such an instance."""
    return is_unhealthy(instance, require_health_signal=False)


def unhealthy_ids(instances, require_health_signal=False):
    return sorted((i['instance_id'] for i in instances if is_unhealthy(i, require_health_signal)), key=instance_sort_key)


def batch_recovered(instances, require_health_signal=False):
    """Every instance of a batch is running and (where there is a signal) healthy; an empty read is not."""
    return bool(instances) and not any(is_unhealthy(i, require_health_signal) for i in instances)


def fleet_health(instances, require_health_signal=False, at=None, source=None):
    """One reading of the fleet's health: ``at``, ``source``, ``instances`` (count), ``unhealthy`` (count),
    ``unhealthy_ids`` and ``no_signal_ids`` (instances without an application health extension or probe)."""
    unhealthy = unhealthy_ids(instances, require_health_signal)
    no_signal = sorted((i['instance_id'] for i in instances if i.get('health_state') is None), key=instance_sort_key)
    return dict(at=at, source=source, instances=len(instances), unhealthy=len(unhealthy), unhealthy_ids=unhealthy,
                no_signal_ids=no_signal)
