"""Backups through the whole data path with a real engine of each datastore: the agent
streams the engine's backup tool out (mariabackup, pg_basebackup), the control-plane pipeline
compresses, encrypts and stores it, and a restore into a fresh agent (full plus incremental
where the engine has incrementals) gives exactly the same rows. A corrupted backup is refused
before a byte reaches the agent, and a cut or unterminated restore body is refused by the
agent; either way the target's data dir is never touched."""

from __future__ import annotations

import contextlib
import itertools
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from agent_e2e_harness import Agent, Pki, launch_agent, prepared_agent, processes_mentioning

from strongroom.backups.errors import BackupCorrupted
from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import BackupSource, StoredBackup, open_chain, store_backup
from strongroom.contracts import agent as contract
from strongroom.contracts.agent import DatabaseSpec, EngineState, PrepareRequest, UserSpec
from strongroom.contracts.backups import BackupKind, BackupRequest, BackupTrailer, StreamEncoding
from strongroom.contracts.errors import InfrastructureError
from strongroom.contracts.framing import MEDIA_TYPE
from strongroom.drivers.guest.backup_stream import restore_body
from strongroom.drivers.guest.base import RestoreSource
from strongroom.drivers.guest.http import client_ssl_context
from strongroom.drivers.objectstore.local import LocalObjectStore
from strongroom.keyring import Keyring
from tests.support.datastore_clients import DatastoreClient

pytestmark = pytest.mark.e2e

PASSWORD = "Pw-" + secrets.token_hex(12)
ROWS_FULL = 20000
ROWS_MORE = 5000


@dataclass
class Chain:
    source: Agent
    store: LocalObjectStore
    keys: BackupKeys
    full: StoredBackup
    incremental: StoredBackup | None
    """None for an engine without incrementals."""
    rows: list[tuple[object, ...]]
    """The rows as of the last backup of the chain."""

    @property
    def last(self) -> StoredBackup:
        return self.incremental or self.full

    @property
    def backups(self) -> list[StoredBackup]:
        return [self.full] + ([self.incremental] if self.incremental else [])


def rows_of(agent: Agent) -> list[tuple[object, ...]]:
    with agent.session("alice", PASSWORD, "shop") as session:
        return session.query("SELECT id, note, amount FROM items ORDER BY id")


def take_backup(
    agent: Agent, store: LocalObjectStore, keys: BackupKeys, key: str, parent: str | None
) -> tuple[StoredBackup, BackupTrailer]:
    kind = BackupKind.INCREMENTAL if parent else BackupKind.FULL
    request = BackupRequest(kind=kind, parent_checkpoint=parent, encoding=StreamEncoding.ZSTD)
    started = time.monotonic()
    with agent.client(timeout=60).backup(request) as download:
        chunks = download.chunks()
        first = next(chunks)
        with agent.session("alice", PASSWORD, "shop") as session:  # it serves meanwhile
            session.query("INSERT INTO items VALUES (0, 'during the backup', 0)")
            session.query("DELETE FROM items WHERE id = 0")
        stored, trailer = store_backup(
            BackupSource(itertools.chain([first], chunks), download.trailer, download.encoding),
            store,
            key,
            keys.current(),
        )
    print(
        f"\n{kind} backup: {trailer.data_bytes / 1e6:.1f} MB raw -> {stored.size / 1e6:.1f} MB "
        f"stored in {time.monotonic() - started:.2f}s"
    )
    return stored, trailer


@pytest.fixture(scope="module")
def chain(agents: dict[str, Agent], e2e_root: Path, pki: Pki, datastore: DatastoreClient) -> Chain:
    request = PrepareRequest(
        listen_address="127.0.0.1",
        databases=[DatabaseSpec(name="shop")],
        users=[UserSpec(name="alice", password=PASSWORD, databases=["shop"])],
    )
    source = prepared_agent(agents, e2e_root, pki, "inst-backup-src", request, datastore)
    prefix = f"{datastore.name}/inst-backup-src"
    store = LocalObjectStore(e2e_root / "objects")
    keys = BackupKeys(Keyring(e2e_root / "control-state"))
    with source.session("alice", PASSWORD, "shop") as session:
        session.query(
            "CREATE TABLE items (id INT PRIMARY KEY, note VARCHAR(200), amount DECIMAL(12,2))"
        )
        session.query(datastore.insert_series(1, ROWS_FULL, "row"))
    full, trailer = take_backup(source, store, keys, f"{prefix}/full", None)
    if not datastore.incremental_backups:
        return Chain(source, store, keys, full, None, rows_of(source))
    with source.session("alice", PASSWORD, "shop") as session:
        session.query(datastore.insert_series(ROWS_FULL + 1, ROWS_FULL + ROWS_MORE, "later"))
        session.query("UPDATE items SET note = 'changed' WHERE id % 97 = 0")
        session.query("DELETE FROM items WHERE id % 101 = 0")
    incremental, _ = take_backup(source, store, keys, f"{prefix}/incr", trailer.checkpoint)
    return Chain(source, store, keys, full, incremental, rows_of(source))


