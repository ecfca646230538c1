"""What the control plane sends the agent for a prepare: the wire contract's request."""

from __future__ import annotations

import pytest

from strongroom.drivers.guest.local import prepare_request
from strongroom.drivers.specs import DatabaseSpec, PrepareSpec, UserSpec

pytestmark = pytest.mark.unit


def test_prepare_spec_becomes_the_wire_request_with_the_secret_hidden() -> None:
    spec = PrepareSpec(
        instance_id="i-1",
        datastore="mariadb",
        datastore_version="10.11",
        ram_mb=512,
        vcpus=1,
        listen_address="198.18.1.5",
        databases=(DatabaseSpec("app", character_set="utf8mb4"),),
        users=(UserSpec("app", "S3cret-pass", databases=("app",)),),
    )
    request = prepare_request(spec)
    assert request.listen_address == "198.18.1.5"
    assert [d.name for d in request.databases] == ["app"]
    assert request.databases[0].character_set == "utf8mb4"
    assert request.users[0].databases == ["app"] and request.users[0].host == "%"
    assert "S3cret-pass" not in repr(request)
    assert request.model_dump(mode="json")["users"][0]["password"] == "S3cret-pass"
