"""Issue 20 as a user meets it: the installed CLI against the emulator with a summaries-only
list (what DigitalOcean returns), counting the requests the emulator answered. A plan reads
the config only of the routers it compares; `apply PLANFILE` re-reads only what it touches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from routerctl.emulator import Emulator

pytestmark = pytest.mark.e2e

TOKEN = "dop_v1_feedface5ecret000000000000000000000000000000000000000000000000"
BIN = Path(sys.executable).parent / "routerctl"
LIST = "GET /v2/gen-ai/models/routers"
GET = "GET /v2/gen-ai/models/routers/{uuid}"


def router_yaml(name: str, *, model: str = "openai-gpt-5-nano", extra: str = "") -> str:
    return (
        f"name: {name}\n"
        f"description: Router {name}.\n"
        "tasks:\n"
        "  summarize:\n"
        "    description: Summarize long documents into short overviews.\n"
        f"    models: [{model}, anthropic-claude-haiku-4.5]\n"
        f"fallback_models: [llama3.3-70b-instruct]\n" + extra
    )


def payload(name: str, model: str = "openai-gpt-5-nano") -> dict[str, Any]:
    return {
        "name": name,
        "description": f"Router {name}.",
        "policies": [
            {
                "custom_task": {
                    "name": "summarize",
                    "description": "Summarize long documents into short overviews.",
                },
                "models": [model, "anthropic-claude-haiku-4.5"],
                "selection_policy": {"prefer": "none"},
            }
        ],
        "fallback_models": ["llama3.3-70b-instruct"],
    }


@pytest.fixture
def project(tmp_path: Path, emulator: Emulator) -> Path:
    (tmp_path / "routers").mkdir()
    (tmp_path / "routerctl.yaml").write_text("prune:\n  scope: ['app-*']\n")
    return tmp_path


def routerctl(project: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DIGITALOCEAN_API_URL": emulator.url,
        "DIGITALOCEAN_TOKEN": TOKEN,
        "ROUTERCTL_CACHE_DIR": str(project / ".cache"),
        "NO_COLOR": "1",
    }
    env.pop("ROUTERCTL_BUDGET_SHARE", None)
    done = subprocess.run(
        [str(BIN), *args], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert TOKEN not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


class Counter:
    """Requests the emulator answered since the last `mark()`, as list pages and router GETs."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.mark()

    def _now(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.emulator.url}/_emulator/stats", timeout=10) as r:
            requests = json.load(r)["requests"]
        return {"pages": requests.get(LIST, 0), "gets": requests.get(GET, 0)}

    def mark(self) -> None:
        self._start = self._now()

    def since(self) -> dict[str, int]:
        now = self._now()
        return {key: now[key] - self._start[key] for key in now}


def seed(emulator: Emulator, count: int) -> None:
    # 30 in the prune scope (app-*), the rest another team's; all live before the plan.
    for i in range(count):
        emulator.put_router(payload(f"app-{i:03d}" if i < 30 else f"other-{i:03d}"))


def test_plan_gets_only_the_routers_it_compares(project: Path, emulator: Emulator) -> None:
    seed(emulator, 250)  # 2 pages of 200
    emulator.configure(summary_list=True)
    count = Counter(emulator)
    routers = project / "routers"
    (routers / "a.yaml").write_text(router_yaml("app-000", model="openai-gpt-oss-120b"))
    (routers / "b.yaml").write_text(router_yaml("app-001"))
    (routers / "c.yaml").write_text(router_yaml("app-new", extra="renamed_from: [app-002]\n"))

    done = routerctl(project, emulator, "plan", "--detailed-exitcode")
    assert done.returncode == 2, done.stderr
    assert "Plan: 0 to create, 2 to update, 0 to delete." in done.stdout
    # app-000, app-001 and the rename's old name app-002: 3 GETs of 250 live routers.
    assert count.since() == {"pages": 2, "gets": 3}
    # + the model catalog and task presets (1 page each) and the agents list (for the rename).
    assert "API requests made: 8" in done.stdout
    # The other 27 in-scope routers without a file are still reported, from the list alone.
    assert "Not in the files; deleted only with --prune (27)" in done.stdout

    count.mark()
    done = routerctl(project, emulator, "plan", "--target", "app-000")
    assert done.returncode == 0, done.stderr
    assert count.since() == {"pages": 2, "gets": 1}

    count.mark()
    done = routerctl(project, emulator, "plan", "--prune")
    assert "Plan: 0 to create, 2 to update, 27 to delete." in done.stdout
    # A delete needs the state it deletes: the 27 orphans in scope are read, other-* are not.
    assert count.since() == {"pages": 2, "gets": 30}

    emulator.configure(summary_list=False)
    count.mark()
    done = routerctl(project, emulator, "plan", "--prune")
    assert "Plan: 0 to create, 2 to update, 27 to delete." in done.stdout
    assert count.since() == {"pages": 2, "gets": 0}  # the list carried every config


