"""Who may see and touch what: project scoping shared by every use case."""

from __future__ import annotations

from sqlalchemy.orm import Session

from strongroom.contracts.errors import Forbidden, NotFound
from strongroom.identity.context import RequestContext
from strongroom.store import instances
from strongroom.store.models import Instance


def check_project(ctx: RequestContext, project_id: str) -> None:
    """The URL's project must be the token's, unless the token is an admin's."""
    if project_id != ctx.project_id and not ctx.is_admin:
        raise Forbidden("the token is not scoped to this project")


def check_write(ctx: RequestContext) -> None:
    if not ctx.can_write:
        raise Forbidden("the reader role may only read")


def visible_instance(session: Session, ctx: RequestContext, instance_id: str) -> Instance:
    """A live instance the caller may see; 404 otherwise (never reveal other projects')."""
    row = instances.get_live(session, instance_id)
    if row is None or (row.project_id != ctx.project_id and not ctx.is_admin):
        raise NotFound(f"No instance with id {instance_id} could be found.")
    return row
