"""An agent older than `BackupRequest.encoding` refuses the field (400 naming it): the
control plane then asks for the native stream and gets a working download, never a failed
backup. The agent here is an httpx mock speaking the wire contract."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx

from strongroom.contracts.agent import ErrorDetail, ErrorResponse
from strongroom.contracts.backups import BackupKind, BackupRequest, BackupTrailer, StreamEncoding
from strongroom.contracts.framing import FRAME_END, data_frames, encode_frame
from strongroom.drivers.guest.http import AgentClient

NATIVE_STREAM = b"native backup bytes " * 1000


def old_agent(seen: list[dict[str, object]]) -> httpx.MockTransport:
    """Refuses any field it does not know, as the agent's strict wire models do."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "encoding" in body:
            error = ErrorDetail(
                code="bad_request", message="encoding: extra inputs are not permitted"
            )
            return httpx.Response(400, content=ErrorResponse(error=error).model_dump_json())
        trailer = BackupTrailer(
            kind=BackupKind.FULL,
            engine="mariadb",
            checkpoint="lsn=1",
            data_bytes=len(NATIVE_STREAM),
        )
        frames = b"".join(data_frames(iter([NATIVE_STREAM])))
        frames += encode_frame(FRAME_END, trailer.model_dump_json().encode())
        return httpx.Response(200, content=iter([frames]))  # streamed, as a real agent

    return httpx.MockTransport(handle)


def test_an_agent_refusing_the_encoding_field_is_asked_for_the_native_stream() -> None:
    seen: list[dict[str, object]] = []
    unused = Path("unused")  # the context below stands for the CA and client files
    context = ssl.create_default_context()
    client = AgentClient("198.18.0.2", 8443, "inst-1", unused, unused, unused, context=context)
    client._http = httpx.Client(base_url="https://198.18.0.2:8443", transport=old_agent(seen))
    request = BackupRequest(kind=BackupKind.FULL, encoding=StreamEncoding.ZSTD)
    with client.backup(request) as download:
        data = b"".join(download.chunks())
        trailer = download.trailer()
    assert data == NATIVE_STREAM
    assert download.encoding is StreamEncoding.NATIVE and trailer.encoding is StreamEncoding.NATIVE
    assert [b.get("encoding") for b in seen] == ["zstd", None]
