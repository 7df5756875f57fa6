"""Estimates: a router's monthly cost under its own selection policies, or with every task on
one model, and the reports `routerctl cost` shows for a project."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from routerctl.cost.prices import PriceBook
from routerctl.models import RouterSpec, RouterTraffic, TaskTraffic, TrafficProfile

__all__ = [
    "ModelOption",
    "RouterCost",
    "RouterReport",
    "RowKind",
    "TaskCost",
    "Unpriced",
    "compare_all_on",
    "estimate_project",
    "estimate_router",
]

RowKind = Literal["task", "preset", "fallback"]


# --- Estimates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelOption:
    """One pool model's per-call cost for a row's token mix (None: no price)."""

    model: str
    per_call: Decimal | None


@dataclass(frozen=True)
class TaskCost:
    """One row: a task, preset or the fallback route, and what it costs."""

    key: str
    kind: RowKind
    policy: str  # the task's `prefer`, "fallback", or "compare"
    model: str | None  # the model the estimate uses (None: empty pool)
    assumption: str  # which rule chose `model`, in words
    share: Decimal  # calls per request
    input_tokens: Decimal
    output_tokens: Decimal
    per_call: Decimal | None  # None: `model` has no price
    monthly: Decimal | None
    pool: tuple[ModelOption, ...] = ()
    range_per_call: tuple[Decimal, Decimal] | None = None  # over priced pool models
    range_monthly: tuple[Decimal, Decimal] | None = None
    unpriced: tuple[str, ...] = ()  # pool models without a price
    price_source: str = ""  # where the chosen model's price came from

    @property
    def per_request(self) -> Decimal | None:
        """Average cost per router request (per-call cost x share)."""
        return None if self.per_call is None else self.per_call * self.share


@dataclass(frozen=True)
class Unpriced:
    """A model the estimate needed but could not price, and the rows it affects."""

    model: str
    reason: str
    rows: tuple[str, ...]
    chosen: bool  # the estimate itself lacks this model's cost (not only its range)


@dataclass(frozen=True)
class RouterCost:
    """A router's monthly estimate under one strategy (its policies, or everything on one model)."""

    router: str
    label: str  # "routing policy" or "every task on <model>"
    requests_per_month: Decimal
    rows: tuple[TaskCost, ...]
    unpriced: tuple[Unpriced, ...] = ()
    warnings: tuple[str, ...] = ()
    compare_model: str | None = None
    price_source: str = ""
    price_as_of: str | None = None

    @property
    def monthly(self) -> Decimal:
        """Sum of the rows that could be priced; see `complete`."""
        return sum((r.monthly for r in self.rows if r.monthly is not None), Decimal(0))

    @property
    def complete(self) -> bool:
        """True when every row has a cost, so `monthly` is the whole estimate."""
        return all(r.monthly is not None for r in self.rows)

    @property
    def range_monthly(self) -> tuple[Decimal, Decimal] | None:
        ranges = [r.range_monthly for r in self.rows if r.range_monthly is not None]
        if not ranges:
            return None
        return sum((lo for lo, _ in ranges), Decimal(0)), sum((hi for _, hi in ranges), Decimal(0))

    @property
    def per_request(self) -> Decimal:
        return sum((r.per_request or Decimal(0) for r in self.rows), Decimal(0))


@dataclass(frozen=True)
class RouterReport:
    """What `routerctl cost` shows for one router: the estimate and any comparison rows."""

    estimate: RouterCost
    comparisons: tuple[RouterCost, ...] = ()

    @property
    def router(self) -> str:
        return self.estimate.router


@dataclass(frozen=True)
class _Call:
    key: str
    kind: RowKind
    policy: str
    models: tuple[str, ...]
    traffic: TaskTraffic


