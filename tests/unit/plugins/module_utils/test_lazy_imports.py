# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deferred imports: a module run with a secret leaves cryptography's certificate code unrun; certificates still work.

Each case runs in a fresh interpreter, since what a module run imports is a property of a new process.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import os
import pytest
import subprocess
import sys
import textwrap

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import lazy_imports

# Modules that cryptography.x509's own code imports: in sys.modules only once that code ran.
CERTIFICATE_CODE = ('cryptography.x509.base', 'cryptography.x509.extensions')

# A module process up to its client: real AnsibleModule, argument checks, auth.resolve and azure-identity's
# credential (building it sends no request).
PRELUDE = textwrap.dedent('''
    import json, sys
    from ansible.module_utils import basic
    def module_client(**args):
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': dict(
            args, resource_group='rg', name='vmss', subscription_id='00000000-0000-0000-0000-000000000001',
            client_id='app', tenant='tenant-1')}).encode('utf-8')
        if hasattr(basic, '_ANSIBLE_PROFILE'):
            basic._ANSIBLE_PROFILE = 'legacy'
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils.module import AzureVmssModule
        return AzureVmssModule(argument_spec={}).client
    def loaded():
        return sorted(name for name in %r if name in sys.modules)
''' % (CERTIFICATE_CODE,))


def run_python(code):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('AZURE_'))
    env['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run([sys.executable, '-c', PRELUDE + textwrap.dedent(code)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate with its key in one PEM file, as azure-identity's CertificateCredential reads."""
    pytest.importorskip('cryptography')
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'lazy-imports-test')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    path = tmp_path / 'app.pem'
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_only_a_certificate_login_needs_the_certificate_code():
    assert lazy_imports.unused_by('service_principal_certificate') == ()
    for kind in ('service_principal_secret', 'user_password', 'cli', 'msi'):
        assert 'cryptography.x509' in lazy_imports.unused_by(kind)


def test_a_module_run_with_a_secret_does_not_run_the_certificate_code():
    pytest.importorskip('azure.identity')
    result = run_python('''
        client = module_client(secret='s3cret-value')
        print(json.dumps(dict(credential=type(client._credential).__name__, loaded=loaded(),
                              bound='cryptography.x509' in sys.modules)))
    ''')
    assert result == dict(credential='ClientSecretCredential', loaded=[], bound=True)


def test_a_module_run_with_a_certificate_imports_it_as_usual(certificate):
    pytest.importorskip('azure.identity')
    result = run_python('''
        client = module_client(certificate_path=%r)
        print(json.dumps(dict(credential=type(client._credential).__name__, loaded=loaded())))
    ''' % certificate)
    assert result == dict(credential='CertificateCredential', loaded=sorted(CERTIFICATE_CODE))


def test_deferred_certificate_code_still_loads_and_signs_when_used(certificate):
    pytest.importorskip('azure.identity')
    # Nothing in a secret's run uses them; if something did, the deferred modules run then and work. This
    # also fails if a cryptography release makes x509 or padding replace itself in sys.modules as it runs.
    result = run_python('''
        module_client(secret='s3cret-value')
        before = loaded()
        from azure.identity import CertificateCredential
        CertificateCredential('tenant-1', 'app', %r)  # reads the certificate with x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        with open(%r, 'rb') as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        signature = key.sign(b'assertion', padding.PKCS1v15(), hashes.SHA256())  # what its assertion does
        print(json.dumps(dict(before=before, after=loaded(), signature_bytes=len(signature))))
    ''' % (certificate, certificate))
    assert result == dict(before=[], after=sorted(CERTIFICATE_CODE), signature_bytes=256)


def test_defer_leaves_imported_and_missing_modules_alone_and_binds_the_rest():
    result = run_python('''
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import lazy_imports
        deferred = lazy_imports.defer(['json', 'azure_vmss_no_such_module', 'no_such_package.child',
                                       'xml.dom.minidom'])
        import xml.dom
        bound = xml.dom.minidom is sys.modules['xml.dom.minidom']
        ran_before = 'xml.dom.minicompat' in sys.modules  # minidom's own import
        tag = xml.dom.minidom.parseString('<a/>').documentElement.tagName
        print(json.dumps(dict(deferred=deferred, bound=bound, ran_before=ran_before, tag=tag,
                              ran_after='xml.dom.minicompat' in sys.modules)))
    ''')
    assert result == dict(deferred=['xml.dom.minidom'], bound=True, ran_before=False, tag='a', ran_after=True)
