"""Objects in OpenStack Swift (v1 API), every object a Static Large Object.

A put streams the chunks into segments of `segment_size` bytes, each its own object in
`<container>_segments` under `<key>/<upload id>/<n>`, and writes the manifest under `<key>` in
`<container>` last: until that single PUT succeeds nobody sees the new object, so a put is
atomic. When the chunks (or Swift) fail, the segments written so far are deleted. A delete
removes the manifest with its segments (`?multipart-manifest=delete`). Replacing an object
deletes the segments of the one it replaced. A worker killed mid-put leaves segments that no
manifest names: `sweep_orphans` removes them.

Plain httpx rather than python-swiftclient: uploads stream from the pipeline's generator
(swiftclient retries by seeking, which a stream cannot), and it needs no Keystone client.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import ssl
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from strongroom.config.settings import SwiftStoreSettings
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.objectstore.base import ObjectNotFound
from strongroom.drivers.objectstore.keys import checked_key
from strongroom.drivers.objectstore.segments import MeasuredPieces, Segmenter
from strongroom.drivers.objectstore.swift_auth import SwiftAuth

SEGMENTS_SUFFIX = "_segments"
MAX_SEGMENTS = 1000  # Swift's default [slo] max_manifest_segments


class SwiftObjectStore:
    """An `ObjectStore` in the Swift account the settings sign in to."""

    def __init__(self, settings: SwiftStoreSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.container = settings.container
        self.segments_container = settings.container + SEGMENTS_SUFFIX
        verify = ssl.create_default_context(cafile=settings.ca_file) if settings.ca_file else True
        self._client = client or httpx.Client(timeout=settings.timeout_seconds, verify=verify)
        self._auth = SwiftAuth(settings, self._client)
        self._containers_ready = False

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        key = checked_key(key)
        self._ensure_containers()
        replaced = self._segment_paths(key)
        upload = f"{key}/{secrets.token_hex(8)}"
        written: list[dict[str, object]] = []
        try:
            size = self._put_segments(upload, chunks, written)
        except BaseException:  # the one in flight may be stored too (an answer lost, a bad etag)
            self._delete_paths([self._segment(upload, n) for n in range(len(written) + 1)])
            raise
        try:
            if written:
                self._put_manifest(key, written)
            else:
                self._request("PUT", self._path(self.container, key), expect=(201,), content=b"")
        except BaseException:
            self._undo_manifest(key, written)
            raise
        self._delete_paths(replaced)
        return size

    def get(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        path = self._path(self.container, checked_key(key))
        access = self._auth.access()
        url = access.storage_url + path
        try:
            with self._client.stream("GET", url, headers=_token(access.token)) as response:
                if response.status_code == 401:
                    self._auth.forget(access.token)
                    yield from self._get_again(path, chunk_size)
                    return
                self._check(response, "GET", path, expect=(200,))
                yield from response.iter_bytes(chunk_size)
        except httpx.HTTPError as exc:
            raise _transport_error("GET", path, exc) from None

    def delete(self, key: str) -> None:
        path = self._path(self.container, checked_key(key))
        response = self._request(
            "DELETE",
            path,
            expect=(200, 204, 404),
            params={"multipart-manifest": "delete"},
            headers={"Accept": "application/json"},
        )
        if response.status_code == 200 and response.content:
            errors = response.json().get("Errors") or []
            if errors:
                raise InfrastructureError(
                    "the backup store failed to delete some segments",
                    detail=f"{path}: {errors[:5]}",
                    retryable=True,
                )

    def exists(self, key: str) -> bool:
        path = self._path(self.container, checked_key(key))
        return self._request("HEAD", path, expect=(200, 204, 404)).status_code != 404

    def size(self, key: str) -> int:
        path = self._path(self.container, checked_key(key))
        response = self._request("HEAD", path, expect=(200, 204))
        return int(response.headers["Content-Length"])

    def sweep_orphans(self, idle_seconds: float = 3600.0) -> int:
        """Delete the segments of uploads that no manifest names and that got no new segment
        for `idle_seconds` (a put a killed worker left; a put still running writes a segment
        every few seconds); returns how many segments went."""
        referenced: set[str] = set()
        for entry in self._list(self.container):
            referenced.update(self._segment_paths(str(entry["name"])))
        uploads: dict[str, list[tuple[str, float]]] = {}
        for entry in self._list(self.segments_container):
            name = str(entry["name"])
            path = self._path(self.segments_container, name)
            if path not in referenced:
                written = _timestamp(str(entry.get("last_modified", "")))
                uploads.setdefault(name.rsplit("/", 1)[0], []).append((path, written))
        cutoff = time.time() - idle_seconds
        orphans = [
            path
            for segments in uploads.values()
            if max(written for _, written in segments) <= cutoff
            for path, _ in segments
        ]
        self._delete_paths(orphans)
        return len(orphans)

    # --- requests ----------------------------------------------------------------------------

    def _put_segments(
        self, upload: str, chunks: Iterable[bytes], written: list[dict[str, object]]
    ) -> int:
        segmenter = Segmenter(chunks, self.settings.segment_size)
        size = 0
        while segmenter.has_more():
            if len(written) == MAX_SEGMENTS:
                raise InfrastructureError(
                    "the backup is larger than Swift takes in one object",
                    detail=f"more than {MAX_SEGMENTS} segments of {self.settings.segment_size} "
                    "bytes: raise backups.swift.segment_size",
                )
            path = self._segment(upload, len(written))
            body = MeasuredPieces(segmenter.segment())
            response = self._send_once("PUT", path, expect=(201,), content=body)
            etag = response.headers.get("Etag", "").strip('"')
            if etag != body.md5.hexdigest():
                raise InfrastructureError(
                    "the backup store stored a segment that differs from what was sent",
                    detail=f"{path}: etag {etag}, sent md5 {body.md5.hexdigest()}",
                    retryable=True,
                )
            written.append({"path": path, "etag": etag, "size_bytes": body.size})
            size += body.size
        return size

    def _put_manifest(self, key: str, segments: list[dict[str, object]]) -> None:
        self._request(
            "PUT",
            self._path(self.container, key),
            expect=(201,),
            params={"multipart-manifest": "put"},
            content=json.dumps(segments).encode(),
        )

    def _undo_manifest(self, key: str, written: list[dict[str, object]]) -> None:
        """After a manifest PUT that failed (or timed out: Swift may have stored it anyway),
        remove the manifest if it names these segments, then the segments."""
        paths = [str(w["path"]) for w in written]
        with contextlib.suppress(InfrastructureError, ObjectNotFound):
            if paths and set(paths) & set(self._segment_paths(key)):
                self._request("DELETE", self._path(self.container, key), expect=(204, 404))
        self._delete_paths(paths)

    def _segment_paths(self, key: str) -> list[str]:
        """The segments of the manifest stored under `key` (none: no object, or not an SLO)."""
        response = self._request(
            "GET",
            self._path(self.container, key),
            expect=(200, 404),
            params={"multipart-manifest": "get", "format": "raw"},
        )
        if response.status_code == 404 or response.headers.get("X-Static-Large-Object") != "True":
            return []
        return [str(entry["path"]) for entry in response.json()]

    def _delete_paths(self, paths: list[str]) -> None:
        for path in paths:
            with contextlib.suppress(InfrastructureError):  # sweep_orphans finds what is left
                self._request("DELETE", path, expect=(204, 404))

    def _list(self, container: str) -> Iterator[dict[str, object]]:
        marker = ""
        while True:
            response = self._request(
                "GET",
                self._path(container),
                expect=(200, 204, 404),
                params={"format": "json", "marker": marker, "limit": "10000"},
            )
            entries = response.json() if response.status_code == 200 else []
            if not entries:
                return
            yield from entries
            marker = str(entries[-1]["name"])

    def _ensure_containers(self) -> None:
        if self._containers_ready:
            return
        for container in (self.container, self.segments_container):
            self._request("PUT", self._path(container), expect=(201, 202))
        self._containers_ready = True

    def _get_again(self, path: str, chunk_size: int) -> Iterator[bytes]:
        access = self._auth.access()
        with self._client.stream(
            "GET", access.storage_url + path, headers=_token(access.token)
        ) as response:
            self._check(response, "GET", path, expect=(200,))
            yield from response.iter_bytes(chunk_size)

    def _request(
        self,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...],
        headers: dict[str, str] | None = None,
        **kwargs: object,
    ) -> httpx.Response:
        """A call whose body can be sent again: signs in again once after a 401."""
        response = self._send_once(method, path, expect=(*expect, 401), headers=headers, **kwargs)
        if response.status_code == 401:
            self._auth.forget(response.request.headers["X-Auth-Token"])
            response = self._send_once(method, path, expect=expect, headers=headers, **kwargs)
        return response

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...],
        headers: dict[str, str] | None = None,
        **kwargs: object,
    ) -> httpx.Response:
        access = self._auth.access()
        try:
            response = self._client.request(
                method,
                access.storage_url + path,
                headers={**(headers or {}), **_token(access.token)},
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise _transport_error(method, path, exc) from None
        self._check(response, method, path, expect)
        return response

    def _check(
        self, response: httpx.Response, method: str, path: str, expect: tuple[int, ...]
    ) -> None:
        status = response.status_code
        if status in expect:
            return
        if status == 404:
            raise ObjectNotFound(f"backup object {path.split('/', 2)[-1]!r} does not exist")
        raise InfrastructureError(
            f"the backup store answered {status} to {method}",
            detail=f"{method} {path}: HTTP {status}",
            retryable=status >= 500 or status == 401,
        )

    def _segment(self, upload: str, index: int) -> str:
        return self._path(self.segments_container, f"{upload}/{index:08d}")

    @staticmethod
    def _path(container: str, name: str = "") -> str:
        return f"/{quote(container)}/{quote(name)}" if name else f"/{quote(container)}"


def _token(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def _transport_error(method: str, path: str, exc: httpx.HTTPError) -> InfrastructureError:
    unreachable = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    return InfrastructureError(
        "the backup store is unreachable"
        if unreachable
        else "the backup store broke off a transfer (an object may be damaged)",
        detail=f"{method} {path}: {type(exc).__name__}: {exc}",
        retryable=True,
    )


def _timestamp(last_modified: str) -> float:
    """Seconds since the epoch of a listing's `last_modified` (UTC, no zone suffix)."""
    try:
        return datetime.fromisoformat(last_modified).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return time.time()  # unknown: treat as fresh, never sweep it
