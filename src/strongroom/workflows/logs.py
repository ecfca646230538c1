"""Switch an instance's optional engine log on or off; publish or discard its copy in the
object store."""

from __future__ import annotations

from strongroom.jobs import kinds
from strongroom.steps.logs import (
    DiscardLog,
    PublishLog,
    SwitchLog,
    log_action_failed,
    log_not_switched,
)
from strongroom.workflows.base import Workflow

switch_log = Workflow(
    name=kinds.SWITCH_LOG,
    steps=(SwitchLog(),),
    on_failure=log_not_switched,
    rollback=False,
)

publish_log = Workflow(
    name=kinds.PUBLISH_LOG,
    steps=(PublishLog(),),
    on_failure=log_action_failed,
    rollback=False,
)

discard_log = Workflow(
    name=kinds.DISCARD_LOG,
    steps=(DiscardLog(),),
    on_failure=log_action_failed,
    rollback=False,
)
