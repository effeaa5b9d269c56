"""The control API (/_sim/...): plain JSON, no authentication, not logged. Tests and the integration
targets use it to read the request log and counters, reset or load a scenario, inject faults, patch
VMs, set a rolling upgrade, throttling and token lifetimes. Its routes are rows of the route table
(routes.py) with kind "control"; the Simulator's Python methods call the same functions."""

import os
import time

import yaml

from . import virtual_machines
from .compute import rolling_latest, vm_body
from .faults import normalise_fault
from .lro import power_and_health, redeploy_status, reschedule_after_start, settle
from .state import WINDOW_KEYS, health_kind, load_scenario, new_maintenance
from .wire import Resp, abs_time, duration, iso


def health(sim, req):
    return Resp(200, {"ok": True, "pid": os.getpid(), "scenario": sim.scenario.get("name")})


def connection(sim, req):
    return Resp(200, sim.connection)


def log_get(sim, req):
    since = int(req.query.get("since", 0) or 0)
    with sim.lock:
        entries = sim.request_log.since(since, req.query.get("route"))
        return Resp(200, {"entries": entries, "last_seq": sim.request_log.seq})


def log_delete(sim, req):
    with sim.lock:
        sim.request_log.entries = []
    return Resp(200, {"last_seq": sim.request_log.seq})


def counters(sim, req):
    with sim.lock:
        if req.method == "DELETE":
            sim.request_log.counts = {}
        return Resp(200, sim.request_log.counters())


def reset(sim, req):
    sim.reset()
    return Resp(200, {"ok": True, "scenario": sim.scenario.get("name")})


def load(sim, req):
    try:
        sc = load_scenario(req.body.get("scenario"), req.body.get("scenario_data"))
        if req.body.get("time_scale") is not None:  # a named scenario at another speed (rehearsal tests)
            sc["time_scale"] = float(req.body["time_scale"])
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return Resp(400, {"error": str(exc)})
    sim.reset_state(sc)
    return Resp(200, {"ok": True, "scenario": sc.get("name"), "connection": sim.connection})


def faults(sim, req):
    """DELETE clears, POST adds one fault or a list, any other method lists them."""
    with sim.lock:
        if req.method == "DELETE":
            sim.state.faults = []
        elif req.method == "POST":
            items = req.body if isinstance(req.body, list) else [req.body]
            for f in items:
                sim.state.faults.append(normalise_fault(f))
        return Resp(200, {"faults": sim.state.faults})


def instances_post(sim, req):
    return patch_instances(sim, req.body)


def state_get(sim, req):
    return state_summary(sim)


def rolling_upgrade_post(sim, req):
    return set_rolling_upgrade(sim, req.body)


def scale_set_post(sim, req):
    return patch_scale_set(sim, req.body)


def throttle_post(sim, req):
    return set_throttle(sim, req.body)


def throttle_get(sim, req):
    return Resp(200, _throttle_body(sim))


def tokens_post(sim, req):
    return set_tokens(sim, req.body)


def operations_get(sim, req):
    with sim.lock:
        now = sim.now()
        ops = [{"name": o.id, "instances": [i.id for i in o.instances], "start": iso(o.start),
                "end": iso(o.end), "done": now >= o.end, "fails": o.fails}
               for o in sim.state.operations.values()]
    return Resp(200, {"operations": ops})


def unknown(sim, req):
    return Resp(404, {"error": "unknown control endpoint %s %s" % (req.method, req.path[len("/_sim"):])})


def _find_scale_set(sim, body):
    st = sim.state
    name = body.get("scale_set") or body.get("vmss")
    if not name:
        return None, Resp(400, {"error": "scale_set is required"})
    v = st.find_vmss(body.get("resource_group"), name, body.get("subscription"))
    if v is None:
        return None, Resp(404, {"error": "scale set %s not found" % name})
    return v, None


MAINTENANCE_KEYS = {"isCustomerInitiatedMaintenanceAllowed": "allowed", "eligible": "allowed", "allowed": "allowed",
                    "lastOperationResultCode": "result", "last_result": "result",
                    "lastOperationMessage": "message", "last_message": "message",
                    "preMaintenanceWindowStartTime": "pre_start", "pre_start": "pre_start",
                    "preMaintenanceWindowEndTime": "pre_end", "pre_end": "pre_end",
                    "maintenanceWindowStartTime": "start", "start": "start",
                    "maintenanceWindowEndTime": "end", "end": "end",
                    "outcome": "outcome", "outcome_message": "outcome_message"}


