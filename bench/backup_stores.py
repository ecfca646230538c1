"""The backup pipeline into each object store, beside the store's own raw speed:

    raw put / get:     the same number of bytes put into / read out of the store as they are
    pipeline backup:   a generated stream -> zstd -> AES-256-GCM -> sha256 -> store
    pipeline restore:  verification pass (size, sha256, every record), then decrypt + unzstd

with the peak RSS of this process during each step (a put must hold one segment or part, not
the object). The stream is ~1/3 compressible text and ~2/3 random, generated 1 MiB at a time.

Stores: `local` (a temp dir), and `swift` / `s3`, either a throwaway single-node Swift on
loopback (its Swift API and its S3 API; the default) or the store a Strongroom config names
(`--config FILE`, its `[backups]` section, e.g. a real Swift or S3 endpoint).

    .venv/bin/python -m bench.backup_stores --mib 512
    .venv/bin/python -m bench.backup_stores --config /etc/strongroom/strongroom.toml --mib 512
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import BackupSource, open_backup, store_backup
from strongroom.config import load_settings
from strongroom.config.settings import S3StoreSettings, SwiftStoreSettings
from strongroom.contracts.backups import BackupKind, BackupTrailer
from strongroom.drivers.objectstore.base import ObjectStore
from strongroom.drivers.objectstore.local import LocalObjectStore
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.drivers.objectstore.s3 import S3ObjectStore
from strongroom.drivers.objectstore.swift import SwiftObjectStore
from strongroom.keyring import Keyring
from tests.support.swift import SwiftServer

MIB = 1 << 20
TEXT = b"".join(
    b"%08d,customer-%d,2024-05-%02d,shipped\n" % (i, i % 977, i % 28) for i in range(9000)
)


POOL = [os.urandom(MIB) for _ in range(32)]  # cycled: farther apart than zstd -1 looks


def stream(mib: int) -> Iterator[bytes]:
    """`mib` MiB, each MiB one third text, two thirds random."""
    for index in range(mib):
        text = TEXT[: MIB // 3]
        yield text + POOL[index % len(POOL)][: MIB - len(text)]


def random_bytes(size: int) -> Iterator[bytes]:
    for index in range(0, size, MIB):
        yield POOL[(index // MIB) % len(POOL)][: min(MIB, size - index)]


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(step: Callable[[], object]) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of `step`."""
    reset_peak_rss()
    started = time.monotonic()
    step()
    return time.monotonic() - started, peak_rss_mib()


def bench_store(name: str, store: ObjectStore, keys: BackupKeys, mib: int) -> None:
    """Pipeline backup and restore of a `mib` MiB stream, and the store's raw put and get of
    as many bytes as the pipeline stored."""
    trailer = BackupTrailer(
        kind=BackupKind.FULL, engine="mariadb", checkpoint="", data_bytes=mib * MIB
    )
    stored = []

    def backup() -> None:
        source = BackupSource(stream(mib), lambda: trailer)
        stored.append(store_backup(source, store, "bench/backup", keys.current())[0])

    t_backup, backup_rss = timed(backup)
    t_restore, restore_rss = timed(lambda: sum(len(c) for c in open_backup(store, stored[0], keys)))
    store.delete("bench/backup")
    size = stored[0].size
    t_put, put_rss = timed(lambda: store.put("bench/raw", random_bytes(size)))
    t_get, get_rss = timed(lambda: sum(len(c) for c in store.get("bench/raw")))
    store.delete("bench/raw")
    stream_mb, stored_mb = mib * MIB / 1e6, size / 1e6
    print(f"{name}: {stream_mb:.0f} MB stream stored as {stored_mb:.0f} MB")
    for step, seconds, mb, rss, raw in (
        ("raw put", t_put, stored_mb, put_rss, None),
        ("pipeline backup", t_backup, stream_mb, backup_rss, t_put),
        ("raw get", t_get, stored_mb, get_rss, None),
        ("pipeline restore", t_restore, stream_mb, restore_rss, t_get),
    ):
        ratio = f"  speed vs raw {raw / seconds:4.2f}" if raw else ""
        print(
            f"  {step:17} {seconds:7.2f} s {mb / seconds:6.0f} MB/s  peak RSS {rss:4.0f} MiB{ratio}"
        )


def loopback_stores(server: SwiftServer, root: Path, segment_mib: int) -> dict[str, ObjectStore]:
    swift = SwiftStoreSettings.model_validate(
        {
            "auth_url": server.auth_url,
            "auth_version": "1",
            "user": server.user,
            "password": server.key,
            "container": "bench",
            "segment_size": segment_mib * MIB,
        }
    )
    s3 = S3StoreSettings.model_validate(
        {
            "endpoint_url": server.endpoint_url,
            "access_key": server.user,
            "secret_key": server.key,
            "bucket": "bench",
            "part_size": max(5, segment_mib) * MIB,
        }
    )
    return {
        "local": LocalObjectStore(root / "objects"),
        "swift": SwiftObjectStore(swift),
        "s3": S3ObjectStore(s3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mib", type=int, default=256, help="stream size in MiB")
    parser.add_argument("--segment-mib", type=int, default=64, help="Swift segment / S3 part")
    parser.add_argument("--stores", default="local,swift,s3", help="loopback stores to time")
    parser.add_argument("--config", type=Path, help="time the store this config names instead")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="strongroom-bench-stores-"))
    server: SwiftServer | None = None
    try:
        keys = BackupKeys(Keyring(root / "state"))
        if args.config:
            settings = load_settings(args.config)
            stores = {settings.backups.store: open_object_store(settings)}
        else:
            server = SwiftServer()
            started = time.monotonic()
            server.start()
            print(f"loopback Swift started in {time.monotonic() - started:.1f} s")
            every = loopback_stores(server, root, args.segment_mib)
            stores = {name: every[name] for name in args.stores.split(",")}
        for name, store in stores.items():
            bench_store(name, store, keys, args.mib)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
