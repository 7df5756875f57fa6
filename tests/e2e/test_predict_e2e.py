"""The routing predictor through the installed CLI: `routerctl emulator` routes inference with
it, `routerctl test --offline` predicts without any server, and a live `routerctl test` says
how often the predictor agreed with the live route."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from routerctl.cli import cli
from routerctl.emulator import Emulator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ROUTERCTL = str(Path(sys.executable).with_name("routerctl"))
TOKEN = "dop_v1_e2e0000000000000000000000000000000000000000000000000000000000000"
# Word overlap finds no shared term with either task here; the semantic predictor does.
KICKOFF = "Kickoff for the website redesign with design, marketing, and two agencies."


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DIGITALOCEAN_", "MODEL_ACCESS", "ROUTERCTL_"))
    }
    return {**env, **extra}


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "routers", tmp_path / "routers")
    return tmp_path


def start_emulator(cwd: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [ROUTERCTL, "emulator", "--port", "0"],
        cwd=cwd,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        # The URL is the first stdout line, after the model loads (~1 s): wait 30 s at most.
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "routerctl emulator printed no URL within 30 s"
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()


def route_of(url: str, prompt: str) -> tuple[str, str]:
    reply = httpx.post(
        f"{url}/v1/chat/completions",
        json={
            "model": "router:meeting-or-email",
            "messages": [{"role": "user", "content": prompt}],
        },
        headers={"authorization": "Bearer any"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return reply.headers["x-model-router-selected-route"], reply.headers["x-emulator-predictor"]


def test_emulator_command_routes_inference_with_the_routing_predictor(seed_project):
    for url in start_emulator(seed_project):
        applied = subprocess.run(
            [ROUTERCTL, "apply", "--auto-approve"],
            cwd=seed_project,
            env=clean_env(DIGITALOCEAN_API_URL=url, DIGITALOCEAN_TOKEN=TOKEN),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert applied.returncode == 0, applied.stderr
        assert route_of(url, KICKOFF) == (
            "write_meeting_agenda",
            "semantic:wordllama-l2_supercat-256",
        )


def test_an_emulator_without_a_matcher_sends_everything_to_fallback():
    """The emulator picks no task by itself: that is the predictor's job, injected."""
    with Emulator() as emu:
        emu.put_router(
            {
                "name": "meeting-or-email",
                "policies": [
                    {
                        "custom_task": {"name": "write_meeting_agenda", "description": KICKOFF},
                        "models": ["m"],
                    }
                ],
                "fallback_models": ["fb"],
            }
        )
        assert route_of(emu.url, KICKOFF) == ("fallback", "none")


