"""Fleet benchmark: the scale_sets inventory (with and without maintenance_status) and the fleet
playbook over the simulator's `fleet` scenario (3 subscriptions x 20 scale sets x 20 instances), with the
simulator's token buckets at Azure's documented sizes. Counts ARM requests and 429 answers from the
simulator's request log and times every command from outside.

    .venv/bin/python tests/perf/fleet.py [--forks 10] [--time-scale 0.05] [--latency-ms 0]
                                         [--skip-playbook] [--out build/perf-fleet]

The tools run with production settings (the public cloud, AWX's credential variables) through the
simulator's proxy listener: only HTTPS_PROXY and REQUESTS_CA_BUNDLE differ. Standard library only, plus
the test venv's ansible-core for the commands it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from perf import ROOT, Sim, count_requests, measure  # noqa: E402

SUBSCRIPTIONS = ["22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333",
                 "44444444-4444-4444-8444-444444444444"]


def main():
    # SIGTERM ends the run through the finally below, so the simulator is stopped too
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--time-scale", type=float, default=0.05)
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--skip-playbook", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "perf-fleet"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fleet-bench-")
    # the collection as Ansible finds it: <path>/ansible_collections/azure_vmss/maintenance
    os.makedirs(os.path.join(work, "collections", "ansible_collections", "azure_vmss"))
    os.symlink(ROOT, os.path.join(work, "collections", "ansible_collections", "azure_vmss", "maintenance"))
    bindir = os.path.dirname(sys.executable)
    sim = Sim(work, "fleet", latency_ms=args.latency_ms, time_scale=args.time_scale)
    results = dict(forks=args.forks, time_scale=args.time_scale, latency_ms=args.latency_ms, load=os.getloadavg())
    try:
        c = sim.c
        env = dict(PATH=bindir + os.pathsep + "/usr/bin:/bin", HOME=os.path.join(work, "home"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(work, "collections"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                   AZURE_CLIENT_ID=c["client_id"], AZURE_SECRET=c["secret"], AZURE_TENANT=c["tenant"],
                   HTTPS_PROXY=c["https_proxy"], REQUESTS_CA_BUNDLE=c["ca_bundle"], LANG="C.UTF-8")
        os.makedirs(env["HOME"])
        inventories = {}
        for name, extra in (("plain", ""), ("status", "maintenance_status: true\n")):
            path = os.path.join(work, "%s.azure_vmss.yml" % name)
            with open(path, "w") as f:
                f.write("plugin: azure_vmss.maintenance.scale_sets\nsubscriptions: [%s]\n%s" % (
                    ", ".join(SUBSCRIPTIONS), extra))
            inventories[name] = path
        for name in ("plain", "status"):
            seq = sim.last_seq()
            m = measure([os.path.join(bindir, "ansible-inventory"), "-i", inventories[name], "--list"], env,
                        os.path.join(args.out, "inventory-%s.out" % name))
            counts = count_requests(sim.entries_since(seq))
            results["inventory_" + name] = dict(wall=round(m["wall"], 2), rc=m["rc"], **counts)
            print("inventory %-6s rc=%d %.2f s, %d ARM requests (%d auth), %d 429s" % (
                name, m["rc"], m["wall"], counts["arm"], counts["auth"], counts["throttled"]), flush=True)
        if not args.skip_playbook:
            seq = sim.last_seq()
            report = os.path.abspath(os.path.join(args.out, "fleet_maintenance_report.json"))
            m = measure([os.path.join(bindir, "ansible-playbook"), "azure_vmss.maintenance.fleet_maintenance",
                         "-i", inventories["status"], "-f", str(args.forks),
                         "-e", "fleet_maintenance_report_path=%s" % report], env,
                        os.path.join(args.out, "playbook.out"), timeout=7200)
            entries = sim.entries_since(seq)
            counts = count_requests(entries)
            posts = [e for e in entries if e["route"] == "perform_maintenance" and e["status"] in (200, 202)]
            maintained = [(e["path"].lower(), i) for e in posts for i in (e.get("body") or {}).get("instanceIds", [])]
            with open(report) as f:
                totals = json.load(f)["totals"]
            results["playbook"] = dict(wall=round(m["wall"], 2), rc=m["rc"], posts=len(posts),
                                       instances_posted=len(maintained), distinct=len(set(maintained)),
                                       report_totals=totals, **counts)
            print("playbook rc=%d %.1f s at %d forks, %d ARM requests (%d auth), %d 429s, %d instances posted "
                  "(%d distinct); report: %s" % (m["rc"], m["wall"], args.forks, counts["arm"], counts["auth"],
                                                 counts["throttled"], len(maintained), len(set(maintained)),
                                                 json.dumps(totals)), flush=True)
    finally:
        sim.stop()
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
