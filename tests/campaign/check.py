"""The campaign's invariant checker: judges each scenario ONLY from the simulator's request log and state (plus
what the campaign drew and injected, and the run's exit status and report, which are checked AGAINST the log).

It imports nothing of the collection: the rules are written out here, from the role's documentation.
"""

import datetime
import json
from urllib.parse import unquote

INVARIANTS = {
    "twice": "no instance is sent to performMaintenance twice",
    "not_eligible": "no POST names an instance that was not eligible (no wave, maintained, RetryLater)",
    "zones": "no batch spans two zones unless enable_cross_zone_upgrade",
    "run_window": "no POST after the end of the run window (safe_maintenance_not_after)",
    "after_budget": "no POST after a batch that failed or broke max_unhealthy_upgraded_instance_percent",
    "before_budget": "no batch starts while more than max_unhealthy_instance_percent of the fleet is unhealthy",
    "floor": "no batch leaves fewer healthy instances than safe_maintenance_min_healthy_instances",
    "repairs": "automatic repairs are resumed whenever the run suspended them",
    "report": "the exit status and the report agree with what the log and state show was maintained",
    "one_run": "no run POSTs while another run that POSTs holds the scale set (a second run, a rerun): from its "
               "lease write (its first request, if it wrote none) to its last request",
}

# A scenario with another run (draw.OTHER_RUNS) is judged per run on that run's requests (the log names the
# principal: the campaign's runs sign in as "app", the second run and the rerun as "app2"), and on all of them for
# the rules that span runs.
ACROSS_RUNS = ("twice", "not_eligible", "repairs")


def epoch(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def query_text(entry):
    query = entry.get("query") or ""
    if isinstance(query, dict):  # the log keeps the query parsed: {name: value or [values]}
        query = "&".join("%s=%s" % (k, " ".join(v) if isinstance(v, list) else v) for k, v in sorted(query.items()))
    return unquote(query)


def scale_set_of(entry):
    """The campaign scale set a logged request is about, or None (names are ss-NNN, Flexible VMs ss-NNN-vmN)."""
    path = unquote(entry.get("path") or "") + "?" + query_text(entry)
    for marker in ("/virtualMachineScaleSets/", "/virtualMachines/"):
        if marker in path:
            name = path.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0].split("'", 1)[0]
            if name.startswith("ss-"):
                return name[:6]
    return None


def posts(log, name, accepted_only=True):
    """performMaintenance POSTs of scale set ``name``: [(time, [instance ids], seq, status)], in log order; only
    those Azure accepted (200, 202), or every one sent (a refused or dropped POST was still sent)."""
    out = []
    for e in log:
        if e["method"] != "POST" or not e["path"].endswith("/performMaintenance"):
            continue
        if accepted_only and e["status"] not in (200, 202):
            continue
        if scale_set_of(e) != name:
            continue
        if "/virtualMachineScaleSets/" in e["path"] and "/virtualMachines/" not in e["path"]:
            ids = [str(i) for i in ((e.get("body") or {}).get("instanceIds") or [])]
        else:
            ids = [unquote(e["path"]).split("/virtualMachines/", 1)[1].split("/", 1)[0]]
        out.append((epoch(e["time"]), ids, e["seq"], e["status"]))
    return out


def batches(log, name):
    """The accepted POSTs grouped into batches: the role renews its lease (a tags write) before every batch, so a
    tags write of the scale set between two POSTs separates batches."""
    groups, current = [], None
    for e in log:
        if scale_set_of(e) != name:
            continue
        if e["method"] in ("PATCH", "PUT") and "/tags/" in e["path"]:
            current = None
            continue
        for at, ids, seq, _status in posts([e], name, accepted_only=False):
            if current is None:
                current = {"start": at, "ids": [], "seq": seq}
                groups.append(current)
            current["ids"].extend(i for i in ids if i not in current["ids"])  # a transport retry: the same ids
    return groups


def fleet_reads(log, name):
    """Times of the reads of the whole fleet (the VM list) of the scale set."""
    out = []
    for e in log:
        if e["method"] != "GET" or e["status"] != 200:
            continue
        path, query = e["path"], query_text(e)
        if path.endswith("/virtualMachineScaleSets/%s/virtualMachines" % name) or (
                path.endswith("/providers/Microsoft.Compute/virtualMachines") and "/%s'" % name in query):
            out.append(epoch(e["time"]))
    return out


