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

from collections.abc import Callable, Mapping
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
    "load_predictor",
    "preset_descriptions",
    "routing_table",
    "table_from_api",
]

_loaded: dict[str, Predictor] = {}


def load_predictor(choice: Choice = "auto") -> Predictor:
    """The predictor to use. `auto`: the semantic one when `routerctl[semantic]` is installed,
    otherwise the lexical one. `semantic` raises SemanticUnavailable when it cannot load.
    Loaded once per process: the model is the expensive part."""
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


def as_matcher(
    predictor: Predictor,
) -> Callable[[Mapping[str, Any], str, str | None], tuple[str, float]]:
    """The predictor in the shape the emulator's inference route takes (`Emulator(matcher=)`):
    the emulator stays free of routerctl imports and the CLI plugs this in at start-up."""
    presets = preset_descriptions()

    def match(router: Mapping[str, Any], prompt: str, system: str | None) -> tuple[str, float]:
        got = predictor.predict(table_from_api(router, presets), prompt, system)
        return got.task, got.score

    return match
