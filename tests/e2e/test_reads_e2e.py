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
    assert "API requests made: 5" in done.stdout
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
    # Two updates: a GET of each by uuid, no list page (nothing is created).
    assert count.since() == {"pages": 0, "gets": 2}
    live = {r["name"]: r for r in emulator.routers()}
    for name in ("app-000", "app-001"):
        assert live[name]["config"]["policies"][0]["models"][0] == "openai-gpt-oss-120b"
    assert live["app-003"]["config"]["policies"][0]["models"][0] == "openai-gpt-5-nano"

    # A create needs the names (one look at the list), never the other routers' configs.
    (routers / "d.yaml").write_text(router_yaml("app-brand-new"))
    done = routerctl(project, emulator, "plan", "--out", "plan2.json")
    count.mark()
    done = routerctl(project, emulator, "apply", "plan2.json")
    assert done.returncode == 0, done.stderr
    assert count.since() == {"pages": 2, "gets": 0}
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
