"""Sandboxes on this host: a network namespace, a cgroup with the flavor's limits, a directory.

The guest agent runs detached inside the namespace and the cgroup (it survives the worker),
and everything it starts (the engine) inherits both. Stopping the agent stops the whole
sandbox's processes, cleanly first, so that the volume can be detached afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

from strongroom.contracts.errors import BadRequest, InfrastructureError
from strongroom.drivers.linux import cgroups, counters, links, processes
from strongroom.drivers.local_layout import HostLayout, ensure_shared_dir
from strongroom.drivers.specs import GuestPaths, SandboxSpec
from strongroom.drivers.usage import DiskIo, InterfaceBytes, SandboxUsage
from strongroom.pki.issued import write_private, write_public

MIB = 1024 * 1024
AGENT_CONFIG = "agent.json"
AGENT_START_TIMEOUT = 15.0
AGENT_CONFIG_WAIT_SECONDS = 300
"""How long a started agent waits for its configuration (a create starts it before writing
its files) before it exits."""
STOP_TIMEOUT = 60.0
# The agent starts with this environment only: nothing of the control plane's (no
# credentials, no config locations) reaches the guest.
AGENT_ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
_POLL_S = 0.05
PORT_ROLES = ("management", "user")


def default_agent_binary() -> Path:
    """The agent's console script next to the running interpreter (same venv)."""
    return Path(sys.executable).with_name("strongroom-agent")


class LocalCompute:
    def __init__(self, layout: HostLayout, agent_binary: Path | None = None) -> None:
        self.layout = layout
        self.agent_binary = agent_binary or default_agent_binary()

    def validate(self, spec: SandboxSpec) -> None:
        if spec.ram_mb < 128 or spec.vcpus < 1:
            raise BadRequest("a sandbox needs at least 128 MiB and one vCPU")

    def create_sandbox(self, spec: SandboxSpec) -> None:
        # The directory first and gone last: it is how `list_sandboxes` finds everything else.
        box = self.layout.sandbox_dir(spec.instance_id)
        ensure_shared_dir(self.layout.run_dir)
        ensure_shared_dir(box)  # the engine's sockets and pid file live below it
        write_public(box / "sandbox.json", json.dumps(asdict(spec), indent=2).encode())
        limits = cgroups.CgroupLimits(
            memory_bytes=spec.ram_mb * MIB,
            vcpus=float(spec.vcpus),
            pids_max=self.layout.local.pids_max,
        )
        cgroups.create_group(self.layout.cgroup(spec.instance_id), limits)
        links.ensure_netns(self.layout.netns(spec.instance_id))

    def delete_sandbox(self, instance_id: str) -> None:
        self.stop_agent(instance_id)
        links.delete_netns(self.layout.netns(instance_id))
        cgroups.remove_group(self.layout.cgroup(instance_id))
        shutil.rmtree(self.layout.sandbox_dir(instance_id), ignore_errors=True)

    def install_files(self, instance_id: str, files: dict[str, bytes]) -> None:
        box = self._require_sandbox(instance_id)
        for name, data in files.items():
            if Path(name).name != name or name.startswith("."):
                raise InfrastructureError(f"refusing to install a file named {name!r}")
            write = write_private if name.endswith(".key") else write_public
            write(box / name, data)

    def guest_paths(self, instance_id: str) -> GuestPaths:
        box = self.layout.sandbox_dir(instance_id)
        return GuestPaths(
            files_dir=str(box),
            data_dir=str(self.layout.mountpoint(instance_id)),
            run_dir=str(box / "run"),
            log_dir=str(box / "log"),
        )

    def start_agent(self, instance_id: str) -> None:
        """Start the agent; without its configuration yet, it waits for the file (a create
        starts it early so that its start-up overlaps the other steps)."""
        self._require_sandbox(instance_id)
        processes.start(self._agent_process(instance_id), timeout=AGENT_START_TIMEOUT)

    def stop_agent(self, instance_id: str) -> None:
        """Stop the agent, then whatever else runs in the sandbox (the engine): SIGTERM, a
        grace period for a clean shutdown, then SIGKILL."""
        spec = self._agent_process(instance_id)
        processes.stop(spec.pidfile, spec.marker, timeout=STOP_TIMEOUT)
        group = self.layout.cgroup(instance_id)
        _terminate_group(group, STOP_TIMEOUT)
        cgroups.kill_group(group)

    def list_sandboxes(self) -> set[str]:
        found = set(cgroups.list_groups(self.layout.cgroup_root))
        run_dir = self.layout.run_dir
        if run_dir.is_dir():
            found.update(p.name for p in run_dir.iterdir() if p.is_dir())
        return found

    def resize_sandbox(self, instance_id: str, ram_mb: int, vcpus: int) -> None:
        self._require_sandbox(instance_id)
        limits = cgroups.CgroupLimits(
            memory_bytes=ram_mb * MIB, vcpus=float(vcpus), pids_max=self.layout.local.pids_max
        )
        cgroups.set_limits(self.layout.cgroup(instance_id), limits)

    def sandbox_usage(self, instance_id: str) -> SandboxUsage:
        """The cgroup's accounting, the host veth ends' counters (swapped: what the host end
        receives, the sandbox sent) and the volume's loop device counters."""
        group = self.layout.cgroup(instance_id)
        try:
            usage, limits = cgroups.read_usage(group), cgroups.read_limits(group)
        except OSError as exc:
            raise InfrastructureError(f"no sandbox for instance {instance_id}") from exc
        network = {}
        for role in PORT_ROLES:
            found = counters.interface_bytes(self.layout.veth(instance_id, role))
            if found is not None:
                network[role] = InterfaceBytes(rx_bytes=found[1], tx_bytes=found[0])
        device = counters.mounted_device(self.layout.mountpoint(instance_id))
        io = counters.block_io(device) if device else None
        return SandboxUsage(
            cpu_ns=usage.cpu_usage_ns,
            memory_bytes=usage.memory_bytes,
            memory_limit_bytes=limits.memory_bytes,
            oom_kills=usage.oom_kills,
            pids=usage.pids,
            network=network,
            disk=DiskIo(*io) if io else None,
        )

    def _agent_process(self, instance_id: str) -> processes.ProcessSpec:
        box = self.layout.sandbox_dir(instance_id)
        config = box / AGENT_CONFIG
        return processes.ProcessSpec(
            argv=(
                str(self.agent_binary),
                "--config",
                str(config),
                "--wait-for-config",
                str(AGENT_CONFIG_WAIT_SECONDS),
            ),
            pidfile=box / "agent.pid",
            logfile=box / "agent.log",
            marker=str(config),
            netns=self.layout.netns(instance_id),
            cgroup=self.layout.cgroup(instance_id),
            cwd=box,
            env=AGENT_ENVIRONMENT,
        )

    def _require_sandbox(self, instance_id: str) -> Path:
        box = self.layout.sandbox_dir(instance_id)
        if not box.is_dir():
            raise InfrastructureError(f"no sandbox for instance {instance_id}")
        return box


def _terminate_group(group: str, timeout: float) -> None:
    """SIGTERM every process of `group` and wait up to `timeout` for them to exit."""
    pids = cgroups.group_pids(group)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while cgroups.group_pids(group) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