def judge_scenario(s, log, initial, final, injected, results):
    """Violations of scenario ``s``, whatever runs it had. ``results``: run -> {'failed', 'report'}, with run
    "main" (the campaign's playbook), "second" or "rerun" (as principal app2) or "killed" (no result)."""
    other = next((f for f in s["faults"] if f["kind"] in ("second_run", "killed")), None)
    if other is None:
        return check_scenario(s, log, initial, final, injected, results["main"])
    name = s["scale_set"]["name"]
    found = check_scenario(s, log, initial, final, injected, {}, rules=ACROSS_RUNS)
    found += one_run(log, name)
    per_run = [i for i in INVARIANTS if i not in ACROSS_RUNS and i != "one_run"]
    first = first_attempts(log, name)
    if other["kind"] == "second_run":
        found += check_scenario(s, log, initial, final, injected, results["main"], principal="app", rules=per_run,
                                first=first)
    else:
        # the killed run has no exit status or report of its own: the rerun's are judged
        found += check_scenario(s, log, initial, final, injected, {}, principal="app",
                                rules=[i for i in per_run if i != "report"], first=first)
        found += check_scenario(s, log, initial, final, injected, results["rerun"], principal="app2", rules=per_run,
                                first=first)
    return found


def retryable(s):
    """Instances whose drawn outcome is RetryLater or MaintenanceAborted: Azure's answer to their first attempt
    leaves them eligible, to be tried again later (the simulator's outcome is for one attempt; the next completes)."""
    kinds = ("RetryLater", "MaintenanceAborted")
    return set(f["instance"] for f in s["faults"] if f.get("at") == "load" and f["kind"] in kinds)


def first_attempts(log, name):
    """instance -> the principal whose POST of it Azure accepted first."""
    out = {}
    for e in log:
        for _at, ids, _seq, _status in posts([e], name):
            for i in ids:
                out.setdefault(i, e.get("principal"))
    return out


def twice_across_runs(s, log, name):
    """twice, over the runs in ``log``: no instance named again after a POST naming it was accepted, except one
    retry by a later run of an instance Azure answered RetryLater or MaintenanceAborted (what Azure asks for: it is
    eligible again; within a run the role does not retry, so with one run this is the plain rule)."""
    again = retryable(s)
    accepted_by, dup = {}, set()
    for e in log:
        who = e.get("principal")
        for _at, ids, _seq, status in posts([e], name, accepted_only=False):
            for i in ids:
                before = accepted_by.get(i, [])
                if before and not (i in again and len(before) == 1 and before[0] != who):
                    dup.add(i)
            if status in (200, 202):
                for i in ids:
                    accepted_by.setdefault(i, []).append(who)
    if dup:
        return [("twice", "instances %s were POSTed again after Azure had accepted them (runs: %s)" % (
            sorted(dup), dict((i, accepted_by.get(i)) for i in sorted(dup))))]
    return []


def one_run(log, name):
    """one_run: a run's POST while another run that POSTs too holds the scale set: from its first lease write (a
    PATCH of the scale set's tags) to its last request, or from its first request when it wrote no lease (the lease
    turned off). With the lease a second run backs off before any POST, and a rerun starts after the kill. A run's
    reads before its claim hold nothing: on a loaded controller another run may claim, maintain and release
    meanwhile (seed 10, scenario 44: a preflight of 857 s), and the lease is what keeps them apart."""
    spans, sent, claimed = {}, {}, {}
    for e in log:
        who = e.get("principal")
        if not who or scale_set_of(e) != name:
            continue
        at = epoch(e["time"])
        first, last = spans.get(who, (at, at))
        spans[who] = (min(first, at), max(last, at))
        if e["method"] == "PATCH" and e["path"].endswith("/providers/Microsoft.Resources/tags/default") \
                and e["status"] == 200:
            claimed.setdefault(who, at)
        if e["method"] == "POST" and e["path"].endswith("/performMaintenance"):
            sent.setdefault(who, []).append(at)
    spans = dict((who, (claimed.get(who, first), last)) for who, (first, last) in spans.items())
    for who, times in sorted(sent.items()):
        for other, (first, last) in sorted(spans.items()):
            inside = [at for at in times if first <= at <= last]
            if other != who and other in sent and inside:
                return [("one_run", "run %s sent %d POST(s) while run %s (which sent %d) was active on the scale set"
                         % (who, len(inside), other, len(sent[other])))]
    return []


