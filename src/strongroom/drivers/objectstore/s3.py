"""Objects in any S3-compatible store, through boto3 (path-style addressing, SigV4).

A put holds one part (`part_size` bytes) in memory at a time. An object that fits in one
part is one PutObject; a larger one is a multipart upload completed only after its last part,
so readers never see a part of it. When the chunks (or the store) fail, the upload is aborted
and its parts are gone. A worker killed mid-put leaves an unfinished upload (invisible, but
billed): `sweep_orphans` aborts those. The bucket is created on first use.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

from strongroom.config.settings import S3StoreSettings
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.objectstore.base import ObjectNotFound
from strongroom.drivers.objectstore.keys import checked_key
from strongroom.drivers.objectstore.segments import Segmenter

MAX_PARTS = 10_000  # the S3 limit of a multipart upload
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


def s3_client(settings: S3StoreSettings) -> Any:
    """A boto3 client as the settings say (path-style, SigV4, checksums only when required,
    which S3-compatible stores other than AWS need). One per endpoint and credentials, shared:
    building one takes ~0.4 s and clients are thread-safe."""
    return _client(
        settings.endpoint_url,
        settings.access_key,
        settings.secret_key.get_secret_value(),
        settings.region,
        settings.timeout_seconds,
        str(settings.ca_file) if settings.ca_file else None,
    )


@functools.lru_cache(maxsize=16)
def _client(  # the cache key: every setting the client depends on
    endpoint_url: str, access_key: str, secret: str, region: str, timeout: float, ca: str | None
) -> Any:
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        region_name=region,
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": 3, "mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        verify=ca,
        config=config,
    )


class S3ObjectStore:
    """An `ObjectStore` in one bucket."""

    def __init__(self, settings: S3StoreSettings, client: Any = None) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self.client = client or s3_client(settings)
        self._bucket_ready = False

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        key = checked_key(key)
        self._ensure_bucket()
        parts = Segmenter(chunks, self.settings.part_size)
        held = [_read_part(parts)]  # handed over, not kept: one part in memory at a time
        if not parts.has_more():
            self._call(self.client.put_object, Bucket=self.bucket, Key=key, Body=held[0])
            return held[0].size
        upload = self._call(self.client.create_multipart_upload, Bucket=self.bucket, Key=key)
        upload_id = upload["UploadId"]
        try:
            size = self._upload_parts(key, upload_id, held, parts)
        except BaseException:
            with contextlib.suppress(InfrastructureError):
                self._call(
                    self.client.abort_multipart_upload,
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                )
            raise
        return size

    def get(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        key = checked_key(key)
        response = self._call(self.client.get_object, Bucket=self.bucket, Key=key)
        body = response["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        except (BotoCoreError, ClientError) as exc:
            raise _store_error("GetObject", key, exc) from None
        finally:
            body.close()

    def delete(self, key: str) -> None:
        key = checked_key(key)
        with contextlib.suppress(ObjectNotFound):  # a missing bucket: nothing to delete
            self._call(self.client.delete_object, Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        key = checked_key(key)
        response = self._call(self.client.head_object, Bucket=self.bucket, Key=key)
        return int(response["ContentLength"])

    def sweep_orphans(self, idle_seconds: float = 3600.0) -> int:
        """Abort multipart uploads never completed that got no new part for `idle_seconds`
        (a put a killed worker left; a running one adds a part every few seconds); returns
        how many."""
        try:
            listing = self._call(self.client.list_multipart_uploads, Bucket=self.bucket)
        except ObjectNotFound:
            return 0
        cutoff = datetime.now(UTC) - timedelta(seconds=idle_seconds)
        swept = 0
        for upload in listing.get("Uploads", []):
            ids = {"Bucket": self.bucket, "Key": upload["Key"], "UploadId": upload["UploadId"]}
            parts = self._call(self.client.list_parts, **ids).get("Parts", [])
            last = max([upload["Initiated"], *(part["LastModified"] for part in parts)])
            if last <= cutoff:
                self._call(self.client.abort_multipart_upload, **ids)
                swept += 1
        return swept

    def _upload_parts(self, key: str, upload_id: str, held: list[Part], parts: Segmenter) -> int:
        done: list[dict[str, object]] = []
        size = 0
        while held or parts.has_more():
            data = held.pop() if held else _read_part(parts)
            number = len(done) + 1
            if number > MAX_PARTS:
                raise InfrastructureError(
                    "the backup is larger than S3 takes in one object",
                    detail=f"more than {MAX_PARTS} parts of {self.settings.part_size} bytes: "
                    "raise backups.s3.part_size",
                )
            answer = self._call(
                self.client.upload_part,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
            )
            done.append({"PartNumber": number, "ETag": answer["ETag"]})
            size += data.size
            del data  # before the next part is read
        self._call(
            self.client.complete_multipart_upload,
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": done},
        )
        return size

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            self._call(self.client.head_bucket, Bucket=self.bucket)
        except ObjectNotFound:
            extra: dict[str, Any] = {}
            if self.settings.region != "us-east-1":
                extra["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.region}
            try:
                self._call(self.client.create_bucket, Bucket=self.bucket, **extra)
            except InfrastructureError as exc:
                if "BucketAlreadyOwnedByYou" not in str(exc.detail):
                    raise
        self._bucket_ready = True

    def _call(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return operation(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise _store_error(operation.__name__, kwargs.get("Key", ""), exc) from None


class Part(io.RawIOBase):
    """One part as the pieces it arrived in, read as a seekable file: botocore hashes it for
    the signature, seeks back and sends it, without a joined copy of the part."""

    def __init__(self, pieces: list[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._starts = list(itertools.accumulate((len(p) for p in pieces), initial=0))
        self.size = self._starts[-1]
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = min(max(base + offset, 0), self.size)
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self.size:
            index = bisect.bisect_right(self._starts, self._position) - 1
            piece = self._pieces[index]
            offset = self._position - self._starts[index]
            count = min(len(view) - done, len(piece) - offset)
            view[done : done + count] = piece[offset : offset + count]
            done += count
            self._position += count
        return done


def _read_part(parts: Segmenter) -> Part:
    return Part(list(parts.segment()))


def _store_error(operation: str, key: str, exc: Exception) -> Exception:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if code in _MISSING:
            return ObjectNotFound(f"backup object {key!r} does not exist")
        return InfrastructureError(
            f"the backup store answered {status or code} to {operation}",
            detail=f"{operation} {key}: {code} (HTTP {status})",
            retryable=status >= 500 or status in (0, 429),
        )
    unreachable = isinstance(exc, EndpointConnectionError | ConnectTimeoutError)
    return InfrastructureError(
        "the backup store is unreachable"
        if unreachable
        else "the backup store broke off a transfer (an object may be damaged)",
        detail=f"{operation} {key}: {type(exc).__name__}: {exc}",
        retryable=True,
    )