def _calls(spec: RouterSpec, traffic: RouterTraffic) -> tuple[list[_Call], list[str]]:
    """The rows to cost, in file order, and warnings for traffic and tasks that don't match."""
    calls: list[_Call] = []
    warnings: list[str] = []
    name = spec.name
    for key, task in spec.tasks.items():
        found = traffic.tasks.get(key)
        if found is None:
            warnings.append(f"{name}: task {key!r} has no traffic in the profile; not costed")
            continue
        calls.append(_Call(key, "task", task.prefer, tuple(task.models), found))
    for slug, preset in spec.presets.items():
        if slug in spec.tasks:
            warnings.append(
                f"{name}: {slug!r} is both a custom task and a preset; its traffic was "
                "counted for the custom task only"
            )
            continue
        found = traffic.tasks.get(slug)
        if found is None:
            warnings.append(f"{name}: preset {slug!r} has no traffic in the profile; not costed")
            continue
        calls.append(_Call(slug, "preset", preset.prefer, tuple(preset.models), found))
    for key in traffic.tasks:
        if key not in spec.tasks and key not in spec.presets:
            warnings.append(
                f"{name}: the profile has traffic for {key!r}, which is not a task or preset "
                "of this router; ignored"
            )
    fallback = traffic.fallback
    if fallback is None and not spec.tasks and not spec.presets:
        fallback = TaskTraffic()  # no tasks: every request is served by the fallback models
    if fallback is not None:
        models = tuple(spec.fallback_models)
        calls.append(_Call("fallback", "fallback", "fallback", models, fallback))
    return calls, warnings


def _choose(
    call: _Call, pool: Sequence[ModelOption], latency_ms: Mapping[str, float] | None
) -> tuple[str | None, str]:
    """The model the estimate uses for a row, and the assumption in words."""
    models = call.models
    if not models:
        return None, "empty model pool"
    if call.policy == "cheapest":
        priced = [o for o in pool if o.per_call is not None]
        if not priced:
            return models[0], "cheapest: no model in the pool has a price; first listed shown"
        best = min(priced, key=lambda o: o.per_call or Decimal(0))  # min keeps listed order on ties
        text = "cheapest: lowest price in pool for this token mix"
        if len(priced) < len(pool):
            text += f" (among priced models; {len(pool) - len(priced)} unpriced)"
        return best.model, text
    if call.policy == "fastest":
        if latency_ms is None:
            return models[0], "fastest: first listed (no latency table)"
        known = [(latency_ms[m], i, m) for i, m in enumerate(models) if m in latency_ms]
        if not known:
            return models[0], "fastest: first listed (no pool model in the latency table)"
        missing = len(models) - len(known)
        text = "fastest: lowest latency from profile"
        if missing:
            # The router ranks models it has no latency data for last; so do we.
            text += f" ({missing} pool model{'s' if missing > 1 else ''} not in the table)"
        return min(known)[2], text
    if call.policy == "fallback":
        return models[0], "fallback: first listed fallback model"
    return models[0], "none: first listed (manual ranking)"


def _row(
    call: _Call,
    traffic: RouterTraffic,
    prices: PriceBook,
    latency_ms: Mapping[str, float] | None,
    *,
    force_model: str | None = None,
    share: Decimal | None = None,
) -> TaskCost:
    input_tokens, output_tokens = (_exact(t) for t in traffic.tokens(call.traffic))
    share = _exact(call.traffic.share) if share is None else share
    requests = _exact(traffic.requests_per_month)
    models = (force_model,) if force_model is not None else call.models
    pool: list[ModelOption] = []
    for model in models:
        price = prices.get(model)
        cost = price.per_call(input_tokens, output_tokens) if price is not None else None
        pool.append(ModelOption(model, cost))
    if force_model is not None:
        chosen: str | None = force_model
        assumption = f"compare: every task on {force_model}"
        policy = "compare"
    else:
        chosen, assumption = _choose(call, pool, latency_ms)
        policy = call.policy
    per_call = next((o.per_call for o in pool if o.model == chosen), None)
    priced = [o.per_call for o in pool if o.per_call is not None]
    range_per_call = (min(priced), max(priced)) if priced and force_model is None else None
    chosen_price = prices.get(chosen) if chosen is not None else None
    return TaskCost(
        key=call.key,
        kind=call.kind,
        policy=policy,
        model=chosen,
        assumption=assumption,
        share=share,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        per_call=per_call,
        monthly=None if per_call is None else per_call * share * requests,
        pool=tuple(pool),
        range_per_call=range_per_call,
        range_monthly=(
            None
            if range_per_call is None
            else (range_per_call[0] * share * requests, range_per_call[1] * share * requests)
        ),
        unpriced=tuple(dict.fromkeys(o.model for o in pool if o.per_call is None)),
        price_source=chosen_price.source if chosen_price is not None else "",
    )


