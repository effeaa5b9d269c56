"""The scale set's own settings, automatic repairs, the Tags API and the VM list without vmHealth, driven with
the real azure-identity / azure-mgmt-compute SDKs over HTTPS against the integration tests' scenario
(tests/simulator/scenarios/integration/scale_set_safety.yml), so both test the same scale sets."""

import os

import pytest
import yaml
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.compute.models import OrchestrationServiceStateInput

from armsim import Simulator
from conftest import HERE, make_client, trusted

SCENARIO = os.path.join(HERE, "scenarios", "integration", "scale_set_safety.yml")
RG = "rg-safety"
SUB = "22222222-2222-4222-8222-222222222222"
TAGS_API = "2025-04-01"
LEASE = "azure_vmss_maintenance_lease"


@pytest.fixture(scope="module")
def safety():
    with open(SCENARIO) as handle:
        data = yaml.safe_load(handle)
    with trusted(Simulator(scenario_data=data, time_scale=0.05, seed=1)) as s:
        yield s


@pytest.fixture(autouse=True)
def fresh_safety(request):
    if "safety" in request.fixturenames:
        request.getfixturevalue("safety").reset()
    yield


def credential_for(sim, client_id=None, secret=None):
    c = sim.connection
    return ClientSecretCredential(c["tenant"], client_id or c["client_id"], secret or c["secret"],
                                  authority=sim.base_url, disable_instance_discovery=True)


@pytest.fixture(scope="module")
def compute(safety):
    return make_client(safety, credential_for(safety))


@pytest.fixture(scope="module")
def reader(safety):
    return make_client(safety, credential_for(safety, "aaaaaaaa-0000-4000-8000-000000000003", "sim-secret-reader-3"))


def vmss_id(name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s" % (SUB, RG, name)


def tags_call(client, method, name, body=None):
    """The Tags API at the scale set's scope, through the Compute client's own pipeline (as the collection calls it)."""
    request = HttpRequest(method, vmss_id(name) + "/providers/Microsoft.Resources/tags/default",
                          params={"api-version": TAGS_API}, json=body)
    return client.send_request(request)


def routes(sim):
    return [e["route"] for e in sim.log if e["path"].startswith("/subscriptions/")]


# -- the scale set's own settings ------------------------------------------------------------------

def test_probe_repairs_rolling_policy_and_tags(safety, compute):
    v = compute.virtual_machine_scale_sets.get(RG, "vmss-probe").as_dict()
    props = v["properties"]
    assert props["virtualMachineProfile"]["networkProfile"]["healthProbe"]["id"].endswith("/probes/http")
    assert "extensionProfile" not in props["virtualMachineProfile"]
    assert props["automaticRepairsPolicy"] == {"enabled": True, "gracePeriod": "PT10M", "repairAction": "Replace"}
    assert props["upgradePolicy"]["rollingUpgradePolicy"]["maxBatchInstancePercent"] == 50
    assert props["provisioningState"] == "Succeeded" and props["orchestrationMode"] == "Uniform"
    assert v["tags"] == {"team": "web"}


def test_extension_none_updating_flexible_and_automatic_os_upgrades(safety, compute):
    ext = compute.virtual_machine_scale_sets.get(RG, "vmss-extension").as_dict()["properties"]
    health = ext["virtualMachineProfile"]["extensionProfile"]["extensions"][0]["properties"]
    assert (health["publisher"], health["type"]) == ("Microsoft.ManagedServices", "ApplicationHealthLinux")
    assert health["settings"] == {"protocol": "http", "port": 80, "requestPath": "/health"}
    assert "rollingUpgradePolicy" not in ext["upgradePolicy"]
    none = compute.virtual_machine_scale_sets.get(RG, "vmss-none").as_dict()
    profile = none["properties"]["virtualMachineProfile"]
    assert "healthProbe" not in profile["networkProfile"] and "extensionProfile" not in profile
    assert "automaticRepairsPolicy" not in none["properties"] and "tags" not in none
    assert compute.virtual_machine_scale_sets.get(RG, "vmss-updating").provisioning_state == "Updating"
    assert compute.virtual_machine_scale_sets.get(RG, "vmss-flex").orchestration_mode == "Flexible"
    os_upgrade = compute.virtual_machine_scale_sets.get(RG, "vmss-osupgrade")
    assert os_upgrade.upgrade_policy.automatic_os_upgrade_policy.enable_automatic_os_upgrade is True


def test_an_automatic_os_upgrade_in_progress_and_a_rolling_back_upgrade(safety, compute):
    history = list(compute.virtual_machine_scale_sets.get_os_upgrade_history(RG, "vmss-osupgrade"))
    newest = history[0]
    assert newest.properties.running_status.code == "RollingForward"
    assert newest.properties.running_status.end_time is None
    assert newest.properties.started_by == "Platform"
    latest = compute.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "vmss-rollingback")
    assert latest.running_status.code == "RollingBack"
    assert latest.progress.failed_instance_count == 1


