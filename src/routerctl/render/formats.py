"""The JSON plan (also the saved-plan format), and a plan in the format a flag names."""

from __future__ import annotations

import json

from routerctl.plan import Plan
from routerctl.redact import inert, scrub
from routerctl.render.plan_markdown import render_plan_markdown
from routerctl.render.plan_text import render_plan

# --- json ---------------------------------------------------------------------------------------


def render_plan_json(plan: Plan) -> str:
    """The versioned JSON plan (also the saved-plan format)."""
    # inert() rewrites what json.dumps left raw in strings (DEL, C1, bidi) as \u escapes.
    return scrub(inert(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False), lines=True)) + "\n"


def render_plan_as(plan: Plan, fmt: str, *, color: bool = False, verbose: bool = False) -> str:
    if fmt == "json":
        return render_plan_json(plan)
    if fmt == "markdown":
        return render_plan_markdown(plan, verbose=verbose)
    return render_plan(plan, color=color, verbose=verbose)
