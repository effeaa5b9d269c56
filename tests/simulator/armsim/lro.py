"""Long-running operations: the maintenance state machine of a VM (power and health computed from
timestamps on read, settled lazily: no background threads), performMaintenance on a scale set or
one VM (202 with Azure-AsyncOperation / Location / Retry-After), and the operation status and
monitor URLs."""

import re
import uuid
from urllib.parse import quote

from .state import Operation, new_maintenance
from .wire import Resp, cloud_error, iso


def settle_scale_set(sim, vmss, now):
    """Bring every VM of the scale set that has a running or finished operation up to `now`, and its
    orchestration services once their state change ended."""
    if vmss.repairs_change is not None and now >= vmss.repairs_change[1]:
        vmss.repairs_state = vmss.repairs_change[0]
        vmss.repairs_change = None
    for i in vmss.instances.values():
        if i.op is not None or i.recover_at is not None:
            settle(sim, i, now)


def power_and_health(i, now):
    """(power, health, provisioning) at time now, computed from the running operation."""
    if i.op is not None and i.op_start <= now < i.op_end:
        frac = (now - i.op_start) / max(1e-9, (i.op_end - i.op_start))
        if frac < 0.15:
            power = "stopping"
        elif frac < 0.55:
            power = "stopped"
        elif frac < 0.75:
            power = "starting"
        else:
            power = "running"
        health = "unknown" if i.vmss.health_signal else None
        return power, health, "updating"
    health = i.health
    if i.recover_at is not None:
        if now >= i.recover_at:
            health = i.health_after
        elif i.vmss.health_signal:
            # UNVERIFIED: between the end of maintenance and recovery the Application Health
            # extension is taken to report Initializing (its grace-period state).
            health = "initializing"
    return i.power, health, "succeeded"


def settle(sim, i, now):
    """Apply the end of a finished maintenance to the stored state (lazily, on read), and the end of
    the VM's scheduled window."""
    if i.op is not None and now >= i.op_end:
        op_end = i.op_end
        m = i.maint
        if i.op_fails:
            if m is not None:
                m["result"] = "MaintenanceAborted"
                m["message"] = m.get("outcome_message") or ("Maintenance was aborted; the VM remains "
                                                            "eligible and may be retried.")
                m["allowed"] = True
            i.power = "running"
            if i.vmss.health_signal:
                i.recover_at = op_end + i.recovery * sim.time_scale
                i.health_after = i.health if i.health not in (None, "unknown") else "healthy"
        else:
            if m is not None:
                outcome = m.get("outcome") or "MaintenanceCompleted"
                m["result"] = outcome
                # UNVERIFIED: Azure documents neither whether performMaintenance's operation fails when a
                # VM's maintenance ends RetryLater or MaintenanceAborted, nor those codes' messages. Here
                # the operation succeeds (a failing one is `fails: true`), the VM reports the code with
                # its message and stays eligible, so a later attempt can be made.
                if outcome == "MaintenanceCompleted":
                    m["message"] = None
                    m["allowed"] = False
                else:
                    m["message"] = m.get("outcome_message") or OUTCOME_MESSAGES[outcome]
                    m["allowed"] = True
                    m["outcome"] = "MaintenanceCompleted"   # the outcome is for one attempt
                    m["outcome_message"] = None
            i.power = "running"
            if i.vmss.health_signal:
                i.recover_at = op_end + i.recovery * sim.time_scale
                i.health_after = "healthy" if i.recovers else "unhealthy"
        i.op = None
    if i.recover_at is not None and now >= i.recover_at and i.op is None:
        i.health = i.health_after
        i.recover_at = None


OUTCOME_MESSAGES = {
    # UNVERIFIED texts: Azure's lastOperationMessage wording is not documented.
    "RetryLater": "Maintenance could not be performed on the VM at this time. Retry later.",
    "MaintenanceAborted": "Maintenance was aborted; the VM remains eligible and may be retried.",
}


def redeploy_status(i, now):
    """The VM's maintenanceRedeployStatus at `now`, or None outside a maintenance wave (or after it).
    isCustomerInitiatedMaintenanceAllowed is true only while the self-service window is open (and the
    VM is eligible otherwise): before preMaintenanceWindowStartTime and after
    preMaintenanceWindowEndTime the VM waits for Azure's scheduled window."""
    m = i.maint
    if m is None:
        return None
    if m["end"] is not None and now >= m["end"] and i.op is None:
        # UNVERIFIED: once the scheduled window is over, Azure has maintained the VM itself and no
        # longer reports maintenance for it (maintenanceRedeployStatus appears only for VMs in a wave).
        return None
    open_now = (m["pre_start"] is None or m["pre_start"] <= now) and (m["pre_end"] is None or now < m["pre_end"])
    mrs = {"isCustomerInitiatedMaintenanceAllowed": bool(m["allowed"]) and open_now}
    for key, wire_key in (("pre_start", "preMaintenanceWindowStartTime"), ("pre_end", "preMaintenanceWindowEndTime"),
                          ("start", "maintenanceWindowStartTime"), ("end", "maintenanceWindowEndTime")):
        if m[key] is not None:
            mrs[wire_key] = iso(m[key])
    mrs["lastOperationResultCode"] = m["result"] or "None"
    if m.get("message"):
        mrs["lastOperationMessage"] = m["message"]
    return mrs


