"""Fixtures for end-to-end tests: one emulator per session on a free loopback port, reset
before every test that uses it, so tests are isolated without paying for a new server each.

A test (or a whole module) may ask for emulator settings through indirect parametrization
of `emulator`: `@pytest.mark.parametrize("emulator", [{"unique_names": True}], indirect=True)`
(test_cli_e2e.py runs its core journeys so, with unique names enforced and with duplicates
allowed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from routerctl.emulator import Emulator

# What `emulator` restores before each test: the constructor defaults.
DEFAULT_CONFIG: dict[str, Any] = {
    "latency_ms": 0.0,
    "rate_limit_per_minute": None,
    "rate_limit_per_hour": None,
    "summary_list": False,
    "page_size_cap": 200,
    "unique_names": False,
    "regions_check": True,
    "put_semantics": "full",
    "default_prefer": None,
    "list_lag_seconds": 0.0,
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
def emulator(emulator_server: Emulator, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The session emulator with no routers, faults, counters, or config changes, then the
    settings of `request.param` (a dict for `configure`) when parametrized indirectly.

    Config changes are undone here as well, because reset() keeps config on purpose.
    """
    emulator_server.reset()
    emulator_server.configure(**DEFAULT_CONFIG)
    emulator_server.configure(**getattr(request, "param", {}))
    yield emulator_server
    emulator_server.reset()
    emulator_server.configure(**DEFAULT_CONFIG)
