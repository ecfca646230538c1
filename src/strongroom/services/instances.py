"""Instance use cases: each validates, authorizes, and writes intent + job in one transaction."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy.orm import Session

from strongroom.config import Settings
from strongroom.contracts.errors import BadRequest, Conflict, NotFound, OverLimit
from strongroom.datastores import DatastoreDescription, DatastoreVersion, load_catalog
from strongroom.domain.firewall import parse_cidr
from strongroom.domain.instance_status import DELETABLE, MUTABLE, Status
from strongroom.domain.names import instance_name_problem
from strongroom.identity.context import RequestContext
from strongroom.jobs.kinds import APPLY_CONFIGURATION, UPDATE_ACCESS
from strongroom.jobs.kinds import CREATE_INSTANCE as CREATE
from strongroom.jobs.kinds import DELETE_INSTANCE as DELETE
from strongroom.jobs.queue import JobQueue
from strongroom.services.backups import BackupService, RestoreSource, restore_source
from strongroom.services.configurations import attachable
from strongroom.services.pitr import check_restore_point
from strongroom.services.requests import CreateInstance
from strongroom.services.scope import check_write, visible_instance
from strongroom.services.views import EventView, InstanceView, instance_views
from strongroom.store import accounts, catalog, configurations, instances, networks, quotas
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Flavor, Instance


class InstanceService:
    def __init__(self, settings: Settings, db: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue
        self.backups = BackupService(settings, db, queue)

    def create(
        self, ctx: RequestContext, req: CreateInstance, *, configuration: str | None = None
    ) -> InstanceView:
        check_write(ctx)
        self._check_name(req.name)
        restore = self._restore_source(ctx, req)
        if restore is not None:
            req = _with_backup_datastore(req, restore)
        datastore, version = _datastore(req.datastore, req.datastore_version)
        size = self._volume_size(req.volume_size)
        cidrs = _cidrs(req.allowed_cidrs)
        _check_databases_and_users(req, datastore)
        now = utcnow()
        with self.db.write() as s:
            flavor = _flavor(s, req.flavor_ref)
            network = networks.find_user_network(s, req.network)
            if network is None:
                raise BadRequest(f"Network {req.network} could not be found.")
            self._check_quota(s, ctx.project_id, flavor, size)
            group = attachable(s, ctx, configuration, datastore.name, version.name)
            row = Instance(
                id=str(uuid.uuid4()),
                name=req.name,
                project_id=ctx.project_id,
                status=Status.BUILD,
                operating_status="",
                flavor_id=flavor.id,
                datastore=datastore.name,
                datastore_version=version.name,
                volume_size=size,
                volume_used=None,
                network_id=network.id,
                is_public=req.is_public,
                allowed_cidrs=list(cidrs),
                deletion_protection=req.deletion_protection,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            _mirror_initial_accounts(s, row.id, req, restore)
            instances.record_event(s, row, "status", "BUILD: the instance was requested")
            self.queue.enqueue(
                s,
                CREATE,
                row.id,
                payload={
                    "databases": [vars(d) for d in req.databases],
                    "users": [
                        {"name": u.name, "host": u.host, "databases": list(u.databases)}
                        for u in req.users
                    ],
                    "restore_chain": list(restore.chain_ids) if restore else [],
                    "restore_time": req.restore_time.isoformat() if req.restore_time else None,
                },
                secrets={"user_passwords": {u.name: u.password for u in req.users}},
            )
            if group is not None:  # applied once the instance is built, restarting if needed
                configurations.attach(s, row.id, group.id)
                payload = {"previous": None, "restart_now": True}
                self.queue.enqueue(s, APPLY_CONFIGURATION, row.id, payload=payload)
            s.flush()
            return instance_views(s, [row], admin=ctx.is_admin)[0]

    def page(self, ctx: RequestContext, *, limit: int, marker: str | None) -> list[InstanceView]:
        limit = max(1, min(limit, self.settings.api.max_page_size))
        with self.db.read() as s:
            rows = list(instances.list_live(s, ctx.project_id, limit=limit, marker=marker))
            return instance_views(s, rows, admin=ctx.is_admin)

    def get(self, ctx: RequestContext, instance_id: str) -> InstanceView:
        with self.db.read() as s:
            row = visible_instance(s, ctx, instance_id)
            return instance_views(s, [row], admin=ctx.is_admin)[0]

    def events(self, ctx: RequestContext, instance_id: str) -> list[EventView]:
        """The instance's history, oldest first."""
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            return [
                EventView(e.id, e.kind, e.message, e.created_at)
                for e in instances.events_of(s, instance_id)
            ]

    def rename(self, ctx: RequestContext, instance_id: str, name: str) -> None:
        check_write(ctx)
        self._check_name(name)
        with self.db.write() as s:
            row = visible_instance(s, ctx, instance_id)
            if row.status not in MUTABLE and row.status != Status.BUILD:
                raise Conflict(f"Instance {instance_id} is {row.status}; it cannot be renamed.")
            if row.name != name:
                instances.record_event(s, row, "renamed", f"renamed from {row.name!r} to {name!r}")
                row.name = name
                row.updated_at = utcnow()

    def update_access(
        self, ctx: RequestContext, instance_id: str, is_public: bool, cidrs: tuple[str, ...]
    ) -> None:
        """Change who may connect; the worker applies it live (no engine restart)."""
        check_write(ctx)
        canonical = _cidrs(cidrs)
        with self.db.write() as s:
            row = visible_instance(s, ctx, instance_id)
            if row.status not in MUTABLE:
                raise Conflict(
                    f"Instance {instance_id} is {row.status}; access can change once it is ACTIVE."
                )
            row.is_public = is_public
            row.allowed_cidrs = list(canonical)
            row.updated_at = utcnow()
            who = "everyone" if is_public else (", ".join(canonical) or "its own network")
            instances.record_event(s, row, "access", f"access changed: open to {who}")
            self.queue.enqueue(s, UPDATE_ACCESS, row.id, payload={})

    def delete(self, ctx: RequestContext, instance_id: str, *, final_backup: bool = False) -> None:
        """Delete now, or (`final_backup`) once a final backup of it is COMPLETED."""
        check_write(ctx)
        with self.db.write() as s:
            row = visible_instance(s, ctx, instance_id)
            if row.status not in DELETABLE:
                raise Conflict(f"Instance {instance_id} is already being deleted.")
            if row.deletion_protection:
                raise Conflict(
                    f"Instance {instance_id} has deletion protection; turn it off first "
                    '(PUT {"instance": {"deletion_protection": false}}).'
                )
            if final_backup:
                name = f"final-{row.name}"[:255]
                self.backups.add_backup(s, row, name, None, None, then_delete_instance=True)
                instances.record_event(s, row, "delete", "delete requested after a final backup")
                return
            instances.set_status(s, row, Status.DELETING, "delete requested", operating="SHUTDOWN")
            self.queue.enqueue(s, DELETE, row.id, payload={})

    def set_deletion_protection(self, ctx: RequestContext, instance_id: str, on: bool) -> None:
        check_write(ctx)
        with self.db.write() as s:
            row = visible_instance(s, ctx, instance_id)
            if row.deletion_protection != on:
                row.deletion_protection = on
                row.updated_at = utcnow()
                what = "deletion protection " + ("on" if on else "off")
                instances.record_event(s, row, "deletion_protection", what)

    def _restore_source(self, ctx: RequestContext, req: CreateInstance) -> RestoreSource | None:
        if req.restore_from is None:
            return None
        if req.databases or req.users:
            raise BadRequest(
                "An instance restored from a backup gets its databases and users "
                "from the backup; do not give databases or users."
            )
        with self.db.read() as s:
            source = restore_source(s, ctx, req.restore_from)
            check_restore_point(s, source.chain_ids, source.datastore, req.restore_time)
            return source

    def _check_name(self, name: str) -> None:
        problem = instance_name_problem(name, self.settings.limits.max_name_length)
        if problem:
            raise BadRequest(f"Invalid instance name: {problem}.")

    def _volume_size(self, size: int | None) -> int:
        if size is None:
            raise BadRequest("A volume size is required (volume.size, in GiB).")
        top = self.settings.limits.max_volume_size
        if not 1 <= size <= top:
            raise BadRequest(f"Volume size {size} must be between 1 and {top} GiB.")
        return size

    def _check_quota(self, s: Session, project_id: str, flavor: Flavor, size: int) -> None:
        q = quotas.limits_for(s, project_id, self.settings.quotas)
        count, gib = instances.usage(s, project_id)
        if 0 <= q.max_instances < count + 1:
            raise OverLimit(f"Quota exceeded for instances: {count} of {q.max_instances} in use.")
        if 0 <= q.max_volumes < gib + size:
            raise OverLimit(f"Quota exceeded for volumes: {gib} of {q.max_volumes} GiB in use.")
        if q.max_ram >= 0:
            ram = sum(
                f.ram
                for fid in instances.flavor_ids_in_use(s, project_id)
                if (f := catalog.find_flavor(s, fid)) is not None
            )
            if ram + flavor.ram > q.max_ram:
                raise OverLimit(f"Quota exceeded for ram: {ram} of {q.max_ram} MiB in use.")


