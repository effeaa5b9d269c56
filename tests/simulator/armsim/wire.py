"""Wire helpers: Azure timestamps, scenario durations, base64url, stable ids, the request and response
objects every handler works with, ARM's CloudError and Azure AD's error bodies, and reading a request
body / writing a response on the socket."""

import base64
import json
import re
import uuid
from datetime import datetime, timezone

VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
VM_TYPE = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
# A Flexible scale set's VMs are ordinary virtual machines (Azure docs, "Orchestration modes").
VIRTUAL_MACHINE_TYPE = "Microsoft.Compute/virtualMachines"
ROLLING_TYPE = "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"


def iso(ts):
    """Azure Compute style timestamp: 7 fractional digits and +00:00."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


_REL = re.compile(r"^([+-]?)\s*(\d+(?:\.\d+)?)\s*([smhdw]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(value, default=0.0):
    """'90', 90, '20s', '5m', '2h', '3d' -> seconds (float)."""
    if value is None:
        return float(default)
    if isinstance(value, (int, float)):
        return float(value)
    m = _REL.match(str(value).strip())
    if not m:
        raise ValueError("bad duration %r" % (value,))
    sign = -1 if m.group(1) == "-" else 1
    return sign * float(m.group(2)) * _UNITS[m.group(3)]


def abs_time(value, base):
    """A time in a scenario: relative ('-3d', '+2h', 0) to the simulator start, or ISO 8601."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return base + float(value)
    s = str(value).strip()
    if _REL.match(s):
        return base + duration(s)
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    s = s + "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s.encode())


def stable_uuid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "armsim:" + "/".join(str(p) for p in parts)))


def is_guid(s):
    try:
        uuid.UUID(s)
        return len(s) == 36
    except (ValueError, AttributeError):
        return False


class Request:
    """One parsed request on its way through the pipeline. Handlers read it and may set `route`
    (the name logged), `principal` (who is logged) and `extra` (response headers such as the
    rate-limit ones); the ARM pipeline fills in `sub`, `rg`, `vmss` and `inst` as it resolves them."""

    __slots__ = ("method", "path", "query", "raw", "body", "base", "host", "via", "headers", "route",
                 "params", "principal", "api_version", "extra", "sub", "rg", "vmss", "inst", "now")

    def __init__(self, method, path, query, raw, base, host, via, headers):
        self.method = method
        self.path = path
        self.query = query
        self.raw = raw
        self.base = base
        self.host = host
        self.via = via
        self.headers = headers
        self.body = None
        self.route = "unknown"
        self.params = {}
        self.principal = None
        self.api_version = None
        self.extra = {}
        self.sub = self.rg = self.vmss = self.inst = None
        self.now = None


class Resp:
    __slots__ = ("status", "headers", "body", "drop")

    def __init__(self, status=200, body=None, headers=None, drop=False):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.drop = drop


def cloud_error(status, code, message, target=None, details=None, headers=None, innererror=None):
    err = {"code": code, "message": message}
    if target is not None:
        err["target"] = target
    if details:
        err["details"] = details
    if innererror:
        err["innererror"] = innererror
    return Resp(status, {"error": err}, headers)


def aad_error(status, error, code, description, sim):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    desc = "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s" % (
        code, description, trace, corr, now)
    return Resp(status, {"error": error, "error_description": desc, "error_codes": [code],
                         "timestamp": now, "trace_id": trace, "correlation_id": corr,
                         "error_uri": "%s/error?code=%d" % (sim.base_url, code)})


def read_body(h):
    """The request body: Content-Length or chunked transfer encoding."""
    n = int(h.headers.get("Content-Length") or 0)
    if n:
        return h.rfile.read(n)
    if "chunked" in (h.headers.get("Transfer-Encoding") or "").lower():
        return _read_chunked(h.rfile)
    return b""


def _read_chunked(rfile):
    out = b""
    while True:
        line = rfile.readline()
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            rfile.readline()
            return out
        out += rfile.read(size)
        rfile.readline()


def send(h, resp, extra):
    """Write resp on handler h with ARM's common headers; `extra` (rate-limit headers) comes before
    the response's own headers, so a handler's header wins."""
    body = resp.body
    if body is None:
        data = b""
    elif isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    else:
        data = json.dumps(body, separators=(",", ":")).encode()
    h.send_response(resp.status)
    headers = {"x-ms-request-id": str(uuid.uuid4()),
               "x-ms-correlation-request-id": h.headers.get("x-ms-correlation-request-id")
               or str(uuid.uuid4()),
               "Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "-1"}
    crid = h.headers.get("x-ms-client-request-id")
    if crid:
        headers["x-ms-client-request-id"] = crid
    if body is not None:
        headers["Content-Type"] = "application/json; charset=utf-8"
    headers.update(extra)
    headers.update(resp.headers)
    for k, v in headers.items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    if data and h.command != "HEAD":
        h.wfile.write(data)
