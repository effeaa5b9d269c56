"""Drive the simulator with the real azure-identity / azure-mgmt-compute SDKs over HTTPS.

Run: /tmp/v/bin/python -m pytest tests/simulator -q
"""

import json
import os
import subprocess
import sys
import threading
import time

import pytest
import requests
from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                   ResourceNotFoundError)
from azure.identity import CertificateCredential, ClientSecretCredential
from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceIDs

from conftest import HERE, make_client

RG = "rg-sim"
SUB = "22222222-2222-4222-8222-222222222222"
API = "2026-04-01"


def arm(sim, method, path, token=None, params=None, body=None, headers=None, raw=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if params is None:
        params = {"api-version": API}
    url = path if path.startswith("https://") else sim.base_url + path
    return requests.request(method, url, params=params, json=body, data=raw, headers=h, verify=sim.ca_bundle,
                            timeout=10)


def vmss_path(name, suffix=""):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s%s" % (
        SUB, RG, name, suffix)


def ids_of(model_iter):
    return [vm.instance_id for vm in model_iter]


# ----------------------------------------------------------------------------------------------
# cloud metadata and Azure AD

def test_metadata_endpoints_both_shapes(sim):
    new = arm(sim, "GET", "/metadata/endpoints", params={"api-version": "2022-09-01"})
    assert new.status_code == 200
    clouds = new.json()
    assert isinstance(clouds, list) and clouds[0]["resourceManager"] == sim.base_url + "/"
    auth = clouds[0]["authentication"]
    assert auth["loginEndpoint"] == sim.base_url + "/"
    assert sim.base_url + "/" in auth["audiences"] and auth["identityProvider"] == "AAD"
    old = arm(sim, "GET", "/metadata/endpoints", params={"api-version": "2015-01-01"}).json()
    assert old["authentication"]["loginEndpoint"] == sim.base_url + "/"
    assert "galleryEndpoint" in old and "graphEndpoint" in old


def test_openid_configuration_and_instance_discovery(sim):
    t = sim.connection["tenant"]
    for path in ("/%s/v2.0/.well-known/openid-configuration" % t, "/%s/.well-known/openid-configuration" % t):
        r = arm(sim, "GET", path, params={})
        assert r.status_code == 200
        assert r.json()["token_endpoint"].startswith(sim.base_url + "/" + t + "/oauth2/")
    bad = arm(sim, "GET", "/00000000-0000-4000-8000-00000000dead/v2.0/.well-known/openid-configuration", params={})
    assert bad.status_code == 400 and "AADSTS90002" in bad.json()["error_description"]
    d = arm(sim, "GET", "/common/discovery/instance",
            params={"api-version": "1.1", "authorization_endpoint": sim.base_url + "/%s/oauth2/v2.0/authorize" % t})
    assert d.json()["tenant_discovery_endpoint"].endswith("/%s/v2.0/.well-known/openid-configuration" % t)


def test_client_secret_credential_token(sim, credential):
    tok = credential.get_token(sim.base_url + "/.default")
    assert tok.token and tok.expires_on > time.time() + 3000
    entries = [e for e in sim.log if e["route"] == "token"]
    if entries:  # the session credential may have fetched its token in an earlier test
        assert entries[-1]["body"]["client_secret"] == "***"


def test_wrong_secret_is_client_authentication_error(sim):
    c = sim.connection
    cred = ClientSecretCredential(c["tenant"], c["client_id"], "wrong", authority=sim.base_url,
                                  disable_instance_discovery=True)
    with pytest.raises(ClientAuthenticationError) as ei:
        cred.get_token(sim.base_url + "/.default")
    assert "AADSTS7000215" in str(ei.value)
    assert [e["status"] for e in sim.log if e["route"] == "token"] == [401]


def test_unknown_tenant_and_unknown_client(sim):
    c = sim.connection
    cred = ClientSecretCredential("00000000-0000-4000-8000-00000000dead", c["client_id"], c["secret"],
                                  authority=sim.base_url, disable_instance_discovery=True)
    with pytest.raises(ClientAuthenticationError) as ei:
        cred.get_token(sim.base_url + "/.default")
    # MSAL fails at tenant discovery (openid-configuration answers 400 AADSTS90002) with its own text
    assert "Unable to get authority configuration" in str(ei.value)
    assert [(e["route"], e["status"]) for e in sim.log] == [("openid_config", 400)]
    r = arm(sim, "POST", "/%s/oauth2/v2.0/token" % c["tenant"], params={},
            raw={"grant_type": "client_credentials", "client_id": "aaaaaaaa-0000-4000-8000-0000000000ff",
                 "client_secret": "x", "scope": sim.base_url + "/.default"})
    assert r.status_code == 400 and "AADSTS700016" in r.json()["error_description"]


