"""The checker's rules for scenarios with another run, on hand-written logs (run by the campaign stage).

The campaign proves each rule bites on a broken build (bites.py); these pin the edges that a random campaign meets
only now and then: which run's requests each rule reads, and when two runs count as active together."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check  # noqa: E402

SS = "/subscriptions/s/resourceGroups/rg-campaign/providers/Microsoft.Compute/virtualMachineScaleSets/ss-001"


def entry(seq, second, who, method="GET", path=SS, status=200, body=None):
    return {"seq": seq, "time": "2026-12-07T10:00:%02dZ" % second, "method": method, "path": path, "query": {},
            "status": status, "principal": who, "body": body}


def post(seq, second, who, ids, status=202):
    return entry(seq, second, who, "POST", SS + "/performMaintenance", status, {"instanceIds": ids})


def lease(seq, second, who):
    return entry(seq, second, who, "PATCH", SS + "/providers/Microsoft.Resources/tags/default")


def scenario(kind):
    ids = [str(i) for i in range(4)]
    fault = {"kind": kind, "delay": 1.0} if kind == "second_run" else {"kind": kind, "after_posts": 1, "delay": 0.5}
    return {"k": 1, "seed": 0, "faults": [fault], "kinds": dict((i, "eligible") for i in ids),
            "scale_set": {"name": "ss-001", "health_signal": True, "instances": {"ids": ids, "overrides": {}}},
            "variables": {"safe_maintenance_max_unhealthy_upgraded_instance_percent": 100,
                          "safe_maintenance_max_unhealthy_instance_percent": 100,
                          "safe_maintenance_enable_cross_zone_upgrade": True}}


STATE = {"instances": [{"instance_id": str(i), "zone": None, "health": "healthy", "power_state": "running"}
                       for i in range(4)], "repairs_state": None}
FINAL = dict(STATE, instances=[dict(i, last_result="MaintenanceCompleted") for i in STATE["instances"]])


def report(ids):
    return {"batches": [{"maintained_instance_ids": ids}], "failed": False, "aborted": False}


def test_a_second_run_that_backs_off_is_no_violation():
    log = [entry(1, 0, "app"), lease(2, 1, "app"), entry(3, 2, "app2"), entry(4, 3, "app2"),
           post(5, 4, "app", ["0", "1"]), entry(6, 9, "app")]
    results = {"main": {"failed": False, "report": report(["0", "1"])}, "second": {"failed": True, "report": None}}
    assert check.judge_scenario(scenario("second_run"), log, STATE, FINAL, [], results) == []


def test_two_runs_posting_while_both_are_active_break_one_run():
    log = [entry(1, 0, "app"), lease(2, 1, "app"), entry(3, 2, "app2"), post(4, 3, "app", ["0"]),
           post(5, 4, "app2", ["1"]), entry(6, 9, "app"), entry(7, 10, "app2")]
    results = {"main": {"failed": False, "report": report(["0"])}, "second": {"failed": False, "report": None}}
    found = check.judge_scenario(scenario("second_run"), log, STATE, FINAL, [], results)
    assert [f[0] for f in found] == ["one_run"]


def test_a_run_that_claims_maintains_and_releases_while_another_only_reads_keeps_one_run():
    # seed 10, scenario 44 on a loaded controller: app's preflight reads spanned minutes; app2 claimed the lease,
    # maintained and released it meanwhile; app then claimed and maintained
    log = [entry(1, 0, "app"), entry(2, 1, "app2"), lease(3, 2, "app2"), post(4, 3, "app2", ["0"]),
           lease(5, 4, "app2"), entry(6, 5, "app"), lease(7, 6, "app"), post(8, 7, "app", ["1"]), lease(9, 9, "app")]
    assert check.one_run(log, "ss-001") == []
    # the same with app's claim before app2's POST: both hold the scale set at once
    log[6] = lease(7, 2, "app")
    assert [f[0] for f in check.one_run(log, "ss-001")] == ["one_run"]


def test_runs_one_after_the_other_may_both_post():
    log = [entry(1, 0, "app"), post(2, 1, "app", ["0"]), entry(3, 5, "app"),
           entry(4, 6, "app2"), post(5, 7, "app2", ["1"]), entry(6, 9, "app2")]
    assert check.one_run(log, "ss-001") == []


def test_a_rerun_sending_what_the_killed_run_had_sent_is_caught_across_runs():
    log = [entry(1, 0, "app"), lease(2, 1, "app"), post(3, 2, "app", ["0", "1"]),
           entry(4, 8, "app2"), lease(5, 9, "app2"), post(6, 10, "app2", ["1", "2"]), entry(7, 12, "app2")]
    results = {"main": {"failed": None, "report": None}, "rerun": {"failed": False, "report": report(["1", "2"])}}
    found = check.judge_scenario(scenario("killed"), log, STATE, FINAL, [], results)
    assert [f[0] for f in found] == ["twice"]


def test_the_killed_run_needs_no_report_and_the_rerun_is_judged_on_its_own_posts():
    log = [entry(1, 0, "app"), lease(2, 1, "app"), post(3, 2, "app", ["0", "1"]),
           entry(4, 8, "app2"), lease(5, 9, "app2"), post(6, 10, "app2", ["2", "3"]), entry(7, 12, "app2")]
    results = {"main": {"failed": None, "report": None}, "rerun": {"failed": False, "report": report(["2", "3"])}}
    assert check.judge_scenario(scenario("killed"), log, STATE, FINAL, [], results) == []
    # a rerun that claims the killed run's instances as its own is caught by the report rule
    results["rerun"]["report"] = report(["0", "1", "2", "3"])
    found = check.judge_scenario(scenario("killed"), log, STATE, FINAL, [], results)
    assert [f[0] for f in found] == ["report"]


def test_repairs_suspended_by_the_killed_run_must_be_resumed_by_the_rerun():
    orchestration = SS + "/setOrchestrationServiceState"
    suspend = entry(3, 1, "app", "POST", orchestration, 200, {"action": "Suspend"})
    resume = entry(8, 14, "app2", "POST", orchestration, 200, {"action": "Resume"})
    log = [entry(1, 0, "app"), lease(2, 1, "app"), suspend, post(4, 2, "app", ["0"]),
           entry(5, 8, "app2"), post(6, 10, "app2", ["1"]), entry(7, 12, "app2")]
    results = {"main": {"failed": None, "report": None}, "rerun": {"failed": False, "report": report(["1"])}}
    left = dict(FINAL, repairs_state="Suspended")
    assert [f[0] for f in check.judge_scenario(scenario("killed"), log, STATE, left, [], results)] == ["repairs"]
    resumed = dict(FINAL, repairs_state="Running")
    assert check.judge_scenario(scenario("killed"), log + [resume], STATE, resumed, [], results) == []


def with_outcome(kind, instance, outcome):
    s = scenario(kind)
    s["faults"].append({"kind": outcome, "instance": instance, "at": "load"})
    return s


def test_a_later_run_may_retry_once_what_azure_answered_retry_later():
    # seed 6, scenarios 56 and 72: the killed run's attempt met RetryLater, the rerun's retry completed
    log = [entry(1, 0, "app"), lease(2, 1, "app"), post(3, 2, "app", ["0"]),
           entry(4, 8, "app2"), lease(5, 9, "app2"), post(6, 10, "app2", ["0"]), lease(7, 11, "app2"),
           post(8, 12, "app2", ["1"]), entry(9, 14, "app2")]
    results = {"main": {"failed": None, "report": None}, "rerun": {"failed": False, "report": report(["0", "1"])}}
    variables = {"safe_maintenance_max_unhealthy_upgraded_instance_percent": 50}
    s = with_outcome("killed", "0", "RetryLater")
    s["variables"].update(variables)
    assert check.judge_scenario(s, log, STATE, FINAL, [], results) == []
    # the rerun's own first attempt of it would count against its after-batch budget
    s = with_outcome("killed", "1", "RetryLater")
    s["variables"].update(variables)
    log2 = log[:3] + [entry(4, 8, "app2"), lease(5, 9, "app2"), post(6, 10, "app2", ["1"]), lease(7, 11, "app2"),
                      post(8, 12, "app2", ["2"]), entry(9, 14, "app2")]
    results["rerun"]["report"] = report(["1", "2"])
    found = check.judge_scenario(s, log2, STATE, FINAL, [], results)
    assert [f[0] for f in found] == ["after_budget"]


def test_no_retry_within_a_run_and_never_a_third_attempt():
    s = with_outcome("killed", "0", "MaintenanceAborted")
    same_run = [entry(1, 0, "app"), post(2, 1, "app", ["0"]), post(3, 3, "app", ["0"]), entry(4, 4, "app")]
    assert [f[0] for f in check.twice_across_runs(s, same_run, "ss-001")] == ["twice"]
    third = [entry(1, 0, "app"), post(2, 1, "app", ["0"]), entry(3, 5, "app2"), post(4, 6, "app2", ["0"]),
             post(5, 8, "app2", ["0"])]
    assert [f[0] for f in check.twice_across_runs(s, third, "ss-001")] == ["twice"]
    # an instance without such an outcome is never sent again, by any run
    plain = [entry(1, 0, "app"), post(2, 1, "app", ["1"]), entry(3, 5, "app2"), post(4, 6, "app2", ["1"])]
    assert [f[0] for f in check.twice_across_runs(s, plain, "ss-001")] == ["twice"]
