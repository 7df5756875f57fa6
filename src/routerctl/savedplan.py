"""Saved plans re-judged at apply time (DESIGN "Lifecycle rules": saved plans are re-judged).

A plan file is a reviewed intent, not a script. `apply PLANFILE`:

1. refuses a damaged or edited file (plan.load_plan: structure, guard fields, digest);
2. takes its environment from the plan (a conflicting explicit `--env` is refused) and
   refuses another API (or a plan without one);
3. refuses it if a router it touches changed live since (apply.check_saved_plan);
4. re-runs the plan's own diff: the plan's desired routers against the live ones, under
   today's routerctl.yaml (scope, protect, every environment's ownership) and the plan's
   `--prune` and targets. Every saved change must come out the same (same router, action,
   uuid, desired state), or nothing is applied and the line says why;
5. returns that recomputed plan: what apply shows and sends is derived from live state and
   the desired state, never from the stored text or field lines.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from routerctl.errors import PlanError
from routerctl.models import spec_from_state
from routerctl.plan import Action, Change, Plan

if TYPE_CHECKING:
    from routerctl.models import RouterSpec
    from routerctl.project import Project
    from routerctl.workflow import LiveSource


def environment_for(saved: Plan, explicit: str | None, source: str) -> str | None:
    """The environment to apply `saved` in: its own. An explicit different one is refused."""
    if explicit and explicit != (saved.environment or None):
        made = saved.environment or "default"
        raise PlanError(
            f"{source} was made for environment {made!r}, not {explicit!r}; apply it without "
            f"--env (or ROUTERCTL_ENV), or make a plan for {explicit!r}"
        )
    return saved.environment


def rejudge(saved: Plan, project: Project, live_source: LiveSource, *, source: str) -> Plan:
    """The plan to apply for `saved`, recomputed now against `live_source` (its routers, and
    the agents that use each router being deleted or renamed); PlanError if anything no
    longer holds."""
    from routerctl.apply import check_saved_plan
    from routerctl.dependencies import annotate_plan
    from routerctl.diff import compute_plan
    from routerctl.reads import read_for_saved_plan
    from routerctl.workflow import load_desired, project_ownership

    api_url = live_source.base_url
    live = read_for_saved_plan(live_source, saved)  # names of all; config of those it touches
    if not saved.api_url:
        raise PlanError(f"{source}: damaged plan file (no api_url); re-run `routerctl plan --out`")
    check_saved_plan(saved, live, source=source, api_url=api_url, environment=project.environment)
    problems = _intent_problems(saved)
    files = load_desired(project).specs
    declared = {s.name for s in files}
    problems += [
        f"{c.name}: has a file again; deleting it is no longer what the files say"
        for c in saved.changes
        if c.action is Action.DELETE and c.name in declared
    ]
    if problems:
        raise _refused(source, problems)
    desired = _desired(saved, {s.name: s for s in files}, source)
    ownership = project_ownership(project, files)
    settings = project.prune_settings
    targets = {c.name for c in saved.changes} | {
        c.renamed_from for c in saved.changes if c.renamed_from
    }
    fresh = compute_plan(
        desired,
        live,
        prune=saved.prune,
        prune_scope=settings.scope,
        protect=[*settings.protect, *ownership.protect],
        targets=sorted(targets),
        environment=project.environment,
        api_url=api_url,
        foreign=ownership.foreign(r.name for r in live),
        note_targets=False,
    )
    problems = _differences(saved, fresh)
    if problems:
        raise _refused(source, problems)
    fresh = annotate_plan(fresh, live_source.list_agents)
    return replace(fresh, targets=saved.targets, costs=saved.costs)


def _intent_problems(saved: Plan) -> list[str]:
    """Changes the plan's own options could not have produced (--prune, --target)."""
    problems = []
    for change in saved.changes:
        if change.action is Action.DELETE and not saved.prune:
            problems.append(f"{change.name}: a delete in a plan made without --prune")
        names = {change.name, change.renamed_from}
        if saved.targets and not names & set(saved.targets):
            problems.append(f"{change.name}: not among the plan's targets")
    return problems


def _desired(saved: Plan, files: dict[str, RouterSpec], source: str) -> list[RouterSpec]:
    """The routers the plan means to create or update, from its desired states."""
    specs = []
    for change in saved.changes:
        if change.action is Action.DELETE:
            continue
        try:
            spec = spec_from_state(change.after or {})
        except ValueError as exc:  # pydantic's ValidationError: the state is not a router
            detail = " ".join(line.strip() for line in str(exc).splitlines()[1:3])
            raise PlanError(
                f"{source}: damaged plan file ({change.name}: {detail}); "
                "re-run `routerctl plan --out`"
            ) from None
        current = files.get(spec.name)
        spec = spec.model_copy(
            update={
                "renamed_from": [change.renamed_from] if change.renamed_from else [],
                # `protect: true` in today's file still refuses a rename.
                "protect": bool(current is not None and current.protect),
            }
        )
        specs.append(spec)
    return specs


def _differences(saved: Plan, fresh: Plan) -> list[str]:
    now = {c.name: c for c in fresh.changes}
    problems = []
    for change in saved.changes:
        again = now.pop(change.name, None)
        if again is None:
            problems.append(f"{change.name}: {_why_dropped(change, fresh)}")
        elif (again.action, again.uuid, again.after) != (change.action, change.uuid, change.after):
            problems.append(f"{change.name}: would now be planned as {again.action.value}")
    problems += [f"{name}: would also {c.action.value} now" for name, c in sorted(now.items())]
    return problems


def _why_dropped(change: Change, fresh: Plan) -> str:
    if change.name in fresh.protected:
        return f"{change.action.value} refused: now protected (prune.protect)"
    if change.name in fresh.foreign:
        return f"{change.action.value} refused: environment {fresh.foreign[change.name]!r} owns it"
    if change.name in fresh.unmanaged:
        return f"{change.action.value} refused: outside prune.scope now"
    if change.name in fresh.unchanged:
        return "already matches the plan live"
    return f"the {change.action.value} would no longer be planned"


def _refused(source: str, problems: list[str]) -> PlanError:
    return PlanError(
        f"saved plan {source} no longer holds, nothing applied: {'; '.join(problems)}. "
        "Make a new plan and review it"
    )
