"""zstd as a streaming filter: the `zstd` program in a pipe (no Python binding needed),
fed from a thread so that reading its output never deadlocks against writing its input."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator

from strongroom.contracts.errors import InfrastructureError

ZSTD_BINARY = "/usr/bin/zstd"
COMPRESS_ARGS = ("-1", "-T2", "-q", "-c")
DECOMPRESS_ARGS = ("-d", "-q", "-c")
READ_SIZE = 1 << 20


def compress(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The zstd frame (level 1, two threads) of the concatenated `chunks`."""
    return _filter(COMPRESS_ARGS, chunks)


def decompress(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The data of a zstd frame; `InfrastructureError` if it is not one (zstd checks its own
    content checksum too)."""
    return _filter(DECOMPRESS_ARGS, chunks)


class _Feeder(threading.Thread):
    """Copies `chunks` into a pipe; remembers the error the source raised, if any."""

    def __init__(self, chunks: Iterator[bytes], sink: subprocess.Popen[bytes]) -> None:
        super().__init__(name="zstd-feed", daemon=True)
        self._chunks = chunks
        self._proc = sink
        self.error: BaseException | None = None

    def run(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            for chunk in self._chunks:
                stdin.write(chunk)
        except BrokenPipeError:
            pass  # zstd died; its exit status tells why
        except BaseException as exc:
            self.error = exc
            self._proc.kill()  # never let a half-fed zstd end its frame as if complete
        finally:
            with contextlib.suppress(BrokenPipeError):
                stdin.close()


def _filter(args: tuple[str, ...], chunks: Iterator[bytes]) -> Iterator[bytes]:
    proc = subprocess.Popen(
        [ZSTD_BINARY, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    feeder = _Feeder(chunks, proc)
    feeder.start()
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while data := proc.stdout.read(READ_SIZE):
            yield data
        feeder.join()
        if feeder.error is not None:
            raise feeder.error
        code = proc.wait()
        if code != 0:
            message = proc.stderr.read().decode(errors="replace").strip()[-300:]
            raise InfrastructureError(f"zstd {args[0]} failed", detail=f"exit {code}: {message}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        feeder.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
