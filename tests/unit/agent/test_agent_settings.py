"""The agent's config file: JSON or TOML, validated, failing fast with the offending key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strongroom.contracts.errors import ConfigError
from strongroom_agent.settings import load_settings

pytestmark = pytest.mark.unit

BASE = {
    "instance_id": "inst-1",
    "bind_host": "198.18.0.5",
    "server_cert": "/etc/a/server.crt",
    "server_key": "/etc/a/server.key",
    "client_ca": "/etc/a/ca.crt",
    "data_dir": "/vol",
    "run_dir": "/run/a",
    "log_dir": "/log/a",
    "memory_mib": 1024,
}


def test_json_and_toml_load_the_same(tmp_path: Path) -> None:
    as_json = tmp_path / "agent.json"
    as_json.write_text(json.dumps(BASE))
    as_toml = tmp_path / "agent.toml"
    as_toml.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in BASE.items()))
    assert load_settings(as_json) == load_settings(as_toml)
    assert load_settings(as_json).engine == "mariadb"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"bind_host": "eth0"}, "bind_host"),
        ({"memory_mib": 64}, "memory_mib"),
    ],
)
def test_invalid_config_names_the_key(
    tmp_path: Path, change: dict[str, object], named: str
) -> None:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(BASE | change))
    with pytest.raises(ConfigError, match=named):
        load_settings(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.json")
