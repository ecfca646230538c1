"""The settings model: one section per concern, every option with a default and help."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from strongroom.config.certificates import CertificateSettings
from strongroom.config.keystone import KeystoneSettings
from strongroom.config.monitoring import MonitoringSettings


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(Section):
    url: str = Field(
        "",
        description="SQLAlchemy URL of the control DB; empty means SQLite in the state dir "
        "(e.g. postgresql+psycopg://user:pw@host/db).",
    )
    pool_size: int = Field(5, ge=1, le=100, description="Connections kept open (PostgreSQL).")


class ApiSettings(Section):
    host: str = Field("127.0.0.1", description="Address the Trove API listens on.")
    port: int = Field(8779, ge=1, le=65535, description="Port of the Trove API.")
    public_url: str = Field(
        "", description="Base URL clients reach the API at; empty means http://host:port."
    )
    max_page_size: int = Field(1000, ge=1, description="Largest `limit` a list accepts.")
    policy_file: Path | None = Field(
        None,
        description='YAML or TOML file narrowing policy rules (`rule = "expression"`); '
        "`strongroom policy list` shows every rule. A bad file stops start-up.",
    )

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class IdentitySettings(Section):
    mode: Literal["builtin", "keystone"] = Field(
        "builtin",
        description="`builtin`: the embedded Keystone v3 subset; `keystone`: tokens are "
        "validated against the external Keystone of `identity.keystone`.",
    )
    keystone: KeystoneSettings = Field(default_factory=KeystoneSettings)
    host: str = Field("127.0.0.1", description="Address the built-in identity listens on.")
    port: int = Field(5000, ge=1, le=65535, description="Port of the built-in identity.")
    public_url: str = Field("", description="Base URL of identity; empty means http://host:port.")
    token_ttl_seconds: int = Field(
        3600, ge=60, le=7 * 86400, description="Lifetime of an issued token."
    )
    region: str = Field("RegionOne", description="Region name in the service catalog.")

    @model_validator(mode="after")
    def _keystone_is_configured(self) -> IdentitySettings:
        ks = self.keystone
        if self.mode == "keystone" and not (ks.auth_url and ks.password.get_secret_value()):
            raise ValueError(
                "identity.mode = keystone needs identity.keystone.auth_url and password"
            )
        return self

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class WorkerSettings(Section):
    processes: int = Field(
        1, ge=1, le=32, description="Worker processes `strongroom up` runs (jobs in parallel)."
    )
    lease_seconds: float = Field(
        30.0, gt=0, description="A claimed job is another worker's after this long unrenewed."
    )
    poll_seconds: float = Field(0.5, gt=0, description="Idle wait between queue polls.")
    health_interval_seconds: float = Field(
        10.0, ge=1.0, le=3600, description="How often the health manager polls every agent."
    )
    reconcile_interval_seconds: float = Field(
        60.0, ge=1.0, description="How often the reconciler removes leftovers without a record."
    )
    crash_after_checkpoint: int | None = Field(
        None,
        ge=1,
        description="Fault injection for crash tests: the worker SIGKILLs itself right after "
        "its Nth checkpoint. Never set in production.",
    )


class QuotaSettings(Section):
    max_instances: int = Field(10, ge=-1, description="Instances per project (-1: unlimited).")
    max_volumes: int = Field(100, ge=-1, description="Volume GiB per project (-1: unlimited).")
    max_ram: int = Field(65536, ge=-1, description="Flavor RAM MiB per project (-1: unlimited).")
    max_backups: int = Field(50, ge=-1, description="Backups per project (-1: unlimited).")
    max_backup_gigabytes: int = Field(
        -1, ge=-1, description="GiB of stored backups per project (-1: unlimited)."
    )


class FlavorSettings(Section):
    id: str = Field(description="Stable flavor id (clients may also use the name).")
    name: str = Field(description="Flavor name shown to users.")
    ram: int = Field(gt=0, description="Memory limit in MiB.")
    vcpus: int = Field(gt=0, description="CPU limit in cores.")
    disk: int = Field(0, ge=0, description="Suggested volume size in GiB (informational).")


def _default_flavors() -> list[FlavorSettings]:
    return [
        FlavorSettings(id="1", name="sr.tiny", ram=512, vcpus=1, disk=1),
        FlavorSettings(id="2", name="sr.small", ram=1024, vcpus=1, disk=5),
        FlavorSettings(id="3", name="sr.medium", ram=2048, vcpus=2, disk=10),
    ]


class NetworkSettings(Section):
    name: str = Field(description="Network name (users may pass its id or name in `nics`).")
    role: Literal["management", "user"] = Field(
        description="`management`: control plane <-> agents only; `user`: where clients connect."
    )
    cidr: str = Field(
        description="IPv4 subnet inside 198.18.0.0/15; the host takes its first address."
    )

    @field_validator("cidr")
    @classmethod
    def _inside_reserved_range(cls, cidr: str) -> str:
        net = ipaddress.ip_network(cidr, strict=True)
        if not net.subnet_of(RESERVED_RANGE):  # type: ignore[arg-type]
            raise ValueError(f"{cidr} is not inside {RESERVED_RANGE}")
        if net.num_addresses < 8:
            raise ValueError(f"{cidr} is too small")
        return cidr


RESERVED_RANGE = ipaddress.ip_network("198.18.0.0/15")


def _default_networks() -> list[NetworkSettings]:
    return [
        NetworkSettings(name="management", role="management", cidr="198.18.0.0/24"),
        NetworkSettings(name="public", role="user", cidr="198.18.1.0/24"),
    ]


class FakeDriverSettings(Section):
    step_delay_seconds: float = Field(0.0, ge=0, description="Sleep in each fake operation.")
    fail_in: str = Field(
        "", description="Fake operation that fails for good (e.g. `guest.prepare`)."
    )
    crash_in: str = Field(
        "",
        description="Fault injection: the process SIGKILLs itself inside this fake operation, "
        "after its side effect and before it returns.",
    )


class LocalDriverSettings(Section):
    name_prefix: str = Field(
        "sr",
        pattern=r"^[a-z][a-z0-9]{0,7}$",
        description="Prefix of every namespace, link and cgroup the local backend makes "
        "(1-8 of [a-z0-9], a letter first); tests use a unique one per run.",
    )
    volumes_dir: Path | None = Field(
        None, description="Where volume image files live; None: <state_dir>/volumes."
    )
    mounts_dir: Path | None = Field(
        None, description="Where volumes are mounted; None: <state_dir>/mounts."
    )
    run_dir: Path | None = Field(
        None,
        description="Per-instance sandbox dirs (agent config, certificates, pid files, logs); "
        "None: <state_dir>/run.",
    )
    pids_max: int = Field(512, ge=16, description="Most processes one sandbox may run.")

    def volumes_path(self, state_dir: Path) -> Path:
        return self.volumes_dir or state_dir / "volumes"

    def mounts_path(self, state_dir: Path) -> Path:
        return self.mounts_dir or state_dir / "mounts"

    def run_path(self, state_dir: Path) -> Path:
        return self.run_dir or state_dir / "run"

    def sandbox_dir(self, state_dir: Path, instance_id: str) -> Path:
        """The instance's own directory: files handed to the sandbox land here."""
        return self.run_path(state_dir) / instance_id

    def mountpoint(self, state_dir: Path, instance_id: str) -> Path:
        """Where the instance's volume is mounted (the engine's data dir)."""
        return self.mounts_path(state_dir) / instance_id


