"""Journeys for issue 16: the installed CLI as a subprocess against `routerctl emulator`,
live state asserted after each step.

- a typo'd model id: validate warns (with the snapshot's age), --strict fails, plan shows it
  before the diff, apply refuses (nothing created) unless --allow-unknown-models;
- an agent using a router: apply --prune refuses to delete it, and refuses a rename, until
  --force-in-use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from routerctl.emulator import Emulator

pytestmark = pytest.mark.e2e

TOKEN = "dop_v1_a91e5ecret0000000000000000000000000000000000000000000000000000"
ROUTERCTL = Path(sys.executable).parent / "routerctl"


def router_yaml(name: str, *, model: str = "openai-gpt-5-nano", extra: str = "") -> str:
    return (
        f"name: {name}\n"
        "description: Support triage.\n"
        "tasks:\n"
        "  classify:\n"
        "    description: Label short support tickets by type.\n"
        f"    models: [{model}, llama3.3-70b-instruct]\n"
        "fallback_models: [llama3.3-70b-instruct]\n" + extra
    )


@pytest.fixture
def project(tmp_path: Path, emulator: Emulator) -> Path:
    (tmp_path / "routers").mkdir()
    (tmp_path / "routerctl.yaml").write_text("prune:\n  scope: ['app-*']\n")
    return tmp_path


def cli(project: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(project),
        "DIGITALOCEAN_API_URL": emulator.url,
        "DIGITALOCEAN_TOKEN": TOKEN,
        "ROUTERCTL_CACHE_DIR": str(project / ".cache"),
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [str(ROUTERCTL), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert TOKEN not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def live(emulator: Emulator) -> dict[str, dict]:
    return {r["name"]: r for r in emulator.routers()}


def test_a_typod_model_id_warns_fails_strict_shows_in_plan_and_apply_refuses_it(project, emulator):
    (project / "routers" / "app-triage.yaml").write_text(
        router_yaml("app-triage", model="openai-gpt-5-nanoo")
    )

    checked = cli(project, emulator, "validate")
    assert checked.returncode == 0, checked.stderr
    line = next(x for x in checked.stdout.splitlines() if "openai-gpt-5-nanoo" in x)
    assert line.startswith("routers/app-triage.yaml:6:14: warning: tasks.classify.models[0]:")
    assert "shipped snapshot of 2026-06-29" in line
    assert "days old" in line
    assert 'did you mean "openai-gpt-5-nano"?' in line

    strict = cli(project, emulator, "validate", "--strict")
    assert strict.returncode == 1
    assert "invalid" in strict.stdout

    planned = cli(project, emulator, "plan")
    assert planned.returncode == 0, planned.stderr
    text = planned.stdout
    assert "openai-gpt-5-nanoo" in text.split("+ create app-triage")[0]  # before the diff
    assert "live catalog, fetched" in text
    assert live(emulator) == {}

    refused = cli(project, emulator, "apply", "--auto-approve")
    assert refused.returncode == 1
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("routerctl: error: refusing to apply: the model catalog")
    assert "'openai-gpt-5-nanoo' (did you mean \"openai-gpt-5-nano\"?)" in last
    assert "--allow-unknown-models" in last
    assert live(emulator) == {}  # nothing created

    forced = cli(project, emulator, "apply", "--auto-approve", "--allow-unknown-models")
    assert forced.returncode == 0, forced.stderr
    stored = live(emulator)["app-triage"]
    assert stored["config"]["policies"][0]["models"][0] == "openai-gpt-5-nanoo"


def test_an_agent_blocks_deleting_and_renaming_its_router_until_force_in_use(project, emulator):
    routers = project / "routers"
    (routers / "app-triage.yaml").write_text(router_yaml("app-triage"))
    (routers / "app-spare.yaml").write_text(router_yaml("app-spare"))
    assert cli(project, emulator, "apply", "--auto-approve").returncode == 0
    uuids = {name: r["uuid"] for name, r in live(emulator).items()}
    emulator.put_agent(
        "support-bot", {"uuid": uuids["app-spare"], "name": "app-spare"}, agent_uuid="ag-1"
    )
    emulator.put_agent("triage-bot", uuids["app-triage"], agent_uuid="ag-2")  # a bare uuid

    # Delete: the file of app-spare goes away; plan (all three formats) names the agent.
    (routers / "app-spare.yaml").unlink()
    planned = cli(project, emulator, "plan", "--prune")
    assert "IN USE: agent uses router 'app-spare': support-bot (ag-1)" in planned.stdout
    markdown = cli(project, emulator, "plan", "--prune", "--format", "markdown").stdout
    assert "support-bot (ag-1)" in markdown
    assert "in use by 1 agent" in markdown
    as_json = json.loads(cli(project, emulator, "plan", "--prune", "--format", "json").stdout)
    (delete,) = [c for c in as_json["changes"] if c["action"] == "delete"]
    assert delete["agents"] == [{"uuid": "ag-1", "name": "support-bot"}]

    refused = cli(project, emulator, "apply", "--auto-approve", "--prune")
    assert refused.returncode == 1
    last = refused.stderr.strip().splitlines()[-1]
    assert last == (
        "routerctl: error: refusing to delete router 'app-spare': used by support-bot (ag-1). "
        "Move the agents to another router first, or pass --force-in-use; nothing was applied"
    )
    assert set(live(emulator)) == {"app-triage", "app-spare"}

    # Rename: app-triage becomes app-tickets; the agent holds its uuid.
    (routers / "app-triage.yaml").write_text(
        router_yaml("app-tickets", extra="renamed_from: app-triage\n")
    )
    renamed = cli(project, emulator, "apply", "--auto-approve")
    assert renamed.returncode == 1
    assert "refusing to rename router 'app-triage' to 'app-tickets': used by triage-bot" in (
        renamed.stderr
    )
    assert set(live(emulator)) == {"app-triage", "app-spare"}

    forced = cli(
        project, emulator, "apply", "--auto-approve", "--prune", "--force-in-use",
        "--allow-mass-delete",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert set(live(emulator)) == {"app-tickets"}
    assert live(emulator)["app-tickets"]["uuid"] == uuids["app-triage"]
    again = cli(project, emulator, "plan", "--prune", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr


def test_apply_fails_closed_when_the_agents_list_is_forbidden(project, emulator):
    from routerctl.emulator import FaultPlan

    (project / "routers" / "app-old.yaml").write_text(router_yaml("app-old"))
    assert cli(project, emulator, "apply", "--auto-approve").returncode == 0
    (project / "routers" / "app-old.yaml").unlink()
    (project / "routers" / "app-new.yaml").write_text(router_yaml("app-new"))
    emulator.set_faults(
        FaultPlan.from_dict(
            {
                "script": [
                    {"match": "GET /v2/gen-ai/agents", "status": 403, "times": 100},
                ]
            }
        )
    )
    planned = cli(project, emulator, "plan", "--prune")
    assert planned.returncode == 0
    assert "could not read the agents list to check which agents use 'app-old'" in planned.stdout
    # Deleting the only in-scope router is a mass delete (issue 13): consent given, so the
    # agents check is what refuses here.
    refused = cli(project, emulator, "apply", "--auto-approve", "--prune", "--allow-mass-delete")
    assert refused.returncode == 1
    assert "refusing to delete router 'app-old': cannot read the agents list" in refused.stderr
    assert "403" in refused.stderr
    assert "--force-in-use" in refused.stderr
    assert set(live(emulator)) == {"app-old"}  # nothing applied, not even the create
    forced = cli(
        project, emulator, "apply", "--auto-approve", "--prune", "--force-in-use",
        "--allow-mass-delete",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert set(live(emulator)) == {"app-new"}


def test_validate_online_checks_the_live_catalog_caches_it_and_fails_when_it_cannot_read_it(
    project, emulator
):
    from routerctl.emulator import FaultPlan

    (project / "routers" / "app-triage.yaml").write_text(
        router_yaml("app-triage", model="openai-gpt-5-nanoo")
    )
    online = cli(project, emulator, "validate", "--online")
    assert online.returncode == 0, online.stderr
    assert "(live catalog, fetched " in online.stdout
    assert 'did you mean "openai-gpt-5-nano"?' in online.stdout
    assert (project / ".cache" / "catalog.json").exists()
    requests = emulator.stats["requests"]
    assert requests["GET /v2/gen-ai/models"] == 1

    again = cli(project, emulator, "validate", "--online", "--strict")  # within the TTL
    assert again.returncode == 1
    assert "(cached live catalog of " in again.stdout
    assert emulator.stats["requests"]["GET /v2/gen-ai/models"] == 1  # not asked again

    offline = cli(project, emulator, "validate")  # the cache is newer than the snapshot
    assert "(cached live catalog of " in offline.stdout

    (project / ".cache" / "catalog.json").unlink()
    emulator.set_faults(
        FaultPlan.from_dict(
            {"script": [{"match": "GET /v2/gen-ai/models", "status": 403, "times": 5}]}
        )
    )
    down = cli(project, emulator, "validate", "--online")
    assert down.returncode == 1
    (line,) = down.stderr.strip().splitlines()
    assert line.startswith("routerctl: error: GET /v2/gen-ai/models")
    assert "403" in line


def test_a_saved_plan_is_refused_when_an_agent_was_attached_after_it_was_made(project, emulator):
    (project / "routers" / "app-old.yaml").write_text(router_yaml("app-old"))
    (project / "routers" / "app-keep.yaml").write_text(router_yaml("app-keep"))
    assert cli(project, emulator, "apply", "--auto-approve").returncode == 0
    (project / "routers" / "app-old.yaml").unlink()
    saved = cli(project, emulator, "plan", "--prune", "--out", "plan.json")
    assert saved.returncode == 0, saved.stderr
    assert "IN USE" not in saved.stdout  # no agent yet
    uuid = live(emulator)["app-old"]["uuid"]
    emulator.put_agent("late-bot", {"uuid": uuid, "name": "app-old"}, agent_uuid="ag-9")

    refused = cli(project, emulator, "apply", "plan.json")
    assert refused.returncode == 1
    assert "refusing to delete router 'app-old': used by late-bot (ag-9)" in refused.stderr
    assert set(live(emulator)) == {"app-old", "app-keep"}
    forced = cli(project, emulator, "apply", "plan.json", "--force-in-use")
    assert forced.returncode == 0, forced.stderr
    assert set(live(emulator)) == {"app-keep"}