@pytest.mark.parametrize("encrypted", [False, True])
def test_certificate_credential(sim, encrypted):
    c = sim.connection
    if encrypted:
        cred = CertificateCredential(c["tenant"], c["client_id"], c["client_certificate_encrypted_path"],
                                     password=c["client_certificate_encrypted_password"], authority=sim.base_url,
                                     disable_instance_discovery=True, send_certificate_chain=True)
    else:
        cred = CertificateCredential(c["tenant"], c["client_id"], c["client_certificate_path"],
                                     authority=sim.base_url, disable_instance_discovery=True)
    client = make_client(sim, cred)
    assert client.virtual_machine_scale_sets.get(RG, "vmss-zoned").name == "vmss-zoned"
    tok = [e for e in sim.log if e["route"] == "token"][-1]
    assert tok["status"] == 200 and tok["body"]["client_assertion"] == "***"
    assert [e["principal"] for e in sim.log if e["route"] == "vmss_get"] == ["app"]


def test_certificate_of_another_app_is_rejected(sim):
    c = sim.connection
    other = c["principals"]["certapp"]
    cred = CertificateCredential(c["tenant"], c["client_id"], other["client_certificate_path"],
                                 authority=sim.base_url, disable_instance_discovery=True)
    with pytest.raises(ClientAuthenticationError) as ei:
        cred.get_token(sim.base_url + "/.default")
    assert "AADSTS700027" in str(ei.value)
    good = CertificateCredential(c["tenant"], other["client_id"], other["client_certificate_path"],
                                 authority=sim.base_url, disable_instance_discovery=True)
    assert good.get_token(sim.base_url + "/.default").token


def test_password_grant_ropc(sim):
    u = sim.connection["users"][0]
    r = arm(sim, "POST", "/%s/oauth2/v2.0/token" % u["tenant"], params={},
            raw={"grant_type": "password", "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                 "username": u["username"], "password": u["password"],
                 "scope": sim.base_url + "/.default openid profile offline_access"})
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token_type"] == "Bearer" and tok["id_token"] and tok["refresh_token"]
    sub = arm(sim, "GET", "/subscriptions/" + SUB, token=tok["access_token"])
    assert sub.status_code == 200 and sub.json()["subscriptionId"] == SUB
    bad = arm(sim, "POST", "/%s/oauth2/v2.0/token" % u["tenant"], params={},
              raw={"grant_type": "password", "client_id": "x", "username": u["username"], "password": "nope",
                   "scope": sim.base_url + "/.default"})
    assert bad.status_code == 400 and "AADSTS50126" in bad.json()["error_description"]


# ----------------------------------------------------------------------------------------------
# ARM authentication / authorisation / validation errors

def test_no_token_bad_token_expired_token(sim):
    r = arm(sim, "GET", vmss_path("vmss-zoned"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "AuthenticationFailed"
    assert r.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    r = arm(sim, "GET", vmss_path("vmss-zoned"), token="not-a-token")
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "authorization_uri" in r.headers["WWW-Authenticate"]
    c = sim.connection["principals"]["reader"]
    cred = ClientSecretCredential(c["tenant"], c["client_id"], c["secret"], authority=sim.base_url,
                                  disable_instance_discovery=True)
    t = cred.get_token(sim.base_url + "/.default").token
    assert arm(sim, "GET", vmss_path("vmss-zoned"), token=t).status_code == 200
    sim.expire_tokens(principal="reader")
    r = arm(sim, "GET", vmss_path("vmss-zoned"), token=t)
    assert r.status_code == 401 and r.json()["error"]["code"] == "ExpiredAuthenticationToken"


def test_token_lifetime_control(sim):
    sim.set_token_lifetime(5)
    c = sim.connection
    r = arm(sim, "POST", "/%s/oauth2/v2.0/token" % c["tenant"], params={},
            raw={"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["secret"],
                 "scope": sim.base_url + "/.default"})
    assert r.json()["expires_in"] == 5


def test_wrong_audience_is_rejected(sim):
    c = sim.connection
    r = arm(sim, "POST", "/%s/oauth2/v2.0/token" % c["tenant"], params={},
            raw={"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["secret"],
                 "scope": "https://graph.microsoft.com/.default"})
    g = arm(sim, "GET", vmss_path("vmss-zoned"), token=r.json()["access_token"])
    assert g.status_code == 401 and g.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_forbidden_principal_and_reader_write(sim):
    c = sim.connection["principals"]
    no = ClientSecretCredential(c["noaccess"]["tenant"], c["noaccess"]["client_id"], c["noaccess"]["secret"],
                                authority=sim.base_url, disable_instance_discovery=True)
    with pytest.raises(HttpResponseError) as ei:
        make_client(sim, no).virtual_machine_scale_sets.get(RG, "vmss-zoned")
    assert ei.value.status_code == 403 and ei.value.error.code == "AuthorizationFailed"
    assert "does not have authorization to perform action 'Microsoft.Compute/virtualMachineScaleSets/read'" \
        in ei.value.error.message
    rd = ClientSecretCredential(c["reader"]["tenant"], c["reader"]["client_id"], c["reader"]["secret"],
                                authority=sim.base_url, disable_instance_discovery=True)
    rc = make_client(sim, rd)
    assert rc.virtual_machine_scale_set_vms.get_instance_view(RG, "vmss-zoned", "0").platform_fault_domain == 0
    with pytest.raises(HttpResponseError) as ei:
        rc.virtual_machine_scale_sets.begin_perform_maintenance(
            RG, "vmss-zoned", vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=["0"]))
    assert ei.value.status_code == 403 and "performMaintenance/action" in ei.value.error.message


def test_not_found_kinds(sim, client, token):
    with pytest.raises(ResourceNotFoundError) as ei:
        client.virtual_machine_scale_sets.get("rg-nope", "vmss-zoned")
    assert ei.value.error.code == "ResourceGroupNotFound"
    assert ei.value.error.message == "Resource group 'rg-nope' could not be found."
    with pytest.raises(ResourceNotFoundError) as ei:
        client.virtual_machine_scale_sets.get(RG, "vmss-nope")
    assert ei.value.error.code == "ResourceNotFound"
    assert ("The Resource 'Microsoft.Compute/virtualMachineScaleSets/vmss-nope' under resource group 'rg-sim' "
            "was not found.") in ei.value.error.message
    with pytest.raises(ResourceNotFoundError) as ei:
        client.virtual_machine_scale_set_vms.get_instance_view(RG, "vmss-zoned", "3")
    assert ei.value.error.code == "NotFound"
    with pytest.raises(ResourceNotFoundError) as ei:
        client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "vmss-nope")
    assert ei.value.error.code == "NotFound"
    r = arm(sim, "GET", "/subscriptions/33333333-3333-4333-8333-333333333333/resourceGroups/x", token=token)
    assert r.status_code == 404 and r.json()["error"]["code"] == "SubscriptionNotFound"