def test_instance_view_orchestration_services(safety, compute):
    probe = compute.virtual_machine_scale_sets.get_instance_view(RG, "vmss-probe")
    assert [(s.service_name, s.service_state) for s in probe.orchestration_services] == [("AutomaticRepairs", "Running")]
    suspended = compute.virtual_machine_scale_sets.get_instance_view(RG, "vmss-extension")
    assert suspended.orchestration_services[0].service_state == "Suspended"
    assert not compute.virtual_machine_scale_sets.get_instance_view(RG, "vmss-none").orchestration_services
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machine_scale_sets.get_instance_view(RG, "vmss-flex")
    assert err.value.status_code == 409 and err.value.error.code == "OperationNotAllowed"


# -- setOrchestrationServiceState ------------------------------------------------------------------

def test_suspend_and_resume_are_long_running_and_change_the_instance_view(safety, compute):
    ops = compute.virtual_machine_scale_sets
    poller = ops.begin_set_orchestration_service_state(
        RG, "vmss-probe", OrchestrationServiceStateInput(service_name="AutomaticRepairs", action="Suspend"))
    poller.result(timeout=30)
    assert poller.status() == "Succeeded"
    assert ops.get_instance_view(RG, "vmss-probe").orchestration_services[0].service_state == "Suspended"
    post = [e for e in safety.log if e["route"] == "set_orchestration_service_state"]
    assert len(post) == 1 and post[0]["status"] == 202
    assert post[0]["body"] == {"serviceName": "AutomaticRepairs", "action": "Suspend"}
    assert "operation_status" in routes(safety)
    ops.begin_set_orchestration_service_state(
        RG, "vmss-probe", OrchestrationServiceStateInput(service_name="AutomaticRepairs", action="Resume")).result(timeout=30)
    assert ops.get_instance_view(RG, "vmss-probe").orchestration_services[0].service_state == "Running"


def test_state_changes_that_azure_refuses(safety, compute, reader):
    ops = compute.virtual_machine_scale_sets
    with pytest.raises(ResourceExistsError) as err:  # the SDK's 409 mapping
        ops.begin_set_orchestration_service_state(
            RG, "vmss-none", OrchestrationServiceStateInput(service_name="AutomaticRepairs", action="Suspend"))
    assert err.value.error.code == "OperationNotAllowed" and "not enabled" in err.value.error.message
    with pytest.raises(HttpResponseError) as err:
        ops.begin_set_orchestration_service_state(RG, "vmss-probe", {"serviceName": "Repairs", "action": "Suspend"})
    assert err.value.status_code == 400 and err.value.error.target == "serviceName"
    with pytest.raises(HttpResponseError) as err:
        reader.virtual_machine_scale_sets.begin_set_orchestration_service_state(
            RG, "vmss-probe", OrchestrationServiceStateInput(service_name="AutomaticRepairs", action="Suspend"))
    assert err.value.status_code == 403 and "setOrchestrationServiceState/action" in err.value.error.message


# -- the Tags API at the scale set's scope ---------------------------------------------------------

