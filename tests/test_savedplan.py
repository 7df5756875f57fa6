"""Saved plans re-judged at apply time (savedplan.py), the mass-delete threshold, and
import's adoption rules, as units. The journeys in tests/journeys/ run the same through
the CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fakes import make_live, make_spec
from routerctl.apply import refuse_mass_delete
from routerctl.diff import compute_plan
from routerctl.errors import ConfigError, PlanError, RouterctlError
from routerctl.importer import ImportedFile, plan_import, write_files
from routerctl.models import LiveRouter
from routerctl.plan import Action, FieldChange, Plan
from routerctl.project import Project, load_project
from routerctl.savedplan import environment_for, rejudge

API = "http://api.test"


def project_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str, *names: str
) -> Project:
    (tmp_path / "routerctl.yaml").write_text(settings, encoding="utf-8")
    (tmp_path / "routers").mkdir(exist_ok=True)
    for name in names:
        (tmp_path / "routers" / f"{name}.yaml").write_text(
            f"name: {name}\nfallback_models: [m1]\n", encoding="utf-8"
        )
    monkeypatch.chdir(tmp_path)
    return load_project()


class Source:
    """What rejudge reads: the live routers, and the agents (none use these routers)."""

    base_url = API

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


def bare(name: str, uuid: str) -> LiveRouter:
    spec = make_spec(name, tasks={}, presets={}, description="", fallback_models=["m1"])
    return make_live(spec, uuid)


def test_a_delete_in_a_plan_made_without_prune_is_refused(tmp_path, monkeypatch) -> None:
    project = project_with(tmp_path, monkeypatch, "prune:\n  scope: ['*']\n", "keep")
    live = [bare("keep", "u1"), bare("gone", "u2")]
    planned = compute_plan(project.load().specs, live, prune=True, prune_scope=["*"], api_url=API)
    assert [c.action for c in planned.changes] == [Action.DELETE]
    with pytest.raises(PlanError, match="gone: a delete in a plan made without --prune"):
        rejudge(replace(planned, prune=False), project, Source(live), source="p.json")
    with pytest.raises(PlanError, match="gone: not among the plan's targets"):
        rejudge(replace(planned, targets=("keep",)), project, Source(live), source="p.json")
    with pytest.raises(PlanError, match="no api_url"):
        rejudge(replace(planned, api_url=None), project, Source(live), source="p.json")
    again = rejudge(planned, project, Source(live), source="p.json")
    assert [(c.name, c.action) for c in again.changes] == [("gone", Action.DELETE)]


def test_apply_shows_what_it_recomputes_not_the_stored_field_lines(tmp_path, monkeypatch) -> None:
    project = project_with(tmp_path, monkeypatch, "prune:\n  scope: ['*']\n", "fresh")
    planned = compute_plan([make_spec("fresh")], [], api_url=API)
    lying = FieldChange("description", "added", after="whatever the file says")
    doctored = replace(planned, changes=(replace(planned.changes[0], fields=(lying,)),))
    again = rejudge(doctored, project, Source([]), source="p.json")
    assert again.changes[0].fields == planned.changes[0].fields
    assert again.changes[0].after == planned.changes[0].after


def test_a_rename_of_a_router_protected_since_is_refused(tmp_path, monkeypatch) -> None:
    settings = "prune:\n  scope: ['*']\n  protect: [old]\n"
    project = project_with(tmp_path, monkeypatch, settings, "new")
    spec = make_spec("new", renamed_from=["old"])
    live = [make_live(make_spec("old"), "u1")]
    planned = compute_plan([spec], live, api_url=API)
    with pytest.raises(PlanError, match="router 'old' is protected"):
        rejudge(planned, project, Source(live), source="p.json")


def test_the_plan_s_environment_wins_and_a_conflicting_one_is_refused() -> None:
    plan = Plan(environment="staging", api_url=API)
    assert environment_for(plan, None, "st.json") == "staging"
    assert environment_for(plan, "staging", "st.json") == "staging"
    with pytest.raises(PlanError, match="made for environment 'staging', not 'prod'"):
        environment_for(plan, "prod", "st.json")
    with pytest.raises(PlanError, match="made for environment 'default', not 'prod'"):
        environment_for(Plan(api_url=API), "prod", "p.json")


@pytest.mark.parametrize(
    ("deletes", "in_scope", "refused"),
    [(10, 100, False), (11, 100, True), (2, 4, False), (3, 4, True), (1, 1, True), (0, 0, False)],
)
def test_mass_delete_threshold(deletes: int, in_scope: int, refused: bool) -> None:
    live = [bare(f"r{i}", f"u{i}") for i in range(deletes)]
    plan = compute_plan([], live, prune=True, prune_scope=["*"])
    plan = replace(plan, in_scope_live=in_scope)
    assert bool(plan.mass_delete()) == refused
    if refused:
        with pytest.raises(PlanError, match=f"deletes {deletes} router.*--allow-mass-delete"):
            refuse_mass_delete(plan, allowed=False)
    refuse_mass_delete(plan, allowed=True)


def test_import_all_adopts_only_undeclared_routers_of_this_environment(tmp_path: Path) -> None:
    live = [bare(n, f"u-{n}") for n in ("managed", "clickops", "old", "other-staging")]
    managed = {"managed": str(tmp_path / "managed.yaml"), "old": str(tmp_path / "managed.yaml")}
    (tmp_path / "managed.yaml").write_text("name: managed\n", encoding="utf-8")
    for force in (False, True):
        files = plan_import(
            live, names=(), all_routers=True, directory=tmp_path, force=force, managed=managed,
            other_owner=lambda name: "staging" if name.endswith("-staging") else None,
        )  # fmt: skip
        assert [f.name for f in files] == ["clickops"]
    named = plan_import(
        live, names=("managed",), all_routers=False, directory=tmp_path, force=True,
        managed=managed,
    )  # fmt: skip
    assert [f.name for f in named] == ["managed"]
    (tmp_path / "clickops.yaml").write_text("name: someone-else\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="declares another router; not overwritten"):
        plan_import(
            live, names=("clickops",), all_routers=False, directory=tmp_path, force=True,
            managed=managed,
        )  # fmt: skip


def test_write_files_refuses_symlinks(tmp_path: Path) -> None:
    routers = tmp_path / "routers"
    routers.mkdir()
    outside = tmp_path / "outside.yaml"
    (routers / "a.yaml").symlink_to(outside)
    with pytest.raises(RouterctlError, match="it is a symlink"):
        write_files([ImportedFile("a", routers / "a.yaml", "name: a\n")], root=routers)
    assert not outside.exists()
    write_files([ImportedFile("c", routers / "c.yaml", "name: c\n")], root=routers)
    assert sorted(p.name for p in routers.iterdir()) == ["a.yaml", "c.yaml"]
