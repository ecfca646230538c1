"""Shapes of the mgmt (admin) API: instances with their infrastructure, and admin actions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from strongroom.api.schemas.common import Body, timestamp
from strongroom.contracts.errors import BadRequest
from strongroom.domain.instance_status import shown_status
from strongroom.services.mgmt import JobView, MgmtInstanceView

# Trove's mgmt action and troveclient's spelling of the same thing; and the force delete.
RESET_ACTIONS = ("reset_status", "reset-task-status")
ACTIONS = (*RESET_ACTIONS, "force_delete")


class MgmtActionBody(Body):
    """`POST /mgmt/instances/{id}/action`: exactly one admin action."""

    reset_status: dict[str, Any] | None = None
    reset_task_status: dict[str, Any] | None = Field(default=None, alias="reset-task-status")
    force_delete: dict[str, Any] | None = None

    def chosen(self) -> str:
        """`reset_status` or `force_delete`."""
        given = [name for name in self.model_fields_set if getattr(self, name) is not None]
        if len(given) != 1:
            raise BadRequest(f"Give exactly one action: {', '.join(ACTIONS)}.")
        return "force_delete" if given == ["force_delete"] else "reset_status"


def render_mgmt_instance(view: MgmtInstanceView, *, detail: bool) -> dict[str, Any]:
    row, place = view.instance, view.placement
    doc: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "tenant_id": row.project_id,
        "status": shown_status(row.status),
        "task_status": row.status,
        "operating_status": row.operating_status,
        "flavor": {"id": row.flavor_id},
        "datastore": {"type": row.datastore, "version": row.datastore_version},
        "created": timestamp(row.created_at),
        "updated": timestamp(row.updated_at),
        "deleted": row.deleted_at is not None,
        "deleted_at": timestamp(row.deleted_at),
        "server": {"id": place.server_id, "host": place.host},
        "management_address": view.management_address,
        "agent": {"certificate_expires": timestamp(view.agent_certificate_expires)},
        "volume": {
            "path": place.volume_path,
            "mountpoint": place.mountpoint,
            "size": row.volume_size,
            "used": row.volume_used,
        },
    }
    if detail:
        doc["ports"] = [
            {"role": p.role, "network": p.network, "address": p.address} for p in view.ports
        ]
        doc["fault"] = (
            {"message": row.fault_message, "details": row.fault_details}
            if row.fault_message
            else None
        )
        doc["jobs"] = [_render_job(j) for j in view.jobs]
    return doc


def _render_job(job: JobView) -> dict[str, Any]:
    return {
        "id": job.id,
        "workflow": job.workflow,
        "state": job.state,
        "direction": job.direction,
        "step": job.step_index,
        "attempts": job.attempts,
        "error_code": job.error_code,
        "error_message": job.error_message,
        "created": timestamp(job.created_at),
        "finished": timestamp(job.finished_at),
    }