def test_offline_test_needs_no_server_and_names_the_predictor(seed_project):
    result = subprocess.run(
        [ROUTERCTL, "test", "--offline"],
        cwd=seed_project,
        env=clean_env(DIGITALOCEAN_API_URL="http://127.0.0.1:9"),  # nothing listens there
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(
        "predicted offline by semantic:wordllama-l2_supercat-256: no request was sent"
    )
    assert "router:triage-router  7/7 passed\n" in result.stdout
    assert result.stdout.endswith("Routing tests passed: 12 of 12 cases matched.\n")


def test_offline_test_fails_when_an_edit_moves_a_case(seed_project):
    """Rewriting write_email to be about something else moves its cases: offline `test`
    catches it with exit 1, the JSON names the predictor."""
    path = seed_project / "routers" / "meeting-or-email.yaml"
    text = path.read_text()
    start = text.index("  write_email:\n    description: >-\n") + len("  write_email:\n")
    end = text.index("    models:", start)
    path.write_text(
        text[:start]
        + "    description: Translate recipes between French and German.\n"
        + text[end:]
    )
    result = subprocess.run(
        [ROUTERCTL, "test", "--offline", "--format", "json", "meeting-or-email"],
        cwd=seed_project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["offline"] is True
    assert report["predictor"] == "semantic:wordllama-l2_supercat-256"
    moved = [c for c in report["routers"][0]["cases"] if not c["passed"]]
    assert moved
    assert {c["expect_task"] for c in moved} == {"write_email"}


def test_live_test_reports_predictor_agreement_with_the_live_route(
    tmp_path, monkeypatch, emulator: Emulator
):
    shutil.copytree(ROOT / "routers", tmp_path / "routers")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    monkeypatch.setenv("DIGITALOCEAN_INFERENCE_URL", emulator.url + "/v1")
    monkeypatch.setenv("MODEL_ACCESS_KEY", "mak-e2e-key-0000")
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
    assert CliRunner().invoke(cli, ["apply", "--auto-approve"]).exit_code == 0
    # The in-process emulator routes with its built-in word overlap; the predictor agrees on
    # every shipped case (both pass all 12), so the line must say 5 of 5 and 7 of 7.
    result = CliRunner().invoke(cli, ["test"])
    assert result.exit_code == 0, result.stdout + result.stderr
    name = "semantic:wordllama-l2_supercat-256"
    assert f"  routing preview ({name}) agreed with the live route on 5 of 5 cases (100%)\n" in (
        result.stdout
    )
    assert "agreed with the live route on 7 of 7 cases (100%)" in result.stdout


def test_live_agreement_counts_disagreements(tmp_path, monkeypatch):
    """A live router that sends everything to fallback: every case fails and the predictor
    agrees with none of them, which the report says instead of hiding."""

    class AlwaysFallback:
        name = "always-fallback"

        def __call__(self, router: object, prompt: str) -> tuple[str, float]:
            return "fallback", 0.0

    shutil.copytree(ROOT / "routers", tmp_path / "routers")
    monkeypatch.chdir(tmp_path)
    with Emulator(matcher=AlwaysFallback()) as emu:
        monkeypatch.setenv("DIGITALOCEAN_API_URL", emu.url)
        monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
        monkeypatch.setenv("DIGITALOCEAN_INFERENCE_URL", emu.url + "/v1")
        monkeypatch.setenv("MODEL_ACCESS_KEY", "mak-e2e-key-0000")
        monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
        assert CliRunner().invoke(cli, ["apply", "--auto-approve"]).exit_code == 0
        result = CliRunner().invoke(cli, ["test", "--format", "json", "meeting-or-email"])
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)["routers"]
    assert report["passed"] == 0
    assert report["predictor_agreement"] == {
        "predictor": "semantic:wordllama-l2_supercat-256",
        "agreed": 0,
        "cases": 5,
    }


# --- plan: the routing preview ----------------------------------------------------------------

NEW_EMAIL = "    description: Translate recipes between French and German.\n"


def edit_write_email(project: Path) -> None:
    path = project / "routers" / "meeting-or-email.yaml"
    text = path.read_text()
    start = text.index("  write_email:\n    description: >-\n") + len("  write_email:\n")
    end = text.index("    models:", start)
    path.write_text(text[:start] + NEW_EMAIL + text[end:])


def cli_run(project: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ROUTERCTL, *args],
        cwd=project,
        env=clean_env(DIGITALOCEAN_API_URL=url, DIGITALOCEAN_TOKEN=TOKEN),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_plan_shows_which_test_prompts_a_description_edit_moves(seed_project, emulator):
    assert cli_run(seed_project, emulator.url, "apply", "--auto-approve").returncode == 0
    calm = cli_run(seed_project, emulator.url, "plan")
    assert "routing:" not in calm.stdout  # nothing changed, nothing to preview

    edit_write_email(seed_project)
    # What moves must be what `test --offline` now gets wrong: before the edit it predicts
    # every case right (test_offline_test_needs_no_server_and_names_the_predictor).
    offline = json.loads(
        cli_run(
            seed_project, emulator.url, "test", "--offline", "--format", "json", "meeting-or-email"
        ).stdout
    )
    wrong = [
        (c["prompt"], c["expect_task"], c["route"])
        for c in offline["routers"][0]["cases"]
        if not c["passed"]
    ]
    assert wrong, "the edit must move at least one case"

    text = cli_run(seed_project, emulator.url, "plan", "--detailed-exitcode")
    assert text.returncode == 2, text.stderr
    lines = text.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("    routing: "))
    assert lines[head] == (
        f"    routing: {len(wrong)} of 5 test prompts move "
        "(predicted by semantic:wordllama-l2_supercat-256):"
    )
    for offset, (prompt, was, now) in enumerate(wrong, start=1):
        assert lines[head + offset].endswith(f" {was} → {now}")
        assert lines[head + offset].startswith(f'      "{prompt[:20]}')
    assert lines[head + len(wrong) + 1] == ""
    assert text.stdout.count("    routing: ") == 1  # the unchanged triage-router: no preview

    data = json.loads(cli_run(seed_project, emulator.url, "plan", "--format", "json").stdout)
    (change,) = data["changes"]
    assert change["routing_preview"] == {
        "predictor": "semantic:wordllama-l2_supercat-256",
        "cases": 5,
        "moved": [{"prompt": p, "from": was, "to": now} for p, was, now in wrong],
    }

    markdown = cli_run(seed_project, emulator.url, "plan", "--format", "markdown").stdout
    summary = f"<details><summary>Routing preview: {len(wrong)} of 5 test prompts move"
    assert f"{summary} (<code>semantic:wordllama-l2_supercat-256</code>;" in markdown
    assert f"| {wrong[0][0]} | <code>write_email</code> | <code>{wrong[0][2]}</code> |" in markdown

    off = cli_run(seed_project, emulator.url, "plan", "--no-routing-preview", "--format", "json")
    assert "routing_preview" not in json.loads(off.stdout)["changes"][0]
    # A plan writes nothing: the live description is the one applied before the edit.
    live = next(r for r in emulator.routers() if r["name"] == "meeting-or-email")
    assert "Translate recipes" not in json.dumps(live)


def test_a_plan_whose_preview_fails_still_plans_and_says_why(seed_project, emulator, monkeypatch):
    """In process, with a predictor that raises: the plan is whole, the note names the cause."""
    from routerctl import predict

    class Broken:
        name = "broken"

        def scores(self, *args: object) -> list[tuple[str, float]]:
            raise RuntimeError("model file unreadable")

        def predict(self, *args: object) -> object:
            raise RuntimeError("model file unreadable")

    assert cli_run(seed_project, emulator.url, "apply", "--auto-approve").returncode == 0
    edit_write_email(seed_project)
    monkeypatch.chdir(seed_project)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    monkeypatch.setattr(predict, "load_predictor", lambda choice="auto": Broken())
    result = CliRunner().invoke(cli, ["plan", "--detailed-exitcode"])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "~ update meeting-or-email" in result.stdout
    assert "routing:" not in result.stdout
    assert "routing preview skipped: RuntimeError: model file unreadable" in result.stderr