def test_apply_planfile_rereads_only_what_the_plan_touches(
    project: Path, emulator: Emulator
) -> None:
    seed(emulator, 250)
    emulator.configure(summary_list=True)
    count = Counter(emulator)
    routers = project / "routers"
    (routers / "a.yaml").write_text(router_yaml("app-000", model="openai-gpt-oss-120b"))
    (routers / "b.yaml").write_text(router_yaml("app-001", model="openai-gpt-oss-120b"))
    (routers / "c.yaml").write_text(router_yaml("app-003"))
    done = routerctl(project, emulator, "plan", "--out", "plan.json")
    assert done.returncode == 0, done.stderr

    count.mark()
    done = routerctl(project, emulator, "apply", "plan.json")
    assert done.returncode == 0, done.stderr
    # Two updates: the list (names: creates, scope, ownership) and a GET of each by uuid.
    assert count.since() == {"pages": 2, "gets": 2}
    live = {r["name"]: r for r in emulator.routers()}
    for name in ("app-000", "app-001"):
        assert live[name]["config"]["policies"][0]["models"][0] == "openai-gpt-oss-120b"
    assert live["app-003"]["config"]["policies"][0]["models"][0] == "openai-gpt-5-nano"

    # A create needs the names (the list), never the other routers' configs.
    (routers / "d.yaml").write_text(router_yaml("app-brand-new"))
    done = routerctl(project, emulator, "plan", "--out", "plan2.json")
    count.mark()
    done = routerctl(project, emulator, "apply", "plan2.json")
    assert done.returncode == 0, done.stderr
    # The list before (is the name free?) and after (is the new router listed? settle.py).
    assert count.since() == {"pages": 4, "gets": 0}
    assert "app-brand-new" in {r["name"] for r in emulator.routers()}

    # Stale detection still works on the subset it reads.
    (routers / "a.yaml").write_text(router_yaml("app-000", model="llama3.3-70b-instruct"))
    routerctl(project, emulator, "plan", "--out", "plan3.json")
    emulator.update_router(live["app-000"]["uuid"], payload("app-000", "openai-gpt-5-nano"))
    done = routerctl(project, emulator, "apply", "plan3.json")
    assert done.returncode == 1
    assert "app-000: changed live since the plan was made" in done.stderr
    saved = json.loads((project / "plan3.json").read_text())
    assert saved["reads"]["requests"] >= 2


# --- issue 19: plan --changed-since --------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def repo(project: Path, emulator: Emulator) -> Path:
    """A repository of 300 router files on `main`, all live (+ one live orphan in scope),
    and a branch `pr` checked out; the list returns summaries only."""
    routers = project / "routers"
    for i in range(300):
        (routers / f"app-{i:03d}.yaml").write_text(router_yaml(f"app-{i:03d}"))
        emulator.put_router(payload(f"app-{i:03d}"))
    emulator.put_router(payload("app-orphan"))
    (project / ".gitignore").write_text(".cache/\n*.json\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-qm", "300 routers")
    git(project, "checkout", "-q", "-b", "pr")
    emulator.configure(summary_list=True)
    return project


def plan_json(repo: Path, emulator: Emulator, *args: str) -> dict[str, Any]:
    done = routerctl(repo, emulator, "plan", "--format", "json", *args)
    assert done.returncode in (0, 2), done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def by_name(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in plan["changes"]}


def test_a_pr_plan_reads_only_what_the_pr_changed(repo: Path, emulator: Emulator) -> None:
    count = Counter(emulator)
    (repo / "routers" / "app-010.yaml").write_text(
        router_yaml("app-010", model="openai-gpt-oss-120b")
    )
    (repo / "routers" / "app-020.yaml").write_text(
        router_yaml("app-020").replace("Router app-020.", "Router app-020, reworded.")
    )
    git(repo, "commit", "-qam", "edit two routers")

    done = routerctl(repo, emulator, "plan", "--changed-since", "main", "--prune")
    assert done.returncode == 0, done.stderr
    assert "Plan: 0 to create, 2 to update, 0 to delete." in done.stdout
    assert "limited to the 2 routers changed since main (app-010, app-020)" in done.stdout
    assert "298 routers whose file, overlay and tests are unchanged" in done.stdout
    assert "1 live router with no file that no change deleted" in done.stdout
    assert count.since() == {"pages": 2, "gets": 2}  # 301 live routers: 2 pages, 2 GETs

    count.mark()
    pr = plan_json(repo, emulator, "--changed-since", "main", "--prune", "--out", "pr.json")
    assert count.since()["gets"] == 2
    assert sorted(by_name(pr)) == ["app-010", "app-020"]  # app-orphan is not deleted here
    assert pr["scope"]["mode"] == "changed-since"
    assert [r["name"] for r in pr["scope"]["routers"]] == ["app-010", "app-020"]
    assert len(pr["scope"]["left_out"]) == 299
    assert pr["scope"]["changed_files"] == ["routers/app-010.yaml", "routers/app-020.yaml"]

    # The full plan reads everything, and agrees on the two routers the PR touched.
    count.mark()
    full = plan_json(repo, emulator, "--prune")
    assert count.since() == {"pages": 2, "gets": 301}
    assert by_name(full)["app-orphan"]["action"] == "delete"
    for name in ("app-010", "app-020"):
        assert by_name(full)[name] == by_name(pr)[name]

    # Applying the saved PR plan re-checks exactly those two routers, then updates them.
    count.mark()
    done = routerctl(repo, emulator, "apply", "pr.json")
    assert done.returncode == 0, done.stderr
    assert count.since() == {"pages": 2, "gets": 2}
    live = {r["name"]: r for r in emulator.routers()}
    assert live["app-010"]["config"]["policies"][0]["models"][0] == "openai-gpt-oss-120b"
    assert live["app-020"]["description"] == "Router app-020, reworded."
    assert "app-orphan" in live


