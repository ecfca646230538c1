"""mariadbd configuration rendered from the sandbox's memory limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom_agent.engines.mariadb.config import Layout, render_options, size_for, to_argv

pytestmark = pytest.mark.unit

LAYOUT = Layout(
    datadir=Path("/vol/mysql"),
    tmpdir=Path("/vol/tmp"),
    socket=Path("/run/i/mariadb/mariadbd.sock"),
    pidfile=Path("/run/i/mariadb/mariadbd.pid"),
    error_log=Path("/log/i/mariadb/mariadbd.err"),
)


@pytest.mark.parametrize("memory_mib", [128, 256, 512, 1000, 1024, 4096, 24576, 262144])
def test_buffer_pool_stays_within_sixty_percent(memory_mib: int) -> None:
    sizing = size_for(memory_mib)
    assert sizing.buffer_pool_mib <= memory_mib * 0.6
    assert sizing.buffer_pool_mib > memory_mib * 0.6 - 8
    assert sizing.buffer_pool_mib % 8 == 0


def test_known_sizes() -> None:
    assert size_for(1024).buffer_pool_mib == 608
    assert size_for(1024).max_connections == 200
    assert size_for(256).buffer_pool_mib == 152
    assert size_for(24576).buffer_pool_mib == 14744


def test_tiny_memory_gets_the_minimum_pool_and_connections() -> None:
    sizing = size_for(40)
    assert sizing.buffer_pool_mib == 32
    assert sizing.max_connections == 20
    assert sizing.log_file_mib == 48


def test_connections_grow_with_memory_up_to_a_cap() -> None:
    assert size_for(512).max_connections < size_for(2048).max_connections
    assert size_for(1 << 20).max_connections == 4000


def test_options_bind_the_user_address_and_private_paths() -> None:
    options = render_options(LAYOUT, size_for(1024), "198.18.5.7", 3306, "mysql")
    assert options["bind-address"] == "198.18.5.7"
    assert options["port"] == "3306"
    assert options["socket"] == "/run/i/mariadb/mariadbd.sock"
    assert options["datadir"] == "/vol/mysql"
    assert options["innodb-buffer-pool-size"] == "608M"
    assert options["user"] == "mysql"


def test_argv_starts_with_no_defaults() -> None:
    argv = to_argv("/usr/sbin/mariadbd", render_options(LAYOUT, size_for(512), "::1", 3307, "m"))
    assert argv[:2] == ["/usr/sbin/mariadbd", "--no-defaults"]
    assert "--skip-name-resolve" in argv
    assert "--port=3307" in argv
