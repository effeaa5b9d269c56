"""The proxy listener: plain HTTP, like a corporate proxy. CONNECT to one of the public cloud hosts
(clouds.PROXY_HOSTS) on port 443 is answered 200 and the tunnel's TLS is terminated here with a
certificate for those names from the simulator's CA; the requests inside go to the same handler,
routes and state as the direct listener. Everything else is refused with 403 and logged as route
proxy_refused; nothing is ever opened towards another host."""

import socket
import ssl
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .server import TunnelHandler


class ProxyHandler(BaseHTTPRequestHandler):
    """HTTP proxy front: CONNECT to an allowed host:443 is answered 200 and the tunnel's TLS is
    terminated here (certificate for PROXY_HOSTS from the simulator's CA); the requests inside go to
    the same server.handle as the direct listener. Anything else is refused with 403 and nothing
    is ever opened towards another host."""
    protocol_version = "HTTP/1.1"
    server_version = "ARMSimulatorProxy/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def _refuse(self, target, why):
        sim = self.server.sim
        sim.record_proxy_refusal(self.command, target, why)
        data = ("403 Forbidden: %s\nThe ARM simulator's proxy only opens tunnels to %s (port 443) and "
                "serves them itself; it never connects anywhere else.\n" % (why, ", ".join(sim.proxy_hosts))
                ).encode()
        self.send_response(403, "Forbidden")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    def do_CONNECT(self):
        sim = self.server.sim
        target = self.path.strip()
        host, sep, port = target.rpartition(":")
        if not sep:
            host, port = target, "443"
        host = host.strip("[]").lower().rstrip(".")
        if host not in sim.proxy_hosts or port != "443":
            self._refuse(target, "CONNECT to %s is not served" % target)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            tls = self.server.ctx.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. the client does not trust the simulator's CA: it aborts the handshake
        try:
            handler = TunnelHandler.__new__(TunnelHandler)
            handler.default_host = host
            handler.__init__(tls, self.client_address, self.server.sim_server)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def _not_connect(self):
        self._refuse(self.path, "only CONNECT is served (no plain-http proxying)")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _not_connect


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, ctx, sim_server):
        self.sim = sim
        self.ctx = ctx
        self.sim_server = sim_server
        super().__init__(addr, ProxyHandler)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return
        traceback.print_exc()
