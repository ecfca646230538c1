"""What an engine's backup hands the agent: the native stream (or, on request, one zstd frame
of it), then its checkpoint; and the stream of a backup tool run as a process (both engines'
full backups), whose stdout a `zstd` process reads directly when the stream is compressed:
the bytes go tool → pipe → zstd → pipe → agent, never through Python uncompressed."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from strongroom.contracts.backups import StreamEncoding
from strongroom.contracts.errors import InfrastructureError

READ_SIZE = 1 << 20
ZSTD_BINARY = "/usr/bin/zstd"
COMPRESS_ARGV = (ZSTD_BINARY, "-1", "-T2", "-q", "-c")
DECOMPRESS_ARGV = (ZSTD_BINARY, "-d", "-q", "-c")
SCRATCH_PREFIX = "backup-"
"""A backup's scratch directory in the engine's tmp dir is named `backup-<random>`."""
PIPE_BYTES = 1 << 20
"""Pipes between the tools and the agent: large, so that each read returns a big chunk."""
_LOG_TAIL_BYTES = 600


def widen_pipe(stream: IO[bytes] | None) -> None:
    """Grow the pipe behind `stream` to `PIPE_BYTES` (best effort: the system may cap it)."""
    if stream is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class BackupStream(ABC):
    """One running backup. Read `chunks` to the end, then `checkpoint`; always `close`."""

    @abstractmethod
    def chunks(self) -> Iterator[bytes]:
        """The engine's native backup stream (opaque to the agent and the control plane)."""

    @abstractmethod
    def checkpoint(self) -> str:
        """After the stream ended: the text an incremental on top of this backup needs
        (engine-defined); `InfrastructureError` if the backup tool failed."""

    @abstractmethod
    def close(self) -> None:
        """Stop the backup tool if it still runs and remove its scratch files."""

    def encoded(self, encoding: StreamEncoding) -> Iterator[bytes]:
        """The stream in `encoding`, read instead of `chunks` (before `checkpoint`). Here a
        `zstd` process fed from a thread: fine for a stream Python builds itself (small);
        `ProcessBackupStream` pipes its tool into zstd directly."""
        if encoding is StreamEncoding.NATIVE:
            return self.chunks()
        return _fed_zstd(self.chunks())


class ProcessBackupStream(BackupStream):
    """A backup tool running in the scratch directory `work`: its stdout is the stream, its
    stderr goes to `work / log_name`; `close` stops it and removes `work`."""

    def __init__(self, work: Path, argv: list[str], tool: str, log_name: str) -> None:
        self.work = work
        self.tool = tool
        self.log_path = work / log_name
        with self.log_path.open("wb") as log_sink:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log_sink,
                cwd=work,
            )
        widen_pipe(self.proc.stdout)
        self.zstd: subprocess.Popen[bytes] | None = None

    def chunks(self) -> Iterator[bytes]:
        stdout = self.proc.stdout
        assert stdout is not None
        while chunk := stdout.read(READ_SIZE):
            yield chunk

    def encoded(self, encoding: StreamEncoding) -> Iterator[bytes]:
        if encoding is StreamEncoding.NATIVE:
            return self.chunks()
        assert self.proc.stdout is not None and self.zstd is None
        with (self.work / "zstd.log").open("wb") as log_sink:
            self.zstd = subprocess.Popen(
                COMPRESS_ARGV, stdin=self.proc.stdout, stdout=subprocess.PIPE, stderr=log_sink
            )
        self.proc.stdout.close()  # zstd holds the tool's pipe now; a dead zstd ends the tool
        widen_pipe(self.zstd.stdout)
        return self._compressed(self.zstd)

    def _compressed(self, zstd: subprocess.Popen[bytes]) -> Iterator[bytes]:
        assert zstd.stdout is not None
        while chunk := zstd.stdout.read(READ_SIZE):
            yield chunk
        code = zstd.wait()
        if code != 0:
            raise InfrastructureError(
                "compressing the backup failed", detail=f"zstd exited {code}: {self.tool}"
            )

    def wait_tool(self) -> None:
        """Wait for the tool to end; `InfrastructureError` (with its log's tail) if it failed."""
        code = self.proc.wait()
        if code != 0:
            raise InfrastructureError(
                "the backup tool failed", detail=f"{self.tool} exited {code}: {self.log_tail()}"
            )

    def close(self) -> None:
        for proc in (self.proc, self.zstd):
            if proc is None:
                continue
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def log_tail(self) -> str:
        """The last lines of the tool's log, joined on one line."""
        try:
            data = self.log_path.read_bytes()[-_LOG_TAIL_BYTES:]
        except OSError:
            return "no log"
        return " | ".join(data.decode(errors="replace").strip().splitlines()[-4:])


def _fed_zstd(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """One zstd frame of `chunks`, fed to a `zstd` process from a thread."""
    proc = subprocess.Popen(
        COMPRESS_ARGV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdin is not None and proc.stdout is not None
    failure: list[BaseException] = []

    def feed(stdin: IO[bytes]) -> None:
        try:
            for chunk in chunks:
                stdin.write(chunk)
        except BrokenPipeError:
            pass
        except BaseException as exc:  # never let a half-fed zstd end its frame as complete
            failure.append(exc)
            proc.kill()
        finally:
            with contextlib.suppress(BrokenPipeError):
                stdin.close()

    feeder = threading.Thread(target=feed, args=(proc.stdin,), name="zstd-feed", daemon=True)
    feeder.start()
    try:
        while chunk := proc.stdout.read(READ_SIZE):
            yield chunk
        feeder.join()
        if failure:
            raise failure[0]
        if proc.wait() != 0:
            raise InfrastructureError("compressing the backup failed", detail="zstd failed")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        feeder.join(timeout=5)
        proc.stdout.close()
