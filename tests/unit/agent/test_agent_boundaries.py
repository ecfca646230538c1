"""Architecture: the agent imports only contracts of ours; the engine interface is neutral."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import strongroom_agent
from strongroom.contracts.errors import ConfigError
from strongroom_agent.engines import create_engine, engine_classes
from strongroom_agent.engines.base import EngineEnvironment

pytestmark = pytest.mark.unit

AGENT_ROOT = Path(strongroom_agent.__file__).parent


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_agent_imports_only_contracts_of_strongroom() -> None:
    for path in AGENT_ROOT.rglob("*.py"):
        for module in imported_modules(path):
            if module == "strongroom" or module.startswith("strongroom."):
                assert module.startswith("strongroom.contracts"), f"{path}: {module}"


def test_engine_interface_names_no_datastore() -> None:
    for name in ("base.py", "process.py", "intent.py", "logfile.py"):
        text = (AGENT_ROOT / "engines" / name).read_text().lower()
        for word in ("mariadb", "mysql", "innodb", "postgres"):
            assert word not in text, f"{name} mentions {word}"


def test_unknown_engine_is_a_config_error() -> None:
    assert "mariadb" in engine_classes()
    env = EngineEnvironment(
        data_dir=Path("/vol"),
        run_dir=Path("/run/x"),
        log_dir=Path("/log/x"),
        memory_mib=512,
        vcpus=1,
        listen_address="127.0.0.1",
        port=None,
        os_user=None,
        start_timeout_seconds=1,
        stop_timeout_seconds=1,
    )
    with pytest.raises(ConfigError, match="oracle"):
        create_engine("oracle", env)
