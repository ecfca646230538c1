"""Serving the app over HTTPS that requires a client certificate from the control plane's CA."""

from __future__ import annotations

import asyncio
import ssl

import uvicorn
from fastapi import FastAPI

from strongroom_agent.settings import AgentSettings


def server_config(app: FastAPI, settings: AgentSettings) -> uvicorn.Config:
    """uvicorn settings: bound to the management address only, mutual TLS required."""
    return uvicorn.Config(
        app,
        host=settings.bind_host,
        port=settings.port,
        ssl_certfile=str(settings.server_cert),
        ssl_keyfile=str(settings.server_key),
        ssl_ca_certs=str(settings.client_ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        log_config=None,
        access_log=True,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
        # The control plane keeps its connection for the periodic reads (every 10 s by
        # default): a handshake per sample cost more than the sample.
        timeout_keep_alive=75,
    )


TICK_SECONDS = 1.0


class AgentServer(uvicorn.Server):
    """uvicorn's server, waking once a second instead of ten times: an agent mostly idles,
    and those wake-ups were most of its CPU with nobody asking. The date header and the exit
    check (SIGTERM) follow the tick."""

    async def main_loop(self) -> None:
        counter = 0  # uvicorn refreshes the date header when counter % 10 == 0
        while not await self.on_tick(counter):
            await asyncio.sleep(TICK_SECONDS)
            counter = (counter + 10) % 864000


def serve(app: FastAPI, settings: AgentSettings) -> None:
    """Run the server in the foreground until SIGTERM/SIGINT."""
    AgentServer(server_config(app, settings)).run()