def test_missing_api_version(sim, token):
    r = arm(sim, "GET", vmss_path("vmss-zoned"), token=token, params={})
    assert r.status_code == 400 and r.json()["error"]["code"] == "MissingApiVersionParameter"


def test_every_response_has_request_ids_and_ratelimit_headers(sim, token):
    r = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines/0/instanceView"), token=token)
    assert r.status_code == 200
    for h in ("x-ms-request-id", "x-ms-correlation-request-id", "x-ms-ratelimit-remaining-subscription-reads"):
        assert h in r.headers
    assert r.headers["x-ms-ratelimit-remaining-resource"].startswith("Microsoft.Compute/GetVMScaleSetVM3Min;")
    assert "GetVMScaleSetVM30Min;" in r.headers["x-ms-ratelimit-remaining-resource"]
    e = arm(sim, "GET", vmss_path("vmss-nope"), token=token)
    assert e.status_code == 404 and "x-ms-request-id" in e.headers


def test_subscriptions_list_and_get(sim, token):
    r = arm(sim, "GET", "/subscriptions", token=token, params={"api-version": "2022-12-01"})
    assert [s["subscriptionId"] for s in r.json()["value"]] == [SUB]
    assert arm(sim, "GET", "/subscriptions/" + SUB, token=token).json()["state"] == "Enabled"


# ----------------------------------------------------------------------------------------------
# reads

def test_vmss_get_and_instance_view(client):
    v = client.virtual_machine_scale_sets.get(RG, "vmss-zoned")
    assert v.sku.capacity == 5 and v.zones == ["1", "2", "3"]
    assert v.upgrade_policy.mode == "Rolling" and v.upgrade_policy.rolling_upgrade_policy.max_batch_instance_percent
    assert v.orchestration_mode == "Uniform"
    assert client.virtual_machine_scale_sets.get(RG, "vmss-nozones").zones is None
    iv = client.virtual_machine_scale_sets.get_instance_view(RG, "vmss-zoned")
    assert iv.as_dict()["virtualMachine"]["statusesSummary"]


def test_rolling_upgrade_latest(sim, client, token):
    s = client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "vmss-zoned")
    assert s.running_status.code == "Completed" and s.progress.successful_instance_count == 5
    wire = arm(sim, "GET", vmss_path("vmss-zoned", "/rollingUpgrades/latest"), token=token).json()
    assert "id" not in wire and "name" not in wire and set(wire) == {"type", "location", "properties"}
    s = client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "vmss-rolling")
    assert s.running_status.code == "RollingForward" and s.progress.pending_instance_count == 2
    with pytest.raises(ResourceNotFoundError) as ei:
        client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "vmss-nozones")
    assert ei.value.status_code == 404
    sim.set_rolling_upgrade(resource_group=RG, scale_set="vmss-nozones", running_status="RollingForward")
    assert client.virtual_machine_scale_set_rolling_upgrades.get_latest(
        RG, "vmss-nozones").running_status.code == "RollingForward"


