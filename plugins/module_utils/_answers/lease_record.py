# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The maintenance lease: one run at a time per scale set, held in a tag on the scale set. Pure functions.

The tag ``azure_vmss_maintenance_lease`` holds ``run=<run id>;owner=<owner>;expires=<UTC time>`` (and
``;repairs=suspended`` while the holder has automatic repairs suspended). ARM's tags
have no compare-and-swap, so a run takes the lease by writing its value, waiting, and reading it back
(``write_was_slow`` says when a run must back off): of two runs that write at nearly the same moment the later write wins, and the earlier
writer sees it on its read and backs off. Times are ARM's (the ``Date`` header of its answers) when known, so
runs on controllers with different clocks judge expiry alike.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import format_epoch, parse_epoch

LEASE_TAG = 'azure_vmss_maintenance_lease'
# ARM's limit for a tag value.
MAX_VALUE_LENGTH = 256

_RUN_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$')

FREE = 'free'
LIVE = 'live'
EXPIRED = 'expired'

# What a run does about the lease it found.
TAKE = 'take'          # write our value, wait, read back
RENEW = 'renew'        # ours and live: write the new expiry, read back at once
RELEASE = 'release'    # ours: delete it (by name and value)
NOTHING = 'nothing'    # nothing to write
REFUSE = 'refuse'      # another run holds it: change nothing


def run_id_error(value):
    """Why ``value`` cannot be a run id, or None."""
    if not isinstance(value, str) or not _RUN_ID.match(value):
        return ("must be 1 to 64 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit "
                "(for example the AWX job id or a timestamp)")
    return None


def owner_error(value):
    if not isinstance(value, str) or not value.strip():
        return 'must be a non-empty string'
    if ';' in value or '\n' in value or '\r' in value:
        return "must not contain ';' or line breaks"
    if len(value) > 120:
        return 'is %d characters long; at most 120 fit in the lease tag' % len(value)
    return None


def format_lease(run_id, owner, expires_epoch, repairs_suspended=False):
    """The tag value. ``repairs_suspended`` records that the holder suspended automatic repairs, so a run that
    takes the lease over (the holder was killed) knows it must resume them."""
    value = 'run=%s;owner=%s;expires=%s' % (run_id, owner, format_epoch(expires_epoch))
    if repairs_suspended:
        value += ';repairs=suspended'
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError('the lease value is %d characters long; ARM allows %d' % (len(value), MAX_VALUE_LENGTH))
    return value


def find_value(tags):
    """The lease tag's value in a tag dict (ARM's tag names are case-insensitive), or None."""
    for name, value in (tags or {}).items():
        if name.lower() == LEASE_TAG:
            return value
    return None


def parse_lease(value):
    """A lease tag value -> ``{'run_id', 'owner', 'expires', 'repairs_suspended', 'value'}``; None for no lease.

    A value that does not parse has no expiry a run could honour: it reads as expired (``expires`` None),
    so the next run takes it over with a warning instead of being locked out forever.
    """
    if value is None or value == '':
        return None
    fields = {}
    for part in str(value).split(';'):
        key, sep, item = part.partition('=')
        if sep:
            fields[key.strip()] = item.strip()
    expires = fields.get('expires')
    return dict(run_id=fields.get('run') or None, owner=fields.get('owner') or None,
                expires=expires if parse_epoch(expires or '') is not None else None,
                repairs_suspended=fields.get('repairs') == 'suspended', value=value)


def lease_state(lease, now):
    if lease is None:
        return FREE
    expires = parse_epoch(lease.get('expires') or '')
    if expires is None or expires <= now:
        return EXPIRED
    return LIVE


def describe(lease):
    if lease is None:
        return 'no lease'
    if not lease.get('run_id'):
        return 'an unreadable lease %r' % lease.get('value')
    return "run '%s' (owner %s, expires %s)" % (lease['run_id'], lease.get('owner') or 'unknown',
                                                lease.get('expires') or 'unknown')


def _decision(action, outcome, reason, warning=None):
    return dict(action=action, outcome=outcome, reason=reason, warning=warning)


