"""The route table: every path the simulator serves, ARM, Azure AD and the control API, as one row
(method, path template, route name, handler, and how the request is processed), and the matching.

Templates are literal paths (matched case-insensitively, one optional trailing "/") with
placeholders: {name} is one path segment, captured into req.params[name]; {name?text} is the
optional literal text, captured as name (None when absent); {?text} is optional and not captured.

Row fields:
    kind    "open"     Azure AD and cloud discovery: no authentication
            "arm"      the ARM pipeline (arm.py) up to `scope`
            "control"  /_sim control API: exact method ("*" = any), not logged, no faults
    scope   ARM only: None | "tenant" | "subscription" | "resource_group" | "scale_set" |
            "scale_set_vm" (see arm.py)
    action  ARM only: the RBAC action named in a 403 (a Reader may only do */read)
    policy  ARM only: the Compute throttling policy charged (throttling.COMPUTE_POLICIES)
    uniform_only  ARM only: the operation name Azure's refusal gives on a Flexible scale set
            ("Operation 'VirtualMachineScaleSets.virtualMachines.GET' is not allowed ...")

The route name is what the request log, the counters and fault injection use.
"""

import re

from . import aad, alerts, arm, compute, control, lro, named_faults, tags, virtual_machines


class Route:
    __slots__ = ("method", "template", "name", "handler", "kind", "scope", "action", "policy", "rx",
                 "addresses", "uniform_only")

    def __init__(self, method, template, name, handler, kind="arm", scope=None, action=None, policy=None,
                 uniform_only=None):
        self.method = method
        self.template = template
        self.name = name
        self.handler = handler
        self.kind = kind
        self.scope = scope
        self.action = action
        self.policy = policy
        self.uniform_only = uniform_only
        self.rx = _compile(template) if template is not None else None
        # the placeholder the path ends with, when it addresses a resource itself (".../{vmss}")
        # rather than a sub-resource: a missing scale set answers ResourceNotFound only there
        last = re.search(r"\{(\w+)\}/?$", template or "")
        self.addresses = last.group(1) if last else None


_PLACEHOLDER = re.compile(r"\{(\w*)(?:\?([^}]*))?\}")


def _compile(template):
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[pos:m.start()]))
        name, optional = m.group(1), m.group(2)
        if optional is None:
            out.append("(?P<%s>[^/]+)" % name)
        elif name:
            out.append("(?P<%s>%s)?" % (name, re.escape(optional)))
        else:
            out.append("(?:%s)?" % re.escape(optional))
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(out) + "/?$", re.I)


SUB = "/subscriptions/{sub}"
RG = SUB + "/resourceGroups/{rg}"
VMSS = RG + "/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}"
VMSS_VM = VMSS + "/virtualMachines/{vm}"
VMS = RG + "/providers/Microsoft.Compute/virtualMachines"
VM = VMS + "/{name}"
_A = "Microsoft.Compute/virtualMachineScaleSets"
_VA = "Microsoft.Compute/virtualMachines"
_OP = "VirtualMachineScaleSets."
TAGS = "/providers/Microsoft.Resources/tags/default"