def test_os_upgrade_history_paging(sim, client):
    items = list(client.virtual_machine_scale_sets.get_os_upgrade_history(RG, "vmss-zoned"))
    assert len(items) == 5
    assert [i.properties.running_status.code for i in items][:3] == ["Completed", "Completed", "Cancelled"]
    assert items[0].properties.started_by == "User" and items[0].properties.target_image_reference.version
    calls = [e for e in sim.log if e["route"] == "os_upgrade_history"]
    assert len(calls) == 3 and all(c["query"]["api-version"] == API for c in calls)
    assert "$skiptoken" in calls[1]["query"]
    assert list(client.virtual_machine_scale_sets.get_os_upgrade_history(RG, "vmss-nozones")) == []
    faulted = list(client.virtual_machine_scale_sets.get_os_upgrade_history(RG, "vmss-rolling"))[0]
    assert faulted.properties.running_status.code == "Faulted" and faulted.properties.error.code


def test_vm_list_paging_expand_and_numeric_order(sim, client, token):
    vms = list(client.virtual_machine_scale_set_vms.list(RG, "vmss-zoned", expand="instanceView"))
    assert ids_of(vms) == ["0", "1", "2", "5", "10"]
    assert vms[0].zones == ["1"] and vms[4].name == "vmss-zoned_10"
    assert vms[3].instance_view.maintenance_redeploy_status.last_operation_result_code == "RetryLater"
    assert vms[4].instance_view.vm_health.status.code == "HealthState/unhealthy"
    calls = [e for e in sim.log if e["route"] == "vm_list"]
    assert len(calls) == 3 and all(c["query"].get("$expand") == "instanceView" for c in calls)
    raw = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines"), token=token).json()
    assert raw["nextLink"].startswith(sim.base_url + "/subscriptions/") and "api-version=" in raw["nextLink"]
    assert "instanceView" not in raw["value"][0]["properties"]
    nz = list(client.virtual_machine_scale_set_vms.list(RG, "vmss-nozones"))
    assert ids_of(nz) == ["0", "1", "3"] and nz[0].zones is None
    assert nz[0].as_dict().get("zones") is None


def test_vm_list_select_and_filter(sim, token):
    r = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines"), token=token,
            params={"api-version": API, "$expand": "instanceView", "$select": "instanceView/statuses",
                    "$filter": "startswith(instanceView/statuses/code, 'PowerState') eq true"}).json()
    iv = r["value"][0]["properties"]["instanceView"]
    assert list(iv) == ["statuses"] and iv["statuses"][0]["code"] == "PowerState/running"
    assert "$filter" in r["nextLink"]
    r = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines"), token=token,
            params={"api-version": API, "$filter": "properties/latestModelApplied eq false"}).json()
    assert r["value"] == []


def test_vm_get_and_instance_view_shapes(client):
    vm = client.virtual_machine_scale_set_vms.get(RG, "vmss-zoned", "10")
    assert vm.storage_profile.os_disk.os_type == "Linux" and vm.os_profile.computer_name
    assert vm.instance_view is None and vm.latest_model_applied is True
    iv = client.virtual_machine_scale_set_vms.get_instance_view(RG, "vmss-zoned", "0")
    mrs = iv.maintenance_redeploy_status
    assert mrs.is_customer_initiated_maintenance_allowed is True and mrs.last_operation_result_code == "None"
    assert mrs.maintenance_window_start_time > mrs.pre_maintenance_window_start_time
    assert iv.vm_health.status.code == "HealthState/healthy"
    assert [s.code for s in iv.statuses] == ["ProvisioningState/succeeded", "PowerState/running"]
    assert iv.platform_update_domain == 0 and iv.platform_fault_domain == 0
    nz = client.virtual_machine_scale_set_vms.get_instance_view(RG, "vmss-nozones", "3")
    assert nz.maintenance_redeploy_status is None and nz.vm_health is None
    assert client.virtual_machine_scale_set_vms.get_instance_view(RG, "vmss-nozones", "1").platform_fault_domain == 1


# ----------------------------------------------------------------------------------------------
# perform maintenance (long-running)

def _iv(client, vmss, iid):
    return client.virtual_machine_scale_set_vms.get_instance_view(RG, vmss, iid)


def _power(iv):
    return [s.code for s in iv.statuses if s.code.startswith("PowerState/")][0]


