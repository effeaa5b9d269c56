"""Azure Monitor alerts (the Alerts Management API): the subscription's alert instances, which the
control API (or a scenario's `alerts:`) fires and resolves, served at
GET /subscriptions/{sub}/providers/Microsoft.AlertsManagement/alerts in the shape of the stable
api-version 2019-03-01 (azure-rest-api-specs, alertsmanagement/.../stable/2019-03-01: Alerts_GetAll,
example Alerts_List.json): {"value": [alert], "nextLink"}; each alert {"id", "type", "name",
"properties": {"essentials": {...}}}.

Filters as the API documents them: targetResource (full ARM id), targetResourceType,
targetResourceGroup, monitorService, monitorCondition (Fired|Resolved), severity (Sev0..Sev4),
alertState (New|Acknowledged|Closed), alertRule, smartGroupId, timeRange (1h|1d|7d|30d, default 1d)
or customTimeRange (start/end); pageCount (1..250, default 25); sortBy/sortOrder (default
lastModifiedDateTime, descending). includeContext adds properties.context.

State is computed from timestamps on read, as for maintenance: an alert fired with `resolve_after`
(scenario seconds, time-scaled) is Resolved from then on; one fired with `resolve_after_reads: N` is listed
Fired by N alerts_list answers and is Resolved from the Nth on (a test of a waiting client that does not
depend on how fast the machine is). The alerts belong to the SimState (a reset
or load replaces them) and are built from the scenario on first use.
"""

import time
from datetime import datetime, timezone

from .arm import paginate
from .wire import Resp, abs_time, cloud_error, duration, stable_uuid

