"""diff.py: list notes (moves via LCS), field-level state diffs, and compute_plan's rules for
creates, updates, deletes, renames, targets and duplicate live names. Pure: no HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from fakes import make_live, make_spec
from routerctl.diff import compute_plan, diff_states, list_notes
from routerctl.errors import PlanError
from routerctl.models import LiveRouter, PresetSpec, RouterSpec, TaskSpec
from routerctl.plan import Action, FieldChange, fingerprint

# --- list_notes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "ordered", "notes"),
    [
        (["a", "b", "c"], ["c", "a", "b"], True, ("c: #3 → #1",)),
        (["a", "b"], ["b", "a"], True, ("b: #2 → #1",)),
        (["a", "b", "c"], ["b", "c", "a"], True, ("a: #1 → #3",)),
        (["a", "b"], ["a", "x", "b"], True, ("+ x (#2)",)),
        (["a", "b", "c"], ["a", "c"], True, ("- b (#2)",)),
        (["a", "b", "c"], ["d", "c", "b"], True, ("+ d (#1)", "- a (#1)", "c: #3 → #2")),
        # An item that keeps its position is never the one reported as moved.
        (
            ["llama", "haiku", "gpt-oss"],
            ["nano", "haiku", "llama"],
            True,
            ("+ nano (#1)", "- gpt-oss (#3)", "llama: #1 → #3"),
        ),
        (["a", "a", "b"], ["a", "b"], True, ("- a (#2)",)),
        (["a", "b"], ["a", "b"], True, ()),
        (["a", "b"], ["b", "a"], False, ()),
        (["a", "b"], ["b", "c"], False, ("+ c", "- a")),
        (["a", "a"], ["a"], False, ("- a",)),
        ([], ["a"], True, ("+ a (#1)",)),
    ],
)
def test_list_notes(before: list[str], after: list[str], ordered: bool, notes: tuple[str]) -> None:
    assert list_notes(before, after, ordered=ordered) == notes


# --- diff_states ----------------------------------------------------------------------------------


def state(**overrides: Any) -> dict[str, Any]:
    return make_spec(**overrides).state()


def test_diff_states_equal_states_give_no_changes() -> None:
    assert diff_states(state(), state()) == ()


def test_diff_states_prefer_none_to_cheapest_with_reordered_pool_reports_prefer_only() -> None:
    before = state(tasks={"t": TaskSpec(description="d", models=["a", "b"], prefer="none")})
    after = state(tasks={"t": TaskSpec(description="d", models=["b", "a"], prefer="cheapest")})
    assert diff_states(before, after) == (
        FieldChange("tasks.t.prefer", "changed", "none", "cheapest"),
    )


def test_diff_states_prefer_cheapest_to_none_with_reordered_pool_reports_the_move() -> None:
    before = state(tasks={"t": TaskSpec(description="d", models=["a", "b"], prefer="cheapest")})
    after = state(tasks={"t": TaskSpec(description="d", models=["b", "a"], prefer="none")})
    assert diff_states(before, after) == (
        FieldChange("tasks.t.models", "changed", ["a", "b"], ["b", "a"], ("b: #2 → #1",)),
        FieldChange("tasks.t.prefer", "changed", "cheapest", "none"),
    )


def test_diff_states_pool_reorder_under_fastest_is_no_change() -> None:
    before = state(presets={"translation": PresetSpec(models=["a", "b"], prefer="fastest")})
    after = state(presets={"translation": PresetSpec(models=["b", "a"], prefer="fastest")})
    assert diff_states(before, after) == ()


def test_diff_states_tasks_are_matched_by_key_not_position() -> None:
    tasks = make_spec().tasks
    before = state(tasks=dict(tasks))
    after = state(tasks={"reply": tasks["reply"], "classify": tasks["classify"]})
    assert diff_states(before, after) == ()


def test_diff_states_field_order_is_description_tasks_presets_fallback() -> None:
    before = state()
    after = state(
        description="New.",
        tasks={"new": TaskSpec(description="d", models=["m"])},
        presets={},
        fallback_models=["x"],
    )
    paths = [(f.path, f.kind) for f in diff_states(before, after)]
    assert paths == [
        ("description", "changed"),
        ("tasks.classify", "removed"),
        ("tasks.new", "added"),
        ("tasks.reply", "removed"),
        ("presets.summarization", "removed"),
        ("fallback_models", "changed"),
    ]


def test_diff_states_task_keys_with_dots_and_spaces_keep_their_key() -> None:
    before = state(tasks={"Code review v1.2": TaskSpec(description="old", models=["m"])})
    after = state(tasks={"Code review v1.2": TaskSpec(description="new", models=["m"])})
    (change,) = diff_states(before, after)
    assert change == FieldChange("tasks.Code review v1.2.description", "changed", "old", "new")


def test_diff_states_custom_task_and_preset_with_same_name_are_distinct() -> None:
    before = state(tasks={}, presets={"summarization": PresetSpec(models=["m"])})
    after = state(tasks={"summarization": TaskSpec(description="d", models=["m"])}, presets={})
    assert [(f.path, f.kind) for f in diff_states(before, after)] == [
        ("tasks.summarization", "added"),
        ("presets.summarization", "removed"),
    ]


# --- compute_plan ---------------------------------------------------------------------------------


def test_compute_plan_orders_creates_updates_deletes_each_by_name() -> None:
    desired = [make_spec("b-new"), make_spec("a-new"), make_spec("z-upd"), make_spec("c-upd")]
    live = [
        make_live(make_spec("z-upd", description="old"), "u1"),
        make_live(make_spec("c-upd", description="old"), "u2"),
        make_live(make_spec("y-del"), "u3"),
        make_live(make_spec("d-del"), "u4"),
    ]
    plan = compute_plan(desired, live, prune=True, prune_scope=["*"])
    assert [(c.action.value, c.name) for c in plan.changes] == [
        ("create", "a-new"),
        ("create", "b-new"),
        ("update", "c-upd"),
        ("update", "z-upd"),
        ("delete", "d-del"),
        ("delete", "y-del"),
    ]


def test_compute_plan_create_describes_every_field() -> None:
    plan = compute_plan([make_spec()], [])
    (change,) = plan.changes
    assert change.action is Action.CREATE
    assert change.uuid is None
    assert change.before is None
    assert [f.path for f in change.fields] == [
        "description",
        "tasks.classify",
        "tasks.reply",
        "presets.summarization",
        "fallback_models",
    ]
    assert all(f.kind == "added" for f in change.fields)


def test_compute_plan_update_records_uuid_and_fingerprint_of_live_state() -> None:
    live = make_live(make_spec(description="old"), "u-9")
    plan = compute_plan([make_spec()], [live])
    (change,) = plan.changes
    assert change.uuid == "u-9"
    assert change.fingerprint == fingerprint("u-9", live.to_spec().state())


def test_compute_plan_local_only_fields_never_show_as_changes() -> None:
    spec = make_spec(protect=True, renamed_from=["gone"])
    plan = compute_plan([spec], [make_live(make_spec())])
    assert plan.is_empty
    assert plan.unchanged == ("triage",)


@pytest.mark.parametrize(
    ("prune", "scope", "protect", "where"),
    [
        (True, ["old-*"], [], "delete"),
        (False, ["old-*"], [], "prunable"),
        (True, ["other-*"], [], "unmanaged"),
        (True, [], [], "unmanaged"),
        (True, ["old-*"], ["old-router"], "protected"),
        (False, ["*"], ["old-*"], "protected"),
    ],
)
def test_compute_plan_orphan_is_deleted_only_with_prune_in_scope_and_unprotected(
    prune: bool, scope: list[str], protect: list[str], where: str
) -> None:
    plan = compute_plan(
        [], [make_live(make_spec("old-router"))], prune=prune, prune_scope=scope, protect=protect
    )
    found = {
        "delete": tuple(c.name for c in plan.changes if c.action is Action.DELETE),
        "prunable": plan.prunable,
        "unmanaged": plan.unmanaged,
        "protected": plan.protected,
    }
    assert found == {key: ("old-router",) if key == where else () for key in found}


def test_compute_plan_delete_warns_that_callers_break() -> None:
    plan = compute_plan([], [make_live(make_spec("old"))], prune=True, prune_scope=["old"])
    (change,) = plan.changes
    assert change.warnings == (
        'clients calling model "router:old" will get errors once it is deleted',
    )


def test_compute_plan_duplicate_live_names_of_a_managed_router_are_an_error_naming_both() -> None:
    spec = make_spec("dup")
    older = make_live(spec, "u-old", created_at="2026-01-01T00:00:00Z", description="drifted")
    newer = make_live(spec, "u-new", created_at="2026-02-01T00:00:00Z")
    with pytest.raises(PlanError, match=r"2 live routers are named 'dup': u-old, u-new\."):
        compute_plan([spec], [newer, older], prune=True, prune_scope=["*"])
    orphan_pair = [make_live(make_spec("gone"), "g1"), make_live(make_spec("gone"), "g2")]
    with pytest.raises(PlanError, match="named 'gone': g1, g2"):
        compute_plan([], orphan_pair, prune_scope=["go*"])


def test_compute_plan_duplicates_nobody_here_manages_stay_a_warning() -> None:
    spec = make_spec("dup")
    older = make_live(spec, "u-old", created_at="2026-01-01T00:00:00Z")
    newer = make_live(spec, "u-new", created_at="2026-02-01T00:00:00Z")
    plan = compute_plan([], [newer, older], prune=True, prune_scope=["team-*"])
    assert plan.changes == ()
    assert plan.unmanaged == ("dup",)
    assert plan.warnings == (
        "2 live routers are named 'dup'; routerctl manages the oldest (u-old) and leaves u-new "
        "untouched",
    )


def test_compute_plan_targets_limit_the_plan_and_warn() -> None:
    desired = [make_spec("a"), make_spec("b")]
    live = [
        make_live(make_spec("a", description="old"), "u1"),
        make_live(make_spec("b", description="old"), "u2"),
        make_live(make_spec("orphan"), "u3"),
    ]
    plan = compute_plan(desired, live, targets=["a"], prune=True, prune_scope=["*"])
    assert [c.name for c in plan.changes] == ["a"]
    assert plan.targets == ("a",)
    assert plan.warnings == (
        "this plan is limited by --target: other routers were not compared and may differ",
    )


def test_compute_plan_a_target_matching_nothing_is_an_error_with_did_you_mean() -> None:
    desired = [make_spec("triage-router")]
    with pytest.raises(PlanError) as info:
        compute_plan(desired, [], targets=["triage-ruoter", "zzz"])
    assert str(info.value) == (
        "--target 'triage-ruoter' (did you mean 'triage-router'?), 'zzz' matches no router in "
        "the files or live; nothing planned"
    )


def test_compute_plan_target_can_select_an_orphan_for_delete() -> None:
    live = [make_live(make_spec("x"), "u1"), make_live(make_spec("y"), "u2")]
    plan = compute_plan([], live, targets=["y"], prune=True, prune_scope=["*"])
    assert [(c.action, c.name) for c in plan.changes] == [(Action.DELETE, "y")]


def test_compute_plan_target_naming_the_old_name_selects_the_rename() -> None:
    spec = make_spec("new-name", renamed_from=["old-name"])
    plan = compute_plan([spec], [make_live(make_spec("old-name"))], targets=["old-name"])
    (change,) = plan.changes
    assert (change.name, change.renamed_from) == ("new-name", "old-name")


def test_compute_plan_rename_is_an_in_place_update_with_a_loud_warning() -> None:
    spec = make_spec("triage-v2", renamed_from=["triage"])
    plan = compute_plan([spec], [make_live(make_spec("triage"), "u-7")], prune=True)
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    assert change.uuid == "u-7"
    assert change.renamed_from == "triage"
    assert change.fields == (FieldChange("name", "changed", "triage", "triage-v2"),)
    assert change.warnings == (
        'RENAME: clients calling model "router:triage" will break once this is applied; they '
        'must call "router:triage-v2"',
    )
    assert plan.summary_line() == "Plan: 0 to create, 1 to update, 0 to delete."


def test_compute_plan_rename_uses_the_first_old_name_that_exists_live() -> None:
    spec = make_spec("new", renamed_from=["missing", "middle", "oldest"])
    live = [make_live(make_spec("oldest"), "u1"), make_live(make_spec("middle"), "u2")]
    (change,) = compute_plan([spec], live).changes
    assert (change.renamed_from, change.uuid) == ("middle", "u2")


def test_compute_plan_renamed_from_ignored_when_new_name_already_exists() -> None:
    spec = make_spec("new", renamed_from=["old"], description="changed")
    live = [make_live(make_spec("new"), "u-new"), make_live(make_spec("old"), "u-old")]
    plan = compute_plan([spec], live, prune=True, prune_scope=["*"])
    assert [(c.action, c.uuid, c.renamed_from) for c in plan.changes] == [
        (Action.UPDATE, "u-new", None)
    ]
    assert plan.warnings == (
        "'new' already exists live, so its renamed_from is ignored and 'old' is left untouched; "
        "remove renamed_from to let --prune delete it",
    )
    # The old router is still claimed by renamed_from: not deleted, not listed as an orphan.
    assert (plan.prunable, plan.unmanaged) == ((), ())


@pytest.mark.parametrize(
    ("spec_protect", "protect_globs"), [(True, []), (False, ["old*"])], ids=["file", "settings"]
)
def test_compute_plan_protected_rename_raises(spec_protect: bool, protect_globs: list[str]) -> None:
    spec = make_spec("new", renamed_from=["old"], protect=spec_protect)
    with pytest.raises(PlanError, match=r"router 'old' is protected; renaming it to 'new'"):
        compute_plan([spec], [make_live(make_spec("old"))], protect=protect_globs)


def test_compute_plan_live_router_without_config_raises() -> None:
    summary = LiveRouter.model_validate({"uuid": "u-1", "name": "triage", "description": "x"})
    with pytest.raises(PlanError, match=r"read without its config \(a list summary\)"):
        compute_plan([make_spec()], [summary])


def test_compute_plan_summaries_are_fine_for_routers_it_does_not_touch() -> None:
    summary = LiveRouter.model_validate({"uuid": "u-1", "name": "hand-made"})
    plan = compute_plan([], [summary], prune=True, prune_scope=["team-*"])
    assert plan.unmanaged == ("hand-made",)


def test_compute_plan_server_defaults_are_no_change() -> None:
    live = LiveRouter.model_validate(
        {
            "uuid": "u-1",
            "name": "r",
            "regions": ["all"],
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z",
            "config": {
                "fallback_models": ["m"],
                "policies": [
                    {"custom_task": {"name": "t", "description": "d"}, "models": ["m"]},
                    {"task_slug": "translation", "models": ["m"], "selection_policy": {}},
                ],
            },
        }
    )
    spec = RouterSpec(
        name="r",
        tasks={"t": TaskSpec(description="d", models=["m"])},
        presets={"translation": PresetSpec(models=["m"])},
        fallback_models=["m"],
    )
    plan = compute_plan([spec], [live])
    assert plan.is_empty
    assert plan.summary_line() == "No changes. Live routers match the router files."
