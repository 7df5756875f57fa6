"""The pipeline, once: router files ⊕ live routers → Plan (+ costs), for every caller.

`plan`, `apply`, `cost`, the benchmarks and the Python API all come through here, so each
step (load, read live state, diff, cost) happens in one place and in one order. Nothing here
prints: warnings come back in the result, and the caller decides where they go.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from routerctl.errors import SpecError
from routerctl.plan import Plan
from routerctl.reads import Budget

if TYPE_CHECKING:
    from routerctl.changes import ChangeScope, GitChanges
    from routerctl.cost import PriceBook, RouterReport
    from routerctl.errors import Issue
    from routerctl.models import LiveRouter, RouterSpec, TrafficProfile
    from routerctl.ownership import Ownership
    from routerctl.project import Project
    from routerctl.spec import LoadResult


class LiveSource(Protocol):
    """The part of RouterClient the pipeline reads (a fake in tests and benchmarks). A source
    that also has RouterClient's `list_router_summaries`, `get_routers`, `stats` and `quota` is
    read narrowly and metered (reads.py); one that has only `list_routers` is read in full."""

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
    changed_since: str | None = None,
    max_requests: int | None = None,
    budget: Budget | None = None,
) -> PlanResult:
    """Load the files, read the live routers the plan compares (reads.py), diff them, put the
    live catalog's problems (unknown model ids and preset slugs) first among the plan's
    warnings, name the agents that use each router being deleted or renamed, and add costs
    when the project has a traffic profile. `changed_since`: only the routers a git change
    touches (changes.py); `max_requests` / `budget`: refuse or warn before spending the API's
    quota (the share left to warn at: ROUTERCTL_BUDGET_SHARE, see reads.budget_share)."""
    from routerctl import gc_pause
    from routerctl.catalog import live_catalog, plan_warnings
    from routerctl.dependencies import annotate_plan
    from routerctl.diff import compute_plan
    from routerctl.reads import BudgetMeter, budget_share, in_play, read_live

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="routerctl-git") as git:
        # git's answer needs no router file: ask it while the files load.
        asked = None if changed_since is None else git.submit(_read_changes, project, changed_since)
        loaded = load_desired(project, strict=strict)
        scope = None if asked is None else _changed_scope(project, loaded, asked.result())
    specs = loaded.specs
    prune_settings = project.prune_settings
    ownership = project_ownership(project, loaded.specs)
    only = scope.names if scope is not None else None
    compares = in_play(
        specs,
        targets=targets,
        prune=prune,
        prune_scope=prune_settings.scope,
        protect=[*prune_settings.protect, *ownership.protect],
    )
    if only is not None:
        specs = [s for s in specs if s.name in only]
        compares = _within(only, compares)
    meter = BudgetMeter.of(live_source, budget or Budget(max_requests, budget_share()))
    # After the GETs: the catalog (models and task presets, unless cached) and, for prices,
    # the models again; the agents list only for deletes and renames, so not counted.
    extra = 2 + (1 if project.settings.traffic else 0)

    def before_gets(gets: int) -> None:
        meter.check(gets + extra, f"{gets} router GETs and up to {extra} for the catalog")

    # JSON and pydantic models of every listed router, then the diff: no cycles to collect.
    with gc_pause.paused():
        live = read_live(live_source, compares, before_gets=before_gets)
        scope_record: dict[str, Any] | None = None
        scope_lines: list[str] = []
        if scope is not None:
            scope_record, scope_lines = scope.record(loaded.specs, live)
        if only is not None:
            live = [r for r in live if r.name in only]
        plan = compute_plan(
            specs,
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
        if (not wanted or r.spec.name in wanted or wanted.intersection(r.spec.renamed_from))
        and (only is None or r.spec.name in only)
    ]
    catalog = live_catalog(live_source.list_models, live_source.list_task_presets)
    plan = dataclasses.replace(plan, warnings=(*plan_warnings(checked, catalog), *plan.warnings))
    plan = annotate_plan(plan, live_source.list_agents)
    notes: list[str] = []
    plan = _with_costs(project, plan, live_source.list_models, notes.append)
    plan = replace(
        plan,
        warnings=(*plan.warnings, *scope_lines, *meter.warnings),
        scope=scope_record,
        reads=meter.report(),
    )
    return PlanResult(
        plan=plan,
        spec_warnings=tuple(loaded.warnings),
        notes=tuple(notes),
        specs=tuple(loaded.specs),
    )


def _within(
    names: frozenset[str], compares: Callable[[LiveRouter], bool]
) -> Callable[[LiveRouter], bool]:
    return lambda router: router.name in names and compares(router)


def _read_changes(project: Project, ref: str) -> GitChanges:
    from routerctl.changes import read_changes

    overlay = project.overlay
    return read_changes(
        ref,
        cwd=project.base,
        router_dir=project.router_dir,
        overlay_dir=overlay.directory if overlay is not None else None,
    )


def _changed_scope(project: Project, loaded: LoadResult, changes: GitChanges) -> ChangeScope:
    from routerctl.changes import changed_scope

    overlay = project.overlay
    return changed_scope(
        changes=changes,
        loaded=loaded,
        router_dir=project.router_dir,
        settings_path=project.settings_path,
        overlay_dir=overlay.directory if overlay is not None else None,
        rename=overlay.rename if overlay is not None else None,
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
    if names:
        unknown = sorted(set(names) - {s.name for s in specs})
        if unknown:
            raise ConfigError(f"no router file declares {', '.join(map(repr, unknown))}")
        # Routers left out on purpose are not "traffic without a file": no warning for them.
        kept = {k: v for k, v in traffic.routers.items() if k in names}
        traffic = traffic.model_copy(update={"routers": kept})
    notes: list[str] = []
    prices: PriceBook = resolve_prices(
        fetch_models=fetch_models, prices_file=prices_file, warn=notes.append
    )
    reports, warnings = estimate_project(
        specs, traffic, prices, compare=compare, all_tasks_every_request=every_task
    )
    return CostResult(reports, warnings, tuple(loaded.warnings), tuple(notes))
