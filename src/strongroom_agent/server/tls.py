"""Serving the app over HTTPS that requires a client certificate from the control plane's CA."""

from __future__ import annotations

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
    )


def serve(app: FastAPI, settings: AgentSettings) -> None:
    """Run the server in the foreground until SIGTERM/SIGINT."""
    uvicorn.Server(server_config(app, settings)).run()
