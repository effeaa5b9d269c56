"""Draw the campaign's scenarios from a seed: one small scale set per scenario, the role's variables within their
documented ranges, the faults injected before and during the run, and now and then another run of the role on the
same scale set (a second run, or the controller killed mid-batch and a rerun).

Scenario k of seed S is drawn from its own random source (``S:k``), so ``--only k`` replays exactly that draw.
Durations are real seconds (the simulator's time scale is 1): maintenance takes 1-3 s, recovery 1-2 s, so a
batch costs a few seconds and a campaign of 40 scale sets fits in one playbook run with forks.
"""

import random

RG = "rg-campaign"
SUBSCRIPTION = "22222222-2222-4222-8222-222222222222"
SECOND_CLIENT_ID = "aaaaaaaa-0000-4000-8000-000000000002"
SECOND_SECRET = "sim-secret-app-2"

# Faults drawn into the scenario itself (what the instance does when it is maintained)...
INSTANCE_FAULTS = ("never_recovers", "recovers_late", "fails", "MaintenanceAborted", "RetryLater")
# ... and injected through the control API at a random moment of the run.
RUNTIME_FAULTS = ("unhealthy", "never_recovers", "http_5xx", "dropped", "throttled", "tokens_expired", "alert")
# ... and other runs of the role on the same scale set: a second run, a rerun after the controller was killed.
OTHER_RUNS = ("second_run", "killed")


def scale_set_name(k):
    return "ss-%03d" % k


def draw_scenario(seed, k):
    """Scenario k: the scale set (simulator scenario entry), the role's variables, the faults. Plain data."""
    rnd = random.Random("%s:%d" % (seed, k))
    name = scale_set_name(k)
    flexible = rnd.random() < 0.4
    # mostly small (every batch is a few module processes of CPU), now and then a larger one
    count = rnd.choice([1, 2, 3, 4, 5, 6]) if rnd.random() < 0.85 else rnd.randint(8, 20)
    zones = rnd.choice([[1, 2, 3], [1, 2], None])
    health_signal = rnd.random() < 0.8
    # instance ids as the role and the log name them: numbers on Uniform, VM names on Flexible
    ids = ["%s-vm%d" % (name, n) for n in range(count)] if flexible else [str(n) for n in range(count)]
    kinds, overrides = {}, {}
    for i in ids:
        kind = rnd.choices(["eligible", "no_wave", "maintained", "retry_later"], [0.75, 0.09, 0.08, 0.08])[0]
        kinds[i] = kind
        if kind == "no_wave":
            overrides[i] = {"maintenance": None}
        elif kind == "maintained":
            overrides[i] = {"eligible": False, "last_result": "MaintenanceCompleted"}
        elif kind == "retry_later":
            overrides[i] = {"eligible": False, "last_result": "RetryLater", "last_message": "Retry later."}
        if health_signal and kind != "eligible" and rnd.random() < 0.3:
            # unhealthy and never maintained by the run: unhealthy throughout, counts in every budget
            overrides.setdefault(i, {})["health"] = "unhealthy"
    variables = draw_variables(rnd, count)
    # without a health signal the role refuses unless told to go by the power state alone (auto refuses)
    variables["safe_maintenance_require_health_signal"] = (rnd.choice(["auto", "true", "false"]) if health_signal
                                                           else rnd.choice(["auto", "false", "false", "false"]))
    faults = []
    eligible = [i for i in ids if kinds[i] == "eligible"]
    for i in eligible:
        if rnd.random() < 0.12:
            kind = rnd.choice(INSTANCE_FAULTS)
            faults.append({"kind": kind, "instance": i, "at": "load"})
            ov = overrides.setdefault(i, {})
            if kind == "never_recovers":
                ov["never_recovers"] = True
            elif kind == "recovers_late":
                # Well past health_timeout, so that a role whose health wait ends by the clock within one poll
                # certainly still finds it unhealthy: 15 s at least covers a poll (<= 3 s), the module's own start
                # and end and the operation's last status poll on a loaded machine. A wait that overran its time
                # by more than that sees it recover and counts it healthy.
                ov["recovery"] = int(variables["safe_maintenance_health_timeout"]) + rnd.randint(15, 40)
            elif kind == "fails":
                ov["fails"] = True
            else:
                ov["outcome"] = kind
    for _n in range(rnd.choice([0, 0, 1, 1, 2, 3])):
        fault = {"kind": rnd.choice(RUNTIME_FAULTS), "after": round(rnd.uniform(0.0, 60.0), 1)}
        if fault["kind"] in ("unhealthy", "never_recovers"):
            fault["instance"] = rnd.choice(ids)
        elif fault["kind"] in ("http_5xx", "dropped"):
            fault["route"] = rnd.choice(["vmss_get", "vm_get", "vm_list", "virtual_machine_get", "virtual_machine_list",
                                         "tags_get", "tags_patch", "operation_status", "perform_maintenance",
                                         "virtual_machine_perform_maintenance", "tags_get", "*"])
            fault["count"] = rnd.randint(1, 4)
        elif fault["kind"] == "throttled":
            fault["seconds"] = rnd.randint(1, 10)
        elif fault["kind"] == "tokens_expired":
            fault["lifetime"] = rnd.randint(3, 15)
        elif fault["kind"] == "alert":
            fault["resolve_after"] = rnd.randint(1, 20)
            fault["severity"] = rnd.choice(["Sev0", "Sev1", "Sev2", "Sev3"])
        faults.append(fault)
    repairs = rnd.random() < 0.5
    # Another run on the same scale set, drawn last so that the draws above stay as they were for every seed:
    # a second run started while the first works (it must not POST while the first holds the scale set), or the
    # controller killed mid-batch and the run started again with the killed run's lease broken on purpose.
    other_run = rnd.random()
    if other_run < 0.07:
        faults.append({"kind": "second_run", "delay": round(rnd.uniform(0.0, 20.0), 1)})
    elif other_run < 0.14:
        faults.append({"kind": "killed", "after_posts": rnd.choice([1, 1, 2]), "delay": round(rnd.uniform(0.0, 3.0), 1)})
    scale_set = {
        "name": name, "orchestration_mode": "Flexible" if flexible else "Uniform",
        "health_signal": health_signal,
        "maintenance": {"duration": rnd.randint(1, 3), "recovery": rnd.randint(1, 2), "retry_after": 1},
        "rolling_upgrade": {"code": "Completed", "started": "-3d", "progress": {"successful": count}},
        "os_upgrade_history": [] if flexible else [
            {"code": "Completed", "started": "-2d", "duration": "30m", "progress": {"successful": count}}],
        "instances": dict({"names" if flexible else "ids": ids, "eligible": "all", "overrides": overrides}),
    }
    if zones:
        scale_set["zones"] = zones
    if repairs:
        scale_set["automatic_repairs"] = {"enabled": True, "grace_period": "PT10M", "repair_action": "Replace",
                                          "state": "Running"}
    return {"k": k, "seed": seed, "scale_set": scale_set, "kinds": kinds, "variables": variables, "faults": faults}


