"""The ARM request pipeline every Resource Manager route passes, in ARM's order: authentication,
api-version, subscription, RBAC, ARM throttling, then the resource the route's scope names (resource
group, scale set, scale-set VM; each answers its own 404), Compute throttling, and the handler. Also
the subscription and resource-group routes and ARM paging.

A route's `scope` (routes.py) says how far the pipeline resolves before calling the handler:
    None             authentication only (unknown path, wrong method)
    "tenant"         + api-version (GET /subscriptions)
    "subscription"   + subscription, RBAC, ARM throttling              -> req.sub
    "resource_group" + the resource group                               -> req.rg
    "scale_set"      + the scale set                                    -> req.vmss
    "scale_set_vm"   + one of its VMs                                   -> req.inst
    "virtual_machine" + a VM of the resource group (a Flexible scale set's) -> req.inst, req.vmss
A new resource kind is one resolver function and one entry in SCOPES. A route marked uniform_only
(the scale-set VM APIs) answers Azure's refusal on a Flexible scale set, after Compute throttling.
"""

import re
from urllib.parse import quote

from . import aad, throttling
from .lro import settle_scale_set
from .wire import VIRTUAL_MACHINE_TYPE, VMSS_TYPE, Resp, b64url, b64url_decode, cloud_error, is_guid


def arm_request(sim, req, route):
    """Run req through the pipeline up to route.scope, then route.handler(sim, req)."""
    err = aad.authenticate(sim, req)
    if err is not None:
        return err
    if route.scope is None:
        return route.handler(sim, req)
    req.api_version = next((v for k, v in req.query.items() if k.lower() == "api-version"), None)
    if not req.api_version:
        return cloud_error(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
    if route.scope == "tenant":
        # the tenant-level bucket is charged and reported in the headers, but its 429 is not answered
        throttling.arm_throttle(sim, req, None)
        return route.handler(sim, req)
    err = _subscription(sim, req) or _authorize(req, route) or throttling.arm_throttle(sim, req, req.sub)
    if err is not None:
        return err
    for resolve in SCOPES[route.scope]:
        err = resolve(sim, req, route)
        if err is not None:
            return err
    if route.policy is not None:
        err = throttling.compute_throttle(sim, req, route.policy)
        if err is not None:
            return err
    if req.vmss is None:
        return route.handler(sim, req)
    if route.uniform_only and req.vmss.flexible:
        from .virtual_machines import refusal
        return refusal(req, route.uniform_only)
    with sim.lock:
        req.now = sim.now()
        settle_scale_set(sim, req.vmss, req.now)
        return route.handler(sim, req)


def _subscription(sim, req):
    sub = req.params["sub"]
    if not is_guid(sub):
        return cloud_error(400, "InvalidSubscriptionId",
                           "The provided subscription identifier '%s' is malformed or invalid." % sub)
    if sub.lower() not in sim.state.subscriptions:
        return cloud_error(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % sub)
    req.sub = sub
    return None


def _authorize(req, route):
    """RBAC: the principal needs the subscription; a Reader gets only */read actions."""
    principal = req.principal
    scope = re.sub(r"/performmaintenance/?$", "", req.path.rstrip("/"), flags=re.I)
    action = route.action or "Microsoft.Resources/read"
    allowed = req.sub.lower() in principal["subscriptions"]
    if allowed and not action.endswith("/read") and principal["role"] == "Reader":
        allowed = False
    if allowed:
        return None
    who = principal.get("client_id") or principal.get("username")
    return cloud_error(403, "AuthorizationFailed",
                       "The client '%s' with object id '%s' does not have authorization to perform "
                       "action '%s' over scope '%s' or the scope is invalid. If access was recently "
                       "granted, please refresh your credentials." % (who, principal["object_id"],
                                                                      action, scope))


def _resource_group(sim, req, route):
    name = req.params["rg"]
    req.rg = sim.state.rg(req.sub, name)
    if req.rg is None:
        return cloud_error(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % name)
    return None


def _scale_set(sim, req, route):
    name = req.params["vmss"]
    req.vmss = req.rg.scale_sets.get(name.lower())
    if req.vmss is not None:
        return None
    if route.addresses != "vmss":
        # arm-facts: sub-resources of a missing scale set have answered 404 NotFound
        return cloud_error(404, "NotFound", "The Resource '%s/%s' under resource group '%s' was "
                           "not found." % (VMSS_TYPE, name, req.params["rg"]))
    return cloud_error(404, "ResourceNotFound", "The Resource '%s/%s' under resource group '%s' was "
                       "not found. For more details please go to "
                       "https://aka.ms/ARMResourceNotFoundFix" % (VMSS_TYPE, name, req.params["rg"]))


def _scale_set_vm(sim, req, route):
    iid = req.params["vm"]
    vmss = req.vmss
    if vmss.flexible:
        return None  # refused whatever the id (arm_request), as Azure refuses the API itself
    inst = vmss.instances.get(iid) if re.fullmatch(r"\d+", iid or "") else None
    if inst is None:
        if re.fullmatch(r"\d+", iid or "") and str(int(iid)) in vmss.instances:
            inst = vmss.instances[str(int(iid))]
    if inst is None:
        return cloud_error(404, "NotFound", "The Resource '%s/%s/virtualMachines/%s' under resource "
                           "group '%s' was not found." % (VMSS_TYPE, vmss.name, iid, req.rg.name))
    req.inst = inst
    return None


def _virtual_machine(sim, req, route):
    name = req.params["name"]
    req.inst = req.rg.vms.get(name.lower())
    if req.inst is None:
        code = "ResourceNotFound" if route.addresses == "name" else "NotFound"
        return cloud_error(404, code, "The Resource '%s/%s' under resource group '%s' was not found."
                           % (VIRTUAL_MACHINE_TYPE, name, req.params["rg"]))
    req.vmss = req.inst.vmss
    return None


# scope -> the resolvers run after the subscription checks, in order
SCOPES = {
    "subscription": (),
    "resource_group": (_resource_group,),
    "scale_set": (_resource_group, _scale_set),
    "scale_set_vm": (_resource_group, _scale_set, _scale_set_vm),
    "virtual_machine": (_resource_group, _virtual_machine),
}


# ---------------------------------------------------------------------------------------------
# routes

def not_found(sim, req):
    return cloud_error(404, "NotFound", "The requested path '%s' is not served by the ARM "
                                        "simulator." % req.path)


def method_not_allowed(sim, req):
    return cloud_error(405, "MethodNotAllowed",
                       "The requested resource does not support http method '%s'." % req.method)


def subscription_body(s):
    return {"id": "/subscriptions/" + s["id"], "authorizationSource": "RoleBased", "managedByTenants": [],
            "subscriptionId": s["id"], "tenantId": s["tenant"], "displayName": s["display_name"],
            "state": s["state"], "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                                          "quotaId": "PayAsYouGo_2014-09-01",
                                                          "spendingLimit": "Off"}}


