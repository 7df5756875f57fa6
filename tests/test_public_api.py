"""The public Python API is exactly what docs/python-api.md promises (httpx's
test_exported_members idea): changing it means editing this list on purpose. And the CLI stays
fast to start: importing it loads none of the heavy libraries."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import routerctl

ROOT = Path(__file__).resolve().parents[1]

PUBLIC_API = [
    "Action",
    "ApiError",
    "ApplyError",
    "ApplyResult",
    "Change",
    "ConfigError",
    "Emulator",
    "ExitCode",
    "FieldChange",
    "Issue",
    "LiveRouter",
    "Plan",
    "PlanError",
    "PlanResult",
    "RouterClient",
    "RouterSpec",
    "RouterctlError",
    "SpecError",
    "apply_plan",
    "compute_plan",
    "load_plan",
    "load_project",
    "load_routers",
    "plan_project",
    "render_plan",
    "render_plan_json",
    "render_plan_markdown",
    "save_plan",
]


def test_all_is_the_pinned_sorted_list():
    assert routerctl.__all__ == PUBLIC_API
    assert sorted(routerctl.__all__) == routerctl.__all__


def test_every_exported_name_resolves():
    for name in routerctl.__all__:
        value = getattr(routerctl, name)
        assert value is not None, name
        assert getattr(value, "__name__", name) == name


def test_dir_lists_the_public_api():
    assert set(PUBLIC_API) <= set(dir(routerctl))


def test_public_functions_are_typed():
    for name in PUBLIC_API:
        value = getattr(routerctl, name)
        if inspect.isfunction(value):
            hints = inspect.get_annotations(value)
            assert "return" in hints, f"{name} has no return annotation"


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="does_not_exist"):
        routerctl.does_not_exist  # type: ignore[attr-defined]  # noqa: B018


HEAVY = ("pydantic", "httpx", "deepdiff", "yaml", "ruamel")


def modules_after(statement: str) -> set[str]:
    """Top-level packages a fresh interpreter has loaded after running `statement`."""
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in json.loads(result.stdout)}


def test_importing_the_cli_loads_no_heavy_library():
    loaded = modules_after("import routerctl.cli")
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


def test_importing_the_package_loads_no_heavy_library():
    loaded = modules_after("import routerctl")
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


def test_version_is_the_project_version_and_has_a_changelog_entry():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    result = subprocess.run(
        [sys.executable, "-m", "routerctl", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == f"routerctl, version {project['version']}"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    assert re.search(
        rf"^## \[{re.escape(project['version'])}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    )
