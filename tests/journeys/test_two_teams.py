"""Two teams share one account, each with its own repository and a disjoint prune scope:
neither team's plan or prune sees the other's routers as its own, and ClickOps routers
outside both scopes are never touched."""

from __future__ import annotations

from pathlib import Path

from journeys.kit import EmulatorProcess, Repo


def test_two_teams_with_disjoint_scopes_never_touch_each_other(
    tmp_path: Path, api: EmulatorProcess
) -> None:
    alpha = Repo(tmp_path / "alpha", api)
    beta = Repo(tmp_path / "beta", api)
    alpha.write("routerctl.yaml", 'prune:\n  scope: ["alpha-*"]\n')
    beta.write("routerctl.yaml", 'prune:\n  scope: ["beta-*"]\n')
    api.create("hand-made")  # someone's control-panel router, outside both scopes
    for name in ("alpha-chat", "alpha-docs"):
        alpha.router(name)
    for name in ("beta-chat", "beta-docs"):
        beta.router(name)
    alpha.commit("alpha routers")
    beta.commit("beta routers")

    alpha.run("apply", "--prune", "--auto-approve")
    beta.run("apply", "--prune", "--auto-approve")
    everyone = ["alpha-chat", "alpha-docs", "beta-chat", "beta-docs", "hand-made"]
    assert api.names() == everyone
    for repo in (alpha, beta):
        done = repo.run("plan", "--prune", "--detailed-exitcode")  # the others are not drift
        assert "left untouched" in done.stdout
        assert "- delete" not in done.stdout

    # Beta retires a router; alpha's plan does not report it, beta's does until pruned.
    beta.remove("routers/beta-docs.yaml")
    beta.commit("retire beta-docs")
    alpha.run("plan", "--detailed-exitcode")
    beta.run("plan", "--detailed-exitcode", expect=2)
    beta.run("apply", "--prune", "--auto-approve")
    assert api.names() == ["alpha-chat", "alpha-docs", "beta-chat", "hand-made"]

    # A target from the other team's repo is a typo here: an error, not "in sync".
    wrong = alpha.run("plan", "--target", "alpha-chats", expect=1)
    assert "did you mean 'alpha-chat'" in wrong.stderr
    alpha.run("apply", "--prune", "--auto-approve")
    assert api.names() == ["alpha-chat", "alpha-docs", "beta-chat", "hand-made"]
