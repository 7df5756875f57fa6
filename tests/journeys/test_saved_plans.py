"""A saved plan outlives the config it was made under: apply re-judges it against today's
routerctl.yaml and live state, and refuses an edited or damaged file."""

from __future__ import annotations

import json

from journeys.kit import Repo, api_body

SETTINGS = 'prune:\n  scope: ["ops-*"]\n'


def setup(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    for name in ("ops-a", "ops-b", "ops-c"):
        repo.router(name)
    repo.commit("three routers")
    repo.run("apply", "--auto-approve")
    assert repo.live() == ["ops-a", "ops-b", "ops-c"]


def test_a_delete_planned_before_protection_is_refused_after(repo: Repo) -> None:
    setup(repo)
    repo.remove("routers/ops-c.yaml")
    repo.commit("retire ops-c")
    planned = repo.run("plan", "--prune", "--out", "plan.json")
    assert "- delete ops-c" in planned.stdout

    # Someone protects ops-c before the plan is applied.
    repo.write("routerctl.yaml", SETTINGS + "  protect: [ops-c]\n")
    repo.commit("keep ops-c")
    refused = repo.run("apply", "plan.json", expect=1)
    assert "ops-c: delete refused: now protected (prune.protect)" in refused.stderr
    assert repo.live() == ["ops-a", "ops-b", "ops-c"]

    # ... or narrows the scope.
    repo.write("routerctl.yaml", 'prune:\n  scope: ["ops-a", "ops-b"]\n')
    refused = repo.run("apply", "plan.json", expect=1)
    assert "ops-c: delete refused: outside prune.scope now" in refused.stderr

    # ... or the file comes back.
    repo.write("routerctl.yaml", SETTINGS)
    repo.router("ops-c")
    refused = repo.run("apply", "plan.json", expect=1)
    assert "ops-c: has a file again" in refused.stderr
    assert repo.live() == ["ops-a", "ops-b", "ops-c"]

    repo.remove("routers/ops-c.yaml")
    repo.run("apply", "plan.json")  # the same plan, judged under what it was made for
    assert repo.live() == ["ops-a", "ops-b"]


def test_an_edited_or_guardless_plan_is_refused_with_one_line(repo: Repo) -> None:
    setup(repo)
    repo.router("ops-a", fallback="openai-gpt-oss-120b")
    repo.run("plan", "--out", "plan.json")
    data = json.loads((repo.path / "plan.json").read_text())

    edits = {
        "edited desired state": lambda d: d["changes"][0]["after"].update(description="evil"),
        "api_url null": lambda d: d.update(api_url=None),
        "prune flipped": lambda d: d.update(prune=True),
        "environment dropped": lambda d: d.pop("environment"),
    }
    for label, edit in edits.items():
        copy = json.loads(json.dumps(data))
        edit(copy)
        (repo.path / "edited.json").write_text(json.dumps(copy))
        refused = repo.run("apply", "edited.json", expect=1)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1, (label, refused.stderr)
        assert "edited.json" in lines[0], label
    [a] = [r for r in repo.api.routers() if r["name"] == "ops-a"]
    assert a["config"]["fallback_models"][0] == "llama3.3-70b-instruct"  # nothing applied

    # A plan whose router changed live since is stale; re-planning fixes it.
    repo.api.call(
        "PUT",
        f"/v2/gen-ai/models/routers/{a['uuid']}",
        {**api_body("ops-a"), "description": "clicked in the control panel"},
    )
    stale = repo.run("apply", "plan.json", expect=1)
    assert "changed live since the plan was made" in stale.stderr
    repo.run("plan", "--out", "plan.json")
    repo.run("apply", "plan.json")
    repo.run("plan", "--detailed-exitcode")
