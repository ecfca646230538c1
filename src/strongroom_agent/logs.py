"""The agent's logging: to stderr and to `agent.log` in the log dir, tagged with the instance."""

from __future__ import annotations

import logging
from pathlib import Path

LOG_FILE = "agent.log"


def configure(log_dir: Path, instance_id: str, level: int = logging.INFO) -> Path:
    """Send every log record to stderr and the agent's log file; return the file's path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_FILE
    formatter = logging.Formatter(
        f"%(asctime)s %(levelname)s instance={instance_id} %(name)s: %(message)s"
    )
    root = logging.getLogger()
    root.setLevel(level)
    for handler in (logging.StreamHandler(), logging.FileHandler(path)):
        handler.setFormatter(formatter)
        root.addHandler(handler)
    return path
