"""Shared fixtures: a clean environment for every test, and the test secrets.

The two secrets below are scanned for in every captured output by the secrets test: they must
never appear in anything routerctl prints, logs or writes.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes import FakeTime

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