# First match wins; a path that matches a row of another method answers method_not_allowed (405).
ROUTES = [
    # -- Azure AD and cloud discovery (no authentication)
    Route("GET", "/metadata/endpoints", "metadata", aad.metadata, kind="open"),
    Route("GET", "/common/discovery/instance", "instance_discovery", aad.instance_discovery, kind="open"),
    Route("GET", "/common/userrealm/{user}", "userrealm", aad.userrealm, kind="open"),
    Route("GET", "/{tenant}{v2?/v2.0}/.well-known/openid-configuration", "openid_config", aad.openid_config,
          kind="open"),
    Route("GET", "/{tenant}/discovery{?/v2.0}/keys", "jwks", aad.jwks, kind="open"),
    Route("POST", "/{tenant}/oauth2{v2?/v2.0}/token", "token", aad.token_endpoint, kind="open"),
    # -- Resource Manager
    Route("GET", "/subscriptions", "subscriptions", arm.subscriptions, scope="tenant"),
    Route("GET", SUB, "subscription_get", arm.subscription_get, scope="subscription",
          action="Microsoft.Resources/subscriptions/read"),
    Route("GET", SUB + "/providers/Microsoft.Compute/locations/{location}/operations/{op}", "operation_status",
          lro.operation, scope="subscription", action="Microsoft.Compute/locations/operations/read"),
    # UNVERIFIED: arm-facts names no Compute policy for List All; charged to ARM's subscription reads only
    Route("GET", SUB + "/providers/Microsoft.Compute/virtualMachineScaleSets", "vmss_list_all",
          compute.vmss_list_all, scope="subscription", action=_A + "/read"),
    Route("GET", RG, "resource_group_get", arm.resource_group_get, scope="resource_group",
          action="Microsoft.Resources/subscriptions/resourceGroups/read"),
    Route("GET", RG + "/providers/Microsoft.Compute/virtualMachineScaleSets", "vmss_list", compute.vmss_list,
          scope="resource_group", action=_A + "/read"),
    Route("GET", VMSS, "vmss_get", compute.vmss_get, scope="scale_set", action=_A + "/read",
          policy="low_cost_get"),
    Route("GET", VMSS + "/instanceView", "vmss_instance_view", compute.vmss_instance_view, scope="scale_set",
          action=_A + "/instanceView/read", policy="high_cost_get", uniform_only=_OP + "instanceView.GET"),
    Route("GET", VMSS + "/rollingUpgrades/latest", "rolling_upgrade_latest", compute.rolling_upgrade_latest,
          scope="scale_set", action=_A + "/rollingUpgrades/read", policy="low_cost_get"),
    # UNVERIFIED: Automatic OS image upgrades are Uniform-only (Azure's orchestration modes comparison), and a
    # Flexible scale set is taken to refuse its OS upgrade history like the scale-set VM APIs.
    Route("GET", VMSS + "/osUpgradeHistory", "os_upgrade_history", compute.os_upgrade_history,
          scope="scale_set", action=_A + "/osUpgradeHistory/read", policy="low_cost_get",
          uniform_only=_OP + "osUpgradeHistory.GET"),
    Route("GET", VMSS + "/virtualMachines", "vm_list", compute.vm_list, scope="scale_set",
          action=_A + "/virtualMachines/read", policy="high_cost_get"),  # Flexible: stubs (flexible_stubs.py)
    Route("GET", VMSS_VM, "vm_get", compute.vm_get, scope="scale_set_vm", action=_A + "/virtualMachines/read",
          policy="vm_get", uniform_only=_OP + "virtualMachines.GET"),
    Route("GET", VMSS_VM + "/instanceView", "vm_instance_view", compute.vm_instance_view, scope="scale_set_vm",
          action=_A + "/virtualMachines/instanceView/read", policy="vm_get",
          uniform_only=_OP + "virtualMachines.instanceView.GET"),
    Route("POST", VMSS + "/performMaintenance", "perform_maintenance", lro.perform_maintenance,
          scope="scale_set", action=_A + "/performMaintenance/action", policy="update",
          uniform_only=_OP + "performMaintenance.POST"),
    Route("POST", VMSS_VM + "/performMaintenance", "vm_perform_maintenance", lro.vm_perform_maintenance,
          scope="scale_set_vm", action=_A + "/virtualMachines/performMaintenance/action", policy="update",
          uniform_only=_OP + "virtualMachines.performMaintenance.POST"),
    # -- Virtual Machines: a Flexible scale set's VMs (virtual_machines.py)
    Route("GET", SUB + "/providers/Microsoft.Compute/virtualMachines", "virtual_machine_list_all",
          virtual_machines.virtual_machines_list_all, scope="subscription", action=_VA + "/read",
          policy="vm_high_cost_get"),
    Route("GET", VMS, "virtual_machine_list", virtual_machines.virtual_machines_list, scope="resource_group",
          action=_VA + "/read", policy="vm_high_cost_get"),
    Route("GET", VM, "virtual_machine_get", virtual_machines.virtual_machine_get, scope="virtual_machine",
          action=_VA + "/read", policy="vm_low_cost_get"),
    Route("GET", VM + "/instanceView", "virtual_machine_instance_view", virtual_machines.virtual_machine_instance_view,
          scope="virtual_machine", action=_VA + "/instanceView/read", policy="vm_low_cost_get"),
    Route("POST", VM + "/performMaintenance", "virtual_machine_perform_maintenance",
          virtual_machines.virtual_machine_perform_maintenance, scope="virtual_machine",
          action=_VA + "/performMaintenance/action", policy="vm_update"),
    Route("POST", VMSS + "/setOrchestrationServiceState", "set_orchestration_service_state",
          lro.set_orchestration_service_state, scope="scale_set", action=_A + "/setOrchestrationServiceState/action",
          policy="update"),
    # -- Microsoft.Resources tags at the scale set's scope (not a Compute request: ARM throttling only)
    Route("GET", VMSS + TAGS, "tags_get", tags.tags_get, scope="scale_set", action="Microsoft.Resources/tags/read"),
    Route("PUT", VMSS + TAGS, "tags_put", tags.tags_put, scope="scale_set", action="Microsoft.Resources/tags/write"),
    Route("PATCH", VMSS + TAGS, "tags_patch", tags.tags_patch, scope="scale_set",
          action="Microsoft.Resources/tags/write"),
    Route("DELETE", VMSS + TAGS, "tags_delete", tags.tags_delete, scope="scale_set",
          action="Microsoft.Resources/tags/delete"),
    Route("GET", SUB + "/providers/Microsoft.AlertsManagement/alerts", "alerts_list", alerts.alerts_list,
          scope="subscription", action="Microsoft.AlertsManagement/alerts/read"),
    # -- control API (matched against control_path(): lower case, no trailing "/")
    Route("*", "/_sim", "control", control.health, kind="control"),
    Route("*", "/_sim/health", "control", control.health, kind="control"),
    Route("*", "/_sim/ping", "control", control.health, kind="control"),
    Route("*", "/_sim/connection", "control", control.connection, kind="control"),
    Route("GET", "/_sim/log", "control", control.log_get, kind="control"),
    Route("DELETE", "/_sim/log", "control", control.log_delete, kind="control"),
    Route("*", "/_sim/counters", "control", control.counters, kind="control"),
    Route("POST", "/_sim/reset", "control", control.reset, kind="control"),
    Route("POST", "/_sim/load", "control", control.load, kind="control"),
    Route("*", "/_sim/faults", "control", control.faults, kind="control"),
    Route("*", "/_sim/named-faults", "control", named_faults.control_named_faults, kind="control"),
    Route("POST", "/_sim/instances", "control", control.instances_post, kind="control"),
    Route("GET", "/_sim/instances", "control", control.state_get, kind="control"),
    Route("GET", "/_sim/state", "control", control.state_get, kind="control"),
    Route("POST", "/_sim/rolling-upgrade", "control", control.rolling_upgrade_post, kind="control"),
    Route("POST", "/_sim/scale-set", "control", control.scale_set_post, kind="control"),
    Route("POST", "/_sim/throttle", "control", control.throttle_post, kind="control"),
    Route("GET", "/_sim/throttle", "control", control.throttle_get, kind="control"),
    Route("POST", "/_sim/tokens", "control", control.tokens_post, kind="control"),
    Route("GET", "/_sim/operations", "control", control.operations_get, kind="control"),
    Route("GET", "/_sim/clock", "control", control.clock_get, kind="control"),
    Route("POST", "/_sim/clock", "control", control.clock_post, kind="control"),
    Route("*", "/_sim/alerts", "control", alerts.control_alerts, kind="control"),
    Route("POST", "/_sim/alerts/resolve", "control", alerts.control_resolve, kind="control"),
]

