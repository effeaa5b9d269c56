"""Flexible scale sets in the simulator, driven with the real azure-mgmt-compute SDK over HTTPS.

Scenario basic, rg-sim/vmss-flex: five ordinary VMs over three zones (two per page of the filtered list),
four eligible (vmss-flex_3f8b5d74 RetryLater), vmss-flex_4a9c6e85 unhealthy.
"""

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceIDs

RG = "rg-sim"
SUB = "22222222-2222-4222-8222-222222222222"
API = "2026-04-01"
FLEX = "vmss-flex"
FLEX_ID = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s" % (SUB, RG, FLEX)
NAMES = ["vmss-flex_0c5e2a41", "vmss-flex_1d6f3b52", "vmss-flex_2e7a4c63", "vmss-flex_3f8b5d74", "vmss-flex_4a9c6e85"]
FILTER = "virtualMachineScaleSet/id eq '%s'" % FLEX_ID
# the scale-set VM APIs, which Azure refuses on a Flexible scale set
SCALE_SET_VM_ROUTES = {"vm_list", "vm_get", "vm_instance_view", "vm_perform_maintenance", "perform_maintenance",
                       "vmss_instance_view"}


def routes(sim):
    return [e["route"] for e in sim.log if e["route"] != "token"]


def test_the_scale_set_says_flexible(client):
    v = client.virtual_machine_scale_sets.get(RG, FLEX)
    assert v.orchestration_mode == "Flexible"
    assert v.platform_fault_domain_count == 1
    assert client.virtual_machine_scale_sets.get(RG, "vmss-zoned").orchestration_mode == "Uniform"


def test_the_filtered_list_pages_its_vms_with_instance_views(sim, client):
    vms = [vm.as_dict() for vm in client.virtual_machines.list(RG, filter=FILTER, expand="instanceView")]
    assert [vm["name"] for vm in vms] == NAMES
    assert routes(sim) == ["virtual_machine_list"] * 3, "five VMs, two a page"
    first = vms[0]
    assert first["type"] == "Microsoft.Compute/virtualMachines" and "instanceId" not in first
    assert first["id"].endswith("/resourceGroups/rg-sim/providers/Microsoft.Compute/virtualMachines/" + NAMES[0])
    assert first["properties"]["virtualMachineScaleSet"]["id"] == FLEX_ID
    assert first["zones"] == ["1"]
    view = first["properties"]["instanceView"]
    assert view["platformFaultDomain"] == 0 and "platformUpdateDomain" not in view, "Flexible has no update domains"
    assert view["vmHealth"]["status"]["code"] == "HealthState/healthy"
    assert view["maintenanceRedeployStatus"]["isCustomerInitiatedMaintenanceAllowed"] is True
    retry = next(vm for vm in vms if vm["name"] == "vmss-flex_3f8b5d74")["properties"]["instanceView"]
    assert retry["maintenanceRedeployStatus"]["lastOperationResultCode"] == "RetryLater"
    # every page's nextLink kept the filter and the expansion
    assert all(e["query"].get("$filter") == FILTER and e["query"].get("$expand") == "instanceView" for e in sim.log
               if e["route"] == "virtual_machine_list")


def test_instance_view_needs_the_filter_and_list_all_takes_it_too(sim, client):
    plain = [vm.name for vm in client.virtual_machines.list(RG)]
    assert plain == NAMES, "the resource group's VMs: only Flexible ones are Microsoft.Compute/virtualMachines"
    with pytest.raises(HttpResponseError) as err:
        list(client.virtual_machines.list(RG, expand="instanceView"))
    assert err.value.status_code == 400 and err.value.error.code == "InvalidParameter"
    with pytest.raises(HttpResponseError) as err:
        list(client.virtual_machines.list(RG, filter="name eq 'x'"))
    assert err.value.status_code == 400
    everywhere = [vm.name for vm in client.virtual_machines.list_all(filter=FILTER, expand="instanceView")]
    assert everywhere == NAMES
    assert "virtual_machine_list_all" in routes(sim)


def test_one_vm_get_and_instance_view(sim, client):
    vm = client.virtual_machines.get(RG, NAMES[4].upper(), expand="instanceView").as_dict()
    assert vm["name"] == NAMES[4], "names match regardless of case"
    assert vm["properties"]["instanceView"]["vmHealth"]["status"]["code"] == "HealthState/unhealthy"
    view = client.virtual_machines.instance_view(RG, NAMES[1]).as_dict()
    assert view["platformFaultDomain"] == 0 and view["maintenanceRedeployStatus"]["lastOperationResultCode"] == "None"
    with pytest.raises(ResourceNotFoundError) as err:
        client.virtual_machines.get(RG, "vmss-flex_nope")
    assert err.value.error.code == "ResourceNotFound"
    assert routes(sim) == ["virtual_machine_get", "virtual_machine_instance_view", "virtual_machine_get"]


def test_the_scale_set_vm_list_answers_stubs_as_azure_does(sim, client):
    # Recorded by the Azure CLI (shared recordings' README): 200, items without properties, not a refusal.
    pages = list(client.virtual_machine_scale_set_vms.list(RG, FLEX, expand="instanceView").by_page())
    items = [item.as_dict() for page in pages for item in page]
    assert len(pages) == 3  # paged like the Uniform list (vm_page_size 2, 5 VMs)
    assert sorted(item["instanceId"] for item in items) == sorted(NAMES)
    assert all(set(item) == {"name", "id", "type", "location", "instanceId", "zones"} for item in items)
    assert all(item["zones"] == [None] and item["name"] == item["instanceId"] for item in items)
    assert [(e["route"], e["status"]) for e in sim.log if e["route"] != "token"] == [("vm_list", 200)] * 3