def check_scenario(s, log, initial, final, injected, result, principal=None, rules=None, first=None):
    """Violations of scenario ``s`` as [(invariant, detail)]. ``initial``/``final``: the scale set's entry of the
    simulator's state before and after; ``injected``: the runtime faults injected on it (with ``at``);
    ``result``: {'failed': bool, 'report': dict or None}; ``principal``: judge only that run's requests;
    ``rules``: only these invariants; ``first``: instance -> the run whose attempt met its drawn outcome."""
    spent = set()
    if principal:
        log = [e for e in log if e.get("principal") == principal]
        # a drawn RetryLater or MaintenanceAborted is for one attempt: the other run's retry completes
        spent = set(i for i in retryable(s) if (first or {}).get(i, principal) != principal)
    found = _check_scenario(s, log, initial, final, injected, result, spent)
    return [f for f in found if rules is None or f[0] in rules]


def _check_scenario(s, log, initial, final, injected, result, spent=frozenset()):
    name = s["scale_set"]["name"]
    v = s["variables"]
    signal = s["scale_set"]["health_signal"]
    found = []
    zone = dict((i["instance_id"], i["zone"]) for i in initial["instances"])
    total = len(initial["instances"])
    sent = posts(log, name, accepted_only=False)       # every POST sent counts for safety, refused or not
    accepted = posts(log, name)                        # what Azure started: what the report must say
    groups = batches(log, name)
    ids = [i for _at, batch_ids, _seq, _status in accepted for i in batch_ids]
    named = sorted(set(i for _at, batch_ids, _seq, _status in sent for i in batch_ids))
    mine = [e for e in log if scale_set_of(e) == name]
    first = epoch(mine[0]["time"]) if mine else None

    # twice: named again after a POST naming it was accepted (a retry after a refused or dropped POST is not)
    found += twice_across_runs(s, log, name)
    # not eligible
    bad = sorted(set(i for i in named if s["kinds"].get(i) != "eligible"))
    if bad:
        found.append(("not_eligible", "POSTed %s, which were %s" % (bad, [s["kinds"].get(i) for i in bad])))
    # zones
    if not v.get("safe_maintenance_enable_cross_zone_upgrade"):
        for g in groups:
            zones = sorted(set(str(zone.get(i)) for i in g["ids"]))
            if len(zones) > 1:
                found.append(("zones", "batch at seq %s (%s) spans zones %s" % (g["seq"], g["ids"], zones)))
    # run window
    window = v.get("safe_maintenance_not_after")
    if window and first is not None:
        end = first + int(window[2:-1])
        late = [(at, b) for at, b, _seq, _status in sent if at > end]
        if late:
            found.append(("run_window", "POSTs %s after the window's end (%s s after the run's first request)"
                          % ([b for _at, b in late], window)))
    # what the drawn and injected faults make of each instance once maintained
    load_faults = dict((f["instance"], f["kind"]) for f in s["faults"] if f.get("at") == "load")
    never = set(i for i, k in load_faults.items() if k in ("never_recovers", "recovers_late")) if signal else set()
    failed_outcome = set(i for i, k in load_faults.items() if k in ("MaintenanceAborted", "RetryLater")) - set(spent)
    fails = set(i for i, k in load_faults.items() if k == "fails")
    post_time = dict((i, at) for at, b, _seq, _status in reversed(accepted) for i in b)
    for f in injected:
        if f["kind"] == "never_recovers" and signal and f["instance"] in post_time and f["at"] < post_time[f["instance"]]:
            never.add(f["instance"])
    # after a broken budget
    limit = v["safe_maintenance_max_unhealthy_upgraded_instance_percent"]
    done, counted = [], set()
    for number, g in enumerate(groups):
        done.extend(g["ids"])
        counted |= (never | failed_outcome) & set(g["ids"])
        broken = bool(fails & set(g["ids"])) or len(counted) * 100 > len(done) * limit
        if broken and number + 1 < len(groups):
            found.append(("after_budget", "batch %s %s broke the budget (%d of %d counted, limit %d%%%s) and batch "
                          "%s %s was still sent" % (number + 1, g["ids"], len(counted), len(done), limit,
                                                    ", a failed operation" if fails & set(g["ids"]) else "",
                                                    number + 2, groups[number + 1]["ids"])))
            break
    # before a batch: the budget and the floor, from what the fleet read before it must have shown
    unhealthy0 = set(i["instance_id"] for i in initial["instances"]
                     if i["health"] == "unhealthy" or i["power_state"] != "running")
    reads = fleet_reads(log, name)
    floor = int(v.get("safe_maintenance_min_healthy_instances") or 0)
    # A late recovery is unhealthy at health_timeout (so it counts against the after-batch budget above), but it
    # does recover: a fleet read at least its recovery seconds after its POST may find it healthy (the simulator runs
    # at time scale 1, so scenario seconds are the log's seconds; the maintenance's own duration only adds to that).
    overrides = s["scale_set"]["instances"].get("overrides") or {}
    injected_never = set(f["instance"] for f in injected if f["kind"] == "never_recovers")
    late_recovery = dict((i, float(overrides.get(i, {}).get("recovery") or 0))
                         for i, k in load_faults.items() if k == "recovers_late") if signal else {}
    for number, g in enumerate(groups):
        before = [r for r in reads if r < g["start"]]
        seen = before[-1] if before else None
        if seen is None:
            continue
        recovered_late = set(i for i, seconds in late_recovery.items()
                             if i in post_time and seen >= post_time[i] + seconds and i not in injected_never)
        sick = set(unhealthy0)
        sick |= set(i for i in never if post_time.get(i, seen) < seen)
        sick |= set(f["instance"] for f in injected
                    if f["kind"] == "unhealthy" and signal and f["at"] < seen and f["instance"] not in post_time)
        sick -= set(i for i in post_time if post_time[i] < seen and i not in never)
        sick -= recovered_late
        allowed = v["safe_maintenance_max_unhealthy_instance_percent"]
        if len(sick) * 100 > total * allowed:
            found.append(("before_budget", "batch %s %s started while %d of %d were unhealthy %s (limit %d%%)" % (
                number + 1, g["ids"], len(sick), total, sorted(sick), allowed)))
        taken = [i for i in g["ids"] if i not in sick]
        if floor and (total - len(sick)) - len(taken) < floor:
            found.append(("floor", "batch %s %s left %d healthy of %d, floor %d" % (
                number + 1, g["ids"], total - len(sick) - len(taken), total, floor)))
    # repairs
    actions = [(e.get("body") or {}).get("action") for e in mine
               if e["method"] == "POST" and e["path"].endswith("/setOrchestrationServiceState") and e["status"] in (200, 202)]
    if "Suspend" in actions and (actions[-1] != "Resume" or final.get("repairs_state") != "Running"):
        found.append(("repairs", "repairs suspended and left %s (actions %s)" % (final.get("repairs_state"), actions)))
    # the exit status and the report against the log
    report = result.get("report")
    if report is None:
        if ids:
            found.append(("report", "no report, but the log shows %s maintained" % ids))
    else:
        reported = set(i for b in report.get("batches") or [] for i in b.get("maintained_instance_ids") or [])
        completed = set(i["instance_id"] for i in final["instances"] if i.get("last_result") == "MaintenanceCompleted")
        # A batch whose maintenance failed (one of its instances did not complete; on Uniform the simulator then
        # fails the whole operation) is recorded by the role as failed, with no instance maintained, even those
        # Azure completed anyway (on Flexible the module knows them; the report does not say: noted, not judged).
        failed_posts = set(i for g in groups if set(g["ids"]) & set(ids) - completed for i in g["ids"])
        claimed = sorted(reported - set(ids))
        hidden = sorted(set(ids) - reported - (set(ids) - completed) - failed_posts)
        if claimed or hidden:
            found.append(("report", "the report says %s were maintained; the log and state: %s accepted, %s completed "
                          "(claimed without a POST: %s; completed but not reported: %s)" % (
                              sorted(reported), sorted(ids), sorted(completed & set(ids)), claimed, hidden)))
        said_failed = bool(report.get("failed") or report.get("aborted"))
        if said_failed != bool(result.get("failed")):
            found.append(("report", "the run %s but its report says failed=%s aborted=%s" % (
                "failed" if result.get("failed") else "succeeded", report.get("failed"), report.get("aborted"))))
    return found


def dump(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True, default=str)
