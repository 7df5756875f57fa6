"""Routing preview: predict which task of a router a prompt lands on, offline.

    from routerctl.predict import load_predictor, routing_table
    predictor = load_predictor()          # semantic if the extra is installed, else lexical
    prediction = predictor.predict(spec, "Why was I charged twice?")
    prediction.task, prediction.score, prediction.runner_up, prediction.predictor

DigitalOcean's router decides with its own routing model; this is a prediction, and every
output names the predictor that made it. Importing this package loads no embedding library:
the model loads on `load_predictor()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from routerctl.predict.base import (
    FALLBACK,
    Exemplar,
    Prediction,
    Predictor,
    Route,
    RoutingTable,
    preset_descriptions,
    routing_table,
    table_from_api,
)
from routerctl.predict.lexical import LexicalPredictor

Choice = Literal["auto", "semantic", "lexical"]
CHOICES: tuple[Choice, ...] = ("auto", "semantic", "lexical")

__all__ = [
    "CHOICES",
    "FALLBACK",
    "Choice",
    "Exemplar",
    "LexicalPredictor",
    "Prediction",
    "Predictor",
    "Route",
    "RoutingTable",
    "as_matcher",
    "emulator_routing",
    "load_predictor",
    "preset_descriptions",
    "routing_table",
    "table_from_api",
]

_loaded: dict[str, Predictor] = {}


def load_predictor(choice: str = "auto") -> Predictor:
    """The predictor to use. `auto`: the semantic one when `routerctl[semantic]` is installed,
    otherwise the lexical one. `semantic` raises SemanticUnavailable when it cannot load.
    Loaded once per process: the model is the expensive part."""
    if choice not in CHOICES:
        raise ValueError(f"unknown predictor {choice!r}: one of {', '.join(CHOICES)}")
    if choice == "lexical":
        return _loaded.setdefault("lexical", LexicalPredictor())
    if "semantic" not in _loaded:
        from routerctl.predict.semantic import SemanticPredictor, SemanticUnavailable

        try:
            _loaded["semantic"] = SemanticPredictor()
        except SemanticUnavailable:
            if choice == "semantic":
                raise
            return _loaded.setdefault("lexical", LexicalPredictor())
    return _loaded["semantic"]


class _PredictorMatcher:
    """A predictor in the shape the emulator's inference route takes (`Emulator(matcher=)`).
    The emulator's routing text already holds the system prompt, and the API keeps no test
    prompts, so the query goes in whole and there are no exemplars to leave out."""

    def __init__(self, predictor: Predictor) -> None:
        self._predictor = predictor
        self._presets = preset_descriptions()

    @property
    def name(self) -> str:
        return self._predictor.name

    def __call__(self, router: Mapping[str, Any], prompt: str) -> tuple[str, float]:
        got = self._predictor.predict(table_from_api(router, self._presets), prompt)
        return got.task, got.score


def as_matcher(predictor: Predictor) -> _PredictorMatcher:
    """The predictor as an emulator matcher: the CLI plugs it in at start-up, so the emulator
    stays free of routerctl imports."""
    return _PredictorMatcher(predictor)


def emulator_routing() -> dict[str, Any]:
    """`Emulator(**emulator_routing())`: the default predictor on the inference route, named
    in its `x-emulator-predictor` header. The CLI calls this at start-up (the injection that
    keeps the emulator free of routerctl imports)."""
    return {"matcher": as_matcher(load_predictor())}
