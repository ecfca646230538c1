"""The control plane's certificate authority (ECDSA P-256), created on first use.

One CA signs the control plane's client certificate (EKU clientAuth only) and each agent's
server certificate (EKU serverAuth only, CN and DNS SAN = instance id, IP SAN = management
address). Because server certificates cannot act as client certificates, a compromised agent
cannot call another agent.
"""

from __future__ import annotations

import fcntl
import ipaddress
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from strongroom.pki.issued import (
    CertificatePaths,
    IssuedCertificate,
    certificate_expiry,
    write_private,
    write_public,
)

CA_CERT_FILE = "ca.crt"
CA_KEY_FILE = "ca.key"
CA_VALID_DAYS = 3650
LEAF_VALID_DAYS = 825
CONTROL_PLANE_CN = "strongroom-control-plane"
_INSTANCE_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_BACKDATE = timedelta(minutes=5)


class CertificateAuthority:
    """A CA whose key and certificate live in one directory (key mode 0600)."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self._cert = cert
        self._key = key

    @classmethod
    def load_or_create(
        cls, directory: Path, common_name: str = "Strongroom CA"
    ) -> CertificateAuthority:
        """Load the CA in `directory`, creating it first if absent (safe across processes)."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(directory / ".lock"):
            cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
            if not (cert_path.exists() and key_path.exists()):
                key = ec.generate_private_key(ec.SECP256R1())
                cert = _self_signed(key, common_name)
                write_private(key_path, _key_pem(key))
                write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
            return cls._load(cert_path, key_path)

    @classmethod
    def _load(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path} is not an EC private key")
        return cls(cert, key)

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate (what both sides trust)."""
        return self._cert.public_bytes(serialization.Encoding.PEM)

    @property
    def not_valid_after(self) -> datetime:
        """Expiry of the CA certificate (UTC)."""
        return self._cert.not_valid_after_utc

    def issue_client_certificate(
        self, common_name: str = CONTROL_PLANE_CN, valid_days: int = LEAF_VALID_DAYS
    ) -> IssuedCertificate:
        """A client certificate for the control plane (EKU clientAuth)."""
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        return self._issue(name, [], ExtendedKeyUsageOID.CLIENT_AUTH, valid_days)

    def ensure_client_certificate(
        self, directory: Path, name: str = "control-plane", renew_before_days: int = 30
    ) -> CertificatePaths:
        """The control plane's client certificate in `directory`, issued (again) when absent
        or expiring within `renew_before_days`; idempotent otherwise."""
        paths = CertificatePaths(cert=directory / f"{name}.crt", key=directory / f"{name}.key")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(directory / f".{name}.lock"):
            if paths.cert.exists() and paths.key.exists():
                expiry = certificate_expiry(paths.cert.read_bytes())
                if expiry - datetime.now(UTC) > timedelta(days=renew_before_days):
                    return paths
            return self.issue_client_certificate().write(directory, name)

    def issue_server_certificate(
        self, instance_id: str, address: str, valid_days: int = LEAF_VALID_DAYS
    ) -> IssuedCertificate:
        """An agent's server certificate: CN and DNS SAN = instance id, IP SAN = `address`."""
        if not _INSTANCE_ID.match(instance_id):
            raise ValueError(f"instance id {instance_id!r} is not a DNS label")
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, instance_id)])
        sans: list[x509.GeneralName] = [
            x509.DNSName(instance_id),
            x509.IPAddress(ipaddress.ip_address(address)),
        ]
        return self._issue(name, sans, ExtendedKeyUsageOID.SERVER_AUTH, valid_days)

    def _issue(
        self,
        subject: x509.Name,
        sans: list[x509.GeneralName],
        usage: x509.ObjectIdentifier,
        valid_days: int,
    ) -> IssuedCertificate:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return IssuedCertificate(
            cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=_key_pem(key)
        )


def _self_signed(key: ec.EllipticCurvePrivateKey, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
