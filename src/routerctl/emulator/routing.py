"""The emulator's task matcher: which task of a router a prompt goes to, and which model serves it.

This is an approximation for offline runs. The real DigitalOcean router decides in production
with a routing model of its own. Nothing here tries to predict it. The aim is a matcher that
is deterministic, cheap and explainable, so routing tests can run without a network and a
surprising route can be traced to the words that caused it.

How a route is picked:

1. Every text (the prompt, and each task's text) becomes a set of *terms*. Lowercase, split on
   anything that is not a letter or digit, drop stopwords, one-letter words and pure numbers,
   apply a light suffix stemmer (`stem`), then map a few synonyms onto one concept
   (`CONCEPTS`: "invoice", "charged" and "refund" all become "billing").
2. A task's text is its name plus its description. That is the custom task's name and
   description, or a preset's slug plus its description from the task-presets data. The task's
   name is included because names such as `urgency_detection` carry meaning.
3. The score of a task is the Otsuka–Ochiai coefficient (cosine similarity of binary term sets):

       score(P, T) = |P ∩ T| / sqrt(|P| · |T|)

   P is the prompt's term set and T is the task's term set. It rewards covering a task's words
   and does not let a very long prompt match everything.
4. The best score wins. Ties go to the policy listed first. If the best score is below
   `MATCH_THRESHOLD` (0.1), the request goes to `fallback`.

Model choice within the chosen pool follows `selection_policy.prefer`:
- `none`: the first listed model (manual ranking).
- `fastest`: also the first listed model. The emulator has no latency data.
- `cheapest`: the model with the lowest input + output price per million tokens in the
  packaged model catalog. Unpriced models go last, and ties keep the listed order.

A fallback uses the router's first fallback model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from routerctl.emulator import catalog

FALLBACK_ROUTE = "fallback"

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


def score_tasks(
    router: Mapping[str, Any], prompt: str, presets: Mapping[str, str]
) -> list[tuple[str, float]]:
    """Score of every policy of `router` for `prompt`, in policy order (for explanations)."""
    prompt_terms = terms(prompt)
    return [
        (route, similarity(prompt_terms, terms(text)))
        for route, text in (task_text(p, presets) for p in _policies(router))
    ]


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
    *,
    prices: Mapping[str, float] | None = None,
) -> tuple[str, str, float]:
    """Pick (route, model, score) for `prompt` on `router`.

    `presets` maps task_slug → description. `prices` maps model id → input+output price per
    million tokens (default: the packaged catalog). The route is a custom task name, a preset
    slug, or "fallback". Raises ValueError if the router has no fallback models and nothing
    matched, because there is then no model to name.
    """
    best_index, best_score = -1, 0.0
    for index, (_route, score) in enumerate(score_tasks(router, prompt, presets)):
        if score > best_score:  # strict: ties keep the earlier policy
            best_index, best_score = index, score
    policies = _policies(router)
    if best_index >= 0 and best_score >= MATCH_THRESHOLD:
        policy = policies[best_index]
        models = [m for m in policy.get("models") or [] if isinstance(m, str)]
        if models:
            selection = policy.get("selection_policy")
            prefer = selection.get("prefer") if isinstance(selection, Mapping) else None
            route = task_text(policy, presets)[0]
            return route, choose_model(models, str(prefer or "none"), prices), best_score
    fallbacks = _fallback_models(router)
    if not fallbacks:
        raise ValueError("no task matched and the router has no fallback models")
    return FALLBACK_ROUTE, fallbacks[0], best_score


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