def patch_instances(sim, body):
    """Change VMs: health, power, eligibility, their maintenance (windows relative to the simulated
    clock's now), the outcome of their next maintenance. Starting a deallocated VM again can schedule
    its maintenance again (lro.reschedule_after_start)."""
    v, err = _find_scale_set(sim, body)
    if err:
        return err
    ids = body.get("instance_ids")
    if ids is None:
        ids = [body.get("instance_id")]
    out = []
    with sim.lock:
        now = sim.now()
        for iid in ids:
            i = sim.state.find_instance(v, iid)
            if i is None:
                return Resp(404, {"error": "instance %s not found" % iid})
            settle(sim, i, now)
            was_deallocated = i.power == "deallocated"
            if "maintenance" in body:
                m = body["maintenance"]
                if m is None:
                    i.maint = None
                    i.wave = None
                else:
                    if i.maint is None:
                        i.maint = new_maintenance(True, now - 86400, now + 13 * 86400, now + 14 * 86400,
                                                  now + 21 * 86400)
                    for k, val in m.items():
                        if k in MAINTENANCE_KEYS:
                            key = MAINTENANCE_KEYS[k]
                            if key in WINDOW_KEYS:
                                val = abs_time(val, now)
                            i.maint[key] = val
                    i.wave = {k: i.maint[k] for k in WINDOW_KEYS}
            ov = dict(body)
            if "health" in ov:
                i.recover_at = None
            try:
                sim.state.apply_overrides(i, ov)
            except ValueError as exc:
                return Resp(400, {"error": str(exc)})
            if "eligible" in body and i.maint is not None:
                i.maint["allowed"] = bool(body["eligible"])
            if was_deallocated and i.power == "running":
                reschedule_after_start(i, now)
            out.append((virtual_machines.vm_body if v.flexible else vm_body)(sim, i, now, expand=True))
    return Resp(200, {"instances": out})


def clock_get(sim, req):
    return Resp(200, _clock_body(sim))


def clock_post(sim, req):
    return set_clock(sim, req.body)


def set_clock(sim, body):
    """{"advance": "2h" | seconds} or {"to": "+2h" (from now) | ISO 8601}: move the simulated clock
    forward. Running maintenance, recoveries and windows follow on the next read."""
    with sim.lock:
        clock = sim.state.clock
        try:
            if body.get("advance") is not None:
                clock.advance(duration(body["advance"]))
            elif body.get("to") is not None:
                target = abs_time(body["to"], clock.now())
                if target < clock.now():
                    raise ValueError("the simulated clock only moves forward (to %r)" % body["to"])
                clock.move_to(target)
        except (TypeError, ValueError) as exc:
            return Resp(400, {"error": str(exc)})
        return Resp(200, _clock_body(sim))


def _clock_body(sim):
    clock = sim.state.clock
    return {"now": iso(clock.now()), "offset_seconds": round(clock.offset, 3), "started": iso(sim.state.t0)}


def state_summary(sim):
    """Scale sets with their VMs' zone, power, health, wave and eligibility, settled to now."""
    st = sim.state
    rgs = []
    with sim.lock:
        now = sim.now()
        for (sub, _unused), rg in st.resource_groups.items():
            sets = []
            for v in rg.scale_sets.values():
                insts = []
                for i in v.instances.values():
                    settle(sim, i, now)
                    power, health, _unused = power_and_health(i, now)
                    mrs = redeploy_status(i, now)
                    insts.append({"instance_id": i.id, "zone": i.zone, "update_domain": i.update_domain,
                                  "power_state": power, "health": health, "in_wave": mrs is not None,
                                  "eligible": bool(mrs and mrs["isCustomerInitiatedMaintenanceAllowed"]),
                                  "last_result": mrs["lastOperationResultCode"] if mrs else None,
                                  "self_service_window": [mrs.get("preMaintenanceWindowStartTime"),
                                                          mrs.get("preMaintenanceWindowEndTime")] if mrs else None,
                                  "under_maintenance": i.op is not None})
                sets.append({"name": v.name, "orchestration_mode": v.orchestration_mode, "location": v.location,
                             "zones": v.zones,
                             "health_signal": v.health_signal, "health_kind": v.health_kind,
                             "repairs_state": v.repairs_state if v.repairs is not None else None,
                             "tags": dict(v.tags), "vm_list_health": v.vm_list_health,
                             "rolling_upgrade": v.rolling["code"] if v.rolling else None,
                             "os_upgrade_history": len(v.os_history), "vm_page_size": v.vm_page_size,
                             "os_history_page_size": v.os_page_size, "instances": insts})
            rgs.append({"subscription": rg.sub, "name": rg.name, "location": rg.location, "scale_sets": sets})
    return Resp(200, {"scenario": sim.scenario.get("name"), "time_scale": sim.time_scale, "now": iso(now),
                      "resource_groups": rgs})


