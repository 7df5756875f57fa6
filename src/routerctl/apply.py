"""Execute a Plan against the API: exactly the changes the user saw, in plan order, in
parallel, stopping new work at the first failure and reporting every router's outcome.

Confirmation lives in the CLI (routerctl.cli.plans); the diff is never recomputed here.
Deletes run only after every create and update succeeded, so a failed run leaves extra
routers behind, never missing ones.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from routerctl.errors import (
    ApiNotSentError,
    ApiStatusError,
    ApplyError,
    ExitCode,
    PlanError,
    RouterctlError,
)
from routerctl.models import LiveRouter, spec_from_state
from routerctl.outcome import ApplyResult, Outcome
from routerctl.plan import Action, Change, Plan, fingerprint

if TYPE_CHECKING:
    from routerctl.workflow import LiveSource

DEFAULT_PARALLELISM = 4

_DONE = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}


class RouterWriter(Protocol):
    """The part of RouterClient that apply needs (lets tests pass a fake)."""

    def create_router(self, payload: dict[str, Any]) -> LiveRouter: ...
    def update_router(self, uuid: str, payload: dict[str, Any]) -> LiveRouter: ...
    def delete_router(self, uuid: str) -> None: ...


def payload_for(change: Change) -> dict[str, Any]:
    """The full API body for a create or update (the plan stores normalised state)."""
    if change.after is None:
        raise PlanError(f"{change.name}: {change.action.value} has no desired state in the plan")
    return spec_from_state(change.after).api_payload()


def apply_plan(
    plan: Plan,
    client: RouterWriter,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    on_outcome: Callable[[Outcome], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ApplyResult:
    """Run every change of `plan`; raise ApplyError (carrying the result) if any failed."""
    if parallelism < 1:
        raise PlanError("--parallelism must be at least 1")
    writes = [c for c in plan.changes if c.action is not Action.DELETE]
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    outcomes: dict[int, Outcome] = {}
    stop = threading.Event()

    def run(index: int, change: Change) -> Outcome:
        started = clock()
        try:
            uuid = _execute(change, client)
        except RouterctlError as exc:
            stop.set()
            return Outcome(
                change.name,
                change.action,
                # Given up before sending (the run is over): nothing happened to this router.
                "skipped" if isinstance(exc, ApiNotSentError) else "failed",
                change.uuid,
                str(exc),
                clock() - started,
                change.renamed_from,
            )
        return Outcome(
            change.name,
            change.action,
            _DONE[change.action],
            uuid,
            None,
            clock() - started,
            change.renamed_from,
        )

    ordered = list(enumerate(writes)) + [(len(writes) + i, c) for i, c in enumerate(deletes)]
    phases = [ordered[: len(writes)], ordered[len(writes) :]]
    interrupted = False
    signal_code = ExitCode.OK
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="apply") as pool:
        for phase in phases:
            pending = list(phase)
            running: dict[Future[Outcome], int] = {}
            try:
                while pending or running:
                    while pending and len(running) < parallelism and not stop.is_set():
                        index, change = pending.pop(0)
                        running[pool.submit(run, index, change)] = index
                    if not running:
                        break
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        index = running.pop(future)
                        outcomes[index] = future.result()
                        if on_outcome is not None:
                            on_outcome(outcomes[index])
            except KeyboardInterrupt as exc:
                # Threads cannot be cancelled mid-request: let in-flight calls finish so the
                # report is true, then skip the rest. A second Ctrl-C (or SIGTERM) while
                # waiting must not lose the report, so it is noted and the wait goes on; each
                # call is bounded by the client's timeout and retry budget.
                interrupted = True
                signal_code = max(signal_code, getattr(exc, "exit_code", ExitCode.INTERRUPTED))
                stop.set()
                for future, index in running.items():
                    outcomes[index] = _drain(future)
                    if on_outcome is not None:
                        on_outcome(outcomes[index])
            if stop.is_set():
                break
    changes = [c for _, c in ordered]
    for index, change in enumerate(changes):
        if index not in outcomes:
            reason = "interrupted" if interrupted else "not started: an earlier change failed"
            outcomes[index] = Outcome(
                change.name,
                change.action,
                "skipped",
                change.uuid,
                reason,
                renamed_from=change.renamed_from,
            )
            if on_outcome is not None:
                on_outcome(outcomes[index])
    result = ApplyResult(tuple(outcomes[i] for i in range(len(changes))))
    if interrupted:
        raise ApplyError(
            f"interrupted: {result.summary_line()} Re-run apply to finish",
            result,
            ExitCode(signal_code),
        )
    if result.exit_code is not ExitCode.OK:
        failed = [o for o in result.outcomes if o.status == "failed"]
        first = f" First failure: {failed[0].name}: {failed[0].error}" if failed else ""
        raise ApplyError(result.summary_line() + first, result, result.exit_code)
    return result


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered like Ctrl-C so apply stops cleanly and reports what it did."""

    exit_code = ExitCode.TERMINATED


