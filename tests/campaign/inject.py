"""Inject the drawn runtime faults through the simulator's control API, each at its moment of the run, and record
when each took effect (the simulator's clock), for the checker. Also start the other runs of the role that a
scenario draws (a second run; a run killed mid-batch, then its rerun), each its own ansible-playbook process."""

import os
import signal
import threading
import time

from check import posts, scale_set_of
from draw import RG

# Other runs' ansible-playbook processes at once, beside the campaign's own (each is a whole controller).
MAX_OTHER_RUNS = 2


class Injector(threading.Thread):
    """Runs beside the playbook: sleeps until each fault's moment (seconds after the start), then injects it."""

    def __init__(self, sim, scenarios, runner=None):
        super().__init__(daemon=True)
        self.sim = sim
        self.plan = sorted(((f["after"], s["scale_set"]["name"], f) for s in scenarios for f in s["faults"]
                            if "after" in f), key=lambda item: item[0])
        self.done = []       # {scale_set, kind, at (simulator epoch), ...} as injected
        self.stopping = threading.Event()
        # runner(name, which) -> a started process of the role on scale set `name`: which is "killed" (the run
        # to kill, as principal app), "rerun" or "second" (as principal app2)
        self.runner = runner
        self.main_done = threading.Event()   # the campaign's playbook ended: start what is still waiting
        self.watch = dict((s["scale_set"]["name"], dict(f)) for s in scenarios for f in s["faults"]
                          if f["kind"] in ("second_run", "killed"))
        self.queue = []      # (name, which) to start when fewer than MAX_OTHER_RUNS run
        self.running = {}    # name -> (which, process)
        self.seen = {}       # name -> {'first': monotonic time of its first request by app, 'posts': accepted}
        self.log_seq = 0

    def killed_runs(self):
        return sorted(name for name, f in self.watch.items() if f["kind"] == "killed")

    def run(self):
        start = time.monotonic()
        pending = list(self.plan)
        undo = []            # (monotonic time, action) to take back: throttling, alerts
        for name in self.killed_runs():
            self.queue.append((name, "killed"))
        while not self.stopping.is_set():
            others = self.other_runs()
            if not (pending or undo or others) or (self.main_done.is_set() and not others):
                break
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
        for _which, process in self.running.values():   # stopped early: leave no controller behind
            _kill(process)

    def other_runs(self):
        """Start, watch and kill the other runs; True while any is waiting or running."""
        if not self.watch or self.runner is None:
            return False
        self.follow_log()
        for name, (which, process) in list(self.running.items()):
            fault = self.watch[name]
            if process.poll() is not None:
                del self.running[name]
                fault["rc_" + which] = process.returncode
                if which == "killed":
                    fault["killed"] = False   # it ended before its moment came; rerun all the same
                    self.record(name, fault)
                    self.queue.insert(0, (name, "rerun"))
                continue
            if which == "killed" and "kill_at" not in fault:
                seen = self.seen.get(name, {})
                if seen.get("posts", 0) >= fault["after_posts"]:
                    fault["kill_at"] = time.monotonic() + fault["delay"]
            if which == "killed" and time.monotonic() >= fault.get("kill_at", float("inf")):
                _kill(process)
                fault["killed"] = True
                self.record(name, fault)
                del self.running[name]
                fault["rc_killed"] = process.returncode
                self.queue.insert(0, (name, "rerun"))   # at once, while its batch may still be in flight
        for name, fault in self.watch.items():
            if fault["kind"] != "second_run" or "queued" in fault:
                continue
            first = self.seen.get(name, {}).get("first")
            if self.main_done.is_set() or (first is not None and time.monotonic() >= first + fault["delay"]):
                fault["queued"] = True
                self.queue.insert(0, (name, "second"))   # before the runs to kill still waiting: it must overlap
        while self.queue and len(self.running) < MAX_OTHER_RUNS:
            name, which = self.queue.pop(0)
            self.running[name] = (which, self.runner(name, which))
            if which == "second":
                self.record(name, self.watch[name])
        return bool(self.queue or self.running or any(
            f["kind"] == "second_run" and "queued" not in f for f in self.watch.values()))

    def follow_log(self):
        """What the runs as principal app did so far, per scale set: their first request, accepted POSTs."""
        entries = self.sim.log_since(self.log_seq)
        if entries:
            self.log_seq = entries[-1]["seq"]
        for e in entries:
            if e.get("principal") != "app":
                continue
            name = scale_set_of(e)
            if name in self.watch:
                seen = self.seen.setdefault(name, {"first": time.monotonic(), "posts": 0})
                seen["posts"] += sum(1 for _post in posts([e], name))   # accepted performMaintenance POSTs

    def record(self, name, fault):
        """The fault as it happened; the same dict takes the other run's exit status when it ends."""
        fault.update(scale_set=name, at=self.sim.now())
        self.done.append(fault)

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


def _kill(process):
    """The controller killed: its whole process group (ansible-playbook, its workers, the module processes)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
