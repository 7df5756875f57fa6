"""Fixtures for end-to-end tests: one emulator per session on a free loopback port, reset
before every test that uses it, so tests are isolated without paying for a new server each.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from routerctl.emulator import Emulator

# What `emulator` restores before each test: the constructor defaults.
DEFAULT_CONFIG = {
    "latency_ms": 0.0,
    "rate_limit_per_minute": None,
    "summary_list": False,
    "page_size_cap": 200,
    "duplicate_names": False,
    "list_lag_ms": 0.0,
}


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """The session's emulator, serving from a daemon thread."""
    emulator = Emulator(port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    """The session emulator with no routers, faults, counters, or config changes.

    Config changes are undone here as well, because reset() keeps config on purpose.
    """
    emulator_server.reset()
    emulator_server.configure(**DEFAULT_CONFIG)
    yield emulator_server
    emulator_server.reset()
    emulator_server.configure(**DEFAULT_CONFIG)
