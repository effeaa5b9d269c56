"""Compute routes: the scale set, its instance view, rolling upgrade and OS upgrade history, and its
VMs (list with $expand/$select/$filter, GET, instance view), as the bodies Azure returns. The ARM
pipeline (arm.py) has resolved req.vmss / req.inst, settled their maintenance to req.now and holds the
simulator lock when these handlers run."""

import copy
import re

from . import flexible_stubs
from .arm import paginate
from .lro import power_and_health, redeploy_status
from .wire import ROLLING_TYPE, VM_TYPE, VMSS_TYPE, Resp, cloud_error, iso, stable_uuid

HEALTH_DISPLAY = {
    "healthy": ("Info", "The VM is reporting healthy"),
    "unhealthy": ("Warning", "The VM is reporting unhealthy"),
    "initializing": ("Info", "The VM health is initializing"),
    "unknown": ("Warning", "The VM health is unknown"),
}
POWER_DISPLAY = {
    "running": "VM running", "stopped": "VM stopped", "stopping": "VM stopping",
    "starting": "VM starting", "deallocated": "VM deallocated", "deallocating": "VM deallocating",
}


def vmss_list(sim, req):
    return Resp(200, {"value": [vmss_body(sim, v) for v in req.rg.scale_sets.values()]})


def vmss_list_all(sim, req):
    """GET /subscriptions/{sub}/providers/Microsoft.Compute/virtualMachineScaleSets: every scale set of
    the subscription, paged by an absolute nextLink (Virtual Machine Scale Sets - List All)."""
    with sim.lock:
        items = sim.state.scale_sets_of(req.sub)
        body, err = paginate(req, items, sim.state.vmss_list_page_size, build=lambda v: vmss_body(sim, v))
    return err or Resp(200, body)


def vmss_get(sim, req):
    return Resp(200, vmss_body(sim, req.vmss))


def vmss_instance_view(sim, req):
    return Resp(200, scale_set_instance_view(sim, req.vmss, req.now))


def rolling_upgrade_latest(sim, req):
    return rolling_latest(sim, req.vmss)


def vm_get(sim, req):
    return Resp(200, vm_body(sim, req.inst, req.now, expand="$expand" in req.query
                             and "instanceview" in req.query["$expand"].lower()))


def vm_instance_view(sim, req):
    return Resp(200, instance_view(sim, req.inst, req.now))


def vmss_body(sim, v):
    policy = {"mode": v.upgrade_mode}
    if v.upgrade_mode == "Rolling":
        policy["rollingUpgradePolicy"] = dict(v.rolling_policy)
    if v.automatic_os_upgrade:
        policy["automaticOSUpgradePolicy"] = {"enableAutomaticOSUpgrade": True,
                                              "disableAutomaticRollback": False}
    props = {
        "singlePlacementGroup": False, "orchestrationMode": v.orchestration_mode, "upgradePolicy": policy,
        "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": v.name[:9], "adminUsername": "azureuser",
                          "linuxConfiguration": {"disablePasswordAuthentication": True}},
            "storageProfile": {"imageReference": {k: v.image[k]
                                                  for k in ("publisher", "offer", "sku", "version")},
                               "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                                          "managedDisk": {"storageAccountType": "Premium_LRS"},
                                          "diskSizeGB": 30}},
            "networkProfile": {"networkInterfaceConfigurations": [{"name": v.name + "-nic",
                                                                   "properties": {"primary": True}}]},
        },
        "provisioningState": v.provisioning_state, "overprovision": False, "uniqueId": v.unique_id,
        "platformFaultDomainCount": 1 if v.zones else 5, "timeCreated": iso(sim.state.t0 - 60 * 86400),
    }
    if v.flexible:
        # Flexible: at most 3 fault domains (1 when zonal), no overprovisioning (Azure docs, "Orchestration
        # modes"); UNVERIFIED which of the Uniform-only properties a real Flexible GET leaves out.
        props["platformFaultDomainCount"] = 1 if v.zones else 3
        del props["overprovision"]
    if v.health_kind == "probe":
        # Uniform only: the load balancer probe the instances' health is read from
        props["virtualMachineProfile"]["networkProfile"]["healthProbe"] = {"id": (
            "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/loadBalancers/%s-lb/probes/http"
            % (v.rg.sub, v.rg.name, v.name))}
    if v.repairs is not None:
        props["automaticRepairsPolicy"] = dict(v.repairs)
    if v.health_kind == "extension":
        props["virtualMachineProfile"]["extensionProfile"] = {"extensions": [{
            "name": "HealthExtension", "properties": {
                "publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                "typeHandlerVersion": "2.0", "autoUpgradeMinorVersion": True,
                "settings": {"protocol": "http", "port": 80, "requestPath": "/health"}}}]}
    body = {"id": v.id, "name": v.name, "type": VMSS_TYPE, "location": v.location,
            "sku": dict(v.sku), "properties": props}
    if v.tags:
        # the tags as the Tags API (tags.py) left them: a tag write is not a model change, so nothing
        # else in this body or the VMs' latestModelApplied moves with it
        body["tags"] = dict(v.tags)
    if v.zones:
        body["zones"] = list(v.zones)
    if v.tags:
        body["tags"] = dict(v.tags)
    return body


