# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake HTTP transport for unit tests: the real SDK and our client above it, canned ARM answers below.

Only the socket is faked: requests' adapter layer returns prepared responses, so azure-core's pipeline
(retries, polling, error mapping) and azure-mgmt-compute's (de)serialisation run for real.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.clouds import Cloud

RM = 'https://arm.test'
CLOUD = Cloud('test', RM, 'https://login.test', RM + '/.default', False)
SUB = '00000000-0000-0000-0000-000000000001'
VMSS_PATH = '/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web' % SUB


def scale_set_body(path=VMSS_PATH, mode='Uniform', capacity=None):
    """A scale set's GET answer, as much as the client reads of it: id, orchestration mode, capacity."""
    body = {'id': path, 'name': path.rsplit('/', 1)[1], 'location': 'westeurope',
            'properties': {'orchestrationMode': mode}}
    if capacity is not None:
        body['sku'] = {'name': 'Standard_D2s_v5', 'capacity': capacity}
    return body


def flexible_vm(name, scale_set_id=VMSS_PATH, allowed=None, zone=None, fault_domain=0, code='None'):
    """A Flexible scale set's VM as Virtual Machines - Get/List answer it with $expand=instanceView.

    An ordinary VM resource that references the scale set; a fault domain but no update domain (Flexible
    scale sets have none). ``allowed`` None: not in a maintenance wave.
    """
    view = {'platformFaultDomain': fault_domain,
            'statuses': [{'code': 'ProvisioningState/succeeded'}, {'code': 'PowerState/running'}]}
    if allowed is not None:
        view['maintenanceRedeployStatus'] = {'isCustomerInitiatedMaintenanceAllowed': allowed,
                                             'lastOperationResultCode': code}
    group = scale_set_id.split('/providers/')[0]
    body = {'name': name, 'id': group + '/providers/Microsoft.Compute/virtualMachines/' + name,
            'type': 'Microsoft.Compute/virtualMachines', 'location': 'westeurope',
            'properties': {'virtualMachineScaleSet': {'id': scale_set_id}, 'provisioningState': 'Succeeded',
                           'instanceView': view}}
    if zone:
        body['zones'] = [str(zone)]
    return body


class FakeCredential(object):
    def __init__(self, error=None):
        self.error = error

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        if self.error:
            raise self.error
        return AccessToken('fake-token', int(time.time()) + 3600)


class FakeArm(object):
    """Routes: list of (method, path-suffix-or-callable, answer) consumed in order of match."""

    def __init__(self):
        self.routes = []
        self.requests = []

    def on(self, method, path, status=200, body=None, headers=None, times=None):
        self.routes.append(dict(method=method, path=path, status=status, body=body, headers=headers or {}, times=times))
        return self

    def scale_set(self, path=VMSS_PATH, mode='Uniform', capacity=None):
        """Answer the scale-set GET every instance read and maintenance starts with."""
        return self.on('GET', path, body=scale_set_body(path, mode, capacity))

    def answer(self, request):
        from urllib.parse import urlsplit
        url = urlsplit(request.url)
        body = request.body or None
        if isinstance(body, bytes):
            body = body.decode('utf-8')
        if body:
            try:
                body = json.loads(body)
            except ValueError:
                pass  # Azure AD's token requests are form-encoded: kept as text
        self.requests.append(dict(method=request.method, path=url.path, query=url.query, body=body,
                                  headers=dict(request.headers)))
        for route in self.routes:
            # ARM paths ignore case (VM names included), so the fake matches them the same way.
            if route['method'] == request.method and url.path.lower().endswith(route['path'].lower()) and route['times'] != 0:
                if route['times']:
                    route['times'] -= 1
                if callable(route['body']):  # an answer made from what was sent before, e.g. a read-back
                    return route['status'], route['headers'], route['body'](self.requests)
                return route['status'], route['headers'], route['body']
        return 404, {}, {'error': {'code': 'NoRoute', 'message': 'fake ARM has no route for %s %s' % (request.method, url.path)}}

    def session(self):
        import io
        import requests
        import urllib3
        from requests.adapters import BaseAdapter

        fake = self

        class Adapter(BaseAdapter):
            def send(self, request, **kwargs):
                status, headers, body = fake.answer(request)
                response = requests.Response()
                response.status_code = status
                response.headers.update(headers)
                if body is not None and 'Content-Type' not in headers:
                    response.headers['Content-Type'] = 'application/json'
                content = json.dumps(body).encode('utf-8') if body is not None else b''
                response._content = content
                # azure-core reads a few attributes of the urllib3 response under requests' one.
                response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), headers=dict(response.headers),
                                                    status=status, preload_content=False)
                response.url = request.url
                response.request = request
                response.reason = 'fake'
                return response

            def close(self):
                pass

        session = requests.Session()
        session.mount('https://', Adapter())
        return session

    def client(self, credential=None, **kwargs):
        from azure.core.pipeline.transport import RequestsTransport
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ComputeClient
        transport = RequestsTransport(session=self.session(), session_owner=False)
        kwargs.setdefault('retry_backoff_factor', 0)
        return ComputeClient(credential or FakeCredential(), SUB, CLOUD, auth_description='module parameters',
                             transport=transport, **kwargs)


def run_module_main(monkeypatch, capsys, module, module_args, arm, credential=None, check_mode=False):
    """Run ``module.main()`` with ``module_args`` over ``arm``; the module's JSON result as a dict.

    Only the azure-identity credential and the HTTP transport are replaced; AnsibleModule, our client
    and azure-mgmt-compute run as they would for a user.
    """
    from ansible.module_utils import basic
    from ansible.module_utils.common.parameters import PASS_VARS
    from azure.core.pipeline.transport import RequestsTransport
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import auth
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import client as client_module
    import pytest

    class FakeTransportClient(client_module.ComputeClient):
        def __init__(self, *a, **kw):
            kw['transport'] = RequestsTransport(session=arm.session(), session_owner=False)
            kw['retry_backoff_factor'] = 0
            super(FakeTransportClient, self).__init__(*a, **kw)

    from ansible.module_utils.common import warnings as ansible_warnings
    # AnsibleModule.warn() collects into a process-wide store: each run starts empty, as a real module process does.
    for name in ('_global_warnings', '_global_deprecations'):
        if hasattr(ansible_warnings, name):
            monkeypatch.setattr(ansible_warnings, name, type(getattr(ansible_warnings, name))())
    credential = credential or FakeCredential()
    monkeypatch.setattr(client_module, 'ComputeClient', FakeTransportClient)
    monkeypatch.setattr(auth, 'build_credential', lambda plan, cloud, **kwargs: credential)
    full = dict(module_args)
    if check_mode:
        full['_ansible_check_mode'] = True
    if 'inject_invocation' in PASS_VARS:
        # ansible-core 2.21+ returns 'invocation' only when the controller asks (INJECT_INVOCATION, off by
        # default); older cores always did. Ask, so the result and its no_log masking are checked on every core.
        full['_ansible_inject_invocation'] = True
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': full}).encode('utf-8'))
    if hasattr(basic, '_ANSIBLE_PROFILE'):
        monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy')
    with pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)