def _flavor(s: Session, ref: str | None) -> Flavor:
    if not ref:
        raise BadRequest("A flavor is required (flavorRef).")
    flavor = catalog.find_flavor(s, ref)
    if flavor is None:
        raise NotFound(f"Flavor {ref} could not be found.")
    return flavor


def _datastore(
    name: str | None, version: str | None
) -> tuple[DatastoreDescription, DatastoreVersion]:
    stores = load_catalog()
    if name is None:
        if len(stores) != 1:
            raise BadRequest("A datastore type is required.")
        store = stores[0]
    else:
        found = next((d for d in stores if name in (d.name, d.id)), None)
        if found is None:
            raise NotFound(f"Datastore {name} could not be found.")
        store = found
    chosen = store.version(version or store.default_version)
    if chosen is None or not chosen.active:
        raise NotFound(f"Datastore version {version} of {store.name} could not be found.")
    return store, chosen


def _cidrs(cidrs: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(parse_cidr(c) for c in cidrs))
    except ValueError as exc:
        raise BadRequest(f"Invalid access.allowed_cidrs: {exc}.") from exc


def _check_databases_and_users(req: CreateInstance, store: DatastoreDescription) -> None:
    rules = store.names
    names = [d.name for d in req.databases]
    if len(set(names)) != len(names):
        raise BadRequest("A database name is given twice.")
    for name in names:
        problem = rules.database_problem(name)
        if problem:
            raise BadRequest(f"Invalid database name {name!r}: {problem}.")
    users = [u.name for u in req.users]
    if len(set(users)) != len(users):
        raise BadRequest("A user name is given twice.")
    for u in req.users:
        problem = rules.user_problem(u.name)
        if problem:
            raise BadRequest(f"Invalid user name {u.name!r}: {problem}.")
        if len(u.password) < rules.min_password_length:
            raise BadRequest(
                f"The password of user {u.name} must have at least "
                f"{rules.min_password_length} characters."
            )
        unknown = set(u.databases) - set(names)
        if unknown:
            raise BadRequest(
                f"User {u.name} is granted databases that are not created: {sorted(unknown)}."
            )