def reschedule_after_start(i, now):
    """A deallocated VM that is started again may land on a host still scheduled for maintenance
    (Azure's maintenance notifications page: self-service is not advised for VMs that are often
    deallocated, as maintenance shows up again). Modelled as: when the VM's wave has not ended, the
    VM is pending maintenance again with the wave's windows. UNVERIFIED: whether it always happens and
    whether the windows stay those of the wave (Azure says only that it can happen)."""
    if not i.reschedule_on_start or i.wave is None or now >= i.wave["end"]:
        return
    if i.maint is not None and i.maint["result"] != "MaintenanceCompleted":
        return  # still pending: nothing new to schedule
    i.maint = new_maintenance(True, i.wave["pre_start"], i.wave["pre_end"], i.wave["start"], i.wave["end"])


def start_maintenance(sim, req, v, one, now):
    """Start maintenance of `one` VM, or of the VMs the body names (every VM without instanceIds)."""
    body = req.body
    if one is not None:
        targets = [one]
    else:
        ids = None
        if isinstance(body, dict):
            # .NET model binding is case-insensitive: "InstanceIds" is read, "instance_ids" is not.
            for k, val in body.items():
                if k.lower() == "instanceids":
                    ids = val
        elif body is not None and not isinstance(body, dict):
            return cloud_error(400, "InvalidRequestContent", "The request content was invalid and could not "
                               "be deserialized.")
        # No instanceIds => every VM of the scale set (as in Azure).
        # UNVERIFIED: an empty list or ["*"] is taken as "every VM" too, as other VMSS actions do.
        if not ids or ids == ["*"]:
            targets = list(v.instances.values())
        else:
            if not isinstance(ids, list):
                return cloud_error(400, "InvalidRequestContent", "The request content was invalid and could "
                                   "not be deserialized: instanceIds must be an array.")
            targets = []
            for raw in ids:
                sid = str(raw).strip()
                inst = v.instances.get(sid)
                if inst is None and re.fullmatch(r"\d+", sid):
                    inst = v.instances.get(str(int(sid)))
                if inst is None:
                    return cloud_error(400, "InvalidParameter", "The provided instanceId %s is not an active "
                                       "Virtual Machine Scale Set VM instanceId." % sid, target="instanceIds")
                if inst not in targets:
                    targets.append(inst)
    for i in targets:
        mrs = redeploy_status(i, now)
        if mrs is None or not mrs["isCustomerInitiatedMaintenanceAllowed"]:
            return cloud_error(409, "OperationNotAllowed", "Operation 'performMaintenance' is not allowed on "
                               "VM '%s' since the Subscription of this VM is not eligible." % i.name)
        if i.op is not None and now < i.op_end:
            # UNVERIFIED message: a second maintenance on a VM that is being maintained.
            return cloud_error(409, "OperationNotAllowed", "Operation 'performMaintenance' is not allowed on "
                               "VM '%s' since another operation is in progress on it." % i.name)
    scale = sim.time_scale
    op_id = str(uuid.uuid4())
    end = now
    fails = False
    for i in targets:
        i.op_start = now
        i.op_end = now + max(0.0, i.duration) * scale
        i.op_fails = bool(i.fails)
        i.recover_at = None
        end = max(end, i.op_end)
        fails = fails or i.op_fails
    op = Operation(op_id, v.rg.sub, v.location, targets, now, end, fails, req.api_version)
    for i in targets:
        i.op = op
    sim.state.operations[op_id] = op
    return Resp(202, None, _lro_headers(sim, req, op, v.lro_retry_after))


def perform_maintenance(sim, req):
    """POST .../{vmss}/performMaintenance: the VMs in the body, or every VM."""
    return start_maintenance(sim, req, req.vmss, None, req.now)


def vm_perform_maintenance(sim, req):
    """POST .../{vmss}/virtualMachines/{vm}/performMaintenance."""
    return start_maintenance(sim, req, req.vmss, req.inst, req.now)


SERVICE_NAMES = ("AutomaticRepairs", "AutomaticZoneRebalancing")


