"""Fixtures for the contract tests; the validator setup itself is contract/validator.py."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_core import OpenAPI

from contract.validator import load_description
from routerctl.emulator import Emulator


@pytest.fixture(scope="session")
def description() -> dict[str, Any]:
    return load_description()


@pytest.fixture(scope="session")
def openapi(description: dict[str, Any]) -> OpenAPI:
    return OpenAPI.from_dict(copy.deepcopy(description))


@pytest.fixture
def fresh_emulator(api_token: str) -> Iterator[Emulator]:
    """A private emulator (the session one's log would mix in other tests' requests)."""
    with Emulator(token=api_token) as emulator:
        yield emulator
