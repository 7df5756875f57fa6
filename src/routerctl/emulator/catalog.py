"""Read-only data the emulator serves: task presets, router presets, the model list and prices.

Everything comes from the JSON snapshots packaged in `routerctl/data/` (see their `note`
fields for where the data came from). Each file is loaded once. The public functions return
fresh copies, so a caller that mutates a result cannot change what later requests see.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib.resources import files
from typing import Any

# Router presets are built from the task categories. The display names follow the four
# preset routers named in DigitalOcean's "How We Built Inference Router" post (BLOG-IR).
_PRESET_ROUTERS: tuple[tuple[str, str], ...] = (
    ("software-engineering", "Software Engineering"),
    ("general", "General"),
    ("writing", "Writing"),
    ("knowledge-base", "Knowledge Base & Document Intelligence"),
)


@functools.cache
def _load(name: str) -> Any:
    return json.loads((files("routerctl") / "data" / name).read_text(encoding="utf-8"))


def task_presets() -> list[dict[str, Any]]:
    """Task presets as `GET …/routers/tasks/presets` lists them (the packaged entries as is)."""
    return copy.deepcopy(list(_load("task_presets.json")["tasks"]))


def preset_descriptions() -> dict[str, str]:
    """task_slug → description, the text the routing matcher compares prompts with."""
    return {t["task_slug"]: t.get("description", "") for t in _load("task_presets.json")["tasks"]}


def models() -> list[dict[str, Any]]:
    """Models as `GET /v2/gen-ai/models` lists them.

    `price_source` is dropped. It is this project's own note on where a price came from,
    not an API field.
    """
    return [
        {k: copy.deepcopy(v) for k, v in m.items() if k != "price_source"}
        for m in _load("models.json")["models"]
    ]


def model_prices() -> dict[str, float]:
    """model id → input + output USD per million tokens, for priced models only."""
    prices: dict[str, float] = {}
    for m in _load("models.json")["models"]:
        pricing = m.get("pricing")
        if isinstance(pricing, dict):
            prices[m["id"]] = float(pricing.get("input_price_per_million", 0.0)) + float(
                pricing.get("output_price_per_million", 0.0)
            )
    return prices


def router_presets() -> list[dict[str, Any]]:
    """The four preset routers (`GET …/routers/presets`): one per task category, with a
    policy for each of the category's tasks and, as fallbacks, every model those tasks use
    (first appearance order)."""
    tasks = _load("task_presets.json")["tasks"]
    presets: list[dict[str, Any]] = []
    for slug, display in _PRESET_ROUTERS:
        members = [t for t in tasks if t.get("category") == slug]
        fallbacks: list[str] = []
        for task in members:
            fallbacks += [m for m in task.get("models", []) if m not in fallbacks]
        names = ", ".join(t["name"] for t in members)
        presets.append(
            {
                "slug": slug,
                "display_name": display,
                "short_description": f"Preset router for {display.lower()} workloads.",
                "long_description": f"Routes {display.lower()} requests across: {names}.",
                "config": {
                    "fallback_models": fallbacks,
                    "policies": [
                        {
                            "task_slug": t["task_slug"],
                            "models": list(t.get("models", [])),
                            "selection_policy": dict(
                                t.get("selection_policy") or {"prefer": "none"}
                            ),
                        }
                        for t in members
                    ],
                },
            }
        )
    return presets
