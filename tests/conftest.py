"""Shared fixtures: a clean environment for every test, and the test secrets.

The two secrets below are scanned for in every captured output by the secrets test: they must
never appear in anything routerctl prints, logs or writes.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes import FakeTime, routing_matcher
from routerctl.emulator import Emulator

TEST_TOKEN = "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000"
TEST_MODEL_KEY = "sk-do-m0de1acce55key00000000000000000000"

_CLEARED_PREFIXES = ("DIGITALOCEAN_", "ROUTERCTL_", "MODEL_ACCESS_KEY", "GRADIENT_")


def pytest_configure(config: pytest.Config) -> None:
    # The secrets scan covers the whole suite. Loaded by path because `pytest_plugins` cannot
    # import from tests/ under --import-mode=importlib.
    path = Path(__file__).with_name("secrets_plugin.py")
    spec = importlib.util.spec_from_file_location("routerctl_secrets_plugin", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    config.pluginmanager.register(plugin, "routerctl_secrets_plugin")


def pytest_addoption(parser: pytest.Parser) -> None:
    # Here, not in tests/golden/conftest.py: pytest reads options only from conftest files it
    # loads at start-up, so a plain `pytest --update-golden` needs the hook at the root.
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/plan.{txt,json,md} instead of comparing against them",
    )


@pytest.fixture(autouse=True)
def clean_environ(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never inherit a developer's real token, API URL or colour settings, and never
    write the developer's own cache directory (the price cache lives there by default)."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(_CLEARED_PREFIXES) or key in ("NO_COLOR", "FORCE_COLOR"):
            del os.environ[key]
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.getbasetemp() / "xdg-cache")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def api_token() -> str:
    return TEST_TOKEN


@pytest.fixture
def model_key() -> str:
    return TEST_MODEL_KEY


# --- the emulator: one per session for every test that asks for it ---------------------------
# Reset before every test that uses it, so tests are isolated without paying for a new server
# each. A test (or a whole module) may ask for emulator settings through indirect
# parametrization of `emulator`:
# `@pytest.mark.parametrize("emulator", [{"unique_names": True}], indirect=True)`
# (test_cli_e2e.py runs its core journeys so, with unique names enforced and with duplicates
# allowed). Journeys start their own emulator *process* instead (tests/journeys/conftest.py):
# they test the installed CLI and the emulator command as a user runs them.

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
    emulator = Emulator(port=0, **routing_matcher()).start()
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
