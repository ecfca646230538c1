"""An issued certificate and its key as PEM bytes, and how it is written to disk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

KEY_MODE = 0o600
CERT_MODE = 0o644


@dataclass(frozen=True)
class CertificatePaths:
    """Where a certificate and its key were written."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate (PEM), its private key (PEM, unencrypted) and facts operators see."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate."""
        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def not_valid_after(self) -> datetime:
        """Expiry (UTC, timezone-aware)."""
        return self.certificate.not_valid_after_utc

    @property
    def common_name(self) -> str:
        """The subject's CN."""
        return common_name_of(self.certificate)

    def write(self, directory: Path, name: str) -> CertificatePaths:
        """Write `<name>.crt` (0644) and `<name>.key` (0600) into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = CertificatePaths(cert=directory / f"{name}.crt", key=directory / f"{name}.key")
        write_private(paths.key, self.key_pem)
        write_public(paths.cert, self.cert_pem)
        return paths


def common_name_of(cert: x509.Certificate) -> str:
    """The first CN of a certificate's subject ("" when it has none)."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def certificate_expiry(cert_pem: bytes) -> datetime:
    """Expiry (UTC) of a PEM certificate, for operators' views."""
    return x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file atomically, readable by its owner only."""
    _write_atomic(path, data, KEY_MODE)


def write_public(path: Path, data: bytes) -> None:
    """Write a public file (certificate) atomically."""
    _write_atomic(path, data, CERT_MODE)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
