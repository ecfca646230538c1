"""The API application factory."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from strongroom.api.errors import install_error_handlers
from strongroom.api.requests_log import install_request_log
from strongroom.api.routers import (
    accounts,
    backups,
    configurations,
    console,
    datastores,
    flavors,
    instance_metrics,
    instances,
    limits,
    logs,
    metrics,
    mgmt,
    prometheus,
    quotas,
    versions,
)
from strongroom.config import Settings
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.identity.authenticator import Authenticator
from strongroom.jobs.queue import JobQueue
from strongroom.keyring import Keyring, SecretBox
from strongroom.monitoring.exposition import ControlPlaneCollector
from strongroom.monitoring.instance_exposition import InstanceMetricsCollector
from strongroom.monitoring.queries import MetricsQueryService
from strongroom.monitoring.scrape_targets import ScrapeTargetService
from strongroom.services.accounts import AccountService
from strongroom.services.actions import ActionService
from strongroom.services.backup_schedules import BackupScheduleService
from strongroom.services.backups import BackupService
from strongroom.services.catalog import CatalogService
from strongroom.services.configurations import ConfigurationService
from strongroom.services.instances import InstanceService
from strongroom.services.logs import LogService
from strongroom.services.mgmt import MgmtService
from strongroom.services.policy import Policy
from strongroom.services.quotas import QuotaService
from strongroom.services.users import UserService
from strongroom.store.database import Database


def create_api_app(settings: Settings, db: Database) -> FastAPI:
    app = FastAPI(
        title="Strongroom",
        summary="Database-as-a-Service speaking the OpenStack Trove v1.0 API",
        version="1.0",
    )
    box = SecretBox(Keyring(settings.state_dir).fernet_key("job-secrets"))
    app.state.settings = settings
    app.state.policy = Policy.load(settings.api.policy_file)  # ConfigError if bad
    app.state.authenticator = Authenticator(settings, db)
    queue = JobQueue(db, box)
    app.state.instances = InstanceService(settings, db, queue)
    app.state.accounts = AccountService(db, queue)
    app.state.users = UserService(db, queue)
    app.state.configurations = ConfigurationService(db, queue)
    app.state.actions = ActionService(settings, db, queue)
    app.state.backups = BackupService(settings, db, queue)
    app.state.backup_schedules = BackupScheduleService(db)
    app.state.logs = LogService(db, queue, open_object_store(settings))
    app.state.catalog = CatalogService(settings, db)
    app.state.mgmt = MgmtService(settings, db, queue)
    app.state.quotas = QuotaService(settings, db)
    app.state.metrics = CollectorRegistry(auto_describe=False)
    app.state.metrics.register(ControlPlaneCollector(settings, db))
    app.state.metrics.register(InstanceMetricsCollector(db))
    app.state.metric_queries = MetricsQueryService(settings, db)
    app.state.scrape_targets = ScrapeTargetService(db)
    install_error_handlers(app)
    install_request_log(app)
    routers = (versions, instances, accounts, configurations, logs, flavors, datastores, limits)
    for module in (*routers, metrics):
        app.include_router(module.router)
    app.include_router(mgmt.router)
    app.include_router(quotas.router)
    app.include_router(instance_metrics.router)
    app.include_router(backups.router)
    app.include_router(prometheus.router)
    console.install(app)
    return app
