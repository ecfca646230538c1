"""The config file: defaults, fail-fast errors that name the key, masked display."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.config import load_settings, masked_dump
from strongroom.contracts.errors import ConfigError

pytestmark = pytest.mark.unit


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "strongroom.toml"
    path.write_text(text)
    return path


def test_an_empty_file_gives_the_documented_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""))
    assert settings.api.port == 8779 and settings.identity.port == 5000
    assert str(settings.state_dir) == "/var/lib/strongroom"
    assert settings.database_url() == "sqlite:////var/lib/strongroom/strongroom.db"
    assert [f.name for f in settings.flavors] == ["sr.tiny", "sr.small", "sr.medium"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[api]\nprot = 1\n", "unknown option `api.prot`"),
        ("colour = 'blue'\n", "unknown option `colour`"),
        ("[api]\nport = 'eighty'\n", "`api.port`"),
        ("[api]\nport = 70000\n", "`api.port`"),
        ("[worker]\nlease_seconds = -1\n", "`worker.lease_seconds`"),
        ("[[networks]]\nname='m'\nrole='management'\ncidr='10.0.0.0/24'\n", "198.18.0.0/15"),
        ("[api\n", "not valid TOML"),
    ],
)
def test_a_bad_file_stops_start_up_naming_the_problem(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert named in caught.value.message


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_the_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRONGROOM_CONFIG", str(write(tmp_path, "[api]\nport = 9999\n")))
    assert load_settings().api.port == 9999


def test_secrets_are_masked_in_the_display(tmp_path: Path) -> None:
    text = "[database]\nurl = 'postgresql+psycopg://sr:hunter2@db.example/sr'\n"
    shown = masked_dump(load_settings(write(tmp_path, text)))
    assert "hunter2" not in str(shown)
    assert shown["database"]["url"] == "postgresql+psycopg://sr:***@db.example/sr"
