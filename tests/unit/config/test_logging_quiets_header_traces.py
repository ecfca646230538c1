"""At DEBUG, libraries that trace raw HTTP headers (tokens, signatures) stay at INFO."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from strongroom.config import Settings
from strongroom.runtime.prepare import HEADER_TRACING_LOGGERS, configure_logging

pytestmark = pytest.mark.unit


def test_debug_logging_never_traces_http_headers(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved = root.level, {n: logging.getLogger(n).level for n in HEADER_TRACING_LOGGERS}
    try:
        root.setLevel(logging.DEBUG)
        configure_logging(Settings(state_dir=tmp_path, log_level="DEBUG"))
        assert "httpcore" in HEADER_TRACING_LOGGERS
        for name in HEADER_TRACING_LOGGERS:
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
        assert logging.getLogger("strongroom").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
