"""Benchmark: compute_plan + the three plan renderers on 1,000 routers with 4 tasks each.

The live side is a third unchanged, a third changed (description, pool order, an added task,
fallback order), a third missing (to create). Live routers are built as LiveRouter objects
before timing, as the client would hand them over. Prints a markdown table of the median (and
best) of 5 runs per step; the target is under 0.5 s (median) for the whole diff + render.

    .venv/bin/python bench/bench_diff.py [--routers N] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from routerctl.diff import compute_plan
from routerctl.models import LiveRouter, PresetSpec, RouterSpec, TaskSpec
from routerctl.plan import Plan
from routerctl.render import render_plan, render_plan_json, render_plan_markdown

MODELS = [
    "openai-gpt-5-nano",
    "llama3.3-70b-instruct",
    "anthropic-claude-haiku-4.5",
    "anthropic-claude-sonnet-4.6",
    "anthropic-claude-opus-4.7",
    "openai-gpt-oss-120b",
]
PREFERS = ("none", "cheapest", "fastest")
TARGET_SECONDS = 0.5


def make_spec(index: int) -> RouterSpec:
    """A router with 3 custom tasks and 1 preset (4 policies), deterministic per index."""
    tasks = {
        f"task_{t}": TaskSpec(
            description=(
                f"Handle requests of kind {t} for router {index}: classify, answer, and "
                "escalate when the customer is unhappy or the issue is complex."
            ),
            models=[
                MODELS[(index + t) % 6],
                MODELS[(index + t + 1) % 6],
                MODELS[(index + t + 2) % 6],
            ],
            prefer=PREFERS[(index + t) % 3],  # type: ignore[arg-type]
        )
        for t in range(3)
    }
    presets = {
        "summarization": PresetSpec(
            models=[MODELS[index % 6], MODELS[(index + 3) % 6]], prefer="none"
        )
    }
    return RouterSpec(
        name=f"router-{index:04d}",
        description=f"Router {index}. Routes support traffic to the cheapest model that can do it.",
        tasks=tasks,
        presets=presets,
        fallback_models=[MODELS[(index + 4) % 6], MODELS[(index + 5) % 6]],
    )


def live_payload(spec: RouterSpec, index: int, *, changed: bool) -> dict[str, Any]:
    """The API's GET shape for `spec`, drifted in four ways when `changed`."""
    body = spec.api_payload()
    policies = body["policies"]
    fallback = list(body["fallback_models"])
    description = body["description"]
    if changed:
        kind = index % 4
        if kind == 0:
            description += " Old wording that was removed."
        elif kind == 1:
            policies[-1]["models"] = list(
                reversed(policies[-1]["models"])
            )  # the preset: prefer none
        elif kind == 2:
            policies = policies[1:]  # desired adds a task
        else:
            fallback = list(reversed(fallback))
    return {
        "uuid": f"00000000-0000-4000-8000-{index:012d}",
        "name": spec.name,
        "description": description,
        "created_at": "2026-06-01T12:00:00Z",
        "updated_at": "2026-06-01T12:00:00Z",
        "regions": ["all"],
        "config": {"fallback_models": fallback, "policies": policies},
    }


def build(count: int) -> tuple[list[RouterSpec], list[LiveRouter]]:
    desired = [make_spec(i) for i in range(count)]
    live = [
        LiveRouter.model_validate(live_payload(spec, i, changed=i % 3 == 1))
        for i, spec in enumerate(desired)
        if i % 3 != 2  # every third router is new
    ]
    return desired, live


def timings(step: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, best) seconds over `runs` runs. The best run shows the cost without noise from
    other processes on a shared machine; the target is judged on the median."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    desired, live = build(args.routers)
    plan: Plan = compute_plan(desired, live)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("compute_plan", lambda: compute_plan(desired, live)),
        ("render_plan (text)", lambda: render_plan(plan)),
        ("render_plan_json", lambda: render_plan_json(plan)),
        ("render_plan_markdown", lambda: render_plan_markdown(plan)),
    ]
    rows = [(name, *timings(step, args.runs)) for name, step in steps]

    def everything() -> None:
        fresh = compute_plan(desired, live)
        render_plan(fresh)
        render_plan_json(fresh)
        render_plan_markdown(fresh)

    total, best = timings(everything, args.runs)
    print(
        f"{args.routers} routers × 4 tasks: {plan.summary_line()} "
        f"({len(plan.unchanged)} unchanged); median of {args.runs} runs"
    )
    print()
    print("| step | median | best |")
    print("|---|---:|---:|")
    for name, median, fastest in rows:
        print(f"| {name} | {median * 1000:.1f} ms | {fastest * 1000:.1f} ms |")
    verdict = "ok" if total < TARGET_SECONDS else f"OVER the {TARGET_SECONDS} s target"
    print(
        f"| **diff + all three renders** | **{total * 1000:.1f} ms** ({verdict}) "
        f"| {best * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()
