"""Local Azure Resource Manager + Azure AD simulator for the azure_vmss.maintenance collection.

Serves, over real HTTPS, the parts of ARM (Microsoft.Compute scale sets) and Azure AD (v2.0 token
endpoint) that the collection uses, so that unmodified azure-identity and azure-mgmt-compute run
against it. See README.md in this directory for the scenario format, the control API and the
route names.

Comments starting with "UNVERIFIED:" mark behaviour no public source settled; the choice made and
the reason are given there.
"""

import base64
import copy
import hashlib
import hmac
import json
import math
import os
import random
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
import traceback
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit, unquote

import yaml

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

try:  # importable both as tests/simulator on sys.path and as a package module
    from . import certs
except ImportError:
    import certs

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO_DIR = os.path.join(HERE, "scenarios")

VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
VM_TYPE = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
ROLLING_TYPE = "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"

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

# ---------------------------------------------------------------------------------------------
# Throttling policies (arm-facts.md, "Throttling"). Per-minute figures from the Compute docs.
# (header name, bucket per resource, refill/min per resource, bucket per subscription, refill/min per sub)
# The "3Min" entry of the header is the per-resource bucket and "30Min" the per-subscription one.
# UNVERIFIED: which bucket Azure reports under which window name; this mapping keeps both visible.
COMPUTE_POLICIES = {
    "low_cost_get": ("GetVMScaleSet", 36, 12, 2400, 800),
    "high_cost_get": ("HighCostGetVMScaleSet", 30, 10, 1080, 360),
    "update": ("VMScaleSetActions", None, None, 1500, 500),
    "vm_get": ("GetVMScaleSetVM", 36, 12, 6000, 2000),
}
ROUTE_POLICY = {
    "vmss_get": "low_cost_get", "rolling_upgrade_latest": "low_cost_get",
    "os_upgrade_history": "low_cost_get",
    "vmss_instance_view": "high_cost_get", "vm_list": "high_cost_get",
    "perform_maintenance": "update", "vm_perform_maintenance": "update",
    "vm_get": "vm_get", "vm_instance_view": "vm_get",
}
ROUTE_ACTION = {
    "subscription_get": "Microsoft.Resources/subscriptions/read",
    "resource_group_get": "Microsoft.Resources/subscriptions/resourceGroups/read",
    "vmss_list": "Microsoft.Compute/virtualMachineScaleSets/read",
    "vmss_get": "Microsoft.Compute/virtualMachineScaleSets/read",
    "vmss_instance_view": "Microsoft.Compute/virtualMachineScaleSets/instanceView/read",
    "rolling_upgrade_latest": "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read",
    "os_upgrade_history": "Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read",
    "vm_list": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read",
    "vm_get": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read",
    "vm_instance_view": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/instanceView/read",
    "perform_maintenance": "Microsoft.Compute/virtualMachineScaleSets/performMaintenance/action",
    "vm_perform_maintenance":
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/performMaintenance/action",
    "operation_status": "Microsoft.Compute/locations/operations/read",
    "operation_result": "Microsoft.Compute/locations/operations/read",
}
WRITE_ROUTES = {"perform_maintenance", "vm_perform_maintenance"}

# The public host names the proxy listener answers CONNECT for (port 443 only), by cloud. All three
# clouds are always served, so a scenario needs no setting to rehearse an AzureChinaCloud or
# AzureUSGovernment job. Every other host gets 403: the proxy never connects anywhere, it terminates
# TLS itself with a certificate for these names from the simulator's CA and serves them in-process.
PROXY_CLOUDS = {
    "AzureCloud": ("management.azure.com", "login.microsoftonline.com"),
    "AzureChinaCloud": ("management.chinacloudapi.cn", "login.chinacloudapi.cn"),
    "AzureUSGovernment": ("management.usgovcloudapi.net", "login.microsoftonline.us"),
}
PROXY_HOSTS = tuple(h for hosts in PROXY_CLOUDS.values() for h in hosts)
# Token audiences ARM accepts besides the URL the request was addressed to (the classic
# "management.core" audiences are what azure-cli asks for).
ARM_AUDIENCES = {
    "management.azure.com": ("https://management.core.windows.net", "https://management.azure.com"),
    "management.chinacloudapi.cn": ("https://management.core.chinacloudapi.cn", "https://management.chinacloudapi.cn"),
    "management.usgovcloudapi.net": ("https://management.core.usgovcloudapi.net",
                                     "https://management.usgovcloudapi.net"),
}


# ---------------------------------------------------------------------------------------------
# small helpers

def iso(ts):
    """Azure Compute style timestamp: 7 fractional digits and +00:00."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


_REL = re.compile(r"^([+-]?)\s*(\d+(?:\.\d+)?)\s*([smhdw]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(value, default=0.0):
    """'90', 90, '20s', '5m', '2h', '3d' -> seconds (float)."""
    if value is None:
        return float(default)
    if isinstance(value, (int, float)):
        return float(value)
    m = _REL.match(str(value).strip())
    if not m:
        raise ValueError("bad duration %r" % (value,))
    sign = -1 if m.group(1) == "-" else 1
    return sign * float(m.group(2)) * _UNITS[m.group(3)]


def abs_time(value, base):
    """A time in a scenario: relative ('-3d', '+2h', 0) to the simulator start, or ISO 8601."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return base + float(value)
    s = str(value).strip()
    if _REL.match(s):
        return base + duration(s)
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    s = s + "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s.encode())


def stable_uuid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "armsim:" + "/".join(str(p) for p in parts)))


def is_guid(s):
    try:
        uuid.UUID(s)
        return len(s) == 36
    except (ValueError, AttributeError):
        return False


class Resp:
    __slots__ = ("status", "headers", "body", "drop")

    def __init__(self, status=200, body=None, headers=None, drop=False):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.drop = drop


def cloud_error(status, code, message, target=None, details=None, headers=None, innererror=None):
    err = {"code": code, "message": message}
    if target is not None:
        err["target"] = target
    if details:
        err["details"] = details
    if innererror:
        err["innererror"] = innererror
    return Resp(status, {"error": err}, headers)


def aad_error(status, error, code, description, sim):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    desc = "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s" % (
        code, description, trace, corr, now)
    return Resp(status, {"error": error, "error_description": desc, "error_codes": [code],
                         "timestamp": now, "trace_id": trace, "correlation_id": corr,
                         "error_uri": "%s/error?code=%d" % (sim.base_url, code)})


class TokenBucket:
    __slots__ = ("capacity", "rate", "tokens", "stamp")

    def __init__(self, capacity, rate_per_sec):
        self.capacity = float(capacity)
        self.rate = float(rate_per_sec)
        self.tokens = float(capacity)
        self.stamp = time.monotonic()

    def _refill(self, now):
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, now):
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True, 0.0
        wait = (1.0 - self.tokens) / self.rate if self.rate > 0 else 3600.0
        return False, wait

    def remaining(self):
        return max(0, int(self.tokens))


# ---------------------------------------------------------------------------------------------
# model

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

    @property
    def name(self):
        return "%s_%s" % (self.vmss.name, self.id)


class ScaleSet:
    def __init__(self, rg, name):
        self.rg = rg
        self.name = name
        self.location = rg.location
        self.zones = []
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

    @property
    def id(self):
        return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
            self.rg.sub, self.rg.name, VMSS_TYPE, self.name)


class ResourceGroup:
    def __init__(self, sub, name, location):
        self.sub = sub
        self.name = name
        self.location = location
        self.scale_sets = {}       # lower name -> ScaleSet


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


# ---------------------------------------------------------------------------------------------
# the simulator core

class SimState:
    """Everything built from a scenario; replaced wholesale on reset/load."""

    def __init__(self, scenario, sim):
        self.sim = sim
        self.scenario = scenario
        self.t0 = time.time()
        sc = scenario
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
        self.resource_groups = {}
        for rgd in sc.get("resource_groups") or []:
            sub = str(rgd.get("subscription") or self.default_sub)
            rg = ResourceGroup(sub, rgd["name"], rgd.get("location", "westeurope"))
            self.resource_groups[(sub.lower(), rg.name.lower())] = rg
            for vd in rgd.get("scale_sets") or []:
                vmss = self._build_vmss(rg, vd, defaults)
                rg.scale_sets[vmss.name.lower()] = vmss
        self.operations = {}
        th = sc.get("throttle") or {}
        self.throttle_scale = float(th.get("scale", 1.0))
        self.throttle_refill_scale = th.get("refill_scale")
        self.throttle_overrides = dict(th.get("overrides") or {})
        self.throttle_enabled = bool(th.get("enabled", True))
        self.buckets = {}
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
        v.health_signal = bool(d.get("health_signal", True))
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
            v.rolling = self._rolling(ru, t0)
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
            inst = {"ids": inst}
        ids = inst.get("ids")
        if ids is None:
            ids = list(range(int(inst.get("count", 3))))
        ids = sorted(int(i) for i in ids)
        izones = [str(z) for z in (inst.get("zones") or v.zones)]
        wave = inst.get("wave", "all")
        eligible = inst.get("eligible", "all")
        window = inst.get("window") or {}
        overrides = {str(k): (val or {}) for k, val in (inst.get("overrides") or {}).items()}

        def member(spec, iid):
            if spec in ("all", True):
                return True
            if spec in ("none", False, None):
                return False
            return iid in [int(x) for x in spec]

        for idx, iid in enumerate(ids):
            i = Instance(v, str(iid), idx)
            i.created = t0 - 30 * 86400
            if izones:
                i.zone = izones[idx % len(izones)]
                i.fault_domain = 0
            else:
                i.fault_domain = idx % 5
            i.health = "healthy" if v.health_signal else None
            i.duration = duration(mdef.get("duration"), 20)
            i.recovery = duration(mdef.get("recovery"), 5)
            i.fails = bool(mdef.get("fails", False))
            i.recovers = bool(mdef.get("recovers", True))
            ov = overrides.get(str(iid), {})
            in_wave = ov.get("in_wave", member(wave, iid))
            if "maintenance" in ov and ov["maintenance"] is None:
                in_wave = False
            if in_wave:
                allowed = ov.get("eligible", member(eligible, iid))
                w = dict(window)
                w.update(ov.get("window") or {})
                i.maint = {
                    "allowed": bool(allowed),
                    "pre_start": abs_time(w.get("pre_start", "-1d"), t0),
                    "pre_end": abs_time(w.get("pre_end", "+13d"), t0),
                    "start": abs_time(w.get("start", "+14d"), t0),
                    "end": abs_time(w.get("end", "+21d"), t0),
                    "result": ov.get("last_result", "None" if allowed else "RetryLater"),
                    "message": ov.get("last_message"),
                }
                if not allowed and i.maint["message"] is None and i.maint["result"] == "RetryLater":
                    i.maint["message"] = ("Maintenance cannot be performed at this time: the VM is "
                                          "outside its self-service maintenance window. Retry later.")
            self._apply_overrides(i, ov)
            v.instances[i.id] = i
        v.sku["capacity"] = len(v.instances)
        return v

    def _apply_overrides(self, i, ov):
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

    def _rolling(self, ru, t0):
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

    def find_vmss(self, rg_name, vmss_name, sub=None):
        for (s, r), rg in self.resource_groups.items():
            if (rg_name is None or r == rg_name.lower()) and (sub is None or s == sub.lower()):
                v = rg.scale_sets.get(vmss_name.lower())
                if v:
                    return v
        return None


