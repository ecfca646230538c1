"""Routes for metrics: each parses, delegates, returns."""

from __future__ import annotations

from fastapi import APIRouter, Query

from strongroom.contracts import agent as contract
from strongroom.contracts.metrics import TOP_QUERIES_MAX, MetricsSample, TopQueries
from strongroom_agent.metrics import MetricsService

LIMIT = Query(20, ge=1, le=TOP_QUERIES_MAX, description="Most digests to return.")


def metrics_routes(metrics: MetricsService) -> APIRouter:
    """The metric routes of `metrics`."""
    router = APIRouter()

    @router.get(contract.PATH_METRICS)
    def sample() -> MetricsSample:
        return metrics.sample()

    @router.get(contract.PATH_TOP_QUERIES)
    def top_queries(limit: int = LIMIT) -> TopQueries:
        return metrics.top_queries(limit)

    return router
