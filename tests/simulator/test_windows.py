"""Maintenance windows in the simulator, with the real SDK: self-service windows open, closing, closed
and not yet open; the scheduled window; outcomes RetryLater / MaintenanceAborted set per VM; maintenance
scheduled again after a deallocation; the simulated clock that the control API moves forward."""

import email.utils
from datetime import datetime, timedelta, timezone

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceIDs

RG, VMSS = "rg-windows", "vmss-windows"


@pytest.fixture(scope="module", autouse=True)
def windows(sim):
    sim.load("windows")
    yield sim
    sim.load("basic")


def control(sim, method, path, body=None):
    r = requests.request(method, sim.control_url + path, json=body, verify=sim.ca_bundle, timeout=10)
    return r.status_code, r.json()


def mrs(client, iid):
    return client.virtual_machine_scale_set_vms.get_instance_view(RG, VMSS, str(iid)).maintenance_redeploy_status


def fleet(client):
    return {vm.instance_id: vm for vm in client.virtual_machine_scale_set_vms.list(RG, VMSS, expand="instanceView")}


def sim_now(sim):
    return datetime.fromtimestamp(sim.now(), timezone.utc)


def maintain(client, *ids):
    client.virtual_machine_scale_sets.begin_perform_maintenance(
        RG, VMSS, vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=[str(i) for i in ids])).result()


def test_windows_scenario_reports_each_kind_of_window(sim, client):
    vms = fleet(client)
    now = sim_now(sim)
    status = {iid: vm.instance_view.maintenance_redeploy_status for iid, vm in vms.items()}
    allowed = sorted((iid for iid, m in status.items() if m.is_customer_initiated_maintenance_allowed), key=int)
    assert allowed == ["0", "1", "2", "3", "4", "5", "6", "9", "10", "11"]
    # 7: not yet open; 8: closed, Azure's scheduled window still to come
    assert status["7"].pre_maintenance_window_start_time > now
    assert status["8"].pre_maintenance_window_end_time < now < status["8"].maintenance_window_start_time
    assert status["10"].pre_maintenance_window_end_time - now < timedelta(minutes=41)
    for m in status.values():
        assert m.last_operation_result_code == "None"
        assert m.pre_maintenance_window_end_time < m.maintenance_window_start_time < m.maintenance_window_end_time
    by_deadline = sorted(allowed, key=lambda i: status[i].pre_maintenance_window_end_time)
    assert by_deadline == ["10", "5", "6", "1", "3", "11", "9", "4", "2", "0"]
    by_zone_and_id = sorted(allowed, key=lambda i: (vms[i].zones[0], int(i)))
    assert by_deadline[:3] != by_zone_and_id[:3]
    # a VM outside its window is refused like any ineligible one, and nothing starts
    with pytest.raises(ResourceExistsError, match="not eligible"):
        maintain(client, "5", "7")
    assert not [e for e in sim.log if e["route"] == "perform_maintenance" and e["status"] == 202]


def test_clock_moves_windows_and_times_forward(sim, client, token):
    start = sim.now()
    code, body = control(sim, "POST", "/clock", {"advance": "1h"})
    assert code == 200 and body["offset_seconds"] == pytest.approx(3600, abs=1)
    assert sim.now() - start >= 3600
    # 10 (+40m) and 5 (+50m) have closed; 6 (+2h) is still open
    assert mrs(client, 10).is_customer_initiated_maintenance_allowed is False
    assert mrs(client, 5).is_customer_initiated_maintenance_allowed is False
    assert mrs(client, 6).is_customer_initiated_maintenance_allowed is True
    with pytest.raises(ResourceExistsError):
        maintain(client, "10")
    # what the simulator reports runs on that clock: the log's time and the Date header
    entry = sim.log[-1]
    logged = datetime.fromisoformat(entry["time"][:26] + "+00:00")
    assert abs(logged.timestamp() - sim.now()) < 60
    r = requests.get(sim.base_url + "/subscriptions/22222222-2222-4222-8222-222222222222",
                     params={"api-version": "2026-04-01"}, headers={"Authorization": "Bearer " + token},
                     verify=sim.ca_bundle, timeout=10)
    assert r.status_code == 200   # tokens stay on wall time: a clock jump does not expire them
    assert abs(email.utils.parsedate_to_datetime(r.headers["Date"]).timestamp() - sim.now()) < 60
    # "to" a relative time: 7 opens at +6h from the start
    code, body = control(sim, "POST", "/clock", {"to": "+5h"})
    assert code == 200 and mrs(client, 7).is_customer_initiated_maintenance_allowed is True
    # never backwards
    code, body = control(sim, "POST", "/clock", {"advance": "-1m"})
    assert code == 400 and "forward" in body["error"]
    code, body = control(sim, "POST", "/clock", {"to": "-1m"})
    assert code == 400
    code, body = control(sim, "GET", "/clock")
    assert body["offset_seconds"] == pytest.approx(6 * 3600, abs=2)