def test_the_scale_set_vm_apis_are_refused(sim, client):
    calls = [
        lambda: client.virtual_machine_scale_set_vms.get(RG, FLEX, NAMES[0]),
        lambda: client.virtual_machine_scale_set_vms.get_instance_view(RG, FLEX, "0"),
        lambda: client.virtual_machine_scale_sets.get_instance_view(RG, FLEX),
        lambda: client.virtual_machine_scale_sets.begin_perform_maintenance(
            RG, FLEX, vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=[NAMES[0]])).result(),
        lambda: client.virtual_machine_scale_set_vms.begin_perform_maintenance(RG, FLEX, NAMES[0]).result(),
    ]
    messages = []
    for call in calls:
        with pytest.raises(HttpResponseError) as err:
            call()
        assert err.value.status_code == 409
        assert err.value.error.code == "OperationNotAllowed"
        messages.append(err.value.error.message)
    assert messages[0] == ("Operation 'VirtualMachineScaleSets.virtualMachines.GET' is not allowed on Virtual "
                           "Machine Scale Set 'vmss-flex'.")
    assert messages[2].startswith("Operation 'VirtualMachineScaleSets.instanceView.GET'")
    assert all(m.endswith("is not allowed on Virtual Machine Scale Set 'vmss-flex'.") for m in messages)
    statuses = [(e["route"], e["status"]) for e in sim.log if e["route"] != "token"]
    refused = ("vm_get", "vm_instance_view", "vmss_instance_view", "perform_maintenance",
               "vm_perform_maintenance")
    assert statuses == [(r, 409) for r in refused]
    assert all(i.op is None for i in sim.state.find_vmss(RG, FLEX).instances.values()), "nothing was started"


def test_rolling_upgrade_is_answered_and_os_upgrade_history_refused(client):
    latest = client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, FLEX)
    assert latest.running_status.code == "Completed"
    with pytest.raises(HttpResponseError) as err:
        list(client.virtual_machine_scale_sets.get_os_upgrade_history(RG, FLEX))
    assert err.value.status_code == 409
    assert "VirtualMachineScaleSets.osUpgradeHistory.GET" in err.value.error.message


def test_per_vm_perform_maintenance_is_a_long_running_operation(sim, client):
    client.virtual_machines.begin_perform_maintenance(RG, NAMES[0], polling_interval=0.05).result(timeout=30)
    view = client.virtual_machines.instance_view(RG, NAMES[0]).as_dict()
    assert view["maintenanceRedeployStatus"]["lastOperationResultCode"] == "MaintenanceCompleted"
    assert view["maintenanceRedeployStatus"]["isCustomerInitiatedMaintenanceAllowed"] is False
    posts = [e for e in sim.log if e["method"] == "POST" and e["route"] != "token"]
    assert [(e["route"], e["status"], e["body"]) for e in posts] == [("virtual_machine_perform_maintenance", 202, None)]
    assert posts[0]["path"].endswith("/providers/Microsoft.Compute/virtualMachines/%s/performMaintenance" % NAMES[0])
    assert "operation_status" in routes(sim)
    others = client.virtual_machines.instance_view(RG, NAMES[1]).as_dict()
    assert others["maintenanceRedeployStatus"]["lastOperationResultCode"] == "None", "only the VM named"
    assert not SCALE_SET_VM_ROUTES & set(routes(sim))


def test_a_vm_that_is_not_eligible_is_refused(client):
    with pytest.raises(ResourceExistsError) as err:
        client.virtual_machines.begin_perform_maintenance(RG, "vmss-flex_3f8b5d74").result()
    assert err.value.status_code == 409
    assert "not allowed on VM 'vmss-flex_3f8b5d74'" in err.value.error.message


def test_per_vm_writes_are_throttled_per_vm_with_retry_after(sim, token):
    sim.set_throttle(overrides={"vm_update": {"capacity": 1, "refill_per_second": 0.001}})
    url = sim.base_url + "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" \
                         "/performMaintenance" % (SUB, RG, NAMES[1])
    answers = [requests.post(url, params={"api-version": API}, headers={"Authorization": "Bearer " + token},
                             verify=sim.ca_bundle, timeout=10) for _attempt in range(2)]
    assert [a.status_code for a in answers] == [202, 429]
    assert int(answers[1].headers["Retry-After"]) >= 1
    assert answers[1].json()["error"]["details"][0]["target"].startswith("UpdateVM")
    assert "Microsoft.Compute/UpdateVM3Min;0" in answers[1].headers["x-ms-ratelimit-remaining-resource"]


def test_the_flexible_scenario_spreads_vms_over_fault_domains(sim, client):
    sim.load("flexible")
    try:
        v = client.virtual_machine_scale_sets.get("rg-flex", "vmss-flex-fd")
        assert v.orchestration_mode == "Flexible" and v.platform_fault_domain_count == 3 and v.zones is None
        ss_filter = "virtualMachineScaleSet/id eq '%s'" % v.id
        vms = list(client.virtual_machines.list("rg-flex", filter=ss_filter, expand="instanceView"))
        assert [vm.name for vm in vms] == ["web-a", "web-b", "web-c", "web-d", "web-e", "web-f"]
        assert [vm.instance_view.platform_fault_domain for vm in vms] == [0, 1, 2, 0, 1, 2]
        assert all(vm.instance_view.vm_health is None for vm in vms), "no health signal"
        assert len(list(client.virtual_machines.list("rg-flex"))) == 18, "both scale sets' VMs"
        with pytest.raises(HttpResponseError) as err:
            client.virtual_machines.begin_perform_maintenance("rg-flex", "web-f", polling_interval=0.05).result(
                timeout=30)
        assert "MaintenanceOperationFailed" in str(err.value)
    finally:
        sim.load("basic")
