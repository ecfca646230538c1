"""`/v1.0/{project_id}/instances/{id}/metrics` and `/top-queries` (Strongroom extensions)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from strongroom.api.auth import Context
from strongroom.api.schemas.metrics import (
    MetricsDocument,
    TopQueriesDocument,
    parse_request,
    parse_top_queries_range,
    render_series,
    render_top_queries,
)
from strongroom.monitoring.queries import MetricsQueryService

router = APIRouter(prefix="/v1.0/{project_id}/instances")

NAMES = Query(
    default_factory=list,
    description="Metric names, comma-separated or repeated (default: CPU, memory, "
    "connections, questions, volume). Unknown names are a 400.",
)
START = Query(
    None,
    description="Range start, ISO 8601 (UTC if naive) or Unix seconds; "
    "default: an hour before `end`.",
)
END = Query(None, description="Range end, ISO 8601 or Unix seconds; default: now.")
STEP = Query(
    None,
    description="Seconds per point (>= 1; default: the collection interval or range/300); "
    "at most 11000 points.",
)


def _service(request: Request) -> MetricsQueryService:
    service: MetricsQueryService = request.app.state.metric_queries
    return service


@router.get("/{instance_id}/metrics")
def instance_metrics(
    request: Request,
    ctx: Context,
    instance_id: str,
    names: list[str] = NAMES,
    start: str | None = START,
    end: str | None = END,
    step: str | None = STEP,
) -> MetricsDocument:
    """Series of the instance's OS and engine metrics: gauges averaged per step, counters
    as per-second rates."""
    result = _service(request).series(ctx, instance_id, parse_request(names, start, end, step))
    return render_series(instance_id, result)


RANGE_START = Query(
    None,
    description="With `end` or alone: count what statements cost within the range (ISO 8601 "
    "or Unix seconds; default: an hour before `end`) instead of since the engine started.",
)
RANGE_END = Query(None, description="Range end, ISO 8601 or Unix seconds; default: now.")


@router.get("/{instance_id}/top-queries")
def instance_top_queries(
    request: Request,
    ctx: Context,
    instance_id: str,
    start: str | None = RANGE_START,
    end: str | None = RANGE_END,
) -> TopQueriesDocument:
    """The engine's normalised statements with the largest total time: since it started, or,
    with `start`/`end`, within that range (calls, total and mean time, rows; differences of
    the snapshots the collector keeps: every minute for the raw retention, then hourly)."""
    within = parse_top_queries_range(start, end)
    return render_top_queries(_service(request).top_queries(ctx, instance_id, within))
