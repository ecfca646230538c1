"""Bring an instance's engine to its configuration group (attach, detach, group changed)."""

from __future__ import annotations

from strongroom.jobs import kinds
from strongroom.steps.configuration import (
    ApplyConfiguration,
    ConfigurationApplied,
    RestartIfPending,
    configuration_not_applied,
)
from strongroom.workflows.base import Workflow

apply_configuration = Workflow(
    name=kinds.APPLY_CONFIGURATION,
    steps=(ApplyConfiguration(), RestartIfPending(), ConfigurationApplied()),
    on_failure=configuration_not_applied,
    rollback=False,
)
