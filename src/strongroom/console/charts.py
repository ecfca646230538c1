"""The charts of the console's instance page: which stored series each one draws, and how."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from strongroom.domain.metric_catalog import CATALOG, DERIVED


@dataclass(frozen=True)
class Line:
    metric: str
    label: str


@dataclass(frozen=True)
class Chart:
    """One chart. `format` tells the page how to print values (`bytes`, `percent`, `number`,
    `seconds`); `scale` multiplies the API's values first (a CPU rate of 0.5 s/s is 50 %).
    An `optional` chart is left out while all of its series are empty."""

    id: str
    title: str
    unit: str
    format: str
    lines: tuple[Line, ...]
    scale: float = 1.0
    optional: bool = False

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "unit": self.unit,
            "format": self.format,
            "scale": self.scale,
            "optional": self.optional,
            "lines": [{"metric": line.metric, "label": line.label} for line in self.lines],
        }


CHARTS: tuple[Chart, ...] = (
    Chart("cpu", "CPU", "% of one core", "percent", (Line("cpu_seconds_total", "CPU"),), 100.0),
    Chart(
        "memory",
        "Memory",
        "bytes",
        "bytes",
        (Line("memory_bytes", "used"), Line("memory_limit_bytes", "limit")),
    ),
    Chart(
        "storage",
        "Storage",
        "bytes",
        "bytes",
        (Line("volume_used_bytes", "used"), Line("volume_total_bytes", "size")),
    ),
    Chart("connections", "Connections", "connections", "number", (Line("connections", "open"),)),
    Chart("qps", "Queries per second", "statements/s", "number", (Line("questions_total", "qps"),)),
    Chart(
        "transactions",
        "Transactions per second",
        "transactions/s",
        "number",
        (Line("transactions_committed_total", "commits"),),
        optional=True,
    ),
    Chart(
        "lag",
        "Replication lag",
        "seconds",
        "seconds",
        (Line("replication_lag_seconds", "lag"),),
        optional=True,
    ),
)
"""The instance page's charts, in page order. A series the metric catalog does not (yet) hold
is dropped, and a chart left without series is not offered."""


def available_charts() -> list[Chart]:
    known = CATALOG.keys() | DERIVED.keys()
    charts = []
    for chart in CHARTS:
        lines = tuple(line for line in chart.lines if line.metric in known)
        if lines:
            charts.append(replace(chart, lines=lines))
    return charts
