"""Named faults for rehearsals: what can go wrong in a maintenance run, by name, translated into the
simulator's own primitives (instance patches, faults, alerts, the clock). Nothing here models Azure: it only
decides which existing control call to make, and when.

A named fault is a dict: {"name": ..., "instances": [ids or VM names], "scale_set": ..., "resource_group": ...,
"at_batch": N, ...}. Without "at_batch" it applies at once; with it, when batch N starts: the first maintenance
request (any of the three performMaintenance routes) on that scale set while none of its VMs is under
maintenance, which is how the role's batches arrive (it waits for a batch before it starts the next). Each
fault is about its own scale set only, so several rehearsals can share one simulator.

Names (command line: NAME[:INSTANCES][@BATCH][,key=value...], INSTANCES joined by '+'):
  never_recovers        the instances come back unhealthy after maintenance and stay so
  recovers_late         their recovery takes `seconds` scenario seconds (default 600)
  retry_later           their next maintenance ends RetryLater (the operation succeeds)
  maintenance_aborted   their next maintenance ends MaintenanceAborted
  maintenance_fails     their next maintenance operation fails (MaintenanceOperationFailed)
  throttle_burst        the next `count` requests (default 5) on `route` (a route name of the log, or "*"; by
                        default the scale set's maintenance request) answer 429 with Retry-After `retry_after`
                        (default 1)
  alert                 an Azure Monitor alert fires on the scale set (`severity`, default Sev1; `alert_name`)
  window_closes         the instances' self-service windows close `after` (default "0": now, relative to the
                        simulated clock, or an ISO time); all instances when none are named
"""

from . import alerts as alerts_mod
from . import control
from .faults import error_response, normalise_fault

NAMES = ("never_recovers", "recovers_late", "retry_later", "maintenance_aborted", "maintenance_fails",
         "throttle_burst", "alert", "window_closes")
MAINTENANCE_ROUTES = frozenset(("perform_maintenance", "vm_perform_maintenance", "virtual_machine_perform_maintenance"))
_INT_KEYS = ("at_batch", "count", "seconds", "retry_after")


def parse(text):
    """'retry_later:3+5@2,seconds=30' -> {"name": "retry_later", "instances": ["3", "5"], "at_batch": 2, ...}."""
    head, _sep, rest = str(text).partition(",")
    head, _at, batch = head.partition("@")
    name, _colon, ids = head.partition(":")
    fault = {"name": name.strip()}
    if ids.strip():
        fault["instances"] = [i.strip() for i in ids.split("+") if i.strip()]
    if batch.strip():
        fault["at_batch"] = batch.strip()
    for pair in [p for p in rest.split(",") if p.strip()]:
        key, eq, value = pair.partition("=")
        if not eq:
            raise ValueError("named fault %r: %r is not key=value" % (text, pair))
        fault[key.strip()] = value.strip()
    return normalise(fault)


def normalise(fault):
    fault = dict(fault)
    if fault.get("name") not in NAMES:
        raise ValueError("named fault %r: the name must be one of %s" % (fault.get("name"), ", ".join(NAMES)))
    for key in _INT_KEYS:
        if fault.get(key) is not None:
            fault[key] = int(fault[key])
    if fault.get("at_batch") is not None and fault["at_batch"] < 1:
        raise ValueError("named fault %r: at_batch counts from 1" % fault["name"])
    if fault["name"] in ("never_recovers", "recovers_late", "retry_later", "maintenance_aborted",
                         "maintenance_fails") and not fault.get("instances"):
        raise ValueError("named fault %r needs instances (ids or VM names)" % fault["name"])
    return fault


def _scale_set(sim, fault):
    """The fault's scale set: the named one, or the scenario's only one."""
    st = sim.state
    if fault.get("scale_set"):
        v = st.find_vmss(fault.get("resource_group"), fault["scale_set"], fault.get("subscription"))
        if v is None:
            raise ValueError("named fault %r: no scale set %r" % (fault["name"], fault["scale_set"]))
        return v
    every = [v for rg in st.resource_groups.values() for v in rg.scale_sets.values()]
    if len(every) != 1:
        raise ValueError("named fault %r: the scenario has %d scale sets; name one with scale_set"
                         % (fault["name"], len(every)))
    return every[0]


def _patch(sim, v, ids, **body):
    body.update(resource_group=v.rg.name, scale_set=v.name, instance_ids=list(ids))
    resp = control.patch_instances(sim, body)
    if resp.status != 200:
        raise ValueError("named fault: %s" % (resp.body or {}).get("error"))


