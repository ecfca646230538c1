"""Policy: defaults in code, narrowed by an operator file (`api.policy_file`) that changes what
the API answers; a bad file stops start-up naming the rule; `strongroom policy list`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.contracts.errors import ConfigError
from strongroom.services.policy import RULES, ExpressionError, evaluate, parse, rule_for
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant, make_settings

pytestmark = pytest.mark.functional

VENV_BIN = Path(sys.executable).parent


def _plane(root: Path, policy_file: Path | None) -> ControlPlane:
    settings = make_settings(root / "state", f"sqlite:///{root / 'control.db'}")
    api = settings.api.model_copy(update={"policy_file": policy_file})
    return ControlPlane(settings.model_copy(update={"api": api}))


@pytest.fixture
def narrowed(tmp_path: Path) -> Iterator[ControlPlane]:
    """Members may not delete instances; readers may not see users or instances' details."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "instance:delete: role:admin\n"
        'instance:show: "role:member or role:admin"\n'
        "user:list: role:admin or (role:member and !role:reader)\n"
    )
    plane = _plane(tmp_path, policy)
    try:
        yield plane
    finally:
        plane.close()


def _codes(plane: ControlPlane) -> dict[str, int]:
    """What a member, a reader and an admin get for the calls the override is about."""
    member = plane.tenant("demo", "demo", "member")
    reader = plane.tenant("demo", "rita", "reader")
    admin = plane.tenant("admin", "root", "admin")
    created = plane.client.post(
        plane.url(member, "instances"), json=CREATE, headers=member.headers()
    )
    assert created.status_code == 200, created.text
    instance_id = created.json()["instance"]["id"]

    def call(method: str, who: Tenant, path: str) -> int:
        url = plane.url(who, path)
        return plane.client.request(method, url, headers=who.headers()).status_code

    return {
        "reader show": call("GET", reader, f"instances/{instance_id}"),
        "reader list": call("GET", reader, "instances"),
        "reader users": call("GET", reader, f"instances/{instance_id}/users"),
        "member users": call("GET", member, f"instances/{instance_id}/users"),
        "reader create": plane.client.post(
            plane.url(reader, "instances"), json=CREATE, headers=reader.headers()
        ).status_code,
        "member delete": call("DELETE", member, f"instances/{instance_id}"),
        "admin delete": call("DELETE", admin, f"instances/{instance_id}"),
    }


def test_an_operator_file_changes_what_the_api_answers(
    tmp_path: Path, narrowed: ControlPlane
) -> None:
    default = _plane(tmp_path / "default", None)
    try:
        before = _codes(default)
    finally:
        default.close()
    assert before == {
        "reader show": 200,
        "reader list": 200,
        "reader users": 200,
        "member users": 200,
        "reader create": 403,
        "member delete": 202,
        "admin delete": 409,  # already being deleted: the admin was allowed
    }
    after = _codes(narrowed)
    assert after == {
        "reader show": 403,
        "reader list": 200,
        "reader users": 403,
        "member users": 200,
        "reader create": 403,
        "member delete": 403,
        "admin delete": 202,
    }
    member = narrowed.tenant("demo", "demo", "member")
    r = narrowed.client.delete(narrowed.url(member, "instances/whatever"), headers=member.headers())
    assert r.json() == {
        "forbidden": {
            "code": 403,
            "message": "Policy doesn't allow instance:delete to be performed.",
        }
    }


def _write_config(root: Path, policy: str, suffix: str = ".yaml") -> Path:
    policy_file = root / f"policy{suffix}"
    policy_file.write_text(policy)
    config = root / "strongroom.toml"
    config.write_text(
        f'state_dir = "{root / "state"}"\n'
        f'[api]\nport = 1\npolicy_file = "{policy_file}"\n'
        '[drivers]\nbackend = "fake"\n'
    )
    return config


