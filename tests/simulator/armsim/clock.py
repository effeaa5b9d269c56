"""The simulated clock. Every time the simulator reports or compares about the resources it models
(maintenance windows, operation and recovery times, the request log's `time`, the HTTP `Date`
header) is read from it, so the control API can move it forward and a test of an hours-long window
runs in seconds.

It is wall time plus an offset that only grows: moving it back would let an operation end before it
started. Token lifetimes and throttling buckets stay on wall time on purpose: they are about the
client's own clock (azure-identity refreshes a token by its wall-clock expiry, azure-core waits a
Retry-After in real seconds), and a clock jump must not expire every cached token at once."""

import time


class Clock:
    def __init__(self):
        self.offset = 0.0
        self.held_at = None

    def now(self):
        return self.held_at if self.held_at is not None else time.time() + self.offset

    def advance(self, seconds):
        """Move the clock forward by `seconds` (>= 0); returns the new time."""
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward (advance %r)" % seconds)
        if self.held_at is not None:
            self.held_at += seconds
        else:
            self.offset += seconds
        return self.now()

    def hold(self):
        """Stop the clock where it is (tests): what a running operation reports then depends on the test's
        advance() calls only, not on how fast a busy machine sends the requests."""
        self.held_at = self.now()

    def release(self):
        """Let the clock run again from where it was held (never back)."""
        if self.held_at is not None:
            self.offset = self.held_at - time.time()
            self.held_at = None

    def move_to(self, ts):
        """Move the clock forward to the absolute time `ts` (not before now)."""
        return self.advance(max(0.0, float(ts) - self.now()))
