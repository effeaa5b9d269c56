"""Inject the drawn runtime faults through the simulator's control API, each at its moment of the run, and record
when each took effect (the simulator's clock), for the checker."""

import threading
import time

from draw import RG


class Injector(threading.Thread):
    """Runs beside the playbook: sleeps until each fault's moment (seconds after the start), then injects it."""

    def __init__(self, sim, scenarios):
        super().__init__(daemon=True)
        self.sim = sim
        self.plan = sorted(((f["after"], s["scale_set"]["name"], f) for s in scenarios for f in s["faults"]
                            if "after" in f), key=lambda item: item[0])
        self.done = []       # {scale_set, kind, at (simulator epoch), ...} as injected
        self.stopping = threading.Event()

    def run(self):
        start = time.monotonic()
        pending = list(self.plan)
        undo = []            # (monotonic time, action) to take back: throttling, alerts
        while (pending or undo) and not self.stopping.is_set():
            now = time.monotonic() - start
            if pending and pending[0][0] <= now:
                _after, name, fault = pending.pop(0)
                try:
                    record = self.inject(name, fault, undo, now)
                except Exception as exc:  # a fault that could not be injected is recorded, not fatal
                    record = dict(fault, error=str(exc))
                record.update(scale_set=name, at=self.sim.now())
                self.done.append(record)
                continue
            if undo and undo[0][0] <= now:
                undo.pop(0)[1]()
                continue
            self.stopping.wait(0.2)

    def inject(self, name, fault, undo, now):
        kind = fault["kind"]
        if kind == "unhealthy":
            self.sim.patch_instance(resource_group=RG, scale_set=name, instance_id=fault["instance"], health="unhealthy")
        elif kind == "never_recovers":
            self.sim.patch_instance(resource_group=RG, scale_set=name, instance_id=fault["instance"], never_recovers=True)
        elif kind == "http_5xx":
            self.sim.set_fault(route=fault["route"], error_rate=1, error_status=503, retry_after=1, count=fault["count"])
        elif kind == "dropped":
            self.sim.set_fault(route=fault["route"], drop_rate=1, count=fault["count"])
        elif kind == "throttled":
            # a burst of 429s with Retry-After on the reads of scale sets and VMs, for a few seconds
            self.sim.set_throttle(overrides={"low_cost_get": {"capacity": 1, "refill_per_second": 0.5}})
            undo.append((now + fault["seconds"], lambda: self.sim.set_throttle(overrides={})))
            undo.sort(key=lambda item: item[0])
        elif kind == "tokens_expired":
            # tokens issued from now on live a few seconds, so the runs' cached tokens expire mid-run and must be
            # renewed (expire_all, a revocation ARM would answer 401 to, is not drawn: every run then stops, safely)
            self.sim.set_token_lifetime(fault["lifetime"])
            undo.append((now + 30, lambda: self.sim.set_token_lifetime(3600)))
            undo.sort(key=lambda item: item[0])
        elif kind == "alert":
            alert = "campaign %s %s" % (name, now)
            self.sim.fire_alert(name=alert, severity=fault["severity"], resource_group=RG, scale_set=name)
            undo.append((now + fault["resolve_after"], lambda: self.sim.resolve_alert(name=alert)))
            undo.sort(key=lambda item: item[0])
        return dict(fault)
