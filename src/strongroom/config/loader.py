"""Load settings from TOML; a bad file stops start-up with a message naming the key."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from strongroom.config.settings import Settings
from strongroom.contracts.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/strongroom/strongroom.toml")
ENV_VAR = "STRONGROOM_CONFIG"
_SECRET_KEYS = re.compile(r"password|secret|token|key", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@]+:)([^@]+)(@)")


def config_path() -> tuple[Path, bool]:
    """The file to read and whether it must exist (it must when named explicitly)."""
    named = os.environ.get(ENV_VAR)
    if named:
        return Path(named), True
    return DEFAULT_CONFIG_PATH, False


def load_settings(path: Path | None = None) -> Settings:
    if path is None:
        path, required = config_path()
    else:
        required = True
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    elif required:
        raise ConfigError(f"{path}: config file not found")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc


def _describe(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"unknown option `{where}`"
    return f"`{where}`: {err['msg']}"


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets replaced by `***`."""
    return _mask(settings.model_dump(mode="json"))


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if isinstance(value, str):
        if value and _SECRET_KEYS.search(key):
            return "***"
        return _URL_PASSWORD.sub(r"\1***\3", value)
    return value
