"""`validate`'s close-tasks warning: two tasks of a router that the routing predictor can
barely tell apart, so prompts between them will split unpredictably.

Two kinds of evidence, each one predictor call per probe against every task (tasks × probes,
no pairwise comparison of prompts):

- a test prompt whose best and second-best task scores are within `CLOSE_RATIO` of each other
  (the prompt sits between them: a coin flip for any router);
- a task whose own name + description, used as a prompt, scores at least `TEXT_RATIO` as well
  on another task as on itself (the two texts say nearly the same thing).

Task scores come from names and descriptions only, never from the test prompts: the question
is whether the *descriptions* separate the tasks. A pair that loading already reports as
near-identical text (`similar-descriptions`, routerctl.similarity) is not reported again on
its descriptions alone; prompts between them still are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from routerctl.predict.base import FALLBACK, Predictor, RoutingTable, routing_table
from routerctl.similarity import similar_descriptions

if TYPE_CHECKING:
    from routerctl.errors import Issue
    from routerctl.spec import RouterFile

# The runner-up scores at least 95% of the best. Chosen so that near ties are flagged and
# ordinary borderline prompts are not: on the corpus' tuning half no prompt the semantic
# predictor routes correctly is this close (bench/routing/corpus.yaml).
CLOSE_RATIO = 0.95
# Own text as the prompt: distinct tasks of the shipped and corpus routers stay under 0.7 of
# their own score (semantic and lexical); "Summarize the support ticket for an agent." vs
# "Summarise the support tickets for an agent." reaches 0.86.
TEXT_RATIO = 0.8
MAX_NAMED = 3  # prompts quoted per warning; the count says how many more


def _excerpt(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def close_pairs(
    table: RoutingTable,
    probes: Sequence[tuple[str, str | None]],
    predictor: Predictor,
    ratio: float = CLOSE_RATIO,
) -> dict[tuple[str, str], list[str]]:
    """(task, task) in table order → the probe prompts that sit between the two."""
    bare = RoutingTable(table.name, table.description, table.routes)  # no exemplars
    order = {r.key: i for i, r in enumerate(table.routes)}
    found: dict[tuple[str, str], list[str]] = {}
    for prompt, system in probes:
        got = predictor.predict(bare, prompt, system)
        if got.task == FALLBACK or got.runner_up is None or got.runner_up_score is None:
            continue  # a prompt that falls back sits between no two tasks
        if got.runner_up_score >= ratio * got.score:
            a, b = got.task, got.runner_up
            pair = (a, b) if order[a] < order[b] else (b, a)
            found.setdefault(pair, []).append(prompt)
    return found


def close_task_issues(
    routers: Sequence[RouterFile], predictor: Predictor | None = None
) -> list[Issue]:
    """One warning per close pair of tasks, on the later task's description (its file:line),
    naming the test prompts between them. The default predictor loads only when a router
    has two tasks to tell apart."""
    issues: list[Issue] = []
    for router in routers:
        if len(router.spec.tasks) + len(router.spec.presets) < 2:
            continue
        if predictor is None:
            from routerctl.predict import load_predictor

            predictor = load_predictor()
        spec, doc = router.spec, router.doc
        table = routing_table(spec)
        cases = [(c.prompt, c.system) for c in spec.tests if c.expect_task != FALLBACK]
        tests = close_pairs(table, cases, predictor)
        own = [(f"{r.name_text} {r.description}", None) for r in table.routes]
        texts = close_pairs(table, own, predictor, TEXT_RATIO)
        written = [(k, t.description.lower()) for k, t in spec.tasks.items() if t.description]
        for same in similar_descriptions(written):
            texts.pop((same.like, same.task), None)
        for pair in sorted(set(tests) | set(texts), key=lambda p: (p[1], p[0])):
            first, second = pair
            prompts = tests.get(pair, [])
            quoted = ", ".join(f'"{_excerpt(p)}"' for p in prompts[:MAX_NAMED])
            more = f" and {len(prompts) - MAX_NAMED} more" if len(prompts) > MAX_NAMED else ""
            evidence = (
                f"test prompts {quoted}{more} score within {1 - CLOSE_RATIO:.0%} on both"
                if prompts
                else "their descriptions score alike on either task"
            )
            section = "presets" if second in spec.presets and second not in spec.tasks else "tasks"
            loc: tuple[str | int, ...] = (section, second)
            if section == "tasks":
                loc = (*loc, "description")
            issues.append(
                doc.issue(
                    loc,
                    f"{second!r} is close to {first!r} for the routing predictor "
                    f"({predictor.name}): {evidence}; prompts between them may split "
                    "unpredictably. Make the descriptions say what differs",
                    severity="warning",
                    code="close-tasks",
                )
            )
    return issues
