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
    from decimal import Decimal

    from routerctl.changes import ChangeScope, GitChanges
    from routerctl.cost import PriceBook, RouterReport
    from routerctl.errors import Issue
    from routerctl.models import LiveRouter, RouterSpec, TrafficProfile
    from routerctl.ownership import Ownership
    from routerctl.project import Project
    from routerctl.routing_tests import RouterTestReport
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
    preview: bool = False,
    changed_since: str | None = None,
    max_requests: int | None = None,
    budget: Budget | None = None,
) -> PlanResult:
    """Load the files, read the live routers the plan compares (reads.py), diff them, put the
    live catalog's problems (unknown model ids and preset slugs) first among the plan's
    warnings, name the agents that use each router being deleted or renamed, add costs when
    the project has a traffic profile, and with `preview` the routing preview of updated
    routers with tests. `changed_since`: only the routers a git change touches (changes.py);
    `max_requests` / `budget`: refuse or warn before spending the API's quota (the share left
    to warn at: ROUTERCTL_BUDGET_SHARE, see reads.budget_share)."""
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
    targets = environment_targets(project, specs, targets)
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
    if preview:
        plan = _with_routing_preview(plan, loaded.specs, notes.append)
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


def environment_targets(
    project: Project, specs: Sequence[RouterSpec], targets: Sequence[str]
) -> tuple[str, ...]:
    """In an environment, `--target` takes a router's file name (`app-a`) as well as its live
    name (`app-a-staging`), as completion offers and `routerctl test` accepts: a file's name
    means that file's router here, never a same-named router of another environment."""
    overlay = project.overlay
    if overlay is None:
        return tuple(targets)
    mapped = {s.name for s in specs} | {old for s in specs for old in s.renamed_from}
    return tuple(
        t if t in mapped or overlay.rename(t) not in mapped else overlay.rename(t) for t in targets
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


def _with_routing_preview(
    plan: Plan, specs: Sequence[RouterSpec], note: Callable[[str], None]
) -> Plan:
    """Each updated router that has tests gets `routing_preview` (routerctl.predict.preview).
    A preview never blocks a plan: if the predictor cannot run, the plan says so and goes on."""
    from dataclasses import replace

    from routerctl.plan import Action

    tests = {s.name: s.tests for s in specs if s.tests}
    wanted = [
        c
        for c in plan.changes
        if c.action is Action.UPDATE and c.name in tests and c.before and c.after
    ]
    if not wanted:
        return plan
    try:
        from routerctl.predict import load_predictor
        from routerctl.predict.preview import routing_preview

        predictor = load_predictor()
        previews = {
            c.name: routing_preview(c.before or {}, c.after or {}, tests[c.name], predictor)
            for c in wanted
        }
    except Exception as exc:  # any failure of an advisory step is a note, not a failed plan
        note(f"routing preview skipped: {type(exc).__name__}: {exc}")
        return plan
    changes = tuple(replace(c, routing_preview=previews.get(c.name)) for c in plan.changes)
    return replace(plan, changes=changes)


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


@dataclass(frozen=True)
class TestRun:
    """What `routerctl test` ran and what its report shows besides the cases."""

    __test__ = False  # not a pytest class, whatever the name says

    reports: list[RouterTestReport]
    costs: dict[str, Decimal | None] | None = None  # live runs: what the tokens cost
    predictor: str | None = None  # offline runs: who predicted every route
    agreement: dict[str, tuple[str, int, int]] | None = None  # live: predictor vs live route

    @property
    def shown(self) -> dict[str, Any]:
        """Keyword arguments of routing_tests.render_tests_text/json."""
        return {"costs": self.costs, "predictor": self.predictor, "agreement": self.agreement}


def run_tests(
    targets: Sequence[tuple[str, RouterSpec]],
    offline: bool,
    key_file: str | None,
    inference_url: str | None,
    max_tokens: int | None,
    parallelism: int,
    on_event: Callable[[str], None] | None = None,
) -> TestRun:
    """Run routing cases: through the routing predictor (`offline`, no server, no key), or
    against the inference endpoint, then score the predictor against the live routes."""
    from routerctl.predict import load_predictor
    from routerctl.predict.runs import agreement, offline_send
    from routerctl.routing_tests import run_routing_tests

    predictor = load_predictor()
    if offline:
        reports = run_routing_tests(targets, offline_send(predictor, targets), parallelism=1)
        return TestRun(reports, predictor=predictor.name)
    from routerctl.catalog import offline_catalog
    from routerctl.client import InferenceClient, resolve_inference_url, resolve_model_key
    from routerctl.costplan import resolve_prices
    from routerctl.routing_tests import spend

    key = resolve_model_key(key_file=key_file)
    with InferenceClient(
        key=key,
        base_url=resolve_inference_url(inference_url),
        max_tokens=max_tokens,
        parallelism=parallelism,
        on_event=on_event,  # retries and pacing waits, one line each (the CLI shows them)
    ) as client:
        labels = offline_catalog().preset_names()  # a header may carry a display name
        reports = run_routing_tests(targets, client.route, parallelism=parallelism, names=labels)
    # What the run spent, priced offline (cache or shipped file): no extra API call.
    costs = spend(reports, resolve_prices(fetch_models=None, prices_file=None))
    calibration = {
        a.router: (a.predictor, a.agreed, a.total)
        for a in agreement(reports, dict(targets), predictor)
    }
    return TestRun(reports, costs=costs, agreement=calibration)
