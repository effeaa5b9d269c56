"""The simulator's proxy listener: unmodified clients with their production settings (public cloud,
default authority, default Resource Manager endpoint) and only HTTPS_PROXY + REQUESTS_CA_BUNDLE
pointed at the simulator.

Run: /tmp/v/bin/python -m pytest tests/simulator/test_proxy.py -q
"""

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, ResourceExistsError, ServiceRequestError
from azure.identity import AzureAuthorityHosts, ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceIDs

from conftest import HERE

RG = "rg-sim"
SUB = "22222222-2222-4222-8222-222222222222"
API = "2026-04-01"
ARM = "https://management.azure.com"
LOGIN = "https://login.microsoftonline.com"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.fixture
def proxied(sim, monkeypatch):
    """Production-like environment: no simulator URL anywhere, only the proxy and the CA bundle."""
    for k in list(os.environ):
        if k.startswith("AZURE_") or k.upper() in ("NO_PROXY", "HTTP_PROXY", "ALL_PROXY", "SSL_CERT_FILE"):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", sim.https_proxy)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sim.ca_bundle)
    return sim


def default_client(sim):
    c = sim.connection
    cred = ClientSecretCredential(c["tenant"], c["client_id"], c["secret"])   # default authority
    return ComputeManagementClient(cred, c["subscription_id"])                 # default endpoint


def token_via_proxy(sim):
    c = sim.connection
    return ClientSecretCredential(c["tenant"], c["client_id"], c["secret"]).get_token(ARM + "/.default").token


def vmss_path(name, suffix=""):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s%s" % (
        SUB, RG, name, suffix)


def raw_proxy(sim, request_bytes):
    """Send raw bytes to the proxy listener; return the status line and the rest."""
    u = urlsplit(sim.https_proxy)
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        s.sendall(request_bytes)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode(), data


# ----------------------------------------------------------------------------------------------

def test_connection_facts_name_the_proxy(sim):
    c = sim.connection
    u = urlsplit(c["https_proxy"])
    assert u.scheme == "http" and u.hostname == "127.0.0.1" and u.port and u.port != sim.port
    assert {"management.azure.com", "login.microsoftonline.com", "management.chinacloudapi.cn",
            "login.chinacloudapi.cn", "management.usgovcloudapi.net",
            "login.microsoftonline.us"} == set(c["proxy_hosts"])
    assert sim.proxy_env()["HTTPS_PROXY"] == c["https_proxy"]


def test_unmodified_sdk_through_proxy_all_four_operations(proxied):
    sim = proxied
    client = default_client(sim)
    status = client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "vmss-zoned")
    assert status.running_status.code == "Completed"
    history = list(client.virtual_machine_scale_sets.get_os_upgrade_history(RG, "vmss-zoned"))
    assert len(history) == 5                                               # 3 pages of 2
    view = client.virtual_machine_scale_set_vms.get_instance_view(RG, "vmss-zoned", "10")
    assert view.vm_health.status.code == "HealthState/unhealthy"
    vms = list(client.virtual_machine_scale_set_vms.list(RG, "vmss-zoned", expand="instanceView"))
    assert [vm.instance_id for vm in vms] == ["0", "1", "2", "5", "10"]   # 3 pages of 2
    poller = client.virtual_machine_scale_sets.begin_perform_maintenance(
        RG, "vmss-zoned", vm_instance_i_ds=VirtualMachineScaleSetVMInstanceIDs(instance_ids=["0", "1"]))
    assert poller.result() is None and poller.status() == "Succeeded"
    after = client.virtual_machine_scale_set_vms.get_instance_view(RG, "vmss-zoned", "0")
    assert after.maintenance_redeploy_status.last_operation_result_code == "MaintenanceCompleted"

    log = sim.log
    assert log and all(e["via"] == "proxy" for e in log)
    hosts = {e["route"]: e["host"] for e in log}
    assert hosts["token"] == "login.microsoftonline.com"
    assert hosts["openid_config"] == "login.microsoftonline.com"
    for route in ("rolling_upgrade_latest", "os_upgrade_history", "vm_instance_view", "vm_list",
                  "perform_maintenance", "operation_status"):
        assert hosts[route] == "management.azure.com", route
    # the follow-up pages and the LRO polls came back through the proxy: absolute URLs used its host
    pages = [e for e in log if e["route"] in ("os_upgrade_history", "vm_list")]
    assert len(pages) == 6 and sum("$skiptoken" in e["query"] for e in pages) == 4
    assert [e["body"] for e in log if e["route"] == "perform_maintenance"] == [{"instanceIds": ["0", "1"]}]
    assert any(e["route"] in ("operation_status", "operation_result") for e in log)


