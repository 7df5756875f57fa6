"""The plan's routing preview as data (predict.preview, workflow step, plan files) and as
text/markdown (render_routing). The journey is tests/e2e/test_predict_e2e.py."""

from __future__ import annotations

from typing import Any

from routerctl.models import RouterSpec
from routerctl.plan import Action, Change, Plan
from routerctl.predict import LexicalPredictor
from routerctl.predict.preview import routing_preview
from routerctl.render import render_plan, render_plan_markdown
from routerctl.render_routing import MAX_LISTED, preview_markdown, preview_text
from routerctl.workflow import _with_routing_preview


def support(billing: str, tests: list[tuple[str, str]]) -> RouterSpec:
    return RouterSpec.model_validate(
        {
            "name": "support",
            "tasks": {
                # Neutral keys: a task's name is part of its text, and "billing" would match.
                "desk_one": {"description": billing, "models": ["m1"]},
                "desk_two": {
                    "description": "Triage crashes and errors in the app.",
                    "models": ["m2"],
                },
            },
            "fallback_models": ["fb"],
            "tests": [{"prompt": p, "expect_task": t} for p, t in tests],
        }
    )


TESTS = [
    ("Why was I charged twice on my invoice?", "desk_one"),
    ("The app crashes with an error on start", "desk_two"),
    ("Refund my payment please", "desk_one"),
]


# Descriptions only: the preview's mechanics, with no other test prompt anchoring a case (the
# default predictors also weigh the router's test prompts, which damps moves; README).
WORDS = LexicalPredictor(exemplar_weight=0.0)


def test_a_description_edit_moves_exactly_the_prompts_it_loses():
    live = support("Answer billing questions about invoices, charges and refunds.", TESTS)
    desired = support("Answer questions about shipping times.", TESTS)
    got = routing_preview(live.state(), desired.state(), desired.tests, WORDS)
    assert got["predictor"] == "lexical"
    assert got["cases"] == 3
    assert [m["prompt"] for m in got["moved"]] == [TESTS[0][0], TESTS[2][0]]
    assert {m["from"] for m in got["moved"]} == {"desk_one"}
    assert {m["to"] for m in got["moved"]} == {"fallback"}


def test_a_models_only_change_moves_nothing():
    live = support("Answer billing questions about invoices, charges and refunds.", TESTS)
    desired = live.model_copy(update={"fallback_models": ["other"]})
    got = routing_preview(live.state(), desired.state(), desired.tests, WORDS)
    assert got == {"predictor": "lexical", "cases": 3, "moved": []}


def _plan(*changes: Change) -> Plan:
    return Plan(changes=changes)


def test_workflow_step_previews_updates_with_tests_only(monkeypatch):
    from routerctl import predict

    monkeypatch.setattr(predict, "load_predictor", lambda choice="auto": WORDS)
    live = support("Answer billing questions about invoices, charges and refunds.", TESTS)
    desired = support("Answer questions about shipping times.", TESTS)
    untested = support("x", []).model_copy(update={"name": "quiet"})
    plan = _plan(
        Change("new", Action.CREATE, after=desired.state()),
        Change("support", Action.UPDATE, before=live.state(), after=desired.state()),
        Change("quiet", Action.UPDATE, before=untested.state(), after=untested.state()),
    )
    notes: list[str] = []
    out = _with_routing_preview(plan, [desired, untested], notes.append)
    assert notes == []
    previews = {c.name: c.routing_preview for c in out.changes}
    assert previews["new"] is None  # nothing live to move from
    assert previews["quiet"] is None  # no tests
    assert previews["support"] is not None
    assert len(previews["support"]["moved"]) == 2


def test_preview_survives_a_saved_plan_and_is_absent_when_off():
    preview = {
        "predictor": "lexical",
        "cases": 1,
        "moved": [{"prompt": "p", "from": "a", "to": "b"}],
    }
    change = Change("r", Action.UPDATE, before={}, after={}, routing_preview=preview)
    assert Change.from_dict(change.to_dict()).routing_preview == preview
    assert "routing_preview" not in Change("r", Action.UPDATE, before={}, after={}).to_dict()


def _preview(moved: int, cases: int = 12) -> dict[str, Any]:
    return {
        "predictor": "semantic:x",
        "cases": cases,
        "moved": [
            {"prompt": f"Why was I charged twice | case {i}?\nline two", "from": "a", "to": "b"}
            for i in range(moved)
        ],
    }


def test_text_lists_moved_prompts_under_the_router():
    assert preview_text(None) == []
    assert preview_text(_preview(0)) == [
        "    routing: none of 12 test prompts move (predicted by semantic:x)"
    ]
    lines = preview_text(_preview(1))
    assert lines == [
        "    routing: 1 of 12 test prompts moves (predicted by semantic:x):",
        '      "Why was I charged twice | case 0? line two" a → b',
    ]
    many = preview_text(_preview(MAX_LISTED + 3))
    assert many[0].startswith(f"    routing: {MAX_LISTED + 3} of 12 test prompts move")
    assert len(many) == 1 + MAX_LISTED + 1
    assert many[-1] == "      … and 3 more"


def test_markdown_is_a_collapsible_table_with_escaped_cells():
    assert preview_markdown(None) == ""
    assert preview_markdown(_preview(0)).startswith("<sub>Routing preview: none of 12")
    block = preview_markdown(_preview(2))
    assert block.startswith("<details><summary>Routing preview: 2 of 12 test prompts move")
    assert "a prediction; DigitalOcean's router decides with its own model" in block
    assert "| prompt | from | to |" in block
    assert "| Why was I charged twice \\| case 1? line two | <code>a</code> | <code>b</code> |" in (
        block
    )
    assert block.endswith("</details>\n")


def test_plan_renderers_show_the_preview():
    change = Change("r", Action.UPDATE, uuid="u", before={}, after={}, routing_preview=_preview(1))
    text = render_plan(_plan(change))
    assert "    routing: 1 of 12 test prompts moves (predicted by semantic:x):\n" in text
    assert "<details><summary>Routing preview: 1 of 12" in render_plan_markdown(_plan(change))
