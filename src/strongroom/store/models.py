"""SQLAlchemy models of the control DB. Every change here comes with an Alembic migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --- identity -------------------------------------------------------------------------------


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    domain_id: Mapped[str] = mapped_column(String(64), default="default")
    description: Mapped[str] = mapped_column(String(255), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    domain_id: Mapped[str] = mapped_column(String(64), default="default")
    password_hash: Mapped[str] = mapped_column(String(255))
    default_project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


# --- catalog --------------------------------------------------------------------------------


class Flavor(Base):
    __tablename__ = "flavors"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    ram: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    disk: Mapped[int] = mapped_column(Integer, default=0)


class Network(Base):
    """A Neutron-style network with one subnet (the only network model there is)."""

    __tablename__ = "networks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # "management" | "user"
    subnet_id: Mapped[str] = mapped_column(String(36), unique=True)
    cidr: Mapped[str] = mapped_column(String(64))
    host_address: Mapped[str] = mapped_column(String(64))


class Port(Base):
    """An address held on a network by an instance; unique while held (IPAM)."""

    __tablename__ = "ports"
    __table_args__ = (UniqueConstraint("network_id", "address", name="uq_ports_address"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"))
    role: Mapped[str] = mapped_column(String(16))  # "management" | "user"
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


# --- instances ------------------------------------------------------------------------------


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (Index("ix_instances_project_live", "project_id", "deleted_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    operating_status: Mapped[str] = mapped_column(String(32), default="")
    flavor_id: Mapped[str] = mapped_column(String(64))
    datastore: Mapped[str] = mapped_column(String(64))
    datastore_version: Mapped[str] = mapped_column(String(64))
    volume_size: Mapped[int] = mapped_column(Integer)
    volume_used: Mapped[float | None] = mapped_column(nullable=True)
    network_id: Mapped[str] = mapped_column(String(36))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    allowed_cidrs: Mapped[list[Any]] = mapped_column(default=list)
    fault_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    fault_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    fault_created_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    service_status_updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Strongroom extension (RDS-like): a delete is refused while this is set.
    deletion_protection: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    """Something that happened to an instance, in words a user can read."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


# --- durable jobs ---------------------------------------------------------------------------


class Job(Base):
    """A durable unit of work: a workflow name, its input, and its checkpointed progress."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claimable", "state", "lease_expires_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sealed_secrets: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # pending|running|succeeded|failed
    direction: Mapped[str] = mapped_column(String(8), default="do")  # do|undo
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# --- day-2: mirrors of what lives inside an instance, and configuration groups --------------


class InstanceDatabase(Base):
    """A database of an instance as the control plane asked for it (the jobs keep it true)."""

    __tablename__ = "instance_databases"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    character_set: Mapped[str | None] = mapped_column(String(64), nullable=True)
    collate: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # creating | ready | deleting
    created_at: Mapped[datetime] = mapped_column(DateTime)


class InstanceUser(Base):
    """A user of an instance (never its password) with the databases it may use."""

    __tablename__ = "instance_users"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    databases: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16))  # creating | ready | updating | deleting
    created_at: Mapped[datetime] = mapped_column(DateTime)


class InstanceRoot(Base):
    """Whether the network superuser exists, and when it was first enabled (Trove's history)."""

    __tablename__ = "instance_root"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    first_enabled_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Configuration(Base):
    """A configuration group: parameter values for one datastore version, owned by a project."""

    __tablename__ = "configurations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    datastore: Mapped[str] = mapped_column(String(64))
    datastore_version: Mapped[str] = mapped_column(String(64))
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class InstanceConfiguration(Base):
    """Which configuration group an instance uses (one at most)."""

    __tablename__ = "instance_configurations"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    configuration_id: Mapped[str] = mapped_column(String(36), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class InstanceLog(Base):
    """Whether an optional engine log of an instance is switched on."""

    __tablename__ = "instance_logs"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


# --- monitoring -----------------------------------------------------------------------------


class MetricSample(Base):
    """Every metric of one instance at one time, as `{name: value}` (names and kinds in
    `domain.metric_catalog`; counters as running totals). `resolution` is 0 for samples as
    taken and 60 for one-minute downsamples. One row per sample instead of one per value:
    measured 4.3x smaller (bench/metrics_storage.py)."""

    __tablename__ = "metric_samples"
    __table_args__ = (Index("ix_metric_samples_resolution_time", "resolution", "time"),)
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column()


class InstanceTopQueries(Base):
    """The engine's statement digests with the largest total time, as last fetched."""

    __tablename__ = "instance_top_queries"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    collected_at: Mapped[datetime] = mapped_column(DateTime)
    queries: Mapped[list[Any]] = mapped_column(default=list)


class TopQuerySnapshot(Base):
    """The top-query list as fetched at `time` (counters since the engine started), kept so
    that the API can answer what happened within a range; one per hour after the raw
    retention (`store.top_query_snapshots`)."""

    __tablename__ = "top_query_snapshots"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    time: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    queries: Mapped[list[Any]] = mapped_column(default=list)


class QuotaLimit(Base):
    """An operator's override of one quota for one project (the config holds the defaults)."""

    __tablename__ = "quota_limits"
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)


# --- backups --------------------------------------------------------------------------------


class Backup(Base):
    """A backup of an instance: a full, or an incremental on top of `parent_id`. The object
    (`location`, an object store key) is encrypted with a data key wrapped by `key_id`;
    `checkpoint` is the engine's position that an incremental child starts from."""

    __tablename__ = "backups"
    __table_args__ = (Index("ix_backups_instance_created", "instance_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # full | incremental
    datastore: Mapped[str] = mapped_column(String(64))
    datastore_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    fault_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    fault_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)
    location: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The instance's databases and users (names) when the backup was requested.
    accounts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stream_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Taken by the instance's schedule (retention deletes only chains of scheduled backups).
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class WalSegment(Base):
    """One WAL file of an instance, archived into the object store (`location`, encrypted
    like a backup with a data key wrapped by `key_id`; `checksum` the stored object's sha256).
    `ended_at`: the latest time its changes can be from (when the engine spooled it)."""

    __tablename__ = "wal_segments"
    __table_args__ = (Index("ix_wal_segments_instance_ended", "instance_id", "ended_at"),)
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    stored_bytes: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(1024))
    key_id: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    archived_at: Mapped[datetime] = mapped_column(DateTime)


class BackupSchedule(Base):
    """When an instance is backed up by the worker (daily at a UTC time, or every N hours),
    how often a full is taken (every `full_every`-th run; incrementals in between), and
    which scheduled chains are kept (the `keep_fulls` newest, or those of `keep_days`)."""

    __tablename__ = "backup_schedules"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    daily_at: Mapped[str | None] = mapped_column(String(5), nullable=True)
    every_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    full_every: Mapped[int] = mapped_column(Integer, default=1)
    keep_fulls: Mapped[int | None] = mapped_column(Integer, nullable=True)
    keep_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    next_run_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class InstanceHealth(Base):
    """What the workers' health duties remember of an instance between rounds, shared by every
    worker so that each change is said once: the agent's consecutive unanswered checks and when
    a worker last started it, the newest engine crash restart already told, and the WAL
    archive's state (a problem reported, the engine's archiver failure count last seen)."""

    __tablename__ = "instance_health"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_misses: Mapped[int] = mapped_column(Integer, default=0)
    agent_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    restarts_told_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    wal_unhealthy: Mapped[bool] = mapped_column(Boolean, default=False)
    wal_failures_seen: Mapped[float | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
