"""The control plane's PKI: a CA made once, client and per-instance server certificates."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from strongroom.pki import CertificateAuthority, certificate_expiry

pytestmark = pytest.mark.unit


def test_ca_is_created_once_with_a_private_key(tmp_path: Path) -> None:
    first = CertificateAuthority.load_or_create(tmp_path / "ca")
    second = CertificateAuthority.load_or_create(tmp_path / "ca")
    assert first.cert_pem == second.cert_pem
    assert (tmp_path / "ca" / "ca.key").stat().st_mode & 0o777 == 0o600
    assert first.not_valid_after == certificate_expiry(first.cert_pem)


def test_server_certificate_names_the_instance(tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    issued = ca.issue_server_certificate("inst-7", "198.18.0.9")
    cert = issued.certificate
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert issued.common_name == "inst-7"
    assert sans.get_values_for_type(x509.DNSName) == ["inst-7"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("198.18.0.9")]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.cert_pem))
    paths = issued.write(tmp_path / "agent", "server")
    assert paths.key.stat().st_mode & 0o777 == 0o600
    assert paths.cert.read_bytes() == issued.cert_pem


def test_instance_id_must_be_a_dns_label(tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    with pytest.raises(ValueError):
        ca.issue_server_certificate("Bad_Id", "198.18.0.9")


def test_client_certificate_is_for_clients_and_reused(tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    paths = ca.ensure_client_certificate(tmp_path / "cp")
    first_pem = paths.cert.read_bytes()
    assert ca.ensure_client_certificate(tmp_path / "cp") == paths
    assert paths.cert.read_bytes() == first_pem
    cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert paths.key.stat().st_mode & 0o777 == 0o600
