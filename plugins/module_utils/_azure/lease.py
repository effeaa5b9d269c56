# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The maintenance lease protocol over the scale set's tags: read, write, wait, read back.

What the tag says and what each action decides is pure (_answers/lease_record.py); this file does the
requests in the order that makes one holder at a time, and says what came of them. The maintenance_lease
module turns that into its result.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import lease_record as leases


class LeaseOutcome(object):
    """What an action came to: ``outcome`` (acquired, lost_race, ...), the ``lease`` read last, whether it
    ``changed`` the tag, the ``failure`` message when the action failed, and ``warnings`` to show."""

    def __init__(self, outcome, lease, changed=False, failure=None, warnings=()):
        self.outcome = outcome
        self.lease = lease
        self.changed = changed
        self.failure = failure
        self.warnings = list(warnings)


class LeaseProtocol(object):
    """One run's lease on one scale set (``tags``: a ScopeTags of the scale set)."""

    def __init__(self, tags, run_id, owner, duration, confirm_delay, repairs_suspended=False, sleep=time.sleep,
                 clock=time.time):
        self.tags = tags
        self.run_id = run_id
        self.owner = owner
        self.duration = duration
        self.confirm_delay = confirm_delay
        self.repairs_suspended = repairs_suspended
        self._sleep = sleep
        self._clock = clock

    def read(self):
        return leases.parse_lease(leases.find_value(self.tags.get()))

    def now(self):
        """ARM's time (the Date of its last answer), so controllers with different clocks agree."""
        return self.tags.last_time or self._clock()

    def value(self, now):
        return leases.format_lease(self.run_id, self.owner, now + self.duration, self.repairs_suspended)

    def acquire(self, current, started, break_lease=None, check_mode=False):
        """Take the lease (``current`` as read at ``started``, by this process's clock)."""
        return self._write(current, started, leases.decide_acquire(current, self.run_id, self.now(), break_lease),
                           check_mode)

    def renew(self, current, started, check_mode=False):
        return self._write(current, started, leases.decide_renew(current, self.run_id, self.now()), check_mode)

    def _write(self, current, started, decision, check_mode):
        warnings = [decision['warning']] if decision.get('warning') else []
        if decision['action'] == leases.REFUSE:
            return LeaseOutcome(decision['outcome'], current, failure='%s Nothing was changed.' % decision['reason'])
        value = self.value(self.now())
        if check_mode:
            return LeaseOutcome(decision['outcome'], leases.parse_lease(value), changed=True, warnings=warnings)
        self.tags.merge({leases.LEASE_TAG: value})
        if decision['action'] == leases.TAKE:
            took = self._clock() - started
            if leases.write_was_slow(self.confirm_delay, took):
                return self._back_off(value, took, warnings)
            self._sleep(self.confirm_delay)
        after = self.read()
        if after is None or after.get('value') != value:
            return LeaseOutcome('lost_race', after, warnings=warnings, failure=(
                'Another run wrote the lease at the same moment and holds it: %s. This run wrote nothing else (it '
                'never had the lease).' % leases.describe(after)))
        return LeaseOutcome(decision['outcome'], after, changed=True, warnings=warnings)

    def _back_off(self, value, seconds, warnings):
        after = self.read()
        if after is not None and after.get('value') == value:
            self.tags.delete({leases.LEASE_TAG: value})
        return LeaseOutcome('backed_off', self.read(), warnings=warnings, failure=(
            'Reading and writing the lease took %.1f s, more than confirm_delay (%s s): this run cannot tell whether '
            'it overwrote the lease of a run that had just taken it, so it removed its own value and does not hold '
            'the lease. Run again, or give a larger confirm_delay on a slow link.' % (seconds, self.confirm_delay)))

    def release(self, current, check_mode=False):
        """Remove this run's lease; another run's is left alone."""
        decision = leases.decide_release(current, self.run_id)
        warnings = [decision['warning']] if decision.get('warning') else []
        if decision['action'] == leases.NOTHING:
            return LeaseOutcome(decision['outcome'], current, warnings=warnings)
        if check_mode:
            return LeaseOutcome(decision['outcome'], None, changed=True, warnings=warnings)
        self.tags.delete({leases.LEASE_TAG: current['value']})
        after = self.read()
        if after is not None and after.get('value') == current['value']:
            return LeaseOutcome('release_failed', after, warnings=warnings,
                                failure='The lease of this run is still on %s after the delete.' % self.tags.target)
        return LeaseOutcome(decision['outcome'], after, changed=True, warnings=warnings)
