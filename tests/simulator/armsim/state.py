"""State and resources: scenario loading, the resource model (resource groups, scale sets, their VMs,
maintenance operations) and SimState, everything built from one scenario and replaced wholesale on
reset/load. Nothing here talks HTTP."""

import copy
import os

import yaml

from . import fleet
from .clock import Clock
from .faults import normalise_fault
from .wire import ROLLING_TYPE, VIRTUAL_MACHINE_TYPE, VMSS_TYPE, abs_time, duration, iso, stable_uuid

UNIFORM = "Uniform"
FLEXIBLE = "Flexible"

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios")


class Instance:
    def __init__(self, vmss, iid, idx):
        self.vmss = vmss
        self.id = iid
        self.idx = idx
        self.zone = None
        self.update_domain = idx % 5
        self.fault_domain = 0
        self.power = "running"
        self.health = None
        self.maint = None          # dict or None (not in a maintenance wave)
        self.duration = 20.0       # scenario seconds
        self.recovery = 5.0        # scenario seconds after the operation until healthy
        self.fails = False
        self.recovers = True
        self.latest_model_applied = True
        self.computer_name = None
        self.op = None             # running Operation
        self.op_start = None
        self.op_end = None
        self.op_fails = False
        self.recover_at = None     # absolute time health becomes healthy again
        self.health_after = None   # health when recovered
        self.created = None
        # the maintenance wave the VM belongs to (its window times), kept when the VM leaves it, so
        # maintenance can be scheduled again after a deallocation (see lro.reschedule_after_start)
        self.wave = None
        self.reschedule_on_start = True

    @property
    def name(self):
        # Uniform: {scale set}_{instance id}; Flexible: the VM's own name, which is also its instance id
        return self.id if self.vmss.flexible else "%s_%s" % (self.vmss.name, self.id)

    @property
    def resource_id(self):
        """A Uniform VM is a child of its scale set; a Flexible one an ordinary VM of the resource group."""
        if self.vmss.flexible:
            return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
                self.vmss.rg.sub, self.vmss.rg.name, VIRTUAL_MACHINE_TYPE, self.id)
        return "%s/virtualMachines/%s" % (self.vmss.id, self.id)

    @property
    def default_computer_name(self):
        if self.vmss.flexible:
            # UNVERIFIED: a Flexible VM's computer name is the profile's prefix and 6 characters, like Uniform's
            return "%s%s" % (self.vmss.name[:9].replace("_", ""), self.id[-6:])
        return "%s%06x" % (self.vmss.name[:9], int(self.id))


WINDOW_KEYS = ("pre_start", "pre_end", "start", "end")
# lastOperationResultCode values a maintenance can end with (MaintenanceOperationResultCodeTypes
# without None); the simulator's default is MaintenanceCompleted.
OUTCOMES = ("MaintenanceCompleted", "RetryLater", "MaintenanceAborted")


def new_maintenance(allowed, pre_start, pre_end, start, end, result="None", message=None):
    """A VM's pending maintenance (its maintenanceRedeployStatus, absolute times). `allowed` is the
    eligibility of the VM apart from its window (isCustomerInitiatedMaintenanceAllowed is reported true
    only while the self-service window is open as well); `outcome` / `outcome_message` are what its next
    maintenance ends with (settable per VM: RetryLater, MaintenanceAborted)."""
    return {"allowed": allowed, "pre_start": pre_start, "pre_end": pre_end, "start": start, "end": end,
            "result": result, "message": message, "outcome": "MaintenanceCompleted", "outcome_message": None}


class ScaleSet:
    def __init__(self, rg, name):
        self.rg = rg
        self.name = name
        self.location = rg.location
        self.zones = []
        self.tags = {}
        self.health_signal = True
        self.sku = {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": 0}
        self.upgrade_mode = "Rolling"
        self.rolling_policy = {}
        self.rolling = None
        self.os_history = []
        self.vm_page_size = 100
        self.os_page_size = 10
        self.instances = {}        # str id -> Instance (insertion order = numeric order)
        self.image = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                      "sku": "22_04-lts-gen2", "version": "latest", "exactVersion": "22.04.202610010"}
        self.unique_id = None
        self.lro_retry_after = 1.0
        self.orchestration_mode = UNIFORM
        # the scale set's own settings (scenario keys health_signal, automatic_repairs, provisioning_state, tags,
        # vm_list_health)
        self.health_kind = "extension"   # "extension" | "probe" | None
        self.repairs = None              # {"enabled", "gracePeriod", "repairAction"} or None (never configured)
        self.repairs_state = "NotRunning"
        self.repairs_change = None       # (state, at): a setOrchestrationServiceState that ends at `at`
        self.provisioning_state = "Succeeded"
        self.tags = {}
        self.vm_list_health = True       # False: the VM list leaves vmHealth out (the instance view keeps it)

    @property
    def flexible(self):
        return self.orchestration_mode == FLEXIBLE

    @property
    def id(self):
        return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
            self.rg.sub, self.rg.name, VMSS_TYPE, self.name)


