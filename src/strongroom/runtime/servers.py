"""Serve the Trove API and the built-in identity with uvicorn, in one event loop."""

from __future__ import annotations

import asyncio

import uvicorn

from strongroom.api.app import create_api_app
from strongroom.config import Settings
from strongroom.identity.keystone_app import create_identity_app
from strongroom.store.database import Database


def build_servers(settings: Settings, db: Database) -> list[uvicorn.Server]:
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                create_api_app(settings, db),
                host=settings.api.host,
                port=settings.api.port,
                log_level="warning",
                access_log=False,
            )
        )
    ]
    if settings.identity.mode == "builtin":
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    create_identity_app(settings, db),
                    host=settings.identity.host,
                    port=settings.identity.port,
                    log_level="warning",
                    access_log=False,
                )
            )
        )
    return servers


async def serve(servers: list[uvicorn.Server]) -> None:
    """Run every server until one stops; then stop the others (Ctrl-C stops one of them)."""
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
