"""The HTTPS listener: a ThreadingHTTPServer whose sockets are wrapped in TLS (handshake in the
handler thread), and handle(), the pipeline of one request: parse, match a route in the table,
control API or injected faults, the route's processing (routes.py / arm.py), log, answer."""

import email.utils
import json
import socket
import ssl
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from . import faults, routes
from .arm import arm_request
from .wire import Request, Resp, cloud_error, read_body, send


def server_context(cert_path, key_path):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def handle(sim, h):
    t_start = time.perf_counter()
    split = urlsplit(h.path)
    path = unquote(split.path)
    query = {}
    for k, v in parse_qsl(split.query, keep_blank_values=True):
        query.setdefault(k, v)
    raw = read_body(h)
    # Absolute URLs we build (nextLink, LRO headers, metadata, OpenID endpoints) use the host the
    # request was addressed to: 127.0.0.1:PORT directly, management.azure.com & co. via the proxy.
    host = h.headers.get("Host") or h.default_host or "%s:%d" % (sim.host, sim.port)
    if host.endswith(":443"):
        host = host[:-4]
    method = h.command.upper()

    if routes.is_control(path):
        path = routes.control_path(path)
        req = Request(method, path, query, raw, "https://" + host, host, h.via, h.headers)
        send(h, _control(sim, req), {})
        return

    req = Request(method, path, query, raw, "https://" + host, host, h.via, h.headers)
    try:
        req.body = json.loads(raw) if raw.strip() else None
    except ValueError:
        req.body = raw.decode("utf-8", "replace")
    route, req.params = routes.match(method, path)
    req.route = route.name

    # injected latency / faults (before the work, as a slow network or front door would)
    delay, resp = faults.inject(sim, req.route, req)
    if delay > 0:
        time.sleep(delay)
    if resp is None:
        try:
            resp = route.handler(sim, req) if route.kind == "open" else arm_request(sim, req, route)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            resp = cloud_error(500, "InternalServerError", "Simulator error: %r" % (exc,))
    # record before answering, so a client that reads the log right after its response sees it
    # (latency_ms is the server-side handling time, injected delays included)
    sim.request_log.record(req, resp, (time.perf_counter() - t_start) * 1000.0)
    if resp.drop:
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    else:
        send(h, resp, req.extra)


def _control(sim, req):
    try:
        try:
            req.body = json.loads(req.raw) if req.raw.strip() else {}
        except ValueError:
            return Resp(400, {"error": "body is not JSON"})
        route, req.params = routes.match(req.method, req.path)
        return route.handler(sim, req)
    except Exception as exc:  # noqa: BLE001 - report, do not kill the server
        traceback.print_exc()
        return Resp(500, {"error": repr(exc)})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "ARMSimulator/1.0"
    sys_version = ""

    via = "direct"          # "proxy" for requests that came through a CONNECT tunnel
    default_host = None     # the CONNECT target, when the tunnelled request has no Host header

    def _go(self):
        try:
            handle(self.server.sim, self)
        except (ConnectionError, ssl.SSLError, socket.timeout, BrokenPipeError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _go

    def log_message(self, fmt, *args):  # silence the default stderr access log
        pass

    def date_time_string(self, timestamp=None):
        # the Date header reports the simulated clock, like every other time the simulator sends
        return email.utils.formatdate(self.server.sim.now() if timestamp is None else timestamp, usegmt=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, ctx):
        self.sim = sim
        self.ctx = ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # handshake lazily, in the handler thread, so one slow client cannot stall accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return
        traceback.print_exc()


class TunnelHandler(Handler):
    """The simulator's own handler on the TLS socket of an accepted CONNECT tunnel."""
    via = "proxy"
