"""The one place that picks a backend: settings in, a `DriverSet` out."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.config import Settings
from strongroom.drivers.compute.base import ComputeDriver
from strongroom.drivers.guest.base import GuestDriver
from strongroom.drivers.network.base import NetworkDriver
from strongroom.drivers.volume.base import VolumeDriver


@dataclass(frozen=True)
class DriverSet:
    compute: ComputeDriver
    network: NetworkDriver
    volume: VolumeDriver
    guest: GuestDriver


def build_drivers(settings: Settings) -> DriverSet:
    if settings.drivers.backend == "fake":
        from strongroom.drivers.fake.drivers import FakeCompute, FakeGuest, FakeNetwork, FakeVolume
        from strongroom.drivers.fake.world import FakeWorld

        world = FakeWorld(settings.state_dir / "fake", settings.drivers.fake)
        return DriverSet(
            FakeCompute(world), FakeNetwork(world), FakeVolume(world), FakeGuest(world)
        )
    if settings.drivers.backend == "local":
        from strongroom.drivers.compute.local import LocalCompute
        from strongroom.drivers.guest.local import LocalGuest
        from strongroom.drivers.local_layout import HostLayout
        from strongroom.drivers.network.local import LocalNetwork
        from strongroom.drivers.volume.local import LocalVolume

        layout = HostLayout.from_settings(settings)
        network = LocalNetwork(layout, settings.networks)
        network.ensure_host()
        return DriverSet(
            LocalCompute(layout), network, LocalVolume(layout), LocalGuest(settings.pki_dir())
        )
    raise ValueError(f"unknown driver backend {settings.drivers.backend!r}")
