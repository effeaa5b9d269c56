"""Named faults (armsim/named_faults.py) with the real SDK: each name ends up as the primitive it stands for,
at once or when batch N starts; the control API and the command line's spelling."""

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceIDs

from armsim import named_faults

RG, VMSS = "rg-sim", "vmss-zoned"


def control(sim, method, path, body=None):
    r = requests.request(method, sim.control_url + path, json=body, verify=sim.ca_bundle, timeout=10)
    return r.status_code, r.json()


def maintain(client, *ids):
    poller = client.virtual_machine_scale_sets.begin_perform_maintenance(
        RG, VMSS, VirtualMachineScaleSetVMInstanceIDs(instance_ids=[str(i) for i in ids]), polling_interval=0.05)
    return poller.result()


def last_result(client, iid):
    return client.virtual_machine_scale_set_vms.get_instance_view(RG, VMSS, str(iid)).maintenance_redeploy_status


def test_the_command_line_spelling():
    assert named_faults.parse("retry_later:3+5@2,scale_set=vmss-web") == {
        "name": "retry_later", "instances": ["3", "5"], "at_batch": 2, "scale_set": "vmss-web"}
    assert named_faults.parse("throttle_burst,count=3,retry_after=2") == {
        "name": "throttle_burst", "count": 3, "retry_after": 2}
    for bad in ("no_such_fault", "never_recovers", "alert@0", "alert,severity"):
        with pytest.raises(ValueError):
            named_faults.parse(bad)


def test_a_scenario_with_several_scale_sets_needs_the_name(sim):
    with pytest.raises(ValueError, match="name one with scale_set"):
        named_faults.add(sim, {"name": "alert"})
    status, body = control(sim, "POST", "/named-faults", {"spec": "alert"})
    assert status == 400 and "scale_set" in body["error"]


def test_outcomes_by_name_through_the_control_api(sim, client):
    status, _body = control(sim, "POST", "/named-faults", [
        {"name": "retry_later", "instances": ["0"], "scale_set": VMSS},
        {"spec": "maintenance_aborted:1,scale_set=" + VMSS}])
    assert status == 200
    maintain(client, 0, 1)
    assert last_result(client, 0).last_operation_result_code == "RetryLater"
    assert last_result(client, 1).last_operation_result_code == "MaintenanceAborted"


def test_never_recovers_and_fails(sim, client):
    named_faults.add(sim, named_faults.parse("never_recovers:2,scale_set=" + VMSS))
    named_faults.add(sim, named_faults.parse("maintenance_fails:1,scale_set=" + VMSS))
    maintain(client, 2)
    with pytest.raises(HttpResponseError):
        maintain(client, 1)                 # the operation ends Failed
    sim.advance_clock(by="2h")              # long past maintenance and recovery, without waiting for them
    view = client.virtual_machine_scale_set_vms.get_instance_view(RG, VMSS, "2")
    assert view.vm_health.status.code == "HealthState/unhealthy"
    assert view.maintenance_redeploy_status.last_operation_result_code == "MaintenanceCompleted"
    assert last_result(client, 1).last_operation_result_code == "MaintenanceAborted"


def test_a_burst_of_429_then_through(sim, client):
    named_faults.add(sim, {"name": "throttle_burst", "scale_set": VMSS, "route": "vm_get", "count": 2})
    with pytest.raises(HttpResponseError) as err:
        # no retries: the client sees the burst itself
        client.virtual_machine_scale_set_vms.get(RG, VMSS, "0", retry_total=0)
    assert err.value.status_code == 429 and err.value.response.headers["Retry-After"] == "1"
    with pytest.raises(HttpResponseError):
        client.virtual_machine_scale_set_vms.get(RG, VMSS, "0", retry_total=0)
    assert client.virtual_machine_scale_set_vms.get(RG, VMSS, "0", retry_total=0).instance_id == "0"


def test_an_alert_fires_when_batch_two_starts(sim, client):
    named_faults.add(sim, {"name": "alert", "scale_set": VMSS, "at_batch": 2, "alert_name": "rehearsal cpu"})

    def fired():
        return [a for a in control(sim, "GET", "/alerts")[1]["alerts"] if a["name"] == "rehearsal cpu"]

    maintain(client, 0)                     # batch 1: nothing yet
    assert fired() == []
    maintain(client, 1)                     # batch 2 starts: the alert fires
    assert len(fired()) == 1
    assert control(sim, "GET", "/named-faults")[1]["named_faults"][0]["applied"] is True


def test_the_window_closes(sim, client):
    assert last_result(client, 0).is_customer_initiated_maintenance_allowed
    named_faults.add(sim, {"name": "window_closes", "scale_set": VMSS})
    assert not last_result(client, 0).is_customer_initiated_maintenance_allowed
    with pytest.raises(HttpResponseError) as err:
        maintain(client, 0)
    assert err.value.status_code == 409


def test_a_reset_clears_them(sim):
    named_faults.add(sim, {"name": "alert", "scale_set": VMSS, "at_batch": 3})
    sim.reset()
    assert named_faults.listed(sim) == []


def test_each_fault_counts_only_its_own_scale_sets_batches(sim, client):
    named_faults.add(sim, {"name": "alert", "scale_set": VMSS, "at_batch": 2, "alert_name": "zoned only"})
    named_faults.add(sim, {"name": "throttle_burst", "scale_set": "vmss-rolling", "route": "vm_get", "count": 1})

    def fired():
        return [a for a in control(sim, "GET", "/alerts")[1]["alerts"] if a["name"] == "zoned only"]

    # another scale set's batches and reads: no alert, and its burst is not spent on vmss-zoned
    for iid in ("0", "1"):
        poller = client.virtual_machine_scale_sets.begin_perform_maintenance(
            RG, "vmss-rolling", VirtualMachineScaleSetVMInstanceIDs(instance_ids=[iid]), polling_interval=0.05)
        poller.result()
    assert client.virtual_machine_scale_set_vms.get(RG, VMSS, "0", retry_total=0).instance_id == "0"
    assert fired() == []
    with pytest.raises(HttpResponseError) as err:
        client.virtual_machine_scale_set_vms.get(RG, "vmss-rolling", "0", retry_total=0)
    assert err.value.status_code == 429
    maintain(client, 0)
    assert fired() == []
    maintain(client, 1)
    assert len(fired()) == 1
