"""One runner for host commands: argv lists only, failures become `InfrastructureError`."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

from strongroom.contracts.errors import InfrastructureError

DEFAULT_TIMEOUT = 30.0


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    input_text: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` (never through a shell) and return the finished process with text output.

    With `check=True` (the default) a non-zero exit raises `InfrastructureError` whose detail
    holds the command line, the exit status and stderr. With `check=False` the caller gets the
    `CompletedProcess` whatever the exit status. A missing program or a timeout always raises
    (a timeout is marked retryable).
    """
    args = [str(a) for a in argv]
    if not args:
        raise ValueError("empty argv")
    try:
        proc = subprocess.run(
            args,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise InfrastructureError(
            f"host command not found: {args[0]}", detail=f"command: {shlex.join(args)}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise InfrastructureError(
            f"host command timed out after {timeout:g} s: {args[0]}",
            detail=f"command: {shlex.join(args)}",
            retryable=True,
        ) from exc
    if check and proc.returncode != 0:
        raise InfrastructureError(
            f"host command failed: {args[0]} (exit {proc.returncode})",
            detail=describe(args, proc),
        )
    return proc


def describe(argv: Sequence[str], proc: subprocess.CompletedProcess[str]) -> str:
    """Operator detail for a finished command: command line, exit status, stderr."""
    stderr = (proc.stderr or "").strip()
    return f"command: {shlex.join(argv)}\nexit: {proc.returncode}\nstderr: {stderr}"


def in_netns(netns: str, argv: Sequence[str]) -> list[str]:
    """The argv that runs `argv` inside network namespace `netns` (`ip netns exec`)."""
    return ["ip", "netns", "exec", netns, *argv]
