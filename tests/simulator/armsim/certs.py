"""Certificate helpers for the ARM simulator: a throw-away CA, a server certificate for
127.0.0.1/localhost, one for the public Azure host names the proxy listener serves, and client
certificates for certificate-credential principals.

Only `cryptography` is needed. Files are reused when they already exist in the state directory
(generating RSA keys costs ~0.1 s each)."""

import base64
import datetime
import hashlib
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _write(path, data, mode=0o600):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _pem_key(key, password=None):
    enc = (serialization.BestAvailableEncryption(password.encode()) if password
           else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def ensure_ca(state_dir):
    """Return (ca_cert, ca_key, ca_path); create them if absent."""
    ca_path = os.path.join(state_dir, "ca.pem")
    key_path = os.path.join(state_dir, "ca-key.pem")
    if os.path.exists(ca_path) and os.path.exists(key_path):
        with open(ca_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        with open(key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        if cert.not_valid_after_utc > _now() + datetime.timedelta(days=1):
            return cert, key, ca_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ARM simulator test CA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "azure_vmss.maintenance tests")])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - datetime.timedelta(hours=1))
            .not_valid_after(_now() + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _pem_key(key))
    _write(ca_path, _pem_cert(cert), 0o644)
    return cert, key, ca_path


def _sans(hosts):
    sans = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    return sans


def ensure_server_cert(state_dir, ca_cert, ca_key, hosts=("127.0.0.1", "localhost"), name="server"):
    """Return (cert_path, key_path) of a server certificate for `hosts` signed by the CA, written as
    NAME.pem and NAME-key.pem (reused while issued by this CA, valid and for the same names).
    The proxy listener uses name="proxy" with the public Azure host names."""
    cert_path = os.path.join(state_dir, "%s.pem" % name)
    key_path = os.path.join(state_dir, "%s-key.pem" % name)
    sans = _sans(hosts)
    if os.path.exists(cert_path) and os.path.exists(key_path):
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        try:
            have = set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
        except x509.ExtensionNotFound:
            have = set()
        if (cert.issuer == ca_cert.subject and have == set(sans)
                and cert.not_valid_after_utc > _now() + datetime.timedelta(days=1)):
            return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    cn = next((h for h in hosts if not isinstance(_sans([h])[0], x509.IPAddress)), "localhost")
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - datetime.timedelta(hours=1))
            .not_valid_after(_now() + datetime.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(key_path, _pem_key(key))
    _write(cert_path, _pem_cert(cert), 0o644)
    return cert_path, key_path


def ensure_client_cert(state_dir, name, ca_cert, ca_key, password=None):
    """A client certificate (RSA, as Azure AD app credentials are) written as one PEM file holding
    the private key and the certificate, the format azure-identity's CertificateCredential reads.
    With a password, the key is encrypted. Returns (path, cert)."""
    base = os.path.join(state_dir, "client-cert-%s%s.pem" % (name, "-encrypted" if password else ""))
    if os.path.exists(base):
        with open(base, "rb") as f:
            data = f.read()
        try:
            cert = x509.load_pem_x509_certificate(data)
            if cert.not_valid_after_utc > _now() + datetime.timedelta(days=1):
                return base, cert
        except ValueError:
            pass
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sim-app-%s" % name)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - datetime.timedelta(hours=1))
            .not_valid_after(_now() + datetime.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(base, _pem_key(key, password) + _pem_cert(cert))
    return base, cert


def load_cert_file(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def thumbprints(cert):
    """(x5t, x5t#S256): base64url SHA-1 and SHA-256 of the DER certificate, as MSAL puts them in
    the client assertion header."""
    der = cert.public_bytes(serialization.Encoding.DER)

    def b64(digest):
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return b64(hashlib.sha1(der).digest()), b64(hashlib.sha256(der).digest())  # nosec - thumbprint only
