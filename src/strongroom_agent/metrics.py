"""What the metric routes call: one sample of the engine and its volume, top queries.

Reads only: they never take the operation slot, so sampling goes on during a restart (the
engine then reports `up=False`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from strongroom.contracts.metrics import MetricsSample, TopQueries
from strongroom_agent import volume
from strongroom_agent.engines.base import Engine


class MetricsService:
    """Samples of one instance's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sample(self) -> MetricsSample:
        return MetricsSample(
            taken_at=datetime.now(UTC),
            engine=self.engine.sample_metrics(),
            volume=volume.metrics(self.engine.env.data_dir),
        )

    def top_queries(self, limit: int) -> TopQueries:
        return TopQueries(taken_at=datetime.now(UTC), queries=self.engine.top_queries(limit))
