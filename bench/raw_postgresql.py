"""The raw floors of PostgreSQL 15, done by hand with Debian's binaries: provisioning
(netns + initdb + postgres + first connection), a full backup (`pg_basebackup | zstd > file`)
and its restore (unpack + start + first connection)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
OS_USER = "postgres"


def as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", OS_USER, "--", *argv]


def raw_provision(count: int, root: Path) -> list[float]:
    """Seconds for: netns + initdb + postgres in the netns + first connection."""
    prepare_root(root)
    return [raw_once(root, i) for i in range(count)]


def prepare_root(root: Path) -> None:
    """The directory the raw runs work in (the `postgres` user must reach into it)."""
    root.mkdir(mode=0o755, parents=True)
    shutil.chown(root, OS_USER, OS_USER)


def raw_once(root: Path, index: int, one_sync: bool = False) -> float:
    """One raw provisioning in `root` (see `prepare_root`); everything is removed after.
    `one_sync`: initdb --no-sync, then one `sync -f` (what the agent does), instead of the
    stock initdb."""
    return _one(root / f"rawpg{index}", f"srrawpg{os.getpid() % 10000}x{index}", one_sync)


def _one(home: Path, netns: str, one_sync: bool = False) -> float:
    data = home / "data"
    started = time.monotonic()
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        home.mkdir(mode=0o755)
        shutil.chown(home, OS_USER, OS_USER)
        subprocess.run(
            as_postgres(
                [str(BIN / "initdb"), f"--pgdata={data}", "--username=postgres",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--auth-local=peer", "--no-instructions",
                 *(["--no-sync"] if one_sync else [])]
            ),
            check=True, capture_output=True, cwd="/",
        )  # fmt: skip
        if one_sync:
            subprocess.run(["sync", "-f", str(data)], check=True)
        start(home, data, 5432, netns)
        return time.monotonic() - started
    finally:
        stop(data, netns)
        subprocess.run(["ip", "netns", "del", netns], check=False)
        shutil.rmtree(home, ignore_errors=True)


def start(home: Path, data: Path, port: int, netns: str | None = None) -> None:
    """postgres started (pg_ctl -w) with its socket in `home`, then a first connection."""
    prefix = ["ip", "netns", "exec", netns] if netns else []
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*prefix, *as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-w", "-s",
                                "-l", str(home / "server.log"), "-o", options, "start"])],
        check=True, capture_output=True, cwd="/",
    )  # fmt: skip
    subprocess.run(
        as_postgres(["psql", "-h", str(home), "-p", str(port), "-d", "postgres", "-Atc",
                     "SELECT 1"]),
        check=True, capture_output=True, cwd="/",
    )  # fmt: skip


def stop(data: Path, netns: str | None = None) -> None:
    if not (data / "postmaster.pid").exists():
        return
    prefix = ["ip", "netns", "exec", netns] if netns else []
    subprocess.run(
        [*prefix, *as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])],
        check=False, capture_output=True, cwd="/",
    )  # fmt: skip


def raw_backup(socket_dir: Path, port: int, out: Path) -> float:
    """`pg_basebackup -Ft -X fetch -D - | zstd -1 -T2 > out` over the server's socket."""
    argv = as_postgres(
        [str(BIN / "pg_basebackup"), f"--host={socket_dir}", f"--port={port}",
         "--username=postgres", "--no-password", "--pgdata=-", "--format=tar",
         "--wal-method=fetch", "--checkpoint=fast"]
    )  # fmt: skip
    started = time.monotonic()
    with out.open("wb") as sink:
        backup = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/")
        zstd = subprocess.run(["zstd", "-1", "-T2", "-q", "-c"], stdin=backup.stdout, stdout=sink)
        if backup.wait() != 0 or zstd.returncode != 0:
            raise RuntimeError("raw pg_basebackup failed")
    return time.monotonic() - started


def raw_restore(work: Path, archive: Path, port: int) -> float:
    """Unpack the tar into a fresh data dir, start postgres on it (it replays the WAL the tar
    carries) and connect once; stopped again after the clock stops."""
    home = work / "pgrestore"
    data = home / "data"
    started = time.monotonic()
    home.mkdir(mode=0o755)
    data.mkdir(mode=0o700)
    subprocess.run(f"zstd -d -q -c {archive} | tar -x -C {data}", shell=True, check=True)
    subprocess.run(["chown", "-R", f"{OS_USER}:{OS_USER}", str(home)], check=True)
    try:
        start(home, data, port)
        return time.monotonic() - started
    finally:
        stop(data)