def test_tags_merge_and_delete_by_value_without_touching_the_model(safety, compute):
    got = tags_call(compute, "GET", "vmss-probe")
    assert got.status_code == 200
    assert got.json() == {"id": vmss_id("vmss-probe") + "/providers/Microsoft.Resources/tags/default",
                          "name": "default", "type": "Microsoft.Resources/tags", "properties": {"tags": {"team": "web"}}}
    merged = tags_call(compute, "PATCH", "vmss-probe", {"operation": "Merge", "properties": {"tags": {LEASE: "run=a"}}})
    assert merged.status_code == 200 and merged.json()["properties"]["tags"] == {"team": "web", LEASE: "run=a"}
    assert compute.virtual_machine_scale_sets.get(RG, "vmss-probe").tags == {"team": "web", LEASE: "run=a"}
    wrong = tags_call(compute, "PATCH", "vmss-probe", {"operation": "Delete", "properties": {"tags": {LEASE: "run=b"}}})
    assert wrong.json()["properties"]["tags"][LEASE] == "run=a", "a name/value delete needs the value"
    gone = tags_call(compute, "PATCH", "vmss-probe", {"operation": "Delete", "properties": {"tags": {LEASE: "run=a"}}})
    assert gone.json()["properties"]["tags"] == {"team": "web"}
    vms = compute.virtual_machine_scale_set_vms.list(RG, "vmss-probe")
    assert all(vm.latest_model_applied for vm in vms), "a tag write is not a model change"
    assert [r for r in routes(safety) if r.startswith("tags_")] == ["tags_get", "tags_patch", "tags_patch", "tags_patch"]


def test_tag_names_are_case_insensitive_and_replace_replaces(safety, compute):
    tags_call(compute, "PATCH", "vmss-probe", {"operation": "Merge", "properties": {"tags": {"TEAM": "api"}}})
    assert tags_call(compute, "GET", "vmss-probe").json()["properties"]["tags"] == {"team": "api"}
    replaced = tags_call(compute, "PATCH", "vmss-probe", {"operation": "Replace", "properties": {"tags": {"a": "1"}}})
    assert replaced.json()["properties"]["tags"] == {"a": "1"}


def test_tags_that_azure_refuses(safety, compute, reader):
    bad = tags_call(compute, "PATCH", "vmss-probe", {"operation": "Merge", "properties": {"tags": {"a/b": "x"}}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidTagNameCharacters"
    long = tags_call(compute, "PATCH", "vmss-probe", {"operation": "Merge", "properties": {"tags": {"a": "x" * 257}}})
    assert long.status_code == 400
    many = dict(("t%d" % n, "v") for n in range(50))
    assert tags_call(compute, "PATCH", "vmss-probe", {"operation": "Merge", "properties": {"tags": many}}).status_code == 400
    missing = tags_call(compute, "GET", "vmss-missing")
    assert missing.status_code == 404
    forbidden = tags_call(reader, "PATCH", "vmss-probe", {"operation": "Merge", "properties": {"tags": {LEASE: "x"}}})
    assert forbidden.status_code == 403 and "Microsoft.Resources/tags/write" in forbidden.json()["error"]["message"]
    assert tags_call(reader, "GET", "vmss-probe").status_code == 200


# -- the VM list without vmHealth ---------------------------------------------------------------------

def test_vm_list_without_vm_health_switch(safety, compute):
    vms = compute.virtual_machine_scale_set_vms
    assert all(vm.instance_view.vm_health for vm in vms.list(RG, "vmss-probe", expand="instanceView"))
    safety.patch_scale_set(scale_set="vmss-probe", vm_list_health=False)
    listed = list(vms.list(RG, "vmss-probe", expand="instanceView"))
    assert listed and all(vm.instance_view.vm_health is None for vm in listed)
    assert all(vm.instance_view.statuses for vm in listed), "only vmHealth is left out"
    view = vms.get_instance_view(RG, "vmss-probe", listed[0].instance_id)
    assert view.vm_health.status.code == "HealthState/healthy", "the instance view keeps it"
    got = vms.get(RG, "vmss-probe", listed[0].instance_id, expand="instanceView")
    assert got.instance_view.vm_health is not None, "only the list is switched"
