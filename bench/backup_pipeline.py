"""Backup and restore through the agent and the control-plane pipeline, timed side by side
with the raw tools on the same database in the same run:

    raw backup:  mariabackup --backup --stream=xbstream | zstd -1 -T2 > file
    raw restore: zstd -d | mbstream -x, --prepare (+ --incremental-dir), --move-back
    pipeline:    agent (backup tool | zstd, native pipe) -> mTLS -> AES-256-GCM -> sha256
                 -> object store, and back: verify, decrypt -> mTLS -> agent (zstd -d |
                 unpack tool); the restore includes the verification pass, the chown and
                 the server start

PostgreSQL (`--datastore postgresql`):

    raw backup:  pg_basebackup -D - -Ft -X fetch | zstd -1 -T2 > file
    raw restore: zstd -d | tar -x into a fresh data dir, pg_ctl start, first connection
    pipeline:    the agent's pg_basebackup stream, as above; its incremental is a WAL point
                 (a WAL switch: no raw counterpart), so the restore timed is the full's

Run as root from the repository: `.venv/bin/python -m bench.backup_pipeline --size-mib 1024`
(the default; `--mib` is the same option); `--store swift` or `--store s3` puts the backups
into a throwaway Swift on loopback (its Swift or its S3 API) instead of the local store.
Prints each step's throughput (stream bytes / s) on both sides and their ratio (target:
Strongroom >= 0.8 x raw), the agent's peak RSS, and where the pipeline's time goes: the
agent's compressed stream drained without processing (engine tool + zstd + agent + TLS) and
the control plane's AES-256-GCM over the same bytes in memory. Stream sizes are the native
stream's (the raw backup's file decompressed, after the timings).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench import raw_postgresql
from bench.backup_stores import loopback_stores
from strongroom.backups import envelope
from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import (
    BackupSource,
    StoredBackup,
    open_chain,
    store_backup,
    verify_backup,
)
from strongroom.contracts.agent import DatabaseSpec, PrepareRequest, UserSpec
from strongroom.contracts.backups import BackupKind, BackupRequest, StreamEncoding
from strongroom.drivers.guest.base import RestoreSource
from strongroom.drivers.objectstore.base import ObjectStore
from strongroom.drivers.objectstore.local import LocalObjectStore
from strongroom.keyring import Keyring
from strongroom.pki import CertificateAuthority
from tests.e2e.agent.agent_e2e_harness import Agent, Pki, free_port
from tests.support.datastore_clients import CLIENTS
from tests.support.swift import SwiftServer

PASSWORD = "Bench-pass-1234"
ROW_BYTES = {"mariadb": 230, "postgresql": 280}  # on disk, with overhead, per generated row


def start_agent(root: Path, pki: Pki, name: str, prepare: bool, datastore: str) -> Agent:
    home = root / name
    home.mkdir(mode=0o755)
    agent = Agent(name, home, free_port(), free_port(), pki, CLIENTS[datastore])
    agent.write_config(memory_mib=1024)
    agent.start()
    if prepare:
        client = agent.client(timeout=60)
        request = PrepareRequest(
            listen_address="127.0.0.1",
            databases=[DatabaseSpec(name="bench")],
            users=[UserSpec(name="bench", password=PASSWORD, databases=["bench"])],
        )
        client.wait_operation(client.prepare(request), timeout=120)
    return agent


def load(agent: Agent, mib: int) -> int:
    rows = mib * 1024 * 1024 // ROW_BYTES[agent.datastore.name]
    pg = agent.datastore.name == "postgresql"
    with agent.login("bench", PASSWORD, "bench") as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, a CHAR(96), b VARCHAR(120))")
        for start in range(1, rows + 1, 200_000):
            end = min(rows, start + 199_999)
            if pg:
                cur.execute(
                    "INSERT INTO t SELECT g, md5(g::text) || md5((g + 1)::text) ||"
                    " md5((g + 2)::text), md5((-g)::text) || md5((g * 7)::text)"
                    f" FROM generate_series({start}, {end}) g"
                )
                conn.commit()
            else:
                cur.execute(
                    "INSERT INTO t SELECT seq, CONCAT(MD5(seq), MD5(seq + 1), MD5(seq + 2)),"
                    f" CONCAT(SHA1(seq), SHA1(-seq), SHA1(seq * 7)) FROM seq_{start}_to_{end}"
                )
    return rows


def change(agent: Agent, percent: int) -> None:
    random = "md5(random()::text)" if agent.datastore.name == "postgresql" else "MD5(RAND())"
    with agent.login("bench", PASSWORD, "bench") as conn, conn.cursor() as cur:
        cur.execute(f"UPDATE t SET b = {random} WHERE id % 100 < {percent}")
        conn.commit()


def raw_backup(agent: Agent, out: Path, lsn: Path, parent: Path | None) -> float:
    argv = [
        "mariabackup", "--no-defaults", "--backup", "--stream=xbstream",
        f"--datadir={agent.data_dir / 'mysql'}",
        f"--socket={agent.root / 'run' / 'mariadb' / 'mariadbd.sock'}", "--user=root",
        f"--target-dir={out.parent / 'target'}", f"--extra-lsndir={lsn}",
    ]  # fmt: skip
    if parent is not None:
        argv.append(f"--incremental-basedir={parent}")
    started = time.monotonic()
    with out.open("wb") as sink:
        backup = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        zstd = subprocess.run(["zstd", "-1", "-T2", "-q", "-c"], stdin=backup.stdout, stdout=sink)
        if backup.wait() != 0 or zstd.returncode != 0:
            raise RuntimeError("raw backup failed")
    return time.monotonic() - started


def raw_restore(work: Path, files: list[Path]) -> float:
    started = time.monotonic()
    dirs = []
    for index, path in enumerate(files):
        target = work / f"part{index}"
        target.mkdir()
        subprocess.run(f"zstd -d -q -c {path} | mbstream -x -C {target}", shell=True, check=True)
        dirs.append(target)
    quiet = {"check": True, "capture_output": True}
    subprocess.run(
        ["mariabackup", "--no-defaults", "--prepare", f"--target-dir={dirs[0]}"], **quiet
    )  # type: ignore[call-overload]
    for part in dirs[1:]:
        subprocess.run(  # type: ignore[call-overload]
            ["mariabackup", "--no-defaults", "--prepare", f"--target-dir={dirs[0]}",
             f"--incremental-dir={part}"], **quiet,
        )  # fmt: skip
    subprocess.run(  # type: ignore[call-overload]
        ["mariabackup", "--no-defaults", "--move-back", f"--target-dir={dirs[0]}",
         f"--datadir={work / 'datadir'}"], **quiet,
    )  # fmt: skip
    subprocess.run(["chown", "-R", "mysql:mysql", str(work / "datadir")], check=True)
    return time.monotonic() - started


def pipeline_backup(
    agent: Agent, store: ObjectStore, keys: BackupKeys, key: str, parent: str | None
) -> tuple[float, StoredBackup, str, int]:
    kind = BackupKind.INCREMENTAL if parent else BackupKind.FULL
    request = BackupRequest(kind=kind, parent_checkpoint=parent, encoding=StreamEncoding.ZSTD)
    started = time.monotonic()
    with agent.client(timeout=60).backup(request) as d:
        stored, trailer = store_backup(
            BackupSource(d.chunks(), d.trailer, d.encoding), store, key, keys.current()
        )
    return time.monotonic() - started, stored, trailer.checkpoint, trailer.data_bytes


def native_bytes(path: Path) -> int:
    """The size of the native stream a raw backup file holds (decompressed, not timed)."""
    zstd = subprocess.Popen(["zstd", "-d", "-q", "-c", str(path)], stdout=subprocess.PIPE)
    assert zstd.stdout is not None
    total = 0
    while chunk := zstd.stdout.read(1 << 20):
        total += len(chunk)
    zstd.wait()
    return total


def cpu_seconds(agent_pid: int) -> dict[str, float]:
    """CPU seconds so far: the agent, what it has reaped (the engine's backup tool and its
    zstd), this process (TLS receive, AES-GCM, sha256, store), and what it has reaped (the
    raw tools)."""
    fields = Path(f"/proc/{agent_pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return {
        "agent": (int(fields[11]) + int(fields[12])) / tick,
        "agent's tool + zstd": (int(fields[13]) + int(fields[14])) / tick,
        "control plane": me.ru_utime + me.ru_stime,
        "raw tools": kids.ru_utime + kids.ru_stime,
    }


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> str:
    return ", ".join(f"{k} {after[k] - before[k]:.1f}" for k in before)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(mib: int, root: Path, store: ObjectStore, datastore: str) -> None:
    ca = CertificateAuthority.load_or_create(root / "pki" / "ca")
    pki = Pki(root / "pki", ca, ca.ensure_client_certificate(root / "pki" / "cp"))
    source = start_agent(root, pki, "bench-src", prepare=True, datastore=datastore)
    target = start_agent(root, pki, "bench-dst", prepare=False, datastore=datastore)
    pg = datastore == "postgresql"
    try:
        started = time.monotonic()
        rows = load(source, mib)
        print(f"{datastore}: loaded {rows} rows (~{mib} MiB) in {time.monotonic() - started:.1f}s")
        keys = BackupKeys(Keyring(root / "state"))
        raw = root / "raw"
        raw.mkdir(mode=0o755)
        assert source.proc is not None
        cpu = [cpu_seconds(source.proc.pid)]
        if pg:
            socket_dir = source.root / "run" / "postgresql"
            t_raw_full = raw_postgresql.raw_backup(socket_dir, source.engine_port, raw / "full.zst")
        else:
            t_raw_full = raw_backup(source, raw / "full.zst", raw / "lsn-full", None)
        cpu.append(cpu_seconds(source.proc.pid))
        t_full, full, checkpoint, full_sent = pipeline_backup(source, store, keys, "b/full", None)
        cpu.append(cpu_seconds(source.proc.pid))
        change(source, 5)
        if pg:
            t_raw_incr = 0.0  # a WAL point: nothing the raw tools would copy
        else:
            t_raw_incr = raw_backup(source, raw / "incr.zst", raw / "lsn-incr", raw / "lsn-full")
        t_incr, incr, _, incr_sent = pipeline_backup(source, store, keys, "b/incr", checkpoint)
        agent_peak = peak_rss_mib(source.proc.pid)
        drain = breakdown(source, keys)
        if pg:
            t_raw_restore = raw_postgresql.raw_restore(raw, raw / "full.zst", free_port())
            chain, kinds = [full], [BackupKind.FULL]
        else:
            t_raw_restore = raw_restore(raw, [raw / "full.zst", raw / "incr.zst"])
            chain, kinds = [full, incr], [BackupKind.FULL, BackupKind.INCREMENTAL]
        started = time.monotonic()
        for stored in chain:  # the verification pass alone, as the restore below repeats it
            verify_backup(store, stored, keys)
        t_verify = time.monotonic() - started
        started = time.monotonic()
        client = target.client(timeout=120)
        parts = open_chain(store, chain, keys, StreamEncoding.ZSTD)
        operation = client.restore(
            [RestoreSource(k, p, StreamEncoding.ZSTD) for k, p in zip(kinds, parts, strict=True)]
        )
        t_staged = time.monotonic() - started
        client.wait_operation(operation, 600)
        t_restore = time.monotonic() - started
        full_raw = native_bytes(raw / "full.zst")
        incr_raw = incr_sent if pg else native_bytes(raw / "incr.zst")
        restored = full_raw if pg else full_raw + incr_raw
        print(
            f"sent over mTLS (zstd): full {full_sent / 1e6:.1f} MB, incr {incr_sent / 1e6:.1f} MB"
        )
        report(
            [
                ("full backup", t_raw_full, t_full, full_raw, full.size),
                ("incremental (5 %)", t_raw_incr, t_incr, incr_raw, incr.size),
                ("restore full" if pg else "restore full+incr", t_raw_restore, t_restore,
                 restored, 0),
            ],
            raw,
        )  # fmt: skip
        print(f"agent peak RSS (VmHWM) after the backups: {agent_peak:.0f} MiB")
        print(f"CPU s, raw full backup: {cpu_delta(cpu[0], cpu[1])}")
        print(f"CPU s, our full backup: {cpu_delta(cpu[1], cpu[2])}")
        print(
            f"restore: its verification pass alone (sha256 + AES-GCM) {t_verify:.2f} s;"
            f" in the restore, verified + streamed + staged by the agent {t_staged:.2f} s,"
            f" then the agent's prepare/start {t_restore - t_staged:.2f} s"
        )
        print(drain)
    finally:
        source.cleanup()
        target.cleanup()


SAMPLE_BYTES = 128 << 20


def breakdown(agent: Agent, keys: BackupKeys) -> str:
    """Where a full backup's time goes: a third full backup drained and thrown away (engine
    tool + the agent's zstd + agent + TLS, nothing stored), then the control plane's
    AES-256-GCM timed in memory over the first `SAMPLE_BYTES` of that compressed stream (and
    zstd over its decompressed bytes, for comparison with the old control-plane zstd)."""
    sample: list[bytes] = []
    kept = total = 0
    started = time.monotonic()
    request = BackupRequest(kind=BackupKind.FULL, encoding=StreamEncoding.ZSTD)
    with agent.client(timeout=60).backup(request) as download:
        for chunk in download.chunks():
            total += len(chunk)
            if kept < SAMPLE_BYTES:
                sample.append(bytes(chunk))
                kept += len(chunk)
        download.trailer()
    t_drain = time.monotonic() - started
    started = time.monotonic()
    for _ in envelope.seal(iter(sample), keys.current()):
        pass
    t_seal = time.monotonic() - started
    mb = kept / 1e6
    return (
        "where the time goes: agent's compressed stream drained, nothing stored"
        f" {total / 1e6 / t_drain:.0f} MB/s compressed"
        f" ({total / 1e6:.0f} MB in {t_drain:.2f} s); control plane's AES-GCM over"
        f" {mb:.0f} MB of it: {mb / t_seal:.0f} MB/s"
    )


def report(lines: list[tuple[str, float, float, int, int]], raw: Path) -> None:
    sizes = {p.name: p.stat().st_size for p in raw.glob("*.zst")}
    print(f"raw zstd files: {', '.join(f'{n} {s / 1e6:.1f} MB' for n, s in sizes.items())}")
    print(
        f"{'':20} {'raw s':>7} {'ours s':>7} {'raw MB/s':>9} {'ours MB/s':>9}"
        f" {'ratio':>6} {'stream MB':>10} {'stored MB':>10}"
    )
    for name, t_raw, t_pipe, stream, stored in lines:
        raw_rate = f"{stream / 1e6 / t_raw:9.1f}" if t_raw else f"{'-':>9}"
        ratio = f"{t_raw / t_pipe:6.2f}" if t_raw else f"{'-':>6}"
        verdict = (
            ""
            if not t_raw
            else "  (target >= 0.8: met)"
            if t_raw / t_pipe >= 0.8
            else (f"  (target >= 0.8: missed by {0.8 - t_raw / t_pipe:.2f})")
        )
        print(
            f"{name:20} {t_raw:7.2f} {t_pipe:7.2f} {raw_rate} {stream / 1e6 / t_pipe:9.1f}"
            f" {ratio} {stream / 1e6:10.1f} {stored / 1e6:10.1f}{verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--size-mib", "--mib", dest="mib", type=int, default=1024, help="database size to generate"
    )
    parser.add_argument("--store", choices=["local", "swift", "s3"], default="local")
    parser.add_argument("--datastore", choices=["mariadb", "postgresql"], default="mariadb")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores, shared)")
    root = Path(tempfile.mkdtemp(prefix="strongroom-bench-backup-", dir="/tmp"))
    root.chmod(0o755)
    swift = SwiftServer() if args.store != "local" else None
    try:
        store: ObjectStore = LocalObjectStore(root / "objects")
        if swift is not None:
            swift.start()
            store = loopback_stores(swift, root, segment_mib=64)[args.store]
        run(args.mib, root, store, args.datastore)
    finally:
        if swift is not None:
            swift.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