def test_perform_maintenance_lro_and_state_transitions(sim, client):
    # held, the clock is at the operation's start for the first read however long the POST took to answer
    sim.hold_clock()
    poller = client.virtual_machine_scale_sets.begin_perform_maintenance(
        RG, "vmss-zoned", vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=["0", "10"]))
    post = [e for e in sim.log if e["route"] == "perform_maintenance"][0]
    assert post["status"] == 202 and post["body"] == {"instanceIds": ["0", "10"]}
    iv = _iv(client, "vmss-zoned", "0")
    assert (_power(iv), iv.vm_health.status.code) == ("PowerState/stopping", "HealthState/unknown")
    sim.release_clock()
    seen = set()
    health = set()
    while not poller.done():
        iv = _iv(client, "vmss-zoned", "0")
        seen.add(_power(iv))
        health.add(iv.vm_health.status.code)
        time.sleep(0.03)
    poller.result()
    assert {"PowerState/stopping", "PowerState/stopped"} & seen and "HealthState/unknown" in health
    iv = _iv(client, "vmss-zoned", "0")
    assert iv.maintenance_redeploy_status.last_operation_result_code == "MaintenanceCompleted"
    assert iv.maintenance_redeploy_status.is_customer_initiated_maintenance_allowed is False
    assert _power(iv) == "PowerState/running"
    assert iv.vm_health.status.code in ("HealthState/initializing", "HealthState/healthy")
    time.sleep(30 * 0.01 + 0.1)   # recovery: 30 scenario seconds
    assert _iv(client, "vmss-zoned", "0").vm_health.status.code == "HealthState/healthy"
    assert _iv(client, "vmss-zoned", "10").vm_health.status.code == "HealthState/healthy"
    routes = [e["route"] for e in sim.log]
    assert "operation_status" in routes and "operation_result" in routes
    # untouched VM
    assert _iv(client, "vmss-zoned", "1").maintenance_redeploy_status.last_operation_result_code == "None"


def test_lro_headers_and_location_monitor(sim, token):
    sim.hold_clock()   # in progress until the test moves the clock, however slowly the requests go
    r = arm(sim, "POST", vmss_path("vmss-zoned", "/performMaintenance"), token=token, body={"instanceIds": ["1"]})
    assert r.status_code == 202 and r.content == b""
    aso, loc = r.headers["Azure-AsyncOperation"], r.headers["Location"]
    assert "/providers/Microsoft.Compute/locations/westeurope/operations/" in aso and "api-version=" in aso
    assert loc == aso + "&monitor=true"
    assert "retry-after-ms" in r.headers or "Retry-After" in r.headers
    st = requests.get(aso, headers={"Authorization": "Bearer " + token}, verify=sim.ca_bundle).json()
    assert st["status"] == "InProgress" and "startTime" in st and st["name"] in aso
    m = requests.get(loc, headers={"Authorization": "Bearer " + token}, verify=sim.ca_bundle)
    assert m.status_code == 202
    sim.advance_clock(by=60 * 0.01 + 0.05)   # past the end of its 60 scenario seconds
    m = requests.get(loc, headers={"Authorization": "Bearer " + token}, verify=sim.ca_bundle)
    assert m.status_code == 200 and m.content == b""
    st = requests.get(aso, headers={"Authorization": "Bearer " + token}, verify=sim.ca_bundle).json()
    assert st["status"] == "Succeeded" and "endTime" in st


def test_failed_maintenance_raises_and_stays_eligible(sim, client):
    poller = client.virtual_machine_scale_sets.begin_perform_maintenance(
        RG, "vmss-rolling", vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=["3"]))
    with pytest.raises(HttpResponseError) as ei:
        poller.result()
    assert "Failed" in str(ei.value) or "Maintenance" in str(ei.value)
    mrs = _iv(client, "vmss-rolling", "3").maintenance_redeploy_status
    assert mrs.last_operation_result_code == "MaintenanceAborted"
    assert mrs.is_customer_initiated_maintenance_allowed is True


def test_injected_failure_via_control(sim, client):
    sim.patch_instance(resource_group=RG, scale_set="vmss-zoned", instance_id="1", fail_maintenance=True)
    with pytest.raises(HttpResponseError):
        client.virtual_machine_scale_set_vms.begin_perform_maintenance(RG, "vmss-zoned", "1").result()
    route = [e["route"] for e in sim.log if e["method"] == "POST"]
    assert route == ["vm_perform_maintenance"]


def test_never_recovers(sim, client):
    sim.patch_instance(resource_group=RG, scale_set="vmss-zoned", instance_id="2", never_recovers=True)
    client.virtual_machine_scale_set_vms.begin_perform_maintenance(RG, "vmss-zoned", "2").result()
    time.sleep(30 * 0.01 + 0.1)
    assert _iv(client, "vmss-zoned", "2").vm_health.status.code == "HealthState/unhealthy"


def test_ineligible_is_409(sim, client):
    with pytest.raises(ResourceExistsError) as ei:
        client.virtual_machine_scale_sets.begin_perform_maintenance(
            RG, "vmss-zoned", vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=["0", "5"]))
    assert ei.value.status_code == 409 and ei.value.error.code == "OperationNotAllowed"
    assert ei.value.error.message == ("Operation 'performMaintenance' is not allowed on VM 'vmss-zoned_5' since the "
                                      "Subscription of this VM is not eligible.")
    # nothing started
    assert _iv(client, "vmss-zoned", "0").maintenance_redeploy_status.last_operation_result_code == "None"