UNKNOWN = Route("*", None, "unknown", arm.not_found)
METHOD_NOT_ALLOWED = Route("*", None, "method_not_allowed", arm.method_not_allowed)
CONTROL_UNKNOWN = Route("*", None, "control", control.unknown, kind="control")

_CONTROL = [r for r in ROUTES if r.kind == "control"]
_SERVED = [r for r in ROUTES if r.kind != "control"]


def is_control(path):
    return path.rstrip("/").lower().startswith("/_sim")


def control_path(path):
    """The path a control row is matched against: trailing slashes dropped, lower case after /_sim."""
    return "/_sim" + path.rstrip("/")[len("/_sim"):].lower()


def match(method, path):
    """(route, params) for a request. Control paths (give them as control_path() returns) match only
    control rows, by exact method; ARM and Azure AD paths match the other rows, HEAD as GET."""
    if is_control(path):
        for r in _CONTROL:
            if r.method in ("*", method) and r.rx.match(path):
                return r, {}
        return CONTROL_UNKNOWN, {}
    other_method = False
    for r in _SERVED:
        mo = r.rx.match(path)
        if mo:
            if r.method == method or (r.method == "GET" and method == "HEAD"):
                return r, mo.groupdict()
            other_method = True
    return (METHOD_NOT_ALLOWED if other_method else UNKNOWN), {}
