"""A mass delete needs consent: more than 10 deletes, or more than half of the in-scope live
routers, in one run is refused (plans warn first) until --allow-mass-delete."""

from __future__ import annotations

from journeys.kit import Repo

SETTINGS = 'prune:\n  scope: ["bulk-*"]\n'


def test_twelve_deletes_are_refused_then_allowed(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    repo.router("bulk-keep")
    repo.commit("one router in the files")
    for index in range(12):
        repo.api.create(f"bulk-old-{index:02d}")
    for index in range(14):
        repo.api.create(f"bulk-new-{index:02d}")
    assert len(repo.live()) == 26

    # The plan warns first; apply refuses, fresh or saved, and deletes nothing.
    planned = repo.run("plan", "--prune", "--out", "plan.json")
    assert "MASS DELETE: this plan deletes 26 routers, more than 10" in planned.stdout
    refused = repo.run("apply", "--prune", "--auto-approve", expect=1)
    assert "deletes 26 routers, more than 10" in refused.stderr
    assert "--allow-mass-delete" in refused.stderr
    refused = repo.run("apply", "plan.json", expect=1)  # a saved plan needs it too
    assert "--allow-mass-delete" in refused.stderr
    assert len(repo.live()) == 26  # nothing deleted

    # Keep 14 of them (files), so 12 deletes remain: still more than 10.
    for index in range(14):
        repo.router(f"bulk-new-{index:02d}")
    repo.commit("adopt the new ones")
    refused = repo.run("apply", "--prune", "--auto-approve", expect=1)
    assert "deletes 12 routers, more than 10" in refused.stderr
    repo.run("apply", "--prune", "--auto-approve", "--allow-mass-delete")
    assert repo.live() == ["bulk-keep"] + [f"bulk-new-{i:02d}" for i in range(14)]


def test_more_than_half_of_the_scope_is_refused(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    for name in ("bulk-a", "bulk-b", "bulk-c", "bulk-d"):
        repo.router(name)
    repo.commit("four")
    repo.run("apply", "--auto-approve")
    for name in ("bulk-a", "bulk-b", "bulk-c"):
        repo.remove(f"routers/{name}.yaml")
    repo.commit("delete three of four")
    planned = repo.run("plan", "--prune", "--detailed-exitcode", expect=2)
    assert "more than half of the 4 in-scope live routers" in planned.stdout
    refused = repo.run("apply", "--prune", "--auto-approve", expect=1)
    assert "this plan deletes 3 routers, more than half of the 4" in refused.stderr
    assert len(repo.live()) == 4
    repo.router("bulk-c")  # two of four is half: allowed
    repo.run("apply", "--prune", "--auto-approve")
    assert repo.live() == ["bulk-c", "bulk-d"]
