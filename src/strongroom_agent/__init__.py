"""Runs inside the instance's sandbox; imports strongroom.contracts only."""

__version__ = "0.1.0"
