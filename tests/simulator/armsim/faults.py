"""Injected faults: latency, jitter, error answers and dropped connections, per route or for every
route ("*"), optionally for a number of requests only. Applied before the work, as a slow network
or front door would be."""

import uuid
from datetime import datetime, timezone

from .wire import Resp, cloud_error


def normalise_fault(f):
    f = dict(f)
    return {"route": f.get("route", "*"), "latency_ms": float(f.get("latency_ms", 0) or 0),
            "jitter_ms": float(f.get("jitter_ms", 0) or 0),
            "error_rate": float(f.get("error_rate", 0) or 0),
            "error_status": int(f.get("error_status", 500) or 500),
            "retry_after": f.get("retry_after"),
            "drop_rate": float(f.get("drop_rate", 0) or 0),
            "count": None if f.get("count") is None else int(f["count"])}


def inject(sim, route, req=None):
    """(delay in seconds, fault response or None) for a request on `route`; the simulator-wide
    latency is included. The first fault that answers wins; the delays of those before it add up."""
    delay = sim.latency_ms / 1000.0
    fault_resp = None
    with sim.lock:
        faults = list(sim.state.faults)
    for f in faults:
        if f["route"] not in ("*", route):
            continue
        with sim.lock:
            if f["count"] is not None:
                if f["count"] <= 0:
                    continue
                f["count"] -= 1
        delay += (f["latency_ms"] + sim.rand.uniform(0, f["jitter_ms"])) / 1000.0
        if f["drop_rate"] and sim.rand.random() < f["drop_rate"]:
            fault_resp = Resp(0, drop=True)
        elif f["error_rate"] and sim.rand.random() < f["error_rate"]:
            fault_resp = _error(f)
        if fault_resp is not None:
            break
    if fault_resp is None and req is not None:
        # named_faults.py hooks in here (an alert at batch N, a burst of 429 on one scale set): each sees the
        # requests that got through the faults above, and may answer one itself
        for hook in list(getattr(sim.state, "request_hooks", None) or ()):
            fault_resp = hook(sim, req)
            if fault_resp is not None:
                break
    return delay, fault_resp


def error_response(f):
    """The answer of an error fault (normalise_fault's dict)."""
    return _error(f)


def _error(f):
    st = f["error_status"]
    hdr = {"Retry-After": str(int(f["retry_after"]))} if f["retry_after"] is not None else {}
    if st == 429:
        # a throttling burst, answered as Compute's own 429 (throttling.py) is
        return cloud_error(429, "OperationNotAllowed", "The server rejected the request because too many "
                           "requests have been received for this subscription.",
                           details=[{"code": "TooManyRequests", "target": "InjectedBurst",
                                     "message": "An injected burst of 429 answers."}],
                           headers=hdr or {"Retry-After": "1"})
    if st == 503:
        return cloud_error(503, "ServiceUnavailable",
                           "The service is temporarily unavailable. Please retry.", headers=hdr)
    return cloud_error(st, "InternalServerError" if st == 500 else "ServerError",
                       "Encountered internal server error. Diagnostic information: "
                       "timestamp '%s', tracking id '%s'." % (
                           datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
                           uuid.uuid4()), headers=hdr)