def _with_backup_datastore(req: CreateInstance, restore: RestoreSource) -> CreateInstance:
    """The request with the backup's datastore; 400 if it names another one."""
    if req.datastore is not None and req.datastore != restore.datastore:
        raise BadRequest(f"The backup is of datastore {restore.datastore}, not {req.datastore}.")
    if req.datastore_version is not None and req.datastore_version != restore.datastore_version:
        raise BadRequest(
            f"The backup is of {restore.datastore} {restore.datastore_version}, "
            f"not {req.datastore_version}."
        )
    return dataclasses.replace(
        req, datastore=restore.datastore, datastore_version=restore.datastore_version
    )


def _mirror_initial_accounts(
    session: Session, instance_id: str, req: CreateInstance, restore: RestoreSource | None
) -> None:
    """The databases and users made at prepare (or restored), in the mirror the day-2 reads
    come from."""
    if restore is not None:
        for d in restore.accounts.get("databases", []):
            accounts.add_database(
                session,
                instance_id,
                d["name"],
                d.get("character_set"),
                d.get("collate"),
                state=accounts.READY,
            )
        for u in restore.accounts.get("users", []):
            accounts.add_user(
                session, instance_id, u["name"], u["host"], u["databases"], state=accounts.READY
            )
        return
    for d in req.databases:
        accounts.add_database(
            session, instance_id, d.name, d.character_set, d.collate, state=accounts.READY
        )
    for u in req.users:
        accounts.add_user(
            session, instance_id, u.name, u.host or "%", u.databases, state=accounts.READY
        )