ALERT_TYPE = "Microsoft.AlertsManagement/alerts"
SEVERITIES = ("Sev0", "Sev1", "Sev2", "Sev3", "Sev4")
CONDITIONS = ("Fired", "Resolved")
STATES = ("New", "Acknowledged", "Closed")
TIME_RANGES = {"1h": 3600, "1d": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
SORT_FIELDS = {"name": "name", "severity": "severity", "alertstate": "alertState",
               "monitorcondition": "monitorCondition", "targetresource": "targetResource",
               "targetresourcename": "targetResourceName", "targetresourcegroup": "targetResourceGroup",
               "targetresourcetype": "targetResourceType", "startdatetime": "startDateTime",
               "lastmodifieddatetime": "lastModifiedDateTime"}
DEFAULT_PAGE = 25
MAX_PAGE = 250
# the query parameters a nextLink carries on (api-version and the continuation token besides)
KEEP = ("targetResource", "targetResourceType", "targetResourceGroup", "monitorService", "monitorCondition",
        "severity", "alertState", "alertRule", "smartGroupId", "includeContext", "pageCount", "sortBy",
        "sortOrder", "timeRange", "customTimeRange")


class Alert:
    __slots__ = ("id", "name", "severity", "signal_type", "condition", "state", "service", "target",
                 "target_group", "target_type", "target_name", "rule", "description", "smart_group",
                 "start", "modified", "modified_by", "resolved", "resolve_at", "reads_left")

    @property
    def resource_id(self):
        return "%s/providers/%s/%s" % (self.target, ALERT_TYPE, self.id)


def _ts(t):
    # the API's timestamps: ISO 8601 UTC with "Z", as in the Alerts_List example
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def alerts(sim):
    """The state's alerts (id -> Alert), built from the scenario's `alerts:` on first use."""
    st = sim.state
    if getattr(st, "alerts", None) is None:
        st.alerts = {}
        for spec in st.scenario.get("alerts") or []:
            a = build(sim, spec, st.t0)
            st.alerts[a.id] = a
    return st.alerts


def _target(sim, spec):
    """(target resource id, resource group, type, name) from an explicit `target_resource` or from
    resource_group + scale_set [+ instance_id] (the scale set, or one of its VMs)."""
    st = sim.state
    if spec.get("target_resource"):
        rid = str(spec["target_resource"])
        parts = rid.strip("/").split("/")
        low = [p.lower() for p in parts]
        group = parts[low.index("resourcegroups") + 1] if "resourcegroups" in low else None
        rtype = parts[-2] if len(parts) >= 2 else ""
        return rid, spec.get("target_resource_group", group), spec.get("target_resource_type", rtype), parts[-1]
    rg_name = spec.get("resource_group")
    if not rg_name:
        raise ValueError("an alert needs target_resource, or resource_group [+ scale_set [+ instance_id]]")
    sub = str(spec.get("subscription") or st.default_sub)
    if not spec.get("scale_set"):
        return ("/subscriptions/%s/resourceGroups/%s" % (sub, rg_name), rg_name, "resourcegroups", rg_name)
    v = st.find_vmss(rg_name, spec["scale_set"], sub)
    if v is None:
        raise ValueError("scale set %s/%s not found" % (rg_name, spec["scale_set"]))
    if spec.get("instance_id") is not None:
        i = v.instances.get(str(spec["instance_id"]))
        if i is None:
            raise ValueError("instance %s of %s not found" % (spec["instance_id"], v.name))
        # UNVERIFIED: targetResourceType as the type's last segment in lower case ("components" in
        # Microsoft's example for microsoft.insights/components)
        return v.id + "/virtualMachines/" + i.id, v.rg.name, "virtualmachines", i.name
    return v.id, v.rg.name, "virtualmachinescalesets", v.name


def build(sim, spec, base):
    """An Alert from a control/scenario spec: name, severity (Sev0..Sev4), the target, and optionally
    monitor_service, signal_type, description, alert_state, started (relative or ISO), resolve_after (scenario
    seconds) or resolve_after_reads (the number of alerts_list answers that list it Fired)."""
    spec = dict(spec or {})
    sev = spec.get("severity", "Sev3")
    if sev not in SEVERITIES:
        raise ValueError("severity must be one of %s, not %r" % (", ".join(SEVERITIES), sev))
    state = spec.get("alert_state", "New")
    if state not in STATES:
        raise ValueError("alert_state must be one of %s, not %r" % (", ".join(STATES), state))
    a = Alert()
    a.target, a.target_group, a.target_type, a.target_name = _target(sim, spec)
    a.name = str(spec.get("name") or "alert on %s" % a.target_name)
    a.start = abs_time(spec.get("started", 0), base)
    a.id = str(spec.get("id") or stable_uuid("alert", a.target, a.name, a.start, len(alerts_or_empty(sim))))
    a.severity = sev
    a.state = state
    a.condition = "Fired"
    a.service = spec.get("monitor_service", "Platform")
    a.signal_type = spec.get("signal_type", "Metric")
    a.description = spec.get("description", "")
    a.rule = spec.get("alert_rule") or "%s/providers/microsoft.insights/metricAlerts/%s" % (
        a.target.split("/providers/")[0], a.name.replace(" ", "-"))
    a.smart_group = stable_uuid("smartgroup", a.rule)
    a.modified, a.modified_by, a.resolved = a.start, "System", None
    after = spec.get("resolve_after")
    a.resolve_at = a.start + duration(after) * sim.time_scale if after is not None else None
    reads = spec.get("resolve_after_reads")
    if reads is not None and (isinstance(reads, bool) or not str(reads).isdigit() or int(reads) < 1):
        raise ValueError("resolve_after_reads must be a whole number of 1 or more, not %r" % (reads,))
    a.reads_left = int(reads) if reads is not None else None
    return a


def alerts_or_empty(sim):
    return getattr(sim.state, "alerts", None) or {}


def settle(a, now):
    if a.resolve_at is not None and a.condition == "Fired" and now >= a.resolve_at:
        a.condition, a.resolved, a.modified = "Resolved", a.resolve_at, a.resolve_at


def body(a, include_context=False):
    ess = {
        "severity": a.severity, "signalType": a.signal_type, "alertState": a.state,
        "monitorCondition": a.condition, "monitorService": a.service, "targetResource": a.target,
        "targetResourceName": a.target_name, "targetResourceGroup": a.target_group,
        "targetResourceType": a.target_type, "sourceCreatedId": stable_uuid("source", a.id),
        "smartGroupId": a.smart_group, "smartGroupingReason": "", "alertRule": a.rule,
        "startDateTime": _ts(a.start), "lastModifiedDateTime": _ts(a.modified),
        "lastModifiedUserName": a.modified_by, "actionStatus": {"isSuppressed": False},
        "description": a.description,
    }
    if a.resolved is not None:
        ess["monitorConditionResolvedDateTime"] = _ts(a.resolved)
    props = {"essentials": ess}
    if include_context:
        props["egressConfig"] = {}
        props["context"] = {"AlertRuleName": a.name, "SeverityDescription": a.severity}
    return {"properties": props, "id": a.resource_id, "type": ALERT_TYPE, "name": a.name}


# ---------------------------------------------------------------------------------------------
# the ARM route

def _query(req, name):
    """A query parameter by name, case-insensitively (ARM binds them so); None when absent."""
    low = name.lower()
    return next((v for k, v in req.query.items() if k.lower() == low), None)


def _bad(name, value, allowed):
    # UNVERIFIED: the code and message of a rejected enum value (the API documents only the
    # ErrorResponse shape); ARM's usual 400 for a bad parameter
    return cloud_error(400, "InvalidParameter", "The value '%s' of parameter '%s' is not valid. Allowed "
                       "values: %s." % (value, name, ", ".join(allowed)), target=name)


def _enum(req, name, allowed):
    v = _query(req, name)
    if v is None:
        return None, None
    match = next((a for a in allowed if a.lower() == v.lower()), None)
    return match, (None if match else _bad(name, v, allowed))


def alerts_list(sim, req):
    """GET /subscriptions/{sub}/providers/Microsoft.AlertsManagement/alerts: the subscription's alert
    instances after the filters, sorted, one page of pageCount with an absolute nextLink."""
    filters = {}
    for name, allowed, attr in (("monitorCondition", CONDITIONS, "condition"), ("severity", SEVERITIES, "severity"),
                                ("alertState", STATES, "state")):
        val, err = _enum(req, name, allowed)
        if err is not None:
            return err
        if val is not None:
            filters[attr] = val
    now = time.time()
    window, err = _window(req, now)
    if err is not None:
        return err
    size = _query(req, "pageCount")
    if size is not None:
        if not size.isdigit() or not 1 <= int(size) <= MAX_PAGE:
            # the API: "Permissible value is between 1 to 250"; UNVERIFIED error code
            return _bad("pageCount", size, ["1..%d" % MAX_PAGE])
        size = int(size)
    order_by, err = _enum(req, "sortBy", tuple(SORT_FIELDS.values()))
    if err is not None:
        return err
    order, err = _enum(req, "sortOrder", ("asc", "desc"))
    if err is not None:
        return err
    text = {}
    for name, attr in (("targetResource", "target"), ("targetResourceGroup", "target_group"),
                       ("targetResourceType", "target_type"), ("monitorService", "service"),
                       ("alertRule", "rule"), ("smartGroupId", "smart_group")):
        v = _query(req, name)
        if v is not None:
            # ARM ids and names compare case-insensitively
            text[attr] = v.rstrip("/").lower()
    picked = []
    with sim.lock:
        for a in alerts(sim).values():
            if a.target.split("/")[2].lower() != req.sub.lower():
                continue
            settle(a, now)
            if any(getattr(a, k) != v for k, v in filters.items()):
                continue
            if any((getattr(a, k) or "").rstrip("/").lower() != v for k, v in text.items()):
                continue
            # UNVERIFIED: which timestamp timeRange filters on; startDateTime here, so an alert that has
            # been firing for longer than the range is not listed (send timeRange=30d to see it)
            if not window[0] <= a.start <= window[1]:
                continue
            picked.append(body(a, include_context=(_query(req, "includeContext") or "").lower() == "true"))
            if a.reads_left is not None and a.condition == "Fired":
                # resolve_after_reads: listed Fired that many times, then Resolved as of this read
                a.reads_left -= 1
                if a.reads_left <= 0:
                    a.resolve_at, a.reads_left = now, None
    key = order_by or "lastModifiedDateTime"
    # the API: descending for time fields and ascending for the others unless sortOrder says
    desc = order == "desc" if order else key.endswith("DateTime")
    picked.sort(key=lambda b: (b["name"] if key == "name" else b["properties"]["essentials"][key]) or "",
                reverse=desc)
    page, err = paginate(req, picked, size or DEFAULT_PAGE, keep_params=KEEP, token="ctoken")
    if err is None:
        # The last page says "nextLink": "" (the one recorded answer, Azure/azure-sdk-for-net AlertsTest), not nothing.
        page.setdefault("nextLink", "")
    return err if err is not None else Resp(200, page)


def _window(req, now):
    """(start, end) of timeRange / customTimeRange, or a 400."""
    rng, custom = _query(req, "timeRange"), _query(req, "customTimeRange")
    if rng is not None and custom is not None:
        return None, cloud_error(400, "InvalidParameter", "Either timeRange or customTimeRange could be used "
                                 "but not both.", target="customTimeRange")
    if custom is not None:
        try:
            start, end = (datetime.fromisoformat(p.replace("Z", "+00:00")).timestamp() for p in custom.split("/"))
        except ValueError:
            return None, _bad("customTimeRange", custom, ["<start-time>/<end-time> in ISO 8601"])
        return (start, end), None
    span = TIME_RANGES.get((rng or "1d").lower())
    if span is None:
        return None, _bad("timeRange", rng, list(TIME_RANGES))
    return (now - span, now + 1), None


# ---------------------------------------------------------------------------------------------
# control

def fire(sim, spec):
    """Fire one alert (or a list) now; returns their bodies. ValueError on a bad spec."""
    specs = spec if isinstance(spec, list) else [spec]
    out = []
    with sim.lock:
        store = alerts(sim)
        for s in specs:
            a = build(sim, s, time.time())
            store[a.id] = a
            out.append(body(a))
    return out


def change(sim, sel):
    """Resolve the alerts `sel` names (id, name, or all: true), or set their alert_state; returns the
    changed bodies. ValueError when nothing matches."""
    cond = sel.get("monitor_condition", "Resolved" if "alert_state" not in sel else None)
    if cond is not None and cond not in CONDITIONS:
        raise ValueError("monitor_condition must be one of %s" % ", ".join(CONDITIONS))
    state = sel.get("alert_state")
    if state is not None and state not in STATES:
        raise ValueError("alert_state must be one of %s" % ", ".join(STATES))
    now = time.time()
    out = []
    with sim.lock:
        for a in alerts(sim).values():
            if not (sel.get("all") or a.id == sel.get("id") or (sel.get("name") and a.name == sel["name"])):
                continue
            settle(a, now)
            if cond == "Resolved" and a.condition == "Fired":
                a.condition, a.resolved = "Resolved", now
            elif cond == "Fired" and a.condition == "Resolved":
                a.condition, a.resolved, a.start = "Fired", None, now
            if state is not None:
                a.state, a.modified_by = state, "operator@simulator.example"
            a.modified, a.resolve_at = now, None
            out.append(body(a))
    if not out and not sel.get("all"):
        raise ValueError("no alert matches %r" % ({k: sel.get(k) for k in ("id", "name") if sel.get(k)},))
    return out


def listing(sim):
    now = time.time()
    with sim.lock:
        items = list(alerts(sim).values())
        for a in items:
            settle(a, now)
        return [body(a) for a in items]


def control_alerts(sim, req):
    """GET lists every alert (any state), POST fires one or a list, DELETE removes them all."""
    if req.method == "POST":
        try:
            return Resp(200, {"alerts": fire(sim, req.body)})
        except ValueError as exc:
            return Resp(400, {"error": str(exc)})
    if req.method == "DELETE":
        with sim.lock:
            sim.state.alerts = {}
    return Resp(200, {"alerts": listing(sim)})


def control_resolve(sim, req):
    try:
        return Resp(200, {"alerts": change(sim, req.body or {})})
    except ValueError as exc:
        return Resp(404 if "no alert matches" in str(exc) else 400, {"error": str(exc)})
