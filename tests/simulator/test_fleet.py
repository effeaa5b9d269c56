"""The fleet scenario with the real SDK: three subscriptions, 60 scale sets, the subscription-wide
scale set list and its paging, and the read buckets each subscription's scale sets share."""

import pytest
import requests
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient

from armsim import Simulator
from conftest import trusting

SUBS = ["22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333",
        "44444444-4444-4444-8444-444444444444"]
API = "2026-04-01"


@pytest.fixture(scope="module")
def fleet():
    with Simulator(scenario="fleet", time_scale=0.01, seed=1) as s, trusting(s.ca_bundle):
        yield s


@pytest.fixture
def fresh_fleet(fleet):
    fleet.reset()
    return fleet


def _credential(sim, name="app"):
    p = sim.connection["principals"][name]
    return ClientSecretCredential(p["tenant"], p["client_id"], p["secret"], authority=sim.base_url,
                                  disable_instance_discovery=True)


def _client(sim, sub, name="app"):
    return ComputeManagementClient(_credential(sim, name), sub, base_url=sim.base_url,
                                   credential_scopes=[sim.base_url + "/.default"])


def _get(sim, path, token, **params):
    params.setdefault("api-version", API)
    return requests.get(sim.base_url + path, params=params, headers={"Authorization": "Bearer " + token},
                        verify=sim.ca_bundle, timeout=10)


def test_list_all_pages_every_scale_set_of_each_subscription(fresh_fleet):
    sim = fresh_fleet
    seen = set()
    for sub in SUBS:
        before = len([e for e in sim.log if e["route"] == "vmss_list_all"])
        sets = [v.as_dict() for v in _client(sim, sub).virtual_machine_scale_sets.list_all()]
        pages = len([e for e in sim.log if e["route"] == "vmss_list_all"]) - before
        assert len(sets) == 20 and pages == 3, (len(sets), pages)
        assert all(v["id"].lower().startswith("/subscriptions/%s/" % sub) for v in sets)
        assert {v["location"] for v in sets} == {"westeurope", "northeurope"}
        assert {v["tags"]["env"] for v in sets} == {{SUBS[0]: "prod", SUBS[1]: "staging",
                                                     SUBS[2]: "dev"}[sub]}
        assert sum(1 for v in sets if v.get("zones")) == 5
        assert {v["sku"]["capacity"] for v in sets} == {20}
        modes = [v["properties"]["upgradePolicy"]["mode"] for v in sets]
        assert modes.count("Manual") == 6 and modes.count("Rolling") == 14
        seen.update(v["id"].lower() for v in sets)
    assert len(seen) == 60
    pages = [e for e in sim.log if e["route"] == "vmss_list_all"]
    assert all(e["status"] == 200 for e in pages)


def test_the_test_principal_reads_all_three_subscriptions(fresh_fleet):
    sim = fresh_fleet
    token = _credential(sim).get_token(sim.base_url + "/.default").token
    r = _get(sim, "/subscriptions", token, **{"api-version": "2022-12-01"})
    assert sorted(s["subscriptionId"] for s in r.json()["value"]) == SUBS
    no = _credential(sim, "noaccess").get_token(sim.base_url + "/.default").token
    r = _get(sim, "/subscriptions/%s/providers/Microsoft.Compute/virtualMachineScaleSets" % SUBS[1], no)
    assert r.status_code == 403 and r.json()["error"]["code"] == "AuthorizationFailed"


def test_generated_maintenance_picture(fresh_fleet):
    client = _client(fresh_fleet, SUBS[2])
    vms = {}
    for name, rg in (("vmss-weu-00", "rg-web"), ("vmss-weu-08", "rg-web"), ("vmss-neu-09", "rg-api")):
        vms[name] = [vm.as_dict() for vm in client.virtual_machine_scale_set_vms.list(rg, name, expand="instanceView")]
    mrs = [vm["properties"]["instanceView"].get("maintenanceRedeployStatus") for vm in vms["vmss-weu-00"]]
    assert len(mrs) == 20 and all(m["isCustomerInitiatedMaintenanceAllowed"] for m in mrs)
    assert [vm.get("zones") for vm in vms["vmss-weu-00"][:3]] == [["1"], ["2"], ["3"]]
    allowed = [vm["properties"]["instanceView"]["maintenanceRedeployStatus"]["isCustomerInitiatedMaintenanceAllowed"]
               for vm in vms["vmss-weu-08"]]
    assert allowed[:2] == [False, False] and all(allowed[2:])
    assert all("maintenanceRedeployStatus" not in vm["properties"]["instanceView"] for vm in vms["vmss-neu-09"])


def test_scale_sets_of_one_subscription_share_its_read_buckets(fresh_fleet):
    """Two scale sets of one subscription draw from the same per-subscription Compute and ARM buckets
    (Azure's sizes: 1,080 high-cost gets, 250 ARM reads); another subscription has its own."""
    sim = fresh_fleet
    token = _credential(sim).get_token(sim.base_url + "/.default").token
    sim.set_throttle(scale=1.0, refill_scale=0)   # Azure's bucket sizes, no refill: the counts are exact

    def vm_list(sub, rg, name):
        r = _get(sim, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s"
                 "/virtualMachines" % (sub, rg, name), token, **{"$expand": "instanceView"})
        assert r.status_code == 200
        res = dict(part.split(";") for part in r.headers["x-ms-ratelimit-remaining-resource"].split(","))
        return (int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]),
                int(res["Microsoft.Compute/HighCostGetVMScaleSet3Min"]),
                int(res["Microsoft.Compute/HighCostGetVMScaleSet30Min"]))

    a = vm_list(SUBS[0], "rg-web", "vmss-weu-00")
    b = vm_list(SUBS[0], "rg-api", "vmss-neu-01")
    c = vm_list(SUBS[1], "rg-web", "vmss-weu-00")
    assert a == (249, 29, 1079)
    assert b == (248, 29, 1078)   # a new per-resource bucket, the same subscription buckets
    assert c == (249, 29, 1079)                          # the same names in another subscription: fresh
