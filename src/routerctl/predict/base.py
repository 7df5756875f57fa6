"""What every routing predictor shares: the router as a predictor sees it (a `RoutingTable`),
the answer (`Prediction`), and the `Predictor` protocol a new implementation plugs into.

A predictor never talks to a server and never sees model pools: which *task* a prompt lands
on is all it answers. DigitalOcean's router decides with its own routing model, so every
answer here is a prediction and carries the name of the predictor that made it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from routerctl.models import RouterSpec

FALLBACK = "fallback"


@dataclass(frozen=True)
class Route:
    """One task of a router: its key (custom task name or preset slug) and description."""

    key: str
    description: str
    preset: bool = False

    @property
    def name_text(self) -> str:
        """The key as words: `write_email` and `code-generation` carry meaning."""
        return self.key.replace("_", " ").replace("-", " ").strip()


@dataclass(frozen=True)
class Exemplar:
    """A labelled prompt of the router's own tests: evidence of what a route is for."""

    prompt: str
    system: str | None
    route: str  # a route key or FALLBACK


@dataclass(frozen=True)
class RoutingTable:
    """A router reduced to what routing depends on. Build one with `routing_table`."""

    name: str
    description: str
    routes: tuple[Route, ...]
    exemplars: tuple[Exemplar, ...] = ()

    def without(self, prompt: str, system: str | None) -> RoutingTable:
        """The table minus exemplars identical to this query (leave-one-out): a test case
        must not be predicted from itself."""
        kept = tuple(e for e in self.exemplars if (e.prompt, e.system) != (prompt, system))
        if len(kept) == len(self.exemplars):
            return self
        return RoutingTable(self.name, self.description, self.routes, kept)


@dataclass(frozen=True)
class Prediction:
    task: str  # a route key, or "fallback"
    score: float
    runner_up: str | None
    runner_up_score: float | None
    predictor: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "score": round(self.score, 4),
            "runner_up": self.runner_up,
            "runner_up_score": None
            if self.runner_up_score is None
            else round(self.runner_up_score, 4),
            "predictor": self.predictor,
        }


@runtime_checkable
class Predictor(Protocol):
    """Anything that predicts a route. `name` appears in every output that uses it."""

    @property
    def name(self) -> str: ...

    def scores(
        self, table: RoutingTable, prompt: str, system: str | None = None
    ) -> list[tuple[str, float]]:
        """Evidence per route key, in table order (higher is closer)."""
        ...

    def predict(
        self, router: RoutingTable | RouterSpec, prompt: str, system: str | None = None
    ) -> Prediction: ...


@functools.cache
def preset_descriptions() -> Mapping[str, str]:
    """task_slug → description, from the shipped task-preset catalog."""
    raw = (files("routerctl") / "data" / "task_presets.json").read_text(encoding="utf-8")
    return {
        str(t["task_slug"]): str(t.get("description") or "")
        for t in json.loads(raw)["tasks"]
        if t.get("task_slug")
    }


def routing_table(spec: RouterSpec, presets: Mapping[str, str] | None = None) -> RoutingTable:
    """The routing view of a router spec; its `tests:` become exemplars."""
    catalog = preset_descriptions() if presets is None else presets
    routes = [Route(key, task.description) for key, task in spec.tasks.items()]
    routes += [Route(slug, catalog.get(slug, ""), preset=True) for slug in spec.presets]
    exemplars = tuple(Exemplar(c.prompt, c.system, c.expect_task) for c in spec.tests)
    return RoutingTable(spec.name, spec.description, tuple(routes), exemplars)


def table_from_api(
    router: Mapping[str, Any], presets: Mapping[str, str] | None = None
) -> RoutingTable:
    """The routing view of a router in the API's shape (config nested or at the top level),
    as the emulator stores it. The API keeps no test prompts, so there are no exemplars."""
    catalog = preset_descriptions() if presets is None else presets
    config = router.get("config")
    source: Mapping[str, Any] = config if isinstance(config, Mapping) else router
    routes: list[Route] = []
    for policy in source.get("policies") or []:
        if not isinstance(policy, Mapping):
            continue
        custom = policy.get("custom_task")
        if isinstance(custom, Mapping) and custom.get("name"):
            routes.append(Route(str(custom["name"]), str(custom.get("description") or "")))
        elif policy.get("task_slug"):
            slug = str(policy["task_slug"])
            routes.append(Route(slug, catalog.get(slug, ""), preset=True))
    return RoutingTable(
        str(router.get("name") or ""), str(router.get("description") or ""), tuple(routes)
    )


def as_table(router: RoutingTable | RouterSpec) -> RoutingTable:
    return router if isinstance(router, RoutingTable) else routing_table(router)


def decide(scored: Sequence[tuple[str, float]], threshold: float, predictor: str) -> Prediction:
    """Best route wins (ties keep table order); below `threshold` the answer is fallback.
    A route scored under the FALLBACK key (evidence from fallback exemplars) can win too."""
    ranked = sorted(enumerate(scored), key=lambda item: (-item[1][1], item[0]))
    if not ranked:
        return Prediction(FALLBACK, 0.0, None, None, predictor)
    best_key, best = ranked[0][1]
    if best_key == FALLBACK:
        runner = ranked[1][1] if len(ranked) > 1 else None
        return Prediction(
            FALLBACK, best, runner[0] if runner else None, runner[1] if runner else None, predictor
        )
    if best < threshold:
        # The task that would have won is the runner-up: it shows how near the miss was.
        return Prediction(FALLBACK, best, best_key, best, predictor)
    runner = ranked[1][1] if len(ranked) > 1 else None
    return Prediction(
        best_key, best, runner[0] if runner else None, runner[1] if runner else None, predictor
    )