@pytest.fixture(scope="module")
def blank(agents: dict[str, Agent], e2e_root: Path, pki: Pki, datastore: DatastoreClient) -> Agent:
    """A fresh agent, never prepared: the target that refused restores must leave as is."""
    return launch_agent(agents, e2e_root, pki, "inst-backup-bad", datastore)


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def staged_or_restored(agent: Agent) -> list[str]:
    return sorted(p.name for p in agent.data_dir.iterdir() if p.name != "tmp")


def test_full_plus_incremental_restores_exactly(
    chain: Chain, agents: dict[str, Agent], e2e_root: Path, pki: Pki, datastore: DatastoreClient
) -> None:
    target = launch_agent(agents, e2e_root, pki, "inst-backup-dst", datastore)
    client = target.client(timeout=60)
    started = time.monotonic()
    parts = open_chain(chain.store, chain.backups, chain.keys, StreamEncoding.ZSTD)
    kinds = [BackupKind.FULL, BackupKind.INCREMENTAL][: len(chain.backups)]
    sources = [RestoreSource(k, p, StreamEncoding.ZSTD) for k, p in zip(kinds, parts, strict=True)]
    client.wait_operation(client.restore(sources), timeout=120)
    print(f"\n{datastore.name} restore of {len(kinds)} part(s): {time.monotonic() - started:.2f}s")
    assert client.status().engine_state is EngineState.RUNNING
    restored = rows_of(target)
    if chain.incremental:
        assert len(restored) == ROWS_FULL + ROWS_MORE - (ROWS_FULL + ROWS_MORE) // 101
    else:
        assert len(restored) == ROWS_FULL
    assert restored == chain.rows
    assert not (target.data_dir / "restore-staging").exists()
    assert target.engine_data_dir.stat().st_uid != 0  # chowned to the server's user


def test_a_corrupted_backup_is_refused_before_the_agent_sees_it(chain: Chain, blank: Agent) -> None:
    target = blank
    before = staged_or_restored(target)
    path = chain.store.directory / chain.last.key
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 3] ^= 0x40
    chain.store.put(f"{chain.last.key}-damaged", [bytes(damaged)])
    bad = StoredBackup(f"{chain.last.key}-damaged", chain.last.size, chain.last.sha256)
    with pytest.raises(BackupCorrupted):
        open_chain(chain.store, [*chain.backups[:-1], bad], chain.keys)
    assert staged_or_restored(target) == before
    assert target.client().status().engine_state is EngineState.STOPPED


def test_a_cut_restore_body_leaves_the_target_untouched(
    chain: Chain, blank: Agent, pki: Pki
) -> None:
    target = blank
    before = staged_or_restored(target)
    (part,) = open_chain(chain.store, [chain.full], chain.keys)

    def cut() -> Iterator[bytes]:
        yield next(part)
        raise BackupCorrupted("the backup object changed while it was read")

    with pytest.raises(BackupCorrupted):
        target.client(timeout=60).restore([RestoreSource(BackupKind.FULL, cut())])
    deadline = time.monotonic() + 15
    while staged_or_restored(target) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert staged_or_restored(target) == before


def test_an_unterminated_restore_body_is_refused(chain: Chain, blank: Agent, pki: Pki) -> None:
    target = blank
    before = staged_or_restored(target)
    (part,) = open_chain(chain.store, [chain.full], chain.keys)
    frames = list(restore_body([RestoreSource(BackupKind.FULL, part)]))[:-1]  # no end frame
    context = client_ssl_context(pki.ca_cert, pki.client.cert, pki.client.key)
    deadline = time.monotonic() + 20  # an earlier cut body may still hold the slot (409)
    with httpx.Client(verify=context, timeout=60, trust_env=False) as http:
        while True:
            response = http.post(
                f"https://127.0.0.1:{target.port}{contract.PATH_RESTORE}",
                content=iter(frames),
                headers={"content-type": MEDIA_TYPE},
                extensions={"sni_hostname": target.instance_id},
            )
            if response.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert response.status_code == 400, response.text
    assert "truncated" in response.text
    assert staged_or_restored(target) == before


