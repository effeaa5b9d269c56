# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safe_maintenance role's variables checked before any request: the one validator.

``role_variable_problems`` (the role's filter of the same name) gathers every problem of every variable, each
sentence naming the variable and what it takes; the parsers here (durations, percents, batch sizes, the run
window) are what the plan and the gates call, so a value is read one way everywhere. No Azure imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import math
import re

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.lease_record import run_id_error
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import parse_time, UTC
from ansible_collections.azure_vmss.maintenance.plugins.module_utils.arguments import (
    instance_ids_error, resource_group_error, scale_set_name_error)


_DURATION = re.compile(
    r'^P(?!$)(?:(?P<days>\d+(?:\.\d+)?)D)?'
    r'(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$')


class PlanningError(ValueError):
    """A policy value or input the plan cannot be made from; the message names the variable."""


def iso8601_seconds(duration, name='duration'):
    """``PT0S`` -> 0, ``PT1M30S`` -> 90, ``P1DT2H`` -> 93600. Years, months and weeks are refused (ambiguous)."""
    if not isinstance(duration, str):
        raise PlanningError('%s must be an ISO 8601 duration string such as PT30S or PT5M, not %r' % (name, duration))
    match = _DURATION.match(duration.strip().upper())
    if not match:
        raise PlanningError('%s %r is not an ISO 8601 duration of days, hours, minutes and seconds (for example '
                            'PT0S, PT30S, PT5M, PT1H30M)' % (name, duration))
    parts = dict((key, float(value)) for key, value in match.groupdict().items() if value)
    return parts.get('days', 0) * 86400 + parts.get('hours', 0) * 3600 + parts.get('minutes', 0) * 60 + parts.get('seconds', 0)


def percent(value, name):
    """A whole number from 1 to 100 (an int, or a string of one); anything else names ``name``."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 100:
        raise PlanningError('%s must be a whole number from 1 to 100, not %r' % (name, value))
    return int(text)


def whole_number(value, name, minimum=0):
    """A whole number (an int, or a string of one) of at least ``minimum``; anything else names ``name``."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < minimum:
        raise PlanningError('%s must be a whole number of seconds, %s, not %r' % (
            name, 'greater than 0' if minimum == 1 else '%d or more' % minimum, value))
    return int(text)


PERCENT_VARIABLES = ('max_batch_instance_percent', 'max_unhealthy_instance_percent',
                     'max_unhealthy_upgraded_instance_percent')


POSITIVE_VARIABLES = ('health_timeout', 'operation_timeout')


NON_NEGATIVE_VARIABLES = ('poll_interval', 'lease_duration', 'lease_confirm_delay')


NAME_VARIABLES = ('resource_group', 'scale_set')


DURATION_VARIABLES = ('pause_time_between_batches',)


# Policy variables the user may leave unset (null): each then comes from the scale set, else Azure's default.
OPTIONAL_POLICY_VARIABLES = PERCENT_VARIABLES + DURATION_VARIABLES


def variable_problems(variables, prefix='safe_maintenance_'):
    """What is wrong with the role's variables, one sentence each naming its variable (``prefix`` + name).

    ``variables`` maps full variable names to values; names it does not hold are not checked.
    """
    problems = []
    for name, value in sorted(variables.items()):
        short = name[len(prefix):] if name.startswith(prefix) else name
        try:
            if short in OPTIONAL_POLICY_VARIABLES and value is None:
                continue  # not set: taken from the scale set's rolling upgrade policy, else Azure's default
            if short == 'require_health_signal':
                if str(value).strip().lower() not in ('auto', 'true', 'false', 'yes', 'no'):
                    problems.append('%s must be auto, true or false, not %r' % (name, value))
            elif short in ('run_id', 'break_lease'):
                problem = run_id_error(value) if value not in (None, '') else None
                if problem:
                    problems.append('%s %r %s' % (name, value, problem))
            elif short in PERCENT_VARIABLES:
                percent(value, name)
            elif short in POSITIVE_VARIABLES:
                whole_number(value, name, 1)
            elif short in NON_NEGATIVE_VARIABLES:
                whole_number(value, name, 0)
            elif short in DURATION_VARIABLES:
                iso8601_seconds(value, name)
            elif short in NAME_VARIABLES and (not isinstance(value, str) or not value.strip()):
                problems.append('%s must name the %s, not %r' % (
                    name, 'scale set' if short == 'scale_set' else 'resource group of the scale set', value))
            elif short in NAME_VARIABLES:
                # The modules would refuse these too, but under their own option names.
                problem = (scale_set_name_error if short == 'scale_set' else resource_group_error)(value)
                if problem:
                    problems.append('%s %r %s' % (name, value, problem))
            elif short == 'instance_ids' and value:
                problem = instance_ids_error(value) if isinstance(value, list) else 'must be a list of instance ids'
                if problem:
                    problems.append('%s %s' % (name, problem))
        except PlanningError as exc:
            problems.append(str(exc))
    return problems


SEVERITIES = ('Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4')


DEFAULT_ALERT_SEVERITIES = ('Sev0', 'Sev1', 'Sev2')


BATCH_SIZES = 'safe_maintenance_batch_sizes'


MIN_HEALTHY = 'safe_maintenance_min_healthy_instances'


ALERT_SEVERITIES = 'safe_maintenance_alert_severities'


def parse_batch_sizes(value, name=BATCH_SIZES):
    """``[1, 5, "20%"]`` -> ``[(1, False), (5, False), (20, True)]``: (number, is a percent).

    As Ansible's ``serial``: a whole number of instances or a percent of the scale set per item; one value
    alone is a list of one; empty (or None) means no steps. Anything else raises PlanningError naming ``name``.
    """
    if value is None or value == '' or value == []:
        return []
    if isinstance(value, dict):
        raise PlanningError('%s must be a list of batch sizes such as [1, 5, "20%%"], not %r' % (name, value))
    items = value if isinstance(value, (list, tuple)) else [value]
    steps = []
    for position, item in enumerate(items, 1):
        text = str(item).strip()
        is_percent = text.endswith('%')
        number = text[:-1].strip() if is_percent else text
        if isinstance(item, (bool, float)) or not number.isdigit():
            raise PlanningError('%s item %d is %r: give a whole number of instances (5) or a percent of the scale '
                                'set ("20%%"), as in [1, 5, "20%%"]' % (name, position, item))
        if int(number) < 1 or (is_percent and int(number) > 100):
            raise PlanningError('%s item %d is %r: a batch takes at least 1 instance%s' % (
                name, position, item, ' and a percent is 1% to 100%' if is_percent else ''))
        steps.append((int(number), is_percent))
    return steps


def min_healthy_count(value, name=MIN_HEALTHY):
    text = str(value).strip()
    if isinstance(value, (bool, float)) or not text.isdigit():
        raise PlanningError('%s must be a whole number of instances, 0 or more, not %r' % (name, value))
    return int(text)


def alert_severities(value, name=ALERT_SEVERITIES):
    """The validated severity list (default Sev0, Sev1, Sev2 when None)."""
    if value is None:
        return list(DEFAULT_ALERT_SEVERITIES)
    items = value if isinstance(value, (list, tuple)) else None
    if not items:
        raise PlanningError('%s must be a non-empty list of %s, not %r' % (name, ', '.join(SEVERITIES), value))
    bad = [item for item in items if item not in SEVERITIES]
    if bad:
        raise PlanningError('%s has %s: each item is one of %s' % (
            name, ', '.join(repr(b) for b in bad), ', '.join(SEVERITIES)))
    return sorted(set(items))


def _is_boolean(value):
    # what Ansible's bool filter and argument specs take (true, "yes", "on", 1 ...), as -e gives strings
    from ansible.module_utils.parsing.convert_bool import boolean
    try:
        boolean(value, strict=True)
    except TypeError:
        return False
    return True


def control_variable_problems(variables, prefix='safe_maintenance_'):
    """One sentence per invalid control variable (full names -> values); names not held are not checked."""
    checks = {
        'batch_sizes': parse_batch_sizes,
        'min_healthy_instances': min_healthy_count,
        'alert_severities': alert_severities,
        'canary_pause': iso8601_seconds,
        'alert_wait': iso8601_seconds,
    }
    problems = []
    for name, value in sorted(variables.items()):
        short = name[len(prefix):] if name.startswith(prefix) else name
        try:
            if short in checks:
                checks[short](value, name)
            elif short == 'block_on_alerts' and not _is_boolean(value):
                problems.append('%s must be true or false, not %r' % (name, value))
            elif short in ('before_batch_tasks', 'after_batch_tasks') and value not in (None, '') and (
                    not isinstance(value, str) or not value.strip()):
                problems.append('%s must be the path of a task file, not %r' % (name, value))
        except PlanningError as exc:
            problems.append(str(exc))
    return problems


def batch_minutes(value, name='safe_maintenance_expected_batch_minutes'):
    """How long one batch is expected to take, in minutes: a number greater than 0."""
    try:
        minutes = float(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        minutes = None
    if minutes is None or math.isnan(minutes) or math.isinf(minutes) or minutes <= 0:
        raise PlanningError('%s must be a number of minutes greater than 0 (for example %d), not %r'
                            % (name, DEFAULT_BATCH_MINUTES, value))
    return minutes


def not_after(value, run_start, name='safe_maintenance_not_after'):
    """The end of the run window: an ISO 8601 date-time with a UTC offset, or an ISO 8601 duration from
    ``run_start`` (``PT4H``). None or '' means no run window."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.upper().startswith('P'):
        try:
            return as_time(run_start, 'the run start') + datetime.timedelta(seconds=iso8601_seconds(text, name))
        except PlanningError as exc:
            raise PlanningError('%s; or give an ISO 8601 date-time with an offset' % exc)
    parsed = parse_time(text) if isinstance(text, str) and 'T' in text.upper() else None
    if parsed is not None and not _OFFSET.search(text):
        raise PlanningError('%s %r has no UTC offset: add one (2026-12-01T22:00:00+01:00 or ...Z) so the run '
                            'window does not depend on the time zone of the controller' % (name, value))
    if parsed is None:
        raise PlanningError('%s must be an ISO 8601 date-time with an offset (2026-12-01T22:00:00+01:00) or '
                            'a duration from the start of the run (PT4H), not %r' % (name, value))
    return parsed


def window_variable_problems(variables, run_start=None, prefix='safe_maintenance_'):
    """What is wrong with the window variables among ``variables`` (full names -> values), one sentence each
    naming its variable; names it does not hold are not checked. ``run_start`` matters only for the value's
    form (a duration counts from it)."""
    run_start = run_start or datetime.datetime(2000, 1, 1, tzinfo=UTC)
    checks = {
        'expected_batch_minutes': lambda name, value: batch_minutes(value, name),
        'not_after': lambda name, value: not_after(value, run_start, name),
        'update_domain_pause': lambda name, value: value in (None, '') or iso8601_seconds(value, name),
    }
    problems = []
    for name, value in sorted(variables.items()):
        check = checks.get(name[len(prefix):] if name.startswith(prefix) else name)
        if check is None:
            continue
        try:
            check(name, value)
        except PlanningError as exc:
            problems.append(str(exc))
    return problems


_PERCENT_FIELDS = ('max_batch_instance_percent', 'max_unhealthy_instance_percent',
                   'max_unhealthy_upgraded_instance_percent')


_BOOL_FIELDS = ('prioritize_unhealthy_instances', 'enable_cross_zone_upgrade')


def policy_variables(values):
    """The policy variables as the user set them, typed: whole numbers, an ISO 8601 text, booleans; None (or an
    empty text, as an AWX survey leaves it) for a variable that was not set. Call after the values were checked."""
    from ansible.module_utils.parsing.convert_bool import boolean
    typed = {}
    for field, value in (values or {}).items():
        if value is None or (isinstance(value, str) and not value.strip()):
            typed[field] = None
        elif field in _PERCENT_FIELDS:
            typed[field] = int(value)
        elif field in _BOOL_FIELDS:
            typed[field] = boolean(value, strict=False)
        else:
            typed[field] = str(value)
    return typed


# Azure documents no duration for a self-service maintenance beyond "up to several minutes" of
# unavailability, but its own scheduled maintenance leaves at least 30 minutes per update domain (and names
# "more than 30 minutes between update domains" as a reason to self-serve): the estimate of one batch,
# maintenance plus recovery, starts from the same figure.
DEFAULT_BATCH_MINUTES = 30


_OFFSET = re.compile(r'(?:[zZ]|[+-]\d{2}:?\d{2})$')


def as_time(value, name='time'):
    """A datetime (naive = UTC) or an ISO 8601 string (``Z`` or an offset) -> an aware datetime."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = parse_time(value)
    if parsed is None:
        raise PlanningError('%s must be an ISO 8601 date-time, not %r' % (name, value))
    return parsed


def role_variable_problems(variables, run_start=None, prefix='safe_maintenance_'):
    """Every problem of the role's variables, each sentence naming its variable: the policy, names, durations and
    run window first (sorted), then the operator's controls (batch sizes, canary, hooks, alerts, floor), in the
    order validate.yml has always shown them. Empty when all are valid."""
    return (sorted(variable_problems(variables, prefix) + window_variable_problems(variables, run_start, prefix))
            + control_variable_problems(variables, prefix))
