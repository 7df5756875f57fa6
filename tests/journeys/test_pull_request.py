"""A pull request's whole life, as the shipped workflows run it: plan → saved plan → apply,
for adding, changing, renaming and deleting a router file."""

from __future__ import annotations

import json

from journeys.kit import Repo

SETTINGS = 'prune:\n  scope: ["shop-*"]\n'


def uuid_of(repo: Repo, name: str) -> str:
    [router] = [r for r in repo.api.routers() if r["name"] == name]
    uuid: str = router["uuid"]
    return uuid


def pr(repo: Repo, message: str, *, changes: bool = True) -> str:
    """What CI does on the pull request, then on merge: plan with --prune, save, apply."""
    repo.commit(message)
    planned = repo.run(
        "plan", "--prune", "--detailed-exitcode", "--format", "markdown", "--out", "plan.json",
        expect=2 if changes else 0,
    )  # fmt: skip
    repo.run("apply", "plan.json")
    repo.run("plan", "--prune", "--detailed-exitcode")  # in sync after the merge
    return planned.stdout


def test_add_change_rename_delete_through_saved_plans(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    repo.router("shop-search")
    repo.router("shop-chat")
    comment = pr(repo, "add two routers")
    assert "Plan: 2 to create, 0 to update, 0 to delete." in comment
    assert repo.live() == ["shop-chat", "shop-search"]

    repo.router("shop-chat", fallback="openai-gpt-oss-120b")
    comment = pr(repo, "cheaper chat fallback")
    assert "Plan: 0 to create, 1 to update, 0 to delete." in comment
    [chat] = [r for r in repo.api.routers() if r["name"] == "shop-chat"]
    assert chat["config"]["fallback_models"][0] == "openai-gpt-oss-120b"

    before = uuid_of(repo, "shop-search")
    repo.remove("routers/shop-search.yaml")
    repo.router("shop-find", extra="renamed_from: [shop-search]\n")
    comment = pr(repo, "rename search to find")
    assert "RENAME" in comment
    assert repo.live() == ["shop-chat", "shop-find"]
    assert uuid_of(repo, "shop-find") == before  # renamed in place, same router

    # Deleting the file: the plan says so even without --prune, and the PR shows a delete.
    repo.remove("routers/shop-chat.yaml")
    repo.commit("retire chat")
    drift = repo.run("plan", "--detailed-exitcode", expect=2)
    assert "--prune` would delete it" in drift.stdout
    assert "shop-chat" in drift.stdout
    assert repo.live() == ["shop-chat", "shop-find"]  # planning deletes nothing
    comment = pr(repo, "retire chat (merge)")
    assert "Plan: 0 to create, 0 to update, 1 to delete." in comment
    assert "`shop-chat`" in comment
    assert repo.live() == ["shop-find"]


def test_a_saved_plan_takes_no_target_or_prune_and_shows_what_it_sends(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    repo.router("shop-a")
    repo.router("shop-b")
    repo.commit("two")
    repo.run("plan", "--out", "plan.json")
    for extra in (["--target", "shop-a"], ["--prune"]):
        usage = repo.run("apply", "plan.json", *extra, expect=64)
        assert "cannot be used with PLANFILE" in usage.stderr
    assert repo.live() == []

    # The stored field lines are not what apply shows: it recomputes from the desired state.
    data = json.loads((repo.path / "plan.json").read_text())
    applied = repo.run("apply", "plan.json")
    assert "+ create shop-a" in applied.stdout
    assert data["changes"][0]["after"]["fallback_models"][0] in applied.stdout
    assert repo.live() == ["shop-a", "shop-b"]

    # A --target typo is an error with a suggestion, not a silent "no changes".
    typo = repo.run("plan", "--target", "shop-aa", expect=1)
    assert "did you mean 'shop-a'" in typo.stderr
    repo.run("apply", "--target", "shop-aa", "--auto-approve", expect=1)
