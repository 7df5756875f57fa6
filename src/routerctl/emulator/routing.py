"""The emulator's routing: which model serves a request once a task is chosen, and the hook
through which the task is chosen.

The real DigitalOcean router decides with a routing model of its own. The emulator does not
pick tasks itself: a *matcher* is injected (`Emulator(matcher=...)`), and `routerctl emulator`
injects routerctl's routing predictor (`routerctl.predict`, semantic when the extra is
installed, else word overlap). That keeps this package free of any import from the rest of
routerctl. With no matcher every request goes to the fallback, as a router with no usable
routing model would send it.

Model choice within the chosen pool follows `selection_policy.prefer`:
- `none`: the first listed model (manual ranking).
- `fastest`: also the first listed model. The emulator has no latency data.
- `cheapest`: the model with the lowest input + output price per million tokens in the
  packaged model catalog. Unpriced models go last, and ties keep the listed order.

A fallback uses the router's first fallback model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from routerctl.emulator import catalog

FALLBACK_ROUTE = "fallback"


class Matcher(Protocol):
    """Picks the task for a request: (router in the API's shape, routing text: the system
    prompt and the latest user turn) → (route key or "fallback", score). Its `name` is the
    `x-emulator-predictor` header; with no matcher the header says `none`."""

    @property
    def name(self) -> str: ...

    def __call__(self, router: Mapping[str, Any], prompt: str) -> tuple[str, float]: ...


def _policies(router: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    # Accept the stored/GET shape (config nested) and the create-body shape (top level).
    config = router.get("config")
    source = config if isinstance(config, Mapping) else router
    policies = source.get("policies") or []
    return [p for p in policies if isinstance(p, Mapping)]


def _fallback_models(router: Mapping[str, Any]) -> list[str]:
    config = router.get("config")
    source = config if isinstance(config, Mapping) else router
    return [m for m in source.get("fallback_models") or [] if isinstance(m, str)]


def task_text(policy: Mapping[str, Any], presets: Mapping[str, str]) -> tuple[str, str]:
    """(route, text) of a policy: a custom task's name and description, or a preset's slug
    and its description from `presets`."""
    custom = policy.get("custom_task")
    if isinstance(custom, Mapping) and custom.get("name"):
        name = str(custom["name"])
        return name, f"{name} {custom.get('description') or ''}"
    slug = str(policy.get("task_slug") or "")
    return slug, f"{slug} {presets.get(slug, '')}"


def choose_model(
    models: Iterable[str], prefer: str, prices: Mapping[str, float] | None = None
) -> str:
    """The model a selection policy picks from a pool (see the module docstring)."""
    pool = list(models)
    if not pool:
        raise ValueError("empty model pool")
    if prefer != "cheapest":
        return pool[0]
    table = catalog.model_prices() if prices is None else prices
    # sorted() is stable, so equal prices (and all unpriced models) keep the listed order.
    return sorted(pool, key=lambda m: (m not in table, table.get(m, 0.0)))[0]


def select_route(
    router: dict[str, Any],
    prompt: str,
    presets: dict[str, str],
    matcher: Matcher | None = None,
    *,
    prices: Mapping[str, float] | None = None,
) -> tuple[str, str, float]:
    """Pick (route, model, score) for `prompt` on `router`.

    `presets` maps task_slug → description. `prices` maps model id → input+output price per
    million tokens (default: the packaged catalog). The route is the matcher's custom task
    name or preset slug, or "fallback" (also when the matcher names no task of the router, or
    the task has no models). Raises ValueError if the answer is the fallback and the router
    has no fallback models, because there is then no model to name.
    """
    policies = _policies(router)
    route, score = matcher(router, prompt) if matcher is not None else (FALLBACK_ROUTE, 0.0)
    for policy in policies:
        if task_text(policy, presets)[0] != route:
            continue
        models = [m for m in policy.get("models") or [] if isinstance(m, str)]
        if models:
            selection = policy.get("selection_policy")
            prefer = selection.get("prefer") if isinstance(selection, Mapping) else None
            return route, choose_model(models, str(prefer or "none"), prices), score
        break
    fallbacks = _fallback_models(router)
    if not fallbacks:
        raise ValueError("no task matched and the router has no fallback models")
    return FALLBACK_ROUTE, fallbacks[0], score


def message_text(content: Any) -> str:
    """Text of an OpenAI message `content`: a string, or a list of parts with `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return ""


def estimate_tokens(text: str) -> int:
    """Deterministic token estimate: about 4 tokens per 3 words, at least 1 for any text."""
    words = len(text.split())
    return math.ceil(words * 4 / 3) if words else 0
