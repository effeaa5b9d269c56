# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replays, deterministically, the thread interleaving that made 2 of 60 fleet runs fail with
``'dict' object has no attribute 'as_dict'``. Run in a fresh interpreter (``python -c``), one reader each.

azure-mgmt-compute's models (``_utils/model_base.py``) build each class's field table on the class's
first construction, in ``Model.__new__``, without a lock: a scan of every MRO class's ``__dict__``,
then ``cls._attr_to_rest_field = ...``. Two threads that build the first instance of a class together
can meet so that one assigns that attribute while the other is still scanning the class's ``__dict__``:
``RuntimeError: dictionary changed size during iteration``. The SDK's deserializer swallows any error
of a model's construction and hands back the undeserialized JSON, a plain dict, from ``.get()``.

Nothing is patched: a trace hook only decides when each thread runs. The first thread to scan the
target class's ``__dict__`` waits there; another thread finishes the class set-up meanwhile; then the
first goes on. Reports JSON on stdout: whether that interleaving happened, and what the reads gave.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import threading

from ansible_collections.azure_vmss.maintenance.tests.unit.utils.fake_arm import SUB, VMSS_PATH

API_PATH = VMSS_PATH.replace('/web', '/api')
WAIT = 10  # seconds; generous: the machine may be busy, and an unmet wait only means "did not race"


class Interleaver(object):
    """Makes the first set-up of model class ``target`` overlap in two threads, the way that fails."""

    def __init__(self, target):
        self.target = target
        self.scanner = None  # the thread held mid-scan
        self.held = threading.Event()
        self.set_up = threading.Event()
        self.raced = False
        self.lock = threading.Lock()
        self.waited = set()

    def _scanning(self, here):
        # Inside the scan of the target's own __dict__ (k, v from it), not still on a parent class's.
        if here.get('mro_class') is not self.target or 'k' not in here:
            return False
        return vars(self.target).get(here['k'], self) is here.get('v')

    def _local(self, frame, event, arg):
        here = frame.f_locals
        me = threading.current_thread()
        if here.get('cls') is self.target:  # in Model.__new__ of the target
            with self.lock:
                if self.scanner is None:
                    self.scanner = me  # the first thread in scans; the others wait until it does
            if me is not self.scanner:
                if me not in self.waited:
                    self.waited.add(me)
                    self.held.wait(WAIT)
                if event == 'return' and self.held.is_set():
                    self.set_up.set()
        if event == 'line' and me is self.scanner and not self.held.is_set() and self._scanning(here):
            self.held.set()
            self.raced = self.set_up.wait(WAIT)
        return self._local

    def __call__(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename.endswith('model_base.py') and code.co_name in ('__new__', '<dictcomp>'):
            if frame.f_locals.get('cls') is self.target and self._set_up():
                return None  # set up before: this __new__ only builds an instance, nothing to overlap
            return self._local
        return None

    def _set_up(self):
        return '%s.%s' % (self.target.__module__, self.target.__qualname__) in self.target._calculated


def readers():
    """Each reader: (SDK model class it builds, function of a client that reads two items on two threads)."""
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import flexible
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ScaleSetRef
    ref = ScaleSetRef('rg', 'web')

    def sdk(client):
        # The SDK alone, as client.get_instance called it: what .get() hands back.
        def read(iid):
            return client.compute.virtual_machine_scale_set_vms.get('rg', 'web', iid, expand='instanceView')
        out = [None, None]
        threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, read(str(i)))) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [type(item).__name__ for item in out]

    def inventory(client):
        # The inventory's maintenance status: two Uniform scale sets' VM lists (paged) on two workers.
        from ansible.plugins.loader import inventory_loader
        from ansible_collections.azure_vmss.maintenance.plugins.plugin_utils import inventory as fleet
        from ansible_collections.azure_vmss.maintenance.tests.unit.utils.fake_arm import scale_set_body
        plugin = inventory_loader.get('azure_vmss.maintenance.scale_sets')  # replay(..., ansible_loader=True)
        plugin.set_options(direct=dict(plugin='azure_vmss.maintenance.scale_sets', maintenance_status_workers=2))
        records = [(client, fleet.host_vars(scale_set_body(path), SUB)) for path in (VMSS_PATH, API_PATH)]
        plugin._read_maintenance(records)
        return [hostvars['azure_maintenance_counts'] for _client, hostvars in records]

    return {
        'sdk': ('VirtualMachineScaleSetVM', sdk),
        'inventory': ('VirtualMachineScaleSetVM', inventory),
        'get_instances': ('VirtualMachineScaleSetVM', lambda client: client.get_instances(ref, ['0', '1'])),
        'get_instance_views': ('VirtualMachineScaleSetVMInstanceView',
                               lambda client: client.get_instance_views(ref, ['0', '1'])),
        'flexible.get_vms': ('VirtualMachine', lambda client: flexible.get_vms(client, ref, ['web_0', 'web_1'])),
    }