def _unpriced(rows: Sequence[TaskCost], prices: PriceBook) -> tuple[Unpriced, ...]:
    by_model: dict[str, list[TaskCost]] = {}
    for row in rows:
        for model in row.unpriced:
            by_model.setdefault(model, []).append(row)
    return tuple(
        Unpriced(
            model=model,
            reason=prices.why_unpriced(model),
            rows=tuple(r.key for r in affected),
            chosen=any(r.model == model for r in affected),
        )
        for model, affected in sorted(by_model.items())
    )


def estimate_router(
    spec: RouterSpec,
    traffic: RouterTraffic,
    prices: PriceBook,
    *,
    latency_ms: Mapping[str, float] | None = None,
) -> RouterCost:
    """The monthly cost of `spec` under its own selection policies."""
    calls, warnings = _calls(spec, traffic)
    rows = tuple(_row(call, traffic, prices, latency_ms) for call in calls)
    warnings += [
        f"{spec.name}: {r.key!r} has an empty model pool; not costed"
        for r in rows
        if r.model is None
    ]
    return RouterCost(
        router=spec.name,
        label="routing policy",
        requests_per_month=_exact(traffic.requests_per_month),
        rows=rows,
        unpriced=_unpriced(rows, prices),
        warnings=tuple(warnings),
        price_source=prices.source,
        price_as_of=prices.as_of,
    )


def compare_all_on(
    spec: RouterSpec,
    traffic: RouterTraffic,
    prices: PriceBook,
    model: str,
    *,
    all_tasks_every_request: bool = False,
) -> RouterCost:
    """The same traffic with every task on `model`: the "hardcode one model" baseline.

    With `all_tasks_every_request`, every task is called on every request (share 1), as in an
    app that runs each step unconditionally because it cannot route (the seed article's
    hardcoded-Llama and all-Opus baselines). The fallback route keeps its profile share.
    """
    calls, warnings = _calls(spec, traffic)
    rows = tuple(
        _row(
            call,
            traffic,
            prices,
            None,
            force_model=model,
            share=Decimal(1) if all_tasks_every_request and call.kind != "fallback" else None,
        )
        for call in calls
    )
    label = f"every task on {model}"
    if all_tasks_every_request:
        label += ", on every request"
    return RouterCost(
        router=spec.name,
        label=label,
        requests_per_month=_exact(traffic.requests_per_month),
        rows=rows,
        unpriced=_unpriced(rows, prices),
        warnings=tuple(warnings),
        compare_model=model,
        price_source=prices.source,
        price_as_of=prices.as_of,
    )


def estimate_project(
    specs: Sequence[RouterSpec],
    profile: TrafficProfile,
    prices: PriceBook,
    *,
    compare: Sequence[str] = (),
    all_tasks_every_request: bool = False,
) -> tuple[list[RouterReport], list[str]]:
    """Reports for every router the profile covers, plus warnings for routers without traffic
    and profile entries without a router (a renamed router should not silently cost $0)."""
    warnings: list[str] = []
    reports: list[RouterReport] = []
    names = {spec.name for spec in specs}
    for spec in specs:
        traffic = profile.routers.get(spec.name)
        if traffic is None:
            warnings.append(f"{spec.name}: no traffic in the profile; not costed")
            continue
        estimate = estimate_router(spec, traffic, prices, latency_ms=profile.latency_ms)
        comparisons = tuple(
            compare_all_on(
                spec, traffic, prices, model, all_tasks_every_request=all_tasks_every_request
            )
            for model in compare
        )
        reports.append(RouterReport(estimate, comparisons))
    for name in profile.routers:
        if name not in names:
            warnings.append(
                f"the profile has traffic for router {name!r}, which has no file; ignored"
            )
    return reports, warnings


# --- helpers ----------------------------------------------------------------------------


def _exact(value: float) -> Decimal:
    """A profile number as the decimal the user wrote (0.2 stays 0.2, not 0.2000000000000000111)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
