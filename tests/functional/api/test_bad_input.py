"""Bad input gets a clear 4xx in Trove's error shape and changes nothing; no input gives a 500."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from strongroom.store.models import Event, Instance, Job
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.functional


def body(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(CREATE)
    for key, value in changes.items():
        if value is None:
            doc["instance"].pop(key, None)
        else:
            doc["instance"][key] = value
    return doc


BAD_CREATES = [
    ("no name", body(name=None), 400),
    ("empty name", body(name="  "), 400),
    ("long name", body(name="x" * 256), 400),
    ("name not a string", body(name=7), 400),
    ("unknown flavor", body(flavorRef="sr.huge"), 404),
    ("no flavor", body(flavorRef=None), 400),
    ("unknown datastore", body(datastore={"type": "oracle", "version": "1"}), 404),
    ("unknown version", body(datastore={"type": "mariadb", "version": "5.5"}), 404),
    ("no volume", body(volume=None), 400),
    ("zero volume", body(volume={"size": 0}), 400),
    ("huge volume", body(volume={"size": 100000}), 400),
    ("volume size as text", body(volume={"size": "1"}), 400),
    ("volume not an object", body(volume=[1]), 400),
    ("bad cidr", body(access={"is_public": False, "allowed_cidrs": ["10.0.0.0/33"]}), 400),
    ("is_public not a bool", body(access={"is_public": "yes"}), 400),
    ("unknown network", body(nics=[{"net-id": "no-such-net"}]), 400),
    ("two nics", body(nics=[{"net-id": "public"}, {"network_id": "public"}]), 400),
    ("bad database name", body(databases=[{"name": "a b"}]), 400),
    ("reserved user", body(users=[{"name": "root", "password": "long-enough-1"}]), 400),
    ("weak password", body(users=[{"name": "u1", "password": "short"}]), 400),
    ("user without password", body(users=[{"name": "u1"}]), 400),
    (
        "grant on missing db",
        body(users=[{"name": "u1", "password": "long-enough-1", "databases": [{"name": "nope"}]}]),
        400,
    ),
    ("replication", body(replica_of="abc"), 400),
]


def counts(plane: ControlPlane) -> tuple[int, int, int]:
    with plane.db.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(Instance)) or 0),
            int(s.scalar(select(func.count()).select_from(Job)) or 0),
            int(s.scalar(select(func.count()).select_from(Event)) or 0),
        )


@pytest.mark.parametrize(("case", "doc", "code"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES])
def test_bad_create_is_refused_and_writes_nothing(
    plane: ControlPlane, case: str, doc: dict[str, Any], code: int
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    before = counts(plane)
    r = plane.client.post(plane.url(demo, "instances"), json=doc, headers=demo.headers())
    assert r.status_code == code, r.text
    ((fault_name, fault),) = r.json().items()
    assert fault_name == {400: "badRequest", 404: "itemNotFound"}[code]
    assert fault["code"] == code and fault["message"]
    assert counts(plane) == before


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b"null", b'"text"', b'{"instance": []}', b'{"instance": null}', b"\xff\xfe"],
)
def test_malformed_bodies_are_bad_requests(plane: ControlPlane, raw: bytes) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(
        plane.url(demo, "instances"),
        content=raw,
        headers={**demo.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["badRequest"]["code"] == 400
    assert counts(plane)[0] == 0


def test_auth_and_scope_errors(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "other", "member")
    reader = plane.tenant("demo", "auditor", "reader")
    url = plane.url(demo, "instances")

    r = plane.client.get(url)
    assert r.status_code == 401 and r.json()["unauthorized"]["code"] == 401
    r = plane.client.get(url, headers={"X-Auth-Token": "garbage"})
    assert r.status_code == 401
    r = plane.client.get(url, headers=other.headers())
    assert r.status_code == 403 and "forbidden" in r.json()
    r = plane.client.get(url, headers=reader.headers())
    assert r.status_code == 200
    r = plane.client.post(url, json=CREATE, headers=reader.headers())
    assert r.status_code == 403
    assert counts(plane)[0] == 0

    created = plane.client.post(url, json=CREATE, headers=demo.headers()).json()["instance"]
    r = plane.client.get(plane.url(other, f"instances/{created['id']}"), headers=other.headers())
    assert r.status_code == 404, "another project's instance must not even be revealed"
    r = plane.client.delete(plane.url(other, f"instances/{created['id']}"), headers=other.headers())
    assert r.status_code == 404
    r = plane.client.delete(plane.url(demo, f"instances/{created['id']}"), headers=reader.headers())
    assert r.status_code == 403


def test_unknown_things(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.get(plane.url(demo, "instances/nope"), headers=demo.headers())
    assert r.status_code == 404 and r.json()["itemNotFound"]["code"] == 404
    r = plane.client.get(plane.url(demo, "no-such-resource"), headers=demo.headers())
    assert r.status_code == 404 and "itemNotFound" in r.json()
    r = plane.client.delete(plane.url(demo, "flavors/1"), headers=demo.headers())
    assert r.status_code == 405 and "badMethod" in r.json()
    r = plane.client.get(plane.url(demo, "flavors/sr.nope"), headers=demo.headers())
    assert r.status_code == 404


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
instance_fields = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        for key in [
            "name",
            "flavorRef",
            "volume",
            "datastore",
            "databases",
            "users",
            "nics",
            "access",
            "configuration",
            "replica_count",
        ]
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=instance_fields)
def test_no_create_body_gives_a_500(plane: ControlPlane, fields: dict[str, Any]) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(
        plane.url(demo, "instances"), json={"instance": fields}, headers=demo.headers()
    )
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        ((_fault_name, fault),) = r.json().items()
        assert fault["code"] == r.status_code
