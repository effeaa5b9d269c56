"""Standalone virtual machines (Microsoft.Compute/virtualMachines): the VMs of Flexible scale sets.

A Flexible scale set's VMs are ordinary VMs of the scale set's resource group that name it in
properties.virtualMachineScaleSet.id (Azure docs, "Orchestration modes for Virtual Machine Scale Sets"
and "Orchestration modes API comparison"). They are listed with Virtual Machines - List (per resource
group) or List All (per subscription), filtered with $filter=virtualMachineScaleSet/id eq '{id}'
($expand=instanceView is accepted only with a valid $filter, REST reference "Virtual Machines - List"),
read one by one with Get ($expand=instanceView) and Instance View, and maintained one by one with
Perform Maintenance (long-running). The scale-set VM APIs refuse a Flexible scale set: see refusal().

The pipeline (arm.py) has resolved req.inst / req.vmss for the single-VM routes, settled the scale set
and holds the lock; the list routes settle and lock themselves (they span scale sets).
"""

import re

from .arm import paginate
from .compute import instance_view
from .lro import settle_scale_set, start_maintenance
from .wire import VIRTUAL_MACHINE_TYPE, Resp, cloud_error, iso, stable_uuid

# The property name quoted (the Azure CLI's recorded form) or not (the REST reference's).
FILTER_SCALE_SET = re.compile(r"^\s*'?virtualMachineScaleSet/id'?\s+eq\s+'((?:[^']|'')*)'\s*$", re.I)


def refusal(req, operation):
    """Azure's answer to a scale-set VM API on a Flexible scale set.

    The code and message are those kubernetes/kubernetes#91096 and hashicorp/nomad-autoscaler#1096
    recorded ("Operation 'VirtualMachineScaleSets.virtualMachines.GET' is not allowed on Virtual Machine
    Scale Set 'X'."; "...instanceView.GET..."). UNVERIFIED: the status. An azure-cli trace of a scale-set
    VM instance-view GET answered 409 (azure-cli-extensions#6832, body not shown); Az PowerShell showed
    400 with code BadRequest for the VM list (OMS-Agent-for-Linux#1475, 2022). 409 is served, the status
    Compute uses for its other OperationNotAllowed answers; clients must not tell the two apart. The
    operation names other than virtualMachines.GET and instanceView.GET are UNVERIFIED, formed alike.
    """
    return cloud_error(409, "OperationNotAllowed", "Operation '%s' is not allowed on Virtual Machine Scale Set "
                                                   "'%s'." % (operation, req.vmss.name))


def _selection(req, vms):
    """(VMs, expand) after $filter and $expand, or (None, error answer)."""
    q = req.query
    flt = q.get("$filter")
    raw_expand = q.get("$expand")
    expand = (raw_expand or "").strip().lower() == "instanceview"
    if raw_expand and not expand:
        return None, cloud_error(400, "InvalidParameter", "The value '%s' of parameter $expand is not supported; "
                                 "supported: instanceView." % raw_expand, target="$expand")
    if flt:
        m = FILTER_SCALE_SET.match(flt)
        if not m:
            # UNVERIFIED: Virtual Machines - List documents only the scale-set filter; anything else is refused
            return None, cloud_error(400, "InvalidParameter", "The value of parameter $filter is invalid or not "
                                     "supported: '%s'." % flt, target="$filter")
        target = m.group(1).replace("''", "'").lower()
        vms = [i for i in vms if i.vmss.id.lower() == target]
    elif expand:
        # REST reference: "'instanceView' ... can only be specified if a valid $filter option is specified".
        # UNVERIFIED: the code and message of the refusal.
        return None, cloud_error(400, "InvalidParameter", "The $expand=instanceView option can only be specified "
                                 "together with a valid $filter option.", target="$expand")
    return vms, expand


def _list(sim, req, vms):
    with sim.lock:
        now = sim.now()   # the simulated clock, as every time the simulator reports
        vms, expand = _selection(req, vms)
        if vms is None:
            return expand
        for vmss in {id(i.vmss): i.vmss for i in vms}.values():
            settle_scale_set(sim, vmss, now)
        # A filtered list pages like its scale set's scale-set VM list; otherwise the scenario default.
        sizes = {i.vmss.vm_page_size for i in vms}
        page_size = sizes.pop() if len(sizes) == 1 else sim.state.vm_page_size
        body, err = paginate(req, vms, page_size, keep_params=("$filter", "$expand"),
                             build=lambda i: vm_body(sim, i, now, expand=expand))
    return err or Resp(200, body)


def virtual_machines_list(sim, req):
    """GET .../resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines (Virtual Machines - List)."""
    return _list(sim, req, list(req.rg.vms.values()))


def virtual_machines_list_all(sim, req):
    """GET /subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines (Virtual Machines - List All)."""
    vms = [i for (sub, _unused), rg in sim.state.resource_groups.items() if sub == req.sub.lower()
           for i in rg.vms.values()]
    return _list(sim, req, vms)


def virtual_machine_get(sim, req):
    expand = (req.query.get("$expand") or "").strip().lower() == "instanceview"
    return Resp(200, vm_body(sim, req.inst, req.now, expand=expand))


def virtual_machine_instance_view(sim, req):
    return Resp(200, instance_view(sim, req.inst, req.now))


def virtual_machine_perform_maintenance(sim, req):
    """POST .../virtualMachines/{name}/performMaintenance: this VM only, long-running."""
    return start_maintenance(sim, req, req.vmss, req.inst, req.now)


def vm_body(sim, i, now, expand=False):
    """A Flexible scale set's VM as Virtual Machines - Get answers it: an ordinary VM that names its scale set."""
    v = i.vmss
    props = {
        "vmId": stable_uuid("vm", v.id, i.id),
        "virtualMachineScaleSet": {"id": v.id},
        "hardwareProfile": {"vmSize": v.sku.get("name")},
        "storageProfile": {
            "imageReference": dict(v.image),
            "osDisk": {"osType": "Linux", "name": "%s_OsDisk_1_%s" % (
                i.name, stable_uuid("disk", v.id, i.id).replace("-", "")), "createOption": "FromImage",
                "caching": "ReadWrite", "managedDisk": {"storageAccountType": "Premium_LRS"}, "diskSizeGB": 30},
            "dataDisks": []},
        "osProfile": {"computerName": i.computer_name or i.default_computer_name, "adminUsername": "azureuser",
                      "linuxConfiguration": {"disablePasswordAuthentication": True, "provisionVMAgent": True},
                      "secrets": [], "allowExtensionOperations": True},
        "networkProfile": {"networkInterfaces": [{"id": "/subscriptions/%s/resourceGroups/%s/providers/"
                                                        "Microsoft.Network/networkInterfaces/%s-nic"
                                                        % (v.rg.sub, v.rg.name, i.name),
                                                  "properties": {"primary": True}}]},
        "platformFaultDomain": i.fault_domain,
        "provisioningState": "Updating" if (i.op is not None and now < i.op_end) else "Succeeded",
        "timeCreated": iso(i.created),
    }
    if expand:
        # UNVERIFIED: the list's instance views carry vmHealth and maintenanceRedeployStatus as a single
        # VM's do (the REST reference shows the same VirtualMachineInstanceView type for both).
        props["instanceView"] = instance_view(sim, i, now)
    body = {"id": i.resource_id, "name": i.name, "type": VIRTUAL_MACHINE_TYPE, "location": v.location}
    if i.zone is not None:
        body["zones"] = [i.zone]
    body["properties"] = props
    return body
