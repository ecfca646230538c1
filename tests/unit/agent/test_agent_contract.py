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


def test_day2_paths_share_the_version_prefix_and_quote_nothing_themselves() -> None:
    paths = [
        contract.PATH_ENGINE_RESIZE,
        contract.database_path("shop"),
        contract.user_path("app"),
        contract.user_databases_path("app"),
        contract.user_database_path("app", "shop"),
        contract.PATH_ROOT,
        contract.PATH_CONFIGURATION,
        contract.PATH_LOGS,
        contract.log_path("general"),
        contract.log_content_path("general"),
    ]
    assert all(path.startswith("/v1/") for path in paths)
    assert contract.user_database_path("app", "shop") == "/v1/users/app/databases/shop"


def test_day2_passwords_hidden_except_on_the_wire() -> None:
    for model in (
        contract.UserUpdate(password="hunter2"),
        contract.RootEnableRequest(password="hunter2"),
    ):
        assert "hunter2" not in repr(model)
        assert "hunter2" not in str(model.model_dump())
        assert '"password":"hunter2"' in model.model_dump_json()
    assert contract.UserUpdate(password="hunter2").secrets() == ["hunter2"]
    with pytest.raises(ValidationError):
        contract.RootEnableRequest.model_validate({"password": ""})


def test_configuration_values_keep_their_json_types() -> None:
    request = contract.ConfigurationRequest(
        values={"a": True, "b": 7, "c": 0.5, "d": "7"}, dynamic_names=["b"]
    )
    again = contract.ConfigurationRequest.model_validate_json(request.model_dump_json())
    assert [type(value) for value in again.values.values()] == [bool, int, float, str]


def test_log_chunks_carry_any_bytes() -> None:
    chunk = contract.LogChunk(name="error", offset=3, size_bytes=9, data=b"\xff\x00ok\n")
    again = contract.LogChunk.model_validate_json(chunk.model_dump_json())
    assert again.data == b"\xff\x00ok\n"