def decide_acquire(lease, run_id, now, break_lease=None):
    """What ``run_id`` does to take the lease it found (``lease`` from parse_lease, ``now`` epoch seconds).

    Returns ``{'action', 'outcome', 'reason', 'warning'}``; ``action`` is TAKE, RENEW or REFUSE.
    """
    state = lease_state(lease, now)
    if state == FREE:
        return _decision(TAKE, 'acquired', 'the scale set had no lease')
    if lease.get('run_id') == run_id:
        if state == LIVE:
            return _decision(RENEW, 'renewed', 'this run already holds the lease')
        return _decision(TAKE, 'acquired', 'this run held the lease and it had expired',
                         warning='The lease of this run (%s) had expired; taking it again.' % run_id)
    if state == EXPIRED:
        return _decision(TAKE, 'took_over_expired', 'the lease of %s had expired' % describe(lease),
                         warning='Taking over the expired lease of %s.' % describe(lease))
    if break_lease and break_lease == lease.get('run_id'):
        return _decision(TAKE, 'broke_lease', 'break_lease names the holder, %s' % describe(lease),
                         warning='Breaking the live lease of %s on purpose (break_lease).' % describe(lease))
    hint = ("If that run is gone (a cancelled job), break its lease on purpose with break_lease: '%s', or wait "
            "until it expires." % lease.get('run_id'))
    if break_lease:
        hint = "break_lease is '%s', but the lease is held by run '%s'; nothing was changed." % (
            break_lease, lease.get('run_id'))
    return _decision(REFUSE, 'refused', 'The scale set is leased by %s. %s' % (describe(lease), hint))


def decide_renew(lease, run_id, now):
    """Before a batch: RENEW our live lease; TAKE it again when it expired or vanished; REFUSE when lost."""
    state = lease_state(lease, now)
    if state == LIVE and lease.get('run_id') == run_id:
        return _decision(RENEW, 'renewed', 'this run holds the lease')
    if state == FREE:
        return _decision(TAKE, 'acquired', 'the lease was gone',
                         warning='The lease of run %s was gone from the scale set; taking it again.' % run_id)
    if lease.get('run_id') == run_id:
        return _decision(TAKE, 'acquired', 'this run held the lease and it had expired',
                         warning='The lease of this run (%s) had expired; taking it again.' % run_id)
    return _decision(REFUSE, 'lost', 'This run (%s) no longer holds the lease: the scale set is leased by %s.'
                     % (run_id, describe(lease)))


def decide_release(lease, run_id):
    """RELEASE our lease; NOTHING when there is none or another run holds it (never delete theirs)."""
    if lease is None:
        return _decision(NOTHING, 'not_held', 'the scale set has no lease')
    if lease.get('run_id') == run_id:
        return _decision(RELEASE, 'released', 'this run holds the lease')
    return _decision(NOTHING, 'not_held', 'the lease is held by %s' % describe(lease),
                     warning='Not releasing the lease: it is held by %s, not by run %s.' % (describe(lease), run_id))


def write_was_slow(confirm_delay, read_write_seconds):
    """Whether this run took longer than ``confirm_delay`` from reading the lease to the end of writing it.

    Every run waits ``confirm_delay`` after its write before it reads the lease back. Two runs that both read
    "free" then cannot both see their own value, as long as each took at most ``confirm_delay`` from its read
    to its write: the later writer's value is already there when the earlier one reads back. A run that was
    slower than that cannot know whether it overwrote a run that already confirmed, so it backs off.
    """
    return read_write_seconds > float(confirm_delay)


def default_run_id(awx_job_id=None, epoch=None, token=''):
    """The run id a role run uses when none is given: the AWX job id when AWX runs it, else the time and a token."""
    if awx_job_id not in (None, ''):
        return 'awx-%s' % awx_job_id
    return 'run-%d-%s' % (int(epoch or 0), token) if token else 'run-%d' % int(epoch or 0)


def default_owner(awx_job_id=None, user=None, host=None):
    """Who the lease names: the AWX job when AWX runs it, else user@host of the controller."""
    if awx_job_id not in (None, ''):
        return 'awx job %s' % awx_job_id
    return '%s@%s' % (user or 'unknown', host or 'unknown')


def run_duration(duration, operation_timeout, health_timeout, pause_seconds=0):
    """Lease seconds: ``duration`` when it is above 0, else long enough for one batch at its worst (the operation
    timeout, the health timeout and the pause, plus 10 minutes), since the lease is renewed before each batch."""
    if int(duration or 0) > 0:
        return int(duration)
    return int(operation_timeout) + int(health_timeout) + int(pause_seconds or 0) + 600


def lease_settings(run_id, awx_job_id, epoch, token, user, host, duration, operation_timeout, health_timeout):
    """The role's lease: ``{'run_id', 'owner', 'duration'}`` from its variables and the run's context."""
    return dict(run_id=run_id or default_run_id(awx_job_id, epoch, token),
                owner=default_owner(awx_job_id, user, host),
                duration=run_duration(duration, operation_timeout, health_timeout))
