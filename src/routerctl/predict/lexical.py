"""The lexical predictor: word overlap between the prompt and each task's name and
description, and the router's own test prompts as exemplars. Standard library only, so it is
always there: the semantic predictor falls back to it when its extra is not installed.

How a text is compared:

1. Every text (the query, and each task's text) becomes a set of *terms*. Lowercase, split on
   anything that is not a letter or digit, drop stopwords, one-letter words and pure numbers,
   apply a light suffix stemmer (`stem`), then map a few synonyms onto one concept
   (`CONCEPTS`: "invoice", "charged" and "refund" all become "billing").
2. A task's text is its name plus its description (a preset's slug plus its catalog
   description): names such as `urgency_detection` carry meaning.
3. The score is the Otsuka–Ochiai coefficient (cosine similarity of binary term sets),
   |P ∩ T| / sqrt(|P| · |T|): it rewards covering a task's words and does not let a very
   long prompt match everything. With exemplars, a task scores the best of its text and its
   test prompts.
4. The best score wins (ties go to the task listed first); below the threshold, fallback.

This was the emulator's built-in matcher. It moved here so that the emulator imports nothing
from routerctl and no library module imports the emulator: `routerctl emulator` injects a
predictor into the emulator's inference route instead (`routerctl.predict.as_matcher`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from routerctl.predict.base import FALLBACK, Prediction, RoutingTable, as_table, decide

if TYPE_CHECKING:
    from routerctl.models import RouterSpec

# Below this Otsuka–Ochiai score the prompt "does not cleanly match" any task. 0.1 is about
# one shared term between a 10-term prompt and a 10-term task text. Lower values send
# unrelated chit-chat to a task on a single incidental word. Higher values push short, real
# tickets ("Why was I charged twice on invoice INV-3382?") to fallback.
MATCH_THRESHOLD = 0.1

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing don done during each either
    few for from further get got had has have having he her here hers him his how i if in into
    is it its itself just let me more most my myself no nor not now of off on once one only or
    other our ours out over own please same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would yet you your yours yourself im ive id dont
    cant thats whats etc via per give want need like know let
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Ordered: the first suffix that matches is replaced, and only if at least 3 letters remain.
# Enough to merge "charged"/"charges"/"charge" or "summarization"/"summarize", nothing more.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ification", "ify"),
    ("ization", "iz"),
    ("isation", "iz"),
    ("ation", "at"),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
    ("ly", ""),
    ("e", ""),
)

# Synonyms mapped onto one concept term. Kept small and generic to support-desk, writing and
# coding vocabulary. The left-hand concept must appear in a task's wording for the group to
# matter, so these cannot steer a prompt to a task that does not mention the concept.
_CONCEPT_WORDS: dict[str, str] = {
    "billing": "bill billed invoice charge charged refund payment pay paid receipt subscription",
    "account": "password login logon signin username credential credentials 2fa mfa",
    "bug": "buggy error errors crash crashes crashed broken exception traceback defect regression",
    "summary": "summaries summarize summarise summarization recap tldr overview digest",
    "reply": "replies respond response responses",
    "urgency": "urgent severity critical priority asap emergency",
    "email": "emails mail e-mail",
    "meeting": "meetings agenda sync standup call",
    "code": "coding function functions program script snippet",
    "test": "tests testing unittest pytest",
    "translate": "translation translated translating",
}

_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """Strip one common English suffix (see `_SUFFIXES`); short words are left alone."""
    if len(word) <= 3:
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and not (suffix == "s" and word.endswith("ss")):
            base = word[: -len(suffix)]
            if len(base) >= 3:
                return base + replacement
    return word


def _build_concepts() -> dict[str, str]:
    table: dict[str, str] = {}
    for concept, words in _CONCEPT_WORDS.items():
        for word in (concept, *words.split()):
            for token in _WORD.findall(word):
                table[stem(token)] = concept
    return table


CONCEPTS: Mapping[str, str] = _build_concepts()


def terms(text: str) -> frozenset[str]:
    """The term set of a text: tokens, minus stopwords/numbers, stemmed, synonyms merged."""
    out: set[str] = set()
    for token in _WORD.findall(text.lower()):
        if len(token) < 2 or token.isdigit() or token in STOPWORDS:
            continue
        term = stem(token)
        out.add(CONCEPTS.get(term, term))
    return frozenset(out)


def similarity(prompt_terms: frozenset[str], task_terms: frozenset[str]) -> float:
    """Otsuka–Ochiai coefficient |P∩T| / sqrt(|P|·|T|); 0.0 when either side is empty."""
    if not prompt_terms or not task_terms:
        return 0.0
    return len(prompt_terms & task_terms) / math.sqrt(len(prompt_terms) * len(task_terms))


NAME = "lexical"
# Chosen on the tuning half of bench/routing/corpus.yaml (bench/bench_routing.py); the
# historic MATCH_THRESHOLD (0.1) was the emulator's, for descriptions alone.
TUNED_THRESHOLD = 0.02
TUNED_WEIGHT = 0.25


def query_text(prompt: str, system: str | None) -> str:
    """What the router looks at: the system instructions and the user turn, as the emulator
    builds it for its inference route."""
    return f"{system}\n{prompt}" if system else prompt


class LexicalPredictor:
    """Word overlap with each task's name + description, and (weight λ = `exemplar_weight`)
    with the router's test prompts for that task, blended as the semantic predictor does:
    (1 - λ) · text + λ · max(text, best test prompt). λ = 0: descriptions only."""

    def __init__(
        self, *, threshold: float = TUNED_THRESHOLD, exemplar_weight: float = TUNED_WEIGHT
    ):
        self.threshold = threshold
        self.exemplar_weight = exemplar_weight

    @property
    def name(self) -> str:
        return NAME

    def scores(
        self, table: RoutingTable, prompt: str, system: str | None = None
    ) -> list[tuple[str, float]]:
        query = terms(query_text(prompt, system))
        text = {r.key: similarity(query, terms(f"{r.key} {r.description}")) for r in table.routes}
        lam = self.exemplar_weight
        if not lam:
            return list(text.items())
        best: dict[str, float] = {}
        for example in table.without(prompt, system).exemplars:
            if example.route in text or example.route == FALLBACK:  # a stale label: no evidence
                score = similarity(query, terms(query_text(example.prompt, example.system)))
                best[example.route] = max(best.get(example.route, 0.0), score)
        out = [(k, (1 - lam) * t + lam * max(t, best.get(k, t))) for k, t in text.items()]
        if FALLBACK in best:  # fallback's "text" sits at the threshold (see semantic.py)
            tau = self.threshold
            out.append((FALLBACK, (1 - lam) * tau + lam * max(tau, best[FALLBACK])))
        return out

    def predict(
        self, router: RoutingTable | RouterSpec, prompt: str, system: str | None = None
    ) -> Prediction:
        table = as_table(router)
        return decide(self.scores(table, prompt, system), self.threshold, self.name)