def test_deletes_and_renames_in_a_pr_are_planned_and_nothing_else(
    repo: Path, emulator: Emulator
) -> None:
    routers = repo / "routers"
    (routers / "app-030.yaml").unlink()
    (routers / "app-040.yaml").rename(routers / "app-040b.yaml")
    (routers / "app-040b.yaml").write_text(
        router_yaml("app-040b", extra="renamed_from: [app-040]\n")
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "delete one, rename one")
    count = Counter(emulator)
    pr = plan_json(repo, emulator, "--changed-since", "main", "--prune")
    assert {n: c["action"] for n, c in by_name(pr).items()} == {
        "app-030": "delete",
        "app-040b": "update",
    }
    assert by_name(pr)["app-040b"]["renamed_from"] == "app-040"
    assert count.since() == {"pages": 2, "gets": 2}
    # Without --prune the deleted file's router is reported, not deleted.
    pr = plan_json(repo, emulator, "--changed-since", "main")
    assert pr["prunable"] == ["app-030"]


def test_a_settings_change_widens_the_plan_to_everything(repo: Path, emulator: Emulator) -> None:
    (repo / "routerctl.yaml").write_text("prune:\n  scope: ['app-*', 'team-*']\n")
    git(repo, "commit", "-qam", "widen the prune scope")
    count = Counter(emulator)
    done = routerctl(repo, emulator, "plan", "--changed-since", "main", "--prune")
    assert done.returncode == 0, done.stderr
    assert "routerctl.yaml changed, so every router is planned" in done.stdout
    assert "Plan: 0 to create, 0 to update, 1 to delete." in done.stdout  # app-orphan
    assert count.since()["gets"] == 301


def test_uncommitted_edits_count_as_changed(repo: Path, emulator: Emulator) -> None:
    (repo / "routers" / "app-050.yaml").write_text(router_yaml("app-050", model="x-model"))
    (repo / "routers" / "app-new.yaml").write_text(router_yaml("app-new"))  # untracked
    pr = plan_json(repo, emulator, "--changed-since", "main")
    assert {n: c["action"] for n, c in by_name(pr).items()} == {
        "app-050": "update",
        "app-new": "create",
    }


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("unknown-ref", "--changed-since no-such-branch: no such commit, branch or tag here"),
        ("not-a-repo", "--changed-since needs a git repository"),
    ],
)
def test_git_problems_are_one_line_errors(
    project: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, setup: str, message: str
) -> None:
    (project / "routers" / "a.yaml").write_text(router_yaml("app-000"))
    if setup == "unknown-ref":
        git(project, "init", "-q", "-b", "main")
        git(project, "add", ".")
        git(project, "commit", "-qm", "one")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(project.parent))
    done = routerctl(project, emulator, "plan", "--changed-since", "no-such-branch")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"routerctl: error: {message}")


# --- issue 19: budget ------------------------------------------------------------------------


def test_max_requests_refuses_up_front_and_the_share_warns(
    project: Path, emulator: Emulator
) -> None:
    for i in range(60):
        (project / "routers" / f"app-{i:03d}.yaml").write_text(router_yaml(f"app-{i:03d}"))
        emulator.put_router(payload(f"app-{i:03d}"))
    emulator.configure(summary_list=True, rate_limit_per_hour=100)
    count = Counter(emulator)
    done = routerctl(project, emulator, "plan", "--max-requests", "20")
    assert done.returncode == 1
    # 1 page + 60 GETs + up to 2 for the catalog (models, task presets).
    assert "this plan needs about 63 requests" in done.stderr
    assert "over --max-requests 20" in done.stderr
    assert count.since() == {"pages": 1, "gets": 0}  # only the list, to estimate

    # 63 requests of the 99 left this hour is over half: said in the plan, still exit 0/2.
    done = routerctl(project, emulator, "plan", "--detailed-exitcode")
    assert done.returncode == 0, done.stderr
    assert "this plan spends about 63 requests, over 50% of the 99 left" in done.stdout
    assert "API requests made: 63; rate-limit quota left: about 36 of 100." in done.stdout