def subscriptions(sim, req):
    p = req.principal
    subs = [subscription_body(s) for k, s in sim.state.subscriptions.items() if k in p["subscriptions"]]
    return Resp(200, {"value": subs, "count": {"type": "Total", "value": len(subs)}})


def subscription_get(sim, req):
    return Resp(200, subscription_body(sim.state.subscriptions[req.sub.lower()]))


def resource_group_get(sim, req):
    rg = req.rg
    return Resp(200, {"id": "/subscriptions/%s/resourceGroups/%s" % (rg.sub, rg.name), "name": rg.name,
                      "type": "Microsoft.Resources/resourceGroups", "location": rg.location,
                      "properties": {"provisioningState": "Succeeded"}})


def paginate(req, items, page_size, keep_params=(), build=None, token="$skiptoken"):
    """(body, None) with one page of items and an absolute nextLink (api-version, keep_params and
    the continuation token, query parameter `token`), or (None, 400) for a bad token."""
    tok = req.query.get(token)
    offset = 0
    if tok:
        try:
            offset = int(b64url_decode(tok).decode().split(":", 1)[1])
        except (ValueError, IndexError):
            return None, cloud_error(400, "InvalidParameter", "The value of parameter %s is invalid." % token,
                                     target=token)
    page = items[offset:offset + page_size]
    if build is not None:
        page = [build(x) for x in page]
    body = {"value": page}
    if offset + page_size < len(items):
        nt = b64url("o:%d" % (offset + page_size))
        q = [("api-version", req.api_version)]
        for k in keep_params:
            if k in req.query:
                q.append((k, req.query[k]))
        q.append((token, nt))
        body["nextLink"] = "%s%s?%s" % (req.base, req.path,
                                        "&".join("%s=%s" % (k, quote(str(val), safe="")) for k, val in q))
    return body, None
