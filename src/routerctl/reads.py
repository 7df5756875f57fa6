"""What a plan reads from the API: only the routers it compares, and what that costs.

The list pages name every live router (uuid, name; DigitalOcean's list returns no `config`).
A router's config is fetched (one GET each) only when the plan compares it: the names the
environment's mapping produces from the files (after --target and --changed-since), their
`renamed_from` names, and, under --prune, the in-scope names without a file (a delete needs the
state it deletes). Every other live router is reported from its summary alone: listing it as
unmanaged or prunable needs its name, nothing more.

Nothing here prints or parses YAML; the budget check raises or returns warning lines.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from routerctl.errors import ConfigError
from routerctl.models import LiveRouter, RouterSpec, matches_any
from routerctl.plan import Action, Plan

BUDGET_SHARE_ENV = "ROUTERCTL_BUDGET_SHARE"
DEFAULT_BUDGET_SHARE = 0.5


class RouterReader(Protocol):
    """The reads a plan makes (RouterClient; a fake in tests). With `list_router_summaries`
    and `get_routers` (RouterClient has both) only the routers in play are fetched; a source
    with only `list_routers` is read in full."""

    def list_routers(self) -> list[LiveRouter]: ...


def _narrow(source: RouterReader) -> tuple[Any, Any] | None:
    summaries, get = (getattr(source, n, None) for n in ("list_router_summaries", "get_routers"))
    return (summaries, get) if callable(summaries) and callable(get) else None


def selected(specs: Iterable[RouterSpec], targets: Iterable[str] = ()) -> list[RouterSpec]:
    """The specs a plan compares under --target (a target may name an old name too)."""
    wanted = set(targets)
    return [
        s for s in specs if not wanted or s.name in wanted or wanted.intersection(s.renamed_from)
    ]


def in_play(
    specs: Sequence[RouterSpec],
    *,
    targets: Iterable[str] = (),
    prune: bool = False,
    prune_scope: Iterable[str] = (),
    protect: Iterable[str] = (),
) -> Callable[[LiveRouter], bool]:
    """Whether the plan compares a live router, i.e. needs its config (see the module doc).

    Mirrors compute_plan's selection: a router this rejects is only ever listed by name, and
    compute_plan refuses (PlanError) a summary it would have to compare, so a mistake here
    fails loudly instead of planning against a router read without its config."""
    wanted = set(targets)
    names = {n for s in selected(specs, wanted) for n in (s.name, *s.renamed_from)}
    declared = {n for s in specs for n in (s.name, *s.renamed_from)}
    scope, protected = list(prune_scope), list(protect)

    def compares(router: LiveRouter) -> bool:
        name = router.name
        if name in names:
            return True
        return (
            prune
            and name not in declared
            and (not wanted or name in wanted)
            and matches_any(name, scope)
            and not matches_any(name, protected)
        )

    return compares


def read_live(
    source: RouterReader,
    compares: Callable[[LiveRouter], bool],
    *,
    before_gets: Callable[[int], None] | None = None,
) -> list[LiveRouter]:
    """The live routers, sorted by name: summaries as listed, with the config fetched for
    those `compares` accepts (unless the list already carried it). `before_gets(n)` runs
    between the pages and the n GETs (the budget check; it may raise to stop the run)."""
    narrow = _narrow(source)
    if narrow is None:
        full = source.list_routers()
        if before_gets is not None:
            before_gets(0)
        return sorted(full, key=lambda r: (r.name, r.uuid))
    list_summaries, get_routers = narrow
    summaries: list[LiveRouter] = list_summaries()
    need = [r.uuid for r in summaries if not r.has_config and compares(r)]
    if before_gets is not None:
        before_gets(len(need))
    fetched: dict[str, LiveRouter] = {r.uuid: r for r in get_routers(need)}
    needed = set(need)
    # A router deleted between the list and its GET (404) is left out, as list_routers does.
    live = [fetched.get(r.uuid, r) for r in summaries if r.uuid not in needed or r.uuid in fetched]
    return sorted(live, key=lambda r: (r.name, r.uuid))


def read_for_saved_plan(source: RouterReader, plan: Plan) -> list[LiveRouter]:
    """What `apply PLANFILE` re-judges against: the list (every name, for creates, scope and
    ownership) and a GET of each router the plan updates or deletes, by uuid. No other
    router's config is read."""
    uuids = {c.uuid for c in plan.changes if c.action is not Action.CREATE and c.uuid}
    return read_live(source, lambda router: router.uuid in uuids)


