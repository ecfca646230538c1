from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from strongroom.contracts.errors import ConfigError
from strongroom.identity.bootstrap import read_clouds, write_clouds

pytestmark = pytest.mark.unit


def test_a_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_clouds(tmp_path / "absent.yaml") == {}


def test_writing_keeps_other_entries_and_keys_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".config" / "openstack" / "clouds.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "clouds:\n  other:\n    auth: {auth_url: 'http://x:5000/v3'}\n"
        "    region_name: Elsewhere\npublic-clouds: {}\n"
    )
    path.chmod(0o644)
    document = read_clouds(path)
    document["clouds"]["strongroom-demo"] = {"auth": {"username": "demo"}}
    write_clouds(path, document)
    again = yaml.safe_load(path.read_text())
    assert again["clouds"]["other"]["region_name"] == "Elsewhere"
    assert again["clouds"]["strongroom-demo"] == {"auth": {"username": "demo"}}
    assert again["public-clouds"] == {}
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["clouds.yaml"]


def test_a_new_parent_directory_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "clouds.yaml"
    write_clouds(path, {"clouds": {}})
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("text", ["clouds: [1, 2]\n", "- a\n", "clouds: {a: [\n"])
def test_a_file_that_is_not_clouds_yaml_stops_with_its_path(tmp_path: Path, text: str) -> None:
    path = tmp_path / "clouds.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_clouds(path)
    assert str(path) in caught.value.message
    assert path.read_text() == text
