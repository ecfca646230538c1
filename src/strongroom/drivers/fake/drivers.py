"""Fake compute, network, volume and guest drivers over one `FakeWorld`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from strongroom.contracts.agent import WalSegment, WalSwitch
from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import BadRequest, Conflict, InfrastructureError, NotFound
from strongroom.contracts.metrics import MetricsSample, QueryDigest
from strongroom.domain.firewall import FirewallRule
from strongroom.drivers.fake import metrics
from strongroom.drivers.fake.backups import FakeBackupStream, restored_engine
from strongroom.drivers.fake.world import FakeWorld
from strongroom.drivers.guest.base import RestoreSource
from strongroom.drivers.specs import (
    DatabaseSpec,
    GuestHealth,
    GuestLog,
    GuestLogChunk,
    GuestPaths,
    GuestRestart,
    GuestTarget,
    PrepareSpec,
    SandboxSpec,
    UserChange,
    UserSpec,
)
from strongroom.drivers.usage import SandboxUsage


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
        self.world.drop("usage-ticks", instance_id)  # the sandbox's accounting goes with it
        self.world.drop("usage-override", instance_id)
        self.world.drop("sandbox", instance_id)
        self.world.drop(metrics.OVERRIDE, instance_id)
        self.world.done("compute.delete_sandbox")

    def install_files(self, instance_id: str, files: dict[str, bytes]) -> None:
        self.world.operation("compute.install_files")
        self._require_sandbox(instance_id)
        self.world.put("files", instance_id, {"names": sorted(files)})
        self.world.done("compute.install_files")

    def guest_paths(self, instance_id: str) -> GuestPaths:
        box = f"/fake/{instance_id}"
        return GuestPaths(box, f"{box}/data", f"{box}/run", f"{box}/log")

    def start_agent(self, instance_id: str) -> None:
        self.world.operation("compute.start_agent")
        self._require_sandbox(instance_id)
        self.world.put("agent", instance_id, {"running": True})
        self.world.done("compute.start_agent")

    def stop_agent(self, instance_id: str) -> None:
        self.world.operation("compute.stop_agent")
        self.world.drop("agent", instance_id)
        self.world.done("compute.stop_agent")

    def resize_sandbox(self, instance_id: str, ram_mb: int, vcpus: int) -> None:
        self.world.operation("compute.resize_sandbox")
        sandbox = self.world.get("sandbox", instance_id)
        if sandbox is None:
            raise InfrastructureError(f"no sandbox for instance {instance_id}")
        self.world.put("sandbox", instance_id, {**sandbox, "ram_mb": ram_mb, "vcpus": vcpus})
        self.world.done("compute.resize_sandbox")

    def list_sandboxes(self) -> set[str]:
        return self.world.keys("sandbox")

    def sandbox_usage(self, instance_id: str) -> SandboxUsage:
        sandbox = self.world.get("sandbox", instance_id)
        if sandbox is None:
            raise InfrastructureError(f"no sandbox for instance {instance_id}")
        return metrics.sandbox_usage(self.world, instance_id, int(sandbox["ram_mb"]))

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

    def grow(self, instance_id: str, size_gib: int) -> None:
        self.world.operation("volume.grow")
        volume = self.world.get("volume", instance_id)
        if volume is None:
            raise InfrastructureError(f"no volume for instance {instance_id}")
        if size_gib < volume["size_gib"]:
            raise BadRequest(f"volume cannot shrink from {volume['size_gib']} GiB")
        self.world.put("volume", instance_id, {**volume, "size_gib": size_gib})
        self.world.done("volume.grow")

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
        # Converges like the real engine: a restored (or earlier prepared) record is kept.
        engine: dict[str, Any] = self.world.get("prepared", target.instance_id) or {
            "databases": {},
            "users": {},
            "root": False,
            "overrides": {},
            "logs": {"general": False, "slow_query": False},
            "restarts": 0,
        }
        engine["running"] = True
        engine["memory_mib"] = spec.ram_mb
        for d in spec.databases:
            engine["databases"][d.name] = {"character_set": d.character_set, "collate": d.collate}
        for u in spec.users:
            engine["users"][_account(u.name, u.host)] = _user_record(u)
        self.world.put("prepared", target.instance_id, engine)
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
            restarts=_restarts(self.world, target.instance_id),
        )

    # Day-2: the engine's accounts, configuration and logs live in the instance's "prepared"
    # record (dropped with the volume, like the real data). Passwords are kept as digests.

    def create_database(self, target: GuestTarget, spec: DatabaseSpec) -> None:
        with self._engine(target, "guest.create_database") as engine:
            engine["databases"].setdefault(
                spec.name, {"character_set": spec.character_set, "collate": spec.collate}
            )

    def delete_database(self, target: GuestTarget, name: str) -> None:
        with self._engine(target, "guest.delete_database") as engine:
            engine["databases"].pop(name, None)
            for user in engine["users"].values():
                user["databases"] = [d for d in user["databases"] if d != name]

    def create_user(self, target: GuestTarget, spec: UserSpec) -> None:
        with self._engine(target, "guest.create_user") as engine:
            missing = sorted(set(spec.databases) - set(engine["databases"]))
            if missing:
                raise BadRequest(f"database {missing[0]!r} does not exist")
            engine["users"][_account(spec.name, spec.host)] = _user_record(spec)

    def update_user(self, target: GuestTarget, name: str, host: str, change: UserChange) -> None:
        with self._engine(target, "guest.update_user") as engine:
            new_key = _account(change.name or name, change.host or host)
            user = engine["users"].pop(_account(name, host), None)
            if user is None:
                user = engine["users"].pop(new_key, None)  # renamed before a crash
            if user is None:
                raise NotFound(f"user {name!r} does not exist")
            user.update(name=change.name or name, host=change.host or host)
            if change.password is not None:
                user["password_sha256"] = _digest(change.password)
            engine["users"][new_key] = user

    def delete_user(self, target: GuestTarget, name: str, host: str) -> None:
        with self._engine(target, "guest.delete_user") as engine:
            engine["users"].pop(_account(name, host), None)

    def grant_databases(
        self, target: GuestTarget, name: str, host: str, databases: tuple[str, ...]
    ) -> None:
        with self._engine(target, "guest.grant_databases") as engine:
            user = self._user(engine, name, host)
            missing = sorted(set(databases) - set(engine["databases"]))
            if missing:
                raise BadRequest(f"database {missing[0]!r} does not exist")
            user["databases"] = sorted(set(user["databases"]) | set(databases))

    def revoke_database(self, target: GuestTarget, name: str, host: str, database: str) -> None:
        with self._engine(target, "guest.revoke_database") as engine:
            user = self._user(engine, name, host)
            user["databases"] = [d for d in user["databases"] if d != database]

    def enable_root(self, target: GuestTarget, password: str) -> None:
        with self._engine(target, "guest.enable_root") as engine:
            engine["root"] = True
            engine["root_password_sha256"] = _digest(password)

    def disable_root(self, target: GuestTarget) -> None:
        with self._engine(target, "guest.disable_root") as engine:
            engine["root"] = False
            engine.pop("root_password_sha256", None)

    def apply_configuration(
        self, target: GuestTarget, values: dict[str, bool | int | float | str], dynamic: list[str]
    ) -> list[str]:
        with self._engine(target, "guest.apply_configuration") as engine:
            removed = set(engine["overrides"]) - set(values)  # their running value is unknown
            engine["overrides"] = dict(values)
            live = engine.setdefault("live", {})
            live.update({k: v for k, v in values.items() if k in dynamic})
            return sorted((set(values) - set(dynamic)) | removed)

    def restart(self, target: GuestTarget, timeout_seconds: float) -> None:
        with self._engine(target, "guest.restart") as engine:
            engine["restarts"] += 1
            engine["running"] = True
            engine["live"] = dict(engine["overrides"])

    def stop_engine(self, target: GuestTarget, timeout_seconds: float) -> None:
        with self._engine(target, "guest.stop_engine") as engine:
            engine["running"] = False

    def start_engine(self, target: GuestTarget, timeout_seconds: float) -> None:
        with self._engine(target, "guest.start_engine") as engine:
            engine["running"] = True
            engine["live"] = dict(engine["overrides"])

    def resize(self, target: GuestTarget, ram_mb: int, vcpus: int, timeout_seconds: float) -> None:
        with self._engine(target, "guest.resize") as engine:
            engine.update(memory_mib=ram_mb, vcpus=vcpus, running=True)
            engine["restarts"] += 1

    def list_logs(self, target: GuestTarget) -> list[GuestLog]:
        engine = self._require_engine(target)
        error_size = len(_fake_log(target.instance_id, "error", True))
        found = [GuestLog("error", "SYS", True, error_size, "/fake/log/error.log")]
        for name, enabled in sorted(engine["logs"].items()):
            size = len(_fake_log(target.instance_id, name, enabled))
            found.append(GuestLog(name, "USER", enabled, size, f"/fake/log/{name}.log"))
        return found

    def read_log(self, target: GuestTarget, name: str, offset: int, length: int) -> GuestLogChunk:
        engine = self._require_engine(target)
        if name != "error" and name not in engine["logs"]:
            raise NotFound(f"log {name!r} not found")
        text = _fake_log(target.instance_id, name, name == "error" or engine["logs"][name])
        return GuestLogChunk(offset, len(text), text[offset : offset + length])

    def set_log_enabled(self, target: GuestTarget, name: str, enabled: bool) -> None:
        with self._engine(target, "guest.set_log_enabled") as engine:
            if name not in engine["logs"]:
                raise BadRequest(f"log {name!r} cannot be switched")
            engine["logs"][name] = enabled

    def metrics(self, target: GuestTarget) -> MetricsSample:
        engine = self._require_engine(target)
        return metrics.engine_sample(self.world, target.instance_id, bool(engine["running"]))

    def top_queries(self, target: GuestTarget, limit: int) -> list[QueryDigest]:
        engine = self._require_engine(target)
        return metrics.top_queries(sorted(engine["databases"]), limit)

    @contextmanager
    def backup(
        self, target: GuestTarget, kind: BackupKind, parent_checkpoint: str | None
    ) -> Iterator[FakeBackupStream]:
        with self._engine(target, "guest.backup") as engine:
            if not engine["running"]:
                raise Conflict("the database server is not running")
            stream = FakeBackupStream(engine, kind, parent_checkpoint)
            engine["backups_taken"] = engine.get("backups_taken", 0) + 1
        yield stream

    # WAL archiving: a switch spools one deterministic file ("wal" record per instance).

    def wal_segments(self, target: GuestTarget) -> list[WalSegment]:
        self.world.operation("guest.wal_segments")
        spool = (self.world.get("wal", target.instance_id) or {}).get("spool", {})
        return [
            WalSegment(
                name=name,
                size_bytes=len(_fake_wal(target, name)),
                spooled_at=at,
                last_commit_at=at,
            )
            for name, at in sorted(spool.items())
        ]

    def wal_segment(self, target: GuestTarget, name: str) -> bytes:
        spool = (self.world.get("wal", target.instance_id) or {}).get("spool", {})
        if name not in spool:
            raise NotFound(f"WAL file {name} is not spooled")
        return _fake_wal(target, name)

    def acknowledge_wal_segment(self, target: GuestTarget, name: str) -> None:
        self.world.operation("guest.acknowledge_wal_segment")
        record = self.world.get("wal", target.instance_id) or {"next": 1, "spool": {}}
        record["spool"].pop(name, None)
        self.world.put("wal", target.instance_id, record)

    def switch_wal(self, target: GuestTarget) -> WalSwitch:
        self._require_engine(target)
        record = self.world.get("wal", target.instance_id) or {"next": 1, "spool": {}}
        number = record["next"]
        name = f"00000001{0:08X}{number:08X}"
        at = datetime.now(UTC)
        record["spool"][name] = at.isoformat()
        record["next"] = number + 1
        self.world.put("wal", target.instance_id, record)
        return WalSwitch(lsn=f"0/{number + 1:X}000000", segment=name, at=at)

    def restore(
        self,
        target: GuestTarget,
        parts: list[RestoreSource],
        timeout_seconds: float,
    ) -> None:
        self.world.operation("guest.restore")
        if self.world.get("agent", target.instance_id) is None:
            raise InfrastructureError("the guest agent is not running", retryable=True)
        if self.world.get("prepared", target.instance_id) is not None:
            raise Conflict("the instance already has data; restore into a new instance")
        engine = restored_engine(parts)
        self.world.put("prepared", target.instance_id, {**engine, "running": True})
        self.world.done("guest.restore")

    @contextmanager
    def _engine(self, target: GuestTarget, operation: str) -> Iterator[dict[str, Any]]:
        """The engine record to change; written back only if the change succeeded."""
        self.world.operation(operation)
        engine = self._require_engine(target)
        yield engine
        self.world.put("prepared", target.instance_id, engine)
        self.world.done(operation)

    def _require_engine(self, target: GuestTarget) -> dict[str, Any]:
        if self.world.get("agent", target.instance_id) is None:
            raise InfrastructureError("the guest agent is not running", retryable=True)
        engine = self.world.get("prepared", target.instance_id)
        if engine is None:
            raise InfrastructureError("the guest has not been prepared")
        return engine

    @staticmethod
    def _user(engine: dict[str, Any], name: str, host: str) -> dict[str, Any]:
        user: dict[str, Any] | None = engine["users"].get(_account(name, host))
        if user is None:
            raise NotFound(f"user {name!r} does not exist")
        return user


def _account(name: str, host: str) -> str:
    return f"{name}@{host}"


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def _user_record(spec: UserSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "host": spec.host,
        "databases": sorted(spec.databases),
        "password_sha256": _digest(spec.password),
    }


def _restarts(world: FakeWorld, instance_id: str) -> tuple[GuestRestart, ...]:
    """The agent's crash restarts a test put in the world (`engine-restarts`)."""
    listed = (world.get("engine-restarts", instance_id) or {}).get("restarts", [])
    return tuple(
        GuestRestart(datetime.fromisoformat(r["at"]), r["attempt"], r["outcome"], r["detail"])
        for r in listed
    )


def _fake_log(instance_id: str, name: str, enabled: bool) -> bytes:
    """What a fake engine has written to a log: a few lines once the log is on."""
    if not enabled:
        return b""
    lines = (f"[Note] fake {name} log of {instance_id}: line {i}\n" for i in range(40))
    return "".join(lines).encode()


def _fake_wal(target: GuestTarget, name: str) -> bytes:
    return f"fake WAL {target.instance_id} {name}\n".encode() * 64
