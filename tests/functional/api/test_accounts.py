"""Databases, users, grants and root of an instance through the Trove API, on fake drivers:
the mirror answers reads at once, the worker makes the guest do it, bad input changes
nothing, and no password is stored or shown (but root's, once)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from strongroom.config.settings import FakeDriverSettings
from tests.functional.api.day2_support import (
    active_instance,
    count_jobs,
    engine,
    events,
    stored_jobs_text,
    wait_idle,
)
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional

PASSWORD, NEW_PASSWORD = "Bob-s3cret-pw", "Rob-n3w-secret"


def digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class Api:
    def __init__(self, plane: ControlPlane, tenant: Tenant, instance_id: str) -> None:
        self.plane, self.tenant, self.base = plane, tenant, f"instances/{instance_id}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        url = self.plane.url(self.tenant, f"{self.base}/{path}")
        return self.plane.client.request(method, url, json=body, headers=self.tenant.headers())


def test_databases_users_grants_and_root(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        iid = active_instance(plane, demo)
        api = Api(plane, demo, iid)
        assert api.call("GET", "databases").json() == {"databases": [{"name": "app"}]}
        body = {"databases": [{"name": "sales", "character_set": "utf8mb4"}, {"name": "hr"}]}
        assert api.call("POST", "databases", body).status_code == 202
        names = [d["name"] for d in api.call("GET", "databases").json()["databases"]]
        assert names == ["app", "hr", "sales"], "the intent is listed at once"
        first = api.call("GET", "databases?limit=2").json()
        assert [d["name"] for d in first["databases"]] == ["app", "hr"]
        assert "marker=hr" in first["links"][0]["href"]
        assert api.call("GET", "databases?limit=2&marker=hr").json()["databases"] == [
            {"name": "sales", "character_set": "utf8mb4"}
        ]

        user = {"name": "bob", "password": PASSWORD, "databases": [{"name": "sales"}]}
        assert api.call("POST", "users", {"users": [user]}).status_code == 202
        wait_idle(plane, iid)
        fake = engine(plane, iid)
        assert {"app", "hr", "sales"} == set(fake["databases"])
        assert fake["databases"]["sales"]["character_set"] == "utf8mb4"
        assert fake["users"]["bob@%"]["databases"] == ["sales"]
        assert fake["users"]["bob@%"]["password_sha256"] == digest(PASSWORD)
        shown = api.call("GET", "users/bob").json()["user"]
        assert shown == {"name": "bob", "host": "%", "databases": [{"name": "sales"}]}
        assert api.call("GET", "users/bob@%25").json()["user"]["name"] == "bob"
        listed = api.call("GET", "users").json()["users"]
        assert [u["name"] for u in listed] == ["app", "bob"]

        grant = {"databases": [{"name": "hr"}]}
        assert api.call("PUT", "users/bob/databases", grant).status_code == 202
        wait_idle(plane, iid)
        assert api.call("DELETE", "users/bob/databases/sales").status_code == 202
        wait_idle(plane, iid)
        assert engine(plane, iid)["users"]["bob@%"]["databases"] == ["hr"]
        assert api.call("GET", "users/bob/databases").json() == {"databases": [{"name": "hr"}]}

        change = {"user": {"name": "rob", "password": NEW_PASSWORD}}
        assert api.call("PUT", "users/bob", change).status_code == 202
        wait_idle(plane, iid)
        assert api.call("GET", "users/bob").status_code == 404
        assert api.call("GET", "users/rob").json()["user"]["databases"] == [{"name": "hr"}]
        assert engine(plane, iid)["users"]["rob@%"]["password_sha256"] == digest(NEW_PASSWORD)

        bulk = {"users": [{"name": "rob", "password": PASSWORD}]}
        assert api.call("PUT", "users", bulk).status_code == 202
        wait_idle(plane, iid)
        assert engine(plane, iid)["users"]["rob@%"]["password_sha256"] == digest(PASSWORD)

        _root(api, plane, iid)

        assert api.call("DELETE", "users/rob").status_code == 202
        assert api.call("DELETE", "databases/hr").status_code == 202
        wait_idle(plane, iid)
    fake = engine(plane, iid)
    assert "rob@%" not in fake["users"] and "hr" not in fake["databases"]
    assert [u["name"] for u in api.call("GET", "users").json()["users"]] == ["app"]
    history = "\n".join(events(plane, iid))
    assert "user deleted: rob@%" in history and "database deleted: hr" in history
    for secret in (PASSWORD, NEW_PASSWORD):
        assert secret not in history and secret not in stored_jobs_text(plane)


def _root(api: Api, plane: ControlPlane, iid: str) -> None:
    assert api.call("GET", "root").json() == {"rootEnabled": False}
    r = api.call("POST", "root")
    assert r.status_code == 200, r.text
    generated = r.json()["user"]
    assert generated["name"] == "root" and len(generated["password"]) >= 20
    assert api.call("GET", "root").json() == {"rootEnabled": True}
    wait_idle(plane, iid)
    assert engine(plane, iid)["root"] is True
    assert engine(plane, iid)["root_password_sha256"] == digest(generated["password"])
    assert generated["password"] not in stored_jobs_text(plane)
    assert api.call("DELETE", "root").status_code == 204
    wait_idle(plane, iid)
    assert engine(plane, iid)["root"] is False
    assert api.call("GET", "root").json() == {"rootEnabled": True}, "root was enabled once"
    given = api.call("POST", "root", {"password": "Given-root-pw1"})
    assert given.json()["user"]["password"] == "Given-root-pw1"
    assert api.call("POST", "root", {"password": "short"}).status_code == 400
    wait_idle(plane, iid)
    assert engine(plane, iid)["root_password_sha256"] == digest("Given-root-pw1")


BAD_REQUESTS: list[tuple[str, str, Any, int]] = [
    ("POST", "databases", {"databases": [{"name": "bad name"}]}, 400),
    ("POST", "databases", {"databases": [{"name": "mysql"}]}, 400),
    ("POST", "databases", {"databases": [{"name": "app"}]}, 400),
    ("POST", "databases", {"databases": [{"name": "x", "collate": "a;drop"}]}, 400),
    ("POST", "databases", {"databases": []}, 400),
    ("DELETE", "databases/nope", None, 404),
    ("POST", "users", {"users": [{"name": "root", "password": PASSWORD}]}, 400),
    ("POST", "users", {"users": [{"name": "eve", "password": "short"}]}, 400),
    ("POST", "users", {"users": [{"name": "eve"}]}, 400),
    ("POST", "users", {"users": [{"name": "eve", "password": "evepassword1", "host": "a b"}]}, 400),
    ("POST", "users", {"users": [{"name": "app", "password": PASSWORD}]}, 400),
    ("POST", "users", {"users": [{"name": "eve", "password": PASSWORD,
                                  "databases": [{"name": "nope"}]}]}, 404),
    ("GET", "users/nobody", None, 404),
    ("PUT", "users/nobody", {"user": {"password": PASSWORD}}, 404),
    ("PUT", "users/app", {"user": {}}, 400),
    ("PUT", "users/app", {"user": {"name": "strongroom"}}, 400),
    ("PUT", "users/app", {"user": {"password": "app"}}, 400),
    ("PUT", "users", {"users": [{"name": "nobody", "password": PASSWORD}]}, 404),
    ("DELETE", "users/nobody", None, 404),
    ("PUT", "users/app/databases", {"databases": [{"name": "nope"}]}, 404),
    ("DELETE", "users/app/databases/nope", None, 404),
    ("DELETE", "root", None, 404),
]  # fmt: skip


def test_bad_input_gets_its_4xx_and_changes_nothing(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "other", "member")
    with plane.worker():
        iid = active_instance(plane, demo)
    api = Api(plane, demo, iid)
    before = (count_jobs(plane), api.call("GET", "users").json(), engine(plane, iid))
    for method, path, body, status in BAD_REQUESTS:
        r = api.call(method, path, body)
        assert r.status_code == status, (method, path, body, r.text)
        assert list(r.json()) == [{400: "badRequest", 404: "itemNotFound"}[status]]
    stranger = Api(plane, other, iid)
    assert stranger.call("GET", "databases").status_code in (403, 404)
    assert Api(plane, demo, "no-such-id").call("GET", "users").status_code == 404
    assert (count_jobs(plane), api.call("GET", "users").json(), engine(plane, iid)) == before


def test_changes_wait_for_an_active_instance_and_a_refusal_is_undone(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    api = Api(plane, demo, r.json()["instance"]["id"])
    building = api.call("POST", "databases", {"databases": [{"name": "early"}]})
    assert building.status_code == 409 and "BUILD" in building.text
    assert api.call("POST", "root").status_code == 409
    plane.settings = plane.settings.model_copy(
        update={
            "drivers": plane.settings.drivers.model_copy(
                update={"fake": FakeDriverSettings(fail_in="guest.create_database")}
            )
        }
    )
    with plane.worker():
        iid = plane.wait_status(demo, r.json()["instance"]["id"], {"ACTIVE"})["id"]
        assert api.call("POST", "databases", {"databases": [{"name": "doomed"}]}).status_code == 202
        wait_idle(plane, iid)
    assert api.call("GET", "databases").json() == {"databases": [{"name": "app"}]}
    assert any("not created: doomed" in e for e in events(plane, iid))
    # No worker now: the next change of `app` waits behind this one.
    assert api.call("PUT", "users/app", {"user": {"password": NEW_PASSWORD}}).status_code == 202
    busy = api.call("DELETE", "users/app/databases/app")
    assert busy.status_code == 409, "one change of a user at a time"
    shown = plane.client.get(plane.url(demo, f"instances/{iid}"), headers=demo.headers())
    assert shown.json()["instance"]["status"] == "ACTIVE", "a refused change is no fault"


def test_a_refused_first_root_enable_leaves_root_never_enabled(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        iid = active_instance(plane, demo)
    plane.settings = plane.settings.model_copy(
        update={
            "drivers": plane.settings.drivers.model_copy(
                update={"fake": FakeDriverSettings(fail_in="guest.enable_root")}
            )
        }
    )
    api = Api(plane, demo, iid)
    assert api.call("POST", "root").status_code == 200
    assert api.call("GET", "root").json() == {"rootEnabled": True}, "the intent shows at once"
    with plane.worker():
        wait_idle(plane, iid)
    assert api.call("GET", "root").json() == {"rootEnabled": False}
    assert any("root not enabled" in e for e in events(plane, iid))
