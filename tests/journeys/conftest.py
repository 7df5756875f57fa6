"""Fixtures of the journeys (see kit.py): one emulator subprocess per test module, reset
before and after every test, and a fresh git repository per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from journeys.kit import EmulatorProcess, Repo


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[EmulatorProcess]:
    server = EmulatorProcess([])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(emulator_process: EmulatorProcess) -> Iterator[EmulatorProcess]:
    emulator_process.reset()
    yield emulator_process
    emulator_process.reset()


@pytest.fixture
def repo(tmp_path: Path, api: EmulatorProcess) -> Repo:
    return Repo(tmp_path / "repo", api)
