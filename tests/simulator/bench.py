"""Measure the simulator's own cost per request.

    /tmp/v/bin/python tests/simulator/bench.py [--n 200] [--threads 8]

Sequential: N GETs of one VM's instance view over one keep-alive HTTPS connection (requests.Session);
reports the server-side handling time from the request log (parse, auth, throttle, body, JSON) and
the round trip seen by the client. Concurrent: the same with T threads, one session each.
"""
import argparse
import os
import statistics
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from armsim import Simulator  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    with Simulator(scenario="basic") as sim:
        sim.set_throttle(enabled=False)
        c = sim.connection
        tok = requests.post("%s/%s/oauth2/v2.0/token" % (sim.base_url, c["tenant"]), verify=sim.ca_bundle, data={
            "grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["secret"],
            "scope": sim.base_url + "/.default"}).json()["access_token"]
        url = (sim.base_url + "/subscriptions/%s/resourceGroups/rg-sim/providers/Microsoft.Compute/"
               "virtualMachineScaleSets/vmss-zoned/virtualMachines/0/instanceView" % c["subscription_id"])
        hdr = {"Authorization": "Bearer " + tok}
        prm = {"api-version": "2026-04-01"}

        s = requests.Session()
        s.get(url, params=prm, headers=hdr, verify=sim.ca_bundle)  # connect + TLS handshake
        seq0 = sim.last_seq
        rtts = []
        for _unused in range(args.n):
            t = time.perf_counter()
            r = s.get(url, params=prm, headers=hdr, verify=sim.ca_bundle)
            rtts.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        server = [e["latency_ms"] for e in sim.log_since(seq0)]
        print("sequential, %d GETs, keep-alive:" % args.n)
        print("  server-side handling   median %.2f ms  p95 %.2f ms" % (statistics.median(server), pct(server, 95)))
        print("  client round trip      median %.2f ms  p95 %.2f ms" % (statistics.median(rtts), pct(rtts, 95)))

        seq0 = sim.last_seq
        per = max(1, args.n // args.threads)
        lat = []
        lock = threading.Lock()

        def worker():
            ss = requests.Session()
            mine = []
            for _unused in range(per):
                t = time.perf_counter()
                r = ss.get(url, params=prm, headers=hdr, verify=sim.ca_bundle)
                mine.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            with lock:
                lat.extend(mine)

        ts = [threading.Thread(target=worker) for _unused in range(args.threads)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.perf_counter() - t0
        server = [e["latency_ms"] for e in sim.log_since(seq0)]
        print("concurrent, %d threads x %d GETs (each its own connection):" % (args.threads, per))
        print("  server-side handling   median %.2f ms  p95 %.2f ms" % (statistics.median(server), pct(server, 95)))
        print("  client round trip      median %.2f ms  p95 %.2f ms" % (statistics.median(lat), pct(lat, 95)))
        print("  throughput             %.0f requests/s" % (len(lat) / wall))


if __name__ == "__main__":
    main()