def test_absolute_urls_use_the_addressed_host(proxied):
    sim = proxied
    tok = token_via_proxy(sim)
    h = {"Authorization": "Bearer " + tok}
    r = requests.get(ARM + vmss_path("vmss-zoned", "/osUpgradeHistory"), params={"api-version": API},
                     headers=h, timeout=10)
    assert r.status_code == 200 and r.json()["nextLink"].startswith(ARM + "/subscriptions/")
    r = requests.post(ARM + vmss_path("vmss-zoned", "/performMaintenance"), params={"api-version": API},
                      headers=h, json={"instanceIds": ["2"]}, timeout=10)
    assert r.status_code == 202
    assert r.headers["Azure-AsyncOperation"].startswith(ARM + "/subscriptions/%s/providers/" % SUB)
    assert r.headers["Location"].startswith(ARM + "/") and r.headers["Location"].endswith("&monitor=true")
    meta = requests.get(ARM + "/metadata/endpoints", params={"api-version": "2022-09-01"}, timeout=10).json()
    assert meta[0]["resourceManager"] == ARM + "/"
    oid = requests.get(LOGIN + "/%s/v2.0/.well-known/openid-configuration" % sim.connection["tenant"],
                       timeout=10).json()
    assert oid["token_endpoint"].startswith(LOGIN + "/") and oid["issuer"].startswith(LOGIN + "/")
    # the direct listener still answers with its own address
    d = requests.get(sim.base_url + vmss_path("vmss-zoned", "/osUpgradeHistory"), params={"api-version": API},
                     headers=h, verify=sim.ca_bundle, proxies={"https": None}, timeout=10)
    assert d.json()["nextLink"].startswith(sim.base_url + "/")


def test_log_shows_both_modes_with_their_hosts(proxied):
    sim = proxied
    tok = token_via_proxy(sim)
    h = {"Authorization": "Bearer " + tok}
    s = requests.Session()
    s.trust_env = False     # the direct listener, not through the proxy
    s.get(sim.base_url + vmss_path("vmss-zoned"), params={"api-version": API}, headers=h,
          verify=sim.ca_bundle, timeout=10)
    requests.get(ARM + vmss_path("vmss-zoned"), params={"api-version": API}, headers=h, timeout=10)
    got = [(e["via"], e["host"]) for e in sim.log if e["route"] == "vmss_get"]
    assert got == [("direct", "127.0.0.1:%d" % sim.port), ("proxy", "management.azure.com")]


def test_public_cloud_login_endpoints(proxied):
    """What MSAL and az login ask login.microsoftonline.com and management.azure.com for."""
    sim = proxied
    tenant = sim.connection["tenant"]
    auth_ep = "%s/%s/oauth2/v2.0/authorize" % (LOGIN, tenant)
    r = requests.get(LOGIN + "/common/discovery/instance",
                     params={"api-version": "1.1", "authorization_endpoint": auth_ep}, timeout=10)
    body = r.json()
    assert r.status_code == 200
    assert body["tenant_discovery_endpoint"] == "%s/%s/v2.0/.well-known/openid-configuration" % (LOGIN, tenant)
    assert "login.microsoftonline.com" in body["metadata"][0]["aliases"]
    v1 = requests.get("%s/%s/.well-known/openid-configuration" % (LOGIN, tenant), timeout=10).json()
    assert v1["token_endpoint"] == "%s/%s/oauth2/token" % (LOGIN, tenant)
    # azure-cli asks for the classic audience
    c = sim.connection
    cred = ClientSecretCredential(c["tenant"], c["client_id"], c["secret"])
    tok = cred.get_token("https://management.core.windows.net//.default").token
    h = {"Authorization": "Bearer " + tok}
    subs = requests.get(ARM + "/subscriptions", params={"api-version": "2022-12-01"}, headers=h, timeout=10)
    assert subs.status_code == 200 and [s["subscriptionId"] for s in subs.json()["value"]] == [SUB]
    one = requests.get(ARM + "/subscriptions/" + SUB, params={"api-version": "2022-12-01"}, headers=h, timeout=10)
    assert one.status_code == 200 and one.json()["tenantId"] == tenant


def test_single_vm_get_has_storage_and_os_profile(proxied):
    client = default_client(proxied)
    vm = client.virtual_machine_scale_set_vms.get(RG, "vmss-zoned", "2")
    assert vm.storage_profile.os_disk.managed_disk.storage_account_type == "Premium_LRS"
    assert vm.storage_profile.image_reference.publisher
    assert vm.os_profile.computer_name and vm.os_profile.admin_username == "azureuser"


def test_body_without_wire_key_means_every_instance_through_proxy(proxied):
    sim = proxied
    client = default_client(sim)
    # instance 5 of vmss-zoned is not eligible: a body read as "every VM" is refused because of it
    with pytest.raises(ResourceExistsError) as ei:
        client.virtual_machine_scale_sets.begin_perform_maintenance(
            RG, "vmss-zoned", vm_instance_i_ds={"instance_ids": ["0"]})
    assert "vmss-zoned_5" in ei.value.error.message
    with pytest.raises(ResourceExistsError):
        client.virtual_machine_scale_sets.begin_perform_maintenance(RG, "vmss-zoned")   # no body
    assert [e["body"] for e in sim.log if e["route"] == "perform_maintenance"] == [{"instance_ids": ["0"]}, None]
    assert sim.state.operations == {}