def instance_view(sim, i, now, statuses_filter=None, with_health=True):
    v = i.vmss
    power, health, prov = power_and_health(i, now)
    created = i.created
    prov_status = {"code": "ProvisioningState/%s" % prov, "level": "Info",
                   "displayStatus": "Provisioning succeeded" if prov == "succeeded" else "Updating",
                   "time": iso(i.op_start if prov != "succeeded" and i.op_start else created)}
    statuses = [prov_status, {"code": "PowerState/%s" % power, "level": "Info",
                              "displayStatus": POWER_DISPLAY.get(power, power)}]
    if statuses_filter:
        statuses = [s for s in statuses if s["code"].startswith(statuses_filter)]
    view = {
        "platformUpdateDomain": i.update_domain,
        "platformFaultDomain": i.fault_domain,
        "computerName": i.computer_name or i.default_computer_name,
        "osName": "ubuntu", "osVersion": "22.04",
        "vmAgent": {"vmAgentVersion": "2.11.1.12", "statuses": [{
            "code": "ProvisioningState/succeeded" if power == "running" else "ProvisioningState/Unavailable",
            "level": "Info" if power == "running" else "Warning",
            "displayStatus": "Ready" if power == "running" else "Not Ready",
            "message": "Guest Agent is running" if power == "running" else "VM status blob is found but not "
                                                                             "yet populated.",
            "time": iso(now)}], "extensionHandlers": []},
        "disks": [{"name": "%s_OsDisk_1_%s" % (i.name, stable_uuid("disk", v.id, i.id).replace("-", "")),
                   "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info",
                                 "displayStatus": "Provisioning succeeded", "time": iso(created)}]}],
    }
    mrs = redeploy_status(i, now)
    if mrs is not None:
        view["maintenanceRedeployStatus"] = mrs
    if v.health_signal and health and with_health:
        lvl, disp = HEALTH_DISPLAY.get(health, ("Info", health))
        view["vmHealth"] = {"status": {"code": "HealthState/%s" % health, "level": lvl, "displayStatus": disp}}
    if i.update_domain is None:
        # UNVERIFIED: a Flexible scale set's VM (no update domains) is taken to leave the key out
        del view["platformUpdateDomain"]
    view["statuses"] = statuses
    return view


def vm_body(sim, i, now, expand=False, select=None, statuses_filter=None, with_health=True):
    v = i.vmss
    nic_id = "%s/virtualMachines/%s/networkInterfaces/%s-nic" % (v.id, i.id, v.name)
    props = {
        "latestModelApplied": i.latest_model_applied,
        "modelDefinitionApplied": "VirtualMachineScaleSet",
        "vmId": stable_uuid("vm", v.id, i.id),
        "hardwareProfile": {"vmSize": v.sku.get("name")},
        "storageProfile": {
            "imageReference": dict(v.image),
            "osDisk": {"osType": "Linux", "name": "%s_OsDisk_1_%s" % (
                i.name, stable_uuid("disk", v.id, i.id).replace("-", "")), "createOption": "FromImage",
                "caching": "ReadWrite", "managedDisk": {"storageAccountType": "Premium_LRS", "id": (
                    "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/disks/%s_OsDisk_1"
                    % (v.rg.sub, v.rg.name, i.name))}, "diskSizeGB": 30},
            "dataDisks": []},
        "osProfile": {"computerName": i.computer_name or i.default_computer_name,
                      "adminUsername": "azureuser",
                      "linuxConfiguration": {"disablePasswordAuthentication": True,
                                             "provisionVMAgent": True},
                      "secrets": [], "allowExtensionOperations": True, "requireGuestProvisionSignal": True},
        # a scale-set VM's NIC is only its id in every recorded answer (tests/replay/recordings)
        "networkProfile": {"networkInterfaces": [{"id": nic_id}]},
        "provisioningState": "Updating" if (i.op is not None and now < i.op_end) else "Succeeded",
        "timeCreated": iso(i.created),
    }
    if expand:
        props["instanceView"] = instance_view(sim, i, now, statuses_filter, with_health)
    if select is not None:
        # Azure's recorded $select=instanceView answers keep latestModelApplied and provisioningState too, and
        # only id, instanceId and properties of the VM (tests/replay/recordings, 13 lists, 2016-2024)
        keep = {s.split("/")[0].strip().lower() for s in select.split(",") if s.strip()}
        keep |= {"latestmodelapplied", "provisioningstate"}
        props = {k: val for k, val in props.items() if k.lower() in keep}
        if "instanceview" in keep and "instanceView" not in props:
            props["instanceView"] = instance_view(sim, i, now, statuses_filter, with_health)
        sub_sel = [s.strip().split("/", 1)[1] for s in select.split(",") if "/" in s]
        if sub_sel and "instanceView" in props:
            iv = props["instanceView"]
            props["instanceView"] = {k: val for k, val in iv.items() if k in sub_sel}
    body = {"id": "%s/virtualMachines/%s" % (v.id, i.id), "name": i.name, "type": VM_TYPE,
            "location": v.location, "instanceId": i.id}
    if select is not None:
        return {"id": body["id"], "instanceId": i.id, "properties": props}
    if i.zone is not None:
        body["zones"] = [i.zone]
    body["sku"] = {"name": v.sku.get("name"), "tier": v.sku.get("tier")}
    body["properties"] = props
    return body


