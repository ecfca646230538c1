"""Every object store keeps the `ObjectStore` promises: what is put comes back byte for byte
(small objects and ones cut into several segments or parts), a put that fails part-way leaves
nothing behind and the previous object intact, a delete leaves nothing (segments included),
a missing object is `ObjectNotFound`, a bad key is `BadRequest`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from strongroom.contracts.errors import BadRequest
from strongroom.drivers.objectstore.base import ObjectNotFound, ObjectStore
from tests.functional.objectstore.conftest import StoreUnderTest

pytestmark = pytest.mark.functional

BAD_KEYS = ["", "../escape", "a//b", "a/../b", "with space", "/leading", "trailing/", ".hidden"]


class StreamBroke(Exception):
    """What the chunk source raises part-way (an agent that went away)."""


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def breaking(data: bytes, size: int) -> Iterator[bytes]:
    yield from pieces(data, size)
    raise StreamBroke("the source went away")


def large(t: StoreUnderTest) -> bytes:
    """Two and a half segments (parts) of the store, or 3 MiB where nothing is cut."""
    return os.urandom(int(2.5 * (t.segment_size or (1 << 20))) + 7)


def test_small_object_round_trips_with_size(under_test: StoreUnderTest) -> None:
    store = under_test.store
    assert store.put("inst-1/b-1", [b"hello ", b"", b"world"]) == 11
    assert store.exists("inst-1/b-1")
    assert store.size("inst-1/b-1") == 11
    assert b"".join(store.get("inst-1/b-1")) == b"hello world"


def test_empty_object_round_trips(under_test: StoreUnderTest) -> None:
    store = under_test.store
    assert store.put("empty", iter([])) == 0
    assert store.exists("empty") and store.size("empty") == 0
    assert b"".join(store.get("empty")) == b""


def test_large_object_is_cut_and_round_trips(under_test: StoreUnderTest) -> None:
    store, data = under_test.store, large(under_test)
    assert store.put("inst-1/big", pieces(data, 300_000)) == len(data)  # chunks cross cuts
    assert store.size("inst-1/big") == len(data)
    chunks = list(store.get("inst-1/big", chunk_size=256 * 1024))
    assert all(len(c) <= 256 * 1024 for c in chunks)
    assert b"".join(chunks) == data
    if under_test.segment_size:  # three segments (parts) stored beside the object
        assert len(under_test.holdings()) == 1 + 3, under_test.holdings()


def test_replacing_an_object_leaves_only_the_new_one(under_test: StoreUnderTest) -> None:
    store = under_test.store
    store.put("inst-1/b", [b"first"])
    holdings_of_small = len(held(under_test))
    store.put("inst-1/b", pieces(large(under_test), 1 << 20))
    assert store.size("inst-1/b") == len(large(under_test))
    store.put("inst-1/b", [b"third"])
    assert b"".join(store.get("inst-1/b")) == b"third"
    assert len(held(under_test)) == holdings_of_small  # the large one's segments went too


def held(under_test: StoreUnderTest) -> list[str]:
    """What the store holds; for S3, what the S3 API shows: Swift's s3api (the server here,
    not the S3 protocol) keeps the parts of a multipart object that is overwritten."""
    names = under_test.holdings()
    return [n for n in names if "+segments/" not in n] if under_test.kind == "s3" else names


@pytest.mark.parametrize("fail_after", ["first_chunk", "past_one_segment"])
def test_failed_put_leaves_nothing(under_test: StoreUnderTest, fail_after: str) -> None:
    data = large(under_test)
    cut = 1000 if fail_after == "first_chunk" else int(len(data) * 0.6)
    with pytest.raises(StreamBroke):
        under_test.store.put("inst-1/broken", breaking(data[:cut], 100_000))
    assert not under_test.store.exists("inst-1/broken")
    assert under_test.holdings() == []


def test_failed_replace_keeps_the_previous_object(under_test: StoreUnderTest) -> None:
    store, data = under_test.store, large(under_test)
    store.put("inst-1/b", [b"previous"])
    before = under_test.holdings()
    with pytest.raises(StreamBroke):
        store.put("inst-1/b", breaking(data[: int(len(data) * 0.6)], 100_000))
    assert b"".join(store.get("inst-1/b")) == b"previous"
    assert under_test.holdings() == before


def test_delete_removes_the_object_and_its_segments(under_test: StoreUnderTest) -> None:
    store = under_test.store
    store.put("inst-1/big", pieces(large(under_test), 1 << 20))
    store.put("inst-1/small", [b"x"])
    store.delete("inst-1/big")
    assert not store.exists("inst-1/big")
    assert store.exists("inst-1/small")
    store.delete("inst-1/small")
    assert under_test.holdings() == []
    store.delete("inst-1/small")  # a missing object is fine


def test_missing_object_is_not_found(under_test: StoreUnderTest) -> None:
    store = under_test.store
    store.put("inst-1/other", [b"x"])  # the container/bucket exists; the object does not
    assert not store.exists("inst-1/absent")
    with pytest.raises(ObjectNotFound):
        store.size("inst-1/absent")
    with pytest.raises(ObjectNotFound):
        next(store.get("inst-1/absent"))


def test_missing_namespace_is_not_found(under_test: StoreUnderTest) -> None:
    """Before the first put (no container or bucket yet) reads say 'not found' too."""
    store = under_test.store
    assert not store.exists("inst-1/absent")
    with pytest.raises(ObjectNotFound):
        next(store.get("inst-1/absent"))
    store.delete("inst-1/absent")


def test_bad_key_is_a_bad_request(under_test: StoreUnderTest) -> None:
    for key in BAD_KEYS:
        for call in every_call(under_test.store, key):
            with pytest.raises(BadRequest):
                call()
    assert under_test.holdings() == []


def every_call(store: ObjectStore, key: str) -> list[Callable[[], object]]:
    return [
        lambda: store.put(key, [b"x"]),
        lambda: next(store.get(key)),
        lambda: store.delete(key),
        lambda: store.exists(key),
        lambda: store.size(key),
    ]
