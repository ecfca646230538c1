"""What the control plane last saw each agent serve: one public certificate per instance in
`<pki dir>/agents/`, so operators (and /metrics) see every agent certificate's expiry."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from strongroom.pki.issued import certificate_expiry, write_public

AGENTS_DIR = "agents"


def _path(pki_dir: Path, instance_id: str) -> Path:
    if "/" in instance_id or instance_id.startswith("."):
        raise ValueError(f"not an instance id: {instance_id!r}")
    return pki_dir / AGENTS_DIR / f"{instance_id}.crt"


def record(pki_dir: Path, instance_id: str, cert_pem: bytes) -> datetime:
    """Keep the agent's certificate (public part only); returns its expiry."""
    expiry = certificate_expiry(cert_pem)
    path = _path(pki_dir, instance_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_public(path, cert_pem)
    return expiry


def expiries(pki_dir: Path) -> dict[str, datetime]:
    """Instance id -> expiry of the certificate last recorded for its agent."""
    folder = pki_dir / AGENTS_DIR
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.crt")):
        try:
            found[path.stem] = certificate_expiry(path.read_bytes())
        except (OSError, ValueError):
            continue  # half-written or removed meanwhile: the next pass records it again
    return found


def expiry(pki_dir: Path, instance_id: str) -> datetime | None:
    """Expiry of the certificate last recorded for the instance's agent, None if none is."""
    try:
        return certificate_expiry(_path(pki_dir, instance_id).read_bytes())
    except (OSError, ValueError):
        return None


def forget(pki_dir: Path, instance_id: str) -> None:
    _path(pki_dir, instance_id).unlink(missing_ok=True)
