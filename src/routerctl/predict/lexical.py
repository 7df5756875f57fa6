"""The lexical predictor: the emulator's word-overlap matcher (stems, a small synonym table,
Otsuka–Ochiai overlap; see `routerctl.emulator.routing`) behind the `Predictor` protocol,
plus the router's own test prompts as exemplars. Standard library only, so it is always
there: the semantic predictor falls back to it when its extra is not installed.

The term logic stays in the emulator package and is imported from here, not the other way
round: the emulator imports nothing outside `emulator/`, and one copy of the matcher means the
emulator's built-in routing and this predictor agree by construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from routerctl.emulator.routing import similarity, terms
from routerctl.predict.base import FALLBACK, Prediction, RoutingTable, as_table, decide

if TYPE_CHECKING:
    from routerctl.models import RouterSpec

NAME = "lexical"
# Chosen on the tuning half of bench/routing/corpus.yaml with exemplars on; the emulator's
# own MATCH_THRESHOLD (0.1) is kept for its built-in matcher, which has no exemplars.
TUNED_THRESHOLD = 0.06


def query_text(prompt: str, system: str | None) -> str:
    """What the router looks at: the system instructions and the user turn, as the emulator
    builds it for its inference route."""
    return f"{system}\n{prompt}" if system else prompt


class LexicalPredictor:
    """Word overlap with each task's name + description; with `use_exemplars`, also with the
    router's test prompts for that task (the best of the two counts)."""

    def __init__(self, *, threshold: float = TUNED_THRESHOLD, use_exemplars: bool = True):
        self.threshold = threshold
        self.use_exemplars = use_exemplars

    @property
    def name(self) -> str:
        return NAME

    def scores(
        self, table: RoutingTable, prompt: str, system: str | None = None
    ) -> list[tuple[str, float]]:
        query = terms(query_text(prompt, system))
        out: dict[str, float] = {
            r.key: similarity(query, terms(f"{r.key} {r.description}")) for r in table.routes
        }
        if self.use_exemplars:
            for example in table.without(prompt, system).exemplars:
                if example.route not in out and example.route != FALLBACK:
                    continue  # a stale expect_task names no route: no evidence for anything
                score = similarity(query, terms(query_text(example.prompt, example.system)))
                out[example.route] = max(out.get(example.route, 0.0), score)
        return list(out.items())

    def predict(
        self, router: RoutingTable | RouterSpec, prompt: str, system: str | None = None
    ) -> Prediction:
        table = as_table(router)
        return decide(self.scores(table, prompt, system), self.threshold, self.name)