def test_unknown_instance_is_400(sim, client):
    with pytest.raises(HttpResponseError) as ei:
        client.virtual_machine_scale_sets.begin_perform_maintenance(
            RG, "vmss-zoned", vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=["7"]))
    assert ei.value.status_code == 400 and ei.value.error.code == "InvalidParameter"
    assert ei.value.error.target == "instanceIds"
    assert "The provided instanceId 7 is not an active Virtual Machine Scale Set VM instanceId." \
        == ei.value.error.message


def test_no_body_or_wrong_key_means_every_instance(sim, client):
    # dict with the python name goes on the wire as instance_ids: ARM reads it as "every VM"
    with pytest.raises(ResourceExistsError) as ei:
        client.virtual_machine_scale_sets.begin_perform_maintenance(
            RG, "vmss-zoned", vm_instance_i_ds={"instance_ids": ["0"]})
    assert "vmss-zoned_5" in ei.value.error.message
    assert [e["body"] for e in sim.log if e["route"] == "perform_maintenance"] == [{"instance_ids": ["0"]}]
    # no body at all on a scale set where every VM is eligible: all four are maintained
    sim.patch_instance(resource_group=RG, scale_set="vmss-rolling", instance_id="3", fail_maintenance=False)
    client.virtual_machine_scale_sets.begin_perform_maintenance(RG, "vmss-rolling").result()
    assert [e["body"] for e in sim.log if e["route"] == "perform_maintenance"][-1] is None
    codes = [_iv(client, "vmss-rolling", i).maintenance_redeploy_status.last_operation_result_code
             for i in ("0", "1", "2", "3")]
    assert codes == ["MaintenanceCompleted"] * 4


def test_second_maintenance_while_running_is_409(sim, token):
    r = arm(sim, "POST", vmss_path("vmss-zoned", "/performMaintenance"), token=token, body={"instanceIds": ["1"]})
    assert r.status_code == 202
    r = arm(sim, "POST", vmss_path("vmss-zoned", "/virtualMachines/1/performMaintenance"), token=token)
    assert r.status_code == 409


# ----------------------------------------------------------------------------------------------
# throttling and faults

def test_429_retry_after_honoured_by_sdk(sim, client):
    # An injected 429: a bucket refilling by the clock answers 429 only if this machine sends quickly enough,
    # and a held one never refills, so the SDK's retry would meet 429 again (the buckets' tests are below)
    sim.set_fault(route="vm_instance_view", error_rate=1.0, error_status=429, retry_after=1, count=1)
    t = time.time()
    iv = _iv(client, "vmss-zoned", "0")   # 429, Retry-After: 1, azure-core waits then succeeds
    assert time.time() - t >= 0.9 and iv.platform_update_domain == 0
    statuses = [e["status"] for e in sim.log if e["route"] == "vm_instance_view"]
    assert statuses == [429, 200]
    c = sim.counters
    assert c["throttled"] == 1 and c["by_route_status"]["vm_instance_view"]["429"] == 1


def test_429_body_and_headers(sim, token):
    sim.set_throttle(overrides={"high_cost_get": {"capacity": 1, "refill_per_second": 0.5}})
    sim.hold_throttle_clock()   # however long the first request takes, the bucket is still empty for the second
    assert arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines"), token=token).status_code == 200
    r = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines"), token=token)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    err = r.json()["error"]
    assert err["code"] == "OperationNotAllowed" and err["details"][0]["code"] == "TooManyRequests"
    assert err["details"][0]["target"].startswith("HighCostGetVMScaleSet")


def test_arm_bucket_refills(sim, token):
    sim.set_throttle(overrides={"arm_reads": {"capacity": 3, "refill_per_second": 5.0}})
    sim.hold_throttle_clock()   # the bucket refills only by what the test moves the clock on
    rem = []
    for _unused in range(3):
        r = arm(sim, "GET", "/subscriptions/" + SUB, token=token)
        rem.append(int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]))
    assert rem == [2, 1, 0]
    r = arm(sim, "GET", "/subscriptions/" + SUB, token=token)
    assert r.status_code == 429 and r.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert arm(sim, "GET", "/subscriptions/" + SUB, token=token).status_code == 429, "still empty while held"
    sim.hold_throttle_clock(advance=0.45)   # 2.25 tokens at 5 per second
    rem = []
    for _unused in range(2):
        r = arm(sim, "GET", "/subscriptions/" + SUB, token=token)
        rem.append((r.status_code, int(r.headers["x-ms-ratelimit-remaining-subscription-reads"])))
    assert rem == [(200, 1), (200, 0)]
    assert arm(sim, "GET", "/subscriptions/" + SUB, token=token).status_code == 429
    sim.release_throttle_clock()
    sim.set_throttle(enabled=False)
    assert all(arm(sim, "GET", "/subscriptions/" + SUB, token=token).status_code == 200 for _unused in range(5))


