"""The raw floor of provisioning: what an instance needs at least, done by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pymysql


def raw_provision(count: int, root: Path) -> list[float]:
    """Seconds for: netns + mariadb-install-db + mariadbd in the netns + first connection."""
    prepare_root(root)
    return [raw_once(root, i) for i in range(count)]


def prepare_root(root: Path) -> None:
    """The directory the raw runs work in (the `mysql` user must reach into it)."""
    root.mkdir(mode=0o755, parents=True)
    shutil.chown(root, "mysql", "mysql")


def raw_once(root: Path, index: int, one_sync: bool = False) -> float:
    """One raw provisioning in `root` (see `prepare_root`); everything is removed after.
    `one_sync`: install without per-file syncs, then one `sync -f` (what the agent does),
    instead of the stock install-db."""
    return _one(root / f"raw{index}", f"srraw{os.getpid() % 10000}x{index}", one_sync)


def _one(home: Path, netns: str, one_sync: bool = False) -> float:
    data, sock = home / "data", home / "mysqld.sock"
    started = time.monotonic()
    subprocess.run(["ip", "netns", "add", netns], check=True)
    proc = None
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        home.mkdir(mode=0o755)
        shutil.chown(home, "mysql", "mysql")
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                "--user=mysql",
                f"--datadir={data}",
                f"--tmpdir={home}",  # as the agent does: a mariadbd starting empties /tmp's #sql*
                "--skip-test-db",
                "--auth-root-authentication-method=socket",
                *(["--debug-no-sync"] if one_sync else []),
            ],
            check=True,
            capture_output=True,
        )
        if one_sync:
            subprocess.run(["sync", "-f", str(data)], check=True)
        proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                netns,
                "mariadbd",
                "--no-defaults",
                f"--datadir={data}",
                f"--tmpdir={home}",
                f"--socket={sock}",
                "--user=mysql",
                "--bind-address=127.0.0.1",
                f"--pid-file={home / 'mysqld.pid'}",
                f"--log-error={home / 'error.log'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                pymysql.connect(unix_socket=str(sock), user="root").close()
                break
            except pymysql.err.OperationalError:
                time.sleep(0.01)
        return time.monotonic() - started
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        subprocess.run(["ip", "netns", "del", netns], check=False)
        shutil.rmtree(home, ignore_errors=True)
