"""A seeded random campaign against the simulator: draw scale sets, role variables and faults, run the
safe_maintenance role on all of them in one playbook run (a host per scale set, forks), inject faults at random
moments, and judge every scenario from the simulator's request log and state (check.py).

    tests/run-campaign --scenarios 40 --seed 1 [--only K ...] [--forks 8] [--out DIR] [--collection DIR]

Exit status 0: no violation; 1: a violation (each printed with its scenario, seed and a replay command); 2: the
campaign itself could not run. Replaying draws the same scenario and faults; the moments at which the role's
requests meet the faults depend on the machine, so a replay reproduces the conditions, not the exact timing.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))

import check  # noqa: E402
import draw  # noqa: E402
from inject import Injector  # noqa: E402

PLAYBOOK = """\
- name: The campaign's scale sets, one host each
  hosts: all
  connection: local
  gather_facts: false
  strategy: free
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Run the safe_maintenance role
      ansible.builtin.include_role:
        name: azure_vmss.maintenance.safe_maintenance
"""


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="tests/run-campaign", description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--scenarios", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", type=int, action="append", help="run only scenario K (repeatable): a replay")
    ap.add_argument("--forks", type=int, default=8)
    ap.add_argument("--out", help="where logs and reports go (default build/campaign/seed-S)")
    ap.add_argument("--collection", default=ROOT, help="the collection to test (a copy, for the bite tests)")
    ap.add_argument("--scenario-file", help="JSON list of scenarios as draw.py makes them, instead of drawing")
    ap.add_argument("--recheck", action="store_true", help="judge the run saved in --out again, without running it")
    return ap.parse_args(argv)


def recap(text):
    """host -> failed (from the PLAY RECAP)."""
    out = {}
    for m in re.finditer(r"^(ss-\d{3})\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", text, re.M):
        out[m.group(1)] = int(m.group(2)) > 0 or int(m.group(3)) > 0
    return out


def scale_sets_of(state):
    return dict((ss["name"], ss) for rg in state["resource_groups"] for ss in rg["scale_sets"])


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    out = os.path.abspath(args.out or os.path.join(ROOT, "build", "campaign", "seed-%d" % args.seed))
    os.makedirs(os.path.join(out, "reports"), exist_ok=True)
    if args.recheck:
        with open(os.path.join(out, "observed.json")) as f:
            seen = json.load(f)
        inventory = {"all": {"hosts": dict((s["scale_set"]["name"], {"safe_maintenance_report_path": os.path.join(
            out, "reports", s["scale_set"]["name"] + ".json")}) for s in seen["scenarios"])}}
        return judge(args, out, seen["scenarios"], inventory, seen["log"], seen["initial"], seen["final"],
                     seen["injected"], seen["rc"], started)
    wanted = args.only or list(range(args.scenarios))
    if args.scenario_file:
        with open(args.scenario_file) as f:
            scenarios = json.load(f)
    else:
        scenarios = [draw.draw_scenario(args.seed, k) for k in wanted]
    work = tempfile.mkdtemp(prefix="campaign-")
    os.makedirs(os.path.join(work, "collections", "ansible_collections", "azure_vmss"))
    os.symlink(os.path.abspath(args.collection),
               os.path.join(work, "collections", "ansible_collections", "azure_vmss", "maintenance"))
    inventory = {"all": {"hosts": {}}}
    for s in scenarios:
        name = s["scale_set"]["name"]
        host = dict(s["variables"], safe_maintenance_resource_group=draw.RG, safe_maintenance_scale_set=name,
                    safe_maintenance_run_id="campaign-%d-%d" % (args.seed, s["k"]),
                    safe_maintenance_report_path=os.path.join(out, "reports", name + ".json"))
        inventory["all"]["hosts"][name] = host
        stale = host["safe_maintenance_report_path"]
        if os.path.exists(stale):
            os.remove(stale)
    with open(os.path.join(work, "inventory.yml"), "w") as f:
        yaml.safe_dump(inventory, f)
    with open(os.path.join(work, "campaign.yml"), "w") as f:
        f.write(PLAYBOOK)

    from armsim import Simulator
    sim = Simulator(scenario="campaign", scenario_data=draw.scenario_file(scenarios), time_scale=1.0,
                    seed=args.seed, state_dir=os.path.join(work, "sim"))
    sim.start()
    try:
        c = sim.connection
        # ansible-playbook's 1 ms poll of its workers costs CPU for as long as a task runs (tests/integration/integration.cfg)
        with open(os.path.join(work, "ansible.cfg"), "w") as f:
            f.write("[defaults]\ninternal_poll_interval = 0.05\n")
        env = dict(PATH=os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
                   HOME=os.path.join(work, "home"), LANG="C.UTF-8",
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(work, "collections"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                   ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_FORKS=str(args.forks),
                   ANSIBLE_CONFIG=os.path.join(work, "ansible.cfg"),
                   AZURE_CLIENT_ID=c["client_id"], AZURE_SECRET=c["secret"], AZURE_TENANT=c["tenant"],
                   AZURE_SUBSCRIPTION_ID=c["subscription_id"],
                   HTTPS_PROXY=c["https_proxy"], REQUESTS_CA_BUNDLE=c["ca_bundle"])
        os.makedirs(env["HOME"])
        initial = sim.state_summary()
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                   os.path.join(work, "inventory.yml"), os.path.join(work, "campaign.yml")]
        injector = Injector(sim, scenarios, runner=OtherRuns(command, env, work, out, inventory))
        killed = injector.killed_runs()
        injector.start()
        with open(os.path.join(out, "playbook.log"), "w") as log_file:
            # the runs to kill are each their own ansible-playbook (the injector starts them), not in this one
            rc = subprocess.call(command + (["--limit", ":".join(["all"] + ["!" + n for n in killed])] if killed else []),
                                 env=env, cwd=work, stdout=log_file, stderr=subprocess.STDOUT)
        injector.main_done.set()
        injector.join()
        final = sim.state_summary()
        log = sim.log
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)  # the collection link, inventory, playbook, certificates, HOME
    # everything the checker judges from, so a run can be judged again (--recheck) without running it again
    observed = dict(log=log, initial=initial, final=final, injected=injector.done, scenarios=scenarios, rc=rc)
    check.dump(os.path.join(out, "observed.json"), observed)
    return judge(args, out, scenarios, inventory, log, initial, final, injector.done, rc, started)


class OtherRuns:
    """Starts another run of the role on one scale set, as its own controller (ansible-playbook process group,
    HOME): "killed" (signs in as app, like the campaign's runs), "second" and "rerun" (as app2; the rerun breaks
    the killed run's lease on purpose, as an operator would)."""

    def __init__(self, command, env, work, out, inventory):
        self.command, self.env, self.work, self.out, self.inventory = command, env, work, out, inventory

    def __call__(self, name, which):
        host = self.inventory["all"]["hosts"][name]
        extra = {"safe_maintenance_report_path": other_report(self.out, name, which)}
        if which != "killed":
            extra["safe_maintenance_run_id"] = "%s-%s" % (host["safe_maintenance_run_id"], which)
        if which == "rerun":
            extra["safe_maintenance_break_lease"] = host["safe_maintenance_run_id"]
        env = dict(self.env, HOME=os.path.join(self.work, "home-%s-%s" % (name, which)))
        if which != "killed":
            env.update(AZURE_CLIENT_ID=draw.SECOND_CLIENT_ID, AZURE_SECRET=draw.SECOND_SECRET)
        os.makedirs(env["HOME"], exist_ok=True)
        if os.path.exists(extra["safe_maintenance_report_path"]):
            os.remove(extra["safe_maintenance_report_path"])
        with open(os.path.join(self.out, "%s.%s.log" % (name, which)), "w") as log_file:
            return subprocess.Popen(self.command + ["--limit", name, "-e", json.dumps(extra)], env=env, cwd=self.work,
                                    stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)


def other_report(out, name, which):
    return os.path.join(out, "reports", "%s.%s.json" % (name, which))


def results_of(out, s, main_failed, report_path):
    """run -> {'failed', 'report'} for scenario s: the campaign's run, and the other runs it drew."""
    name = s["scale_set"]["name"]
    runs = {"main": {"failed": main_failed.get(name), "report": load_report(report_path)}}
    for which in ("second", "rerun"):
        path = os.path.join(out, "%s.%s.log" % (name, which))
        if os.path.exists(path):
            with open(path) as f:
                runs[which] = {"failed": recap(f.read()).get(name), "report": load_report(other_report(out, name, which))}
    return runs


def load_report(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def judge(args, out, scenarios, inventory, log, initial, final, injected_all, rc, started):
    with open(os.path.join(out, "playbook.log")) as f:
        failed = recap(f.read())
    wall = time.monotonic() - started
    killed = set(s["scale_set"]["name"] for s in scenarios if any(f["kind"] == "killed" for f in s["faults"]))
    results = {}
    for s in scenarios:
        name = s["scale_set"]["name"]
        results[name] = results_of(out, s, failed, inventory["all"]["hosts"][name]["safe_maintenance_report_path"])
        if name in killed:   # the rerun stands for the run the campaign's playbook did not make
            failed[name] = (results[name].get("rerun") or {}).get("failed")
    ran = [name for name, value in failed.items() if value is not None]
    if len(ran) != len(scenarios):
        print("campaign: the playbooks ran %d of %d scale sets (rc %d); see %s/playbook.log" % (
            len(ran), len(scenarios), rc, out), file=sys.stderr)
        return 2
    initial_sets, final_sets = scale_sets_of(initial), scale_sets_of(final)
    violations, faults = [], collections.Counter()
    for s in scenarios:
        name = s["scale_set"]["name"]
        injected = [f for f in injected_all if f["scale_set"] == name and "error" not in f]
        for f in [f for f in s["faults"] if f.get("at") == "load"] + injected:
            faults[f["kind"]] += 1
        for invariant, detail in check.judge_scenario(s, log, initial_sets[name], final_sets[name], injected,
                                                      results[name]):
            violations.append(dict(k=s["k"], seed=args.seed, invariant=invariant, detail=detail, scale_set=name))
    posted = sum(len(b) for s in scenarios for _at, b, _seq, _status in check.posts(log, s["scale_set"]["name"]))
    summary = dict(seed=args.seed, scenarios=len(scenarios), forks=args.forks, wall_seconds=round(wall, 1),
                   playbook_rc=rc, runs_failed=sum(failed.values()), instances_posted=posted,
                   requests=len(log), faults=dict(sorted(faults.items())), violations=violations,
                   load=os.getloadavg())
    check.dump(os.path.join(out, "results.json"), dict(summary, scenarios_drawn=scenarios, injected=injected_all))
    print("campaign seed %d: %d scenarios, %d runs failed (as the role decided), %d instances accepted for maintenance, "
          "%d requests, faults %s, %.0f s, %d violation(s)" % (
              args.seed, len(scenarios), summary["runs_failed"], posted, len(log),
              ", ".join("%s %d" % kv for kv in sorted(faults.items())) or "none", wall, len(violations)))
    for v in violations:
        print("VIOLATION %s (%s): scenario %d of seed %d, %s: %s\n  scenario: %s\n  replay: tests/run-campaign "
              "--seed %d --only %d" % (v["invariant"], check.INVARIANTS[v["invariant"]], v["k"], v["seed"],
                                       v["scale_set"], v["detail"],
                                       json.dumps(next(s for s in scenarios if s["k"] == v["k"]), sort_keys=True),
                                       v["seed"], v["k"]))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
