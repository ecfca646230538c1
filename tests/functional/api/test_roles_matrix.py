"""The role matrix: every route of the app x {owner member, owner reader, another project's
member (its own project in the URL, and the owner's), admin, no token, expired token}.

The routes come from the app itself, so a new endpoint without an expectation here fails
this test. Another project's resources are a 404 (never revealed); "allowed" means the policy
let the call through (any answer but 401/403/5xx, and no 404 about the resource itself)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from strongroom.identity.tokens import TokenIssuer
from tests.functional.api.day2_support import active_instance
from tests.functional.api.test_backups import completed
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional

P = "/v1.0/{project_id}"
I = f"{P}/instances/{{instance_id}}"  # noqa: E741
C = f"{P}/configurations/{{configuration_id}}"
DS = f"{P}/datastores"

# What each route is, by the policy it must enforce (a specification, not derived from code).
READ, WRITE, ADMIN, PUBLIC = "read", "write", "admin", "public"
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", f"{P}/instances"): READ,
    ("GET", f"{P}/instances/detail"): READ,
    ("POST", f"{P}/instances"): WRITE,
    ("GET", I): READ,
    ("PUT", I): WRITE,
    ("PATCH", I): WRITE,
    ("DELETE", I): WRITE,
    ("POST", f"{I}/action"): WRITE,
    ("GET", f"{I}/events"): READ,
    ("GET", f"{I}/configuration"): READ,
    ("GET", f"{I}/metrics"): READ,
    ("GET", f"{I}/top-queries"): READ,
    ("GET", f"{I}/backups"): READ,
    ("GET", f"{I}/backup-schedule"): READ,
    ("PUT", f"{I}/backup-schedule"): WRITE,
    ("DELETE", f"{I}/backup-schedule"): WRITE,
    ("GET", f"{I}/databases"): READ,
    ("POST", f"{I}/databases"): WRITE,
    ("DELETE", f"{I}/databases/{{name}}"): WRITE,
    ("GET", f"{I}/users"): READ,
    ("POST", f"{I}/users"): WRITE,
    ("PUT", f"{I}/users"): WRITE,
    ("GET", f"{I}/users/{{user}}"): READ,
    ("PUT", f"{I}/users/{{user}}"): WRITE,
    ("DELETE", f"{I}/users/{{user}}"): WRITE,
    ("GET", f"{I}/users/{{user}}/databases"): READ,
    ("PUT", f"{I}/users/{{user}}/databases"): WRITE,
    ("DELETE", f"{I}/users/{{user}}/databases/{{database}}"): WRITE,
    ("GET", f"{I}/root"): READ,
    ("POST", f"{I}/root"): WRITE,
    ("DELETE", f"{I}/root"): WRITE,
    ("GET", f"{I}/log"): READ,
    ("POST", f"{I}/log"): WRITE,
    ("GET", f"{I}/log/{{name}}"): READ,
    ("GET", f"{P}/configurations"): READ,
    ("POST", f"{P}/configurations"): WRITE,
    ("GET", C): READ,
    ("PUT", C): WRITE,
    ("PATCH", C): WRITE,
    ("DELETE", C): WRITE,
    ("GET", f"{C}/instances"): READ,
    ("GET", f"{P}/backups"): READ,
    ("POST", f"{P}/backups"): WRITE,
    ("GET", f"{P}/backups/{{backup_id}}"): READ,
    ("DELETE", f"{P}/backups/{{backup_id}}"): WRITE,
    ("GET", f"{P}/flavors"): READ,
    ("GET", f"{P}/flavors/{{flavor_id}}"): READ,
    ("GET", DS): READ,
    ("GET", f"{DS}/{{datastore}}"): READ,
    ("GET", f"{DS}/{{datastore}}/versions"): READ,
    ("GET", f"{DS}/{{datastore}}/versions/{{version}}"): READ,
    ("GET", f"{DS}/versions/{{version_id}}"): READ,
    ("GET", f"{DS}/{{datastore}}/versions/{{version}}/parameters"): READ,
    ("GET", f"{DS}/{{datastore}}/versions/{{version}}/parameters/{{name}}"): READ,
    ("GET", f"{DS}/versions/{{version_id}}/parameters"): READ,
    ("GET", f"{DS}/versions/{{version_id}}/parameters/{{name}}"): READ,
    ("GET", f"{P}/limits"): READ,
    ("GET", f"{P}/mgmt/instances"): ADMIN,
    ("GET", f"{P}/mgmt/instances/{{instance_id}}"): ADMIN,
    ("POST", f"{P}/mgmt/instances/{{instance_id}}/action"): ADMIN,
    ("GET", f"{P}/mgmt/quotas/{{target}}"): ADMIN,
    ("PUT", f"{P}/mgmt/quotas/{{target}}"): ADMIN,
    ("GET", f"{P}/mgmt/prometheus-targets"): ADMIN,
    # Outside the Trove API: no token by design (operators keep the API on a trusted network).
    ("GET", "/"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/metrics/instances/{instance_id}"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
}
# The web console logs in with its own session (tests/functional/console cover it).
OWN_AUTH_PREFIXES = ("/console",)

# Request bodies that pass validation, so that what decides the answer is who asks.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", f"{P}/instances"): {
        "instance": {
            "name": "matrix",
            "flavorRef": "sr.small",
            "volume": {"size": 1},
            "datastore": {"type": "mariadb", "version": "10.11"},
        }
    },
    ("PUT", I): {"instance": {"name": "renamed"}},
    ("PATCH", I): {"instance": {"name": "renamed"}},
    ("POST", f"{I}/action"): {"restart": {}},
    ("POST", f"{I}/databases"): {"databases": [{"name": "more"}]},
    ("POST", f"{I}/users"): {"users": [{"name": "bob", "password": "Bob-pass-123"}]},
    ("PUT", f"{I}/users"): {"users": [{"name": "app", "password": "New-pass-456"}]},
    ("PUT", f"{I}/users/{{user}}"): {"user": {"password": "New-pass-789"}},
    ("PUT", f"{I}/users/{{user}}/databases"): {"databases": [{"name": "app"}]},
    ("POST", f"{I}/log"): {"name": "general", "enable": 1},
    ("POST", f"{P}/configurations"): {
        "configuration": {
            "name": "more",
            "datastore": {"type": "mariadb", "version": "10.11"},
            "values": {"max_connections": 200},
        }
    },
    ("PUT", C): {"configuration": {"values": {"max_connections": 210}}},
    ("PATCH", C): {"configuration": {"values": {"max_connections": 220}}},
    ("POST", f"{P}/backups"): {"backup": {"name": "more", "instance": "{instance_id}"}},
    ("PUT", f"{I}/backup-schedule"): {"backup_schedule": {"every_hours": 6}},
    ("POST", f"{P}/mgmt/instances/{{instance_id}}/action"): {"reset_status": {}},
    ("PUT", f"{P}/mgmt/quotas/{{target}}"): {"quotas": {"instances": 10}},
}
RESOURCE_PARAMS = ("{instance_id}", "{configuration_id}", "{backup_id}")
# Calls whose body (not path) names the owner's resource.
RESOURCE_BODIES = {("POST", f"{P}/backups")}


@dataclass
class World:
    """One instance (db `app`, user `app`) with a configuration group and a backup."""

    instance_id: str
    configuration_id: str
    backup_id: str

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.instance_id, self.configuration_id, self.backup_id)


@dataclass
class Principal:
    name: str
    headers: dict[str, str]
    project_id: str
    world: World


def _world(plane: ControlPlane, owner: Tenant) -> World:
    instance_id = active_instance(plane, owner)
    body = BODIES[("POST", f"{P}/configurations")]
    r = plane.client.post(plane.url(owner, "configurations"), json=body, headers=owner.headers())
    assert r.status_code == 200, r.text
    return World(instance_id, r.json()["configuration"]["id"], completed(plane, owner, instance_id))


def _app_routes(plane: ControlPlane) -> list[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(plane.client.app.routes):  # type: ignore[attr-defined]
        path = route.path or ""
        if path.startswith(OWN_AUTH_PREFIXES):
            continue
        found |= {(m, path) for m in route.methods or {"GET"} if m != "HEAD"}
    return sorted(found, key=_order)


def _order(op: tuple[str, str]) -> tuple[int, str, str]:
    """Changes last, deleting the instance itself at the very end."""
    method, path = op
    rank = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}.get(method, 1)
    if (method, path) == ("DELETE", I):
        rank = 3
    return rank, path, method


def _url(path: str, project_id: str, world: World, owner_project: str) -> str:
    values = {
        "project_id": project_id,
        "instance_id": world.instance_id,
        "configuration_id": world.configuration_id,
        "backup_id": world.backup_id,
        "name": "general" if "/log/" in path else "app",
        "user": "app",
        "database": "app",
        "target": owner_project,
        "flavor_id": "sr.small",
        "datastore": "mariadb",
        "version": "10.11",
        "version_id": "10.11",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _body(op: tuple[str, str], world: World) -> Any:
    body = BODIES.get(op)
    if op == ("POST", f"{P}/backups"):
        return {"backup": {"name": "more", "instance": world.instance_id}}
    return body


def _expected(kind: str, who: str, op: tuple[str, str]) -> str:
    """'allowed', 401, 403 or 404 for `who` calling a route of `kind`."""
    if kind == PUBLIC:
        return "allowed"
    if who in ("no token", "expired token"):
        return "401"
    if who == "other member, owner's URL":
        return "403"
    if kind == ADMIN:
        return "allowed" if who == "admin" else "403"
    if who == "owner reader" and kind == WRITE:
        return "403"
    if who == "other member" and (
        any(p in op[1] for p in RESOURCE_PARAMS) or op in RESOURCE_BODIES
    ):
        return "404"
    return "allowed"


def _verdict(status: int, text: str, world: World, *, foreign: bool) -> str:
    if status in (401, 403, 404) or status >= 500:
        if status == 404 and not any(i in text for i in world.ids):
            return "allowed"  # a sub-resource (database, user, log) that is not there
        return str(status)
    if foreign and any(i in text for i in world.ids):
        return "revealed"
    return "allowed"


def test_every_route_answers_every_caller_as_the_policy_says(plane: ControlPlane) -> None:
    owner = plane.tenant("demo", "demo", "member")
    reader = plane.tenant("demo", "rita", "reader")
    other = plane.tenant("other", "olga", "member")
    admin = plane.tenant("admin", "root", "admin")
    with plane.worker():
        mine, admins = _world(plane, owner), _world(plane, owner)
    user = plane.directory.find_user("demo")
    assert user is not None
    stale = TokenIssuer.from_settings(plane.settings, clock=lambda: time.time() - 7200)
    expired = stale.issue(user.id, owner.project_id).token
    principals = [
        Principal("no token", {}, owner.project_id, mine),
        Principal("expired token", {"X-Auth-Token": expired}, owner.project_id, mine),
        Principal("other member, owner's URL", other.headers(), owner.project_id, mine),
        Principal("other member", other.headers(), other.project_id, mine),
        Principal("owner reader", reader.headers(), owner.project_id, mine),
        Principal("owner member", owner.headers(), owner.project_id, mine),
        Principal("admin", admin.headers(), admin.project_id, admins),
    ]

    routes = _app_routes(plane)
    missing = [f"{m} {p}" for m, p in routes if (m, p) not in EXPECTED]
    assert not missing, f"routes without an expectation in the role matrix: {missing}"

    wrong = []
    for op in routes:
        method, path = op
        for who in principals:
            url = _url(path, who.project_id, who.world, owner.project_id)
            r = plane.client.request(method, url, headers=who.headers, json=_body(op, who.world))
            foreign = who.name == "other member" and EXPECTED[op] != PUBLIC
            got = _verdict(r.status_code, r.text, who.world, foreign=foreign)
            want = _expected(EXPECTED[op], who.name, op)
            if got != want:
                wrong.append(f"{method} {path} as {who.name}: {r.status_code} {r.text[:120]}")
    assert not wrong, "\n".join(wrong)