def test_restore_into_an_instance_with_data_is_refused(chain: Chain) -> None:
    (part,) = open_chain(chain.store, [chain.full], chain.keys)
    with pytest.raises(InfrastructureError, match="already has data"):
        chain.source.client(timeout=60).restore([RestoreSource(BackupKind.FULL, part)])
    assert len(rows_of(chain.source)) == len(chain.rows)


def test_an_incremental_without_a_parent_is_refused(chain: Chain) -> None:
    request = BackupRequest(kind=BackupKind.INCREMENTAL)
    with (
        pytest.raises(InfrastructureError, match="parent"),
        chain.source.client().backup(request) as download,
    ):
        list(download.chunks())


@pytest.mark.parametrize("encoding", list(StreamEncoding))
def test_a_backup_abandoned_by_the_control_plane_stops_and_frees_the_agent(
    chain: Chain, encoding: StreamEncoding
) -> None:
    agent = chain.source
    assert agent.proc is not None
    agent_pid = agent.proc.pid
    with agent.client(timeout=60).backup(BackupRequest(encoding=encoding)) as download:
        next(download.chunks())
    deadline = time.monotonic() + 20
    tool = agent.datastore.backup_tool
    while time.monotonic() < deadline:
        tools = [p for p in processes_mentioning(tool) if str(agent.root) in p[1]]
        tools += [p for p in processes_mentioning("zstd") if parent_of(p[0]) == agent_pid]
        if not tools and not list((agent.data_dir / "tmp").glob("backup-*")):
            break
        time.sleep(0.2)
    assert not tools
    assert not list((agent.data_dir / "tmp").glob("backup-*"))
    with agent.client(timeout=60).backup(BackupRequest()) as download:
        assert sum(len(chunk) for chunk in download.chunks()) == download.trailer().data_bytes


def test_a_broken_chain_fails_the_restore_and_leaves_nothing(chain: Chain, blank: Agent) -> None:
    target = blank
    before = staged_or_restored(target)
    client = target.client(timeout=60)
    parts = open_chain(chain.store, [chain.last, chain.full], chain.keys)  # no full first
    kinds = [BackupKind.FULL, BackupKind.INCREMENTAL]
    operation = client.restore([RestoreSource(k, p) for k, p in zip(kinds, parts, strict=True)])
    with pytest.raises(InfrastructureError, match="not a full backup"):
        client.wait_operation(operation, timeout=60)
    assert staged_or_restored(target) == before
    assert client.status().engine_state is EngineState.STOPPED


def test_scratch_left_by_an_agent_killed_mid_backup_or_restore_is_swept_at_start(
    chain: Chain, blank: Agent
) -> None:
    """Runs last: it kills and restarts both agents."""
    source, target = chain.source, blank
    with source.client(timeout=60).backup(BackupRequest(encoding=StreamEncoding.ZSTD)) as d:
        next(d.chunks())
        source.kill()
    (part,) = open_chain(chain.store, [chain.full], chain.keys, StreamEncoding.ZSTD)
    release = threading.Event()

    def stalled() -> Iterator[bytes]:
        yield next(part)
        release.wait(30)

    restoring = threading.Thread(target=_restore_quietly, args=(target, stalled()), daemon=True)
    restoring.start()
    staging = target.data_dir / "restore-staging"
    deadline = time.monotonic() + 20
    while not any(staging.glob("part-0/*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    target.kill()
    release.set()
    restoring.join(30)
    # A small backup may have ended before the kill; what a kill mid-way leaves, for sure:
    planted = source.data_dir / "tmp" / "backup-0123456789ab"
    planted.mkdir(parents=True, exist_ok=True)
    (planted / f"{source.datastore.backup_tool}.log").write_text("killed mid-way\n")
    left = list((source.data_dir / "tmp").glob("backup-*"))
    assert staging.is_dir()  # the killed target's half-staged part
    source.start()
    target.start()
    assert not any(p.exists() for p in left)
    assert not staging.exists()
    with source.client(timeout=60).backup(BackupRequest()) as download:  # works as before
        assert sum(len(chunk) for chunk in download.chunks()) == download.trailer().data_bytes


def _restore_quietly(agent: Agent, chunks: Iterator[bytes]) -> None:
    with contextlib.suppress(InfrastructureError):
        agent.client(timeout=60).restore(
            [RestoreSource(BackupKind.FULL, chunks, StreamEncoding.ZSTD)]
        )
