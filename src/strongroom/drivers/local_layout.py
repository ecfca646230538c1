"""Where the local backend keeps an instance's things on the host: every name and path.

The three local drivers (compute, network, volume) derive names from one `HostLayout`, so
they agree on what belongs to which instance. Everything carries the configured prefix:
namespaces `<prefix>-<short id>`, cgroups `<prefix>/<instance id>`, links `<prefix>...`.
Names on the host that cannot hold a full instance id (15-byte interface names) are tied to
their instance by an interface alias, so the reconciler can always map them back.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path

from strongroom.config import Settings
from strongroom.config.settings import LocalDriverSettings
from strongroom.contracts.errors import InfrastructureError

IFNAME_MAX = 15
_SHORT_ID = 12


@dataclass(frozen=True)
class HostLayout:
    """Names and paths of the local backend for one control plane (one prefix)."""

    prefix: str
    state_dir: Path
    local: LocalDriverSettings

    @classmethod
    def from_settings(cls, settings: Settings) -> HostLayout:
        local = settings.drivers.local
        return cls(prefix=local.name_prefix, state_dir=settings.state_dir, local=local)

    # --- paths ---------------------------------------------------------------------------

    @property
    def run_dir(self) -> Path:
        return self.local.run_path(self.state_dir)

    @property
    def volumes_dir(self) -> Path:
        return self.local.volumes_path(self.state_dir)

    @property
    def mounts_dir(self) -> Path:
        return self.local.mounts_path(self.state_dir)

    def sandbox_dir(self, instance_id: str) -> Path:
        return self.local.sandbox_dir(self.state_dir, instance_id)

    def mountpoint(self, instance_id: str) -> Path:
        return self.local.mountpoint(self.state_dir, instance_id)

    def image(self, instance_id: str) -> Path:
        return self.volumes_dir / f"{instance_id}.img"

    # --- names ---------------------------------------------------------------------------

    def netns(self, instance_id: str) -> str:
        return f"{self.prefix}-{instance_id.replace('-', '')[:_SHORT_ID]}"

    @property
    def host_guard(self) -> str:
        """The host's nftables table guarding our bridges."""
        return f"{self.prefix}_host"

    @property
    def cgroup_root(self) -> str:
        return self.prefix

    def cgroup(self, instance_id: str) -> str:
        return f"{self.prefix}/{instance_id}"

    def bridge(self, network_name: str) -> str:
        """`<prefix>-<network>` when it fits in 15 bytes, else `<prefix>-<hash of network>`."""
        readable = f"{self.prefix}-{network_name}"
        if len(readable) <= IFNAME_MAX and readable.replace("-", "").isalnum():
            return readable
        return f"{self.prefix}-{_digest(network_name, IFNAME_MAX - len(self.prefix) - 1)}"

    def veth(self, instance_id: str, role: str) -> str:
        """Host end of the instance's veth on the network of `role`: `<prefix>v<hash>`."""
        stem = f"{self.prefix}v"
        return stem + _digest(f"{instance_id}:{role}", IFNAME_MAX - len(stem))

    @staticmethod
    def peer(role: str) -> str:
        """The interface name inside the namespace (`management0`, `user0`)."""
        return f"{role[: IFNAME_MAX - 1]}0"

    def alias(self, instance_id: str, role: str) -> str:
        """The alias of a host veth end, which names its instance and role."""
        return f"{self.prefix}:{instance_id}:{role}"

    def instance_of_alias(self, alias: str) -> str | None:
        """The instance id an alias made by `alias()` names, or None for anyone else's."""
        head, sep, rest = alias.partition(":")
        if head != self.prefix or not sep:
            return None
        instance_id, sep, _role = rest.partition(":")
        return instance_id if sep and instance_id else None


def ensure_shared_dir(path: Path) -> None:
    """Create `path` (mode 0755 whatever the umask) for files the engine's OS user reads, and
    check that every directory above it lets that user through (o+x); raise naming the one
    that does not, since the engine would otherwise fail later with a vaguer error."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    for parent in path.parents:
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise InfrastructureError(
                f"directory {parent} is not traversable by the database engine's user",
                detail=f"{path} lies below it: chmod o+x {parent}, or configure "
                "drivers.local.mounts_dir and run_dir outside it",
            )


def _digest(text: str, length: int) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()[:length]
