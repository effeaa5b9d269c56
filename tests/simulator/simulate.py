"""Command line for the local ARM + Azure AD simulator.

    python3 tests/simulator/simulate.py serve --scenario basic [--host 127.0.0.1] [--port 0]
        [--scenario-file FILE] [--fault NAME[:IDS][@BATCH][,key=value...] ...]
        [--state-dir DIR] [--connection-file FILE] [--background] [--time-scale F]
        [--latency-ms N] [--log-file FILE] [--seed N] [--no-proxy] [--proxy-port N]
    python3 tests/simulator/simulate.py stop --connection-file FILE

`serve` prints the connection facts as one JSON object (and writes them to --connection-file).
With --background it returns once the server answers. SIGTERM stops it cleanly.

Besides the direct listener (https://127.0.0.1:PORT) it runs, unless --no-proxy, an HTTP proxy
listener (connection fact `https_proxy`, http://127.0.0.1:PROXY_PORT) that answers CONNECT for the
public Azure host names only (management.azure.com, login.microsoftonline.com and the China / US
Government equivalents) and serves them itself: a client with its production settings plus
HTTPS_PROXY=<https_proxy> and REQUESTS_CA_BUNDLE=<ca_bundle> talks to the simulator.
"""

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def _write_json(path, data):
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def _ping(conn, timeout=2.0):
    ctx = ssl.create_default_context(cafile=conn["ca_bundle"])
    with urllib.request.urlopen(conn["control_url"] + "/health", context=ctx, timeout=timeout) as r:
        return r.status == 200


def serve(args):
    from armsim import Simulator

    if args.background:
        return _background(args)
    sim = Simulator(scenario=args.scenario, host=args.host, port=args.port, state_dir=args.state_dir,
                    time_scale=args.time_scale, latency_ms=args.latency_ms, log_file=args.log_file,
                    seed=args.seed, proxy=args.proxy, proxy_port=args.proxy_port)
    sim.start()
    if args.fault:
        # Applied once to the loaded scenario; a reset or load through the control API clears them, as faults.
        from armsim import named_faults
        try:
            for spec in args.fault:
                named_faults.add(sim, named_faults.parse(spec))
        except ValueError as exc:
            sim.stop()
            sys.stderr.write("simulate.py: %s\n" % exc)
            return 2
    conn = sim.connection
    if args.connection_file:
        _write_json(os.path.abspath(args.connection_file), conn)
    print(json.dumps(conn), flush=True)

    stopping = threading.Event()

    def _term(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    while not stopping.wait(0.1):
        pass
    sim.stop()
    return 0


def _background(args):
    state_dir = os.path.abspath(args.state_dir or tempfile.mkdtemp(prefix="armsim-"))
    os.makedirs(state_dir, exist_ok=True)
    conn_file = os.path.abspath(args.connection_file or os.path.join(state_dir, "connection.json"))
    if os.path.exists(conn_file):
        os.unlink(conn_file)
    cmd = [sys.executable, os.path.abspath(__file__), "serve", "--scenario", args.scenario,
           "--host", args.host, "--port", str(args.port), "--state-dir", state_dir,
           "--connection-file", conn_file]
    if args.time_scale is not None:
        cmd += ["--time-scale", str(args.time_scale)]
    if args.latency_ms:
        cmd += ["--latency-ms", str(args.latency_ms)]
    if args.log_file:
        cmd += ["--log-file", os.path.abspath(args.log_file)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    cmd += ["--proxy" if args.proxy else "--no-proxy", "--proxy-port", str(args.proxy_port)]
    for spec in args.fault or []:
        cmd += ["--fault", spec]
    out = open(os.path.join(state_dir, "simulator.out"), "ab")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, close_fds=True)
    deadline = time.time() + args.start_timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.stderr.write("simulator exited with %s; see %s\n"
                             % (proc.returncode, os.path.join(state_dir, "simulator.out")))
            return 1
        if os.path.exists(conn_file):
            try:
                with open(conn_file) as f:
                    conn = json.load(f)
                if _ping(conn):
                    print(json.dumps(conn), flush=True)
                    return 0
            except (OSError, ValueError):
                pass
        time.sleep(0.05)
    proc.terminate()
    sys.stderr.write("simulator did not answer within %s s\n" % args.start_timeout)
    return 1


def stop(args):
    try:
        with open(args.connection_file) as f:
            conn = json.load(f)
    except (OSError, ValueError) as exc:
        sys.stderr.write("cannot read %s: %s\n" % (args.connection_file, exc))
        return 1
    pid = int(conn["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print("simulator (pid %d) was not running" % pid)
        return 0
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("stopped simulator (pid %d)" % pid)
            return 0
        time.sleep(0.05)
    sys.stderr.write("simulator (pid %d) did not stop within %ss\n" % (pid, args.timeout))
    return 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("serve", help="run the simulator")
    s.add_argument("--scenario", "--scenario-file", dest="scenario", default="basic",
                   help="name in scenarios/ or a YAML (or JSON) path, such as a scale_set_snapshot file")
    s.add_argument("--fault", action="append", metavar="NAME[:IDS][@BATCH][,key=value...]",
                   help="a named fault (armsim/named_faults.py), e.g. never_recovers:3, retry_later:4+5@2, "
                        "alert@2, throttle_burst,count=3, window_closes@3; repeatable")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--state-dir")
    s.add_argument("--connection-file")
    s.add_argument("--background", action="store_true")
    s.add_argument("--time-scale", type=float)
    s.add_argument("--latency-ms", type=float, default=0)
    s.add_argument("--log-file")
    s.add_argument("--seed", type=int)
    s.add_argument("--proxy", action=argparse.BooleanOptionalAction, default=True,
                   help="also listen as an HTTPS (CONNECT) proxy for the public Azure host names (default: on)")
    s.add_argument("--proxy-port", type=int, default=0, help="proxy listener port (default: a free one)")
    # A loaded 2-core machine can take well over a minute to import, make certificates and load a scenario.
    s.add_argument("--start-timeout", type=float, default=180,
                   help="with --background: seconds to wait for the simulator to answer (default: 180)")
    s.set_defaults(func=serve)
    t = sp.add_parser("stop", help="stop a simulator started with --background")
    t.add_argument("--connection-file", required=True)
    t.add_argument("--timeout", type=float, default=10)
    t.set_defaults(func=stop)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
