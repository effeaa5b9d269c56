"""The request log and counters: one entry per answered (or dropped) ARM / Azure AD request and per
refused proxy request, with secrets of token requests masked; optionally appended to a JSON-lines
file. Control API requests are not logged."""

import copy
import json
import time
from urllib.parse import parse_qsl

from .wire import iso


class RequestLog:
    def __init__(self, lock, log_file=None, max_entries=200000, clock=time.time):
        self.lock = lock                  # the simulator's lock
        self.clock = clock                # the simulated clock: entries' "time"
        self.max_entries = max_entries    # bounded memory for long runs
        self.entries = []
        self.seq = 0
        self.counts = {}                  # route -> str(status) -> n
        self._fh = open(log_file, "a", buffering=1) if log_file else None

    def close(self):
        if self._fh:
            self._fh.close()
            self._fh = None

    def record(self, req, resp, ms):
        status = 0 if resp.drop else resp.status
        p = req.principal
        entry = {"seq": 0, "time": iso(self.clock()), "method": req.method, "host": req.host,
                 "via": req.via,
                 "path": req.path, "query": req.query, "route": req.route, "status": status,
                 "latency_ms": round(ms, 3), "principal": p["name"] if p else None,
                 "body": req.body if req.raw else None}
        if req.route == "token" and isinstance(req.body, str):
            # never log client secrets / assertions / passwords verbatim
            form = dict(parse_qsl(req.body))
            for k in ("client_secret", "client_assertion", "password", "refresh_token"):
                if k in form:
                    form[k] = "***"
            entry["body"] = form
        if resp.drop:
            entry["dropped"] = True
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if len(self.entries) > self.max_entries:
                del self.entries[:len(self.entries) - self.max_entries]
            c = self.counts
            c.setdefault(req.route, {})
            c[req.route][str(status)] = c[req.route].get(str(status), 0) + 1
        if self._fh:
            try:
                self._fh.write(json.dumps(entry) + "\n")
            except (ValueError, OSError):
                pass

    def since(self, seq=0, route=None):
        with self.lock:
            entries = [e for e in self.entries if e["seq"] > seq]
        if route:
            entries = [e for e in entries if e["route"] == route]
        return entries

    def clear(self):
        with self.lock:
            self.entries = []
            self.counts = {}

    def counters(self):
        """The /_sim/counters body (caller holds the lock)."""
        by_route, by_status, total, throttled, dropped = {}, {}, 0, 0, 0
        for route, st in self.counts.items():
            by_route[route] = sum(st.values())
            for s, n in st.items():
                by_status[s] = by_status.get(s, 0) + n
                total += n
                if s == "429":
                    throttled += n
                if s == "0":
                    dropped += n
        return {"total": total, "by_route": by_route, "by_status": by_status,
                "by_route_status": copy.deepcopy(self.counts), "throttled": throttled,
                "dropped": dropped, "last_seq": self.seq}