def test_fault_error_then_retry(sim, client):
    sim.set_fault(route="vmss_get", error_rate=1.0, error_status=503, count=1, retry_after=0)
    assert client.virtual_machine_scale_sets.get(RG, "vmss-zoned").name == "vmss-zoned"
    assert [e["status"] for e in sim.log if e["route"] == "vmss_get"] == [503, 200]


def test_fault_drop_connection_then_retry(sim, client):
    sim.set_fault(route="vm_get", drop_rate=1.0, count=1)
    assert client.virtual_machine_scale_set_vms.get(RG, "vmss-zoned", "0").instance_id == "0"
    assert [e["status"] for e in sim.log if e["route"] == "vm_get"] == [0, 200]
    assert sim.counters["dropped"] == 1


def test_fault_latency(sim, client):
    sim.set_fault(route="*", latency_ms=150, jitter_ms=0, count=1)
    t = time.time()
    client.virtual_machine_scale_sets.get(RG, "vmss-zoned")
    assert time.time() - t >= 0.14


# ----------------------------------------------------------------------------------------------
# control API over HTTPS (what ansible.builtin.uri uses)

def test_control_api(sim, token):
    ctl = sim.control_url
    v = sim.ca_bundle
    arm(sim, "GET", vmss_path("vmss-zoned"), token=token)
    log = requests.get(ctl + "/log", params={"since": 0}, verify=v).json()
    assert log["last_seq"] >= 1 and log["entries"][-1]["route"] == "vmss_get"
    e = log["entries"][-1]
    assert set(e) >= {"seq", "time", "method", "host", "path", "query", "status", "latency_ms", "principal", "body"}
    assert requests.get(ctl + "/log", params={"since": log["last_seq"]}, verify=v).json()["entries"] == []
    assert requests.get(ctl + "/counters", verify=v).json()["by_route"]["vmss_get"] == 1
    r = requests.post(ctl + "/instances", json={"resource_group": RG, "scale_set": "vmss-zoned", "instance_id": "1",
                                                "health": "unhealthy", "power_state": "stopped"}, verify=v)
    assert r.status_code == 200
    iv = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines/1/instanceView"), token=token).json()
    assert iv["vmHealth"]["status"]["code"] == "HealthState/unhealthy" and iv["statuses"][1]["code"] == "PowerState/stopped"
    r = requests.post(ctl + "/instances", json={"resource_group": RG, "scale_set": "vmss-zoned", "instance_id": "1",
                                                "maintenance": {"isCustomerInitiatedMaintenanceAllowed": False,
                                                                "lastOperationResultCode": "RetryLater"}}, verify=v)
    iv = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines/1/instanceView"), token=token).json()
    assert iv["maintenanceRedeployStatus"]["lastOperationResultCode"] == "RetryLater"
    r = requests.post(ctl + "/rolling-upgrade", json={"resource_group": RG, "scale_set": "vmss-zoned",
                                                      "running_status": "RollingForward"}, verify=v)
    assert r.json()["rolling_upgrade"]["properties"]["runningStatus"]["code"] == "RollingForward"
    assert requests.post(ctl + "/faults", json={"route": "vm_get", "error_rate": 1, "error_status": 500},
                         verify=v).json()["faults"]
    assert requests.delete(ctl + "/faults", verify=v).json()["faults"] == []
    assert requests.post(ctl + "/throttle", json={"scale": 0.5}, verify=v).json()["scale"] == 0.5
    assert requests.post(ctl + "/reset", verify=v).status_code == 200
    assert requests.get(ctl + "/log", verify=v).json()["entries"] == []
    iv = arm(sim, "GET", vmss_path("vmss-zoned", "/virtualMachines/1/instanceView"), token=token).json()
    assert iv["vmHealth"]["status"]["code"] == "HealthState/healthy"
    st = requests.get(ctl + "/state", verify=v).json()
    names = [s["name"] for s in st["resource_groups"][0]["scale_sets"]]
    assert names == ["vmss-zoned", "vmss-nozones", "vmss-rolling", "vmss-flex"]


