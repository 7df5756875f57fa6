"""routerctl: infrastructure as code for DigitalOcean Inference Routers.

The public Python API (stable; `tests/test_public_api.py` pins it). Names are imported lazily
so that `routerctl --help` does not pay for pydantic and httpx.

    from routerctl import load_project, plan_project, apply_plan, RouterClient
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Action": "routerctl.plan",
    "ApiError": "routerctl.errors",
    "ApplyError": "routerctl.errors",
    "ApplyResult": "routerctl.outcome",
    "Change": "routerctl.plan",
    "ConfigError": "routerctl.errors",
    "Emulator": "routerctl.emulator",
    "ExitCode": "routerctl.errors",
    "FieldChange": "routerctl.plan",
    "Issue": "routerctl.errors",
    "LiveRouter": "routerctl.models",
    "Plan": "routerctl.plan",
    "PlanResult": "routerctl.workflow",
    "PlanError": "routerctl.errors",
    "RouterClient": "routerctl.client",
    "RouterSpec": "routerctl.models",
    "RouterctlError": "routerctl.errors",
    "SpecError": "routerctl.errors",
    "apply_plan": "routerctl.apply",
    "compute_plan": "routerctl.diff",
    "load_plan": "routerctl.plan",
    "load_project": "routerctl.project",
    "load_routers": "routerctl.spec",
    "plan_project": "routerctl.workflow",
    "render_plan": "routerctl.render",
    "render_plan_json": "routerctl.render",
    "render_plan_markdown": "routerctl.render",
    "save_plan": "routerctl.plan",
}

__all__ = [
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

if TYPE_CHECKING:  # pragma: no cover
    from routerctl.apply import apply_plan
    from routerctl.client import RouterClient
    from routerctl.diff import compute_plan
    from routerctl.emulator import Emulator
    from routerctl.errors import (
        ApiError,
        ApplyError,
        ConfigError,
        ExitCode,
        Issue,
        PlanError,
        RouterctlError,
        SpecError,
    )
    from routerctl.models import LiveRouter, RouterSpec
    from routerctl.outcome import ApplyResult
    from routerctl.plan import Action, Change, FieldChange, Plan, load_plan, save_plan
    from routerctl.project import load_project
    from routerctl.render import render_plan, render_plan_json, render_plan_markdown
    from routerctl.spec import load_routers
    from routerctl.workflow import PlanResult, plan_project


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'routerctl' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