def normalise_fault(f):
    f = dict(f)
    return {"route": f.get("route", "*"), "latency_ms": float(f.get("latency_ms", 0) or 0),
            "jitter_ms": float(f.get("jitter_ms", 0) or 0),
            "error_rate": float(f.get("error_rate", 0) or 0),
            "error_status": int(f.get("error_status", 500) or 500),
            "retry_after": f.get("retry_after"),
            "drop_rate": float(f.get("drop_rate", 0) or 0),
            "count": None if f.get("count") is None else int(f["count"])}


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


# ---------------------------------------------------------------------------------------------
# HTTP plumbing

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "ARMSimulator/1.0"
    sys_version = ""

    via = "direct"          # "proxy" for requests that came through a CONNECT tunnel
    default_host = None     # the CONNECT target, when the tunnelled request has no Host header

    def _go(self):
        try:
            self.server.sim.handle(self)
        except (ConnectionError, ssl.SSLError, socket.timeout, BrokenPipeError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _go

    def log_message(self, fmt, *args):  # silence the default stderr access log
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, ctx):
        self.sim = sim
        self.ctx = ctx
        super().__init__(addr, _Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # handshake lazily, in the handler thread, so one slow client cannot stall accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return
        traceback.print_exc()


class _TunnelHandler(_Handler):
    """The simulator's own handler on the TLS socket of an accepted CONNECT tunnel."""
    via = "proxy"


class _ProxyHandler(BaseHTTPRequestHandler):
    """HTTP proxy front: CONNECT to an allowed host:443 is answered 200 and the tunnel's TLS is
    terminated here (certificate for PROXY_HOSTS from the simulator's CA); the requests inside go to
    the same Simulator.handle as the direct listener. Anything else is refused with 403 and nothing
    is ever opened towards another host."""
    protocol_version = "HTTP/1.1"
    server_version = "ARMSimulatorProxy/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def _refuse(self, target, why):
        sim = self.server.sim
        sim.record_proxy_refusal(self.command, target, why)
        data = ("403 Forbidden: %s\nThe ARM simulator's proxy only opens tunnels to %s (port 443) and "
                "serves them itself; it never connects anywhere else.\n" % (why, ", ".join(sim.proxy_hosts))
                ).encode()
        self.send_response(403, "Forbidden")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    def do_CONNECT(self):
        sim = self.server.sim
        target = self.path.strip()
        host, sep, port = target.rpartition(":")
        if not sep:
            host, port = target, "443"
        host = host.strip("[]").lower().rstrip(".")
        if host not in sim.proxy_hosts or port != "443":
            self._refuse(target, "CONNECT to %s is not served" % target)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            tls = self.server.ctx.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. the client does not trust the simulator's CA: it aborts the handshake
        try:
            handler = _TunnelHandler.__new__(_TunnelHandler)
            handler.default_host = host
            handler.__init__(tls, self.client_address, self.server.sim_server)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def _not_connect(self):
        self._refuse(self.path, "only CONNECT is served (no plain-http proxying)")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _not_connect


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, ctx, sim_server):
        self.sim = sim
        self.ctx = ctx
        self.sim_server = sim_server
        super().__init__(addr, _ProxyHandler)

    def handle_error(self, request, client_address):
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return
        traceback.print_exc()


