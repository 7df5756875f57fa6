"""Golden plans: each directory under tests/golden/ is one case.

    desired/*.yaml   router files (no directory = no routers)
    live.json        the live routers, as GET /v2/gen-ai/models/routers/{uuid} returns them
    options.json     optional compute_plan options: prune, prune_scope, protect, targets
    plan.txt, plan.json, plan.md   the expected renderings, compared byte for byte

Rewrite the expected files with `pytest tests/golden tests/test_golden.py --update-golden`
(see tests/golden/conftest.py) and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from routerctl.diff import compute_plan
from routerctl.errors import ConfigError, PlanError
from routerctl.models import LiveRouter, RouterSpec
from routerctl.plan import Plan, load_plan, save_plan
from routerctl.render import render_plan, render_plan_json, render_plan_markdown
from routerctl.spec import collect_routers

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and (p / "live.json").exists())
OPTION_KEYS = {"prune", "prune_scope", "protect", "targets"}


def load_desired(case: Path) -> list[RouterSpec]:
    directory = case / "desired"
    if not directory.is_dir():
        return []
    result = collect_routers([directory])
    assert result.errors == [], [issue.format() for issue in result.errors]
    return result.specs


def load_live(case: Path) -> list[LiveRouter]:
    items = json.loads((case / "live.json").read_text(encoding="utf-8"))
    return [LiveRouter.model_validate(item) for item in items]


def load_options(case: Path) -> dict[str, Any]:
    path = case / "options.json"
    options: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    assert set(options) <= OPTION_KEYS, f"unknown options {set(options) - OPTION_KEYS}"
    return options


def plan_case(case: Path, *, reverse: bool = False) -> Plan:
    desired, live = load_desired(case), load_live(case)
    if reverse:
        desired, live = desired[::-1], live[::-1]
    return compute_plan(desired, live, **load_options(case))


def renderings(plan: Plan) -> dict[str, str]:
    return {
        "plan.txt": render_plan(plan, color=False),
        "plan.json": render_plan_json(plan),
        "plan.md": render_plan_markdown(plan),
    }


def test_golden_cases_exist() -> None:
    required = {
        "empty",
        "create_only",
        "description_change",
        "tasks_added_removed_renamed",
        "pool_reorder_none",
        "pool_reorder_cheapest",
        "fallback_reorder",
        "preset_vs_custom_same_name",
        "server_defaults",
        "list_without_config",
        "delete_in_scope",
        "delete_outside_scope",
        "protect",
        "rename",
    }
    assert required <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_golden_plan_matches_expected_files(name: str, request: pytest.FixtureRequest) -> None:
    case = GOLDEN / name
    actual = renderings(plan_case(case))
    if request.config.getoption("--update-golden", default=False):
        for filename, text in actual.items():
            (case / filename).write_text(text, encoding="utf-8", newline="\n")
    for filename, text in actual.items():
        expected_path = case / filename
        assert expected_path.exists(), f"{expected_path} missing; run with --update-golden"
        assert text == expected_path.read_text(encoding="utf-8"), f"{name}/{filename} differs"


@pytest.mark.parametrize("name", CASES)
def test_golden_plan_is_deterministic_and_independent_of_input_order(name: str) -> None:
    case = GOLDEN / name
    first = renderings(plan_case(case))
    assert renderings(plan_case(case)) == first
    assert renderings(plan_case(case, reverse=True)) == first


@pytest.mark.parametrize("name", CASES)
def test_golden_plan_json_round_trips_through_from_dict(name: str) -> None:
    data = json.loads((GOLDEN / name / "plan.json").read_text(encoding="utf-8"))
    assert Plan.from_dict(data).to_dict() == data


@pytest.mark.parametrize("name", CASES)
def test_golden_plan_survives_save_and_load(name: str, tmp_path: Path) -> None:
    plan = plan_case(GOLDEN / name)
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    loaded = load_plan(path)
    assert loaded == plan
    assert render_plan(loaded) == render_plan(plan)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved.pop("digest").startswith("sha256:")
    assert saved == json.loads(render_plan_json(plan))


def test_an_edited_plan_is_refused_with_one_line(tmp_path: Path) -> None:
    data = _saved(tmp_path)
    data["changes"][0]["after"]["description"] = "something the reviewer never saw"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert "does not match its digest, so it was edited or damaged" in str(info.value)
    del data["digest"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanError, match="the plan has no digest"):
        load_plan(path)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("api_url", ..., "no 'api_url'"),
        ("prune", ..., "no 'prune'"),
        ("targets", ..., "no 'targets'"),
        ("environment", ..., "no 'environment'"),
        ("prune", "yes", "prune must be true or false"),
        ("targets", "a", "targets must be a list of names"),
        ("api_url", 5, '"api_url" is not a string'),
    ],
)
def test_a_missing_guard_field_is_a_damaged_plan_not_a_disabled_check(
    tmp_path: Path, key: str, value: Any, message: str
) -> None:
    from routerctl.plan import digest

    data = _saved(tmp_path)
    if value is ...:
        del data[key]
    else:
        data[key] = value
    data["digest"] = digest(data)  # consistent, so the guard check itself must catch it
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanError, match=f"damaged plan file \\({message}"):
        load_plan(path)


# --- damaged and foreign plan files ---------------------------------------------------------------


def _saved(tmp_path: Path, name: str = "rename") -> dict[str, Any]:
    path = tmp_path / "good.json"
    save_plan(plan_case(GOLDEN / name), path)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _mangle(data: dict[str, Any], how: str) -> Any:
    change = data["changes"][0]
    if how == "no_action":
        del change["action"]
    elif how == "bad_action":
        change["action"] = "replace"
    elif how == "after_not_state":
        change["after"] = "oops"
    elif how == "update_without_uuid":
        change["uuid"] = None
    elif how == "changes_not_list":
        data["changes"] = {"a": 1}
    elif how == "field_kind":
        change["field_changes"][0]["kind"] = "moved"
    elif how == "change_not_object":
        data["changes"] = ["x"]
    elif how == "no_name":
        change["name"] = ""
    elif how == "warnings_not_text":
        change["warnings"] = [{"text": "x"}]
    return data


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("no_action", "damaged plan file (missing key 'action')"),
        ("bad_action", "damaged plan file ('replace' is not a valid Action)"),
        ("after_not_state", "damaged plan file (change 0 (product-faq) has no valid after state"),
        ("update_without_uuid", "damaged plan file (change 0 (product-faq) has no uuid)"),
        ("changes_not_list", 'not a routerctl plan file (no "changes" list)'),
        ("field_kind", "has a malformed field change"),
        ("change_not_object", "damaged plan file (string indices must be integers"),
        ("no_name", "damaged plan file (change 0 has no router name)"),
        ("warnings_not_text", "damaged plan file (change 0 (product-faq) has malformed warnings)"),
    ],
)
def test_load_plan_damaged_file_raises_one_line_plan_error(
    tmp_path: Path, how: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_mangle(_saved(tmp_path), how)), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", ":1: not a plan file (invalid JSON: Expecting property name"),
        ("[1, 2]", "not a routerctl plan file (no format_version)"),
        ('{"format_version": "2.0", "changes": []}', "plan format 2.0 is not supported"),
        (
            # a Terraform JSON plan: right-looking version, wrong document
            '{"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": []}',
            'not a routerctl plan file (no "changes" list)',
        ),
        ("", ":1: not a plan file (invalid JSON: Expecting value)"),
    ],
)
def test_load_plan_foreign_file_raises_one_line_plan_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_load_plan_unreadable_file_raises_plan_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    for path in (missing, binary, tmp_path):
        with pytest.raises(PlanError, match="cannot read saved plan") as info:
            load_plan(path)
        assert "\n" not in str(info.value)


def test_save_plan_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old", encoding="utf-8")
    plan = plan_case(GOLDEN / "create_only")
    save_plan(plan, path)
    assert load_plan(path) == plan
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_save_plan_failure_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(ConfigError, match="cannot write plan file: it exists and is not a regular"):
        save_plan(Plan(), target)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_plan_costs_survive_the_json_round_trip(tmp_path: Path) -> None:
    costs = {"routers": [{"name": "a", "text": "$1.00/month"}]}
    plan = Plan(costs=costs)
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    assert json.loads(path.read_text(encoding="utf-8"))["costs"] == costs
    assert load_plan(path).costs == costs