def test_scheduled_window_end_means_azure_maintained_it(sim, client):
    assert mrs(client, 8) is not None
    sim.advance_clock(by="1d")
    assert mrs(client, 8) is None          # Azure maintained it in its scheduled window
    assert mrs(client, 0) is not None      # 0's scheduled window is weeks away


def test_reset_puts_the_clock_back(sim):
    sim.advance_clock(by="3h")
    sim.reset()
    assert abs(sim.now() - datetime.now(timezone.utc).timestamp()) < 5


def test_clock_finishes_a_long_maintenance(sim, client):
    # one scenario hour of maintenance is 36 s at time scale 0.01; moving the clock ends it now
    sim.patch_instance(resource_group=RG, scale_set=VMSS, instance_id="9", maintenance_duration="1h")
    poller = client.virtual_machine_scale_sets.begin_perform_maintenance(
        RG, VMSS, vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=["9"]))
    assert client.virtual_machine_scale_set_vms.get(RG, VMSS, "9").provisioning_state == "Updating"
    sim.advance_clock(by="40s")
    poller.result(timeout=30)
    assert mrs(client, 9).last_operation_result_code == "MaintenanceCompleted"
    op = control(sim, "GET", "/operations")[1]["operations"][0]
    assert op["done"] is True


@pytest.mark.parametrize("outcome", ["RetryLater", "MaintenanceAborted"])
def test_outcome_set_per_instance(sim, client, outcome):
    message = "Azure says: %s for this VM" % outcome
    code, body = control(sim, "POST", "/instances", {"resource_group": RG, "scale_set": VMSS, "instance_id": "3",
                                                     "outcome": outcome, "outcome_message": message})
    assert code == 200
    maintain(client, "3", "6")   # the operation itself succeeds
    three, six = mrs(client, 3), mrs(client, 6)
    assert three.last_operation_result_code == outcome and three.last_operation_message == message
    assert three.is_customer_initiated_maintenance_allowed is True   # still pending: may be retried
    assert six.last_operation_result_code == "MaintenanceCompleted" and six.last_operation_message is None
    # the outcome was for that one attempt: the retry completes
    maintain(client, "3")
    assert mrs(client, 3).last_operation_result_code == "MaintenanceCompleted"


def test_outcome_default_message_and_failing_operation(sim, client):
    sim.patch_instance(resource_group=RG, scale_set=VMSS, instance_id="11", outcome="RetryLater")
    maintain(client, "11")
    assert "Retry later" in mrs(client, 11).last_operation_message
    sim.patch_instance(resource_group=RG, scale_set=VMSS, instance_id="4", fail_maintenance=True,
                       outcome_message="host update aborted")
    with pytest.raises(Exception, match="aborted"):
        maintain(client, "4")
    four = mrs(client, 4)
    assert four.last_operation_result_code == "MaintenanceAborted"
    assert four.last_operation_message == "host update aborted"


def test_bad_outcome_is_refused(sim):
    code, body = control(sim, "POST", "/instances", {"resource_group": RG, "scale_set": VMSS, "instance_id": "3",
                                                     "outcome": "Completed"})
    assert code == 400 and "MaintenanceCompleted" in body["error"]


def test_maintenance_scheduled_again_after_deallocation(sim, client):
    maintain(client, "0", "2")
    assert mrs(client, 0).last_operation_result_code == "MaintenanceCompleted"
    sim.patch_instance(resource_group=RG, scale_set=VMSS, instance_ids=["0", "2"], power_state="deallocated")
    sim.patch_instance(resource_group=RG, scale_set=VMSS, instance_id="2", reschedule_on_start=False)
    sim.patch_instance(resource_group=RG, scale_set=VMSS, instance_ids=["0", "2"], power_state="running")
    again = mrs(client, 0)
    assert again.last_operation_result_code == "None" and again.is_customer_initiated_maintenance_allowed is True
    assert again.pre_maintenance_window_end_time > sim_now(sim)
    assert mrs(client, 2).last_operation_result_code == "MaintenanceCompleted"
    maintain(client, "0")   # and it can be maintained again
    assert mrs(client, 0).last_operation_result_code == "MaintenanceCompleted"


def test_state_summary_shows_windows_and_clock(sim):
    st = control(sim, "GET", "/state")[1]
    assert st["now"]
    insts = {i["instance_id"]: i for i in st["resource_groups"][0]["scale_sets"][0]["instances"]}
    assert insts["7"]["in_wave"] and not insts["7"]["eligible"] and insts["7"]["update_domain"] == 2
    assert insts["10"]["self_service_window"][1] < insts["5"]["self_service_window"][1]
