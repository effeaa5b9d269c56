"""Azure Monitor alerts (Alerts Management API, 2019-03-01) in the simulator: fired and resolved by the
control API, listed with the API's filters and paging, through requests and azure-core's pipeline."""

import copy
import time

import requests
from azure.core.rest import HttpRequest

from test_simulator import RG, SUB, arm, vmss_path

API = "2019-03-01"
ALERTS = "/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts" % SUB
VMSS_ID = vmss_path("vmss-zoned")


def control(sim, method, path, body=None):
    r = requests.request(method, sim.control_url + path, json=body, verify=sim.ca_bundle, timeout=10)
    return r


def listed(sim, token, **params):
    params.setdefault("api-version", API)
    r = arm(sim, "GET", ALERTS, token=token, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def names(body):
    return sorted(a["name"] for a in body["value"])


def test_fired_alert_has_the_api_shape(sim, token):
    r = control(sim, "POST", "/alerts", {"name": "cpu high", "severity": "Sev1", "resource_group": RG,
                                         "scale_set": "vmss-zoned", "description": "CPU above 90%"})
    assert r.status_code == 200, r.text
    fired = r.json()["alerts"][0]
    body = listed(sim, token)
    assert body["nextLink"] == "" and len(body["value"]) == 1  # as Azure's recorded last page
    a = body["value"][0]
    assert a == fired
    assert a["type"] == "Microsoft.AlertsManagement/alerts" and a["name"] == "cpu high"
    assert a["id"].lower().startswith(VMSS_ID.lower() + "/providers/microsoft.alertsmanagement/alerts/")
    ess = a["properties"]["essentials"]
    assert ess["severity"] == "Sev1" and ess["monitorCondition"] == "Fired" and ess["alertState"] == "New"
    assert ess["targetResource"] == VMSS_ID and ess["targetResourceGroup"] == RG
    assert ess["targetResourceName"] == "vmss-zoned" and ess["description"] == "CPU above 90%"
    assert ess["startDateTime"].endswith("Z") and "monitorConditionResolvedDateTime" not in ess
    assert "context" not in a["properties"]
    assert "context" in listed(sim, token, includeContext="true")["value"][0]["properties"]
    log = [e for e in sim.log if e["route"] == "alerts_list"]
    assert len(log) == 2 and log[0]["status"] == 200


def test_filters(sim, token):
    sim.fire_alert(name="vmss sev1", severity="Sev1", resource_group=RG, scale_set="vmss-zoned")
    sim.fire_alert(name="vmss sev3", severity="Sev3", resource_group=RG, scale_set="vmss-zoned")
    sim.fire_alert(name="vm sev2", severity="Sev2", resource_group=RG, scale_set="vmss-zoned", instance_id=1)
    sim.fire_alert(name="other set", severity="Sev0", resource_group=RG, scale_set="vmss-nozones")
    sim.fire_alert(name="elsewhere", severity="Sev0",
                   target_resource="/subscriptions/%s/resourceGroups/rg-other/providers/"
                                   "Microsoft.Network/loadBalancers/lb1" % SUB)
    sim.fire_alert(name="acked", severity="Sev1", resource_group=RG, scale_set="vmss-zoned",
                   alert_state="Acknowledged")
    assert len(listed(sim, token)["value"]) == 6
    # ARM ids compare case-insensitively
    assert names(listed(sim, token, targetResource=VMSS_ID.lower())) == ["acked", "vmss sev1", "vmss sev3"]
    assert names(listed(sim, token, targetResourceGroup=RG.upper())) == [
        "acked", "other set", "vm sev2", "vmss sev1", "vmss sev3"]
    assert names(listed(sim, token, targetResourceGroup=RG, alertState="New", monitorCondition="Fired")) == [
        "other set", "vm sev2", "vmss sev1", "vmss sev3"]
    assert names(listed(sim, token, targetResourceGroup=RG, severity="Sev1")) == ["acked", "vmss sev1"]
    assert names(listed(sim, token, targetResourceType="loadBalancers")) == ["elsewhere"]
    vm = listed(sim, token, targetResource=VMSS_ID + "/virtualMachines/1")["value"][0]
    assert vm["properties"]["essentials"]["targetResourceName"] == "vmss-zoned_1"


def test_resolve_by_control_api_and_by_time(sim, token):
    sim.fire_alert(name="disk", severity="Sev2", resource_group=RG, scale_set="vmss-zoned")
    # resolve_after is in scenario seconds (time scale 0.01: 30 s -> 0.3 s)
    sim.fire_alert(name="blip", severity="Sev1", resource_group=RG, scale_set="vmss-zoned", resolve_after=30)
    fired = {"monitorCondition": "Fired", "targetResource": VMSS_ID}
    # blip is listed until its 0.3 s are up, which on a busy machine may be before this read: either is right
    assert names(listed(sim, token, **fired)) in (["blip", "disk"], ["disk"])
    r = control(sim, "POST", "/alerts/resolve", {"name": "disk"})
    assert r.status_code == 200 and r.json()["alerts"][0]["properties"]["essentials"]["monitorCondition"] == "Resolved"
    assert names(listed(sim, token, **fired)) in (["blip"], [])
    time.sleep(0.5)
    assert listed(sim, token, **fired)["value"] == []
    resolved = listed(sim, token, monitorCondition="Resolved")["value"]
    assert {a["name"] for a in resolved} == {"blip", "disk"}
    assert all("monitorConditionResolvedDateTime" in a["properties"]["essentials"] for a in resolved)
    assert control(sim, "POST", "/alerts/resolve", {"name": "no such"}).status_code == 404
    # closing an alert (alertState) keeps it Fired but out of alertState=New
    sim.fire_alert(name="noisy", severity="Sev2", resource_group=RG, scale_set="vmss-zoned")
    sim.resolve_alert(name="noisy", alert_state="Closed")
    assert listed(sim, token, alertState="New", monitorCondition="Fired")["value"] == []
    assert names(listed(sim, token, monitorCondition="Fired")) == ["noisy"]
    assert names(listed(sim, token, alertState="Closed")) == ["noisy"]
    assert control(sim, "DELETE", "/alerts").json()["alerts"] == []


def test_resolve_after_reads(sim, token):
    sim.fire_alert(name="held", severity="Sev1", resource_group=RG, scale_set="vmss-zoned", resolve_after_reads=2)
    fired = {"monitorCondition": "Fired", "targetResourceGroup": RG}
    # reads that do not list it (another filter) do not count
    assert listed(sim, token, severity="Sev4")["value"] == []
    assert names(listed(sim, token, **fired)) == ["held"]
    assert names(listed(sim, token, **fired)) == ["held"]
    assert listed(sim, token, **fired)["value"] == []
    ess = listed(sim, token, monitorCondition="Resolved")["value"][0]["properties"]["essentials"]
    assert ess["monitorConditionResolvedDateTime"] >= ess["startDateTime"]
    for bad in (0, "two", True):
        assert control(sim, "POST", "/alerts", {"name": "x", "resource_group": RG, "resolve_after_reads": bad}).status_code == 400


def test_paging_by_next_link_through_the_sdk_pipeline(sim, client, token):
    for n in range(12):
        sim.fire_alert(name="a%02d" % n, severity="Sev2", resource_group=RG, scale_set="vmss-zoned")
    sim.fire_alert(name="resolved", severity="Sev2", resource_group=RG, scale_set="vmss-zoned")
    sim.resolve_alert(name="resolved")
    # the Compute client's own azure-core pipeline (credential, retries, user agent) reads another
    # provider's API: what the collection's alerts_info does
    url = sim.base_url + ALERTS
    seen, pages = [], 0
    req = HttpRequest("GET", url, params={"api-version": API, "monitorCondition": "Fired",
                                          "targetResourceGroup": RG, "pageCount": "5"})
    while req is not None:
        resp = client._client.send_request(req)
        assert resp.status_code == 200, resp.text()
        body = resp.json()
        pages += 1
        seen += [a["name"] for a in body["value"]]
        nxt = body.get("nextLink")
        if nxt:
            assert nxt.startswith(sim.base_url + ALERTS + "?api-version=" + API)
            assert "monitorCondition=Fired" in nxt and "pageCount=5" in nxt and "ctoken=" in nxt
        req = HttpRequest("GET", nxt) if nxt else None
    assert pages == 3 and sorted(seen) == ["a%02d" % n for n in range(12)]
    # default order: lastModifiedDateTime descending; sortBy name ascending
    by_name = listed(sim, token, sortBy="name", pageCount="250", monitorCondition="Fired")
    assert [a["name"] for a in by_name["value"]] == ["a%02d" % n for n in range(12)]
    log = [e for e in sim.log if e["route"] == "alerts_list"]
    assert len(log) == 4 and all(e["status"] == 200 for e in log)


def test_time_range_and_scenario_alerts(sim, token):
    data = copy.deepcopy(sim.scenario)
    data["alerts"] = [
        {"name": "old", "severity": "Sev1", "resource_group": RG, "scale_set": "vmss-zoned", "started": "-2d"},
        {"name": "recent", "severity": "Sev4", "resource_group": RG, "scale_set": "vmss-zoned", "started": "-2h"},
    ]
    original = sim.scenario
    try:
        sim.load(scenario_data=data)
        # timeRange defaults to one day
        assert names(listed(sim, token)) == ["recent"]
        assert names(listed(sim, token, timeRange="7d")) == ["old", "recent"]
        assert names(listed(sim, token, timeRange="1h")) == []
        bad = arm(sim, "GET", ALERTS, token=token, params={"api-version": API, "timeRange": "1d",
                                                           "customTimeRange": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"})
        assert bad.status_code == 400
    finally:
        sim.load(scenario_data=original)
    assert listed(sim, token)["value"] == []


def test_bad_requests_answer_cloud_errors(sim, token):
    for params, target in (({"severity": "Sev9"}, "severity"), ({"monitorCondition": "Open"}, "monitorCondition"),
                           ({"pageCount": "0"}, "pageCount"), ({"pageCount": "251"}, "pageCount"),
                           ({"timeRange": "2d"}, "timeRange")):
        params["api-version"] = API
        r = arm(sim, "GET", ALERTS, token=token, params=params)
        assert r.status_code == 400 and r.json()["error"]["target"] == target, r.text
    assert arm(sim, "GET", ALERTS, token=token, params={}).json()["error"]["code"] == "MissingApiVersionParameter"
    assert arm(sim, "GET", ALERTS, params={"api-version": API}).status_code == 401
    r = arm(sim, "GET", ALERTS.replace(SUB, "33333333-3333-4333-8333-333333333333"), token=token,
            params={"api-version": API})
    assert r.status_code == 404 and r.json()["error"]["code"] == "SubscriptionNotFound"
    for spec in ({"severity": "Sev1"}, {"severity": "High", "resource_group": RG},
                 {"resource_group": RG, "scale_set": "nope"}):
        assert control(sim, "POST", "/alerts", spec).status_code == 400


def test_no_access_principal_is_refused(sim):
    from azure.identity import ClientSecretCredential
    p = sim.connection["principals"]["noaccess"]
    cred = ClientSecretCredential(p["tenant"], p["client_id"], p["secret"], authority=sim.base_url,
                                  disable_instance_discovery=True)
    tok = cred.get_token(sim.base_url + "/.default").token
    r = arm(sim, "GET", ALERTS, token=tok, params={"api-version": API})
    assert r.status_code == 403 and "Microsoft.AlertsManagement/alerts/read" in r.json()["error"]["message"]
