"""deepdiff as an independent oracle for the hand-written differ.

The differ is hand-written because it is order-aware under `prefer: none` and 4 ms/router
faster than deepdiff (README, "Design decisions"). That makes it the kind of code that can be
subtly wrong, so here a general-purpose library judges it: for random desired/live pairs,
`compute_plan` reports "no change" exactly when deepdiff finds no difference between the two
normalised states, where normalising encodes the documented rules and nothing else (a pool's
order counts only under `prefer: none`; tasks are keyed, so their order never counts;
fallback order always counts).
"""

from __future__ import annotations

import random
from typing import Any

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from routerctl.diff import compute_plan
from routerctl.models import PREFER_VALUES, PresetSpec, RouterSpec, TaskSpec
from test_properties import MODELS, live_of, router_specs

ORACLE = settings(max_examples=300, deadline=None, derandomize=True)


def oracle_state(spec: RouterSpec) -> dict[str, Any]:
    """The rules, written independently of diff.py: membership-only pools sorted."""

    def pool(models: tuple[str, ...] | list[str], prefer: str) -> list[str]:
        return list(models) if prefer == "none" else sorted(models)

    return {
        "name": spec.name,
        "description": spec.description,
        "tasks": {
            key: {"description": t.description, "models": pool(t.models, t.prefer), "p": t.prefer}
            for key, t in spec.tasks.items()
        },
        "presets": {
            slug: {"models": pool(p.models, p.prefer), "p": p.prefer}
            for slug, p in spec.presets.items()
        },
        "fallback_models": list(spec.fallback_models),
    }


def _mutate(spec: RouterSpec, rnd: random.Random, how: str) -> RouterSpec:
    """One small edit of the kind a pull request makes; some are no-ops on purpose."""
    tasks = dict(spec.tasks)
    presets = dict(spec.presets)
    fallback = list(spec.fallback_models)
    if how == "reorder-pool" and (tasks or presets):
        section = tasks if tasks and (not presets or rnd.random() < 0.5) else presets
        key = rnd.choice(sorted(section))
        item = section[key]
        models = list(item.models)
        rnd.shuffle(models)
        section[key] = item.model_copy(update={"models": models})
    elif how == "prefer" and tasks:
        key = rnd.choice(sorted(tasks))
        tasks[key] = tasks[key].model_copy(update={"prefer": rnd.choice(PREFER_VALUES)})
    elif how == "swap-model" and presets:
        slug = rnd.choice(sorted(presets))
        models = list(presets[slug].models)
        models[rnd.randrange(len(models))] = rnd.choice(MODELS)
        presets[slug] = PresetSpec(models=list(dict.fromkeys(models)), prefer=presets[slug].prefer)
    elif how == "reorder-fallback":
        rnd.shuffle(fallback)
    elif how == "description":
        return spec.model_copy(update={"description": rnd.choice(["", spec.description + "!"])})
    elif how == "drop-task" and tasks:
        del tasks[rnd.choice(sorted(tasks))]
    elif how == "add-task":
        tasks[f"extra {rnd.randrange(3)}"] = TaskSpec(
            description="Anything else.", models=[rnd.choice(MODELS)], prefer="none"
        )
    return spec.model_copy(update={"tasks": tasks, "presets": presets, "fallback_models": fallback})


EDITS = (
    "none",
    "reorder-pool",
    "prefer",
    "swap-model",
    "reorder-fallback",
    "description",
    "drop-task",
    "add-task",
)


@ORACLE
@given(
    router_specs(),
    st.lists(st.sampled_from(EDITS), max_size=3),
    st.randoms(use_true_random=False),
)
def test_the_differ_agrees_with_deepdiff_on_whether_anything_changed(spec, edits, rnd):
    live_spec = spec
    for how in edits:
        live_spec = _mutate(live_spec, rnd, how)
    live = live_of(live_spec, rnd)  # through the API's GET shape, as plan reads it

    plan = compute_plan([spec], [live])
    oracle = DeepDiff(oracle_state(spec), oracle_state(live.to_spec()), verbose_level=2)

    assert plan.is_empty == (not oracle), (edits, oracle.to_dict(), plan.changes)
