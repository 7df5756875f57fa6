"""render.py: the text, JSON and markdown views of a plan, and the apply report. Pure: plans
are built with compute_plan from in-memory specs."""

from __future__ import annotations

import json
import re

import pytest

from fakes import make_live, make_spec
from routerctl.apply import ApplyResult, Outcome
from routerctl.diff import compute_plan
from routerctl.models import RouterSpec, TaskSpec
from routerctl.plan import Action, Change, FieldChange, Plan
from routerctl.render import (
    MARKDOWN_LIMIT,
    MARKDOWN_MARKER,
    WIDTH,
    plan_header,
    render_apply_result,
    render_plan,
    render_plan_as,
    render_plan_json,
    render_plan_markdown,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def update_plan(before: RouterSpec, after: RouterSpec) -> Plan:
    return compute_plan([after], [make_live(before)])


def change_lines(plan: Plan) -> list[str]:
    """The lines of the first change block in the text rendering."""
    text = render_plan(plan)
    block = text.split("\n\n")[1]
    return block.splitlines()


def mixed_plan() -> Plan:
    return compute_plan(
        [make_spec("a-new"), make_spec("b-upd", description="Changed.")],
        [make_live(make_spec("b-upd"), "u-b"), make_live(make_spec("c-del"), "u-c")],
        prune=True,
        prune_scope=["*"],
    )


# --- text: colour, header, closing line -----------------------------------------------------------


def test_render_plan_without_color_has_no_escape_codes() -> None:
    assert "\x1b" not in render_plan(mixed_plan())


def test_render_plan_with_color_paints_by_action_and_strips_to_the_plain_text() -> None:
    plan = mixed_plan()
    painted = render_plan(plan, color=True)
    assert "\x1b[32m+ create a-new\x1b[0m" in painted
    assert "\x1b[33m~ update b-upd  (uuid u-b)\x1b[0m" in painted
    assert "\x1b[31m- delete c-del  (uuid u-c)\x1b[0m" in painted
    assert "\x1b[1mPlan: 1 to create, 1 to update, 1 to delete.\x1b[0m" in painted
    assert ANSI.sub("", painted) == render_plan(plan)


def test_render_plan_json_and_markdown_never_carry_escape_codes() -> None:
    plan = mixed_plan()
    assert "\x1b" not in render_plan_json(plan)
    assert "\x1b" not in render_plan_markdown(plan)
    assert "\x1b" not in render_plan_as(plan, "markdown", color=True)


def test_render_plan_as_dispatches_on_format() -> None:
    plan = mixed_plan()
    assert render_plan_as(plan, "json") == render_plan_json(plan)
    assert render_plan_as(plan, "markdown") == render_plan_markdown(plan)
    assert render_plan_as(plan, "text", color=True) == render_plan(plan, color=True)


def test_render_plan_closing_line_counts_actions_or_says_no_changes() -> None:
    assert render_plan(mixed_plan()).endswith("Plan: 1 to create, 1 to update, 1 to delete.\n")
    assert render_plan(Plan()).endswith("No changes. Live routers match the router files.\n")


def test_plan_header_names_environment_api_targets_and_prune() -> None:
    plan = Plan(environment="prod", api_url="http://x", targets=("a", "b"), prune=True)
    assert plan_header(plan) == (
        "routerctl plan · environment: prod · API: http://x · targets: a, b · prune: on"
    )
    assert plan_header(Plan()) == "routerctl plan · environment: default"


def test_render_plan_lists_long_router_lists_wrapped_with_a_count() -> None:
    names = tuple(f"router-{i:03d}" for i in range(30))
    text = render_plan(Plan(unchanged=names), verbose=True)
    lines = [line for line in text.splitlines() if "router-" in line]
    assert lines[0].startswith("Unchanged (30): router-000, router-001,")
    assert all(len(line) <= WIDTH for line in lines)
    assert all(line.startswith("    router-") for line in lines[1:])
    assert ", ".join(names) == " ".join(" ".join(lines).split()).split(": ", 1)[1]


def test_quiet_plan_counts_unchanged_and_unmanaged_routers_by_default() -> None:
    # Issue 15 item 5: at 300 routers the names would bury the changes.
    plan = Plan(
        unchanged=tuple(f"u-{i:03d}" for i in range(300)),
        unmanaged=tuple(f"x-{i}" for i in range(12)),
        prunable=("gone-a",),
        protected=("keep-a",),
    )
    text = render_plan(plan)
    assert "Unchanged: 300 routers (list them with --verbose)" in text
    assert "Not managed here (outside the prune scope), left untouched: 12 routers" in text
    assert "u-000" not in text
    assert "x-0" not in text
    # What --prune would delete (or refuses to) is always named.
    assert "gone-a" in text
    assert "keep-a" in text
    verbose = render_plan(plan, verbose=True)
    assert "u-299" in verbose
    assert "x-11" in verbose


def test_quiet_plan_markdown_never_lists_unchanged_names() -> None:
    plan = Plan(unchanged=tuple(f"u-{i:05d}" for i in range(20_000)))
    text = render_plan_markdown(plan)
    assert "- Unchanged: 20000 routers (list them with --verbose)" in text
    assert "u-00000" not in text
    assert len(text) < 2_000
    listed = render_plan_markdown(plan, verbose=True)
    assert "`u-00000`" in listed
    assert len(listed) <= MARKDOWN_LIMIT


def test_apply_header_says_apply() -> None:
    assert render_plan(Plan(), title="routerctl apply").startswith("routerctl apply · ")


# --- text: update bodies --------------------------------------------------------------------------


def test_render_update_summarises_unchanged_fields() -> None:
    after = make_spec(
        tasks={**make_spec().tasks, "reply": TaskSpec(description="New reply.", models=["m"])}
    )
    lines = change_lines(update_plan(make_spec(), after))
    assert lines[-1] == "    # unchanged: description, 1 task, 1 preset, fallback_models"


def test_render_update_has_no_summary_when_everything_changed() -> None:
    after = RouterSpec(name="triage", description="All new.", fallback_models=["x"])
    lines = change_lines(update_plan(make_spec(), after))
    assert not any("# unchanged" in line for line in lines)


def test_render_update_verbose_shows_unchanged_fields_in_full() -> None:
    plan = update_plan(make_spec(), make_spec(description="Changed."))
    text = render_plan(plan, verbose=True)
    assert "      task reply (prefer: none)" in text
    assert "          models: [anthropic-claude-sonnet-4.6, anthropic-claude-haiku-4.5]" in text
    assert "      fallback_models: [llama3.3-70b-instruct]" in text
    assert "# unchanged" not in text


def test_render_update_verbose_shows_unchanged_description_as_context() -> None:
    plan = update_plan(make_spec(), make_spec(fallback_models=["x"]))
    text = render_plan(plan, verbose=True)
    assert '      description: "Support triage."' in text
    assert "      fallback_models:" not in text


def test_render_create_without_description_leaves_the_line_out() -> None:
    lines = change_lines(compute_plan([make_spec(description="")], []))
    assert lines[1] == "    + task classify (prefer: cheapest)"


def test_render_update_task_added_shows_its_description_and_models() -> None:
    tasks = {**make_spec().tasks, "escalate": TaskSpec(description="Brief a human.", models=["m"])}
    lines = change_lines(update_plan(make_spec(), make_spec(tasks=tasks)))
    assert lines[1:4] == [
        "    + task escalate (prefer: none)",
        '        + description: "Brief a human."',
        "        + models: [m]",
    ]


def test_render_update_task_removed_shows_what_is_lost() -> None:
    tasks = {"reply": make_spec().tasks["reply"]}
    lines = change_lines(update_plan(make_spec(), make_spec(tasks=tasks)))
    assert lines[1:4] == [
        "    - task classify (prefer: cheapest)",
        '        - description: "Label the ticket."',
        "        - models: [openai-gpt-5-nano, llama3.3-70b-instruct]",
    ]


def test_render_update_groups_field_changes_under_their_task() -> None:
    before = make_spec(tasks={"t": TaskSpec(description="d", models=["a", "b"], prefer="cheapest")})
    after = make_spec(tasks={"t": TaskSpec(description="d2", models=["b", "a"], prefer="none")})
    assert change_lines(update_plan(before, after))[1:6] == [
        "    ~ task t",
        '        ~ description: "d" → "d2"',
        "        ~ models: [a, b] → [b, a]",
        "            ~ b: #2 → #1",
        "        ~ prefer: cheapest → none",
    ]


def test_render_update_pool_reorder_hidden_by_cheapest_is_explained() -> None:
    before = make_spec(tasks={"t": TaskSpec(description="d", models=["a", "b"], prefer="cheapest")})
    after = make_spec(
        tasks={"t": TaskSpec(description="d", models=["c", "b", "a"], prefer="cheapest")}
    )
    assert change_lines(update_plan(before, after))[1:5] == [
        "    ~ task t",
        "        ~ models: [a, b] → [c, b, a]",
        "            + c",
        "            # order not compared: prefer cheapest ranks the pool itself",
    ]


def test_render_update_task_keys_with_spaces_are_quoted_and_dots_kept() -> None:
    before = make_spec(tasks={"Code review v1.2": TaskSpec(description="a", models=["m"])})
    after = make_spec(tasks={"Code review v1.2": TaskSpec(description="b", models=["m"])})
    assert change_lines(update_plan(before, after))[1:3] == [
        '    ~ task "Code review v1.2"',
        '        ~ description: "a" → "b"',
    ]


def test_render_update_long_list_change_splits_before_and_after() -> None:
    models = [f"provider-model-number-{i}" for i in range(4)]
    before = make_spec(fallback_models=models)
    after = make_spec(fallback_models=[models[3], *models[:3]])
    lines = change_lines(update_plan(before, after))
    assert lines[1] == f"    ~ fallback_models: [{', '.join(models)}]"
    assert lines[2] == f"                     → [{', '.join([models[3], *models[:3]])}]"
    assert lines[3] == "        ~ provider-model-number-3: #4 → #1"


def test_render_update_long_description_is_a_sentence_diff_with_context() -> None:
    sentences = [f"Sentence number {i} says something about routing." for i in range(1, 9)]
    edited = [*sentences[:4], "Sentence five was rewritten.", *sentences[5:]]
    before = make_spec(description=" ".join(sentences))
    after = make_spec(description=" ".join(edited))
    assert change_lines(update_plan(before, after))[1:10] == [
        "    ~ description:",
        "        # (2 unchanged sentences hidden)",
        "          Sentence number 3 says something about routing.",
        "          Sentence number 4 says something about routing.",
        "        - Sentence number 5 says something about routing.",
        "        + Sentence five was rewritten.",
        "          Sentence number 6 says something about routing.",
        "          Sentence number 7 says something about routing.",
        "        # (1 unchanged sentence hidden)",
    ]


def test_render_update_description_with_newlines_diffs_by_line() -> None:
    before = make_spec(description="Line one.\nLine two.")
    after = make_spec(description="Line one.\nLine 2.")
    assert change_lines(update_plan(before, after))[1:5] == [
        "    ~ description:",
        "          Line one.",
        "        - Line two.",
        "        + Line 2.",
    ]


def test_render_create_wraps_long_descriptions_without_breaking_words() -> None:
    description = "word " * 40 + "anthropic-claude-sonnet-4.6-with-a-very-long-identifier"
    plan = compute_plan([make_spec(description=description)], [])
    lines = change_lines(plan)
    assert lines[1] == "    + description:"
    body = [line for line in lines[2:] if line.startswith("          ")]
    assert all(len(line) <= 10 + 76 for line in body)
    assert body[-1].strip().endswith("anthropic-claude-sonnet-4.6-with-a-very-long-identifier")


def test_render_delete_shows_the_router_being_removed() -> None:
    live = [make_live(make_spec("gone"), "u-g"), make_live(make_spec("kept"), "u-k")]
    plan = compute_plan([make_spec("kept")], live, prune=True, prune_scope=["*"])
    assert change_lines(plan)[:3] == [
        "- delete gone  (uuid u-g)",
        '    ! clients calling model "router:gone" will get errors once it is deleted',
        '    - description: "Support triage."',
    ]


def test_render_rename_heads_with_old_and_new_name_and_warns() -> None:
    plan = compute_plan([make_spec("new", renamed_from=["old"])], [make_live(make_spec("old"))])
    lines = change_lines(plan)
    assert lines[0] == "~ rename old → new  (uuid u-1)"
    assert lines[1].startswith('    ! RENAME: clients calling model "router:old" will break')
    assert lines[2] == "    ~ name: old → new"


# --- markdown -------------------------------------------------------------------------------------


def test_markdown_starts_with_marker_summary_and_table_with_deletes_in_bold() -> None:
    text = render_plan_markdown(mixed_plan())
    assert text.splitlines()[:10] == [
        MARKDOWN_MARKER,
        "### routerctl plan — `default`",
        "",
        "**Plan: 1 to create, 1 to update, 1 to delete.**",
        "",
        "| | router | action | changes |",
        "|---|---|---|---|",
        "| + | `a-new` | create | 2 tasks, 1 preset |",
        "| ~ | `b-upd` | update | description |",
        "| - | **`c-del`** | **delete** | 2 tasks, 1 preset |",
    ]
    assert "<details><summary><b>- <code>c-del</code> delete</b></summary>" in text
    assert text.endswith("<sub>routerctl plan · environment: default · prune: on</sub>\n")


def test_markdown_diff_blocks_put_the_change_marker_in_column_one() -> None:
    text = render_plan_markdown(mixed_plan())
    blocks = re.findall(r"```diff\n(.*?)\n```", text, re.S)
    assert len(blocks) == 3
    lines = [line for block in blocks for line in block.splitlines()]
    assert all(line[:1] in "+-! " and line[1:2] in ("", " ") for line in lines)
    assert "! ~ update b-upd  (uuid u-b)" in lines
    assert '!     ~ description: "Support triage." → "Changed."' in lines
    assert "+     + task classify (prefer: cheapest)" in lines
    assert "-     - fallback_models: [llama3.3-70b-instruct]" in lines


def test_markdown_fence_is_longer_than_any_backtick_run_in_the_body() -> None:
    plan = compute_plan([make_spec(description="Use ```json blocks``` in replies.")], [])
    text = render_plan_markdown(plan)
    assert "````diff\n" in text
    assert text.count("````") == 2


def test_markdown_table_escapes_pipes_in_task_keys() -> None:
    before = make_spec(tasks={"a|b": TaskSpec(description="x", models=["m"])})
    after = make_spec(tasks={"a|b": TaskSpec(description="y", models=["m"])})
    text = render_plan_markdown(update_plan(before, after))
    assert "| ~ | `triage` | update | task `a\\|b` (description) |" in text


def test_markdown_table_names_task_changes_by_key() -> None:
    tasks = {
        "classify": TaskSpec(description="Label it.", models=["openai-gpt-5-nano"]),
        "new": TaskSpec(description="n", models=["m"]),
    }
    text = render_plan_markdown(update_plan(make_spec(), make_spec(tasks=tasks, presets={})))
    assert (
        "| ~ | `triage` | update | task `classify` (description, models, prefer); task `new` "
        "added; task `reply` removed; preset `summarization` removed |"
    ) in text


def test_markdown_under_a_small_limit_keeps_the_table_and_says_what_was_cut() -> None:
    desired = [make_spec(f"router-{i}", description=f"New {i}.") for i in range(10)]
    live = [make_live(make_spec(f"router-{i}"), f"u-{i}") for i in range(10)]
    plan = compute_plan(desired, live)
    full = render_plan_markdown(plan)
    limit = 2500
    text = render_plan_markdown(plan, limit=limit)
    assert len(full) > limit >= len(text)
    assert all(f"| ~ | `router-{i}` | update | description |" in text for i in range(10))
    assert (
        "> [!NOTE]\n> Truncated to stay under the comment size limit (2,500 characters): " in text
    )
    assert "router details left out" in text
    assert text.endswith("</sub>\n")


def test_markdown_table_truncation_keeps_deletes() -> None:
    desired = [make_spec(f"new-{i:02d}") for i in range(60)]
    live = [make_live(make_spec("old-a"), "u-a"), make_live(make_spec("old-b"), "u-b")]
    plan = compute_plan(desired, live, prune=True, prune_scope=["old-*"])
    text = render_plan_markdown(plan, limit=3000)
    assert len(text) <= 3000
    assert "| - | **`old-a`** | **delete** |" in text
    assert "| - | **`old-b`** | **delete** |" in text
    assert re.search(r"\| \| _… \d+ more routers_ \| \| \|", text)
    assert "table rows" in text


def test_markdown_of_a_thousand_routers_stays_under_the_default_limit() -> None:
    desired = [make_spec(f"router-{i:04d}", description=f"Router {i}.") for i in range(1000)]
    live = [make_live(make_spec(f"router-{i:04d}"), f"u-{i}") for i in range(0, 1000, 2)]
    text = render_plan_markdown(compute_plan(desired, live))
    assert len(text) <= MARKDOWN_LIMIT
    assert "**Plan: 500 to create, 500 to update, 0 to delete.**" in text
    assert "Truncated to stay under the comment size limit (60,000 characters)" in text


def test_markdown_long_name_lists_are_cut_with_a_count() -> None:
    plan = Plan(unmanaged=tuple(f"hand-made-{i:04d}" for i in range(2000)))
    text = render_plan_markdown(plan, verbose=True)
    assert len(text) <= MARKDOWN_LIMIT
    bullet = next(line for line in text.splitlines() if line.startswith("- Not managed here"))
    assert re.search(r", … \d+ more$", bullet)
    assert "names from 'Not managed here" in text


def test_markdown_lists_unchanged_and_orphans_and_costs() -> None:
    plan = Plan(
        unchanged=("a",),
        prunable=("b",),
        protected=("c",),
        unmanaged=("d",),
        costs={
            "routers": [
                {
                    "name": "a",
                    "before_monthly": 12.0,
                    "after_monthly": 12.0,
                    "delta_monthly": 0.0,
                }
            ]
        },
    )
    text = render_plan_markdown(plan, verbose=True)
    assert "- Not in the files; deleted only with --prune (1): `b`" in text
    assert "- Not in the files; protected, never deleted (1): `c`" in text
    assert "- Not managed here (outside the prune scope), left untouched (1): `d`" in text
    assert "- Unchanged (1): `a`" in text
    quiet = render_plan_markdown(plan)
    assert "- Not in the files; deleted only with --prune (1): `b`" in quiet
    assert "- Unchanged: 1 router (list them with --verbose)" in quiet
    assert "- **Monthly cost**: `a` $12.00/month (no change)" in text
    plain = render_plan(plan)
    assert "Monthly cost (traffic profile):\n  a: $12.00/month (no change)\n" in plain


def test_markdown_warnings_become_alerts() -> None:
    plan = compute_plan([make_spec("new", renamed_from=["old"])], [make_live(make_spec("old"))])
    text = render_plan_markdown(plan)
    assert '> [!WARNING]\n> RENAME: clients calling model "router:old" will break' in text
    assert "| ~ | `new` | rename from `old` | name only |" in text


# --- json -----------------------------------------------------------------------------------------


def test_render_plan_json_is_versioned_with_actions_and_field_paths() -> None:
    data = json.loads(render_plan_json(mixed_plan()))
    assert data["format_version"] == "1.1"
    assert data["summary"] == {"create": 1, "update": 1, "delete": 1, "unchanged": 0}
    assert [(c["action"], c["name"]) for c in data["changes"]] == [
        ("create", "a-new"),
        ("update", "b-upd"),
        ("delete", "c-del"),
    ]
    update = data["changes"][1]
    assert update["field_changes"] == [
        {
            "path": "description",
            "kind": "changed",
            "before": "Support triage.",
            "after": "Changed.",
            "notes": [],
        }
    ]
    assert update["before"]["description"] == "Support triage."
    assert update["after"]["description"] == "Changed."


def test_render_handles_a_hand_built_change_without_states() -> None:
    change = Change(
        name="x",
        action=Action.UPDATE,
        uuid="u",
        fields=(FieldChange("tasks.t", "removed"), FieldChange("tasks.t2", "added")),
    )
    text = render_plan(Plan(changes=(change,)))
    assert "    - task t (prefer: ?)" in text
    assert "    + task t2 (prefer: ?)" in text


# --- apply report ---------------------------------------------------------------------------------


@pytest.mark.parametrize("color", [False, True])
def test_render_apply_result_lists_each_router_and_the_summary(color: bool) -> None:
    result = ApplyResult(
        outcomes=(
            Outcome("a", Action.CREATE, "created", uuid="u-a"),
            Outcome("b", Action.UPDATE, "updated", uuid="u-b", renamed_from="old-b"),
            Outcome("c", Action.DELETE, "failed", uuid="u-c", error="DELETE … → 500"),
            Outcome("d", Action.CREATE, "skipped"),
        )
    )
    text = ANSI.sub("", render_apply_result(result, color=color))
    assert text.splitlines() == [
        "",
        "Apply report:",
        "  created  a  (uuid u-a)",
        "  updated  old-b → b  (uuid u-b)",
        "  failed   c  (uuid u-c)",
        "           DELETE … → 500",
        "  skipped  d",
        "",
        result.summary_line(),
    ]
    assert ("\x1b[" in render_apply_result(result, color=color)) is color


def test_cost_block_is_omitted_when_no_changed_router_has_traffic():
    plan = Plan(unchanged=("a",), costs={"price_source": "shipped", "routers": []})
    assert "Monthly cost" not in render_plan(plan)
    assert "Monthly cost" not in render_plan_markdown(plan)