@pytest.mark.parametrize(
    ("policy", "suffix", "named"),
    [
        ("instance:create: role:member or\n", ".yaml", "rule instance:create: 'role:member or'"),
        ("instance:create: role:owner\n", ".yaml", "unknown role 'owner'"),
        ('"instance:create" = "__import__(\'os\')"\n', ".toml", "rule instance:create"),
        (
            "mgmt:instance:list: role:admin or role:reader\n",
            ".yaml",
            "rule mgmt:instance:list: 'role:admin or role:reader' would admit reader",
        ),
        ("- role:admin\n", ".yaml", "expected a mapping of rule name to expression"),
        ("instance:create: [role:admin]\n", ".yaml", "the expression must be a string"),
    ],
)
def test_the_app_refuses_a_bad_policy_file_naming_it(
    tmp_path: Path, policy: str, suffix: str, named: str
) -> None:
    policy_file = tmp_path / f"policy{suffix}"
    policy_file.write_text(policy)
    with pytest.raises(ConfigError) as caught:
        _plane(tmp_path, policy_file)
    assert named in caught.value.message
    assert str(policy_file) in caught.value.message


def test_a_bad_policy_file_stops_the_api_process_naming_the_rule(tmp_path: Path) -> None:
    config = _write_config(tmp_path, "instance:destroy: role:admin\n")
    proc = subprocess.run(
        [str(VENV_BIN / "strongroom-api"), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("strongroom: configuration error: policy file"), proc.stderr
    assert "unknown rule 'instance:destroy'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_policy_list_shows_every_rule_default_and_effective(tmp_path: Path) -> None:
    config = _write_config(tmp_path, '"instance:delete" = "role:admin"\n', ".toml")
    proc = subprocess.run(
        [str(VENV_BIN / "strongroom"), "--config", str(config), "policy", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()[2:]}
    assert set(lines) == {r.name for r in RULES}
    assert "role:admin (overridden)" in lines["instance:delete"]
    assert "role:member or role:admin" in lines["instance:delete"]  # the default
    assert "overridden" not in lines["instance:create"]
    assert {"backup:create", "backup:list", "backup:show", "backup:delete"} <= set(lines)


def test_the_grammar_and_the_operation_table() -> None:
    admin, reader = frozenset({"admin"}), frozenset({"reader"})
    assert evaluate(parse("role:admin or role:member and !role:reader"), admin)
    assert not evaluate(parse("(role:admin or role:member) and !role:reader"), reader)
    assert evaluate(parse("not role:member"), reader)
    deep = "(" * 40 + "role:admin" + ")" * 40
    for bad in (
        "",
        "role:",
        "role:admin or",
        "(role:admin",
        "role:admin)",
        "1 or 1",
        "os.system",
        deep,
    ):
        with pytest.raises(ExpressionError):
            parse(bad)
    assert rule_for("HEAD", "/v1.0/{project_id}/instances") == "instance:list"
    assert rule_for("POST", "/v1.0/{p}/backups") == "backup:create"  # parameter names ignored
    assert rule_for("GET", "/v1.0/{project_id}/backups/{id}") == "backup:show"
    assert rule_for("POST", "/v1.0/{project_id}/nowhere") is None
    assert json.dumps([r.name for r in RULES])  # names are plain strings


def test_actions_have_rules_of_their_own(tmp_path: Path) -> None:
    """An operator may keep restarts with members and resizes with admins."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("instance:resize_flavor: role:admin\ninstance:resize_volume: role:admin\n")
    plane = _plane(tmp_path, policy)
    try:
        member = plane.tenant("demo", "demo", "member")
        created = plane.client.post(
            plane.url(member, "instances"), json=CREATE, headers=member.headers()
        )
        url = plane.url(member, f"instances/{created.json()['instance']['id']}/action")

        def act(body: dict[str, object]) -> int:
            return plane.client.post(url, json=body, headers=member.headers()).status_code

        assert act({"resize": {"flavorRef": "sr.medium"}}) == 403
        assert act({"resize": {"volume": {"size": 2}}}) == 403
        assert act({"restart": {}}) == 409  # allowed; refused only because it is still BUILD
    finally:
        plane.close()