def set_orchestration_service_state(sim, req):
    """POST .../{vmss}/setOrchestrationServiceState {"serviceName", "action": "Suspend"|"Resume"}: long-running;
    the service's state in the scale set's instance view changes when the operation ends."""
    v, now, body = req.vmss, req.now, req.body
    if not isinstance(body, dict):
        return cloud_error(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           "deserialized.")
    # .NET model binding is case-insensitive for the keys and the enum values alike
    fields = dict((k.lower(), val) for k, val in body.items())
    name = next((n for n in SERVICE_NAMES if n.lower() == str(fields.get("servicename", "")).lower()), None)
    action = next((a for a in ("Suspend", "Resume") if a.lower() == str(fields.get("action", "")).lower()), None)
    if name is None:
        return cloud_error(400, "InvalidParameter", "The value '%s' of parameter 'serviceName' is invalid."
                           % fields.get("servicename"), target="serviceName")
    if action is None:
        return cloud_error(400, "InvalidParameter", "The value '%s' of parameter 'action' is invalid."
                           % fields.get("action"), target="action")
    if name != "AutomaticRepairs" or v.repairs is None or not v.repairs["enabled"]:
        # UNVERIFIED code and message: Azure refuses to suspend or resume a service that is not enabled
        return cloud_error(409, "OperationNotAllowed", "The orchestration service '%s' is not enabled on the Virtual "
                           "Machine Scale Set '%s'." % (name, v.name))
    end = now + max(0.0, v.lro_retry_after) * sim.time_scale
    v.repairs_change = ("Suspended" if action == "Suspend" else "Running", end)
    op = Operation(str(uuid.uuid4()), v.rg.sub, v.location, [], now, end, False, req.api_version)
    sim.state.operations[op.id] = op
    return Resp(202, None, _lro_headers(sim, req, op, v.lro_retry_after))


def _lro_headers(sim, req, op, retry_after):
    url = "%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/operations/%s?api-version=%s" % (
        req.base, op.sub, op.location, op.id, quote(req.api_version, safe=""))
    h = {"Azure-AsyncOperation": url, "Location": url + "&monitor=true"}
    h.update(_retry_after_headers(sim, retry_after))
    return h


def _retry_after_headers(sim, retry_after):
    scaled = retry_after * sim.time_scale
    if scaled >= 1 or sim.time_scale >= 1:
        return {"Retry-After": str(int(round(scaled)))}
    # Time-scaled below one second: azure-core's polling takes "Retry-After: 0" as absent and then
    # waits its default 30 s, so send the sub-second wait as retry-after-ms instead.
    return {"retry-after-ms": str(max(10, int(scaled * 1000)))}


def operation(sim, req):
    """GET the operation status (Azure-AsyncOperation) or, with &monitor=true, its result (Location)."""
    sub, op_id = req.params["sub"], req.params["op"]
    st = sim.state
    op = st.operations.get(op_id)
    if op is None or op.sub.lower() != sub.lower():
        return cloud_error(404, "NotFound", "The entity was not found in this Azure location.")
    monitor = str(req.query.get("monitor", "")).lower() == "true"
    if monitor:
        req.route = "operation_result"
    with sim.lock:
        now = sim.now()
        for i in op.instances:
            settle(sim, i, now)
    retry_after = op.instances[0].vmss.lro_retry_after if op.instances else 1
    done = now >= op.end
    if not done:
        if monitor:
            return Resp(202, None, _lro_headers(sim, req, op, retry_after))
        return Resp(200, {"startTime": iso(op.start), "status": "InProgress", "name": op.id},
                    _retry_after_headers(sim, retry_after))
    err = None
    if op.fails:
        failed = [i.name for i in op.instances if i.op_fails]
        # UNVERIFIED: the error Azure reports for an aborted self-service maintenance.
        err = {"code": "MaintenanceOperationFailed",
               "message": "Maintenance was aborted for VM(s) %s. The VM(s) remain eligible; retry the "
                          "operation later." % ", ".join("'%s'" % n for n in failed),
               "details": [{"code": "MaintenanceAborted", "target": n,
                            "message": "Maintenance was aborted for VM '%s'." % n} for n in failed]}
    if monitor:
        if err:
            # UNVERIFIED status: the monitor (Location) URL of a failed operation answers the
            # operation's error as a CloudError with a 500, as ARM's async guidelines describe.
            return Resp(500, {"error": err})
        return Resp(200, None)
    body = {"startTime": iso(op.start), "endTime": iso(op.end),
            "status": "Failed" if err else "Succeeded", "name": op.id}
    if err:
        body["error"] = err
    return Resp(200, body)
