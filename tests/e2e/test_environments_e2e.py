"""Environments end to end: the shipped routers/ + routerctl.yaml + environments/ overlays,
planned and applied per environment against the emulator; and the cost line in plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from routerctl.cli import cli
from routerctl.emulator import Emulator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000"


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Path:
    """The repository's own router files, settings and overlays, pointed at the emulator."""
    for item in ("routers", "environments"):
        shutil.copytree(ROOT / item, tmp_path / item)
    shutil.copy(ROOT / "routerctl.yaml", tmp_path / "routerctl.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
    return tmp_path


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert TOKEN not in result.stdout + result.stderr
    return result


def by_name(emulator: Emulator) -> dict[str, dict]:
    return {r["name"]: r for r in emulator.routers()}


def pool(router: dict, task: str) -> list[str]:
    for policy in router["config"]["policies"]:
        if (policy.get("custom_task") or {}).get("name") == task:
            return policy["models"]
    raise AssertionError(f"no task {task}")


def test_staging_and_prod_are_separate_routers_with_their_own_pools(repo_copy, emulator):
    staging = run("apply", "--env", "staging", "--auto-approve")
    assert staging.exit_code == 0, staging.stderr
    assert "environment: staging" in staging.stdout
    assert sorted(by_name(emulator)) == ["meeting-or-email-staging", "triage-router-staging"]

    prod_plan = run("plan", "--env", "prod", "--detailed-exitcode", "--verbose")
    assert prod_plan.exit_code == 2
    assert "Plan: 2 to create, 0 to update, 0 to delete." in prod_plan.stdout
    # Staging's routers are outside prod's prune scope: listed, never touched.
    assert "meeting-or-email-staging" in prod_plan.stdout
    assert run("apply", "--env", "prod", "--auto-approve").exit_code == 0

    live = by_name(emulator)
    assert pool(live["triage-router-staging"], "draft_customer_reply") == [
        "anthropic-claude-haiku-4.5",
        "openai-gpt-5-nano",
    ]
    assert pool(live["triage-router"], "draft_customer_reply") == [
        "anthropic-claude-sonnet-4.6",
        "anthropic-claude-haiku-4.5",
    ]
    assert live["triage-router-staging"]["description"].startswith("Staging copy")
    for env in ("staging", "prod"):
        converged = run("plan", "--env", env, "--detailed-exitcode")
        assert converged.exit_code == 0, converged.stdout
        assert "No changes." in converged.stdout


def test_saved_plan_for_one_environment_is_refused_in_another(repo_copy, emulator):
    assert run("plan", "--env", "staging", "--out", "staging.json").exit_code == 0
    refused = run("apply", "staging.json", "--env", "prod")
    assert refused.exit_code == 1
    assert "was made for environment 'staging', not 'prod'" in refused.stderr
    assert emulator.routers() == []


def test_unknown_environment_is_a_one_line_error_with_suggestion(repo_copy):
    result = run("plan", "--env", "stagign")
    assert result.exit_code == 1
    assert "environment 'stagign' is not defined" in result.stderr
    assert 'did you mean "staging"?' in result.stderr


def test_plan_shows_monthly_cost_before_and_after(repo_copy, emulator):
    assert run("apply", "--env", "prod", "--auto-approve").exit_code == 0
    triage = repo_copy / "routers" / "triage-router.yaml"
    text = triage.read_text()
    # Escalations move from Opus to Sonnet: $155.00 → $93.00 a month at 20% of 100k tickets.
    triage.write_text(
        text.replace(
            "models: [anthropic-claude-opus-4.7, anthropic-claude-sonnet-4.6]",
            "models: [anthropic-claude-sonnet-4.6, anthropic-claude-opus-4.7]",
        )
    )
    planned = run("plan", "--env", "prod")
    assert planned.exit_code == 0
    assert "triage-router: $518.10/month → $456.10/month (-$62.00/month)" in planned.stdout
    as_json = json.loads(run("plan", "--env", "prod", "--format", "json").stdout)
    row = as_json["costs"]["routers"][0]
    assert row["name"] == "triage-router"
    assert row["delta_monthly"] == pytest.approx(-62.0)


def test_a_target_by_file_name_means_this_environments_router(repo_copy, emulator):
    # Found in review: with both triage-router and triage-router-staging live, --env staging
    # --target triage-router matched the default environment's copy and planned nothing.
    assert run("apply", "--auto-approve").exit_code == 0
    assert run("apply", "--env", "staging", "--auto-approve").exit_code == 0
    path = repo_copy / "routers" / "triage-router.yaml"
    text = path.read_text(encoding="utf-8")  # the classifier's text: the overlay keeps it
    path.write_text(text.replace("description: Categorize", "description: Edited. Categorize"))
    planned = run("plan", "--env", "staging", "--target", "triage-router", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.stdout + planned.stderr
    assert "Plan: 0 to create, 1 to update, 0 to delete." in planned.stdout
    applied = run("apply", "--env", "staging", "--target", "triage-router", "--auto-approve")
    assert applied.exit_code == 0, applied.stderr

    def classifier(router: dict) -> str:
        policies = router["config"]["policies"]
        task = next(
            p for p in policies if (p.get("custom_task") or {}).get("name") == "classify_ticket"
        )
        return task["custom_task"]["description"]

    live = by_name(emulator)
    assert classifier(live["triage-router-staging"]).startswith("Edited. ")
    assert not classifier(live["triage-router"]).startswith("Edited. ")  # default untouched
