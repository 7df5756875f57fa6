"""Issue 15's CLI conventions, first as journeys: the installed `routerctl` console script as a
subprocess against the emulator, live state checked after each step."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from routerctl.emulator import Emulator

pytestmark = pytest.mark.e2e

ROUTERCTL = Path(sys.executable).parent / "routerctl"
TOKEN = "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000"


def requests_since(emulator: Emulator, before: dict[str, int]) -> dict[str, int]:
    now = emulator.stats["requests"]
    return {k: now[k] - before.get(k, 0) for k in now if now[k] != before.get(k, 0)}


def routerctl(
    *args: str, cwd: Path, env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(ROUTERCTL), *args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert TOKEN not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture
def env(emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DIGITALOCEAN_", "ROUTERCTL_"))
        and k not in ("NO_COLOR", "FORCE_COLOR")
    }
    return {
        **clean,
        "DIGITALOCEAN_API_URL": emulator.url,
        "DIGITALOCEAN_TOKEN": TOKEN,
        "XDG_CACHE_HOME": str(tmp_path / "user-cache"),
    }


def test_init_validate_plan_apply_plan_in_an_empty_directory(tmp_path, env, emulator):
    project = tmp_path / "new-project"
    project.mkdir()
    init = routerctl("init", "--ci", "github", cwd=project, env=env)
    assert init.returncode == 0, init.stderr
    for path in (
        "routers/example-router.yaml",
        "schema/router.schema.json",
        "routerctl.yaml",
        ".gitignore",
        ".github/workflows/routerctl-plan.yml",
    ):
        assert (project / path).is_file(), path
    header = (project / "routers/example-router.yaml").read_text().splitlines()[0]
    schema_ref = header.split("$schema=", 1)[1]
    assert (project / "routers" / schema_ref).resolve() == project / "schema/router.schema.json"

    valid = routerctl("validate", "--strict", cwd=project, env=env)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert emulator.routers() == []

    first = routerctl("plan", "--detailed-exitcode", cwd=project, env=env)
    assert first.returncode == 2, first.stderr
    assert "+ create example-router" in first.stdout
    assert emulator.routers() == []  # plan changes nothing

    applied = routerctl("apply", "--auto-approve", cwd=project, env=env)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith("routerctl apply · ")
    assert [r["name"] for r in emulator.routers()] == ["example-router"]

    again = routerctl("plan", "--detailed-exitcode", cwd=project, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout

    refused = routerctl("init", cwd=project, env=env)
    assert refused.returncode == 1
    assert "refusing to overwrite routers/example-router.yaml" in refused.stderr


def test_list_and_get_read_live_routers_and_get_yaml_is_what_import_writes(tmp_path, env, emulator):
    for name in ("beta-router", "alpha-router"):
        emulator.put_router(
            {
                "name": name,
                "description": f"{name} made by hand.",
                "policies": [
                    {
                        "custom_task": {"name": "sum", "description": "Summarize documents."},
                        "models": ["openai-gpt-5-nano"],
                        "selection_policy": {"prefer": "none"},
                    }
                ],
                "fallback_models": ["llama3.3-70b-instruct"],
            }
        )
    listed = routerctl("list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "UUID", "UPDATED"]
    assert [line.split()[0] for line in lines[1:]] == ["alpha-router", "beta-router"]
    as_json = json.loads(routerctl("list", "--format", "json", cwd=tmp_path, env=env).stdout)
    assert as_json["count"] == 2
    assert {r["name"] for r in as_json["routers"]} == {"alpha-router", "beta-router"}

    got = routerctl("get", "alpha-router", cwd=tmp_path, env=env)
    assert got.returncode == 0, got.stderr
    imported = routerctl("import", "alpha-router", cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    assert got.stdout == (tmp_path / "routers" / "alpha-router.yaml").read_text()
    raw = json.loads(
        routerctl("get", "alpha-router", "--format", "json", cwd=tmp_path, env=env).stdout
    )
    assert raw["name"] == "alpha-router"
    assert raw["config"]["fallback_models"] == ["llama3.3-70b-instruct"]

    missing = routerctl("get", "nope", cwd=tmp_path, env=env)
    assert missing.returncode == 1
    assert "no live router named 'nope'" in missing.stderr


def test_list_of_a_thousand_routers_reads_pages_only(tmp_path, env, emulator):
    emulator.configure(summary_list=True)  # list items without config: a GET would be needed
    for index in range(1000):
        emulator.put_router({"name": f"r-{index:04d}", "fallback_models": ["m"], "policies": []})
    before = emulator.stats["requests"]
    listed = routerctl("list", "--format", "json", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["count"] == 1000
    # Pages of 200 and nothing else: no GET per router although the items lack config.
    assert requests_since(emulator, before) == {"GET /v2/gen-ai/models/routers": 5}


def test_show_renders_a_saved_plan_without_calling_the_api(tmp_path, env, emulator):
    assert routerctl("init", cwd=tmp_path, env=env).returncode == 0
    saved = routerctl("plan", "--out", "plan.json", cwd=tmp_path, env=env)
    assert saved.returncode == 0, saved.stderr
    before = emulator.stats["requests"]
    text = routerctl("show", "plan.json", cwd=tmp_path, env=env)
    assert text.returncode == 0, text.stderr
    assert "+ create example-router" in text.stdout
    markdown = routerctl("show", "plan.json", "--format", "markdown", cwd=tmp_path, env=env)
    assert markdown.stdout.startswith("<!-- routerctl-plan -->")
    as_json = json.loads(
        routerctl("show", "plan.json", "--format", "json", cwd=tmp_path, env=env).stdout
    )
    saved = json.loads((tmp_path / "plan.json").read_text())
    saved.pop("digest")  # the file's integrity digest is the file's, not the plan's
    assert as_json == saved
    assert requests_since(emulator, before) == {}
    assert emulator.routers() == []


def test_piped_yes_is_refused_and_the_message_names_both_ways_out(tmp_path, env, emulator):
    assert routerctl("init", cwd=tmp_path, env=env).returncode == 0
    refused = routerctl("apply", cwd=tmp_path, env=env, input="yes\n")
    assert refused.returncode == 1
    assert "--auto-approve" in refused.stderr
    assert "routerctl apply plan.json" in refused.stderr
    assert emulator.routers() == []


def test_price_cache_never_shows_in_git_status(tmp_path, env, emulator):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = {**env, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=git)
    (repo / "routers").mkdir()
    (repo / "routers" / "a.yaml").write_text(
        "name: a\ntasks:\n  t:\n    description: Summarize documents.\n"
        "    models: [openai-gpt-5-nano]\nfallback_models: [llama3.3-70b-instruct]\n"
    )
    (repo / "routerctl.yaml").write_text(
        "traffic:\n  routers:\n"
        "    a: {requests_per_month: 1000, input_tokens: 100, output_tokens: 50}\n"
    )

    def status() -> list[str]:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=repo,
            env=git,
            capture_output=True,
            text=True,
            check=True,
        )
        return sorted(line[3:] for line in done.stdout.splitlines())

    before = status()
    for cache_env in ({}, {"ROUTERCTL_CACHE_DIR": ".routerctl-ci"}):
        for command in ("cost", "plan"):  # the price cache, then the model catalog cache
            done = routerctl(command, cwd=repo, env={**env, **cache_env})
            assert done.returncode == 0, done.stderr
            assert status() == before, command
    for cache in (tmp_path / "user-cache" / "routerctl", repo / ".routerctl-ci"):
        assert (cache / "catalog-cache.json").is_file()  # prices
        assert (cache / "catalog.json").is_file()  # model ids and presets; there, but ignored


def test_global_options_before_the_command_reach_it(tmp_path, env, emulator):
    assert routerctl("init", cwd=tmp_path, env=env).returncode == 0
    moved = {k: v for k, v in env.items() if k != "DIGITALOCEAN_API_URL"}
    token = tmp_path / "token"
    token.write_text(TOKEN)
    moved.pop("DIGITALOCEAN_TOKEN")
    before = routerctl(
        "--api-url", emulator.url, "--token-file", str(token), "--timeout", "5", "list",
        cwd=tmp_path, env=moved,
    )  # fmt: skip
    assert before.returncode == 0, before.stderr
    assert routerctl("--no-color", "--debug", "plan", cwd=tmp_path, env=env).returncode == 0
    debug_after = routerctl("plan", "--debug", cwd=tmp_path, env=env)
    assert "debug: GET /v2/gen-ai/models/routers" in debug_after.stderr


def test_empty_apply_json_carries_summary(tmp_path, env, emulator):
    assert routerctl("init", cwd=tmp_path, env=env).returncode == 0
    assert routerctl("apply", "--auto-approve", cwd=tmp_path, env=env).returncode == 0
    empty = routerctl("apply", "--auto-approve", "--format", "json", cwd=tmp_path, env=env)
    assert empty.returncode == 0, empty.stderr
    report = json.loads(empty.stdout)
    assert report["summary"] == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert report["outcomes"] == []


def write_routers(project: Path, count: int) -> None:
    (project / "routers").mkdir(exist_ok=True)
    for index in range(count):
        (project / "routers" / f"r-{index}.yaml").write_text(
            f"name: r-{index}\ntasks:\n  t:\n    description: Summarize documents.\n"
            "    models: [openai-gpt-5-nano]\nfallback_models: [llama3.3-70b-instruct]\n"
        )


def test_off_a_terminal_progress_is_one_plain_line_per_event(tmp_path, env, emulator):
    write_routers(tmp_path, 3)
    done = routerctl("apply", "--auto-approve", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    assert "\x1b" not in done.stderr
    lines = done.stderr.splitlines()
    assert sorted(lines) == ["✓ r-0: created", "✓ r-1: created", "✓ r-2: created"]


def test_waits_say_why_off_a_terminal(tmp_path, env, emulator):
    from routerctl.emulator import FaultPlan

    write_routers(tmp_path, 1)
    # A wait over 2 s gets its own line with the reason; a short one (the first retry of a
    # plain 503 is ~0.4 s) shows only beside the live counter, so it leaves no line here.
    step = {"status": 503, "retry_after": 2.5, "times": 1}
    emulator.set_faults(FaultPlan.from_dict({"script": [step]}))
    done = routerctl("plan", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(
        r"routerctl: waiting \d s: GET /v2/gen-ai/models/routers\S* got 503", done.stderr
    )
    emulator.set_faults(FaultPlan.from_dict({"script": [{"status": 503, "times": 1}]}))
    quick = routerctl("plan", cwd=tmp_path, env=env)
    assert quick.returncode == 0, quick.stderr
    assert "retrying" not in quick.stderr
    emulator.set_faults(FaultPlan.from_dict({"script": [{"status": 503, "times": 1}]}))
    debug = routerctl("plan", "--debug", cwd=tmp_path, env=env)
    assert re.search(r"debug: GET /v2/gen-ai/models/routers\S*: 503\b.*retrying in", debug.stderr)


def test_on_a_terminal_apply_shows_a_live_counter(tmp_path, env, emulator):
    import pty

    write_routers(tmp_path, 3)
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(ROUTERCTL), "apply", "--auto-approve"],
            cwd=tmp_path,
            env={**env, "TERM": "xterm", "COLUMNS": "120"},
            stdin=follower,
            stdout=subprocess.DEVNULL,
            stderr=follower,
        )
        os.close(follower)
        follower = -1
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    assert "reading live routers" in screen  # the refresh counts requests
    assert re.search(r"applying .*3/3 routers · 0:00:\d\d", screen)
    assert "✓ r-0: created" in screen  # the per-router lines still go above the counter
    assert sorted(r["name"] for r in emulator.routers()) == ["r-0", "r-1", "r-2"]


def test_get_in_an_environment_prints_the_base_file_name(tmp_path, env, emulator):
    (tmp_path / "routerctl.yaml").write_text(
        "environments:\n  staging:\n    name_suffix: -staging\n"
    )
    emulator.put_router(
        {"name": "triage-staging", "fallback_models": ["llama3.3-70b-instruct"], "policies": []}
    )
    got = routerctl("--env", "staging", "get", "triage-staging", cwd=tmp_path, env=env)
    assert got.returncode == 0, got.stderr
    assert "\nname: triage\n" in got.stdout  # as `import --env staging` would write it
