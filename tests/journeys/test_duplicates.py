"""No duplicates even when the API allows them: with create responses lost, names not
unique and a list that shows new routers late, three files make three routers; and live
routers sharing a name are a plan error naming every uuid."""

from __future__ import annotations

from collections import Counter

from journeys.kit import Repo

POST = {"match": "POST /v2/gen-ai/models/routers", "action": "drop_after_commit"}


def test_lost_creates_on_a_weak_api_make_no_duplicates(repo: Repo) -> None:
    repo.write("routerctl.yaml", 'prune:\n  scope: ["dup-*"]\n')
    for name in ("dup-a", "dup-b", "dup-c"):
        repo.router(name)
    repo.commit("three routers")
    repo.api.configure(unique_names=False, list_lag_seconds=1.5)
    repo.api.call("POST", "/_emulator/faults", {"script": [{**POST, "times": 6}]})

    applied = repo.run("apply", "--auto-approve")
    assert "Apply complete: 3 created, 0 updated, 0 deleted." in applied.stdout
    assert Counter(r["name"] for r in repo.api.routers()) == {"dup-a": 1, "dup-b": 1, "dup-c": 1}
    repo.api.configure(list_lag_seconds=0)
    repo.run("plan", "--prune", "--detailed-exitcode")


def test_live_routers_sharing_a_managed_name_are_an_error_naming_both(repo: Repo) -> None:
    repo.write("routerctl.yaml", 'prune:\n  scope: ["dup-*"]\n')
    repo.router("dup-a")
    repo.commit("one router")
    repo.run("apply", "--auto-approve")
    repo.api.configure(unique_names=False)
    repo.api.create("dup-a")  # a second one, e.g. from a script that retried a create
    uuids = sorted(r["uuid"] for r in repo.api.routers())
    failed = repo.run("plan", expect=1)
    assert "2 live routers are named 'dup-a'" in failed.stderr
    assert all(uuid in failed.stderr for uuid in uuids)
    repo.run("apply", "--prune", "--auto-approve", expect=1)
    assert sorted(r["uuid"] for r in repo.api.routers()) == uuids  # nothing touched
