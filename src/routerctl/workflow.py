"""The pipeline, once: router files ⊕ live routers → Plan (+ costs), for every caller.

`plan`, `apply`, `cost`, the benchmarks and the Python API all come through here, so each
step (load, read live state, diff, cost) happens in one place and in one order. Nothing here
prints: warnings come back in the result, and the caller decides where they go.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from routerctl.errors import SpecError
from routerctl.plan import Plan

if TYPE_CHECKING:
    from routerctl.cost import PriceBook, RouterReport
    from routerctl.errors import Issue
    from routerctl.models import LiveRouter, RouterSpec, TrafficProfile
    from routerctl.ownership import Ownership
    from routerctl.project import Project
    from routerctl.spec import LoadResult


class LiveSource(Protocol):
    """The part of RouterClient the pipeline reads (a fake in tests and benchmarks)."""

    @property
    def base_url(self) -> str: ...
    def list_routers(self) -> list[LiveRouter]: ...
    def list_models(self) -> list[dict[str, Any]]: ...
    def list_task_presets(self) -> list[dict[str, Any]]: ...
    def list_agents(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class PlanResult:
    """A plan and what was learnt making it: the spec warnings (file:line issues) and notes
    from other steps (e.g. a price catalog that could not be read)."""

    plan: Plan
    spec_warnings: tuple[Issue, ...] = ()
    notes: tuple[str, ...] = ()
    specs: tuple[RouterSpec, ...] = field(default=(), compare=False)

    @property
    def costs(self) -> dict[str, Any] | None:
        return self.plan.costs

    def warning_lines(self) -> list[str]:
        """Everything worth telling the person, one line each, spec issues first."""
        return [issue.format() for issue in self.spec_warnings] + list(self.notes)


def load_desired(project: Project, *, strict: bool = False) -> LoadResult:
    """The router files, or SpecError naming every problem (warnings too under `strict`)."""
    result = project.load()
    if result.errors or (strict and result.warnings):
        raise SpecError(result.issues)
    return result


def plan_project(
    project: Project,
    live_source: LiveSource,
    *,
    targets: Sequence[str] = (),
    prune: bool = False,
    strict: bool = False,
) -> PlanResult:
    """Load the files, read the live routers, diff them, put the live catalog's problems
    (unknown model ids and preset slugs) first among the plan's warnings, name the agents
    that use each router being deleted or renamed, and add costs when the project has a
    traffic profile."""
    from routerctl.catalog import live_catalog, plan_warnings
    from routerctl.dependencies import annotate_plan
    from routerctl.diff import compute_plan

    loaded = load_desired(project, strict=strict)
    live = live_source.list_routers()
    prune_settings = project.prune_settings
    ownership = project_ownership(project, loaded.specs)
    plan = compute_plan(
        loaded.specs,
        live,
        prune=prune,
        prune_scope=prune_settings.scope,
        protect=[*prune_settings.protect, *ownership.protect],
        targets=targets,
        environment=project.environment,
        api_url=live_source.base_url,
        foreign=ownership.foreign(r.name for r in live),
    )
    wanted = set(targets)
    checked = [
        r
        for r in loaded.routers
        if not wanted or r.spec.name in wanted or wanted.intersection(r.spec.renamed_from)
    ]
    catalog = live_catalog(live_source.list_models, live_source.list_task_presets)
    plan = dataclasses.replace(plan, warnings=(*plan_warnings(checked, catalog), *plan.warnings))
    plan = annotate_plan(plan, live_source.list_agents)
    notes: list[str] = []
    plan = _with_costs(project, plan, live_source.list_models, notes.append)
    return PlanResult(
        plan=plan,
        spec_warnings=tuple(loaded.warnings),
        notes=tuple(notes),
        specs=tuple(loaded.specs),
    )


def project_ownership(project: Project, specs: Sequence[RouterSpec]) -> Ownership:
    """Which live names this environment may prune (see ownership.py), from the files."""
    from routerctl.ownership import resolve_ownership

    overlay = project.overlay
    bases: list[str] = []
    for spec in specs:
        for name in (spec.name, *spec.renamed_from):
            base = overlay.base_name(name) if overlay is not None else name
            bases.append(base if base is not None else name)
    return resolve_ownership(project.settings, project.environment, bases)


def _with_costs(
    project: Project,
    plan: Plan,
    fetch_models: Callable[[], list[dict[str, Any]]],
    note: Callable[[str], None],
) -> Plan:
    """The monthly cost before → after, when routerctl.yaml has a traffic profile."""
    if not project.settings.traffic:
        return plan
    from routerctl.costplan import for_environment, load_profile, plan_costs, resolve_prices

    profile = load_profile(project.settings.traffic, None, str(project.settings_path))
    if profile is None:
        return plan
    prices = resolve_prices(fetch_models=fetch_models, prices_file=None, warn=note)
    return plan_costs(plan, for_environment(profile, project.overlay), prices)


@dataclass(frozen=True)
class CostResult:
    reports: list[RouterReport]
    warnings: list[str]
    spec_warnings: tuple[Issue, ...] = ()
    notes: tuple[str, ...] = ()


def cost_project(
    project: Project,
    *,
    names: Sequence[str] = (),
    profile_file: str | None = None,
    prices_file: str | None = None,
    compare: Sequence[str] = (),
    every_task: bool = False,
    fetch_models: Callable[[], list[dict[str, Any]]] | None = None,
) -> CostResult:
    """Monthly cost of the project's routers (or `names`) under its traffic profile."""
    from routerctl.cost import estimate_project
    from routerctl.costplan import for_environment, load_profile, resolve_prices
    from routerctl.errors import ConfigError

    traffic: TrafficProfile | None = load_profile(
        project.settings.traffic, profile_file, str(project.settings_path)
    )
    if traffic is None:
        raise ConfigError(
            "no traffic profile: add `traffic:` to routerctl.yaml or pass --profile FILE "
            "(see README, 'Cost')"
        )
    traffic = for_environment(traffic, project.overlay)
    loaded = load_desired(project)
    specs = [s for s in loaded.specs if not names or s.name in names]
    notes: list[str] = []
    prices: PriceBook = resolve_prices(
        fetch_models=fetch_models, prices_file=prices_file, warn=notes.append
    )
    reports, warnings = estimate_project(
        specs, traffic, prices, compare=compare, all_tasks_every_request=every_task
    )
    return CostResult(reports, warnings, tuple(loaded.warnings), tuple(notes))
