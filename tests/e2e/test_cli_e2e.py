"""The real CLI against the emulator over HTTP: every feature's first test is apply, then plan
reports no changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from routerctl.cli import cli
from routerctl.emulator import Emulator, FaultPlan

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

# The API documents no name uniqueness (reference §8.8): the core journeys must hold both where
# a duplicate name is a 409 and where it quietly makes a second router.
BOTH_NAME_MODES = pytest.mark.parametrize(
    "emulator",
    [
        pytest.param({"unique_names": True}, id="unique-names"),
        pytest.param({"unique_names": False}, id="duplicates-allowed"),
    ],
    indirect=True,
)
TOKEN = "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000"


def router_yaml(name: str, *, fallback: str = "llama3.3-70b-instruct", extra: str = "") -> str:
    return (
        f"name: {name}\n"
        f"description: Router {name}.\n"
        "tasks:\n"
        "  summarize:\n"
        "    description: Summarize long documents into short overviews.\n"
        "    models: [anthropic-claude-haiku-4.5, openai-gpt-5-nano]\n"
        "presets:\n"
        "  translation:\n"
        "    models: [llama3.3-70b-instruct]\n"
        f"fallback_models: [{fallback}, openai-gpt-5-nano]\n" + extra
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Path:
    """A project directory with routers/ and a prune scope, and env pointing at the emulator."""
    (tmp_path / "routers").mkdir()
    (tmp_path / "routerctl.yaml").write_text(
        "prune:\n  scope: ['app-*']\n  protect: ['app-keep']\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
    return tmp_path


def write(project: Path, name: str, text: str) -> None:
    (project / "routers" / f"{name}.yaml").write_text(text)


def run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert TOKEN not in result.stdout + result.stderr
    return result


def live_names(emulator: Emulator) -> list[str]:
    return sorted(r["name"] for r in emulator.routers())


def assert_converged() -> None:
    result = run("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("No changes. Live routers match the router files.")


@BOTH_NAME_MODES
def test_shipped_routers_apply_then_plan_shows_no_changes(project, emulator):
    shutil.copytree(ROOT / "routers", project / "routers", dirs_exist_ok=True)
    first = run("plan", "--detailed-exitcode")
    assert first.exit_code == 2
    assert "Plan: 2 to create, 0 to update, 0 to delete." in first.stdout
    applied = run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert "Apply complete: 2 created, 0 updated, 0 deleted." in applied.stdout
    assert live_names(emulator) == ["meeting-or-email", "triage-router"]
    assert_converged()


@BOTH_NAME_MODES
def test_change_made_in_the_control_panel_is_reported_as_drift(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    assert run("apply", "--auto-approve").exit_code == 0
    stored = emulator.routers()[0]
    emulator.update_router(
        stored["uuid"],
        {
            "name": "app-a",
            "description": stored["description"],
            "policies": stored["config"]["policies"],
            "fallback_models": ["openai-gpt-5-nano", "llama3.3-70b-instruct"],
        },
    )
    drift = run("plan", "--detailed-exitcode")
    assert drift.exit_code == 2
    assert "~ update app-a" in drift.stdout
    assert "llama3.3-70b-instruct: #2 → #1" in drift.stdout
    assert run("apply", "--auto-approve").exit_code == 0
    assert_converged()


@BOTH_NAME_MODES
def test_update_then_rename_then_delete_each_converge(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    write(project, "app-b", router_yaml("app-b"))
    assert run("apply", "--auto-approve").exit_code == 0
    uuid_a = {r["name"]: r["uuid"] for r in emulator.routers()}["app-a"]

    write(project, "app-a", router_yaml("app-a", fallback="deepseek-v3.2"))
    updated = run("apply", "--auto-approve")
    assert "Apply complete: 0 created, 1 updated, 0 deleted." in updated.stdout
    assert_converged()

    (project / "routers" / "app-a.yaml").unlink()
    write(
        project,
        "app-c",
        router_yaml("app-c", fallback="deepseek-v3.2", extra="renamed_from: app-a\n"),
    )
    planned = run("plan")
    assert "~ rename app-a → app-c" in planned.stdout
    assert 'clients calling model "router:app-a" will break' in planned.stdout
    assert run("apply", "--auto-approve").exit_code == 0
    assert {r["name"]: r["uuid"] for r in emulator.routers()}["app-c"] == uuid_a
    assert_converged()

    (project / "routers" / "app-b.yaml").unlink()
    without_prune = run("plan", "--detailed-exitcode")
    assert without_prune.exit_code == 2  # an in-scope router without a file is drift
    assert "Not in the files; deleted only with --prune (1): app-b" in without_prune.stdout
    pruned = run("apply", "--auto-approve", "--prune")
    assert "Apply complete: 0 created, 0 updated, 1 deleted." in pruned.stdout
    assert live_names(emulator) == ["app-c"]
    assert_converged()


def test_prune_never_touches_unmanaged_or_protected_routers(project, emulator):
    for name in ("app-keep", "someone-elses", "app-gone"):
        emulator.put_router(
            {"name": name, "fallback_models": ["llama3.3-70b-instruct"], "policies": []}
        )
    write(project, "app-a", router_yaml("app-a"))
    result = run("apply", "--auto-approve", "--prune")
    assert result.exit_code == 0
    assert "Not in the files; protected, never deleted (1): app-keep" in result.stdout
    assert "left untouched: 1 router (list them with --verbose)" in result.stdout
    listed = run("plan", "--verbose", "--prune")
    assert "left untouched (1): someone-elses" in listed.stdout
    assert live_names(emulator) == ["app-a", "app-keep", "someone-elses"]


def test_fault_mid_apply_exits_3_with_accurate_report_and_rerun_converges(project, emulator):
    for index in range(5):
        write(project, f"app-{index}", router_yaml(f"app-{index}"))
    # Two creates go through, the third is rejected for good (a 4xx is never retried).
    emulator.set_faults(
        FaultPlan(
            script=[
                {"match": "POST /v2/gen-ai/models/routers", "action": "delay", "times": 2},
                {"match": "POST /v2/gen-ai/models/routers", "action": "status", "status": 422},
            ]
        )
    )
    result = run("apply", "--auto-approve", "--parallelism", "1")
    assert result.exit_code == 3, result.stderr
    report = result.stdout[result.stdout.index("Apply report:") :]
    assert report.count("created ") == 2
    assert report.count("failed ") == 1
    assert report.count("skipped ") == 2
    assert "422" in report
    assert "Apply stopped: 2 created, 0 updated, 0 deleted, 1 failed, 2 skipped." in result.stdout
    assert len(emulator.routers()) == 2

    again = run("apply", "--auto-approve")
    assert again.exit_code == 0
    assert "Apply complete: 3 created, 0 updated, 0 deleted." in again.stdout
    assert live_names(emulator) == [f"app-{i}" for i in range(5)]
    assert_converged()


def test_json_apply_report_for_ci(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    result = run("apply", "--auto-approve", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["summary"] == {
        "created": 1,
        "updated": 0,
        "deleted": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert report["outcomes"][0]["name"] == "app-a"
    assert "+ create app-a" in result.stderr  # the plan went to stderr, stdout stays JSON


def test_saved_plan_applies_exactly_and_stale_plan_is_refused(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    assert run("apply", "--auto-approve").exit_code == 0
    write(project, "app-a", router_yaml("app-a", fallback="deepseek-v3.2"))
    write(project, "app-b", router_yaml("app-b"))
    saved = run("plan", "--out", "plan.json")
    assert saved.exit_code == 0
    plan_text = (project / "plan.json").read_text()
    assert TOKEN not in plan_text

    # Someone edits app-a in the control panel after the plan was reviewed.
    stored = next(r for r in emulator.routers() if r["name"] == "app-a")
    emulator.update_router(
        stored["uuid"],
        {
            "name": "app-a",
            "description": "edited by hand",
            "policies": stored["config"]["policies"],
            "fallback_models": stored["config"]["fallback_models"],
        },
    )
    refused = run("apply", "plan.json")
    assert refused.exit_code == 1
    assert "saved plan plan.json is stale, nothing applied: app-a: changed live" in refused.stderr
    assert live_names(emulator) == ["app-a"]

    fresh = run("plan", "--out", "plan.json")
    assert fresh.exit_code == 0
    applied = run("apply", "plan.json")
    assert applied.exit_code == 0, applied.stderr
    assert "Apply complete: 1 created, 1 updated, 0 deleted." in applied.stdout
    assert_converged()


def test_saved_plan_refused_when_router_to_create_now_exists(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    assert run("plan", "--out", "plan.json").exit_code == 0
    emulator.put_router({"name": "app-a", "fallback_models": ["llama3.3-70b-instruct"]})
    refused = run("apply", "plan.json")
    assert refused.exit_code == 1
    assert "app-a: now exists live (created since the plan)" in refused.stderr
    assert len(emulator.routers()) == 1


@BOTH_NAME_MODES
def test_lost_post_response_does_not_create_a_duplicate(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    emulator.set_faults(
        FaultPlan(
            script=[{"match": "POST /v2/gen-ai/models/routers", "action": "drop_after_commit"}]
        )
    )
    result = run("apply", "--auto-approve")
    assert result.exit_code == 0, result.stderr
    assert emulator.stats["faults"]["drop_after_commit"] == 1  # the response really was lost
    assert emulator.stats["creates_committed"] == 1
    assert live_names(emulator) == ["app-a"]
    assert_converged()


def test_apply_without_terminal_or_auto_approve_refuses_before_any_write(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    result = run("apply")
    assert result.exit_code == 1
    assert "refusing to apply without confirmation" in result.stderr
    assert emulator.routers() == []


def test_declining_the_prompt_changes_nothing(project, emulator, monkeypatch):
    monkeypatch.setattr("routerctl.cli._stdin_is_tty", lambda: True)
    write(project, "app-a", router_yaml("app-a"))
    result = run("apply", input="no\n")
    assert result.exit_code == 1
    assert "Apply cancelled; nothing was changed." in result.stderr
    assert emulator.routers() == []
    accepted = run("apply", input="yes\n")
    assert accepted.exit_code == 0
    assert "Apply these changes?" in accepted.stderr
    assert "Apply these changes?" not in accepted.stdout
    assert live_names(emulator) == ["app-a"]


def test_import_round_trips_routers_made_outside_routerctl(project, emulator):
    emulator.put_router(
        {
            "name": "made-in-panel",
            "description": "Multi-line\ndescription with ünïcode — and: colons # not a comment",
            "policies": [
                {"task_slug": "summarization", "models": ["openai-gpt-5-nano"]},
                {
                    "custom_task": {"name": "Code reviewer", "description": "Review code diffs."},
                    "models": ["anthropic-claude-sonnet-4.6", "deepseek-v3.2"],
                    "selection_policy": {"prefer": "cheapest"},
                },
            ],
            "fallback_models": ["llama3.3-70b-instruct"],
        }
    )
    emulator.put_router(
        {
            "name": "presets-only",
            "fallback_models": ["openai-gpt-5-nano"],
            "policies": [{"task_slug": "translation", "models": ["deepseek-v3.2"]}],
        }
    )
    emulator.put_router({"name": "no-tasks", "fallback_models": ["openai-gpt-5-nano"]})
    result = run("import", "--all")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (project / "routers").iterdir()) == [
        "made-in-panel.yaml",
        "no-tasks.yaml",
        "presets-only.yaml",
    ]
    text = (project / "routers" / "made-in-panel.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/router.schema.json\n")
    assert "  Code reviewer:\n" in text
    assert run("validate").exit_code == 0
    assert_converged()
    again = run("import", "made-in-panel")
    assert again.exit_code == 1
    assert "exists; pass --force to overwrite it" in again.stderr


def test_list_without_config_gives_same_plan(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    assert run("apply", "--auto-approve").exit_code == 0
    emulator.configure(summary_list=True)
    assert_converged()


def test_missing_token_is_one_line_error_naming_the_options(project, monkeypatch):
    monkeypatch.delenv("DIGITALOCEAN_TOKEN")
    write(project, "app-a", router_yaml("app-a"))
    result = run("plan")
    assert result.exit_code == 1
    assert "DIGITALOCEAN_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_installed_entry_point_real_exit_codes(project, emulator):
    write(project, "app-a", router_yaml("app-a"))
    env: dict[str, Any] = {**os.environ}
    command = [sys.executable, "-m", "routerctl"]
    changes = subprocess.run(
        [*command, "plan", "--detailed-exitcode"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert changes.returncode == 2
    usage = subprocess.run(
        [*command, "plan", "--no-such-flag"], env=env, capture_output=True, text=True, check=False
    )
    assert usage.returncode == 64
    assert "No such option" in usage.stderr


def test_import_keeps_routers_that_only_trigger_warnings(project, emulator):
    long_text = "Ligne un — déjà vu.\n" + "Route anything about invoices and refunds. " * 20
    emulator.put_router(
        {
            "name": "panel-made",
            "description": long_text,
            "policies": [
                {
                    "custom_task": {"name": "big pool", "description": "Answer billing questions."},
                    "models": [
                        "openai-gpt-5-nano",
                        "llama3.3-70b-instruct",
                        "deepseek-v3.2",
                        "anthropic-claude-haiku-4.5",
                    ],
                },
                {
                    "custom_task": {"name": "solo", "description": "Translate short messages."},
                    "models": ["deepseek-v3.2"],
                    "selection_policy": {"prefer": "cheapest"},
                },
            ],
            "fallback_models": ["deepseek-v3.2"],
        }
    )
    result = run("import", "panel-made")
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 3  # pool of 4, cheapest on one model, fallback == a pool
    assert all(line.startswith("routers/panel-made.yaml:") for line in warnings)
    checked = run("validate")
    assert checked.exit_code == 0
    assert "3 warnings" in checked.stdout
    assert_converged()
