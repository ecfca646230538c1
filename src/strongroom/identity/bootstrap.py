"""First start: the `admin` and `demo` projects and users, and their clouds.yaml entries.

Idempotent: an entry whose password still authenticates is kept as it is (its non-secret
fields refreshed if the identity URL or region changed); a missing entry, or one whose password
no longer works, gets a new random password. Other entries and keys of the file are kept.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from strongroom.config.settings import Settings
from strongroom.contracts.errors import ConfigError, Unauthorized
from strongroom.identity.context import ADMIN, MEMBER
from strongroom.identity.directory import DEFAULT_DOMAIN_NAME, Directory, PasswordCredentials
from strongroom.store.database import Database


@dataclass(frozen=True)
class Account:
    cloud: str
    project: str
    user: str
    role: str


ACCOUNTS = (
    Account(cloud="strongroom-admin", project="admin", user="admin", role=ADMIN),
    Account(cloud="strongroom-demo", project="demo", user="demo", role=MEMBER),
)


def read_clouds(path: Path) -> dict[str, Any]:
    """The whole clouds.yaml document (empty when the file does not exist)."""
    if not path.exists():
        return {}
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML; fix or move it and retry") from exc
    if not isinstance(document, dict) or not isinstance(document.get("clouds", {}), dict):
        raise ConfigError(f"{path}: expected a mapping with a `clouds` mapping")
    return document


def write_clouds(path: Path, document: dict[str, Any]) -> None:
    """Atomically replaces `path` with `document`, mode 0600, parent created 0700."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)
    fd, tmp = tempfile.mkstemp(prefix=".clouds-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            yaml.safe_dump(document, f, default_flow_style=False, sort_keys=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cloud_entry(settings: Settings, account: Account, password: str) -> dict[str, Any]:
    return {
        "auth": {
            "auth_url": settings.identity.base_url() + "/v3",
            "username": account.user,
            "password": password,
            "project_name": account.project,
            "user_domain_name": DEFAULT_DOMAIN_NAME,
            "project_domain_name": DEFAULT_DOMAIN_NAME,
        },
        "region_name": settings.identity.region,
        "identity_api_version": 3,
        "interface": "public",
    }


def _ensure_account(directory: Directory, account: Account) -> dict[str, bool]:
    """Project, user and role exist; says which of them this call created."""
    created = {"project": False, "user": False, "role": False}
    if directory.find_project(account.project) is None:
        directory.create_project(account.project)
        created["project"] = True
    if directory.find_user(account.user) is None:
        directory.create_user(account.user, secrets.token_urlsafe(24), account.project)
        created["user"] = True
    created["role"] = directory.assign_role(account.user, account.project, account.role)
    return created


def _working_password(directory: Directory, account: Account, entry: Any) -> str | None:
    """The entry's password if it logs the account in to its project, else None."""
    auth = entry.get("auth") if isinstance(entry, dict) else None
    password = auth.get("password") if isinstance(auth, dict) else None
    if not isinstance(password, str) or not password:
        return None
    creds = PasswordCredentials(
        password=password, user_name=account.user, project_name=account.project
    )
    try:
        directory.authenticate(creds)
    except Unauthorized:
        return None
    return password


def _ensure_entry(
    settings: Settings, directory: Directory, account: Account, clouds: dict[str, Any]
) -> str:
    """Makes `clouds[account.cloud]` right; returns created, reset, updated or kept."""
    entry = clouds.get(account.cloud)
    password = _working_password(directory, account, entry)
    if password is not None:
        wanted = cloud_entry(settings, account, password)
        if entry == wanted:
            return "kept"
        clouds[account.cloud] = wanted
        return "updated"
    password = secrets.token_urlsafe(24)
    directory.set_password(account.user, password)
    clouds[account.cloud] = cloud_entry(settings, account, password)
    return "created" if entry is None else "reset"


def ensure_bootstrap(settings: Settings, db: Database, clouds_yaml_path: Path) -> dict[str, Any]:
    """Ensures both accounts and their clouds.yaml entries; reports what it did, no secrets."""
    directory = Directory(db)
    document = read_clouds(clouds_yaml_path)
    clouds: dict[str, Any] = dict(document.get("clouds") or {})
    report: dict[str, Any] = {"clouds_yaml": str(clouds_yaml_path), "entries": {}}
    for account in ACCOUNTS:
        created = _ensure_account(directory, account)
        status = _ensure_entry(settings, directory, account, clouds)
        report["entries"][account.cloud] = {
            "status": status,
            "project": account.project,
            "user": account.user,
            "role": account.role,
            "created": sorted(k for k, v in created.items() if v),
        }
    if any(e["status"] != "kept" for e in report["entries"].values()):
        write_clouds(clouds_yaml_path, {**document, "clouds": clouds})
    else:
        clouds_yaml_path.chmod(0o600)  # it holds passwords, whoever wrote it last
    return report
