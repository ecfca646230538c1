"""Typed settings loaded from one TOML file; the only package that reads the environment.

Imports nothing of ours but `contracts`.
"""

from strongroom.config.loader import DEFAULT_CONFIG_PATH, load_settings, masked_dump
from strongroom.config.settings import Settings

__all__ = ["DEFAULT_CONFIG_PATH", "Settings", "load_settings", "masked_dump"]
