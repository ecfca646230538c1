"""What both engines' restores share: unpacking each streamed part with an engine's unpack
tool into `part-N` of a staging directory, and handing the result to the server's user."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from strongroom.contracts.errors import Conflict, InfrastructureError

TOOL_TIMEOUT_SECONDS = 3600


def stage(
    datadir: Path,
    staging: Path,
    parts: Iterable[Iterator[bytes]],
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


def extract(part: Iterator[bytes], argv: list[str]) -> None:
    """Feed `part` to the unpack tool `argv`; `InfrastructureError` with its stderr if it
    fails (killed after `TOOL_TIMEOUT_SECONDS`)."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        for chunk in part:
            proc.stdin.write(chunk)
        proc.stdin.close()
        code = proc.wait(TOOL_TIMEOUT_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if code != 0:
        message = proc.stderr.read().decode(errors="replace").strip()[-300:]
        tool = Path(argv[0]).name
        raise InfrastructureError("unpacking a backup part failed", detail=f"{tool}: {message}")


def chown_tree(root: Path, os_user: str) -> None:
    """`root` and everything below it owned by `os_user` (and its group)."""
    account = pwd.getpwnam(os_user)
    os.chown(root, account.pw_uid, account.pw_gid)
    for directory, subdirs, files in os.walk(root):
        for name in subdirs + files:
            os.chown(os.path.join(directory, name), account.pw_uid, account.pw_gid)
