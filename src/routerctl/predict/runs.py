"""The predictor in `routerctl test`: offline runs (`--offline`: every case predicted, no
server) and calibration (after a live run, how often the predictor agreed with the live
route, so a user sees how far to trust the preview for this router)."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files

from routerctl.models import RouteReply, RouterSpec, RoutingCase
from routerctl.predict.base import Predictor, RoutingTable, routing_table
from routerctl.routing_tests import RouterTestReport, Send, same_route


@functools.cache
def _prices() -> Mapping[str, float]:
    """model id → input + output USD per million tokens, from the shipped model catalog."""
    raw = json.loads((files("routerctl") / "data" / "models.json").read_text(encoding="utf-8"))
    return {
        str(m["id"]): float(p.get("input_price_per_million", 0.0))
        + float(p.get("output_price_per_million", 0.0))
        for m in raw["models"]
        if isinstance(p := m.get("pricing"), dict)
    }


def choose_model(models: Sequence[str], prefer: str) -> str:
    """The first listed model (`none`; `fastest` too, no latency data offline), or the
    cheapest priced one (`cheapest`; unpriced last, ties keep the listed order)."""
    if prefer != "cheapest":
        return models[0]
    table = _prices()
    return sorted(models, key=lambda m: (m not in table, table.get(m, 0.0)))[0]


def _model_for(spec: RouterSpec, route: str) -> str | None:
    """The model the selection policy would name for a route (a prediction too)."""
    if route in spec.tasks:
        task = spec.tasks[route]
        return choose_model(task.models, task.prefer) if task.models else None
    if route in spec.presets:
        preset = spec.presets[route]
        return choose_model(preset.models, preset.prefer) if preset.models else None
    return spec.fallback_models[0] if spec.fallback_models else None


def offline_send(predictor: Predictor, targets: Sequence[tuple[str, RouterSpec]]) -> Send:
    """A `Send` for run_routing_tests that asks the predictor instead of a server. Each case
    is predicted without itself as an exemplar (leave-one-out), or every case would pass."""
    tables: dict[str, tuple[RouterSpec, RoutingTable]] = {
        target: (spec, routing_table(spec)) for target, spec in targets
    }

    def send(target: str, case: RoutingCase) -> RouteReply:
        spec, table = tables[target]
        start = time.perf_counter()
        got = predictor.predict(table, case.prompt, case.system)
        elapsed = (time.perf_counter() - start) * 1000
        return RouteReply(route=got.task, model=_model_for(spec, got.task), latency_ms=elapsed)

    return send


@dataclass(frozen=True)
class Agreement:
    """How often the predictor's answer matched the live route, for one router."""

    router: str
    predictor: str
    agreed: int
    total: int  # cases the live router answered (errors are not counted)

    @property
    def rate(self) -> float:
        return self.agreed / self.total if self.total else 0.0


def agreement(
    reports: Sequence[RouterTestReport],
    specs: Mapping[str, RouterSpec],
    predictor: Predictor,
) -> list[Agreement]:
    """Per report: predicted route vs the live `x-model-router-selected-route`. A case whose
    live call failed or carried no route header says nothing about the predictor."""
    out: list[Agreement] = []
    for report in reports:
        spec = specs[report.router]
        table = routing_table(spec)
        agreed = total = 0
        for result in report.results:
            if result.error is not None or result.route is None:
                continue
            got = predictor.predict(table, result.case.prompt, result.case.system).task
            total += 1
            agreed += same_route(got, result.route)
        out.append(Agreement(report.router, predictor.name, agreed, total))
    return out