# --- budget ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """How much of the API's rate-limit budget a run may spend: `max_requests` refuses a run
    estimated to need more; over `share` of what remains, the plan says so."""

    max_requests: int | None = None
    share: float = DEFAULT_BUDGET_SHARE


def budget_share(environ: dict[str, str] | None = None) -> float:
    """The share from ROUTERCTL_BUDGET_SHARE (a number in (0, 1], or a percentage)."""
    env = os.environ if environ is None else environ
    raw = env.get(BUDGET_SHARE_ENV, "").strip()
    if not raw:
        return DEFAULT_BUDGET_SHARE
    text = raw[:-1] if raw.endswith("%") else raw
    try:
        value = float(text) / (100 if raw.endswith("%") else 1)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 1):
        raise ConfigError(
            f"{BUDGET_SHARE_ENV}={raw[:40]!r} is not a share: use a number in (0, 1] such as "
            "0.5, or a percentage such as 50%"
        )
    return value


class BudgetMeter:
    """Counts a run's requests and judges its estimate against the quota the API reports.

    `requests()` is the client's running count; `quota()` its (limit, remaining) as the
    responses so far report them (None until one does)."""

    def __init__(
        self,
        budget: Budget,
        requests: Callable[[], int],
        quota: Callable[[], tuple[int | None, int | None]],
    ) -> None:
        self.budget = budget
        self._requests = requests
        self._quota = quota
        self._start = requests()
        self.estimate: int | None = None
        self.remaining_at_start: int | None = None
        self.warnings: list[str] = []

    @classmethod
    def of(cls, source: object, budget: Budget) -> BudgetMeter:
        """A meter of `source`'s own counts (RouterClient's `stats` and `quota()`); a source
        without them counts nothing and knows no quota."""
        stats = getattr(source, "stats", None)
        quota = getattr(source, "quota", None)
        return cls(
            budget,
            (lambda: int(stats.requests)) if stats is not None else (lambda: 0),
            quota if callable(quota) else (lambda: (None, None)),
        )

    def made(self) -> int:
        return self._requests() - self._start

    def check(self, more: int, what: str) -> None:
        """After the first reads: the run needs `more` requests on top of those made. Raise
        ConfigError over --max-requests; over the share of the quota left, warn."""
        made = self.made()
        self.estimate = made + more
        limit, remaining = self._quota()
        if remaining is not None:
            self.remaining_at_start = remaining + made
        cap = self.budget.max_requests
        if cap is not None and self.estimate > cap:
            raise ConfigError(
                f"this plan needs about {self.estimate} requests ({made} made to estimate it, "
                f"then {what}), over --max-requests {cap}; nothing more was read. Narrow it with "
                "--target or --changed-since, or raise --max-requests"
            )
        start = self.remaining_at_start
        if start is not None and self.estimate > self.budget.share * start:
            of = f" (limit {limit})" if limit is not None else ""
            self.warnings.append(
                f"this plan spends about {self.estimate} requests, over "
                f"{self.budget.share:.0%} of the {start} left in the API's rate-limit "
                f"window{of}; later runs this hour may be slowed or refused"
            )

    def report(self) -> dict[str, Any]:
        """For the plan footer and JSON: requests made, the estimate, quota left (what the
        API reported before the run, less what the run spent: the client's own figure is a
        deliberately low estimate for pacing)."""
        limit, remaining = self._quota()
        if self.remaining_at_start is not None:
            remaining = max(0, self.remaining_at_start - self.made())
        return {
            "requests": self.made(),
            "estimate": self.estimate,
            "quota_limit": limit,
            "quota_remaining": remaining,
        }
