"""MariaDB metric plumbing without a server: digest rows, bounded performance_schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom_agent.engines.mariadb import metrics

pytestmark = pytest.mark.unit


def test_digest_row_becomes_milliseconds_and_means() -> None:
    row = ("abc", "shop", " SELECT * FROM t WHERE id = ? ", 4, 2_000_000_000, 4, 0, 40)
    digest = metrics._digest(row)
    assert digest.text == "SELECT * FROM t WHERE id = ?"
    assert digest.total_time_ms == 2.0 and digest.mean_time_ms == 0.5
    assert (digest.calls, digest.rows_sent, digest.rows_examined) == (4, 4, 40)


def test_performance_schema_is_on_with_sizes_following_connections() -> None:
    options = metrics.options(max_connections=100)
    assert options["performance-schema"] == "ON"
    assert options["performance-schema-max-thread-instances"] == "150"
    assert options["performance-schema-digests-size"] == str(metrics.DIGESTS_SIZE)
    assert options["performance-schema-events-statements-history-long-size"] == "0"


def test_no_socket_means_down(tmp_path: Path) -> None:
    assert metrics.sample(tmp_path / "missing.sock").up is False