class DriverSettings(Section):
    backend: Literal["fake", "local"] = Field(
        "local",
        description="Infrastructure backend: `fake` (no real resources) or `local` (namespaces, "
        "bridges, nftables, loop volumes and cgroups on this host; needs root).",
    )
    fake: FakeDriverSettings = Field(default_factory=FakeDriverSettings)
    local: LocalDriverSettings = Field(default_factory=LocalDriverSettings)


class SwiftStoreSettings(Section):
    auth_url: str = Field(
        "",
        description="Keystone v3 (https://keystone/v3) or, with auth_version 1, the tempauth "
        "URL (http://swift:8080/auth/v1.0).",
    )
    auth_version: Literal["3", "1"] = Field(
        "3", description="`3`: Keystone v3 password auth; `1`: Swift's v1 auth (tempauth)."
    )
    user: str = Field("", description="User name (v1: `account:user`).")
    password: SecretStr = Field(SecretStr(""), description="Password (v1: the key).")
    project_name: str = Field("", description="Project to scope to (v3).")
    user_domain_name: str = Field("Default", description="Domain of the user (v3).")
    project_domain_name: str = Field("Default", description="Domain of the project (v3).")
    region: str = Field("", description="Catalog region (v3); empty: the first object-store.")
    interface: Literal["public", "internal", "admin"] = Field(
        "public", description="Catalog endpoint interface (v3)."
    )
    container: str = Field(
        "strongroom_backups",
        pattern=r"^[A-Za-z0-9_.-]{1,200}$",
        description="Container of the backups; segments go to `<container>_segments`.",
    )
    segment_size: int = Field(
        64 << 20,
        ge=1 << 20,
        le=5 << 30,
        description="Bytes per segment of a large object (1 MiB to 5 GiB).",
    )
    timeout_seconds: float = Field(60.0, gt=0, description="Timeout of each call to Swift.")
    ca_file: Path | None = Field(
        None, description="CA bundle that signs the endpoint's TLS certificate; None: the system's."
    )