def apply_now(sim, fault):
    """Translate one named fault into the primitives, now (a burst is answered by the request hook)."""
    v = _scale_set(sim, fault)
    name, ids = fault["name"], fault.get("instances") or []
    if name == "never_recovers":
        _patch(sim, v, ids, never_recovers=True)
    elif name == "recovers_late":
        _patch(sim, v, ids, recovery=int(fault.get("seconds") or 600))
    elif name == "retry_later":
        _patch(sim, v, ids, outcome="RetryLater")
    elif name == "maintenance_aborted":
        _patch(sim, v, ids, outcome="MaintenanceAborted")
    elif name == "maintenance_fails":
        _patch(sim, v, ids, fail_maintenance=True)
    elif name == "alert":
        alerts_mod.fire(sim, {"name": fault.get("alert_name") or "rehearsal alert",
                              "severity": fault.get("severity") or "Sev1",
                              "resource_group": v.rg.name, "scale_set": v.name})
    elif name == "window_closes":
        ids = ids or [i.id for i in v.instances.values() if i.maint is not None]
        if ids:
            _patch(sim, v, ids, maintenance={"pre_end": fault.get("after") or "0"})


def add(sim, fault):
    """Apply a named fault now, or arm it for its batch; a burst waits for its requests. Returns it normalised."""
    fault = normalise(fault)
    v = _scale_set(sim, fault)  # a wrong scale set is refused now, not when the batch comes
    entry = dict(fault, applied=False)
    if fault["name"] == "throttle_burst":
        entry["remaining"] = fault.get("count") or 5
        entry["route"] = fault.get("route") or ("virtual_machine_perform_maintenance" if v.flexible
                                                else "perform_maintenance")
    elif fault.get("at_batch") is None:
        apply_now(sim, fault)
        return fault
    with sim.lock:
        armed = getattr(sim.state, "named_faults", None)
        if armed is None:
            armed = sim.state.named_faults = []
            # faults.inject calls every hook with each ARM request that got through the faults, before its work
            hooks = getattr(sim.state, "request_hooks", None)
            if hooks is None:
                hooks = sim.state.request_hooks = []
            hooks.append(_on_request)
        armed.append(entry)
    return fault


def _under_maintenance(v, now):
    return any(i.op is not None and now < i.op_end for i in v.instances.values())


def _about(sim, v, req):
    """Whether a request is about scale set v: its own paths, or (Flexible) one of its VMs'."""
    params = getattr(req, "params", None) or {}
    if str(params.get("rg") or "").lower() != v.rg.name.lower():
        return False
    if params.get("vmss"):
        return params["vmss"].lower() == v.name.lower()
    return bool(v.flexible and params.get("name") and sim.state.find_instance(v, params["name"]) is not None)


def _on_request(sim, req):
    """Answer a burst's 429, count the batches of the armed faults' scale sets, apply the faults that are due."""
    route = req.route
    with sim.lock:
        now = sim.now()
        entries = [(e, _scale_set(sim, e)) for e in sim.state.named_faults]
        for entry, v in entries:
            if (entry["name"] == "throttle_burst" and entry["remaining"] > 0
                    and (entry.get("at_batch") is None or entry["applied"])
                    and entry["route"] in ("*", route) and _about(sim, v, req)):
                entry["remaining"] -= 1
                return error_response(normalise_fault({"route": route, "error_rate": 1, "error_status": 429,
                                                       "retry_after": entry.get("retry_after") or 1}))
        if route not in MAINTENANCE_ROUTES:
            return None
        counted = []
        for entry, v in entries:
            if all(v is not other for other in counted) and _about(sim, v, req):
                counted.append(v)
                if not _under_maintenance(v, now):
                    v.rehearsal_batches = getattr(v, "rehearsal_batches", 0) + 1
        for entry, v in entries:
            if (entry.get("at_batch") is not None and not entry["applied"]
                    and getattr(v, "rehearsal_batches", 0) >= entry["at_batch"]):
                entry["applied"] = True
                if entry["name"] != "throttle_burst":
                    apply_now(sim, entry)
    return None


def listed(sim):
    return [dict(f) for f in getattr(sim.state, "named_faults", None) or []]


def control_named_faults(sim, req):
    """POST /_sim/named-faults: one named fault or a list (or {"spec": "NAME:IDS@N"}); GET lists the armed ones."""
    from .wire import Resp
    if req.method != "POST":
        return Resp(200, {"named_faults": listed(sim), "names": list(NAMES)})
    items = req.body if isinstance(req.body, list) else [req.body]
    applied = []
    try:
        for item in items:
            item = item or {}
            applied.append(add(sim, parse(item["spec"]) if "spec" in item else item))
    except (ValueError, KeyError) as exc:
        return Resp(400, {"error": str(exc)})
    return Resp(200, {"applied": applied, "named_faults": listed(sim)})