def scale_set_instance_view(sim, v, now):
    counts = {}
    for i in v.instances.values():
        power, _unused, _unused = power_and_health(i, now)
        code = "PowerState/%s" % power
        counts[code] = counts.get(code, 0) + 1
    statuses = [{"code": "ProvisioningState/succeeded", "count": len(v.instances)}] + [
        {"code": c, "count": n} for c, n in sorted(counts.items())]
    body = {"virtualMachine": {"statusesSummary": statuses},
            "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info",
                          "displayStatus": "Provisioning succeeded", "time": iso(sim.state.t0)}]}
    if v.health_signal:
        ext = {}
        for i in v.instances.values():
            _unused, health, _unused = power_and_health(i, now)
            if health:
                k = "HealthState/%s" % health
                ext[k] = ext.get(k, 0) + 1
        body["extensions"] = [{"name": "HealthExtension", "statusesSummary": [
            {"code": c, "count": n} for c, n in sorted(ext.items())]}]
    if v.repairs is not None:
        # UNVERIFIED: AutomaticRepairs is listed only once a repairs policy was configured on the scale set
        body["orchestrationServices"] = [{"serviceName": "AutomaticRepairs", "serviceState": v.repairs_state}]
    return body


def rolling_latest(sim, v):
    if v.rolling is None:
        # UNVERIFIED code/message: the Azure SDK's own test suite comments that get_latest on a
        # scale set that never had a rolling upgrade answers "The entity was not found in this
        # Azure location." (azure-sdk-for-python compute tests); `az` prints "(NotFound)".
        return cloud_error(404, "NotFound", "The entity was not found in this Azure location.")
    r = v.rolling
    props = {"policy": dict(v.rolling_policy),
             "runningStatus": {"code": r["code"], "startTime": iso(r["start"]),
                               "lastAction": r["last_action"], "lastActionTime": iso(r["last_action_time"])},
             "progress": dict(r["progress"])}
    if r.get("error"):
        props["error"] = r["error"]
    return Resp(200, {"type": ROLLING_TYPE, "location": v.location, "properties": props})


def os_upgrade_history(sim, req):
    v = req.vmss
    items = []
    for h in v.os_history:
        item = copy.deepcopy({k: val for k, val in h.items() if not k.startswith("_")})
        item["location"] = v.location
        items.append(item)
    # UNVERIFIED: newest first (Azure's docs do not state the order).
    body, err = paginate(req, items, v.os_page_size)
    return err or Resp(200, body)


FILTER_POWER = re.compile(r"^\s*startswith\(\s*instanceView/statuses/code\s*,\s*'([^']*)'\s*\)\s*eq\s*true\s*$",
                          re.I)
FILTER_LMA = re.compile(r"^\s*properties/latestModelApplied\s+eq\s+(true|false)\s*$", re.I)


def vm_list(sim, req):
    if req.vmss.flexible:
        return flexible_stubs.vm_list(sim, req)
    v, now = req.vmss, req.now
    q = req.query
    expand = "instanceview" in (q.get("$expand") or "").lower()
    select = q.get("$select")
    flt = q.get("$filter")
    statuses_filter = None
    insts = list(v.instances.values())
    if flt:
        m1, m2 = FILTER_POWER.match(flt), FILTER_LMA.match(flt)
        if m1:
            # UNVERIFIED: this filter narrows the statuses returned in each instance view
            # (what `az vmss list-instances`-style callers use it for), not the VMs.
            statuses_filter = m1.group(1)
        elif m2:
            want = m2.group(1).lower() == "true"
            insts = [i for i in insts if i.latest_model_applied == want]
        else:
            return cloud_error(400, "InvalidParameter", "The value of parameter $filter is invalid or not "
                               "supported: '%s'." % flt, target="$filter")
    body, err = paginate(req, insts, v.vm_page_size, keep_params=("$expand", "$select", "$filter"),
                         build=lambda i: vm_body(sim, i, now, expand=expand, select=select,
                                                 statuses_filter=statuses_filter,
                                                 # UNVERIFIED whether Azure's list carries vmHealth (arm-facts):
                                                 # the vm_list_health switch serves the list without it
                                                 with_health=v.vm_list_health))
    return err or Resp(200, body)
