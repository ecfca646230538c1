"""Every operation in the OpenAPI document, fed generated input: never a 500, and every error
in Trove's shape. The project id and token are a real tenant's, so calls get past auth."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from strongroom.config.settings import QuotaSettings
from tests.support.controlplane import ControlPlane, Tenant, make_settings

pytestmark = pytest.mark.functional

_root = Path(tempfile.mkdtemp(prefix="srtest-fuzz-"))
_plane = ControlPlane(
    make_settings(
        _root / "state",
        f"sqlite:///{_root / 'control.db'}",
        quotas=QuotaSettings(max_instances=-1, max_volumes=-1, max_ram=-1),
    )
)
_demo: Tenant = _plane.tenant("demo", "demo", "member")
schema = schemathesis.openapi.from_asgi("/openapi.json", _plane.client.app)


@pytest.fixture(scope="module", autouse=True)
def _close_plane() -> object:
    yield None
    _plane.close()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_gives_a_server_error(case: schemathesis.Case) -> None:
    if case.path_parameters and "project_id" in case.path_parameters:
        case.path_parameters["project_id"] = _demo.project_id
    response = case.call(headers={"X-Auth-Token": _demo.token})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    if response.status_code >= 400:
        body = response.json()
        assert len(body) == 1, body
        ((_fault, detail),) = body.items()
        assert detail["code"] == response.status_code, body
