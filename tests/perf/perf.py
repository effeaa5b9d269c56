"""Benchmarks of azure_vmss.maintenance against the simulator, side by side with the peers.

Run through ``tests/perf/run`` (see ``tests/perf/README.md``). Standard library only: the simulator
runs as its own process (``tests/simulator/simulate.py serve --background``) with the interpreter that
runs this script, which must have the simulator's requirements (cryptography, pyyaml).

Every tool is run as a child process and timed from the outside: wall time with a monotonic clock,
peak RSS as ``os.wait4``'s ``ru_maxrss`` of the command, which on Linux is the largest resident set of
any process in its tree that was waited for (ansible's controller, its worker and the module process).
ARM requests are counted from the simulator's request log (``/_sim/log``) between the start and the
end of each command. Medians over the runs; the tools are run interleaved, in a rotating order, so
that load from other processes hits all of them alike.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import math
import os
import platform
import re
import shlex
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIMULATE = os.path.join(ROOT, "tests", "simulator", "simulate.py")
DEFAULT_CACHE = os.environ.get("AZURE_VMSS_PERF_CACHE") or os.path.expanduser("~/.cache/azure_vmss_perf")
PYTHON = os.environ.get("PERF_PYTHON", "python3.11")

# The peers, unmodified, from PyPI (tests/perf/README.md says why these versions).
ANSIBLE_PEER_SPEC = os.environ.get("PERF_ANSIBLE_SPEC", "ansible==12.3.0")
AZCLI_PEER_SPEC = os.environ.get("PERF_AZCLI_SPEC", "azure-cli")

AUTH_ROUTES = {"metadata", "instance_discovery", "userrealm", "openid_config", "jwks", "token"}
SCENARIOS = {100: ("perf100", "rg-perf100", "vmss-perf100"), 1000: ("large", "rg-large", "vmss-large")}
# --orchestration flexible: the same fleet as a Flexible scale set (ordinary VMs named by name)
FLEXIBLE_SCENARIOS = {1000: ("large-flexible", "rg-large", "vmss-large-flex")}
# the routes that read instances, on either orchestration mode
INSTANCE_READ_ROUTES = ("vm_get", "vm_list", "vm_instance_view", "virtual_machine_get", "virtual_machine_list",
                        "virtual_machine_instance_view")
API_VERSION = "2024-07-01"


def log(msg):
    print("perf: %s" % msg, file=sys.stderr, flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ------------------------------------------------------------------------------------------------ simulator
class Sim:
    """A simulator process: started in the background, controlled over its HTTPS control API."""

    def __init__(self, workdir, scenario, latency_ms=0, time_scale=None):
        self.dir = os.path.join(workdir, "sim-%s-%s-%s" % (scenario, latency_ms, time_scale or 1))
        os.makedirs(self.dir, exist_ok=True)
        self.connection_file = os.path.join(self.dir, "connection.json")
        args = [sys.executable, SIMULATE, "serve", "--scenario", scenario, "--state-dir", os.path.join(self.dir, "state"),
                "--connection-file", self.connection_file, "--background", "--latency-ms", str(latency_ms)]
        if time_scale:
            args += ["--time-scale", str(time_scale)]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=180)
        with open(self.connection_file) as f:
            self.c = json.load(f)
        self.scenario = scenario
        self.time_scale = float(time_scale or 1.0)
        ctx = ssl.create_default_context(cafile=self.c["ca_bundle"])
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   urllib.request.HTTPSHandler(context=ctx))

    def ctl(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.c["control_url"] + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with self._opener.open(req, timeout=60) as resp:
            return json.loads(resp.read() or b"{}")

    def last_seq(self):
        return self.ctl("GET", "/log?since=999999999")["last_seq"]

    def entries_since(self, seq):
        return self.ctl("GET", "/log?since=%d" % seq)["entries"]

    def throttle(self, **body):
        return self.ctl("POST", "/throttle", body)

    def stop(self):
        subprocess.run([sys.executable, SIMULATE, "stop", "--connection-file", self.connection_file],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)

    def peer_env(self):
        """What a production job has (AWX's Azure credential env), plus only the proxy and the CA."""
        c = self.c
        return {"AZURE_SUBSCRIPTION_ID": c["subscription_id"], "AZURE_CLIENT_ID": c["client_id"],
                "AZURE_SECRET": c["secret"], "AZURE_TENANT": c["tenant"],
                "HTTPS_PROXY": c["https_proxy"], "REQUESTS_CA_BUNDLE": c["ca_bundle"]}


def count_requests(entries):
    """(all requests, ARM requests, auth requests, 429 answers); refused proxy CONNECTs are not requests."""
    real = [e for e in entries if e["route"] != "proxy_refused"]
    auth = [e for e in real if e["route"] in AUTH_ROUTES]
    return dict(requests=len(real), arm=len(real) - len(auth), auth=len(auth),
                throttled=sum(1 for e in real if e["status"] == 429),
                routes=sorted(set(e["route"] for e in real)),
                by_route=dict(collections.Counter(e["route"] for e in real)))


def parse_time(text):
    # 2026-11-26T06:48:23.1234560+00:00 (7 digits)
    return datetime.strptime(text[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


# ------------------------------------------------------------------------------------------------ tools
class Tools:
    """Where each tool lives: our venv (ansible-core + requirements.txt), the peers' venvs."""

    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.cache = args.cache
        self.coll_root = os.path.join(workdir, "collections")
        link = os.path.join(self.coll_root, "ansible_collections", "azure_vmss", "maintenance")
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.islink(link):
            os.symlink(ROOT, link)
        self.ours_bin = None
        self.azcoll_bin = None
        self.az = None

    def home(self, name):
        d = os.path.join(self.workdir, "home-" + name)
        os.makedirs(d, exist_ok=True)
        return d

    def env(self, tool, sim=None, extra=None):
        env = dict((k, v) for k, v in os.environ.items()
                   if not k.startswith(("AZURE_", "ANSIBLE_", "PYTHON")) and k.lower() not in (
                       "https_proxy", "http_proxy", "no_proxy", "all_proxy", "requests_ca_bundle", "virtual_env"))
        bindir = {"ours": self.ours_bin, "azcollection": self.azcoll_bin,
                  "az": os.path.dirname(self.az) if self.az else None}[tool]
        env["PATH"] = bindir + os.pathsep + "/usr/bin:/bin"
        env["HOME"] = self.home(tool)  # no ~/.azure, ~/.ansible or az login of the person running this
        if tool in ("ours", "azcollection"):
            env.update(ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                       ANSIBLE_DEPRECATION_WARNINGS="false", ANSIBLE_NOCOLOR="1",
                       ANSIBLE_PYTHON_INTERPRETER=os.path.join(bindir, "python"))
        if tool == "ours":
            env["ANSIBLE_COLLECTIONS_PATH"] = self.coll_root
        if tool == "az":
            # one az login per simulator (its tokens mean nothing to another simulator process)
            env["AZURE_CONFIG_DIR"] = os.path.join(sim.dir if sim else env["HOME"], "azure-config")
        if sim is not None:
            env.update(sim.peer_env())
        if extra:
            env.update(extra)
        return env


def measure(argv, env, out_path, cwd=None, timeout=3600):
    """Run argv; wall seconds, peak RSS (MiB, largest process of the tree), CPU seconds (user + system of the
    command and every descendant it waited for: Ansible's controller, its forks and the module processes), exit
    code."""
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
            time.sleep(0.005)
        wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    return dict(wall=wall, rss_mib=usage.ru_maxrss / 1024.0, cpu=usage.ru_utime + usage.ru_stime, rc=rc)


# ------------------------------------------------------------------------------------------------ venvs
def venv_size(path):
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            fp = os.path.join(dirpath, name)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total


def pip_install(venv, *args):
    cmd = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    res = subprocess.run(cmd + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit("pip install %s into %s failed:\n%s" % (" ".join(args), venv, res.stdout[-3000:]))


def make_venv(path, installs):
    """Create a venv and run the pip installs (each a list of pip arguments, or a callable giving one)."""
    shutil.rmtree(path, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([PYTHON, "-m", "venv", path], check=True)
    for item in installs:
        pip_install(path, *(item(path) if callable(item) else item))
    return time.perf_counter() - t0


def core_pin():
    with open(os.path.join(ROOT, "tests", "requirements-test.txt")) as f:
        for line in f:
            if re.match(r"^ansible-core\s*==", line):
                return line.strip()
    return "ansible-core"


def ours_installs():
    return [[core_pin(), "-r", os.path.join(ROOT, "requirements.txt")]]


def azcollection_requirements(venv):
    import glob
    found = glob.glob(os.path.join(venv, "lib", "python*", "site-packages", "ansible_collections", "azure",
                                   "azcollection", "requirements.txt"))
    if not found:
        raise SystemExit("%s has no azure.azcollection requirements.txt" % venv)
    return ["-r", found[0]]


PEERS = {
    "azcollection": lambda: [[ANSIBLE_PEER_SPEC], azcollection_requirements],
    "azcli": lambda: [[AZCLI_PEER_SPEC]],
}


def ensure_venv(cache, name, installs, record_install):
    """The cached venv ``name``, created when missing; its install record (seconds, bytes) is kept."""
    path = os.path.join(cache, name)
    record = os.path.join(cache, name + ".install.json")
    if os.path.exists(os.path.join(path, "bin", "python")) and (os.path.exists(record) or not record_install):
        if not record_install:
            return path, None
        with open(record) as f:
            return path, json.load(f)
    log("installing %s into %s (this takes a while the first time)" % (name, path))
    seconds = make_venv(path, installs)
    info = dict(seconds=round(seconds, 1), bytes=venv_size(path), measured=datetime.now(timezone.utc).isoformat(),
                how="first install into the cache")
    if record_install:
        with open(record, "w") as f:
            json.dump(info, f)
    return path, info


def timed_reinstall(cache, name, installs):
    """A fresh venv next to the cached one, from the (now warm) pip cache: time and size; replaces the cache."""
    tmp = os.path.join(cache, name + ".new")
    seconds = make_venv(tmp, installs)
    size = venv_size(tmp)
    # venvs are not relocatable: keep the measured one aside, the cached one stays in use
    shutil.rmtree(tmp, ignore_errors=True)
    info = dict(seconds=round(seconds, 1), bytes=size, measured=datetime.now(timezone.utc).isoformat(),
                how="fresh venv from a warm pip cache")
    with open(os.path.join(cache, name + ".install.json"), "w") as f:
        json.dump(info, f)
    return info


# ------------------------------------------------------------------------------------------------ commands
def ansible_cmd(tools, tool, module, margs):
    bindir = tools.ours_bin if tool == "ours" else tools.azcoll_bin
    argv = [os.path.join(bindir, "ansible"), "localhost", "-m", module]
    return argv + ["-a", json.dumps(margs)] if margs else argv


def az_cmd(tools, *args):
    return [tools.az] + list(args) + ["--only-show-errors", "-o", "json"]


def az_login(tools, sim):
    env = tools.env("az", sim)
    c = sim.c
    out = os.path.join(tools.workdir, "az-login.out")
    res = measure(az_cmd(tools, "login", "--service-principal", "-u", c["client_id"], "-p", c["secret"],
                         "--tenant", c["tenant"]), env, out)
    if res["rc"] != 0:
        raise SystemExit("az login through the simulator's proxy failed; see %s" % out)


class Runner:
    """Runs the benchmark commands against a simulator and keeps every figure."""

    n = 0  # numbers the output files of the whole run

    def __init__(self, tools, sim, outdir):
        self.tools = tools
        self.sim = sim
        self.outdir = outdir

    def run(self, label, tool, argv, extra_env=None, timeout=3600):
        Runner.n += 1
        out = os.path.join(self.outdir, "%04d-%s.out" % (Runner.n, re.sub(r"[^A-Za-z0-9_.-]+", "_", label)))
        seq = self.sim.last_seq()
        res = measure(argv, self.tools.env(tool, self.sim, extra_env), out, cwd=self.tools.workdir, timeout=timeout)
        entries = self.sim.entries_since(seq)
        res.update(count_requests(entries))
        res["out"] = out
        if res["rc"] != 0:
            log("%s exited %s (see %s)" % (label, res["rc"], out))
        return res


def interleaved(runner, jobs, runs, warmup=True):
    """jobs: [(key, tool, argv, runs_or_None)]; returns {key: [result, ...]} with rotating order."""
    results = dict((key, []) for key, _t, _a, _r in jobs)
    if warmup:
        for key, tool, argv, _r in jobs:
            runner.run(key + "-warmup", tool, argv)
    for i in range(runs):
        order = jobs[i % len(jobs):] + jobs[:i % len(jobs)]
        for key, tool, argv, job_runs in order:
            if job_runs is not None and i >= job_runs:
                continue
            results[key].append(runner.run("%s-%d" % (key, i), tool, argv))
    return results


def summarize(results):
    """Median of each figure over the runs, the request counts of the last run, and the raw runs."""
    ok = [r for r in results if r["rc"] == 0]
    base = ok or results
    if not base:
        return None
    return dict(runs=len(results), failed=len(results) - len(ok),
                wall=median([r["wall"] for r in base]), rss_mib=median([r["rss_mib"] for r in base]),
                requests=base[-1]["requests"], arm=base[-1]["arm"], auth=base[-1]["auth"],
                throttled=sum(r["throttled"] for r in results), routes=base[-1]["routes"],
                raw=[dict((k, v) for k, v in r.items() if k != "routes") for r in results])


# ------------------------------------------------------------------------------------------------ 1. per call
def importtime_total(path):
    """Sum of the top-level cumulative import times in a -X importtime log: seconds, modules."""
    total, modules = 0, 0
    rx = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
    with open(path, errors="replace") as f:
        for line in f:
            m = rx.match(line)
            if not m:
                continue
            modules += 1
            if m.group(3) == " ":
                total += int(m.group(2))
    return total / 1e6, modules


def bench_per_call(tools, workdir, runs, peers):
    sim = Sim(workdir, "perf100", latency_ms=0)
    try:
        sim.throttle(enabled=False)
        rg, name = SCENARIOS[100][1], SCENARIOS[100][2]
        runner = Runner(tools, sim, os.path.join(workdir, "out"))
        jobs = [("ping", "ours", ansible_cmd(tools, "ours", "ping", {}), None),
                ("ours", "ours", ansible_cmd(tools, "ours", "azure_vmss.maintenance.instance_view_info",
                                             {"resource_group": rg, "name": name, "instance_ids": ["0"]}), None)]
        if peers:
            az_login(tools, sim)
            azcoll_module = "azure.azcollection.azure_rm_virtualmachinescalesetinstance_info"
            jobs += [("azcollection", "azcollection", ansible_cmd(
                tools, "azcollection", azcoll_module, {"resource_group": rg, "vmss_name": name, "instance_id": "0"}), None),
                ("az", "az", az_cmd(tools, "vmss", "get-instance-view", "-g", rg, "-n", name, "--instance-id", "0"), None)]
        res = dict((k, summarize(v)) for k, v in interleaved(runner, jobs, runs).items())

        # import time: the module run directly (no ansible), with -X importtime, same instance
        imports = {}
        argsfile = os.path.join(workdir, "module-args-%s.json")
        direct = [("ours", "ours", "ansible_collections.azure_vmss.maintenance.plugins.modules.instance_view_info",
                   {"resource_group": rg, "name": name, "instance_ids": ["0"]})]
        if peers:
            direct.append(("azcollection", "azcollection",
                           "ansible_collections.azure.azcollection.plugins.modules."
                           "azure_rm_virtualmachinescalesetinstance_info",
                           {"resource_group": rg, "vmss_name": name, "instance_id": "0"}))
        for key, tool, module, margs in direct:
            with open(argsfile % key, "w") as f:
                json.dump({"ANSIBLE_MODULE_ARGS": margs}, f)
            bindir = tools.ours_bin if tool == "ours" else tools.azcoll_bin
            extra = {"PYTHONPATH": tools.coll_root} if tool == "ours" else None
            argv = [os.path.join(bindir, "python"), "-X", "importtime", "-m", module, argsfile % key]
            samples = [runner.run("importtime-" + key, tool, argv, extra) for _run in range(max(1, min(runs, 3)))]
            figures = [importtime_total(s["out"]) for s in samples]
            imports[key] = dict(seconds=median([f[0] for f in figures]), modules=figures[-1][1],
                                module_run_wall=median([s["wall"] for s in samples]),
                                module_run_rss_mib=median([s["rss_mib"] for s in samples]))
        if peers:
            azpy = os.path.join(os.path.dirname(tools.az), "python")
            samples = [runner.run("importtime-az", "az", [azpy, "-X", "importtime", "-m", "azure.cli"] +
                                  az_cmd(tools, "vmss", "get-instance-view", "-g", rg, "-n", name,
                                         "--instance-id", "0")[1:])
                       for _run in range(max(1, min(runs, 3)))]
            figures = [importtime_total(s["out"]) for s in samples]
            imports["az"] = dict(seconds=median([f[0] for f in figures]), modules=figures[-1][1],
                                 module_run_wall=median([s["wall"] for s in samples]),
                                 module_run_rss_mib=median([s["rss_mib"] for s in samples]))
        return dict(calls=res, imports=imports, scenario="perf100", latency_ms=0)
    finally:
        sim.stop()


# ------------------------------------------------------------------------------------------------ 2. fleet read
def bench_fleet(tools, workdir, size, runs, peers, latency_ms, slow_runs, scenarios=None):
    scenario, rg, name = (scenarios or SCENARIOS)[size]
    sim = Sim(workdir, scenario, latency_ms=latency_ms)
    try:
        # Read cost only: the buckets would make repeated runs wait (section 4 runs with them on).
        sim.throttle(enabled=False)
        sub = sim.c["subscription_id"]
        vmss_url = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s"
                    % (sub, rg, name))
        runner = Runner(tools, sim, os.path.join(workdir, "out"))
        mod = "azure_vmss.maintenance."
        jobs = [("ours:instances", "ours", ansible_cmd(tools, "ours", mod + "instance_view_info",
                                                       {"resource_group": rg, "name": name}), None),
                ("ours:rolling", "ours", ansible_cmd(tools, "ours", mod + "rolling_upgrade_info",
                                                     {"resource_group": rg, "name": name}), None),
                ("ours:history", "ours", ansible_cmd(tools, "ours", mod + "os_upgrade_history_info",
                                                     {"resource_group": rg, "name": name}), None)]
        if peers:
            az_login(tools, sim)
            generic = "azure.azcollection.azure_rm_resource_info"
            jobs += [
                ("az:instances", "az", az_cmd(tools, "vmss", "get-instance-view", "-g", rg, "-n", name,
                                              "--instance-id", "*"), None),
                ("azcollection:instances", "azcollection", ansible_cmd(
                    tools, "azcollection", "azure.azcollection.azure_rm_virtualmachinescalesetinstance_info",
                    {"resource_group": rg, "vmss_name": name}), slow_runs),
                ("az:rolling", "az", az_cmd(tools, "vmss", "rolling-upgrade", "get-latest", "-g", rg, "-n", name), None),
                ("azcollection:rolling", "azcollection", ansible_cmd(
                    tools, "azcollection", generic, {"url": vmss_url + "/rollingUpgrades/latest",
                                                     "api_version": API_VERSION}), None),
                ("az:history", "az", az_cmd(tools, "vmss", "get-os-upgrade-history", "-g", rg, "-n", name), None),
                ("azcollection:history", "azcollection", ansible_cmd(
                    tools, "azcollection", generic, {"url": vmss_url + "/osUpgradeHistory",
                                                     "api_version": API_VERSION}), None),
            ]
        # the slow peer's warm-up is its first run at this size: skip warm-up for it, not for the others
        warm = [j for j in jobs if j[3] is None]
        for key, tool, argv, _r in warm:
            runner.run(key + "-warmup", tool, argv)
        raw = interleaved(runner, jobs, runs, warmup=False)
        res = dict((k, summarize(v)) for k, v in raw.items())
        # how many instances each answer held (a tool that returns fewer did not do the job)
        for key in ("ours:instances", "az:instances", "azcollection:instances"):
            if res.get(key):
                tool = key.split(":", maxsplit=1)[0]
                res[key]["instances_returned"] = count_instances(res[key]["raw"][-1]["out"], tool)
        return dict(size=size, scenario=scenario, latency_ms=latency_ms, page_size=100, results=res)
    finally:
        sim.stop()


def count_instances(path, tool):
    with open(path, errors="replace") as f:
        text = f.read()
    try:
        if tool == "az":
            return len(json.loads(text))
        body = json.loads(text[text.index("{"):])
        if tool == "ours":
            return len(body.get("instances", []))
        return len(body.get("instances", []))
    except (ValueError, AttributeError):
        return None


# ------------------------------------------------------------------------------------------------ 3. install
def bench_install(tools, args):
    res = {}
    log("install: a fresh venv with %s + requirements.txt" % core_pin())
    res["ours"] = timed_reinstall(args.cache, "ours", ours_installs())
    res["ours"]["what"] = "%s + requirements.txt" % core_pin()
    if args.peers:
        for name, installs in PEERS.items():
            path = os.path.join(args.cache, name)
            if args.reinstall_peers:
                log("install: timing a fresh %s venv (warm pip cache)" % name)
                res[name] = timed_reinstall(args.cache, name, installs())
            else:
                with open(os.path.join(args.cache, name + ".install.json")) as f:
                    res[name] = json.load(f)
                res[name]["bytes"] = venv_size(path)
            res[name]["what"] = {"azcollection": "%s + azure.azcollection's requirements.txt" % ANSIBLE_PEER_SPEC,
                                 "azcli": AZCLI_PEER_SPEC}[name]
    return res


# ------------------------------------------------------------------------------------------------ 4./5. maintenance
def auto_poll_interval(batch, fleet):
    sys.path.insert(0, tools_coll_root[0])
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import read_cost
    return read_cost.poll_interval(batch, fleet)


tools_coll_root = [None]


# the role's tasks, by name, and the phase of the run each one's ARM requests belong to (the last two health-poll
# tasks are those of a tree before perform_maintenance waited for health itself: --baseline)
# (from the phase-prefixed names on, "Batch | " leads the batch's tasks)
PHASES = ((r"^(Batch \| )?Read the fleet's health before batch", "budget read (fleet, before batch 2+)"),
          (r"^(Batch \| )?Maintain(, then wait| the instances of batch)", "perform_maintenance"),
          (r"^Wait until every instance is running and healthy", "health polls"),
          (r"^Read every instance after health_timeout, batch", "health polls"),
          (r"lease", "lease (tags)"),
          (r"repairs", "automatic repairs"))
# within perform_maintenance: the eligibility read, the POST and its LRO status polls, then (wait_for_health) the
# health polls: the instance reads after the maintenance request in the same task
PM_READ_ROUTES = INSTANCE_READ_ROUTES + ("vmss_get",)
MAINTENANCE_POST_ROUTES = ("perform_maintenance", "vm_perform_maintenance", "virtual_machine_perform_maintenance")


def ansible_task_starts(log_path):
    """[(wall time, task name)] from ANSIBLE_LOG_PATH's ``TASK [role : name]`` banners, and {batch: attempts} of
    the health wait (its ``FAILED - RETRYING`` lines + 1)."""
    starts, retries = [], collections.Counter()
    rx = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*?\| (TASK \[(?:[^:\]]+ : )?(.*)\] \*+|"
                    r"FAILED - RETRYING: \[[^\]]+\]: Wait until every instance is running and healthy, batch (\d+))")
    with open(log_path, errors="replace") as f:
        for line in f:
            m = rx.match(line)
            if not m:
                continue
            t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000.0
            if m.group(4) is not None:
                starts.append((t, m.group(4)))
            else:
                retries[int(m.group(5))] += 1
    return starts, retries


def phase_of(task, route, after_post=False):
    for rx, phase in PHASES:
        if re.search(rx, task):
            if phase == "perform_maintenance":
                if after_post and route in INSTANCE_READ_ROUTES:
                    return "health polls"
                if route in PM_READ_ROUTES:
                    return "eligibility read (perform_maintenance)"
                return "maintenance POST + LRO polls"
            if phase in ("budget read (fleet, before batch 2+)", "health polls") and route == "vmss_get":
                return "scale set GETs (%s)" % phase.split(" (", maxsplit=1)[0]
            return phase
    if route == "vmss_get":
        return "scale set GETs (other tasks)"
    return "preflight, claim, release, report (other tasks)"


def requests_by_phase(entries, log_path):
    """ARM requests by phase of the role run and by route, the task of each request being the last task started
    before the simulator answered it; and the health wait's attempts per batch."""
    starts, retries = ansible_task_starts(log_path)
    by_phase, by_task = collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
    times = [t for t, _n in starts]
    posted = set()  # the task runs (by start) that sent a maintenance request
    for e in entries:
        if e["route"] in AUTH_ROUTES or e["route"] == "proxy_refused":
            continue
        i = bisect.bisect_right(times, parse_time(e["time"])) - 1
        task = starts[i][1] if i >= 0 else "(before the first task)"
        if e["route"] in MAINTENANCE_POST_ROUTES:
            posted.add(i)
        by_phase[phase_of(task, e["route"], after_post=i in posted)][e["route"]] += 1
        by_task[re.sub(r"\d+", "N", task)][e["route"]] += 1
    return (dict((k, dict(v)) for k, v in by_phase.items()), dict((k, dict(v)) for k, v in by_task.items()),
            dict((b, n + 1) for b, n in retries.items()))


def module_cpu_wrapper(tools, log_path):
    """An interpreter for Ansible's module processes that appends each one's CPU-seconds and command line (the
    AnsiballZ file names the module) to log_path: the maintenance run's CPU split into module processes and the
    rest (the controller and its forks). None where /usr/bin/time is missing."""
    if not os.path.exists("/usr/bin/time"):
        return None
    path = log_path + ".sh"
    with open(path, "w") as f:
        f.write('#!/bin/sh\nexec /usr/bin/time -a -o %s -f "%%U %%S %%C" %s "$@"\n'
                % (shlex.quote(log_path), shlex.quote(os.path.join(tools.ours_bin, "python"))))
    os.chmod(path, 0o755)
    return path


def read_module_cpu(log_path):
    """{module name: {"processes": n, "cpu": seconds}} from module_cpu_wrapper's log."""
    by_module = {}
    if not os.path.exists(log_path):
        return by_module
    with open(log_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or not re.match(r"^[0-9.]+$", parts[0]):
                continue  # /usr/bin/time's "Command exited with non-zero status" lines
            name = re.search(r"AnsiballZ_(\w+)\.py", line)
            entry = by_module.setdefault(name.group(1) if name else "other", dict(processes=0, cpu=0.0))
            entry["processes"] += 1
            entry["cpu"] += float(parts[0]) + float(parts[1])
    return by_module


def bench_maintenance(tools, workdir, size, time_scale, latency_ms, quick, scenarios=None, tree=None):
    """The role's run over one scale set; ``tree``: (label, collections root) of another tree of the collection
    (--baseline), else this one."""
    scenario, rg, name = (scenarios or SCENARIOS)[size]
    sim = Sim(workdir, scenario, latency_ms=latency_ms, time_scale=time_scale)
    try:
        # Azure's documented bucket sizes; the refill runs as much faster as the scenario's clock does.
        sim.throttle(scale=1.0, refill_scale=1.0 / time_scale, enabled=True, overrides={})
        runner = Runner(tools, sim, os.path.join(workdir, "out"))
        report_path = os.path.join(workdir, "report-%d%s.json" % (size, "-" + tree[0] if tree else ""))
        extra_vars = {"safe_maintenance_resource_group": rg, "safe_maintenance_scale_set": name,
                      "safe_maintenance_report_path": report_path}
        batch_pct = 20
        if quick:
            # CI: one cross-zone batch of 10 instances
            extra_vars.update(safe_maintenance_instance_ids=[str(i) for i in range(10)],
                              safe_maintenance_enable_cross_zone_upgrade=True)
        batch = 10 if quick else max(1, size * batch_pct // 100)
        auto = auto_poll_interval(batch, size)
        # The role's pace is in wall-clock seconds and must not know it talks to a simulator: we pass the
        # value its automatic pace picks (read_cost.poll_interval), compressed like everything else.
        poll = max(1, int(math.ceil(auto * time_scale))) if time_scale < 1 else 0
        extra_vars["safe_maintenance_poll_interval"] = poll
        tag = "%d%s" % (size, "-" + tree[0] if tree else "")
        module_cpu_log = os.path.join(workdir, "out", "maintenance-%s.module-cpu.txt" % tag)
        wrapper = module_cpu_wrapper(tools, module_cpu_log)
        if wrapper:
            # an extra var: the implicit localhost's own interpreter setting beats ANSIBLE_PYTHON_INTERPRETER
            extra_vars["ansible_python_interpreter"] = wrapper
        vars_file = os.path.join(workdir, "maintenance-vars-%d%s.json" % (size, "-" + tree[0] if tree else ""))
        with open(vars_file, "w") as f:
            json.dump(extra_vars, f)
        argv = [os.path.join(tools.ours_bin, "ansible-playbook"), "azure_vmss.maintenance.safe_maintenance",
                "-e", "@" + vars_file]
        t_start = time.time()
        ansible_log = os.path.join(workdir, "out", "maintenance-%s.ansible.log" % tag)
        run_env = {"ANSIBLE_LOG_PATH": ansible_log}
        if tree:
            run_env["ANSIBLE_COLLECTIONS_PATH"] = tree[1]
        if tools.args.ansible_cfg:
            run_env["ANSIBLE_CONFIG"] = os.path.abspath(tools.args.ansible_cfg)
        if tools.args.wrap_playbook:
            argv = shlex.split(tools.args.wrap_playbook) + argv
        res = runner.run("maintenance-%s" % tag, "ours", argv, extra_env=run_env)
        with open(report_path) as f:
            report = json.load(f)
        entries = sim.entries_since(0)
        ops = sim.ctl("GET", "/operations")["operations"]
        with open(os.path.join(ROOT, "tests", "simulator", "scenarios", scenario + ".yml")) as f:
            text = f.read()
        duration = float(re.search(r"duration:\s*(\d+)", text).group(1))
        recovery = float(re.search(r"recovery:\s*(\d+)", text).group(1))
        batches = len(report.get("batches", []))
        pause = 0.0
        ideal = batches * (duration + recovery) * time_scale + max(0, batches - 1) * pause
        # how long after a batch is healthy again the run reads it: the first instance read after that
        reads = sorted(parse_time(e["time"]) for e in entries
                       if e["route"] in INSTANCE_READ_ROUTES and e["status"] == 200)
        notice = []
        for op in ops:
            healthy_at = parse_time(op["end"]) + recovery * time_scale
            later = [t for t in reads if t >= healthy_at]
            if later:
                notice.append(later[0] - healthy_at)
        counts = count_requests(entries)
        by_phase, by_task, health_attempts = requests_by_phase(entries, ansible_log)
        instances = int(report["totals"]["instances"] or size)
        # every module process reads Azure AD's OpenID configuration once (MSAL's discovery, not cached)
        processes = counts["by_route"].get("openid_config", 0)
        module_cpu = read_module_cpu(module_cpu_log) if wrapper else None
        return dict(size=size, scenario=scenario, time_scale=time_scale, latency_ms=latency_ms,
                    tree=tree[0] if tree else "this tree",
                    rc=res["rc"], wall=res["wall"], rss_mib=res["rss_mib"], batches=batches,
                    cpu_seconds=res["cpu"], module_processes=processes,
                    cpu_per_batch=res["cpu"] / batches if batches else None,
                    processes_per_batch=processes / float(batches) if batches else None,
                    module_cpu=module_cpu,
                    controller_cpu_per_batch=((res["cpu"] - sum(m["cpu"] for m in module_cpu.values())) / batches
                                              if module_cpu and batches else None),
                    maintained=int(report["totals"]["maintained"]), aborted=report.get("aborted"),
                    abort_reason=report.get("abort_reason"),
                    maintenance_seconds=duration, recovery_seconds=recovery, pause_seconds=pause,
                    ideal=ideal, overhead=res["wall"] / ideal if ideal else None,
                    poll_interval=poll, auto_poll_interval=auto,
                    requests=counts["requests"], arm=counts["arm"], auth=counts["auth"], by_route=counts["by_route"],
                    arm_per_instance=counts["arm"] / float(instances), throttled=counts["throttled"],
                    arm_per_maintained=counts["arm"] / float(max(1, int(report["totals"]["maintained"]))),
                    by_phase=by_phase, by_task=by_task, health_attempts=health_attempts,
                    notice_wall=notice, notice_median=median(notice),
                    notice_scenario_median=(median(notice) / time_scale) if notice else None,
                    started=t_start, out=res["out"])
    finally:
        sim.stop()


# ------------------------------------------------------------------------------------------------ output
def fmt(v, spec="%.2f", none="–"):
    return none if v is None else spec % v


def ratio(a, b):
    return (a / b) if (a is not None and b) else None


def markdown(data):
    lines = []
    m = data["machine"]
    lines.append("Measured %s on %s (%s cores, Python %s), load average %s before / %s after; command: `%s`."
                 % (data["started"][:16].replace("T", " ") + " UTC", m["platform"], m["cores"], m["python"],
                    m["load_before"], m["load_after"], data["command"]))
    lines.append("Ours: %s; peers through the simulator's HTTPS proxy with their default cloud (ours too)."
                 % data["ours_venv"])
    lines.append("")
    pc = data.get("per_call")
    if pc:
        calls, imps = pc["calls"], pc["imports"]
        ping = calls["ping"]["wall"]
        lines += ["### 1. One call: instance view of one instance (median of %d runs, no added latency)"
                  % calls["ours"]["runs"], "",
                  "| command | wall s | x ping | peak RSS MiB | requests (ARM + auth) | imports s (modules) |",
                  "|---|---:|---:|---:|---:|---:|"]
        names = [("ping", "`ansible localhost -m ping`"),
                 ("ours", "`ansible localhost -m azure_vmss.maintenance.instance_view_info`"),
                 ("azcollection", "`ansible localhost -m azure.azcollection.azure_rm_virtualmachinescalesetinstance_info`"),
                 ("az", "`az vmss get-instance-view --instance-id 0`")]
        for key, label in names:
            r = calls.get(key)
            if not r:
                continue
            imp = imps.get(key)
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                label, fmt(r["wall"]), fmt(ratio(r["wall"], ping)), fmt(r["rss_mib"], "%.0f"),
                "%d (%d + %d)" % (r["requests"], r["arm"], r["auth"]) if key != "ping" else "–",
                "%s (%d)" % (fmt(imp["seconds"]), imp["modules"]) if imp else "–"))
        if calls.get("azcollection"):
            lines.append("")
            lines.append("Ours / azure.azcollection: %s (wall time, same run)."
                         % fmt(ratio(calls["ours"]["wall"], calls["azcollection"]["wall"])))
        lines.append("")
    fl = data.get("fleet")
    if fl:
        lines += ["### 2. Fleet read (%d ms added to every request; median of %d runs)"
                  % (fl[0]["latency_ms"], data["runs"]), "",
                  "| job | instances | tool | wall s | requests (ARM + auth) | note |",
                  "|---|---:|---|---:|---:|---|"]
        jobs = [("instances", "instance view of every instance"), ("rolling", "latest rolling upgrade"),
                ("history", "OS upgrade history")]
        tools = [("ours", "ours"), ("az", "az"), ("azcollection", "azure.azcollection")]
        notes = {
            ("instances", "ours"): "`instance_view_info`",
            ("instances", "az"): "`az vmss get-instance-view --instance-id '*'` (entries carry no instance id)",
            ("instances", "azcollection"): "`azure_rm_virtualmachinescalesetinstance_info`: power state only, "
                                           "no maintenance or health",
            ("rolling", "ours"): "`rolling_upgrade_info`",
            ("rolling", "az"): "`az vmss rolling-upgrade get-latest`",
            ("rolling", "azcollection"): "no module: generic `azure_rm_resource_info url=...`",
            ("history", "ours"): "`os_upgrade_history_info`",
            ("history", "az"): "`az vmss get-os-upgrade-history`",
            ("history", "azcollection"): "no module: generic `azure_rm_resource_info url=...`",
        }
        for job, label in jobs:
            for f in fl:
                for tool, tname in tools:
                    r = f["results"].get("%s:%s" % (tool, job))
                    if not r:
                        continue
                    note = notes[(job, tool)]
                    if r["runs"] < data["runs"]:
                        note += " (%d run)" % r["runs"] if r["runs"] == 1 else " (%d runs)" % r["runs"]
                    if r.get("failed"):
                        note += "; %d of %d runs failed" % (r["failed"], r["runs"])
                    if job == "instances":
                        got = r.get("instances_returned")
                        if got is not None and got != f["size"]:
                            note += "; returned %s entries" % got
                    lines.append("| %s | %d | %s | %s | %d (%d + %d) | %s |" % (
                        label, f["size"], tname, fmt(r["wall"]), r["requests"], r["arm"], r["auth"], note))
        lines.append("")
        for f in fl:
            ours = f["results"].get("ours:instances")
            az = f["results"].get("az:instances")
            bound = int(math.ceil(f["size"] / float(f["page_size"]))) + 2
            lines.append("- %d instances: ours %d requests (goal <= %d)%s." % (
                f["size"], ours["requests"], bound,
                ", %s x az's wall time" % fmt(ratio(ours["wall"], az["wall"])) if az else ""))
        lines.append("")
    ins = data.get("install")
    if ins:
        lines += ["### 3. Install", "", "| what | venv MB | seconds | how |", "|---|---:|---:|---|"]
        for key, label in (("ours", "ours"), ("azcollection", "azure.azcollection"), ("azcli", "Azure CLI")):
            r = ins.get(key)
            if r:
                lines.append("| %s: %s | %.0f | %s | %s |" % (
                    label, r["what"], r["bytes"] / 1e6, fmt(r["seconds"], "%.0f"), r["how"]))
        lines.append("")
    mt = data.get("maintenance")
    if mt:
        lines += ["### 4./5. The whole maintenance run (role `safe_maintenance`, %d ms per request, "
                  "Azure's documented throttle buckets)" % mt[0]["latency_ms"], "",
                  "| collection | instances | time scale | batches | wall s | ideal s | overhead "
                  "| controller CPU s (per batch) | module processes (per batch) | ARM requests / instance "
                  "| 429s | noticed recovery after (s, median; scenario s) | poll interval s (auto) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in mt:
            lines.append("| %s | %d | %s | %d | %s | %s | %s | %s (%s) | %d (%s) | %s | %d | %s; %s | %s (%s) |" % (
                r.get("tree", "this tree"),
                r["size"], r["time_scale"], r["batches"], fmt(r["wall"], "%.1f"), fmt(r["ideal"], "%.1f"),
                fmt(r["overhead"]), fmt(r.get("cpu_seconds"), "%.1f"), fmt(r.get("cpu_per_batch"), "%.2f"),
                r.get("module_processes", 0), fmt(r.get("processes_per_batch"), "%.1f"),
                fmt(r["arm_per_instance"], "%.3f"), r["throttled"],
                fmt(r["notice_median"], "%.1f"), fmt(r["notice_scenario_median"], "%.0f"),
                r["poll_interval"] or "auto", r["auto_poll_interval"]))
            if r["rc"] != 0 or r["aborted"]:
                lines.append("|  | run failed: %s |" % (r.get("abort_reason") or "exit %s" % r["rc"]))
        lines.append("")
        for r in mt:
            if r.get("module_cpu"):
                modules = sorted(r["module_cpu"].items(), key=lambda kv: -kv[1]["cpu"])
                in_modules = sum(m["cpu"] for _n, m in modules)
                lines += ["CPU-seconds of the %d-instance run (%s): module processes %.1f, the rest (ansible-playbook and "
                          "its task workers) %.1f, %.2f per batch. By module (processes, CPU s): %s." % (
                              r["size"], r.get("tree", "this tree"), in_modules, r["cpu_seconds"] - in_modules,
                              r["controller_cpu_per_batch"], ", ".join(
                                  "%s %d, %.1f" % (n, m["processes"], m["cpu"]) for n, m in modules)), ""]
        for r in mt:
            if not r.get("by_phase"):
                continue
            maintained = max(1, r["maintained"])
            lines += ["ARM requests of the %d-instance run (%s) by phase (%d maintained; attempts per batch of a health "
                      "wait task that retried: %s):"
                      % (r["size"], r.get("tree", "this tree"), r["maintained"],
                         ", ".join("%s" % n for _b, n in sorted(r["health_attempts"].items()))
                         or "none (one attempt each, or no such task: the wait inside perform_maintenance)"), "",
                      "| phase | requests | per maintained instance | by route |", "|---|---:|---:|---|"]
            for phase, routes in sorted(r["by_phase"].items(), key=lambda kv: -sum(kv[1].values())):
                n = sum(routes.values())
                lines.append("| %s | %d | %.3f | %s |" % (phase, n, n / float(maintained), ", ".join(
                    "%s %d" % kv for kv in sorted(routes.items(), key=lambda kv: -kv[1]))))
            lines.append("| total | %d | %.3f | |" % (r["arm"], r["arm"] / float(maintained)))
            lines.append("")
    return "\n".join(lines) + "\n"


def svg_chart(data, path):
    """Fleet-read wall time against fleet size, one line per tool; a hand-written SVG (no plotting library)."""
    series = {}
    for f in data.get("fleet", []):
        for tool in ("ours", "az", "azcollection"):
            r = f["results"].get(tool + ":instances")
            if r and r["wall"]:
                series.setdefault(tool, []).append((f["size"], r["wall"]))
    if not series:
        return False
    names = {"ours": "azure_vmss.maintenance", "az": "Azure CLI (--instance-id '*')",
             "azcollection": "azure.azcollection (one request per VM)"}
    colors = {"ours": "#1f77b4", "az": "#2ca02c", "azcollection": "#d62728"}
    W, H, L, R, T, B = 640, 400, 70, 20, 40, 60
    xs = sorted(set(point[0] for pts in series.values() for point in pts))
    ymax = max(point[1] for pts in series.values() for point in pts)
    # log scale on both axes: 100 and 1,000 instances, and walls from ~1 s to minutes
    lx0, lx1 = math.log10(min(xs)) - 0.1, math.log10(max(xs)) + 0.1
    ly0, ly1 = -0.3, math.log10(ymax) + 0.2

    def px(x):
        return L + (math.log10(x) - lx0) / (lx1 - lx0) * (W - L - R)

    def py(y):
        return H - B - (math.log10(y) - ly0) / (ly1 - ly0) * (H - T - B)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="sans-serif" font-size="12">' % (W, H, W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">Fleet read: instance view of every instance (%d ms per request)</text>'
           % (L, data["fleet"][0]["latency_ms"]),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, H - B, W - R, H - B),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, T, L, H - B)]
    for x in xs:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (px(x), H - B + 16, x))
    out.append('<text x="%d" y="%d" text-anchor="middle">instances in the scale set</text>' % ((L + W - R) // 2, H - 20))
    y = 10 ** math.floor(ly0)
    while y <= 10 ** ly1:
        for m in (1, 2, 5):
            v = y * m
            if 10 ** ly0 <= v <= 10 ** ly1:
                out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (L, py(v), W - R, py(v)))
                out.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (L - 6, py(v) + 4, v))
        y *= 10
    out.append('<text x="16" y="%d" transform="rotate(-90 16 %d)" text-anchor="middle">wall time, s (log)</text>'
               % ((T + H - B) // 2, (T + H - B) // 2))
    for i, (tool, pts) in enumerate(sorted(series.items())):
        pts.sort()
        d = " ".join("%.1f,%.1f" % (px(x), py(v)) for x, v in pts)
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (colors[tool], d))
        for x, v in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>' % (px(x), py(v), colors[tool]))
            out.append('<text x="%.1f" y="%.1f" fill="%s">%.1f s</text>' % (px(x) + 7, py(v) - 6, colors[tool], v))
        out.append('<rect x="%d" y="%d" width="12" height="3" fill="%s"/>' % (L + 10, T + 8 + 16 * i, colors[tool]))
        out.append('<text x="%d" y="%d">%s</text>' % (L + 28, T + 13 + 16 * i, names[tool]))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ------------------------------------------------------------------------------------------------ main
def main(argv=None):
    p = argparse.ArgumentParser(prog="tests/perf/run", description=__doc__.split("\n", maxsplit=1)[0])
    p.add_argument("--quick", action="store_true",
                   help="CI mode: 100 instances, 2 runs, no install, one 10-instance batch (overrides --runs)")
    p.add_argument("--peers", action="store_true", help="also run azure.azcollection and the Azure CLI "
                   "(installed into their own venvs under --cache on first use)")
    p.add_argument("--reinstall-peers", action="store_true",
                   help="time a fresh install of each peer from the warm pip cache (slow)")
    p.add_argument("--runs", type=int, default=5, help="runs per figure (medians), default 5")
    p.add_argument("--slow-runs", type=int, default=1,
                   help="runs of azure.azcollection's 1,000-instance fleet read (one request per VM), default 1")
    p.add_argument("--sizes", default="100,1000", help="fleet sizes for sections 2 and 4 (100, 1000)")
    p.add_argument("--latency-ms", type=int, default=100, help="added to every request in sections 2 and 4")
    p.add_argument("--time-scale", type=float, default=0.25,
                   help="simulator time scale for the maintenance runs (section 4), default 0.25")
    p.add_argument("--sections", default="call,fleet,install,maintenance",
                   help="comma separated: call, fleet, install, maintenance")
    p.add_argument("--cache", default=DEFAULT_CACHE, help="venvs of ours and the peers (default %(default)s)")
    p.add_argument("--out", default=os.path.join(ROOT, "tests", "perf", "results", "latest"),
                   help="where the table (results.md), the figures (results.json) and the logs go")
    p.add_argument("--chart", help="write the fleet-read chart (SVG) here")
    p.add_argument("--test-venv", action="store_true",
                   help="run ours from the test venv, as --quick does, instead of a venv of only its requirements")
    p.add_argument("--baseline", metavar="DIR",
                   help="section 4 also runs the role of the collection tree in DIR (for example `git archive` of "
                        "main, unpacked), before this tree's, for a before/after in one run")
    p.add_argument("--orchestration", choices=("uniform", "flexible"), default="uniform",
                   help="the scale sets of sections 2 and 4: Uniform (default) or the same fleet as a Flexible "
                        "scale set (1,000 instances only, ours only: the peers' commands are Uniform-only)")
    p.add_argument("--ansible-cfg", metavar="FILE",
                   help="section 4 runs the role with this ansible.cfg (ANSIBLE_CONFIG), for example one that sets "
                        "internal_poll_interval")
    p.add_argument("--wrap-playbook", metavar="CMD",
                   help="section 4 runs ansible-playbook under this command, for example "
                        "'py-spy record --subprocesses --format raw -o FILE --' to see where the CPU goes")
    args = p.parse_args(argv)
    scenarios = SCENARIOS
    if args.orchestration == "flexible":
        scenarios = FLEXIBLE_SCENARIOS
        if args.peers or args.quick or set(args.sizes.split(",")) - {"1000"}:
            p.error("--orchestration flexible measures ours on 1,000 instances: --sizes 1000, no --peers or --quick")
    sections = set(args.sections.split(","))
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.quick:
        args.runs, sizes, args.peers = 2, [100], False
        sections.discard("install")
        args.time_scale = min(args.time_scale, 0.05)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.cache, exist_ok=True)
    # logs, simulators and the collection link; outside the working tree (ansible does not load a collection
    # through a path inside itself)
    runs_dir = os.path.join(args.cache, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    old_runs = sorted((os.path.join(runs_dir, d) for d in os.listdir(runs_dir)), key=os.path.getmtime)
    for old in old_runs[:-4]:  # keep the logs of the last 4 runs, and of any run of the last 2 hours
        if time.time() - os.path.getmtime(old) > 7200:
            shutil.rmtree(old, ignore_errors=True)
    workdir = tempfile.mkdtemp(prefix="run-", dir=runs_dir)
    os.makedirs(os.path.join(workdir, "out"))

    data = dict(started=datetime.now(timezone.utc).isoformat(), runs=args.runs,
                command="tests/perf/run " + " ".join(argv if argv is not None else sys.argv[1:]),
                machine=dict(platform=platform.platform(), cores=os.cpu_count(), python=platform.python_version(),
                             load_before=loadavg()))
    tools = Tools(args, workdir)
    tools_coll_root[0] = tools.coll_root
    if args.quick or args.test_venv:
        # CI: the interpreter's own venv (the test venv), no install
        tools.ours_bin = os.path.dirname(sys.executable)
        data["ours_venv"] = "the test venv (%s)" % os.path.dirname(tools.ours_bin)
    else:
        path, _info = ensure_venv(args.cache, "ours", ours_installs(), record_install=False)
        tools.ours_bin = os.path.join(path, "bin")
        data["ours_venv"] = "a venv with only %s + requirements.txt" % core_pin()
    if args.peers:
        azcoll = ensure_venv(args.cache, "azcollection", PEERS["azcollection"](), record_install=True)[0]
        azcli = ensure_venv(args.cache, "azcli", PEERS["azcli"](), record_install=True)[0]
        tools.azcoll_bin = os.path.join(azcoll, "bin")
        tools.az = os.path.join(azcli, "bin", "az")

    t0 = time.time()
    if "call" in sections:
        log("1. per call")
        data["per_call"] = bench_per_call(tools, workdir, args.runs, args.peers)
    if "fleet" in sections:
        data["fleet"] = []
        for size in sizes:
            log("2. fleet read, %d instances" % size)
            data["fleet"].append(bench_fleet(tools, workdir, size, args.runs, args.peers, args.latency_ms,
                                             args.slow_runs if size >= 1000 else None, scenarios))
    if "install" in sections:
        log("3. install")
        data["install"] = bench_install(tools, args)
    if "maintenance" in sections:
        data["maintenance"] = []
        trees = [None]
        if args.baseline:
            baseline_root = os.path.join(workdir, "collections-baseline")
            link = os.path.join(baseline_root, "ansible_collections", "azure_vmss", "maintenance")
            os.makedirs(os.path.dirname(link))
            os.symlink(os.path.abspath(args.baseline), link)
            trees = [("baseline", baseline_root), None]
        for size in sizes:
            for tree in trees:
                log("4. maintenance run, %d instances, time scale %s%s"
                    % (size, args.time_scale, ", baseline %s" % args.baseline if tree else ""))
                data["maintenance"].append(bench_maintenance(tools, workdir, size, args.time_scale, args.latency_ms,
                                                             args.quick, scenarios, tree))
    data["seconds"] = round(time.time() - t0, 1)
    data["machine"]["load_after"] = loadavg()
    table = markdown(data)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(data, f, indent=1, default=str)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(table)
    if args.chart and svg_chart(data, args.chart):
        log("chart: %s" % args.chart)
    print(table)
    log("done in %.0f s; %s/results.md, results.json; logs in %s" % (data["seconds"], args.out, workdir))
    failed = []
    for key, r in (data.get("per_call") or {}).get("calls", {}).items():
        if r and r["failed"]:
            failed.append("call " + key)
    for f in data.get("fleet", []):
        failed += ["fleet %d %s" % (f["size"], k) for k, r in f["results"].items() if r and r["failed"]]
    failed += ["maintenance %d" % m["size"] for m in data.get("maintenance", []) if m["rc"] != 0 or m["aborted"]]
    if failed:
        log("FAILED: %s" % ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
