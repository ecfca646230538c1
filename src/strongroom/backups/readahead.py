"""Read an iterator ahead in a thread, so that producing the next chunks (receiving them over
TLS and unframing them) overlaps consuming the last ones (encrypting, hashing, writing).
hashlib, AES-GCM and socket reads release the GIL on large buffers, so on two cores the two
halves really run side by side."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_WAIT_SECONDS = 0.2
_JOIN_SECONDS = 30.0


class _End:
    """Put on the queue after the last item, with the source's error if it raised one."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


def read_ahead(source: Iterator[T], depth: int = 8) -> Iterator[T]:
    """The items of `source` in order, up to `depth` of them read ahead by a thread; the
    source's error is raised here, where it would have been met. Closing the result early
    stops the thread after the item it is reading."""
    items: queue.Queue[T | _End] = queue.Queue(depth)
    stop = threading.Event()

    def offer(item: T | _End) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_WAIT_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            offer(_End(exc))
            return
        offer(_End(None))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        thread.join(_JOIN_SECONDS)