def fake_arm():
    from ansible_collections.azure_vmss.maintenance.tests.unit.utils.fake_arm import (
        FakeArm, flexible_vm, scale_set_body)
    arm = FakeArm().scale_set(mode='Flexible')
    for i in range(2):
        arm.on('GET', '/virtualMachines/%d' % i, body=vm_body(VMSS_PATH, i))
        arm.on('GET', '/virtualMachines/%d/instanceView' % i, body=vm_body(VMSS_PATH, i)['properties']['instanceView'])
        arm.on('GET', '/virtualMachines/web_%d' % i, body=flexible_vm('web_%d' % i))
    for i, path in enumerate((VMSS_PATH, API_PATH)):
        arm.on('GET', path + '/virtualMachines', body={'value': [vm_body(path, i)]})
    return arm, scale_set_body


def vm_body(scale_set_path, i):
    """A Uniform scale set's VM as ARM answers GET ...?$expand=instanceView (the shape the simulator gives)."""
    return {'name': 'web_%d' % i, 'instanceId': str(i), 'id': '%s/virtualMachines/%d' % (scale_set_path, i),
            'type': 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', 'location': 'westeurope',
            'zones': ['1'], 'sku': {'name': 'Standard_D2s_v5', 'tier': 'Standard'},
            'properties': {'latestModelApplied': True, 'provisioningState': 'Succeeded',
                           'hardwareProfile': {'vmSize': 'Standard_D2s_v5'},
                           'instanceView': {'platformUpdateDomain': i, 'platformFaultDomain': i,
                                            'maintenanceRedeployStatus': {'isCustomerInitiatedMaintenanceAllowed': True},
                                            'vmHealth': {'status': {'code': 'HealthState/healthy'}},
                                            'statuses': [{'code': 'PowerState/running'}]}}}


def replay(reader, ansible_loader=False):
    """main(reader) in a new interpreter (the tests' own has set the model classes up long ago): its report.

    ``ansible_loader``: set Ansible's collection loader up first, as ansible-inventory has it, so that the
    inventory plugin loads by name (only where the controller's Ansible is importable: not in module_utils
    unit tests, which ansible-test runs with the target side of Ansible only).
    """
    code = 'from %s import main; main(%r)' % (__name__, reader)
    if ansible_loader:
        root = __file__.rsplit(os.sep + 'ansible_collections' + os.sep, 1)[0]
        code = 'from ansible.plugins.loader import init_plugin_loader; init_plugin_loader([%r]); %s' % (root, code)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # the assert below shows its stderr
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def main(name):
    target_name, read = readers()[name]
    from azure.mgmt.compute import models
    arm, _body = fake_arm()
    client = arm.client()
    client.get_scale_set(client_ref())  # as a run does first; its models are built here, on this thread
    interleaver = Interleaver(getattr(models, target_name))
    threading.settrace(interleaver)
    report = dict(raced=False, result=None, error=None)
    try:
        report['result'] = read(client)
    except Exception as exc:  # the report says what the reader raised; the test judges it
        report['error'] = '%s: %s' % (exc.__class__.__name__, getattr(exc, 'msg', None) or exc)
    finally:
        threading.settrace(None)
    report['raced'] = interleaver.raced
    sys.stdout.write(json.dumps(report, default=str))


def client_ref():
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ScaleSetRef
    return ScaleSetRef('rg', 'web')
