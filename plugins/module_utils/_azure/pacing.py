# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A token bucket that paces requests the way ARM and Compute count them, and Retry-After parsing.

No Azure imports; the clock and the sleep are parameters so the pacing is tested without waiting.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time


class TokenBucket(object):
    """At most ``capacity`` requests at once, then ``rate`` per second; shared by threads.

    ``blocked_until`` returns a time (of ``clock``) before which nobody may send: the client sets it
    from a 429's Retry-After, so every thread waits out throttling instead of each finding it alone.
    """

    def __init__(self, capacity, rate, blocked_until=None, clock=time.monotonic, sleep=time.sleep):
        self.capacity = float(capacity)
        self.rate = float(rate)
        self._tokens = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._blocked_until = blocked_until or (lambda: 0.0)
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self, max_wait=None):
        """Take one token, sleeping as long as needed; returns the seconds slept. With ``max_wait`` (seconds), a
        token that would take longer than that is not waited for: None, and nothing is taken (a wait with a
        deadline ends by the clock, not when the bucket or a 429's Retry-After allows)."""
        slept = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                wait = max(0.0, self._blocked_until() - now)
                if not wait:
                    if self._tokens >= 1.0:
                        self._tokens -= 1.0
                        self.waited += slept
                        return slept
                    wait = (1.0 - self._tokens) / self.rate
            if max_wait is not None and slept + wait > max_wait:
                return None
            self._sleep(wait)
            slept += wait


def retry_after_seconds(headers, default=None):
    """Seconds an answer asks to wait: ``retry-after-ms``/``x-ms-retry-after-ms``, else ``Retry-After``.

    Like azure-core, ``Retry-After: 0`` counts as unsaid (``default``); an HTTP date is not parsed (ARM
    sends seconds).
    """
    lowered = dict((str(k).lower(), v) for k, v in (headers or {}).items())
    for name, scale in (('retry-after-ms', 1000.0), ('x-ms-retry-after-ms', 1000.0), ('retry-after', 1.0)):
        try:
            value = float(lowered[name]) / scale
        except (KeyError, TypeError, ValueError):
            continue
        if value > 0:
            return value
    return default
