"""Switch an instance's optional engine log on or off."""

from __future__ import annotations

from strongroom.jobs import kinds
from strongroom.steps.logs import SwitchLog, log_not_switched
from strongroom.workflows.base import Workflow

switch_log = Workflow(
    name=kinds.SWITCH_LOG,
    steps=(SwitchLog(),),
    on_failure=log_not_switched,
    rollback=False,
)
