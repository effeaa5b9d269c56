# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Monitor's fired alerts as the modules return them: which alerts a scale set's run cares about. Pure."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.shaping import snake_dict


SEVERITIES = ('Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4')


ALERT_STATES = ('New', 'Acknowledged')


def on_scale_set(target_resource, vmss_id):
    """Whether an alert's target is the scale set or one of its instances (ARM ids are case-insensitive)."""
    target = (target_resource or '').rstrip('/').lower()
    vmss = vmss_id.lower()
    return target == vmss or target.startswith(vmss + '/')


def shape_alert(wire, vmss_id):
    """One alert of the API's answer -> the module's dict: the essentials at the top, snake_case."""
    essentials = dict(((wire.get('properties') or {}).get('essentials') or {}))
    flat = dict(essentials)
    for key in ('id', 'name', 'type'):
        if key in wire:
            flat[key] = wire[key]
    shaped = snake_dict(flat)
    shaped['on_scale_set'] = on_scale_set(essentials.get('targetResource'), vmss_id)
    return shaped


def select_alerts(alerts, severities, alert_states, scope='resource_group'):
    """The shaped alerts that are fired and wanted: severity, alert state and (scope=scale_set) target."""
    wanted_sev = set(severities)
    wanted_state = set(alert_states)
    picked = []
    for alert in alerts:
        if alert.get('monitor_condition') != 'Fired':
            continue
        if alert.get('severity') not in wanted_sev or alert.get('alert_state') not in wanted_state:
            continue
        if scope == 'scale_set' and not alert.get('on_scale_set'):
            continue
        picked.append(alert)
    # the most severe first, then the oldest
    return sorted(picked, key=lambda a: (a.get('severity') or '', a.get('start_date_time') or '', a.get('name') or ''))
