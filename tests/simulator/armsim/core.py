"""The Simulator: starts the HTTPS listener (and the proxy listener) in background threads, holds the
scenario state, the request log and the lock, and offers the control API as Python methods."""

import os
import random
import secrets
import shutil
import tempfile
import threading
import time

from . import alerts, certs, control
from .throttling import bucket_now
from .clouds import PROXY_HOSTS
from .faults import normalise_fault
from .proxy import ProxyServer
from .requestlog import RequestLog
from .server import Server, server_context
from .state import SimState, load_scenario
from .wire import Request, Resp


class Simulator:
    """Run the simulator in a background thread.

        with Simulator(scenario="basic", time_scale=0.01) as sim:
            sim.resource_manager_url, sim.ca_bundle, sim.connection, sim.log, sim.counters
    """

    def __init__(self, scenario="basic", scenario_data=None, host="127.0.0.1", port=0,
                 state_dir=None, time_scale=None, latency_ms=0, log_file=None, seed=None, cleanup=True,
                 proxy=True, proxy_port=0):
        self.cleanup = cleanup
        self.proxy = bool(proxy)
        self.proxy_port = proxy_port
        self.proxy_hosts = PROXY_HOSTS
        self.https_proxy = None
        self._proxy_server = None
        self._proxy_thread = None
        self.scenario_name = scenario
        self.scenario = load_scenario(scenario, scenario_data)
        self.host = host
        self.port = port
        self._own_state_dir = state_dir is None
        self.state_dir = os.path.abspath(state_dir or tempfile.mkdtemp(prefix="armsim-"))
        os.makedirs(self.state_dir, exist_ok=True)
        self.time_scale_cli = time_scale
        self.latency_ms = float(latency_ms or 0)
        self.log_file = log_file
        self.rand = random.Random(seed)
        self.lock = threading.RLock()
        self.request_log = RequestLog(self.lock, log_file, clock=self.now)
        self.token_secret = secrets.token_bytes(32)
        self._server = None
        self._thread = None
        self._cert_files = {}
        self.state = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def time_scale(self):
        if self.time_scale_cli is not None:
            return float(self.time_scale_cli)
        return float(self.scenario.get("time_scale", 1.0))

    def start(self):
        ca_cert, ca_key, self.ca_bundle = certs.ensure_ca(self.state_dir)
        self._ca = (ca_cert, ca_key)
        cert_path, key_path = certs.ensure_server_cert(self.state_dir, ca_cert, ca_key)
        self._server = Server((self.host, self.port), self, server_context(cert_path, key_path))
        self.port = self._server.server_address[1]
        self.base_url = "https://%s:%d" % (self.host, self.port)
        self.reset_state()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True,
                                        name="armsim-server")
        self._thread.start()
        if self.proxy:
            pcert, pkey = certs.ensure_server_cert(self.state_dir, ca_cert, ca_key, hosts=self.proxy_hosts,
                                                   name="proxy")
            # the proxy is plain http (as corporate proxies are); only the tunnels carry TLS
            self._proxy_server = ProxyServer((self.host, self.proxy_port), self, server_context(pcert, pkey),
                                             self._server)
            self.proxy_port = self._proxy_server.server_address[1]
            self.https_proxy = "http://%s:%d" % (self.host, self.proxy_port)
            self._proxy_thread = threading.Thread(target=self._proxy_server.serve_forever,
                                                  kwargs={"poll_interval": 0.1}, daemon=True,
                                                  name="armsim-proxy")
            self._proxy_thread.start()
        return self

    def serve_forever(self):
        """Start and block in the calling thread (used by the CLI)."""
        if self._server is None:
            self.start()
        self._thread.join()

    def stop(self):
        if self._proxy_server is not None:
            self._proxy_server.shutdown()
            self._proxy_server.server_close()
            self._proxy_server = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.request_log.close()
        if self._own_state_dir and self.cleanup:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _register_certs(self, st):
        ca_cert, ca_key = self._ca
        for p in st.principals.values():
            if not p["certificate"]:
                continue
            path, cert = certs.ensure_client_cert(self.state_dir, p["name"], ca_cert, ca_key)
            enc_path, enc_cert = certs.ensure_client_cert(self.state_dir, p["name"], ca_cert, ca_key,
                                                          password="sim-cert-password")
            p["certificate_path"] = path
            p["certificate_encrypted_path"] = enc_path
            p["certificate_password"] = "sim-cert-password"
            for c in (cert, enc_cert):
                x5t, x5t256 = certs.thumbprints(c)
                p["cert_keys"][x5t] = c.public_key()
                p["cert_keys"][x5t256] = c.public_key()

    def reset_state(self, scenario=None):
        """Rebuild the state from the scenario (or a new one); clears log, counters, faults, buckets and
        operations. Issued tokens stay valid."""
        if scenario is not None:
            self.scenario = scenario
        st = SimState(self.scenario, self)
        self._register_certs(st)
        with self.lock:
            old = self.state
            if old is not None:
                # issued tokens survive a reset/load (a client's cached token stays valid) as long as
                # the principal still exists in the new scenario
                st.tokens = {t: r for t, r in old.tokens.items() if r["principal"] in st.principals}
                st.refresh_tokens = {t: p for t, p in old.refresh_tokens.items() if p in st.principals}
            self.state = st
            self.request_log.clear()
        return st

    # -- connection facts ------------------------------------------------------------------
    @property
    def resource_manager_url(self):
        return self.base_url

    @property
    def control_url(self):
        return self.base_url + "/_sim"

    @property
    def connection(self):
        st = self.state
        mp = st.main_principal
        principals = {}
        for p in st.principals.values():
            e = {"kind": p["kind"], "tenant": p["tenant"], "object_id": p["object_id"],
                 "role": p["role"], "subscriptions": p["subscriptions"]}
            if p["kind"] == "app":
                e.update({"client_id": p["client_id"], "secret": p["secret"],
                          "client_certificate_path": p.get("certificate_path"),
                          "client_certificate_encrypted_path": p.get("certificate_encrypted_path"),
                          "client_certificate_password": p.get("certificate_password")})
            else:
                e.update({"username": p["username"], "password": p["password"]})
            principals[p["name"]] = e
        users = [{"username": p["username"], "password": p["password"], "tenant": p["tenant"],
                  "name": p["name"]} for p in st.principals.values() if p["kind"] == "user"]
        return {
            "resource_manager_url": self.base_url,
            "authority": self.base_url,
            "ca_bundle": self.ca_bundle,
            "tenant": mp["tenant"],
            "client_id": mp["client_id"],
            "secret": mp["secret"],
            "subscription_id": st.default_sub,
            "client_certificate_path": mp.get("certificate_path"),
            "client_certificate_password": None,
            "client_certificate_encrypted_path": mp.get("certificate_encrypted_path"),
            "client_certificate_encrypted_password": mp.get("certificate_password"),
            "credential_scope": self.base_url + "/.default",
            "https_proxy": self.https_proxy,
            "proxy_hosts": list(self.proxy_hosts) if self.https_proxy else [],
            "control_url": self.control_url,
            "pid": os.getpid(),
            "scenario": self.scenario.get("name", self.scenario_name),
            "time_scale": self.time_scale,
            "state_dir": self.state_dir,
            "users": users,
            "principals": principals,
        }

    def env(self):
        """Environment variables for a client process (azure-identity / ansible modules)."""
        c = self.connection
        return {"REQUESTS_CA_BUNDLE": c["ca_bundle"], "SSL_CERT_FILE": c["ca_bundle"],
                "AZURE_TENANT_ID": c["tenant"], "AZURE_TENANT": c["tenant"],
                "AZURE_CLIENT_ID": c["client_id"], "AZURE_CLIENT_SECRET": c["secret"],
                "AZURE_SECRET": c["secret"], "AZURE_SUBSCRIPTION_ID": c["subscription_id"],
                "AZURE_AUTHORITY_HOST": c["authority"]}

    def proxy_env(self):
        """Environment for a client that keeps its production settings (public cloud, default
        authority and endpoints) and reaches the simulator through the proxy listener: only
        HTTPS_PROXY and the CA bundle point at the simulator."""
        c = self.connection
        if not c["https_proxy"]:
            raise ValueError("the proxy listener is off (Simulator(proxy=False) / --no-proxy)")
        return {"HTTPS_PROXY": c["https_proxy"], "https_proxy": c["https_proxy"],
                "REQUESTS_CA_BUNDLE": c["ca_bundle"], "SSL_CERT_FILE": c["ca_bundle"],
                "AZURE_TENANT_ID": c["tenant"], "AZURE_TENANT": c["tenant"],
                "AZURE_CLIENT_ID": c["client_id"], "AZURE_CLIENT_SECRET": c["secret"],
                "AZURE_SECRET": c["secret"], "AZURE_SUBSCRIPTION_ID": c["subscription_id"]}

    # -- python control API (same semantics as /_sim) ----------------------------------------
    @property
    def log(self):
        with self.lock:
            return list(self.request_log.entries)

    def log_since(self, seq=0):
        return self.request_log.since(seq)

    @property
    def last_seq(self):
        return self.request_log.seq

    @property
    def counters(self):
        with self.lock:
            return self.request_log.counters()

    def reset(self):
        self.reset_state()

    def load(self, scenario=None, scenario_data=None):
        self.reset_state(load_scenario(scenario, scenario_data))

    def set_fault(self, **fault):
        with self.lock:
            self.state.faults.append(normalise_fault(fault))

    def clear_faults(self):
        with self.lock:
            self.state.faults = []

    def patch_instance(self, **body):
        r = control.patch_instances(self, body)
        if r.status != 200:
            raise ValueError(r.body)
        return r.body

    def set_rolling_upgrade(self, **body):
        r = control.set_rolling_upgrade(self, body)
        if r.status != 200:
            raise ValueError(r.body)
        return r.body

    def patch_scale_set(self, **body):
        """The scale set's own settings (control.patch_scale_set), e.g. vm_list_health=False."""
        r = control.patch_scale_set(self, body)
        if r.status != 200:
            raise ValueError(r.body)
        return r.body

    def set_throttle(self, scale=None, enabled=None, refill_scale=None, overrides=None):
        control.set_throttle(self, {k: v for k, v in (("scale", scale), ("enabled", enabled),
                                                      ("refill_scale", refill_scale), ("overrides", overrides))
                                    if v is not None})

    def hold_throttle_clock(self, advance=0.0):
        """Hold the throttling buckets' clock (tests): held, a bucket refills only by what advance= adds, each
        call moving the held time on by that many seconds, so its answers do not depend on how long the
        requests took. release_throttle_clock() lets it run again."""
        with self.lock:
            self.state.throttle_held_at = bucket_now(self.state) + float(advance)

    def release_throttle_clock(self):
        with self.lock:
            self.state.throttle_held_at = None

    def set_token_lifetime(self, seconds):
        control.set_tokens(self, {"lifetime_seconds": seconds})

    def expire_tokens(self, principal=None):
        control.set_tokens(self, {"expire_all": True, "principal": principal})

    def now(self):
        """The simulated clock's time (epoch seconds): wall time until advance_clock() moves it."""
        st = self.state
        return st.clock.now() if st is not None else time.time()

    def advance_clock(self, by=None, to=None):
        """Move the simulated clock forward: `by` a duration (seconds, "90m", "2h"), or `to` a time
        ("+3h" from now, ISO 8601). Returns the /_sim/clock body."""
        r = control.set_clock(self, {k: v for k, v in (("advance", by), ("to", to)) if v is not None})
        if r.status != 200:
            raise ValueError(r.body)
        return r.body

    def hold_clock(self):
        """Hold the simulated clock (Clock.hold); advance_clock() still moves it; release_clock() lets it run."""
        with self.lock:
            self.state.clock.hold()

    def release_clock(self):
        with self.lock:
            self.state.clock.release()

    def fire_alert(self, **spec):
        """Fire an Azure Monitor alert now (spec as POST /_sim/alerts); returns its ARM body."""
        return alerts.fire(self, spec)[0]

    def resolve_alert(self, **sel):
        """Resolve alerts by id, name or all=True (or set alert_state); returns their ARM bodies."""
        return alerts.change(self, sel)

    def state_summary(self):
        """The /_sim/state body: scale sets and their VMs' zone, power, health and eligibility now."""
        return control.state_summary(self).body

    def record_proxy_refusal(self, method, target, why):
        """A refused proxy request is logged (route proxy_refused, status 403, via proxy) so a run shows
        which other hosts a client tried to reach; nothing was sent to them."""
        req = Request(method, "", {}, b"", None, target, "proxy", None)
        req.route = "proxy_refused"
        self.request_log.record(req, Resp(403, {"error": why}), 0.0)
