"""Staging → prod promotion with overlays, the README's routerctl.yaml, and a prune in each
environment: neither environment's prune touches the other's routers."""

from __future__ import annotations

from journeys.kit import Repo

SETTINGS = """\
dir: routers
prune:
  scope: ["team-a-*"]
  protect: [team-a-chat]
environments:
  staging:
    name_suffix: -staging
    overlays: environments/staging
  prod: {}
"""


def fallback_of(repo: Repo, name: str) -> list[str]:
    router = next(r for r in repo.api.routers() if r["name"] == name)
    models: list[str] = router["config"]["fallback_models"]
    return models


def test_promotion_with_prune_in_each_environment(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    repo.router("team-a-chat")
    repo.router("team-a-search")
    repo.router("team-a-faq")
    repo.write("environments/staging/team-a-search.yaml", "fallback_models: [openai-gpt-5-nano]\n")
    repo.commit("two routers, a cheaper staging search")

    # Staging first, through a saved plan that remembers its environment.
    planned = repo.run("plan", "--env", "staging", "--out", "st.json")
    assert "apply st.json" in planned.stderr
    repo.run("apply", "st.json")
    assert repo.live() == ["team-a-chat-staging", "team-a-faq-staging", "team-a-search-staging"]
    assert fallback_of(repo, "team-a-search-staging") == ["openai-gpt-5-nano"]

    # Promote: prod with --prune must create prod's two and delete nothing of staging's.
    repo.run("apply", "--env", "prod", "--prune", "--auto-approve")
    assert repo.live() == [
        "team-a-chat",
        "team-a-chat-staging",
        "team-a-faq",
        "team-a-faq-staging",
        "team-a-search",
        "team-a-search-staging",
    ]
    assert fallback_of(repo, "team-a-search") == ["llama3.3-70b-instruct", "openai-gpt-5-nano"]
    for env in (["--env", "prod"], ["--env", "staging"], []):
        done = repo.run("plan", *env, "--prune", "--detailed-exitcode")
        assert "- delete" not in done.stdout
        assert "No changes" in done.stdout
    prod = repo.run("plan", "--env", "prod", "--prune").stdout
    assert "team-a-chat-staging (staging)" in prod  # said whose it is, left untouched

    # A pull request deletes one file: each environment prunes only its own copy.
    repo.remove("routers/team-a-search.yaml")
    repo.remove("environments/staging/team-a-search.yaml")
    repo.commit("retire search")
    repo.run("plan", "--env", "staging", "--detailed-exitcode", expect=2)
    planned = repo.run("plan", "--env", "staging", "--prune", "--out", "st.json")
    assert "- delete team-a-search-staging" in planned.stdout
    assert planned.stdout.count("- delete") == 1  # not prod's team-a-search
    repo.run("apply", "st.json", "--env", "prod", expect=1)  # not the plan's environment
    assert "team-a-search-staging" in repo.live()
    repo.run("apply", "st.json")
    assert "team-a-search-staging" not in repo.live()
    assert "team-a-search" in repo.live()

    repo.run("plan", "--env", "prod", "--detailed-exitcode", expect=2)  # the orphan is drift
    repo.run("apply", "--env", "prod", "--prune", "--auto-approve")
    assert repo.live() == ["team-a-chat", "team-a-chat-staging", "team-a-faq", "team-a-faq-staging"]

    # Protection holds for every environment's name of the router, file or no file.
    repo.remove("routers/team-a-chat.yaml")
    repo.commit("drop the chat file by mistake")
    for env in ("staging", "prod"):
        done = repo.run("plan", "--env", env, "--prune", "--detailed-exitcode")
        assert "- delete" not in done.stdout
        assert "protected" in done.stdout
    repo.run("apply", "--env", "staging", "--prune", "--auto-approve")
    repo.run("apply", "--env", "prod", "--prune", "--auto-approve")
    assert repo.live() == ["team-a-chat", "team-a-chat-staging", "team-a-faq", "team-a-faq-staging"]
