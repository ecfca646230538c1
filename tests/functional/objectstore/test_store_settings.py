"""The store settings as an operator meets them through `strongroom config show`: the Swift
password and the S3 secret key are masked, and a store chosen without its credentials stops
with a message naming what is missing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from strongroom.cli.main import main

pytestmark = pytest.mark.functional

SWIFT_PASSWORD = "swift-pass-5f1d2c"
S3_SECRET = "s3-secret-9a8b7c"


@dataclass
class Shown:
    returncode: int
    stdout: str
    stderr: str


def config_show(config: Path, capsys: pytest.CaptureFixture[str]) -> Shown:
    """`strongroom --config FILE config show`, in this process (a CLI start costs seconds)."""
    try:
        code = main(["--config", str(config), "config", "show"])
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return Shown(code, out, err)


def test_config_show_masks_store_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(
        f"""
[backups]
store = "swift"
[backups.swift]
auth_url = "https://keystone.example.net/v3"
user = "strongroom"
password = "{SWIFT_PASSWORD}"
project_name = "service"
segment_size = 1048576
[backups.s3]
endpoint_url = "https://s3.example.net"
access_key = "AKIAEXAMPLE"
secret_key = "{S3_SECRET}"
"""
    )
    shown = config_show(config, capsys)
    assert shown.returncode == 0, shown.stderr
    backups = json.loads(shown.stdout)["backups"]
    assert backups["swift"]["password"] == "***" and backups["s3"]["secret_key"] == "***"
    assert backups["swift"]["segment_size"] == 1048576
    assert SWIFT_PASSWORD not in shown.stdout + shown.stderr
    assert S3_SECRET not in shown.stdout + shown.stderr


@pytest.mark.parametrize(
    ("section", "missing"),
    [
        ('store = "swift"\n[backups.swift]\nauth_url = "http://k/v3"\nuser = "u"', "password"),
        ('store = "s3"\n[backups.s3]\naccess_key = "a"', "secret_key"),
        ('store = "swift"\n[backups.swift]\nsegment_size = 1000', "segment_size"),
    ],
)
def test_store_without_what_it_needs_stops_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, missing: str
) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[backups]\n{section}\n")
    shown = config_show(config, capsys)
    assert shown.returncode != 0
    assert missing in shown.stderr