def health_kind(value):
    """Scenario ``health_signal``: true or "extension" (Application Health extension), "probe" (load
    balancer health probe), false or "none"."""
    if value in (True, "extension"):
        return "extension"
    if value == "probe":
        return "probe"
    if value in (False, None, "none"):
        return None
    raise ValueError("health_signal must be true, false, extension, probe or none, got %r" % (value,))


class ResourceGroup:
    def __init__(self, sub, name, location):
        self.sub = sub
        self.name = name
        self.location = location
        self.scale_sets = {}       # lower name -> ScaleSet
        self.vms = {}              # lower name -> Instance: the VMs of its Flexible scale sets


class Operation:
    def __init__(self, op_id, sub, location, instances, start, end, fails, api_version):
        self.id = op_id
        self.sub = sub
        self.location = location
        self.instances = instances
        self.start = start
        self.end = end
        self.fails = fails
        self.api_version = api_version


class SimState:
    """Everything built from a scenario; replaced wholesale on reset/load."""

    def __init__(self, scenario, sim):
        self.sim = sim
        self.scenario = scenario
        self.clock = Clock()
        self.t0 = self.clock.now()
        sc = fleet.expand(scenario)
        defaults = sc.get("defaults") or {}
        self.tenant = str(sc.get("tenant") or "11111111-1111-4111-8111-111111111111")
        self.tenants = {self.tenant.lower()}
        self.subscriptions = {}
        for s in sc.get("subscriptions") or [{"id": "22222222-2222-4222-8222-222222222222"}]:
            sid = str(s["id"]).lower()
            self.subscriptions[sid] = {
                "id": str(s["id"]), "display_name": s.get("display_name", "ARM simulator subscription"),
                "tenant": str(s.get("tenant") or self.tenant), "state": s.get("state", "Enabled")}
            self.tenants.add(str(s.get("tenant") or self.tenant).lower())
        self.default_sub = next(iter(self.subscriptions.values()))["id"]
        self.principals = {}
        for p in sc.get("principals") or [{"name": "app"}]:
            name = p["name"]
            tenant = str(p.get("tenant") or self.tenant)
            self.tenants.add(tenant.lower())
            subs = p.get("subscriptions", "all")
            if subs == "all":
                subs = [s["id"] for s in self.subscriptions.values()]
            self.principals[name] = {
                "name": name, "kind": "app", "tenant": tenant,
                "client_id": str(p.get("client_id") or stable_uuid("client", name)),
                "object_id": str(p.get("object_id") or stable_uuid("oid", name)),
                "secret": p.get("secret"), "certificate": bool(p.get("certificate")),
                "subscriptions": [str(x).lower() for x in (subs or [])],
                "role": p.get("role", "Contributor"), "cert_thumbprints": set(),
                "cert_keys": {}, "default": bool(p.get("default")),
            }
        for u in sc.get("users") or []:
            name = u.get("name") or u["username"]
            subs = u.get("subscriptions", "all")
            if subs == "all":
                subs = [s["id"] for s in self.subscriptions.values()]
            self.principals[name] = {
                "name": name, "kind": "user", "tenant": str(u.get("tenant") or self.tenant),
                "username": u["username"], "password": u["password"],
                "client_id": None, "object_id": str(u.get("object_id") or stable_uuid("oid", name)),
                "subscriptions": [str(x).lower() for x in (subs or [])],
                "role": u.get("role", "Contributor"), "secret": None, "certificate": False,
                "cert_thumbprints": set(), "cert_keys": {}, "default": False,
            }
        self.main_principal = next((p for p in self.principals.values() if p["default"]),
                                   next(p for p in self.principals.values() if p["kind"] == "app"))
        self.token_lifetime = int(defaults.get("token_lifetime", 3600))
        # UNVERIFIED: the page size of the subscription-wide scale set list is not documented
        self.vmss_list_page_size = int(defaults.get("vmss_list_page_size", 100))
        self.resource_groups = {}
        for rgd in sc.get("resource_groups") or []:
            sub = str(rgd.get("subscription") or self.default_sub)
            rg = ResourceGroup(sub, rgd["name"], rgd.get("location", "westeurope"))
            self.resource_groups[(sub.lower(), rg.name.lower())] = rg
            for vd in rgd.get("scale_sets") or []:
                vmss = self._build_vmss(rg, vd, defaults)
                rg.scale_sets[vmss.name.lower()] = vmss
                if vmss.flexible:
                    for i in vmss.instances.values():
                        if i.id.lower() in rg.vms:
                            raise ValueError("VM name %r used twice in resource group %r (Azure VM names are "
                                             "unique in a resource group)" % (i.id, rg.name))
                        rg.vms[i.id.lower()] = i
        self.vm_page_size = int(defaults.get("vm_page_size", 100))
        self.operations = {}
        th = sc.get("throttle") or {}
        self.throttle_scale = float(th.get("scale", 1.0))
        self.throttle_refill_scale = th.get("refill_scale")
        self.throttle_overrides = dict(th.get("overrides") or {})
        self.throttle_enabled = bool(th.get("enabled", True))
        self.buckets = {}
        self.throttle_held_at = None   # Simulator.hold_throttle_clock
        self.faults = []
        for f in sc.get("faults") or []:
            self.faults.append(normalise_fault(f))
        self.tokens = {}            # access token -> record
        self.refresh_tokens = {}

    # -- scenario building -----------------------------------------------------------------
    def _build_vmss(self, rg, d, defaults):
        t0 = self.t0
        v = ScaleSet(rg, d["name"])
        v.location = d.get("location", rg.location)
        v.zones = [str(z) for z in (d.get("zones") or [])]
        v.health_kind = health_kind(d.get("health_signal", True))
        v.health_signal = v.health_kind is not None
        mode = str(d.get("orchestration_mode") or UNIFORM)
        if mode.lower() not in ("uniform", "flexible"):
            raise ValueError("scale set %r: orchestration_mode must be Uniform or Flexible, not %r" % (v.name, mode))
        v.orchestration_mode = FLEXIBLE if mode.lower() == "flexible" else UNIFORM
        rp = d.get("automatic_repairs")
        if rp:
            v.repairs = {"enabled": bool(rp.get("enabled", True)), "gracePeriod": rp.get("grace_period", "PT30M"),
                         "repairAction": rp.get("repair_action", "Replace")}
            v.repairs_state = rp.get("state", "Running" if v.repairs["enabled"] else "NotRunning")
        v.provisioning_state = d.get("provisioning_state", "Succeeded")
        v.tags = {str(k): str(val) for k, val in (d.get("tags") or {}).items()}
        v.vm_list_health = bool(d.get("vm_list_health", defaults.get("vm_list_health", True)))
        if d.get("sku"):
            v.sku.update(d["sku"])
        up = d.get("upgrade_policy") or {}
        v.upgrade_mode = up.get("mode", "Rolling")
        v.rolling_policy = {
            "maxBatchInstancePercent": 20, "maxUnhealthyInstancePercent": 20,
            "maxUnhealthyUpgradedInstancePercent": 20, "pauseTimeBetweenBatches": "PT0S",
            "enableCrossZoneUpgrade": False, "prioritizeUnhealthyInstances": False,
            "rollbackFailedInstancesOnPolicyBreach": False, "maxSurge": False,
        }
        v.rolling_policy.update(up.get("rolling_upgrade_policy") or {})
        v.automatic_os_upgrade = bool(up.get("automatic_os_upgrade", False))
        v.vm_page_size = int(d.get("vm_page_size", defaults.get("vm_page_size", 100)))
        v.os_page_size = int(d.get("os_history_page_size", defaults.get("os_history_page_size", 10)))
        v.unique_id = stable_uuid("vmss", rg.sub, rg.name, v.name)
        if d.get("image"):
            v.image.update(d["image"])
        mdef = dict(defaults.get("maintenance") or {})
        mdef.update(d.get("maintenance") or {})
        v.lro_retry_after = duration(mdef.get("retry_after", defaults.get("lro_retry_after", 1)))
        # rolling upgrade (latest)
        ru = d.get("rolling_upgrade")
        if ru:
            v.rolling = self.rolling_record(ru, t0)
        # OS upgrade history
        hist = d.get("os_upgrade_history") or []
        if isinstance(hist, dict):
            n = int(hist.get("generate", 0))
            hist = [{"code": "Completed", "started": "-%dd" % (7 * (i + 1)), "duration": "40m",
                     "started_by": "Platform" if i % 2 else "User",
                     "image_version": "22.04.2026%02d01" % (10 - i % 9)} for i in range(n)]
        v.os_history = sorted((self._history(h, t0) for h in hist),
                              key=lambda x: x["_start"], reverse=True)
        # instances
        inst = d.get("instances") or {"count": 3}
        if isinstance(inst, list):
            inst = {"names" if v.flexible else "ids": inst}
        if v.flexible:
            # A Flexible scale set's VMs have names, not numbers: given, or Azure's own pattern
            # {scale set name}_{8 characters of a GUID} (Azure docs, "Instance IDs for Virtual Machine
            # Scale Set VMs"), stable for a scenario.
            ids = [str(n) for n in inst.get("names") or
                   ["%s_%s" % (v.name, stable_uuid("flexvm", rg.sub, rg.name, v.name, n).replace("-", "")[:8])
                    for n in range(int(inst.get("count", 3)))]]
        else:
            ids = inst.get("ids")
            if ids is None:
                ids = list(range(int(inst.get("count", 3))))
            ids = [str(i) for i in sorted(int(i) for i in ids)]
        izones = [str(z) for z in (inst.get("zones") or v.zones)]
        wave = inst.get("wave", "all")
        eligible = inst.get("eligible", "all")
        window = inst.get("window") or {}
        overrides = {str(k).lower(): (val or {}) for k, val in (inst.get("overrides") or {}).items()}

        def member(spec, iid):
            if spec in ("all", True):
                return True
            if spec in ("none", False, None):
                return False
            return iid.lower() in [str(x).strip().lower() for x in spec]

        unknown = sorted(set(overrides) - {iid.lower() for iid in ids})
        if unknown:
            raise ValueError("scale set %r: overrides name VMs it does not have: %s" % (v.name, ", ".join(unknown)))
        for idx, iid in enumerate(ids):
            i = Instance(v, iid, idx)
            i.created = t0 - 30 * 86400
            if v.flexible:
                # Flexible scale sets have no update domains (Azure docs, "Orchestration modes": Update
                # Domains - No); zonal ones one fault domain per zone, regional ones up to 3 (UNVERIFIED:
                # Azure's spreading, taken round-robin here).
                i.update_domain = None
            if izones:
                i.zone = izones[idx % len(izones)]
                i.fault_domain = 0
            else:
                i.fault_domain = idx % (3 if v.flexible else 5)
            i.health = "healthy" if v.health_signal else None
            i.duration = duration(mdef.get("duration"), 20)
            i.recovery = duration(mdef.get("recovery"), 5)
            i.fails = bool(mdef.get("fails", False))
            i.recovers = bool(mdef.get("recovers", True))
            ov = overrides.get(iid.lower(), {})
            in_wave = ov.get("in_wave", member(wave, iid))
            if "maintenance" in ov and ov["maintenance"] is None:
                in_wave = False
            if in_wave:
                allowed = ov.get("eligible", member(eligible, iid))
                w = dict(window)
                w.update(ov.get("window") or {})
                i.maint = new_maintenance(
                    bool(allowed), abs_time(w.get("pre_start", "-1d"), t0), abs_time(w.get("pre_end", "+13d"), t0),
                    abs_time(w.get("start", "+14d"), t0), abs_time(w.get("end", "+21d"), t0),
                    result=ov.get("last_result", "None" if allowed else "RetryLater"),
                    message=ov.get("last_message"))
                if not allowed and i.maint["message"] is None and i.maint["result"] == "RetryLater":
                    i.maint["message"] = ("Maintenance cannot be performed at this time: the VM is "
                                          "outside its self-service maintenance window. Retry later.")
                i.wave = {k: i.maint[k] for k in WINDOW_KEYS}
            self.apply_overrides(i, ov)
            v.instances[i.id] = i
        v.sku["capacity"] = len(v.instances)
        return v

    def apply_overrides(self, i, ov):
        if "health" in ov and i.vmss.health_signal:
            i.health = ov["health"]
        if "power_state" in ov:
            i.power = ov["power_state"]
        for key, attr in (("maintenance_duration", "duration"), ("recovery", "recovery")):
            if key in ov:
                setattr(i, attr, duration(ov[key]))
        if "fails" in ov or "fail_maintenance" in ov:
            i.fails = bool(ov.get("fails", ov.get("fail_maintenance")))
        if "recovers" in ov:
            i.recovers = bool(ov["recovers"])
        if "never_recovers" in ov:
            i.recovers = not ov["never_recovers"]
        if "latest_model_applied" in ov:
            i.latest_model_applied = bool(ov["latest_model_applied"])
        if "computer_name" in ov:
            i.computer_name = ov["computer_name"]
        if "zone" in ov:
            i.zone = str(ov["zone"]) if ov["zone"] is not None else None
        if "update_domain" in ov:
            i.update_domain = int(ov["update_domain"])
        if "fault_domain" in ov:
            i.fault_domain = int(ov["fault_domain"])
        if "reschedule_on_start" in ov:
            i.reschedule_on_start = bool(ov["reschedule_on_start"])
        if i.maint is not None:
            for key in ("outcome", "outcome_message"):
                if key in ov:
                    i.maint[key] = ov[key]
            if i.maint["outcome"] not in OUTCOMES:
                raise ValueError("outcome %r: one of %s" % (i.maint["outcome"], ", ".join(OUTCOMES)))

    def rolling_record(self, ru, t0):
        start = abs_time(ru.get("started", "-1d"), t0)
        code = ru.get("code", "Completed")
        p = ru.get("progress") or {}
        r = {"code": code, "start": start,
             "last_action": ru.get("last_action", "Cancel" if code == "Cancelled" else "Start"),
             "last_action_time": abs_time(ru.get("last_action_time"), t0) or start,
             "progress": {"successfulInstanceCount": int(p.get("successful", 0)),
                          "failedInstanceCount": int(p.get("failed", 0)),
                          "inProgressInstanceCount": int(p.get("in_progress", 0)),
                          "pendingInstanceCount": int(p.get("pending", 0))},
             "error": ru.get("error")}
        return r

    def _history(self, h, t0):
        start = abs_time(h.get("started", "-7d"), t0)
        code = h.get("code", "Completed")
        end = None if code == "RollingForward" else start + duration(h.get("duration", "40m"))
        p = h.get("progress") or {}
        item = {
            "_start": start,
            "properties": {
                "runningStatus": {"code": code, "startTime": iso(start)},
                "progress": {"successfulInstanceCount": int(p.get("successful", 0)),
                             "failedInstanceCount": int(p.get("failed", 0)),
                             "inProgressInstanceCount": int(p.get("in_progress", 0)),
                             "pendingInstanceCount": int(p.get("pending", 0))},
                "startedBy": h.get("started_by", "User"),
                "targetImageReference": {
                    "publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                    "sku": "22_04-lts-gen2", "version": h.get("image_version", "latest")},
                "rollbackInfo": {"successfullyRolledbackInstanceCount": int(h.get("rolled_back", 0)),
                                 "failedRolledbackInstanceCount": int(h.get("rollback_failed", 0))},
            },
            "type": ROLLING_TYPE,
            "location": None,
        }
        if end is not None:
            item["properties"]["runningStatus"]["endTime"] = iso(end)
        if h.get("error") or code == "Faulted":
            e = h.get("error") or {}
            item["properties"]["error"] = {
                "code": e.get("code", "UpgradeFailed"),
                "message": e.get("message", "The OS upgrade was stopped because more than "
                                            "20% of the upgraded instances are unhealthy."),
                "details": e.get("details", [])}
        return item

    # -- lookups -------------------------------------------------------------------------
    def rg(self, sub, name):
        return self.resource_groups.get((sub.lower(), name.lower()))

    def scale_sets_of(self, sub):
        """Every scale set of a subscription, in a stable order (resource group, then name)."""
        return [v for (s, _r), rg in sorted(self.resource_groups.items()) if s == sub.lower()
                for _n, v in sorted(rg.scale_sets.items())]

    def find_instance(self, vmss, iid):
        """A VM of the scale set by its instance id: numbers as Uniform has them, names regardless of case."""
        key = str(iid).strip()
        if vmss.flexible:
            return next((i for i in vmss.instances.values() if i.id.lower() == key.lower()), None)
        if key.isdigit():
            key = str(int(key))
        return vmss.instances.get(key)

    def find_vmss(self, rg_name, vmss_name, sub=None):
        for (s, r), rg in self.resource_groups.items():
            if (rg_name is None or r == rg_name.lower()) and (sub is None or s == sub.lower()):
                v = rg.scale_sets.get(vmss_name.lower())
                if v:
                    return v
        return None


def load_scenario(name_or_path=None, data=None):
    if data is not None:
        return copy.deepcopy(data)
    p = name_or_path or "basic"
    if not os.path.exists(p):
        cand = os.path.join(SCENARIO_DIR, p if p.endswith((".yml", ".yaml")) else p + ".yml")
        if not os.path.exists(cand):
            raise FileNotFoundError("scenario %r not found (looked in %s)" % (p, SCENARIO_DIR))
        p = cand
    with open(p) as f:
        return yaml.safe_load(f) or {}