def set_rolling_upgrade(sim, body):
    v, err = _find_scale_set(sim, body)
    if err:
        return err
    with sim.lock:
        if body.get("clear") or body.get("running_status") is None and "running_status" in body:
            v.rolling = None
            return Resp(200, {"rolling_upgrade": None})
        spec = {"code": body.get("running_status", (v.rolling or {}).get("code", "RollingForward")),
                "started": body.get("started", 0), "progress": body.get("progress") or {},
                "last_action": body.get("last_action"), "error": body.get("error")}
        if spec["last_action"] is None:
            spec.pop("last_action")
        if not body.get("progress") and v.rolling and not body.get("restart"):
            spec["progress"] = {"successful": v.rolling["progress"]["successfulInstanceCount"],
                                "failed": v.rolling["progress"]["failedInstanceCount"],
                                "in_progress": v.rolling["progress"]["inProgressInstanceCount"],
                                "pending": v.rolling["progress"]["pendingInstanceCount"]}
        if not body.get("progress") and not v.rolling:
            spec["progress"] = {"pending": len(v.instances)}
        keep_start = v.rolling["start"] if v.rolling and "started" not in body and not body.get("restart") else None
        v.rolling = sim.state.rolling_record(spec, sim.now())
        if keep_start:
            v.rolling["start"] = keep_start
        v.rolling["last_action_time"] = sim.now()
    return Resp(200, {"rolling_upgrade": rolling_latest(sim, v).body})


def patch_scale_set(sim, body):
    """The scale set's own settings: vm_list_health (false: the VM list leaves vmHealth out), provisioning_state,
    repairs_state (Running, Suspended, NotRunning), tags (replaces them), health_signal."""
    v, err = _find_scale_set(sim, body)
    if err:
        return err
    with sim.lock:
        if "vm_list_health" in body:
            v.vm_list_health = bool(body["vm_list_health"])
        if "provisioning_state" in body:
            v.provisioning_state = str(body["provisioning_state"])
        if "repairs_state" in body:
            v.repairs_state = str(body["repairs_state"])
            v.repairs_change = None
        if "tags" in body:
            v.tags = {str(k): str(val) for k, val in (body["tags"] or {}).items()}
        if "health_signal" in body:
            v.health_kind = health_kind(body["health_signal"])
            v.health_signal = v.health_kind is not None
    return Resp(200, {"scale_set": v.name, "vm_list_health": v.vm_list_health,
                      "provisioning_state": v.provisioning_state, "repairs_state": v.repairs_state,
                      "tags": dict(v.tags), "health_signal": v.health_kind or "none"})


def set_throttle(sim, body):
    st = sim.state
    with sim.lock:
        if "scale" in body:
            st.throttle_scale = float(body["scale"])
        if "enabled" in body:
            st.throttle_enabled = bool(body["enabled"])
        if "refill_scale" in body:
            st.throttle_refill_scale = body["refill_scale"]
        if "overrides" in body:
            st.throttle_overrides = dict(body["overrides"] or {})
        st.buckets = {}
    return Resp(200, _throttle_body(sim))


def _throttle_body(sim):
    st = sim.state
    return {"scale": st.throttle_scale, "refill_scale": st.throttle_refill_scale,
            "overrides": st.throttle_overrides, "enabled": st.throttle_enabled}


def set_tokens(sim, body):
    st = sim.state
    with sim.lock:
        if "lifetime_seconds" in body:
            st.token_lifetime = int(body["lifetime_seconds"])
        who = body.get("principal")  # optional: only this principal's tokens
        if body.get("expire_all"):
            for rec in st.tokens.values():
                if who is None or rec["principal"] == who:
                    rec["exp"] = min(rec["exp"], time.time() - 1)
        if body.get("revoke_all"):
            for t in [t for t, r in st.tokens.items() if who is None or r["principal"] == who]:
                del st.tokens[t]
    return Resp(200, {"lifetime_seconds": st.token_lifetime, "issued": len(st.tokens)})