def test_other_clouds_hosts_are_served(proxied):
    sim = proxied
    c = sim.connection
    cred = ClientSecretCredential(c["tenant"], c["client_id"], c["secret"], authority=AzureAuthorityHosts.AZURE_CHINA)
    client = ComputeManagementClient(cred, c["subscription_id"], base_url="https://management.chinacloudapi.cn",
                                     credential_scopes=["https://management.chinacloudapi.cn/.default"])
    assert client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "vmss-zoned").running_status.code \
        == "Completed"
    hosts = {e["host"] for e in sim.log}
    assert hosts == {"login.chinacloudapi.cn", "management.chinacloudapi.cn"}


class _ConnectSpy:
    """Records every outgoing connect() made by a thread other than the test's (the server's)."""

    def __init__(self, monkeypatch):
        self.calls = []
        main = threading.current_thread()
        orig = socket.socket.connect

        def connect(sock, address):
            if threading.current_thread() is not main:
                self.calls.append(address)
            return orig(sock, address)
        monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.mark.parametrize("target", ["example.com:443", "graph.microsoft.com:443", "dc.services.visualstudio.com:443",
                                    "management.azure.com:80", "127.0.0.1:{port}", "localhost:{port}",
                                    "management.azure.com.evil.example:443"])
def test_connect_to_any_other_host_is_refused(sim, monkeypatch, target):
    spy = _ConnectSpy(monkeypatch)
    target = target.format(port=sim.port)
    status, data = raw_proxy(sim, ("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    assert status.startswith("HTTP/1.1 403"), status
    assert spy.calls == []
    refused = [e for e in sim.log if e["route"] == "proxy_refused"]
    assert [(e["method"], e["host"], e["status"], e["via"]) for e in refused] == [("CONNECT", target, 403, "proxy")]


def test_plain_http_proxying_is_refused(sim, monkeypatch):
    spy = _ConnectSpy(monkeypatch)
    status, _unused = raw_proxy(sim, b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert status.startswith("HTTP/1.1 403")
    status, _unused = raw_proxy(sim, b"GET http://management.azure.com/subscriptions HTTP/1.1\r\n"
                                     b"Host: management.azure.com\r\n\r\n")
    assert status.startswith("HTTP/1.1 403")
    assert spy.calls == []


def test_requests_to_other_hosts_fail_with_proxy_error(proxied):
    with pytest.raises(requests.exceptions.ProxyError) as ei:
        requests.get("https://example.com/", timeout=10)
    assert "403" in str(ei.value)


def test_client_that_does_not_trust_the_ca_is_refused(proxied, monkeypatch):
    sim = proxied
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", SYSTEM_BUNDLE)      # what the machine uses by default
    with pytest.raises(requests.exceptions.SSLError) as ei:
        requests.get(ARM + "/subscriptions", params={"api-version": API}, timeout=10)
    assert "CERTIFICATE_VERIFY_FAILED" in str(ei.value)
    # the SDK's credential too: MSAL's request never gets an answer
    c = sim.connection
    cred = ClientSecretCredential(c["tenant"], c["client_id"], c["secret"])
    with pytest.raises((ClientAuthenticationError, ServiceRequestError)) as ei2:
        cred.get_token(ARM + "/.default")
    assert "CERTIFICATE_VERIFY_FAILED" in str(ei2.value)
    # and plain ssl: the handshake fails on the certificate, nothing was logged
    u = urlsplit(sim.https_proxy)
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        s.sendall(b"CONNECT management.azure.com:443 HTTP/1.1\r\nHost: management.azure.com:443\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        ctx = ssl.create_default_context(cafile=SYSTEM_BUNDLE)
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(s, server_hostname="management.azure.com")
    assert [e for e in sim.log if e["route"] not in ("proxy_refused",)] == []


def test_certificate_names_the_public_hosts(sim):
    u = urlsplit(sim.https_proxy)
    for host in sim.proxy_hosts:
        with socket.create_connection((u.hostname, u.port), timeout=5) as s:
            s.sendall(("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (host, host)).encode())
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            ctx = ssl.create_default_context(cafile=sim.ca_bundle)
            with ctx.wrap_socket(s, server_hostname=host) as t:      # hostname checked by ssl
                t.sendall(("GET /_sim/health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode())
                assert t.recv(4096).startswith(b"HTTP/1.1 200")


def test_cli_proxy_option(tmp_path):
    def serve(*extra):
        conn_file = tmp_path / ("conn%d.json" % len(extra))
        command = [sys.executable, os.path.join(HERE, "simulate.py"), "serve", "--scenario", "basic",
                   "--background", "--connection-file", str(conn_file), "--state-dir", str(tmp_path / "st")]
        out = subprocess.run(command + list(extra), capture_output=True, text=True, timeout=60, check=False)
        assert out.returncode == 0, out.stderr
        conn = json.loads(conn_file.read_text())
        subprocess.run([sys.executable, os.path.join(HERE, "simulate.py"), "stop", "--connection-file",
                        str(conn_file)], capture_output=True, text=True, timeout=30, check=True)
        return conn

    on = serve()
    assert on["https_proxy"].startswith("http://127.0.0.1:")
    off = serve("--no-proxy")
    assert off["https_proxy"] is None and off["proxy_hosts"] == []
