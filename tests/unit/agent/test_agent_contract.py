"""The agent wire contract: paths, secrets handling and validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import PrepareRequest, UserSpec

pytestmark = pytest.mark.unit


def test_paths_share_the_version_prefix() -> None:
    paths = [
        contract.PATH_STATUS,
        contract.PATH_PREPARE,
        contract.PATH_ENGINE_START,
        contract.PATH_ENGINE_STOP,
        contract.PATH_ENGINE_RESTART,
        contract.PATH_OPERATION,
    ]
    assert all(path.startswith("/v1/") for path in paths)
    assert contract.operation_path("abc") == "/v1/operations/abc"


def test_password_hidden_except_on_the_wire() -> None:
    request = PrepareRequest(users=[UserSpec(name="u", password="hunter2")])
    assert "hunter2" not in repr(request)
    assert "hunter2" not in str(request.model_dump())
    assert '"password":"hunter2"' in request.model_dump_json()
    again = PrepareRequest.model_validate_json(request.model_dump_json())
    assert again.users[0].password.get_secret_value() == "hunter2"
    assert request.secrets() == ["hunter2"]


@pytest.mark.parametrize(
    "body",
    [
        {"listen_address": "not-an-ip"},
        {"port": 0},
        {"unknown": 1},
        {"users": [{"name": "u", "password": ""}]},
        {"users": [{"name": " u", "password": "p"}]},
        {"databases": [{"name": "x" * 129}]},
    ],
)
def test_invalid_requests_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PrepareRequest.model_validate(body)
