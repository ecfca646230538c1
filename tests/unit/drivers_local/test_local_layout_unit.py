"""The local backend's names: valid for the kernel, distinct per instance and role, and
mapped back to their instance only when they carry this control plane's exact prefix."""

from __future__ import annotations

import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from pydantic import ValidationError

from strongroom.config.settings import LocalDriverSettings
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.linux import cgroups, links
from strongroom.drivers.local_layout import HostLayout, ensure_shared_dir

pytestmark = pytest.mark.unit

INSTANCE = "7f3c1d2e-9b0a-4c55-8e21-3f4d5a6b7c8d"
OTHER = "0b9e8f7a-1111-4c55-8e21-3f4d5a6b7c8d"


def layout(prefix: str = "sr", **paths: Path) -> HostLayout:
    local = LocalDriverSettings(name_prefix=prefix, **paths)
    return HostLayout(prefix=prefix, state_dir=Path("/var/lib/strongroom"), local=local)


@pytest.mark.parametrize("prefix", ["sr", "lb0a1b2c"])
def test_every_name_is_valid_and_carries_the_prefix(prefix: str) -> None:
    lay = layout(prefix)
    for name in (
        lay.bridge("management"),
        lay.bridge("public"),
        lay.veth(INSTANCE, "management"),
        lay.veth(INSTANCE, "user"),
    ):
        assert links.validate_ifname(name).startswith(prefix)
    assert links.validate_netns(lay.netns(INSTANCE)).startswith(f"{prefix}-")
    assert cgroups.validate_group(lay.cgroup(INSTANCE)) == f"{prefix}/{INSTANCE}"
    assert links.validate_ifname(lay.peer("management")) == "management0"


def test_names_are_distinct_per_instance_and_role_and_readable_when_they_fit() -> None:
    lay = layout()
    assert lay.bridge("public") == "sr-public"
    assert lay.bridge("management") == "sr-management"
    assert layout("lb0a1b2c").bridge("management") != layout("lb0a1b2c").bridge("managemenu")
    veths = {lay.veth(i, r) for i in (INSTANCE, OTHER) for r in ("management", "user")}
    assert len(veths) == 4
    assert lay.netns(INSTANCE) != lay.netns(OTHER)


def test_aliases_map_back_only_for_the_exact_prefix() -> None:
    lay = layout("sr")
    assert lay.instance_of_alias(lay.alias(INSTANCE, "user")) == INSTANCE
    assert lay.instance_of_alias(layout("srt").alias(INSTANCE, "user")) is None
    assert lay.instance_of_alias("") is None
    assert lay.instance_of_alias("sr:") is None


def test_paths_default_under_the_state_dir_and_follow_overrides() -> None:
    lay = layout()
    assert lay.sandbox_dir(INSTANCE) == Path("/var/lib/strongroom/run") / INSTANCE
    assert lay.mountpoint(INSTANCE) == Path("/var/lib/strongroom/mounts") / INSTANCE
    assert lay.image(INSTANCE) == Path("/var/lib/strongroom/volumes") / f"{INSTANCE}.img"
    moved = layout(volumes_dir=Path("/srv/images"))
    assert moved.image(INSTANCE) == Path("/srv/images") / f"{INSTANCE}.img"


@pytest.mark.parametrize("prefix", ["", "SR", "1sr", "sr-x", "toolongpre"])
def test_a_prefix_that_cannot_name_host_objects_is_refused(prefix: str) -> None:
    with pytest.raises(ValidationError, match="name_prefix"):
        LocalDriverSettings(name_prefix=prefix)


def test_shared_dirs_are_open_to_the_engine_user_or_the_closed_parent_is_named() -> None:
    root = Path(tempfile.mkdtemp(prefix="strongroom-layout-", dir="/tmp"))
    try:
        root.chmod(0o700)
        with pytest.raises(InfrastructureError, match=f"directory {root} is not traversable"):
            ensure_shared_dir(root / "mounts")
        root.chmod(0o711)
        ensure_shared_dir(root / "mounts")
        assert stat.S_IMODE((root / "mounts").stat().st_mode) == 0o755
    finally:
        shutil.rmtree(root)
