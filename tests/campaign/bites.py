"""Bite tests of the campaign's checker: for each invariant, a deliberately broken build (bites/<invariant>.patch,
applied to a temporary copy of the collection) runs a scenario made to meet it, and the campaign must report that
violation. The unbroken build runs the same scenarios first and must report none.

    .venv/bin/python tests/campaign/bites.py [--collection DIR] [--out DIR] [--only INVARIANT ...] [--jobs 2]
"""

import argparse
import concurrent.futures
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import check  # noqa: E402
import draw  # noqa: E402

BASE_VARIABLES = {
    "safe_maintenance_max_batch_instance_percent": 34,
    "safe_maintenance_max_unhealthy_instance_percent": 100,
    "safe_maintenance_max_unhealthy_upgraded_instance_percent": 100,
    "safe_maintenance_pause_time_between_batches": "PT0S",
    "safe_maintenance_prioritize_unhealthy_instances": False,
    "safe_maintenance_enable_cross_zone_upgrade": False,
    "safe_maintenance_policy_from_scale_set": False,
    "safe_maintenance_health_timeout": 5,
    "safe_maintenance_operation_timeout": 120,
    "safe_maintenance_poll_interval": 1,
    "safe_maintenance_lease_confirm_delay": 8,
    "safe_maintenance_fail_on_unhealthy_after": True,
    "safe_maintenance_min_healthy_instances": 0,
}


def scenario(k, variables=None, overrides=None, kinds=None, faults=None, repairs=False):
    """A hand-made scenario in draw.py's shape: a Uniform scale set of 6 over zones 1-3, all eligible."""
    name = draw.scale_set_name(k)
    ids = [str(i) for i in range(6)]
    scale_set = {"name": name, "orchestration_mode": "Uniform", "health_signal": True, "zones": [1, 2, 3],
                 "maintenance": {"duration": 1, "recovery": 1, "retry_after": 1},
                 "rolling_upgrade": {"code": "Completed", "started": "-3d", "progress": {"successful": 6}},
                 "os_upgrade_history": [{"code": "Completed", "started": "-2d", "duration": "30m",
                                         "progress": {"successful": 6}}],
                 "instances": {"ids": ids, "eligible": "all", "overrides": overrides or {}}}
    if repairs:
        scale_set["automatic_repairs"] = {"enabled": True, "grace_period": "PT10M", "repair_action": "Replace",
                                          "state": "Running"}
    all_kinds = dict((i, "eligible") for i in ids)
    all_kinds.update(kinds or {})
    return {"k": k, "seed": "bite", "scale_set": scale_set, "kinds": all_kinds,
            "variables": dict(BASE_VARIABLES, **(variables or {})), "faults": faults or []}


# invariant -> the scenario its broken build must be caught on
BITES = {
    "twice": scenario(0),
    "not_eligible": scenario(1, overrides={"5": {"maintenance": None}}, kinds={"5": "no_wave"}),
    "zones": scenario(2, variables={"safe_maintenance_max_batch_instance_percent": 50}),
    "run_window": scenario(3, variables={"safe_maintenance_max_batch_instance_percent": 17,
                                         "safe_maintenance_not_after": "PT20S",
                                         "safe_maintenance_expected_batch_minutes": 0.1}),
    "after_budget": scenario(4, variables={"safe_maintenance_max_batch_instance_percent": 17,
                                           "safe_maintenance_max_unhealthy_upgraded_instance_percent": 1},
                             overrides={"0": {"never_recovers": True}},
                             faults=[{"kind": "never_recovers", "instance": "0", "at": "load"}]),
    "before_budget": scenario(5, variables={"safe_maintenance_max_unhealthy_instance_percent": 10},
                              overrides={"4": {"maintenance": None, "health": "unhealthy"},
                                         "5": {"maintenance": None, "health": "unhealthy"}},
                              kinds={"4": "no_wave", "5": "no_wave"}),
    "floor": scenario(6, variables={"safe_maintenance_min_healthy_instances": 5}),
    "repairs": scenario(7, repairs=True),
    "report": scenario(8),
    # a second run 5 s after the first one's first request: with its lease a run backs off; without, both maintain
    "one_run": scenario(9, variables={"safe_maintenance_max_batch_instance_percent": 17},
                        faults=[{"kind": "second_run", "delay": 5.0}]),
}


def killed_mid_batch(k):
    """The controller killed after the first accepted POST, and the run started again with the killed run's lease
    broken on purpose: its in-flight instances must be waited for, not sent again; repairs it suspended resumed."""
    s = scenario(k, variables={"safe_maintenance_max_batch_instance_percent": 34}, repairs=True,
                 faults=[{"kind": "killed", "after_posts": 1, "delay": 0.5}])
    s["scale_set"]["maintenance"]["duration"] = 25   # still in flight when the rerun reads the scale set
    return s


# Scenarios the unbroken build runs beside the bite scenarios, for what no single invariant owns.
UNBROKEN_ALSO = [killed_mid_batch(10)]


def copy_collection(source, patch):
    """The collection's runtime parts copied to a temporary folder, with ``patch`` applied (None: unbroken)."""
    target = tempfile.mkdtemp(prefix="campaign-bite-")
    for part in ("plugins", "roles", "meta", "playbooks"):
        shutil.copytree(os.path.join(source, part), os.path.join(target, part),
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(source, "galaxy.yml"), target)
    if patch:
        with open(patch) as f:
            subprocess.run(["patch", "-s", "-p1", "-d", target], stdin=f, check=True)
    return target


def run_campaign(collection, scenarios, out):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "scenarios.json")
    with open(path, "w") as f:
        json.dump(scenarios, f)
    proc = subprocess.run([sys.executable, os.path.join(HERE, "campaign.py"), "--scenario-file", path,
                           "--collection", collection, "--out", out, "--seed", "0"],
                          capture_output=True, text=True, check=False)  # its exit status is the verdict
    with open(os.path.join(out, "campaign.out"), "w") as f:
        f.write(proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout + proc.stderr


def bite(source, invariant, out):
    collection = copy_collection(source, os.path.join(HERE, "bites", invariant + ".patch"))
    try:
        rc, text = run_campaign(collection, [BITES[invariant]], os.path.join(out, invariant))
    finally:
        shutil.rmtree(collection, ignore_errors=True)
    caught = rc == 1 and ("VIOLATION %s " % invariant) in text
    return invariant, caught, text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--collection", default=ROOT)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "campaign-bites"))
    ap.add_argument("--only", action="append", choices=sorted(BITES))
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    wanted = args.only or sorted(BITES)
    assert set(BITES) == set(check.INVARIANTS), "every invariant needs a bite"
    failures = 0
    # the unbroken build on every bite scenario at once: no violation
    collection = copy_collection(args.collection, None)
    try:
        rc, text = run_campaign(collection, [copy.deepcopy(BITES[i]) for i in wanted] + copy.deepcopy(UNBROKEN_ALSO),
                                os.path.join(args.out, "unbroken"))
    finally:
        shutil.rmtree(collection, ignore_errors=True)
    print("unbroken build on the %d bite scenarios and %d more: %s" % (
        len(wanted), len(UNBROKEN_ALSO), "no violation" if rc == 0 else "rc %d" % rc))
    if rc != 0:
        failures += 1
        print(text)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for invariant, caught, text in pool.map(lambda i: bite(args.collection, i, args.out), wanted):
            print("bite %-14s %s" % (invariant, "caught" if caught else "NOT CAUGHT"))
            if not caught:
                failures += 1
                print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
