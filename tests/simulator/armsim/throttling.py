"""Throttling: token buckets for ARM's per-subscription (or tenant) and per-principal read/write
limits and for Compute's per-resource ("3Min") and per-subscription ("30Min") policies, with the
rate-limit headers and ARM's and Compute's 429 bodies. Which Compute policy a route is charged to is
the `policy` column of the route table (routes.py)."""

import json
import math
import time

from .wire import cloud_error, iso

# Throttling policies (arm-facts.md, "Throttling"). Per-minute figures from the Compute docs.
# (header name, bucket per resource, refill/min per resource, bucket per subscription, refill/min per sub)
# The "3Min" entry of the header is the per-resource bucket and "30Min" the per-subscription one.
# UNVERIFIED: which bucket Azure reports under which window name; this mapping keeps both visible.
COMPUTE_POLICIES = {
    "low_cost_get": ("GetVMScaleSet", 36, 12, 2400, 800),
    "high_cost_get": ("HighCostGetVMScaleSet", 30, 10, 1080, 360),
    "update": ("VMScaleSetActions", None, None, 1500, 500),
    "vm_get": ("GetVMScaleSetVM", 36, 12, 6000, 2000),
    # Virtual Machines (a Flexible scale set's VMs), Compute docs "Compute throttling limits": Update VM
    # (Perform Maintenance is one) 4/min per VM, bucket 12, 500/min per subscription, bucket 1,500;
    # Low Cost Get VM (Get, Instance View) 12/36 and 8,000/24,000; High Cost Get VM (List, List All)
    # per subscription only, 300/900. UNVERIFIED: the header names.
    "vm_update": ("UpdateVM", 12, 4, 1500, 500),
    "vm_low_cost_get": ("LowCostGetVM", 36, 12, 24000, 8000),
    "vm_high_cost_get": ("HighCostGetVM", None, None, 900, 300),
}


class TokenBucket:
    __slots__ = ("capacity", "rate", "tokens", "stamp")

    def __init__(self, capacity, rate_per_sec, now):
        self.capacity = float(capacity)
        self.rate = float(rate_per_sec)
        self.tokens = float(capacity)
        self.stamp = now

    def _refill(self, now):
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, now):
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True, 0.0
        wait = (1.0 - self.tokens) / self.rate if self.rate > 0 else 3600.0
        return False, wait

    def remaining(self):
        return max(0, int(self.tokens))


def bucket_now(st):
    """The buckets' clock: monotonic time, or the time a test held it at (Simulator.hold_throttle_clock), so
    that what a bucket answers does not depend on how fast a busy machine sends the requests."""
    return time.monotonic() if st.throttle_held_at is None else st.throttle_held_at


def _bucket(sim, key, capacity, per_sec, policy, now):
    st = sim.state
    b = st.buckets.get(key)
    if b is None:
        ov = st.throttle_overrides.get(policy)
        if ov:
            b = TokenBucket(max(1.0, float(ov.get("capacity", capacity))),
                            float(ov.get("refill_per_second", per_sec)), now)
        else:
            scale = st.throttle_scale
            rscale = scale if st.throttle_refill_scale is None else float(st.throttle_refill_scale)
            b = TokenBucket(max(1.0, math.floor(capacity * scale)), per_sec * rscale, now)
        st.buckets[key] = b
    return b


def arm_throttle(sim, req, sub):
    st = sim.state
    write = req.method in ("POST", "PUT", "PATCH")
    kind = "writes" if write else "reads"
    cap, rate = (200, 10.0) if write else (250, 25.0)
    principal = req.principal
    key = ("arm", (sub or principal["tenant"]).lower(), principal["object_id"], kind)
    with sim.lock:
        now = bucket_now(st)
        b = _bucket(sim, key, cap, rate, "arm_" + kind, now)
        ok, wait = b.take(now) if st.throttle_enabled else (True, 0)
        req.extra["x-ms-ratelimit-remaining-%s-%s" % ("subscription" if sub else "tenant", kind)] = \
            str(b.remaining() if st.throttle_enabled else cap - 1)
    if ok:
        return None
    secs = max(1, int(math.ceil(wait)))
    return cloud_error(429, "SubscriptionRequestsThrottled" if sub else "TenantRequestsThrottled",
                       "Number of '%s' requests for subscription '%s' actor '%s' exceeded. Please try again "
                       "after '%d' seconds after additional tokens are available. Refer to "
                       "https://aka.ms/arm-throttling for additional information." % (
                           "read" if kind == "reads" else "write", sub, principal["object_id"], secs),
                       headers={"Retry-After": str(secs)})


def compute_throttle(sim, req, pol):
    """Charge the request to Compute policy `pol` (a COMPUTE_POLICIES key) for req.vmss / req.inst."""
    st = sim.state
    vmss, inst = req.vmss, req.inst
    name, rcap, rrate, scap, srate = COMPUTE_POLICIES[pol]
    sub = req.sub.lower()
    resource = inst.resource_id if inst is not None else (vmss.id if vmss is not None else None)
    # UNVERIFIED: the per-resource bucket of the scale-set-VM policy is keyed by the VM (not the
    # scale set), so a fleet walk with one GET per VM is limited by the subscription bucket.
    parts, fails = [], []
    with sim.lock:
        now = bucket_now(st)
        if rcap is not None and resource is not None:
            b = _bucket(sim, ("cmp", pol, resource.lower()), rcap, rrate / 60.0, pol, now)
            ok, wait = b.take(now) if st.throttle_enabled else (True, 0)
            parts.append("Microsoft.Compute/%s3Min;%d" % (name, b.remaining() if st.throttle_enabled else rcap))
            if not ok:
                fails.append(("%s3Min" % name, wait, rcap))
        b = _bucket(sim, ("cmp", pol, sub), scap, srate / 60.0, pol, now)
        ok, wait = b.take(now) if st.throttle_enabled else (True, 0)
        parts.append("Microsoft.Compute/%s30Min;%d" % (name, b.remaining() if st.throttle_enabled else scap))
        if not ok:
            fails.append(("%s30Min" % name, wait, scap))
    req.extra["x-ms-ratelimit-remaining-resource"] = ",".join(parts)
    if not fails:
        return None
    group, wait, allowed = max(fails, key=lambda f: f[1])
    secs = max(1, int(math.ceil(wait)))
    t = time.time()
    details = [{"code": "TooManyRequests", "target": group,
                "message": json.dumps({"operationGroup": group, "startTime": iso(t - 180),
                                       "endTime": iso(t), "allowedRequestCount": allowed,
                                       "measuredRequestCount": allowed + 1}, separators=(",", ":"))}]
    # UNVERIFIED: Microsoft's throttling doc shows this Compute body without the "error"
    # wrapper; every other Compute error is a CloudError, so it is wrapped here.
    return cloud_error(429, "OperationNotAllowed", "The server rejected the request because too many "
                       "requests have been received for this subscription.", details=details,
                       headers={"Retry-After": str(secs)})
