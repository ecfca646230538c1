"""Where an instance lives on its backend, in the operator's words: the server (sandbox) id,
the host, the volume's path. Pure naming, no I/O; only the mgmt (admin) API shows it."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from strongroom.config import Settings


@dataclass(frozen=True)
class Placement:
    server_id: str
    host: str
    volume_path: str
    mountpoint: str


def placement_of(settings: Settings, instance_id: str) -> Placement:
    """The backend's names for `instance_id` (they exist only while the instance does)."""
    if settings.drivers.backend == "local":
        from strongroom.drivers.local_layout import HostLayout

        layout = HostLayout.from_settings(settings)
        return Placement(
            server_id=layout.netns(instance_id),
            host=socket.gethostname(),
            volume_path=str(layout.image(instance_id)),
            mountpoint=str(layout.mountpoint(instance_id)),
        )
    if settings.drivers.backend == "fake":
        root = settings.state_dir / "fake"
        return Placement(
            server_id=f"fake-{instance_id}",
            host="fake",
            volume_path=str(root / "volume" / f"{instance_id}.json"),
            mountpoint=str(root / "sandbox" / instance_id),
        )
    raise ValueError(f"unknown driver backend {settings.drivers.backend!r}")
