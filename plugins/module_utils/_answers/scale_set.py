# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scale set's own settings as playbooks want them: policy, repairs, health signal. Pure functions.

Input is the wire shape of ``GET virtualMachineScaleSets/{name}`` (camelCase, ``properties`` nested) and of
``GET .../instanceView``; any part may be missing (minimal bodies, old api-versions), and then reads as None.
Only the fields named here leave this file: the model also holds the OS profile and extension settings,
which are nobody's business in a job log.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.orchestration import orchestration_mode
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import snake_dict

# The Application Health extension, as Azure documents it (publisher and the two types).
HEALTH_EXTENSION_PUBLISHER = 'Microsoft.ManagedServices'
HEALTH_EXTENSION_TYPES = ('ApplicationHealthLinux', 'ApplicationHealthWindows')

PROBE = 'load_balancer_probe'
EXTENSION = 'application_health_extension'
NO_SIGNAL = 'none'

AUTOMATIC_REPAIRS = 'AutomaticRepairs'


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _health_extension(extensions):
    """The first Application Health extension of an extension profile, or None."""
    for extension in extensions or []:
        props = _get(extension, 'properties') or {}
        if (props.get('type') in HEALTH_EXTENSION_TYPES
                and (props.get('publisher') or '').lower() == HEALTH_EXTENSION_PUBLISHER.lower()):
            return extension
    return None


def health_signal(scale_set):
    """Which health signal the scale set has: ``{'kind', 'probe_id', 'extension'}``.

    ``kind`` is ``application_health_extension`` when the model has the Application Health extension,
    ``load_balancer_probe`` when its network profile names a health probe, else ``none``. Azure allows one
    of the two at a time; if a model shows both, the extension is reported (it is what rolling upgrades and
    repairs read) and ``probe_id`` is still given.
    """
    profile = _get(scale_set, 'properties', 'virtualMachineProfile') or {}
    probe_id = _get(profile, 'networkProfile', 'healthProbe', 'id')
    extension = _health_extension(_get(profile, 'extensionProfile', 'extensions'))
    signal = dict(kind=NO_SIGNAL, probe_id=probe_id or None, extension=None)
    if extension is not None:
        props = _get(extension, 'properties') or {}
        settings = props.get('settings') or {}
        signal['kind'] = EXTENSION
        # Only the documented, harmless settings: protectedSettings never comes back from ARM anyway.
        signal['extension'] = dict(name=extension.get('name'), type=props.get('type'),
                                   publisher=props.get('publisher'),
                                   type_handler_version=props.get('typeHandlerVersion'),
                                   protocol=settings.get('protocol'), port=settings.get('port'),
                                   request_path=settings.get('requestPath'))
    elif probe_id:
        signal['kind'] = PROBE
    return signal


def upgrade_policy(scale_set):
    """``mode``, ``rolling_upgrade_policy`` and ``automatic_os_upgrade_policy`` (each None when absent)."""
    policy = _get(scale_set, 'properties', 'upgradePolicy') or {}
    return dict(mode=policy.get('mode'),
                rolling_upgrade_policy=snake_dict(policy.get('rollingUpgradePolicy')) or None,
                automatic_os_upgrade_policy=snake_dict(policy.get('automaticOSUpgradePolicy')) or None)


def automatic_repairs_policy(scale_set):
    policy = _get(scale_set, 'properties', 'automaticRepairsPolicy')
    if not isinstance(policy, dict):
        return dict(enabled=False, grace_period=None, repair_action=None)
    return dict(enabled=bool(policy.get('enabled')), grace_period=policy.get('gracePeriod'),
                repair_action=policy.get('repairAction'))


def orchestration_services(instance_view):
    """The instance view's ``orchestrationServices`` in snake_case (an empty list when it has none)."""
    return [snake_dict(service) for service in (_get(instance_view, 'orchestrationServices') or [])
            if isinstance(service, dict)]


def service_state(services, service_name=AUTOMATIC_REPAIRS):
    """The ``service_state`` of one service in a shaped ``orchestration_services`` list.

    A service the instance view does not list is ``NotRunning``: Azure lists AutomaticRepairs only once
    automatic repairs were enabled on the scale set (unverified for every api-version; the effect is the same,
    there is nothing to suspend).
    """
    for service in services or []:
        if (service.get('service_name') or '').lower() == service_name.lower():
            return service.get('service_state') or 'NotRunning'
    return 'NotRunning'


def shape_scale_set(scale_set, instance_view=None):
    """The scale set's settings the collection reads, flat and in snake_case."""
    props = _get(scale_set, 'properties') or {}
    sku = scale_set.get('sku') or {}
    shaped = dict(
        id=scale_set.get('id'), name=scale_set.get('name'), location=scale_set.get('location'),
        capacity=sku.get('capacity'),
        sku=dict(name=sku.get('name'), tier=sku.get('tier'), capacity=sku.get('capacity')),
        zones=list(scale_set.get('zones') or []),
        orchestration_mode=orchestration_mode(scale_set),
        upgrade_policy=upgrade_policy(scale_set),
        automatic_repairs_policy=automatic_repairs_policy(scale_set),
        health_signal=health_signal(scale_set),
        platform_fault_domain_count=props.get('platformFaultDomainCount'),
        single_placement_group=props.get('singlePlacementGroup'),
        provisioning_state=props.get('provisioningState'),
        # user data: the keys stay as the user wrote them
        tags=dict(scale_set.get('tags') or {}),
    )
    if instance_view is not None:
        shaped['orchestration_services'] = orchestration_services(instance_view)
    return shaped


def service_state_change(current_state, wanted):
    """What to send to reach ``wanted`` (``running`` or ``suspended``) from ``current_state``.

    Returns ``(action, reason)``: ``action`` is ``Suspend``, ``Resume`` or None (nothing to send), ``reason``
    says why in words for the result. A service that is ``NotRunning`` (not enabled on the scale set) is
    neither suspended nor resumed: Azure has nothing to act on.
    """
    state = (current_state or 'NotRunning').lower()
    wanted = (wanted or '').lower()
    if wanted not in ('running', 'suspended'):
        raise ValueError('wanted must be running or suspended, got %r' % (wanted,))
    if state == 'notrunning':
        return None, 'the service is NotRunning (not enabled on the scale set): nothing to %s' % (
            'suspend' if wanted == 'suspended' else 'resume')
    if state == wanted:
        return None, 'already %s' % current_state
    if wanted == 'suspended':
        return 'Suspend', '%s -> Suspended' % current_state
    return 'Resume', '%s -> Running' % current_state