class Simulator:
    """Run the simulator in a background thread.

        with Simulator(scenario="basic", time_scale=0.01) as sim:
            sim.resource_manager_url, sim.ca_bundle, sim.connection, sim.log, sim.counters
    """

    def __init__(self, scenario="basic", scenario_data=None, host="127.0.0.1", port=0,
                 state_dir=None, time_scale=None, latency_ms=0, log_file=None, seed=None, cleanup=True,
                 proxy=True, proxy_port=0):
        self.cleanup = cleanup
        self.proxy = bool(proxy)
        self.proxy_port = proxy_port
        self.proxy_hosts = PROXY_HOSTS
        self.https_proxy = None
        self._proxy_server = None
        self._proxy_thread = None
        self.max_log_entries = 200000
        self.scenario_name = scenario
        self.scenario = load_scenario(scenario, scenario_data)
        self.host = host
        self.port = port
        self._own_state_dir = state_dir is None
        self.state_dir = os.path.abspath(state_dir or tempfile.mkdtemp(prefix="armsim-"))
        os.makedirs(self.state_dir, exist_ok=True)
        self.time_scale_cli = time_scale
        self.latency_ms = float(latency_ms or 0)
        self.log_file = log_file
        self._log_fh = open(log_file, "a", buffering=1) if log_file else None
        self.rand = random.Random(seed)
        self.lock = threading.RLock()
        self._log = []
        self._seq = 0
        self._counters = {}
        self._token_secret = secrets.token_bytes(32)
        self._server = None
        self._thread = None
        self._cert_files = {}
        self.state = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def time_scale(self):
        if self.time_scale_cli is not None:
            return float(self.time_scale_cli)
        return float(self.scenario.get("time_scale", 1.0))

    def start(self):
        ca_cert, ca_key, self.ca_bundle = certs.ensure_ca(self.state_dir)
        self._ca = (ca_cert, ca_key)
        cert_path, key_path = certs.ensure_server_cert(self.state_dir, ca_cert, ca_key)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert_path, key_path)
        self._server = _Server((self.host, self.port), self, ctx)
        self.port = self._server.server_address[1]
        self.base_url = "https://%s:%d" % (self.host, self.port)
        self._reset_state()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True,
                                        name="armsim-server")
        self._thread.start()
        if self.proxy:
            pcert, pkey = certs.ensure_server_cert(self.state_dir, ca_cert, ca_key, hosts=self.proxy_hosts,
                                                   name="proxy")
            pctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            pctx.minimum_version = ssl.TLSVersion.TLSv1_2
            pctx.load_cert_chain(pcert, pkey)
            # the proxy is plain http (as corporate proxies are); only the tunnels carry TLS
            self._proxy_server = _ProxyServer((self.host, self.proxy_port), self, pctx, self._server)
            self.proxy_port = self._proxy_server.server_address[1]
            self.https_proxy = "http://%s:%d" % (self.host, self.proxy_port)
            self._proxy_thread = threading.Thread(target=self._proxy_server.serve_forever,
                                                  kwargs={"poll_interval": 0.1}, daemon=True,
                                                  name="armsim-proxy")
            self._proxy_thread.start()
        return self

    def serve_forever(self):
        """Start and block in the calling thread (used by the CLI)."""
        if self._server is None:
            self.start()
        self._thread.join()

    def stop(self):
        if self._proxy_server is not None:
            self._proxy_server.shutdown()
            self._proxy_server.server_close()
            self._proxy_server = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None
        if self._own_state_dir and self.cleanup:
            import shutil
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _register_certs(self, st):
        ca_cert, ca_key = self._ca
        for p in st.principals.values():
            if not p["certificate"]:
                continue
            path, cert = certs.ensure_client_cert(self.state_dir, p["name"], ca_cert, ca_key)
            enc_path, enc_cert = certs.ensure_client_cert(self.state_dir, p["name"], ca_cert, ca_key,
                                                          password="sim-cert-password")
            p["certificate_path"] = path
            p["certificate_encrypted_path"] = enc_path
            p["certificate_password"] = "sim-cert-password"
            for c in (cert, enc_cert):
                x5t, x5t256 = certs.thumbprints(c)
                p["cert_keys"][x5t] = c.public_key()
                p["cert_keys"][x5t256] = c.public_key()

    def _reset_state(self, scenario=None):
        if scenario is not None:
            self.scenario = scenario
        st = SimState(self.scenario, self)
        self._register_certs(st)
        with self.lock:
            old = self.state
            if old is not None:
                # issued tokens survive a reset/load (a client's cached token stays valid) as long as
                # the principal still exists in the new scenario
                st.tokens = {t: r for t, r in old.tokens.items() if r["principal"] in st.principals}
                st.refresh_tokens = {t: p for t, p in old.refresh_tokens.items() if p in st.principals}
            self.state = st
            self._log = []
            self._counters = {}
        return st

    # -- connection facts ------------------------------------------------------------------
    @property
    def resource_manager_url(self):
        return self.base_url

    @property
    def control_url(self):
        return self.base_url + "/_sim"

    @property
    def connection(self):
        st = self.state
        mp = st.main_principal
        principals = {}
        for p in st.principals.values():
            e = {"kind": p["kind"], "tenant": p["tenant"], "object_id": p["object_id"],
                 "role": p["role"], "subscriptions": p["subscriptions"]}
            if p["kind"] == "app":
                e.update({"client_id": p["client_id"], "secret": p["secret"],
                          "client_certificate_path": p.get("certificate_path"),
                          "client_certificate_encrypted_path": p.get("certificate_encrypted_path"),
                          "client_certificate_password": p.get("certificate_password")})
            else:
                e.update({"username": p["username"], "password": p["password"]})
            principals[p["name"]] = e
        users = [{"username": p["username"], "password": p["password"], "tenant": p["tenant"],
                  "name": p["name"]} for p in st.principals.values() if p["kind"] == "user"]
        return {
            "resource_manager_url": self.base_url,
            "authority": self.base_url,
            "ca_bundle": self.ca_bundle,
            "tenant": mp["tenant"],
            "client_id": mp["client_id"],
            "secret": mp["secret"],
            "subscription_id": st.default_sub,
            "client_certificate_path": mp.get("certificate_path"),
            "client_certificate_password": None,
            "client_certificate_encrypted_path": mp.get("certificate_encrypted_path"),
            "client_certificate_encrypted_password": mp.get("certificate_password"),
            "credential_scope": self.base_url + "/.default",
            "https_proxy": self.https_proxy,
            "proxy_hosts": list(self.proxy_hosts) if self.https_proxy else [],
            "control_url": self.control_url,
            "pid": os.getpid(),
            "scenario": self.scenario.get("name", self.scenario_name),
            "time_scale": self.time_scale,
            "state_dir": self.state_dir,
            "users": users,
            "principals": principals,
        }

    def env(self):
        """Environment variables for a client process (azure-identity / ansible modules)."""
        c = self.connection
        return {"REQUESTS_CA_BUNDLE": c["ca_bundle"], "SSL_CERT_FILE": c["ca_bundle"],
                "AZURE_TENANT_ID": c["tenant"], "AZURE_TENANT": c["tenant"],
                "AZURE_CLIENT_ID": c["client_id"], "AZURE_CLIENT_SECRET": c["secret"],
                "AZURE_SECRET": c["secret"], "AZURE_SUBSCRIPTION_ID": c["subscription_id"],
                "AZURE_AUTHORITY_HOST": c["authority"]}

    def proxy_env(self):
        """Environment for a client that keeps its production settings (public cloud, default
        authority and endpoints) and reaches the simulator through the proxy listener: only
        HTTPS_PROXY and the CA bundle point at the simulator."""
        c = self.connection
        if not c["https_proxy"]:
            raise ValueError("the proxy listener is off (Simulator(proxy=False) / --no-proxy)")
        return {"HTTPS_PROXY": c["https_proxy"], "https_proxy": c["https_proxy"],
                "REQUESTS_CA_BUNDLE": c["ca_bundle"], "SSL_CERT_FILE": c["ca_bundle"],
                "AZURE_TENANT_ID": c["tenant"], "AZURE_TENANT": c["tenant"],
                "AZURE_CLIENT_ID": c["client_id"], "AZURE_CLIENT_SECRET": c["secret"],
                "AZURE_SECRET": c["secret"], "AZURE_SUBSCRIPTION_ID": c["subscription_id"]}

    # -- python control API (same semantics as /_sim) ----------------------------------------
    @property
    def log(self):
        with self.lock:
            return list(self._log)

    def log_since(self, seq=0):
        with self.lock:
            return [e for e in self._log if e["seq"] > seq]

    @property
    def last_seq(self):
        return self._seq

    @property
    def counters(self):
        with self.lock:
            return self._counters_body()

    def reset(self):
        self._reset_state()

    def load(self, scenario=None, scenario_data=None):
        self._reset_state(load_scenario(scenario, scenario_data))

    def set_fault(self, **fault):
        with self.lock:
            self.state.faults.append(normalise_fault(fault))

    def clear_faults(self):
        with self.lock:
            self.state.faults = []

    def patch_instance(self, **body):
        r = self._ctl_instances(body)
        if r.status != 200:
            raise ValueError(r.body)
        return r.body

    def set_rolling_upgrade(self, **body):
        r = self._ctl_rolling(body)
        if r.status != 200:
            raise ValueError(r.body)
        return r.body

    def set_throttle(self, scale=None, enabled=None, refill_scale=None, overrides=None):
        self._ctl_throttle({k: v for k, v in (("scale", scale), ("enabled", enabled),
                                              ("refill_scale", refill_scale), ("overrides", overrides))
                            if v is not None})

    def set_token_lifetime(self, seconds):
        self._ctl_tokens({"lifetime_seconds": seconds})

    def expire_tokens(self, principal=None):
        self._ctl_tokens({"expire_all": True, "principal": principal})

    # =====================================================================================
    # request handling
    def handle(self, h):
        t_start = time.perf_counter()
        split = urlsplit(h.path)
        path = unquote(split.path)
        query = {}
        for k, v in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(k, v)
        raw = b""
        n = int(h.headers.get("Content-Length") or 0)
        if n:
            raw = h.rfile.read(n)
        elif "chunked" in (h.headers.get("Transfer-Encoding") or "").lower():
            raw = self._read_chunked(h.rfile)
        # Absolute URLs we build (nextLink, LRO headers, metadata, OpenID endpoints) use the host the
        # request was addressed to: 127.0.0.1:PORT directly, management.azure.com & co. via the proxy.
        host = h.headers.get("Host") or h.default_host or "%s:%d" % (self.host, self.port)
        if host.endswith(":443"):
            host = host[:-4]
        base = "https://" + host
        method = h.command.upper()

        if path.rstrip("/").lower().startswith("/_sim"):
            try:
                resp = self._control(method, path.rstrip("/")[5:].lower(), query, raw)
            except Exception as exc:  # noqa: BLE001 - report, do not kill the server
                traceback.print_exc()
                resp = Resp(500, {"error": repr(exc)})
            self._send(h, resp, {})
            return

        ctx = {"method": method, "path": path, "query": query, "raw": raw, "base": base,
               "headers": h.headers, "principal": None, "route": "unknown", "host": host, "via": h.via}
        try:
            ctx["body"] = json.loads(raw) if raw.strip() else None
        except ValueError:
            ctx["body"] = raw.decode("utf-8", "replace")
        route, params = self._route(method, path)
        ctx["route"] = route
        ctx["params"] = params

        # injected latency / faults (before the work, as a slow network or front door would)
        resp = None
        delay = self.latency_ms / 1000.0
        fault_resp = None
        with self.lock:
            faults = list(self.state.faults)
        for f in faults:
            if f["route"] not in ("*", route):
                continue
            with self.lock:
                if f["count"] is not None:
                    if f["count"] <= 0:
                        continue
                    f["count"] -= 1
            delay += (f["latency_ms"] + self.rand.uniform(0, f["jitter_ms"])) / 1000.0
            if f["drop_rate"] and self.rand.random() < f["drop_rate"]:
                fault_resp = Resp(0, drop=True)
            elif f["error_rate"] and self.rand.random() < f["error_rate"]:
                st = f["error_status"]
                hdr = {"Retry-After": str(int(f["retry_after"]))} if f["retry_after"] is not None else {}
                if st == 503:
                    fault_resp = cloud_error(503, "ServiceUnavailable",
                                             "The service is temporarily unavailable. Please retry.", headers=hdr)
                else:
                    fault_resp = cloud_error(st, "InternalServerError" if st == 500 else "ServerError",
                                             "Encountered internal server error. Diagnostic information: "
                                             "timestamp '%s', tracking id '%s'." % (
                                                 datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
                                                 uuid.uuid4()), headers=hdr)
            if fault_resp is not None:
                break
        if delay > 0:
            time.sleep(delay)
        extra = {}
        if fault_resp is not None:
            resp = fault_resp
        else:
            try:
                resp = self._dispatch(ctx, extra)
            except Exception as exc:  # noqa: BLE001
                traceback.print_exc()
                resp = cloud_error(500, "InternalServerError", "Simulator error: %r" % (exc,))
        # record before answering, so a client that reads the log right after its response sees it
        # (latency_ms is the server-side handling time, injected delays included)
        self._record(ctx, resp, (time.perf_counter() - t_start) * 1000.0)
        if resp.drop:
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self._send(h, resp, extra)

    @staticmethod
    def _read_chunked(rfile):
        out = b""
        while True:
            line = rfile.readline()
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                rfile.readline()
                return out
            out += rfile.read(size)
            rfile.readline()

    def _send(self, h, resp, extra):
        body = resp.body
        if body is None:
            data = b""
        elif isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        else:
            data = json.dumps(body, separators=(",", ":")).encode()
        h.send_response(resp.status)
        headers = {"x-ms-request-id": str(uuid.uuid4()),
                   "x-ms-correlation-request-id": h.headers.get("x-ms-correlation-request-id")
                   or str(uuid.uuid4()),
                   "Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "-1"}
        crid = h.headers.get("x-ms-client-request-id")
        if crid:
            headers["x-ms-client-request-id"] = crid
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        headers.update(extra)
        headers.update(resp.headers)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if data and h.command != "HEAD":
            h.wfile.write(data)

    def _record(self, ctx, resp, ms):
        status = 0 if resp.drop else resp.status
        p = ctx["principal"]
        entry = {"seq": 0, "time": iso(time.time()), "method": ctx["method"], "host": ctx["host"],
                 "via": ctx.get("via", "direct"),
                 "path": ctx["path"], "query": ctx["query"], "route": ctx["route"], "status": status,
                 "latency_ms": round(ms, 3), "principal": p["name"] if p else None,
                 "body": ctx["body"] if ctx["raw"] else None}
        if ctx["route"] == "token" and isinstance(ctx["body"], str):
            # never log client secrets / assertions / passwords verbatim
            form = dict(parse_qsl(ctx["body"]))
            for k in ("client_secret", "client_assertion", "password", "refresh_token"):
                if k in form:
                    form[k] = "***"
            entry["body"] = form
        if resp.drop:
            entry["dropped"] = True
        with self.lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._log.append(entry)
            if len(self._log) > self.max_log_entries:   # bounded memory for long runs
                del self._log[:len(self._log) - self.max_log_entries]
            c = self._counters
            c.setdefault(ctx["route"], {})
            c[ctx["route"]][str(status)] = c[ctx["route"]].get(str(status), 0) + 1
        if self._log_fh:
            try:
                self._log_fh.write(json.dumps(entry) + "\n")
            except (ValueError, OSError):
                pass

    def record_proxy_refusal(self, method, target, why):
        """A refused proxy request is logged (route proxy_refused, status 403, via proxy) so a run shows
        which other hosts a client tried to reach; nothing was sent to them."""
        ctx = {"method": method, "host": target, "via": "proxy", "path": "", "query": {},
               "route": "proxy_refused", "principal": None, "raw": b"", "body": None}
        self._record(ctx, Resp(403, {"error": why}), 0.0)

    def _counters_body(self):
        by_route, by_status, total, throttled, dropped = {}, {}, 0, 0, 0
        for route, st in self._counters.items():
            by_route[route] = sum(st.values())
            for s, n in st.items():
                by_status[s] = by_status.get(s, 0) + n
                total += n
                if s == "429":
                    throttled += n
                if s == "0":
                    dropped += n
        return {"total": total, "by_route": by_route, "by_status": by_status,
                "by_route_status": copy.deepcopy(self._counters), "throttled": throttled,
                "dropped": dropped, "last_seq": self._seq}

    # -- routing ---------------------------------------------------------------------------
    _SEG = r"([^/]+)"
    _VMSS = (r"^/subscriptions/" + _SEG + r"/resourcegroups/" + _SEG +
             r"/providers/microsoft\.compute/virtualmachinescalesets/" + _SEG)
    _ROUTES = [
        ("GET", re.compile(r"^/metadata/endpoints/?$", re.I), "metadata"),
        ("GET", re.compile(r"^/common/discovery/instance/?$", re.I), "instance_discovery"),
        ("GET", re.compile(r"^/common/userrealm/([^/]+)/?$", re.I), "userrealm"),
        ("GET", re.compile(r"^/([^/]+)(/v2\.0)?/\.well-known/openid-configuration/?$", re.I), "openid_config"),
        ("GET", re.compile(r"^/([^/]+)/discovery(?:/v2\.0)?/keys/?$", re.I), "jwks"),
        ("POST", re.compile(r"^/([^/]+)/oauth2(/v2\.0)?/token/?$", re.I), "token"),
        ("GET", re.compile(r"^/subscriptions/?$", re.I), "subscriptions"),
        ("GET", re.compile(r"^/subscriptions/([^/]+)/?$", re.I), "subscription_get"),
        ("GET", re.compile(r"^/subscriptions/([^/]+)/providers/microsoft\.compute/locations/([^/]+)"
                           r"/operations/([^/]+)/?$", re.I), "operation_status"),
        ("GET", re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/?$", re.I), "resource_group_get"),
        ("GET", re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/"
                           r"microsoft\.compute/virtualmachinescalesets/?$", re.I), "vmss_list"),
        ("GET", re.compile(_VMSS + r"/?$", re.I), "vmss_get"),
        ("GET", re.compile(_VMSS + r"/instanceview/?$", re.I), "vmss_instance_view"),
        ("GET", re.compile(_VMSS + r"/rollingupgrades/latest/?$", re.I), "rolling_upgrade_latest"),
        ("GET", re.compile(_VMSS + r"/osupgradehistory/?$", re.I), "os_upgrade_history"),
        ("GET", re.compile(_VMSS + r"/virtualmachines/?$", re.I), "vm_list"),
        ("GET", re.compile(_VMSS + r"/virtualmachines/([^/]+)/?$", re.I), "vm_get"),
        ("GET", re.compile(_VMSS + r"/virtualmachines/([^/]+)/instanceview/?$", re.I), "vm_instance_view"),
        ("POST", re.compile(_VMSS + r"/performmaintenance/?$", re.I), "perform_maintenance"),
        ("POST", re.compile(_VMSS + r"/virtualmachines/([^/]+)/performmaintenance/?$", re.I),
         "vm_perform_maintenance"),
    ]

    def _route(self, method, path):
        matched_path = None
        for m, rx, name in self._ROUTES:
            mo = rx.match(path)
            if mo:
                if m == method or (m == "GET" and method == "HEAD"):
                    return name, mo.groups()
                matched_path = name
        if matched_path:
            return "method_not_allowed", (matched_path,)
        return "unknown", ()

    def _dispatch(self, ctx, extra):
        route = ctx["route"]
        p = ctx["params"]
        if route == "metadata":
            return self._metadata(ctx)
        if route == "instance_discovery":
            return self._instance_discovery(ctx)
        if route == "userrealm":
            return Resp(200, {"ver": "1.0", "account_type": "Managed", "domain_name": p[0].split("@")[-1],
                              "cloud_instance_name": ctx["host"], "cloud_audience_urn": "urn:federation:MicrosoftOnline"})
        if route == "openid_config":
            return self._openid(ctx, p[0], bool(p[1]))
        if route == "jwks":
            return Resp(200, {"keys": []})
        if route == "token":
            return self._token(ctx, p[0], bool(p[1]))
        # ----- ARM from here: authentication first
        auth = self._authenticate(ctx)
        if auth is not None:
            return auth
        st = self.state
        api_version = next((v for k, v in ctx["query"].items() if k.lower() == "api-version"), None)
        if route in ("unknown", "method_not_allowed"):
            if route == "method_not_allowed":
                return cloud_error(405, "MethodNotAllowed",
                                   "The requested resource does not support http method '%s'." % ctx["method"])
            return cloud_error(404, "NotFound", "The requested path '%s' is not served by the ARM "
                                                "simulator." % ctx["path"])
        if not api_version:
            return cloud_error(400, "MissingApiVersionParameter",
                               "The api-version query parameter (?api-version=) is required for all requests.")
        ctx["api_version"] = api_version
        if route == "subscriptions":
            self._arm_throttle(ctx, extra, None)
            return self._subscriptions_list(ctx)
        sub = p[0]
        if not is_guid(sub):
            return cloud_error(400, "InvalidSubscriptionId",
                               "The provided subscription identifier '%s' is malformed or invalid." % sub)
        if sub.lower() not in st.subscriptions:
            return cloud_error(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % sub)
        principal = ctx["principal"]
        scope = re.sub(r"/performmaintenance/?$", "", ctx["path"].rstrip("/"), flags=re.I)
        action = ROUTE_ACTION.get(route, "Microsoft.Resources/read")
        allowed = sub.lower() in principal["subscriptions"]
        if allowed and route in WRITE_ROUTES and principal["role"] == "Reader":
            allowed = False
        if not allowed:
            who = principal.get("client_id") or principal.get("username")
            return cloud_error(403, "AuthorizationFailed",
                               "The client '%s' with object id '%s' does not have authorization to perform "
                               "action '%s' over scope '%s' or the scope is invalid. If access was recently "
                               "granted, please refresh your credentials." % (who, principal["object_id"],
                                                                              action, scope))
        throttled = self._arm_throttle(ctx, extra, sub)
        if throttled is not None:
            return throttled
        if route == "subscription_get":
            return Resp(200, self._subscription_body(st.subscriptions[sub.lower()]))
        if route == "operation_status":
            return self._operation(ctx, p[0], p[1], p[2], extra)
        rg = st.rg(sub, p[1])
        if rg is None:
            return cloud_error(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % p[1])
        if route == "resource_group_get":
            return Resp(200, {"id": "/subscriptions/%s/resourceGroups/%s" % (rg.sub, rg.name), "name": rg.name,
                              "type": "Microsoft.Resources/resourceGroups", "location": rg.location,
                              "properties": {"provisioningState": "Succeeded"}})
        if route == "vmss_list":
            return Resp(200, {"value": [self._vmss_body(v) for v in rg.scale_sets.values()]})
        vmss = rg.scale_sets.get(p[2].lower())
        if vmss is None:
            sub_resource = route not in ("vmss_get",)
            if sub_resource:
                # arm-facts: sub-resources of a missing scale set have answered 404 NotFound
                return cloud_error(404, "NotFound", "The Resource '%s/%s' under resource group '%s' was "
                                   "not found." % (VMSS_TYPE, p[2], p[1]))
            return cloud_error(404, "ResourceNotFound", "The Resource '%s/%s' under resource group '%s' was "
                               "not found. For more details please go to "
                               "https://aka.ms/ARMResourceNotFoundFix" % (VMSS_TYPE, p[2], p[1]))
        inst = None
        if route in ("vm_get", "vm_instance_view", "vm_perform_maintenance"):
            inst = vmss.instances.get(p[3]) if re.fullmatch(r"\d+", p[3] or "") else None
            if inst is None:
                if re.fullmatch(r"\d+", p[3] or "") and str(int(p[3])) in vmss.instances:
                    inst = vmss.instances[str(int(p[3]))]
            if inst is None:
                return cloud_error(404, "NotFound", "The Resource '%s/%s/virtualMachines/%s' under resource "
                                   "group '%s' was not found." % (VMSS_TYPE, vmss.name, p[3], rg.name))
        throttled = self._compute_throttle(ctx, extra, vmss, inst)
        if throttled is not None:
            return throttled
        now = time.time()
        with self.lock:
            for i in vmss.instances.values():
                if i.op is not None or i.recover_at is not None:
                    self._settle(i, now)
            if route == "vmss_get":
                return Resp(200, self._vmss_body(vmss))
            if route == "vmss_instance_view":
                return Resp(200, self._vmss_instance_view(vmss, now))
            if route == "rolling_upgrade_latest":
                return self._rolling_latest(vmss)
            if route == "os_upgrade_history":
                return self._os_history(ctx, vmss)
            if route == "vm_list":
                return self._vm_list(ctx, vmss, now)
            if route == "vm_get":
                return Resp(200, self._vm_body(inst, now, expand="$expand" in ctx["query"]
                                               and "instanceview" in ctx["query"]["$expand"].lower()))
            if route == "vm_instance_view":
                return Resp(200, self._instance_view(inst, now))
            if route == "perform_maintenance":
                return self._perform_maintenance(ctx, vmss, None, now)
            if route == "vm_perform_maintenance":
                return self._perform_maintenance(ctx, vmss, inst, now)
        return cloud_error(404, "NotFound", "Not found.")

    # -- AAD -------------------------------------------------------------------------------
    def _tenant_known(self, tenant):
        t = tenant.lower()
        return t in self.state.tenants or t in ("common", "organizations")

    def _tenant_not_found(self, tenant, openid=False):
        desc = ("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing "
                "into the correct cloud. Check with your subscription administrator, this may happen if there "
                "are no active subscriptions for the tenant." % tenant)
        return aad_error(400, "invalid_tenant" if openid else "invalid_request", 90002, desc, self)

    def _openid(self, ctx, tenant, v2):
        if not self._tenant_known(tenant):
            return self._tenant_not_found(tenant, openid=True)
        if tenant.lower() in ("common", "organizations"):
            tid = "{tenantid}"
        else:
            tid = tenant
        b = ctx["base"]
        ver = "/v2.0" if v2 else ""
        body = {
            "token_endpoint": "%s/%s/oauth2%s/token" % (b, tenant, ver),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": "%s/%s/discovery%s/keys" % (b, tenant, ver),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": "%s/%s%s" % (b, tid, ver) if v2 else "%s/%s/" % (b, tid),
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "%s/oidc/userinfo" % b,
            "authorization_endpoint": "%s/%s/oauth2%s/authorize" % (b, tenant, ver),
            "device_authorization_endpoint": "%s/%s/oauth2%s/devicecode" % (b, tenant, ver),
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": "%s/%s/oauth2%s/logout" % (b, tenant, ver),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "tid", "ver", "oid"],
            "tenant_region_scope": None,
            "cloud_instance_name": ctx["host"].split(":")[0],
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
        return Resp(200, body)

    def _instance_discovery(self, ctx):
        auth_ep = ctx["query"].get("authorization_endpoint", "")
        tenant = "common"
        m = re.match(r"^https?://[^/]+/([^/]+)/", auth_ep)
        if m:
            tenant = m.group(1)
        host = ctx["host"]
        return Resp(200, {
            "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (ctx["base"], tenant),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})

    def _metadata(self, ctx):
        b = ctx["base"]
        api = ctx["query"].get("api-version", "")
        audiences = ["https://management.core.windows.net/", b + "/"]
        if api and api >= "2022-09-01":
            return Resp(200, [{
                "portal": b + "/", "name": "AzureSimulator",
                "authentication": {"loginEndpoint": b + "/", "audiences": audiences,
                                   "tenant": "common", "identityProvider": "AAD"},
                "media": b + "/", "graphAudience": "https://graph.windows.net/", "graph": "https://graph.windows.net/",
                "suffixes": {"keyVaultDns": "vault.simulator.local", "storage": "core.simulator.local",
                             "acrLoginServer": "azurecr.simulator.local",
                             "sqlServerHostname": ".database.simulator.local"},
                "batch": b + "/", "resourceManager": b + "/",
                "vmImageAliasDoc": b + "/aliases.json", "activeDirectoryDataLake": b + "/",
                "sqlManagement": b + "/", "microsoftGraphResourceId": "https://graph.microsoft.com/",
                "appInsightsResourceId": b + "/", "appInsightsTelemetryChannelResourceId": b + "/",
                "attestationResourceId": b + "/", "synapseAnalyticsResourceId": b + "/",
                "logAnalyticsResourceId": b + "/", "ossrDbmsResourceId": b + "/",
                "gallery": b + "/"}])
        # UNVERIFIED: without api-version (or an old one such as 2015-01-01) we answer the single
        # object Azure Stack Hub documents for 2015-01-01 rather than a 400.
        return Resp(200, {"galleryEndpoint": b + "/", "graphEndpoint": "https://graph.windows.net/",
                          "portalEndpoint": b + "/", "resourceManager": b + "/",
                          "authentication": {"loginEndpoint": b + "/", "audiences": audiences}})

    def _issue_token(self, principal, aud, scope_str, extra_claims=None, base=None):
        st = self.state
        now = int(time.time())
        lifetime = st.token_lifetime
        claims = {"aud": aud, "iss": "%s/%s/" % (base or self.base_url, principal["tenant"]), "iat": now, "nbf": now,
                  "exp": now + lifetime, "tid": principal["tenant"], "oid": principal["object_id"],
                  "sub": principal["object_id"], "ver": "1.0", "jti": secrets.token_hex(8)}
        if principal["kind"] == "app":
            claims["appid"] = principal["client_id"]
            claims["idtyp"] = "app"
        else:
            claims["upn"] = principal["username"]
            claims["appid"] = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
        if extra_claims:
            claims.update(extra_claims)
        header = b64url(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "armsim"}))
        payload = b64url(json.dumps(claims, separators=(",", ":")))
        sig = b64url(hmac.new(self._token_secret, (header + "." + payload).encode(), hashlib.sha256).digest())
        token = header + "." + payload + "." + sig
        with self.lock:
            st.tokens[token] = {"principal": principal["name"], "exp": now + lifetime, "aud": aud}
        body = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                "access_token": token}
        return body

    def _token(self, ctx, tenant, v2):
        st = self.state
        if not self._tenant_known(tenant):
            return self._tenant_not_found(tenant)
        form = dict(parse_qsl(ctx["raw"].decode("utf-8", "replace"), keep_blank_values=True))
        # client_secret_basic
        authz = ctx["headers"].get("Authorization") or ""
        if authz.lower().startswith("basic "):
            try:
                cid, _unused, csec = base64.b64decode(authz[6:]).decode().partition(":")
                form.setdefault("client_id", unquote(cid))
                form.setdefault("client_secret", unquote(csec))
            except ValueError:
                pass
        grant = form.get("grant_type", "")
        if v2:
            scope = form.get("scope", "")
            resource_scopes = [s for s in scope.split() if s not in ("openid", "profile", "offline_access")]
            if not resource_scopes:
                return aad_error(400, "invalid_scope", 70011, "The provided value for the input parameter "
                                 "'scope' is not valid.", self)
            rs = resource_scopes[0]
            aud = rs[:-len("/.default")] if rs.endswith("/.default") else rs.rsplit("/", 1)[0]
        else:
            aud = form.get("resource", "")
            scope = aud
        tenant_l = tenant.lower()

        def tenant_ok(p):
            return tenant_l in ("common", "organizations") or p["tenant"].lower() == tenant_l

        if grant == "client_credentials":
            cid = form.get("client_id", "")
            app = next((p for p in st.principals.values()
                        if p["kind"] == "app" and (p["client_id"] or "").lower() == cid.lower()), None)
            if app is None or not tenant_ok(app):
                return aad_error(400, "unauthorized_client", 700016,
                                 "Application with identifier '%s' was not found in the directory '%s'. This "
                                 "can happen if the application has not been installed by the administrator of "
                                 "the tenant or consented to by any user in the tenant. You may have sent your "
                                 "authentication request to the wrong tenant." % (cid, tenant), self)
            if "client_assertion" in form:
                err = self._check_assertion(form, app, ctx)
                if err is not None:
                    return err
            elif "client_secret" in form:
                if not app["secret"] or not hmac.compare_digest(str(app["secret"]), form["client_secret"]):
                    return aad_error(401, "invalid_client", 7000215,
                                     "Invalid client secret provided. Ensure the secret being sent in the request "
                                     "is the client secret value, not the client secret ID, for a secret added to "
                                     "app '%s'." % app["client_id"], self)
            else:
                return aad_error(401, "invalid_client", 7000218,
                                 "The request body must contain the following parameter: 'client_assertion' or "
                                 "'client_secret'.", self)
            ctx["principal"] = app
            return Resp(200, self._issue_token(app, aud, scope, base=ctx["base"]))
        if grant == "password":
            user = next((p for p in st.principals.values()
                         if p["kind"] == "user" and p["username"].lower() == form.get("username", "").lower()), None)
            password_ok = user is not None and hmac.compare_digest(str(user["password"]), form.get("password", ""))
            if user is None or not tenant_ok(user) or not password_ok:
                return aad_error(400, "invalid_grant", 50126, "Error validating credentials due to invalid "
                                 "username or password.", self)
            ctx["principal"] = user
            return Resp(200, self._user_token_body(user, aud, scope, form, ctx["base"]))
        if grant == "refresh_token":
            rec = st.refresh_tokens.get(form.get("refresh_token", ""))
            if rec is None:
                return aad_error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or "
                                 "invalid.", self)
            user = st.principals[rec]
            return Resp(200, self._user_token_body(user, aud, scope, form, ctx["base"]))
        return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type "
                         "'%s'." % grant, self)

    def _user_token_body(self, user, aud, scope, form, base=None):
        body = self._issue_token(user, aud, scope, base=base)
        now = int(time.time())
        client_id = form.get("client_id", "04b07795-8ddb-461a-bbee-02f9e1bf7b46")
        idt = {"aud": client_id, "iss": "%s/%s/v2.0" % (base or self.base_url, user["tenant"]), "iat": now, "nbf": now,
               "exp": now + 3600, "oid": user["object_id"], "sub": user["object_id"], "tid": user["tenant"],
               "preferred_username": user["username"], "name": user["username"], "ver": "2.0"}
        body["id_token"] = (b64url(json.dumps({"typ": "JWT", "alg": "none"})) + "." +
                            b64url(json.dumps(idt)) + ".")
        body["client_info"] = b64url(json.dumps({"uid": user["object_id"], "utid": user["tenant"]}))
        rt = secrets.token_urlsafe(32)
        with self.lock:
            self.state.refresh_tokens[rt] = user["name"]
        body["refresh_token"] = rt
        body["scope"] = scope
        return body

    def _check_assertion(self, form, app, ctx):
        def bad(code, msg):
            return aad_error(401, "invalid_client", code, msg, self)
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return aad_error(400, "invalid_request", 50027, "Invalid client_assertion_type.", self)
        try:
            h64, p64, s64 = form["client_assertion"].split(".")
            header = json.loads(b64url_decode(h64))
            claims = json.loads(b64url_decode(p64))
            sig = b64url_decode(s64)
        except (ValueError, KeyError):
            return bad(50027, "JWT token is invalid or malformed.")
        kid = header.get("x5t#S256") or header.get("x5t")
        key = None
        if kid:
            try:  # MSAL sends standard base64 with padding; RFC 7515 says base64url: accept both
                key = app["cert_keys"].get(b64url(b64url_decode(kid.replace("+", "-").replace("/", "_"))))
            except ValueError:
                key = None
        if key is None:
            return bad(700027, "The certificate with identifier used to sign the client assertion is not "
                       "registered on application. [Reason - The key was not found., Thumbprint of key used by "
                       "client: '%s']" % kid)
        alg = header.get("alg")
        signed = (h64 + "." + p64).encode()
        try:
            if alg == "RS256":
                key.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
            elif alg == "PS256":
                key.verify(sig, signed, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                    salt_length=padding.PSS.AUTO), hashes.SHA256())
            else:
                return bad(700027, "Client assertion contains an invalid signature algorithm '%s'." % alg)
        except InvalidSignature:
            return bad(700027, "Client assertion failed signature validation.")
        now = time.time()
        if claims.get("exp", 0) < now - 300:
            return bad(700024, "Client assertion is not within its valid time range.")
        if claims.get("iss") != app["client_id"] or claims.get("sub") != app["client_id"]:
            return bad(700023, "Client assertion audience claim does not match Realm issuer.")
        aud = claims.get("aud", "")
        if "/oauth2/" not in str(aud):
            return bad(700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
        return None

    def _authenticate(self, ctx):
        st = self.state
        authz = ctx["headers"].get("Authorization")
        tenant = st.main_principal["tenant"]
        challenge = 'Bearer authorization_uri="%s/%s", error="invalid_token"' % (ctx["base"], tenant)
        if not authz:
            return cloud_error(401, "AuthenticationFailed",
                               "Authentication failed. The 'Authorization' header is missing.",
                               headers={"WWW-Authenticate": 'Bearer authorization_uri="%s/%s", '
                                        'error="invalid_token", error_description="The authentication failed '
                                        'because of missing \'Authorization\' header."' % (ctx["base"], tenant)})
        if not authz.lower().startswith("bearer "):
            return cloud_error(401, "AuthenticationFailed",
                               "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                               headers={"WWW-Authenticate": challenge})
        token = authz[7:].strip()
        with self.lock:
            rec = st.tokens.get(token)
        if rec is None:
            return cloud_error(401, "InvalidAuthenticationToken",
                               "The access token is invalid.",
                               headers={"WWW-Authenticate": challenge + ', error_description="The access token '
                                        'is invalid."'})
        now = time.time()
        if rec["exp"] <= now:
            # Real ARM answers ExpiredAuthenticationToken for an expired (but otherwise valid) token.
            def fmt(stamp):
                return datetime.fromtimestamp(stamp, timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            return cloud_error(401, "ExpiredAuthenticationToken",
                               "The access token expiry UTC time '%s' is earlier than current UTC time '%s'."
                               % (fmt(rec["exp"]), fmt(now)),
                               headers={"WWW-Authenticate": challenge + ', error_description="The access token '
                                        'expiry UTC time \'%s\' is earlier than current UTC time \'%s\'."'
                                        % (fmt(rec["exp"]), fmt(now))})
        aud = rec["aud"].rstrip("/")
        allowed = {self.base_url, ctx["base"], "https://management.core.windows.net",
                   "https://management.azure.com"}
        allowed.update(ARM_AUDIENCES.get(ctx["host"].lower(), ()))
        if aud not in allowed:
            return cloud_error(401, "InvalidAuthenticationTokenAudience",
                               "The access token has been obtained for wrong audience or resource '%s'. It should "
                               "exactly match with one of the allowed audiences '%s'." % (
                                   rec["aud"], "','".join(sorted(a + "/" for a in allowed))),
                               headers={"WWW-Authenticate": challenge})
        ctx["principal"] = st.principals[rec["principal"]]
        return None

    # -- throttling ------------------------------------------------------------------------
    def _bucket(self, key, capacity, per_sec, policy):
        st = self.state
        b = st.buckets.get(key)
        if b is None:
            ov = st.throttle_overrides.get(policy)
            if ov:
                b = TokenBucket(max(1.0, float(ov.get("capacity", capacity))),
                                float(ov.get("refill_per_second", per_sec)))
            else:
                scale = st.throttle_scale
                rscale = scale if st.throttle_refill_scale is None else float(st.throttle_refill_scale)
                b = TokenBucket(max(1.0, math.floor(capacity * scale)), per_sec * rscale)
            st.buckets[key] = b
        return b

    def _arm_throttle(self, ctx, extra, sub):
        st = self.state
        write = ctx["method"] in ("POST", "PUT", "PATCH")
        kind = "writes" if write else "reads"
        cap, rate = (200, 10.0) if write else (250, 25.0)
        principal = ctx["principal"]
        key = ("arm", (sub or principal["tenant"]).lower(), principal["object_id"], kind)
        now = time.monotonic()
        with self.lock:
            b = self._bucket(key, cap, rate, "arm_" + kind)
            ok, wait = b.take(now) if st.throttle_enabled else (True, 0)
            extra["x-ms-ratelimit-remaining-%s-%s" % ("subscription" if sub else "tenant", kind)] = \
                str(b.remaining() if st.throttle_enabled else cap - 1)
        if ok:
            return None
        secs = max(1, int(math.ceil(wait)))
        return cloud_error(429, "SubscriptionRequestsThrottled" if sub else "TenantRequestsThrottled",
                           "Number of '%s' requests for subscription '%s' actor '%s' exceeded. Please try again "
                           "after '%d' seconds after additional tokens are available. Refer to "
                           "https://aka.ms/arm-throttling for additional information." % (
                               "read" if kind == "reads" else "write", sub, principal["object_id"], secs),
                           headers={"Retry-After": str(secs)})

    def _compute_throttle(self, ctx, extra, vmss, inst):
        st = self.state
        pol = ROUTE_POLICY.get(ctx["route"])
        if pol is None:
            return None
        name, rcap, rrate, scap, srate = COMPUTE_POLICIES[pol]
        sub = vmss.rg.sub.lower()
        resource = (inst.vmss.id + "/virtualMachines/" + inst.id) if inst is not None else vmss.id
        # UNVERIFIED: the per-resource bucket of the scale-set-VM policy is keyed by the VM (not the
        # scale set), so a fleet walk with one GET per VM is limited by the subscription bucket.
        now = time.monotonic()
        parts, fails = [], []
        with self.lock:
            if rcap is not None:
                b = self._bucket(("cmp", pol, resource.lower()), rcap, rrate / 60.0, pol)
                ok, wait = b.take(now) if st.throttle_enabled else (True, 0)
                parts.append("Microsoft.Compute/%s3Min;%d" % (name, b.remaining() if st.throttle_enabled else rcap))
                if not ok:
                    fails.append(("%s3Min" % name, wait, rcap))
            b = self._bucket(("cmp", pol, sub), scap, srate / 60.0, pol)
            ok, wait = b.take(now) if st.throttle_enabled else (True, 0)
            parts.append("Microsoft.Compute/%s30Min;%d" % (name, b.remaining() if st.throttle_enabled else scap))
            if not ok:
                fails.append(("%s30Min" % name, wait, scap))
        extra["x-ms-ratelimit-remaining-resource"] = ",".join(parts)
        if not fails:
            return None
        group, wait, allowed = max(fails, key=lambda f: f[1])
        secs = max(1, int(math.ceil(wait)))
        t = time.time()
        details = [{"code": "TooManyRequests", "target": group,
                    "message": json.dumps({"operationGroup": group, "startTime": iso(t - 180),
                                           "endTime": iso(t), "allowedRequestCount": allowed,
                                           "measuredRequestCount": allowed + 1}, separators=(",", ":"))}]
        # UNVERIFIED: Microsoft's throttling doc shows this Compute body without the "error"
        # wrapper; every other Compute error is a CloudError, so it is wrapped here.
        return cloud_error(429, "OperationNotAllowed", "The server rejected the request because too many "
                           "requests have been received for this subscription.", details=details,
                           headers={"Retry-After": str(secs)})

    # -- bodies ----------------------------------------------------------------------------
    def _subscription_body(self, s):
        return {"id": "/subscriptions/" + s["id"], "authorizationSource": "RoleBased", "managedByTenants": [],
                "subscriptionId": s["id"], "tenantId": s["tenant"], "displayName": s["display_name"],
                "state": s["state"], "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                                              "quotaId": "PayAsYouGo_2014-09-01",
                                                              "spendingLimit": "Off"}}

    def _subscriptions_list(self, ctx):
        p = ctx["principal"]
        subs = [self._subscription_body(s) for k, s in self.state.subscriptions.items() if k in p["subscriptions"]]
        return Resp(200, {"value": subs, "count": {"type": "Total", "value": len(subs)}})

    def _vmss_body(self, v):
        policy = {"mode": v.upgrade_mode}
        if v.upgrade_mode == "Rolling":
            policy["rollingUpgradePolicy"] = dict(v.rolling_policy)
        if v.automatic_os_upgrade:
            policy["automaticOSUpgradePolicy"] = {"enableAutomaticOSUpgrade": True,
                                                  "disableAutomaticRollback": False}
        props = {
            "singlePlacementGroup": False, "orchestrationMode": "Uniform", "upgradePolicy": policy,
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
            "provisioningState": "Succeeded", "overprovision": False, "uniqueId": v.unique_id,
            "platformFaultDomainCount": 1 if v.zones else 5, "timeCreated": iso(self.state.t0 - 60 * 86400),
        }
        if v.health_signal:
            props["virtualMachineProfile"]["extensionProfile"] = {"extensions": [{
                "name": "HealthExtension", "properties": {
                    "publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                    "typeHandlerVersion": "2.0", "autoUpgradeMinorVersion": True,
                    "settings": {"protocol": "http", "port": 80, "requestPath": "/health"}}}]}
        body = {"id": v.id, "name": v.name, "type": VMSS_TYPE, "location": v.location,
                "sku": dict(v.sku), "properties": props}
        if v.zones:
            body["zones"] = list(v.zones)
        return body

    def _power_and_health(self, i, now):
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

    def _settle(self, i, now):
        """Apply the end of a finished maintenance to the stored state (lazily, on read)."""
        if i.op is not None and now >= i.op_end:
            op_end = i.op_end
            if i.op_fails:
                if i.maint is not None:
                    i.maint["result"] = "MaintenanceAborted"
                    i.maint["message"] = "Maintenance was aborted; the VM remains eligible and may be retried."
                    i.maint["allowed"] = True
                i.power = "running"
                if i.vmss.health_signal:
                    i.recover_at = op_end + i.recovery * self.time_scale
                    i.health_after = i.health if i.health not in (None, "unknown") else "healthy"
            else:
                if i.maint is not None:
                    i.maint["result"] = "MaintenanceCompleted"
                    i.maint["message"] = None
                    i.maint["allowed"] = False
                i.power = "running"
                if i.vmss.health_signal:
                    i.recover_at = op_end + i.recovery * self.time_scale
                    i.health_after = "healthy" if i.recovers else "unhealthy"
            i.op = None
        if i.recover_at is not None and now >= i.recover_at and i.op is None:
            i.health = i.health_after
            i.recover_at = None

    def _instance_view(self, i, now, statuses_filter=None):
        v = i.vmss
        power, health, prov = self._power_and_health(i, now)
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
            "computerName": i.computer_name or "%s%06x" % (v.name[:9], int(i.id)),
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
        if i.maint is not None:
            m = i.maint
            mrs = {"isCustomerInitiatedMaintenanceAllowed": bool(m["allowed"]),
                   "preMaintenanceWindowStartTime": iso(m["pre_start"]),
                   "preMaintenanceWindowEndTime": iso(m["pre_end"]),
                   "maintenanceWindowStartTime": iso(m["start"]),
                   "maintenanceWindowEndTime": iso(m["end"]),
                   "lastOperationResultCode": m["result"] or "None"}
            if m.get("message"):
                mrs["lastOperationMessage"] = m["message"]
            view["maintenanceRedeployStatus"] = mrs
        if v.health_signal and health:
            lvl, disp = HEALTH_DISPLAY.get(health, ("Info", health))
            view["vmHealth"] = {"status": {"code": "HealthState/%s" % health, "level": lvl, "displayStatus": disp}}
        view["statuses"] = statuses
        return view

    def _vm_body(self, i, now, expand=False, select=None, statuses_filter=None):
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
            "osProfile": {"computerName": i.computer_name or "%s%06x" % (v.name[:9], int(i.id)),
                          "adminUsername": "azureuser",
                          "linuxConfiguration": {"disablePasswordAuthentication": True,
                                                 "provisionVMAgent": True},
                          "secrets": [], "allowExtensionOperations": True, "requireGuestProvisionSignal": True},
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]},
            "provisioningState": "Updating" if (i.op is not None and now < i.op_end) else "Succeeded",
            "timeCreated": iso(i.created),
        }
        if expand:
            props["instanceView"] = self._instance_view(i, now, statuses_filter)
        if select is not None:
            keep = {s.split("/")[0].strip().lower() for s in select.split(",") if s.strip()}
            props = {k: val for k, val in props.items() if k.lower() in keep}
            if "instanceview" in keep and "instanceView" not in props:
                props["instanceView"] = self._instance_view(i, now, statuses_filter)
            sub_sel = [s.strip().split("/", 1)[1] for s in select.split(",") if "/" in s]
            if sub_sel and "instanceView" in props:
                iv = props["instanceView"]
                props["instanceView"] = {k: val for k, val in iv.items() if k in sub_sel}
        body = {"id": "%s/virtualMachines/%s" % (v.id, i.id), "name": i.name, "type": VM_TYPE,
                "location": v.location, "instanceId": i.id}
        if i.zone is not None:
            body["zones"] = [i.zone]
        body["sku"] = {"name": v.sku.get("name"), "tier": v.sku.get("tier")}
        body["properties"] = props
        return body

    def _vmss_instance_view(self, v, now):
        counts = {}
        for i in v.instances.values():
            power, _unused, _unused = self._power_and_health(i, now)
            code = "PowerState/%s" % power
            counts[code] = counts.get(code, 0) + 1
        statuses = [{"code": "ProvisioningState/succeeded", "count": len(v.instances)}] + [
            {"code": c, "count": n} for c, n in sorted(counts.items())]
        body = {"virtualMachine": {"statusesSummary": statuses},
                "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info",
                              "displayStatus": "Provisioning succeeded", "time": iso(self.state.t0)}]}
        if v.health_signal:
            ext = {}
            for i in v.instances.values():
                _unused, health, _unused = self._power_and_health(i, now)
                if health:
                    k = "HealthState/%s" % health
                    ext[k] = ext.get(k, 0) + 1
            body["extensions"] = [{"name": "HealthExtension", "statusesSummary": [
                {"code": c, "count": n} for c, n in sorted(ext.items())]}]
        return body

    def _rolling_latest(self, v):
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

    def _page(self, ctx, items, page_size, keep_params=(), build=None):
        tok = ctx["query"].get("$skiptoken")
        offset = 0
        if tok:
            try:
                offset = int(b64url_decode(tok).decode().split(":", 1)[1])
            except (ValueError, IndexError):
                return None, cloud_error(400, "InvalidParameter", "The value of parameter $skiptoken is invalid.",
                                         target="$skiptoken")
        page = items[offset:offset + page_size]
        if build is not None:
            page = [build(x) for x in page]
        body = {"value": page}
        if offset + page_size < len(items):
            nt = b64url("o:%d" % (offset + page_size))
            q = [("api-version", ctx["api_version"])]
            for k in keep_params:
                if k in ctx["query"]:
                    q.append((k, ctx["query"][k]))
            q.append(("$skiptoken", nt))
            body["nextLink"] = "%s%s?%s" % (ctx["base"], ctx["path"],
                                            "&".join("%s=%s" % (k, quote(str(val), safe="")) for k, val in q))
        return body, None

    def _os_history(self, ctx, v):
        items = []
        for h in v.os_history:
            item = copy.deepcopy({k: val for k, val in h.items() if not k.startswith("_")})
            item["location"] = v.location
            items.append(item)
        # UNVERIFIED: newest first (Azure's docs do not state the order).
        body, err = self._page(ctx, items, v.os_page_size)
        return err or Resp(200, body)

    _FILTER_POWER = re.compile(r"^\s*startswith\(\s*instanceView/statuses/code\s*,\s*'([^']*)'\s*\)\s*eq\s*true\s*$",
                               re.I)
    _FILTER_LMA = re.compile(r"^\s*properties/latestModelApplied\s+eq\s+(true|false)\s*$", re.I)

    def _vm_list(self, ctx, v, now):
        q = ctx["query"]
        expand = "instanceview" in (q.get("$expand") or "").lower()
        select = q.get("$select")
        flt = q.get("$filter")
        statuses_filter = None
        insts = list(v.instances.values())
        if flt:
            m1, m2 = self._FILTER_POWER.match(flt), self._FILTER_LMA.match(flt)
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
        body, err = self._page(ctx, insts, v.vm_page_size, keep_params=("$expand", "$select", "$filter"),
                               build=lambda i: self._vm_body(i, now, expand=expand, select=select,
                                                             statuses_filter=statuses_filter))
        return err or Resp(200, body)

    # -- perform maintenance ---------------------------------------------------------------
    def _perform_maintenance(self, ctx, v, one, now):
        body = ctx["body"]
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
            if i.maint is None or not i.maint["allowed"]:
                return cloud_error(409, "OperationNotAllowed", "Operation 'performMaintenance' is not allowed on "
                                   "VM '%s' since the Subscription of this VM is not eligible." % i.name)
            if i.op is not None and now < i.op_end:
                # UNVERIFIED message: a second maintenance on a VM that is being maintained.
                return cloud_error(409, "OperationNotAllowed", "Operation 'performMaintenance' is not allowed on "
                                   "VM '%s' since another operation is in progress on it." % i.name)
        scale = self.time_scale
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
        op = Operation(op_id, v.rg.sub, v.location, targets, now, end, fails, ctx["api_version"])
        for i in targets:
            i.op = op
        self.state.operations[op_id] = op
        return Resp(202, None, self._lro_headers(ctx, op, v.lro_retry_after))

    def _lro_headers(self, ctx, op, retry_after):
        url = "%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/operations/%s?api-version=%s" % (
            ctx["base"], op.sub, op.location, op.id, quote(ctx["api_version"], safe=""))
        h = {"Azure-AsyncOperation": url, "Location": url + "&monitor=true"}
        h.update(self._retry_after_headers(retry_after))
        return h

    def _retry_after_headers(self, retry_after):
        scaled = retry_after * self.time_scale
        if scaled >= 1 or self.time_scale >= 1:
            return {"Retry-After": str(int(round(scaled)))}
        # Time-scaled below one second: azure-core's polling takes "Retry-After: 0" as absent and then
        # waits its default 30 s, so send the sub-second wait as retry-after-ms instead.
        return {"retry-after-ms": str(max(10, int(scaled * 1000)))}

    def _operation(self, ctx, sub, location, op_id, extra):
        st = self.state
        op = st.operations.get(op_id)
        if op is None or op.sub.lower() != sub.lower():
            return cloud_error(404, "NotFound", "The entity was not found in this Azure location.")
        monitor = str(ctx["query"].get("monitor", "")).lower() == "true"
        if monitor:
            ctx["route"] = "operation_result"
        now = time.time()
        with self.lock:
            for i in op.instances:
                self._settle(i, now)
        retry_after = op.instances[0].vmss.lro_retry_after if op.instances else 1
        done = now >= op.end
        if not done:
            if monitor:
                return Resp(202, None, self._lro_headers(ctx, op, retry_after))
            return Resp(200, {"startTime": iso(op.start), "status": "InProgress", "name": op.id},
                        self._retry_after_headers(retry_after))
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

    # =====================================================================================
    # control API
    def _control(self, method, sub, query, raw):
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return Resp(400, {"error": "body is not JSON"})
        if sub in ("", "/health", "/ping"):
            return Resp(200, {"ok": True, "pid": os.getpid(), "scenario": self.scenario.get("name")})
        if sub == "/connection":
            return Resp(200, self.connection)
        if sub == "/log" and method == "GET":
            since = int(query.get("since", 0) or 0)
            with self.lock:
                entries = [e for e in self._log if e["seq"] > since]
                route = query.get("route")
                if route:
                    entries = [e for e in entries if e["route"] == route]
                return Resp(200, {"entries": entries, "last_seq": self._seq})
        if sub == "/log" and method == "DELETE":
            with self.lock:
                self._log = []
            return Resp(200, {"last_seq": self._seq})
        if sub == "/counters":
            with self.lock:
                if method == "DELETE":
                    self._counters = {}
                return Resp(200, self._counters_body())
        if sub == "/reset" and method == "POST":
            self._reset_state()
            return Resp(200, {"ok": True, "scenario": self.scenario.get("name")})
        if sub == "/load" and method == "POST":
            try:
                sc = load_scenario(body.get("scenario"), body.get("scenario_data"))
            except (OSError, ValueError, yaml.YAMLError) as exc:
                return Resp(400, {"error": str(exc)})
            self._reset_state(sc)
            return Resp(200, {"ok": True, "scenario": sc.get("name"), "connection": self.connection})
        if sub == "/faults":
            with self.lock:
                if method == "DELETE":
                    self.state.faults = []
                elif method == "POST":
                    items = body if isinstance(body, list) else [body]
                    for f in items:
                        self.state.faults.append(normalise_fault(f))
                return Resp(200, {"faults": self.state.faults})
        if sub == "/instances" and method == "POST":
            return self._ctl_instances(body)
        if sub == "/instances" and method == "GET":
            return self._ctl_state(query)
        if sub == "/state" and method == "GET":
            return self._ctl_state(query)
        if sub == "/rolling-upgrade" and method == "POST":
            return self._ctl_rolling(body)
        if sub == "/throttle" and method in ("POST", "GET"):
            if method == "POST":
                return self._ctl_throttle(body)
            return Resp(200, self._throttle_body())
        if sub == "/tokens" and method == "POST":
            return self._ctl_tokens(body)
        if sub == "/operations" and method == "GET":
            now = time.time()
            with self.lock:
                ops = [{"name": o.id, "instances": [i.id for i in o.instances], "start": iso(o.start),
                        "end": iso(o.end), "done": now >= o.end, "fails": o.fails}
                       for o in self.state.operations.values()]
            return Resp(200, {"operations": ops})
        return Resp(404, {"error": "unknown control endpoint %s %s" % (method, sub)})

    def _ctl_find(self, body):
        st = self.state
        name = body.get("scale_set") or body.get("vmss")
        if not name:
            return None, Resp(400, {"error": "scale_set is required"})
        v = st.find_vmss(body.get("resource_group"), name, body.get("subscription"))
        if v is None:
            return None, Resp(404, {"error": "scale set %s not found" % name})
        return v, None

    def _ctl_instances(self, body):
        v, err = self._ctl_find(body)
        if err:
            return err
        ids = body.get("instance_ids")
        if ids is None:
            ids = [body.get("instance_id")]
        now = time.time()
        out = []
        with self.lock:
            for iid in ids:
                i = v.instances.get(str(iid))
                if i is None:
                    return Resp(404, {"error": "instance %s not found" % iid})
                self._settle(i, now)
                ov = dict(body)
                if "health" in ov:
                    i.recover_at = None
                self.state._apply_overrides(i, ov)
                if "maintenance" in body:
                    m = body["maintenance"]
                    if m is None:
                        i.maint = None
                    else:
                        if i.maint is None:
                            t0 = time.time()
                            i.maint = {"allowed": True, "pre_start": t0 - 86400, "pre_end": t0 + 13 * 86400,
                                       "start": t0 + 14 * 86400, "end": t0 + 21 * 86400, "result": "None",
                                       "message": None}
                        keymap = {"isCustomerInitiatedMaintenanceAllowed": "allowed", "eligible": "allowed",
                                  "allowed": "allowed", "lastOperationResultCode": "result", "last_result": "result",
                                  "lastOperationMessage": "message", "last_message": "message",
                                  "preMaintenanceWindowStartTime": "pre_start", "pre_start": "pre_start",
                                  "preMaintenanceWindowEndTime": "pre_end", "pre_end": "pre_end",
                                  "maintenanceWindowStartTime": "start", "start": "start",
                                  "maintenanceWindowEndTime": "end", "end": "end"}
                        for k, val in m.items():
                            if k in keymap:
                                key = keymap[k]
                                if key in ("pre_start", "pre_end", "start", "end"):
                                    val = abs_time(val, time.time())
                                i.maint[key] = val
                if "eligible" in body and i.maint is not None:
                    i.maint["allowed"] = bool(body["eligible"])
                out.append(self._vm_body(i, now, expand=True))
        return Resp(200, {"instances": out})

    def _ctl_state(self, query):
        st = self.state
        now = time.time()
        rgs = []
        with self.lock:
            for (sub, _unused), rg in st.resource_groups.items():
                sets = []
                for v in rg.scale_sets.values():
                    insts = []
                    for i in v.instances.values():
                        self._settle(i, now)
                        power, health, _unused = self._power_and_health(i, now)
                        insts.append({"instance_id": i.id, "zone": i.zone, "power_state": power, "health": health,
                                      "in_wave": i.maint is not None,
                                      "eligible": bool(i.maint and i.maint["allowed"]),
                                      "last_result": i.maint["result"] if i.maint else None,
                                      "under_maintenance": i.op is not None})
                    sets.append({"name": v.name, "location": v.location, "zones": v.zones,
                                 "health_signal": v.health_signal,
                                 "rolling_upgrade": v.rolling["code"] if v.rolling else None,
                                 "os_upgrade_history": len(v.os_history), "vm_page_size": v.vm_page_size,
                                 "os_history_page_size": v.os_page_size, "instances": insts})
                rgs.append({"subscription": rg.sub, "name": rg.name, "location": rg.location, "scale_sets": sets})
        return Resp(200, {"scenario": self.scenario.get("name"), "time_scale": self.time_scale,
                          "resource_groups": rgs})

    def _ctl_rolling(self, body):
        v, err = self._ctl_find(body)
        if err:
            return err
        with self.lock:
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
            v.rolling = self.state._rolling(spec, time.time())
            if keep_start:
                v.rolling["start"] = keep_start
            v.rolling["last_action_time"] = time.time()
        return Resp(200, {"rolling_upgrade": self._rolling_latest(v).body})

    def _ctl_throttle(self, body):
        st = self.state
        with self.lock:
            if "scale" in body:
                st.throttle_scale = float(body["scale"])
            if "enabled" in body:
                st.throttle_enabled = bool(body["enabled"])
            if "refill_scale" in body:
                st.throttle_refill_scale = body["refill_scale"]
            if "overrides" in body:
                st.throttle_overrides = dict(body["overrides"] or {})
            st.buckets = {}
        return Resp(200, self._throttle_body())

    def _throttle_body(self):
        st = self.state
        return {"scale": st.throttle_scale, "refill_scale": st.throttle_refill_scale,
                "overrides": st.throttle_overrides, "enabled": st.throttle_enabled}

    def _ctl_tokens(self, body):
        st = self.state
        with self.lock:
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
