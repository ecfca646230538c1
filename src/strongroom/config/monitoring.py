"""The `[monitoring]` section: how often the collector samples, and how long samples stay."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MonitoringSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    collect_interval_seconds: float = Field(
        10.0,
        ge=1.0,
        le=3600,
        description="How often the collector samples every instance (sandbox and engine).",
    )
    scrape_token: SecretStr | None = Field(
        None,
        description="When set, `/metrics` and `/metrics/instances/{id}` answer only requests "
        "with `Authorization: Bearer <this token>` (Prometheus: `authorization.credentials`); "
        "unset: they answer anyone who reaches the API.",
    )
    collect_parallelism: int = Field(
        8,
        ge=1,
        le=64,
        description="How many instances the collector reads at the same time (each read waits "
        "on an agent round trip).",
    )
    top_queries_interval_seconds: float = Field(
        60.0, ge=1.0, le=86400, description="How often the engines' top queries are fetched."
    )
    top_queries_limit: int = Field(
        20, ge=1, le=100, description="Statement digests kept per instance (by total time)."
    )
    raw_retention_hours: float = Field(
        3.0,
        gt=0,
        le=168,
        description="Samples are kept as taken for this long, then averaged to one per minute.",
    )
    minute_retention_days: float = Field(
        7.0, gt=0, le=366, description="One-minute averages are kept this long, then dropped."
    )
    retention_interval_seconds: float = Field(
        60.0, ge=1.0, description="How often old samples are downsampled and dropped."
    )
    low_storage_ratio: float = Field(
        0.9,
        gt=0,
        le=1,
        description="A `low storage` event is recorded when the data volume gets fuller "
        "than this (used / total).",
    )
