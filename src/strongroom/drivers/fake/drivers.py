"""Fake compute, network, volume and guest drivers over one `FakeWorld`."""

from __future__ import annotations

from dataclasses import asdict

from strongroom.contracts.errors import InfrastructureError
from strongroom.domain.firewall import FirewallRule
from strongroom.drivers.fake.world import FakeWorld
from strongroom.drivers.specs import (
    GuestHealth,
    GuestTarget,
    PrepareSpec,
    SandboxSpec,
)


class FakeCompute:
    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def validate(self, spec: SandboxSpec) -> None:
        return None

    def create_sandbox(self, spec: SandboxSpec) -> None:
        self.world.operation("compute.create_sandbox")
        if self.world.get("sandbox", spec.instance_id) is None:
            self.world.put("sandbox", spec.instance_id, asdict(spec))
        self.world.done("compute.create_sandbox")

    def delete_sandbox(self, instance_id: str) -> None:
        self.world.operation("compute.delete_sandbox")
        self.world.drop("agent", instance_id)
        self.world.drop("files", instance_id)
        self.world.drop("sandbox", instance_id)
        self.world.done("compute.delete_sandbox")

    def install_files(self, instance_id: str, files: dict[str, bytes]) -> None:
        self.world.operation("compute.install_files")
        self._require_sandbox(instance_id)
        self.world.put("files", instance_id, {"names": sorted(files)})
        self.world.done("compute.install_files")

    def start_agent(self, instance_id: str) -> None:
        self.world.operation("compute.start_agent")
        self._require_sandbox(instance_id)
        self.world.put("agent", instance_id, {"running": True})
        self.world.done("compute.start_agent")

    def stop_agent(self, instance_id: str) -> None:
        self.world.operation("compute.stop_agent")
        self.world.drop("agent", instance_id)
        self.world.done("compute.stop_agent")

    def list_sandboxes(self) -> set[str]:
        return self.world.keys("sandbox")

    def _require_sandbox(self, instance_id: str) -> None:
        if self.world.get("sandbox", instance_id) is None:
            raise InfrastructureError(f"no sandbox for instance {instance_id}")


class FakeNetwork:
    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def plug(self, spec: SandboxSpec) -> None:
        self.world.operation("network.plug")
        self.world.put("plug", spec.instance_id, {"ports": [asdict(p) for p in spec.ports]})
        self.world.done("network.plug")

    def unplug(self, instance_id: str) -> None:
        self.world.operation("network.unplug")
        self.world.drop("plug", instance_id)
        self.world.done("network.unplug")

    def apply_firewall(self, instance_id: str, rules: tuple[FirewallRule, ...]) -> None:
        self.world.operation("network.apply_firewall")
        self.world.put("firewall", instance_id, {"rules": [asdict(r) for r in rules]})
        self.world.done("network.apply_firewall")

    def remove_firewall(self, instance_id: str) -> None:
        self.world.operation("network.remove_firewall")
        self.world.drop("firewall", instance_id)
        self.world.done("network.remove_firewall")

    def list_plugged(self) -> set[str]:
        return self.world.keys("plug") | self.world.keys("firewall")


class FakeVolume:
    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def create(self, instance_id: str, size_gib: int) -> None:
        self.world.operation("volume.create")
        if self.world.get("volume", instance_id) is None:
            self.world.put("volume", instance_id, {"size_gib": size_gib})
        self.world.done("volume.create")

    def delete(self, instance_id: str) -> None:
        self.world.operation("volume.delete")
        self.world.drop("prepared", instance_id)  # the engine's data lived on the volume
        self.world.drop("volume", instance_id)
        self.world.done("volume.delete")

    def list_volumes(self) -> set[str]:
        return self.world.keys("volume")


class FakeGuest:
    """A guest that is 'prepared' when its sandbox, volume and agent exist."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def prepare(self, target: GuestTarget, spec: PrepareSpec, timeout_seconds: float) -> None:
        self.world.operation("guest.prepare")
        if self.world.get("agent", target.instance_id) is None:
            raise InfrastructureError("the guest agent is not running", retryable=True)
        self.world.put(
            "prepared",
            target.instance_id,
            {"databases": [d.name for d in spec.databases], "users": [u.name for u in spec.users]},
        )
        self.world.done("guest.prepare")

    def health(self, target: GuestTarget) -> GuestHealth:
        running = self.world.get("agent", target.instance_id) is not None
        prepared = self.world.get("prepared", target.instance_id) is not None
        return GuestHealth(
            reachable=running,
            engine_running=running and prepared,
            engine_state=("running" if prepared else "stopped") if running else "unknown",
            volume_used_bytes=0 if running else None,
            volume_total_bytes=None,
        )