def test_control_load_scenario(sim, token):
    v = sim.ca_bundle
    data = {"name": "tiny", "tenant": sim.connection["tenant"],
            "subscriptions": [{"id": SUB}],
            "principals": [{"name": n, "client_id": p["client_id"], "secret": p["secret"],
                            "subscriptions": "all" if n != "noaccess" else []}
                           for n, p in sim.connection["principals"].items() if p["kind"] == "app"],
            "resource_groups": [{"name": "rg-tiny", "scale_sets": [{"name": "one", "instances": {"count": 2}}]}]}
    r = requests.post(sim.control_url + "/load", json={"scenario_data": data}, verify=v)
    assert r.status_code == 200
    r = arm(sim, "GET", "/subscriptions/%s/resourceGroups/rg-tiny/providers/Microsoft.Compute/"
                        "virtualMachineScaleSets/one/virtualMachines" % SUB, token=token)
    assert [x["instanceId"] for x in r.json()["value"]] == ["0", "1"]
    assert requests.post(sim.control_url + "/load", json={"scenario": "basic"}, verify=v).status_code == 200
    assert arm(sim, "GET", vmss_path("vmss-zoned"), token=token).status_code == 200


def test_concurrent_requests(sim, token):
    errors = []

    def worker():
        s = requests.Session()
        for _unused in range(10):
            r = s.get(sim.base_url + vmss_path("vmss-zoned", "/virtualMachines/0"), params={"api-version": API},
                      headers={"Authorization": "Bearer " + token}, verify=sim.ca_bundle)
            if r.status_code != 200:
                errors.append(r.status_code)

    sim.set_throttle(enabled=False)
    ts = [threading.Thread(target=worker) for _unused in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == [] and len([e for e in sim.log if e["route"] == "vm_get"]) == 80


# ----------------------------------------------------------------------------------------------
# the CLI

def test_cli_background_and_stop(tmp_path):
    conn_file = tmp_path / "conn.json"
    env = dict(os.environ)
    command = [sys.executable, os.path.join(HERE, "simulate.py"), "serve", "--scenario", "demo", "--background",
               "--connection-file", str(conn_file), "--state-dir", str(tmp_path / "st"), "--time-scale", "0.1"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert out.returncode == 0, out.stderr
    conn = json.loads(conn_file.read_text())
    for k in ("resource_manager_url", "ca_bundle", "tenant", "client_id", "secret", "subscription_id",
              "client_certificate_path", "client_certificate_password", "control_url", "pid", "users", "principals"):
        assert k in conn
    assert json.loads(out.stdout) == conn
    r = requests.get(conn["control_url"] + "/state", verify=conn["ca_bundle"]).json()
    vmss = r["resource_groups"][0]["scale_sets"][0]
    assert vmss["name"] == "vmss-web" and len(vmss["instances"]) == 12
    command = [sys.executable, os.path.join(HERE, "simulate.py"), "stop", "--connection-file", str(conn_file)]
    stop = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert stop.returncode == 0, stop.stderr
    with pytest.raises(ProcessLookupError):
        os.kill(conn["pid"], 0)


def test_large_scenario_loads_quickly():
    # How quickly is measured, not asserted: a wall-clock bound fails on a busy machine, not on a slow simulator.
    from armsim import Simulator
    with Simulator(scenario="large") as s:
        st = s.state_summary()
        insts = st["resource_groups"][0]["scale_sets"][0]["instances"]
        assert len(insts) == 1000 and all(i["eligible"] for i in insts)


def test_post_429_is_retried_after_retry_after(sim, client):
    client.virtual_machine_scale_set_vms.begin_perform_maintenance(RG, "vmss-zoned", "0").result()
    # injected rather than a bucket's: a bucket refilling by the clock may have refilled by now on a busy machine
    sim.set_fault(route="vm_perform_maintenance", error_rate=1.0, error_status=429, retry_after=1, count=1)
    t = time.time()
    client.virtual_machine_scale_set_vms.begin_perform_maintenance(RG, "vmss-zoned", "1").result()
    assert time.time() - t >= 0.9
    w = [e for e in sim.log if e["route"] == "vm_perform_maintenance"]   # not the sign-in's POST
    assert [(e["path"].split("/")[-2], e["status"]) for e in w] == [("0", 202), ("1", 429), ("1", 202)]
    assert all(e["principal"] == "app" for e in w if e["status"] == 202)   # the injected 429 comes before sign-in checks


def test_log_file_and_global_latency(tmp_path):
    from armsim import Simulator
    lf = tmp_path / "requests.jsonl"
    with Simulator(scenario="basic", latency_ms=20, log_file=str(lf)) as s:
        r = requests.get(s.base_url + "/metadata/endpoints", params={"api-version": "2022-09-01"}, verify=s.ca_bundle)
        assert r.status_code == 200
        # control requests skip the injected delays: a delay fault on every route is left untouched by one
        s.set_fault(route="*", latency_ms=60000, count=1)
        assert requests.get(s.control_url + "/health", verify=s.ca_bundle).status_code == 200
        assert s.state.faults[0]["count"] == 1
        s.clear_faults()
    lines = [json.loads(x) for x in lf.read_text().splitlines()]
    assert [x["route"] for x in lines] == ["metadata"] and lines[0]["latency_ms"] >= 20
