"""What both engines' restores share: unpacking each streamed part with an engine's unpack
tool into `part-N` of a staging directory (a zstd-encoded part through `zstd -d` piped
straight into the tool), and handing the result to the server's user."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from strongroom.contracts.backups import StreamEncoding
from strongroom.contracts.errors import Conflict, InfrastructureError
from strongroom_agent.engines.backup import DECOMPRESS_ARGV, widen_pipe

TOOL_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class PartStream:
    """One part of a restore as it arrives: its data, in `encoding`."""

    chunks: Iterator[bytes]
    encoding: StreamEncoding = StreamEncoding.NATIVE


def stage(
    datadir: Path,
    staging: Path,
    parts: Iterable[PartStream],
    unpack_argv: Callable[[Path], list[str]],
) -> int:
    """Unpack every part into `part-N` of a fresh `staging` dir with the tool
    `unpack_argv(target)` (reading the part on stdin); returns the part count. `Conflict` if
    `datadir` exists; on any error the staging dir is removed."""
    if datadir.exists():
        raise Conflict("the instance already has data; restore into a new instance")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700, parents=True)
    count = 0
    try:
        for index, part in enumerate(parts):
            target = staging / f"part-{index}"
            target.mkdir(mode=0o700)
            extract(part, unpack_argv(target))
            count += 1
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def extract(part: PartStream, argv: list[str]) -> None:
    """Feed `part` to the unpack tool `argv` (through `zstd -d` for a zstd part, the two
    joined by a pipe); `InfrastructureError` with the failing tool's stderr if either fails
    (killed after `TOOL_TIMEOUT_SECONDS`)."""
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        if part.encoding is StreamEncoding.ZSTD:
            zstd = _start(list(DECOMPRESS_ARGV), subprocess.PIPE, subprocess.PIPE)
            procs.append(("zstd", zstd))
            tool = _start(argv, zstd.stdout, subprocess.DEVNULL)
            assert zstd.stdout is not None
            zstd.stdout.close()  # the tool holds it now
        else:
            tool = zstd = _start(argv, subprocess.PIPE, subprocess.DEVNULL)
        procs.append((Path(argv[0]).name, tool))
        feed = zstd.stdin
        assert feed is not None
        widen_pipe(feed)
        try:
            for chunk in part.chunks:
                feed.write(chunk)
        except BrokenPipeError:
            pass  # the reader died: its exit status and stderr say why
        finally:
            with contextlib.suppress(BrokenPipeError):
                feed.close()
        codes = [proc.wait(TOOL_TIMEOUT_SECONDS) for _, proc in procs]
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for (name, proc), code in zip(procs, codes, strict=True):
        if code != 0:
            assert proc.stderr is not None
            message = proc.stderr.read().decode(errors="replace").strip()[-300:]
            raise InfrastructureError("unpacking a backup part failed", detail=f"{name}: {message}")
    for _, proc in procs:
        assert proc.stderr is not None
        proc.stderr.close()


def _start(argv: list[str], stdin: int | IO[bytes] | None, stdout: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)


def chown_tree(root: Path, os_user: str) -> None:
    """`root` and everything below it owned by `os_user` (and its group)."""
    account = pwd.getpwnam(os_user)
    os.chown(root, account.pw_uid, account.pw_gid)
    for directory, subdirs, files in os.walk(root):
        for name in subdirs + files:
            os.chown(os.path.join(directory, name), account.pw_uid, account.pw_gid)
