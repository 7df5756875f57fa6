"""Ownership across environments (ownership.py): the README's table of examples, every row
run through the real pipeline, then the rule's edges."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from fakes import make_live, make_spec
from routerctl.models import LiveRouter, ProjectSettings
from routerctl.ownership import NameMapping, protect_globs, resolve_ownership
from routerctl.project import load_project
from routerctl.workflow import plan_project

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TABLE = README.split("<!-- ownership-examples")[1].split("<!-- /ownership-examples -->")[0]
ROWS = re.findall(r"^\| `(\w+)` \| `([a-z0-9-]+)` \| (deleted|kept) \|", TABLE, flags=re.M)
SETTINGS = re.search(r"# routerctl.yaml\n(prune:\n  scope: \[\"team-a-\*\"\].*?)```", README, re.S)


class FakeLive:
    base_url = "http://api.test"

    def __init__(self, routers: list[LiveRouter]) -> None:
        self.routers = routers

    def list_routers(self) -> list[LiveRouter]:
        return self.routers

    def list_models(self) -> list[dict[str, Any]]:
        return []

    def list_task_presets(self) -> list[dict[str, Any]]:
        return []

    def list_agents(self) -> list[dict[str, Any]]:
        return []


def test_the_readme_table_has_every_kind_of_row() -> None:
    assert SETTINGS is not None
    assert len(ROWS) == 9
    assert {verdict for _, _, verdict in ROWS} == {"deleted", "kept"}


@pytest.mark.parametrize(("env", "name", "verdict"), ROWS, ids=[f"{e}:{n}" for e, n, _ in ROWS])
def test_readme_ownership_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, name: str, verdict: str
) -> None:
    assert SETTINGS is not None
    (tmp_path / "routerctl.yaml").write_text(SETTINGS.group(1), encoding="utf-8")
    (tmp_path / "routers").mkdir()
    (tmp_path / "routers" / "team-a-search.yaml").write_text(
        "name: team-a-search\nfallback_models: [llama3.3-70b-instruct]\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    project = load_project(environment=None if env == "default" else env)
    mapped = project.overlay.rename("team-a-search") if project.overlay else "team-a-search"
    bare = {"tasks": {}, "presets": {}, "description": ""}
    search = make_live(make_spec(mapped, fallback_models=["llama3.3-70b-instruct"], **bare), "u-s")
    others = [make_live(make_spec(n), f"u-{n}") for n in ("team-a-x", "team-a-y", "team-a-z")]
    live = [search, make_live(make_spec(name), "u-row"), *others]
    plan = plan_project(project, FakeLive(live), prune=True).plan
    deleted = {c.name for c in plan.changes if c.action.value == "delete"}
    assert (name in deleted) == (verdict == "deleted"), plan
    assert mapped not in deleted


def settings(**environments: dict[str, Any]) -> ProjectSettings:
    return ProjectSettings.model_validate(
        {"prune": {"scope": ["*"], "protect": ["keep"]}, "environments": environments}
    )


def test_a_name_two_mappings_match_is_nobody_s_to_prune_by_inference() -> None:
    both = settings(qa={"name_prefix": "qa-"}, staging={"name_suffix": "-staging"})
    for env in ("qa", "staging"):
        owner = resolve_ownership(both, env, ["chat"]).other_owner("qa-old-staging")
        assert owner == ("staging" if env == "qa" else "qa")
    # ... but a name an environment's own mapping makes from a file stays its own.
    assert resolve_ownership(both, "qa", ["old-staging"]).other_owner("qa-old-staging") is None


def test_identical_mappings_share_their_routers() -> None:
    same = settings(prod={})  # prod and the default environment name routers alike
    assert resolve_ownership(same, "prod", ["chat"]).foreign(["chat", "old"]) == {}
    assert resolve_ownership(same, None, ["chat"]).foreign(["chat", "old"]) == {}


def test_renamed_from_names_are_produced_too() -> None:
    envs = settings(staging={"name_suffix": "-staging"})
    ownership = resolve_ownership(envs, None, ["new", "old"])
    assert ownership.other_owner("old-staging") == "staging"


def test_protect_covers_every_environment_s_name_and_their_own_lists() -> None:
    envs = settings(
        staging={"name_suffix": "-staging"},
        eu={"name_prefix": "eu-", "prune": {"scope": ["eu-*"], "protect": ["eu-legacy"]}},
    )
    assert protect_globs(envs) == ["keep", "eu-keep", "eu-legacy", "keep-staging"]


def test_identity_mapping_matches_nothing() -> None:
    assert not NameMapping("prod").matches("anything")
    assert NameMapping("staging", suffix="-staging").matches("a-staging")
    assert not NameMapping("staging", suffix="-staging").matches("-stagin")
