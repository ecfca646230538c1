"""Shapes of the metric extension: query parameters in, series and top queries out."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from strongroom.contracts.errors import BadRequest
from strongroom.monitoring.queries import (
    Series,
    SeriesRequest,
    SeriesResult,
    TopQueriesRange,
    TopQueriesResult,
    unit_of,
)


class SeriesView(BaseModel):
    name: str
    kind: str = Field(description="`gauge` (averaged per step) or `counter` (rate per second).")
    unit: str
    description: str
    points: list[tuple[float, float]] = Field(
        description="[unix time of the step's start, value], steps without data left out."
    )


class MetricsView(BaseModel):
    instance_id: str
    start: str
    end: str
    step: float = Field(description="Seconds per point.")
    series: list[SeriesView]


class MetricsDocument(BaseModel):
    metrics: MetricsView


class QueryView(BaseModel):
    digest: str
    schema_name: str | None
    text: str = Field(description="Normalised statement: literals are `?`.")
    calls: int
    total_time_ms: float
    mean_time_ms: float
    rows_sent: int
    rows_affected: int
    rows_examined: int


class TopQueriesView(BaseModel):
    collected: str | None = Field(description="When the list was fetched from the engine.")
    since: str | None = Field(
        None,
        description="With `start`/`end`: when the counted interval begins (the snapshot at or "
        "before `start`); null: counters since the engine started.",
    )
    queries: list[QueryView] = Field(
        description="Largest total time first: since the engine started, or within the range."
    )


class TopQueriesDocument(BaseModel):
    top_queries: TopQueriesView


def parse_request(
    names: list[str], start: str | None, end: str | None, step: str | None
) -> SeriesRequest:
    """Query parameters as a request: names comma-separated or repeated, times ISO 8601
    (naive means UTC) or Unix seconds, step in seconds."""
    split = tuple(n.strip() for value in names for n in value.split(",") if n.strip())
    return SeriesRequest(
        names=split,
        start=_time("start", start),
        end=_time("end", end),
        step_seconds=_number("step", step),
    )


def render_series(instance_id: str, result: SeriesResult) -> MetricsDocument:
    return MetricsDocument(
        metrics=MetricsView(
            instance_id=instance_id,
            start=_iso(result.start),
            end=_iso(result.end),
            step=result.step_seconds,
            series=[_series(s) for s in result.series],
        )
    )


def parse_top_queries_range(start: str | None, end: str | None) -> TopQueriesRange | None:
    """A range when either bound is given; None asks for counters since the engine started."""
    if not start and not end:
        return None
    return TopQueriesRange(start=_time("start", start), end=_time("end", end))


def render_top_queries(result: TopQueriesResult) -> TopQueriesDocument:
    collected = _iso(result.collected_at) if result.collected_at else None
    since = _iso(result.since) if result.since else None
    queries = [QueryView.model_validate(q) for q in result.queries]
    view = TopQueriesView(collected=collected, since=since, queries=queries)
    return TopQueriesDocument(top_queries=view)


def _series(found: Series) -> SeriesView:
    return SeriesView(
        name=found.info.name,
        kind=found.info.kind.value,
        unit=unit_of(found.info),
        description=found.info.help,
        points=[(t.replace(tzinfo=UTC).timestamp(), round(v, 6)) for t, v in found.points],
    )


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(name: str, raw: str | None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw.removesuffix("s"))
    except ValueError:
        raise BadRequest(f"`{name}` must be a number of seconds.") from None
    if not math.isfinite(value):
        raise BadRequest(f"`{name}` must be a finite number.")
    return value


def _time(name: str, raw: str | None) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        parsed = datetime.fromtimestamp(float(raw), UTC)
    except (ValueError, OverflowError, OSError):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(f"`{name}` must be ISO 8601 or Unix seconds.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
