"""Which `remote_location`s name a backup object of the configured store (no I/O: the
location is parsed, never fetched), for each kind of store."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.config import Settings
from strongroom.config.settings import BackupSettings, S3StoreSettings, SwiftStoreSettings
from strongroom.contracts.errors import BadRequest
from strongroom.services.backup_registration import store_key

pytestmark = pytest.mark.unit

KEY = (
    "0f1e2d3c4b5a69788796a5b4c3d2e1f0/"
    "1b4e28ba-2fa1-11d2-883f-0016d3cca427/6fa459ea-ee8a-3ca4-894e-db77e160355e.srbk"
)


def settings(tmp_path: Path, store: str) -> Settings:
    swift = SwiftStoreSettings(auth_url="https://k/v3", user="u", password="p", project_name="s")
    s3 = S3StoreSettings(access_key="a", secret_key="s", bucket="sr-backups")
    return Settings(state_dir=tmp_path, backups=BackupSettings(store=store, swift=swift, s3=s3))


@pytest.mark.parametrize(
    ("store", "location"),
    [
        ("local", KEY),
        ("local", f"  {KEY}  "),
        ("local", "{root}/" + KEY),
        ("local", "file://{root}/" + KEY),
        ("swift", KEY),
        ("swift", f"https://swift.example.net/v1/AUTH_abc/strongroom_backups/{KEY}"),
        ("s3", KEY),
        ("s3", f"s3://sr-backups/{KEY}"),
        ("s3", f"https://s3.example.net/sr-backups/{KEY}"),
    ],
)
def test_the_forms_of_a_backup_location(tmp_path: Path, store: str, location: str) -> None:
    root = tmp_path / "backups"
    assert store_key(location.format(root=root), settings(tmp_path, store)) == KEY


@pytest.mark.parametrize(
    ("store", "location"),
    [
        ("local", "/etc/passwd"),
        ("local", "/tmp/" + KEY),
        ("local", "{root}/../" + KEY),
        ("local", "file://otherhost{root}/" + KEY),
        ("local", f"https://swift.example.net/v1/AUTH_abc/strongroom_backups/{KEY}"),
        ("local", f"{KEY}/../{KEY}"),
        ("local", KEY.replace(".srbk", ".tar")),
        ("local", "wal/1b4e28ba-2fa1-11d2-883f-0016d3cca427/000000010000000000000001"),
        ("local", "logs/1b4e28ba-2fa1-11d2-883f-0016d3cca427/general/metafile"),
        ("local", ""),
        ("swift", "{root}/" + KEY),
        ("swift", f"https://swift.example.net/v1/AUTH_abc/other_container/{KEY}"),
        ("swift", f"https://swift.example.net/v1/AUTH_abc/strongroom_backups/{KEY}?temp=1"),
        ("s3", f"s3://another-bucket/{KEY}"),
        ("s3", f"https://s3.example.net/another-bucket/{KEY}"),
        ("s3", "file://{root}/" + KEY),
    ],
)
def test_anything_else_is_refused(tmp_path: Path, store: str, location: str) -> None:
    root = tmp_path / "backups"
    with pytest.raises(BadRequest):
        store_key(location.format(root=root), settings(tmp_path, store))
