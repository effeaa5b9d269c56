# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every time the collection reads or writes: ARM's timestamps in, the report's and the lease tag's forms out.

One module so that one rule holds everywhere: a time without an offset is UTC, ARM's 7 fractional digits are
cut to Python's 6, and what an operator reads is whole seconds in UTC.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

UTC = datetime.timezone.utc
_WIRE_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def parse_time(value):
    """An ARM time (ISO 8601 with up to 7 fractional digits, or an HTTP date) -> aware datetime, or None."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if re.match(r'^[A-Za-z]{3}, ', text):
        from email.utils import parsedate_to_datetime
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    text = text.replace('Z', '+00:00')
    match = re.match(r'^(.*?\.)(\d+)(.*)$', text)
    if match:  # Python before 3.11 takes at most 6 fractional digits
        text = match.group(1) + match.group(2)[:6].ljust(6, '0') + match.group(3)
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value):
    """``2026-12-01T22:00:00Z``: UTC, whole seconds (the report's and the warnings' form)."""
    return value.astimezone(UTC).strftime(_WIRE_FORMAT) if value is not None else None


def format_epoch(epoch):
    """Epoch seconds -> ``2026-12-01T21:30:00Z`` (the lease tag's form)."""
    return datetime.datetime.fromtimestamp(int(epoch), tz=UTC).strftime(_WIRE_FORMAT)


def parse_epoch(text):
    """``2026-12-01T21:30:00Z`` -> epoch seconds, or None: only the exact form ``format_epoch`` writes, so a
    hand-edited lease tag is refused rather than guessed."""
    try:
        parsed = datetime.datetime.strptime(text.strip(), _WIRE_FORMAT)
    except (AttributeError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC).timestamp()


def utc_time(value):
    """``value`` as ``YYYY-MM-DDTHH:MM:SSZ`` when it is a time: Azure's deadlines carry 7-digit fractions and
    an offset, Ansible's now() microseconds, and an operator reads the report at a glance. Anything else as it is."""
    parsed = parse_time(value) if isinstance(value, str) and value else None
    return format_time(parsed) if parsed else value


def clock(value):
    """``21:30:05``, or ``-`` for no time (the run log's columns)."""
    parsed = parse_time(value) if isinstance(value, str) else None
    return parsed.strftime('%H:%M:%S') if parsed else '-'


def day_clock(value):
    """``12-01 21:30``, or ``-`` for no time."""
    parsed = parse_time(value) if isinstance(value, str) else None
    return parsed.strftime('%m-%d %H:%M') if parsed else '-'


def arm_time(headers):
    """Epoch seconds from the ``Date`` header of an ARM answer, or None."""
    value = (headers or {}).get('Date')
    if not value:
        return None
    import email.utils
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def minutes_between(started, finished):
    """Minutes from one ISO 8601 time to another, to a tenth; None when either is missing."""
    start, end = parse_time(started), parse_time(finished)
    if not start or not end:
        return None
    return round((end - start).total_seconds() / 60.0, 1)