class S3StoreSettings(Section):
    endpoint_url: str = Field(
        "", description="S3 endpoint, e.g. https://s3.example.net; empty: AWS for `region`."
    )
    access_key: str = Field("", description="Access key id.")
    secret_key: SecretStr = Field(SecretStr(""), description="Secret access key.")
    bucket: str = Field(
        "strongroom-backups",
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Bucket of the backups (created on first use).",
    )
    region: str = Field("us-east-1", description="Region the requests are signed for.")
    part_size: int = Field(
        64 << 20,
        ge=5 << 20,
        le=5 << 30,
        description="Bytes per part of a multipart upload (5 MiB to 5 GiB).",
    )
    timeout_seconds: float = Field(60.0, gt=0, description="Timeout of each call to S3.")
    ca_file: Path | None = Field(
        None, description="CA bundle that signs the endpoint's TLS certificate; None: the system's."
    )


class WalArchiveSettings(Section):
    ship_interval_seconds: float = Field(
        10.0,
        gt=0,
        description="How often the worker pulls the finished WAL files of instances whose "
        "datastore archives its WAL into the backup store.",
    )


class BackupSettings(Section):
    store: Literal["local", "swift", "s3", "fake"] = Field(
        "local",
        description="Where backups are kept: `local` (a directory on the host), `swift` "
        "(OpenStack Swift, `[backups.swift]`), `s3` (`[backups.s3]`) or `fake` (in memory, "
        "tests only).",
    )
    local_dir: Path | None = Field(
        None, description="Directory of the `local` store; None: <state_dir>/backups."
    )
    swift: SwiftStoreSettings = Field(default_factory=SwiftStoreSettings)
    s3: S3StoreSettings = Field(default_factory=S3StoreSettings)
    wal: WalArchiveSettings = Field(default_factory=WalArchiveSettings)

    def local_path(self, state_dir: Path) -> Path:
        return self.local_dir or state_dir / "backups"

    @model_validator(mode="after")
    def _store_is_configured(self) -> BackupSettings:
        missing: list[str] = []
        if self.store == "swift":
            sw = self.swift
            given = {"auth_url": sw.auth_url, "user": sw.user}
            given["password"] = sw.password.get_secret_value()
            if sw.auth_version == "3":
                given["project_name"] = sw.project_name
            missing = [f"backups.swift.{k}" for k, v in given.items() if not v]
        elif self.store == "s3":
            given = {"access_key": self.s3.access_key}
            given["secret_key"] = self.s3.secret_key.get_secret_value()
            missing = [f"backups.s3.{k}" for k, v in given.items() if not v]
        if missing:
            raise ValueError(f"backups.store = {self.store!r} needs {', '.join(missing)}")
        return self


class LimitSettings(Section):
    max_name_length: int = Field(255, ge=1, le=255, description="Longest instance name.")
    max_volume_size: int = Field(100, ge=1, description="Largest volume in GiB.")


class Settings(Section):
    state_dir: Path = Field(
        Path("/var/lib/strongroom"), description="Where the control plane keeps its state."
    )
    clouds_yaml: Path = Field(
        Path("~/.config/openstack/clouds.yaml"),
        description="clouds.yaml that `strongroom up` writes its two entries into.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of every process."
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    quotas: QuotaSettings = Field(default_factory=QuotaSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    flavors: list[FlavorSettings] = Field(
        default_factory=_default_flavors, description="Flavors offered to users."
    )
    drivers: DriverSettings = Field(default_factory=DriverSettings)
    certificates: CertificateSettings = Field(default_factory=CertificateSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    backups: BackupSettings = Field(default_factory=BackupSettings)
    networks: list[NetworkSettings] = Field(
        default_factory=_default_networks,
        description="Networks: exactly one `management`, at least one `user` (the first is the "
        "default for new instances).",
    )

    @field_validator("networks")
    @classmethod
    def _network_roles(cls, networks: list[NetworkSettings]) -> list[NetworkSettings]:
        roles = [n.role for n in networks]
        if roles.count("management") != 1 or "user" not in roles:
            raise ValueError("need exactly one management network and at least one user network")
        names = [n.name for n in networks]
        if len(set(names)) != len(names):
            raise ValueError("network names must be unique")
        nets = [ipaddress.ip_network(n.cidr) for n in networks]
        for i, a in enumerate(nets):
            for b in nets[i + 1 :]:
                if a.overlaps(b):
                    raise ValueError(f"networks {a} and {b} overlap")
        return networks

    @field_validator("flavors")
    @classmethod
    def _unique_flavors(cls, flavors: list[FlavorSettings]) -> list[FlavorSettings]:
        seen: set[str] = set()
        for f in flavors:
            for key in (f.id, f.name):
                if key in seen:
                    raise ValueError(f"flavor id/name {key!r} is used twice")
                seen.add(key)
        return flavors

    def pki_dir(self) -> Path:
        """The control plane's CA and client certificate (created on first use)."""
        return self.state_dir / "pki"

    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.state_dir / 'strongroom.db'}"

    def clouds_yaml_path(self) -> Path:
        return self.clouds_yaml.expanduser()