def draw_variables(rnd, count):
    """The role's variables, each within its documented range (roles/safe_maintenance/meta/argument_specs.yml)."""
    poll = rnd.randint(1, 3)
    v = {
        "safe_maintenance_max_batch_instance_percent": rnd.choice([1, 20, 25, 34, 50, 50, 75, 100, 100]),
        "safe_maintenance_max_unhealthy_instance_percent": rnd.choice([1, 10, 20, 34, 50, 100]),
        "safe_maintenance_max_unhealthy_upgraded_instance_percent": rnd.choice([1, 5, 20, 34, 50, 100]),
        "safe_maintenance_pause_time_between_batches": rnd.choice(["PT0S", "PT0S", "PT1S", "PT2S"]),
        "safe_maintenance_prioritize_unhealthy_instances": rnd.random() < 0.3,
        "safe_maintenance_enable_cross_zone_upgrade": rnd.random() < 0.2,
        "safe_maintenance_policy_from_scale_set": False,
        "safe_maintenance_health_timeout": rnd.randint(4, 20),
        "safe_maintenance_operation_timeout": 120,
        "safe_maintenance_poll_interval": poll,
        "safe_maintenance_lease_confirm_delay": 8,  # room for a loaded machine (the read-to-write of 8 forks)
        "safe_maintenance_fail_on_unhealthy_after": rnd.random() < 0.8,
        "safe_maintenance_min_healthy_instances": rnd.choice([0, 0, 0, 1, max(0, count - 2), count]),
    }
    if rnd.random() < 0.3:
        v["safe_maintenance_batch_sizes"] = rnd.choice([[1], [1, 2], [1, "50%"], ["25%", "100%"]])
    if rnd.random() < 0.2:
        v["safe_maintenance_canary_pause"] = rnd.choice(["PT1S", "PT3S"])
    if rnd.random() < 0.3:
        # a run window from the run's start; batches estimated at 0.1-0.5 min each
        v["safe_maintenance_not_after"] = "PT%dS" % rnd.randint(10, 90)
        v["safe_maintenance_expected_batch_minutes"] = rnd.choice([0.1, 0.2, 0.5])
    if rnd.random() < 0.2:
        v["safe_maintenance_update_domain_pause"] = rnd.choice(["PT0S", "PT1S"])
    if rnd.random() < 0.3:
        v["safe_maintenance_block_on_alerts"] = True
        v["safe_maintenance_alert_wait"] = rnd.choice(["PT0S", "PT5S", "PT15S"])
    return v


def scenario_file(scenarios):
    """The simulator scenario holding every drawn scale set in one resource group."""
    return {
        "name": "campaign",
        "tenant": "11111111-1111-4111-8111-111111111111",
        "subscriptions": [{"id": SUBSCRIPTION, "display_name": "campaign"}],
        # the second run and the rerun sign in as "app2", so the log tells which run sent what
        "principals": [{"name": "app", "default": True, "client_id": "aaaaaaaa-0000-4000-8000-000000000001",
                        "secret": "sim-secret-app-1", "subscriptions": "all", "role": "Contributor"},
                       {"name": "app2", "client_id": SECOND_CLIENT_ID, "secret": SECOND_SECRET,
                        "subscriptions": "all", "role": "Contributor"}],
        "defaults": {"maintenance": {"duration": 1, "recovery": 1, "retry_after": 1}, "token_lifetime": 3600},
        "resource_groups": [{"name": RG, "location": "westeurope",
                             "scale_sets": [s["scale_set"] for s in scenarios]}],
    }