def _drain(future: Future[Outcome]) -> Outcome:
    while True:
        try:
            return future.result()
        except KeyboardInterrupt:
            continue


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While applying, SIGTERM raises Terminated in the main thread (default: instant death
    with no report). A no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def refuse_mass_delete(plan: Plan, allowed: bool) -> None:
    """PlanError when the plan deletes too many routers for one run without consent."""
    reason = plan.mass_delete()
    if reason and not allowed:
        raise PlanError(
            reason.removeprefix("MASS DELETE: ") + ". Nothing was changed. Check the plan; "
            "if it is right, apply again with --allow-mass-delete"
        )


def _execute(change: Change, client: RouterWriter) -> str | None:
    if change.action is Action.CREATE:
        return client.create_router(payload_for(change)).uuid
    if change.uuid is None:
        raise PlanError(f"{change.name}: {change.action.value} without a uuid in the plan")
    if change.action is Action.UPDATE:
        return client.update_router(change.uuid, payload_for(change)).uuid
    try:
        client.delete_router(change.uuid)
    except ApiStatusError as exc:
        if exc.status != 404:
            raise
        # Already gone (deleted concurrently or by an interrupted earlier run): converged.
    return change.uuid


def stale_changes(plan: Plan, live: Sequence[LiveRouter]) -> list[str]:
    """Why a saved plan no longer matches live state (empty list = safe to apply)."""
    by_uuid = {r.uuid: r for r in live}
    names = {r.name for r in live}
    problems = []
    for change in plan.changes:
        if change.action is Action.CREATE:
            if change.name in names:
                problems.append(f"{change.name}: now exists live (created since the plan)")
            continue
        current = by_uuid.get(change.uuid or "")
        if current is None:
            problems.append(f"{change.name}: uuid {change.uuid} no longer exists live")
            continue
        state = current.to_spec().state()
        if fingerprint(current.uuid, state) != change.fingerprint:
            what = explain_drift(change.before, state) if change.before is not None else ""
            problems.append(
                f"{change.name}: changed live since the plan was made{': ' + what if what else ''}"
            )
    return problems


_FIELDS = ("description", "models", "prefer")  # fields inside a task or preset


def explain_drift(before: dict[str, Any], now: dict[str, Any], *, limit: int = 3) -> str:
    """What changed between a router's state in a saved plan and live now, field by field
    (`tasks['classify'].models[0] 'a' → 'b'`), so a refused plan says why. deepdiff, because
    the states are open-ended nested data and this runs only when a plan is refused."""
    from deepdiff import DeepDiff

    found: list[str] = []
    for kind, items in DeepDiff(before, now, verbose_level=2).tree.items():
        for item in items:
            path = re.sub(r"^root\['([^'\]]+)'\]", r"\1", item.path())
            for name in _FIELDS:
                path = path.replace(f"['{name}']", f".{name}")
            old = "absent" if "added" in kind else _short(item.t1)
            new = "absent" if "removed" in kind else _short(item.t2)
            found.append(f"{path} {old} → {new}")
    found.sort()
    more = f" (and {len(found) - limit} more)" if len(found) > limit else ""
    return "; ".join(found[:limit]) + more


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_saved_plan(
    plan: Plan,
    live: Sequence[LiveRouter],
    *,
    source: str,
    api_url: str,
    environment: str | None,
) -> None:
    """Refuse a saved plan made for another API or environment, or one whose routers changed
    live since it was made (PlanError; nothing is applied)."""
    if plan.api_url and plan.api_url != api_url:
        raise PlanError(
            f"{source} was made for {plan.api_url}, not {api_url}; re-plan against this API"
        )
    if (plan.environment or None) != (environment or None):
        raise PlanError(
            f"{source} was made for environment {plan.environment or 'default'!r}, "
            f"not {environment or 'default'!r}"
        )
    problems = stale_changes(plan, live)
    if problems:
        raise PlanError(
            f"saved plan {source} is stale, nothing applied: {'; '.join(problems)}. "
            "Run `routerctl plan --out` again and review it"
        )


def check_before_apply(
    plan: Plan,
    live_source: LiveSource,
    allow_unknown_models: bool = False,
    force_in_use: bool = False,
) -> None:
    """The refusals apply makes against the live side before it changes anything (fresh and
    saved plans alike), each a ConfigError of one line: a router to create or update whose
    model ids the live catalog does not list (unless `allow_unknown_models`); a delete or
    rename of a router an agent uses, or that cannot be checked (unless `force_in_use`)."""
    from routerctl.catalog import live_catalog, refuse_unknown_models
    from routerctl.dependencies import refuse_in_use

    if not allow_unknown_models:
        fetch = partial(live_catalog, live_source.list_models, live_source.list_task_presets)
        refuse_unknown_models(plan, fetch(), confirm=partial(fetch, refresh=True))
    if not force_in_use:
        refuse_in_use(plan, live_source.list_agents)
