"""What the live API may return that routerctl did not expect (issue 16, item 2): unknown
`prefer` values, unknown keys, missing `selection_policy`, policies with both or neither of
task_slug / custom_task. Never a crash: plan shows them as they are; import refuses the ones a
router file cannot hold, with one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from routerctl.diff import compute_plan
from routerctl.errors import ConfigError
from routerctl.importer import plan_import
from routerctl.models import LiveRouter, RouterSpec, spec_from_state
from routerctl.render import render_plan
from routerctl.spec import collect_routers


def live(*policies: dict[str, Any], **extra: Any) -> LiveRouter:
    return LiveRouter.model_validate(
        {
            "uuid": "u-1",
            "name": "r",
            "description": "d",
            "config": {"fallback_models": ["m"], "policies": list(policies), **extra},
            "a_field_from_the_future": {"x": 1},
        }
    )


def desired(**tasks: dict[str, Any]) -> RouterSpec:
    return RouterSpec.model_validate(
        {"name": "r", "description": "d", "tasks": tasks, "fallback_models": ["m"]}
    )


CHAT = {"custom_task": {"name": "chat", "description": "Chat."}, "models": ["a", "b"]}


def test_unknown_prefer_is_shown_as_is_and_differs_only_when_the_file_says_otherwise() -> None:
    router = live({**CHAT, "selection_policy": {"prefer": "optimal", "weights": [1]}})
    assert router.to_spec().tasks["chat"].prefer == "optimal"
    differs = compute_plan([desired(chat={"description": "Chat.", "models": ["a", "b"]})], [router])
    text = render_plan(differs)
    assert "! router 'r' task 'chat' has selection policy 'optimal', which is not a " in text
    assert "~ prefer: optimal → none" in text
    # A saved plan's before-state carries it too, and reads back (costs rebuild specs from it).
    (change,) = differs.changes
    assert spec_from_state(change.before).tasks["chat"].prefer == "optimal"


def test_missing_selection_policy_is_none_and_unknown_keys_are_ignored() -> None:
    router = live(CHAT, unknown_config_key=True)
    plan = compute_plan([desired(chat={"description": "Chat.", "models": ["a", "b"]})], [router])
    assert plan.is_empty
    assert plan.warnings == ()


def test_a_policy_with_both_task_kinds_is_read_as_the_custom_task_with_a_warning() -> None:
    router = live({**CHAT, "task_slug": "summarization"})
    spec = router.to_spec()
    assert list(spec.tasks) == ["chat"]
    assert spec.presets == {}
    plan = compute_plan([desired(chat={"description": "Chat.", "models": ["a", "b"]})], [router])
    assert plan.is_empty
    assert plan.warnings == (
        "router 'r' task 'chat' sets both custom_task and task_slug 'summarization'; "
        "routerctl reads it as the custom task",
    )


def test_a_policy_with_no_task_is_planned_for_removal_not_a_crash() -> None:
    router = live({"models": ["a"]}, CHAT)
    plan = compute_plan([desired(chat={"description": "Chat.", "models": ["a", "b"]})], [router])
    (change,) = plan.changes
    assert [f.path for f in change.fields] == ["tasks.(policy 1 without a task)"]
    assert change.fields[0].kind == "removed"
    assert "policy 1 has neither task_slug nor custom_task" in plan.warnings[0]


def test_a_file_still_cannot_say_an_unknown_prefer(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "name: r\ntasks:\n  chat:\n    description: Chat.\n    models: [a]\n    prefer: optimal\n"
        "fallback_models: [m]\n"
    )
    result = collect_routers([tmp_path / "r.yaml"])
    assert [i.code for i in result.errors] == ["bad-enum"]


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        (
            {**CHAT, "selection_policy": {"prefer": "optimal"}},
            "r: task 'chat' has selection policy 'optimal', which is not a documented value "
            "(none, cheapest, fastest) and cannot be written to a router file; choose cost, "
            "speed or manual ranking for it in the control panel, then import again",
        ),
        (
            {"models": ["a"]},
            "r: policy 1 has neither task_slug nor custom_task and cannot be written to a "
            "router file; fix it in the control panel, then import again",
        ),
    ],
)
def test_import_refuses_what_a_file_cannot_hold_with_one_line(
    tmp_path: Path, policy: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        plan_import(
            [live(policy)],
            names=["r"],
            all_routers=False,
            directory=tmp_path,
            force=False,
            managed={},
        )
    assert str(refused.value) == f"nothing imported: {reason}"


def test_import_writes_a_both_kinds_policy_as_the_custom_task_and_warns(tmp_path: Path) -> None:
    (item,) = plan_import(
        [live({**CHAT, "task_slug": "summarization"})],
        names=["r"],
        all_routers=False,
        directory=tmp_path,
        force=False,
        managed={},
    )
    assert "chat:" in item.text
    assert "summarization" not in item.text
    assert item.warnings[0] == (
        "warning: router 'r' task 'chat' sets both custom_task and task_slug 'summarization'; "
        "routerctl reads it as the custom task"
    )


# --- max_completion_tokens per tests file -------------------------------------------------------

ROUTER_FILE = (
    "name: r\ntasks:\n  chat:\n    description: Chat.\n    models: [glm-5]\n"
    "fallback_models: [kimi-k2.5]\n"
)


def test_a_tests_files_max_completion_tokens_caps_its_cases_unless_a_case_says(
    tmp_path: Path,
) -> None:
    (tmp_path / "r.yaml").write_text(ROUTER_FILE)
    (tmp_path / "r.tests.yaml").write_text(
        "max_completion_tokens: 48\n"
        "tests:\n"
        "  - {prompt: hi, expect_task: chat}\n"
        "  - {prompt: yo, expect_task: chat, max_completion_tokens: 8}\n"
    )
    result = collect_routers([tmp_path])
    assert result.issues == []
    (router,) = result.routers
    assert [c.max_completion_tokens for c in router.spec.tests] == [48, 8]


def test_a_tests_file_without_a_cap_sends_none(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(ROUTER_FILE)
    (tmp_path / "r.tests.yaml").write_text("- {prompt: hi, expect_task: chat}\n")
    (router,) = collect_routers([tmp_path]).routers
    assert router.spec.tests[0].max_completion_tokens is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_tokens: 16\ntests: []\n", "unknown key 'max_tokens'; allowed: tests, max_"),
        ("max_completion_tokens: 0\ntests: []\n", "must be a positive integer, got 0"),
        ("max_completion_tokens: lots\ntests: []\n", "must be a positive integer, got 'lots'"),
    ],
)
def test_a_bad_tests_file_setting_is_an_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "r.yaml").write_text(ROUTER_FILE)
    (tmp_path / "r.tests.yaml").write_text(text)
    errors = collect_routers([tmp_path]).errors
    assert len(errors) == 1
    assert message in errors[0].message
    assert errors[0].path.endswith("r.tests.yaml")
