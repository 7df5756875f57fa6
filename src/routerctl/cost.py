"""Monthly cost estimates: what a routing configuration (or a change to it) does to the bill.

Pure computation. Callers hand in already-parsed data (router specs, the traffic profile as a
dict or TrafficProfile, price documents as dicts); this module reads no files except the price
file shipped inside the package, never touches the network, and reads the clock only when
`prices_from_document` is not given `now`.

Money is `Decimal` throughout: per-call costs are millionths of a dollar, and binary floats
would drift by a cent somewhere in a table of a few hundred thousand requests.

Prices
------
A `PriceBook` maps a model id to its input/output price per million tokens. Sources, from
weakest to strongest (combine with `PriceBook.merged`):

1. the price file shipped with the package (`load_shipped_prices`, with its date and source);
2. the live model catalog, `GET /v2/gen-ai/models` (`prices_from_catalog`), or a cached copy of
   it (`catalog_cache_document` writes one, `prices_from_document` reads it back);
3. a user's `--prices FILE` (`prices_from_document`), either catalog-shaped
   (`{"models": [{"id": ..., "pricing": {...}}]}`) or a simple map::

       as_of: "2026-07-01"            # optional
       source: "our negotiated rates"  # optional
       openai-gpt-5-nano: {input: 0.05, output: 0.40}   # USD per 1M tokens
       llama3.3-70b-instruct: {input: 0.65, output: 0.65}

A model without a known price is carried as *unpriced* with a reason and reported; it is never
priced at 0. Time-varying ("scaled") catalog prices use the interval that contains `now`; when
no interval does, the model is unpriced and the reason says so.

Traffic profile (`traffic:` in routerctl.yaml, or `--profile FILE`)
--------------------------------------------------------------------
Parsed into `routerctl.models.TrafficProfile` (see `parse_traffic_profile`)::

    traffic:
      latency_ms:                    # optional: typical latency per model, for `prefer: fastest`
        anthropic-claude-haiku-4.5: 900
        openai-gpt-5-nano: 1400
      routers:
        triage-router:               # router name as in routers/*.yaml
          requests_per_month: 100000 # the app's unit of work: here, support tickets
          input_tokens: 300          # default per call for every task below
          tasks:                     # task keys and preset slugs
            classify_ticket: {output_tokens: 40}
            urgency_detection: {output_tokens: 30}
            draft_customer_reply: {output_tokens: 150}
            escalate_complex_issue: {share: 0.2, output_tokens: 250}  # one ticket in five
          fallback: {share: 0.01, output_tokens: 100}   # optional: requests no task matched

`share` is calls to the task per request (default 1.0; a ticket fires several tasks, an
escalation only some of the time). Monthly cost of a task = per-call cost x share x requests.

Which model a task costs
------------------------
- `cheapest`: the lowest per-call cost in the pool for that task's token mix (ties: listed order);
- `none`: the first listed model (manual ranking);
- `fastest`: the lowest latency in the profile's `latency_ms`, else the first listed;
- fallback route: the first fallback model.
Every row carries the assumption it used and the range (cheapest..most expensive priced model in
the pool), because the live router may choose differently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, Literal

from routerctl.errors import ConfigError
from routerctl.models import RouterSpec, RouterTraffic, TaskTraffic, TrafficProfile

__all__ = [
    "CostDelta",
    "ModelOption",
    "Price",
    "PriceBook",
    "RouterCost",
    "RouterReport",
    "TaskCost",
    "Unpriced",
    "catalog_cache_document",
    "compare_all_on",
    "estimate_delta",
    "estimate_project",
    "estimate_router",
    "load_shipped_prices",
    "parse_traffic_profile",
    "prices_from_catalog",
    "prices_from_document",
]

MILLION = Decimal(1_000_000)
SHIPPED_PRICES = "data/models.json"  # inside the routerctl package
RowKind = Literal["task", "preset", "fallback"]


# --- Prices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """USD per million tokens for one model, and where that number came from."""

    input_per_million: Decimal
    output_per_million: Decimal
    source: str
    note: str = ""  # e.g. which scaled-pricing interval was used

    def per_call(self, input_tokens: Decimal, output_tokens: Decimal) -> Decimal:
        """Cost of one call with these average token counts."""
        return (
            input_tokens * self.input_per_million + output_tokens * self.output_per_million
        ) / MILLION


@dataclass(frozen=True)
class PriceBook:
    """Prices by model id, plus the models known to have no usable price (with the reason)."""

    prices: Mapping[str, Price] = field(default_factory=dict)
    unpriced: Mapping[str, str] = field(default_factory=dict)  # model id -> why no price
    source: str = ""
    as_of: str | None = None

    def get(self, model: str) -> Price | None:
        return self.prices.get(model)

    def why_unpriced(self, model: str) -> str:
        """A reason to print beside a model this book cannot price."""
        reason = self.unpriced.get(model)
        if reason:
            return reason
        return f"not in {self.source or 'the price list'}"

    def __contains__(self, model: object) -> bool:
        return model in self.prices

    def __len__(self) -> int:
        return len(self.prices)

    def merged(self, override: PriceBook) -> PriceBook:
        """This book with `override` on top: its prices win. A model the override knows but
        cannot price keeps this book's price (an older number beats none), and the override's
        reason is kept as a note so the user can see the price may be stale."""
        prices = dict(self.prices)
        unpriced = {m: r for m, r in self.unpriced.items() if m not in override.prices}
        for model, price in override.prices.items():
            prices[model] = price
        for model, reason in override.unpriced.items():
            if model in prices:
                old = prices[model]
                note = f"{override.source}: {reason}"
                prices[model] = Price(
                    old.input_per_million,
                    old.output_per_million,
                    old.source,
                    f"{old.note}; {note}" if old.note else note,
                )
            else:
                unpriced[model] = reason
        sources = [s for s in (override.source, self.source) if s]
        return PriceBook(
            prices=prices,
            unpriced=unpriced,
            source=" over ".join(sources),
            as_of=override.as_of or self.as_of,
        )


def load_shipped_prices() -> PriceBook:
    """The price file shipped in the package (`routerctl/data/models.json`)."""
    path = f"routerctl/{SHIPPED_PRICES}"
    text = resources.files("routerctl").joinpath(SHIPPED_PRICES).read_text(encoding="utf-8")
    data = json.loads(text)
    as_of = data.get("as_of") if isinstance(data, dict) else None
    source = (
        f"shipped price file ({path}, as of {as_of})" if as_of else f"shipped price file ({path})"
    )
    return prices_from_document(data, path, source=source)


def prices_from_catalog(
    models: Sequence[Any],
    *,
    now: datetime,
    source: str = "live catalog (GET /v2/gen-ai/models)",
    as_of: str | None = None,
) -> PriceBook:
    """Prices from the model catalog's `models[]` (`apiModelPublic`) or `data[]`
    (`apiModelCatalogEntry`, whose API id is `model_id`; its `id` is a UUID).

    The catalog is the API's data, not the user's: an entry we cannot read makes that model
    unpriced with a reason; it does not stop the estimate.
    """
    return _parse_catalog(models, now=now, source=source, as_of=as_of, strict_path=None)


def prices_from_document(
    data: Any,
    path: str,
    *,
    now: datetime | None = None,
    source: str | None = None,
) -> PriceBook:
    """Prices from a user's --prices file or a catalog cache, already parsed (JSON or YAML).

    Accepts the catalog shape (`{"models": [...]}` or `{"data": [...]}`, entries with `id` /
    `model_id` and `pricing`) or a simple map `{model_id: {input: x, output: y}}`, both with
    optional top-level `as_of` and `source` strings. A bad shape raises ConfigError naming the
    file. `now` picks the scaled-pricing interval (default: the current time).
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{path}: a price file must be a mapping (catalog shape with `models:` or "
            f"model id -> {{input, output}}), not {_type_name(data)}"
        )
    as_of = _optional_text(data, "as_of", path)
    label = source or _optional_text(data, "source", path) or f"price file {path}"
    if as_of and not source:
        label = f"{label} (as of {as_of})"
    for key in ("models", "data"):
        if key in data:
            entries = data[key]
            if not isinstance(entries, list):
                raise ConfigError(f"{path}: `{key}` must be a list of models")
            return _parse_catalog(
                entries,
                now=now or datetime.now(UTC),
                source=label,
                as_of=as_of,
                strict_path=path,
            )
    return _parse_simple_map(data, path, label, as_of)


_SIMPLE_META = ("as_of", "source", "note")
_SIMPLE_KEYS = ("input", "output", "source")


def _parse_simple_map(
    data: Mapping[str, Any], path: str, label: str, as_of: str | None
) -> PriceBook:
    prices: dict[str, Price] = {}
    for model, entry in data.items():
        if model in _SIMPLE_META:  # file metadata, read by the caller
            continue
        where = f"{path}: {model}"
        if not isinstance(model, str) or not model:
            raise ConfigError(f"{path}: model ids must be non-empty strings, got {model!r}")
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f"{where}: expected {{input: USD per 1M tokens, output: ...}}, "
                f"got {_type_name(entry)}"
            )
        unknown = sorted(str(k) for k in entry if k not in _SIMPLE_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r} (expected {', '.join(_SIMPLE_KEYS)})"
            )
        values: list[Decimal] = []
        for key in ("input", "output"):
            if key not in entry:
                raise ConfigError(f"{where}: missing `{key}` (USD per 1M tokens)")
            value = _decimal(entry[key])
            if value is None or value < 0:
                raise ConfigError(
                    f"{where}.{key}: expected a non-negative number, got {entry[key]!r}"
                )
            values.append(value)
        entry_source = entry.get("source")
        prices[model] = Price(
            values[0], values[1], entry_source if isinstance(entry_source, str) else label
        )
    return PriceBook(prices=prices, source=label, as_of=as_of)


def _parse_catalog(
    entries: Iterable[Any],
    *,
    now: datetime,
    source: str,
    as_of: str | None,
    strict_path: str | None,
) -> PriceBook:
    """Shared by the live catalog (lenient) and catalog-shaped files (strict_path set: a bad
    entry is the user's file being wrong, so it raises)."""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    prices: dict[str, Price] = {}
    unpriced: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            if strict_path:
                raise ConfigError(f"{strict_path}: models[{index}] must be a mapping")
            continue
        model = entry.get("model_id") or entry.get("id")
        if not isinstance(model, str) or not model:
            if strict_path:
                raise ConfigError(f"{strict_path}: models[{index}] has no `id` or `model_id`")
            continue
        entry_source = entry.get("price_source")
        label = entry_source if isinstance(entry_source, str) and entry_source else source
        outcome = _catalog_price(entry, now=now, source=label)
        if isinstance(outcome, Price):
            prices[model] = outcome
        elif strict_path and outcome.startswith("unreadable"):
            raise ConfigError(f"{strict_path}: models[{index}] ({model}): {outcome}")
        else:
            unpriced[model] = outcome
    return PriceBook(prices=prices, unpriced=unpriced, source=source, as_of=as_of)


def _catalog_price(entry: Mapping[str, Any], *, now: datetime, source: str) -> Price | str:
    """The model's price, or the reason it has none (a string; "unreadable…" for bad data)."""
    pricing = entry.get("pricing")
    # apiModelScaledPricing: the spec names the type but we could not confirm which field
    # carries it, so look beside `pricing` and inside it.
    scaled = entry.get("scaled_pricing")
    if scaled is None and isinstance(pricing, Mapping):
        scaled = pricing.get("scaled_pricing")
    if scaled is not None:
        return _scaled_price(scaled, now=now, source=source)
    if pricing is None:
        return f"no token price listed in {source}"
    if not isinstance(pricing, Mapping):
        return f"unreadable pricing: expected a mapping, got {_type_name(pricing)}"
    flat = _token_prices(pricing)
    if isinstance(flat, str):
        return flat
    input_price, output_price = flat
    if input_price == 0 and output_price == 0:
        # The API's JSON comes from protobuf, where an unset number reads as 0: a model "free"
        # on both sides is far more likely unpriced than free, so never cost it at $0.
        return "the catalog lists 0 for both input and output (treated as unknown, not free)"
    note = ""
    if entry.get("scaled_pricing_enabled") is True:
        note = "price varies over time (scaled_pricing_enabled) and no intervals were listed"
    return Price(input_price, output_price, source, note)


def _token_prices(pricing: Mapping[str, Any]) -> tuple[Decimal, Decimal] | str:
    values: list[Decimal] = []
    for key in ("input_price_per_million", "output_price_per_million"):
        if key not in pricing or pricing[key] is None:
            return f"no {key} in the catalog pricing"
        value = _decimal(pricing[key])
        if value is None or value < 0:
            return f"unreadable {key}: {pricing[key]!r}"
        values.append(value)
    return values[0], values[1]


def _scaled_price(scaled: Any, *, now: datetime, source: str) -> Price | str:
    if not isinstance(scaled, Mapping):
        return f"unreadable scaled pricing: expected a mapping, got {_type_name(scaled)}"
    intervals = scaled.get("intervals") or []
    if not isinstance(intervals, list):
        return "unreadable scaled pricing: `intervals` is not a list"
    for index, interval in enumerate(intervals):
        if not isinstance(interval, Mapping):
            return f"unreadable scaled pricing: intervals[{index}] is not a mapping"
        start = _timestamp(interval.get("start_time"))
        end = _timestamp(interval.get("end_time"))
        if start == "bad" or end == "bad":
            return f"unreadable scaled pricing: intervals[{index}] has a bad start/end time"
        if (start is None or start <= now) and (end is None or now < end):
            prices = interval.get("prices")
            if not isinstance(prices, Mapping):
                return f"unreadable scaled pricing: intervals[{index}].prices is not a mapping"
            flat = _token_prices(prices)
            if isinstance(flat, str):
                return f"scaled pricing interval covering {_iso(now)}: {flat}"
            span = f"{interval.get('start_time') or '…'} to {interval.get('end_time') or '…'}"
            return Price(flat[0], flat[1], source, f"scaled pricing: interval {span}")
    reason = f"time-varying (scaled) pricing has no interval covering {_iso(now)}"
    bounds = _price_bounds(scaled)
    return f"{reason}; catalog range {bounds}" if bounds else reason


def _price_bounds(scaled: Mapping[str, Any]) -> str:
    low, high = scaled.get("min_prices"), scaled.get("max_prices")
    if not isinstance(low, Mapping) or not isinstance(high, Mapping):
        return ""
    lo, hi = _token_prices(low), _token_prices(high)
    if isinstance(lo, str) or isinstance(hi, str):
        return ""
    return f"input ${lo[0]}–${hi[0]}, output ${lo[1]}–${hi[1]} per 1M tokens"


def catalog_cache_document(models: Sequence[Any], *, fetched_at: datetime) -> dict[str, Any]:
    """What to write to the offline price cache after a catalog fetch: ids and pricing only
    (nothing account-specific), readable again with `prices_from_document`."""
    keep = ("id", "model_id", "name", "pricing", "scaled_pricing", "scaled_pricing_enabled")
    return {
        "source": "live catalog (GET /v2/gen-ai/models), cached",
        "as_of": _iso(fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=UTC)),
        "models": [{k: m[k] for k in keep if k in m} for m in models if isinstance(m, Mapping)],
    }


# --- Traffic profile -----------------------------------------------------------------------


def parse_traffic_profile(data: Any, path: str) -> TrafficProfile:
    """The `traffic:` block (or a --profile file), validated; errors name the file and key."""
    if isinstance(data, TrafficProfile):
        return data
    try:
        return TrafficProfile.model_validate(data)
    except (
        ValueError
    ) as exc:  # pydantic's ValidationError is a ValueError; pydantic lives in models
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            raise ConfigError(f"{path}: traffic profile: {exc}") from exc
        lines = []
        for error in errors():
            loc = ".".join(str(part) for part in error.get("loc", ()))
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            lines.append(f"{loc}: {message}" if loc else message)
        first, more = lines[0], len(lines) - 1
        tail = f" (and {more} more: {'; '.join(lines[1:])})" if more else ""
        raise ConfigError(f"{path}: traffic profile: {first}{tail}") from exc


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


# --- Plans: before -> after ------------------------------------------------------------------


@dataclass(frozen=True)
class CostDelta:
    """Monthly cost of one router before and after a change. A None side means the router
    does not exist on that side (created or deleted)."""

    router: str
    before: RouterCost | None
    after: RouterCost | None

    @property
    def before_monthly(self) -> Decimal | None:
        return None if self.before is None else self.before.monthly

    @property
    def after_monthly(self) -> Decimal | None:
        return None if self.after is None else self.after.monthly

    @property
    def complete(self) -> bool:
        return all(side.complete for side in (self.before, self.after) if side is not None)

    @property
    def delta(self) -> Decimal | None:
        """after - before (an absent router costs 0). None when a side has unpriced rows: a
        partial sum would make a change to an unpriced model look like a saving."""
        if not self.complete:
            return None
        return (self.after_monthly or Decimal(0)) - (self.before_monthly or Decimal(0))


def cost_delta_dict(delta: CostDelta) -> dict[str, Any]:
    """The JSON form of a CostDelta, for plan JSON: numbers only (render makes the words).

    `before_monthly`/`after_monthly` are null when the router is absent on that side (created
    or deleted); when `*_complete` is false that side has unpriced rows (counted in
    `*_unpriced_rows`, the models in `unpriced_models`) and its figure is only the priced part,
    so `delta_monthly` is null rather than a misleading number.
    """

    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    def unpriced_rows(side: RouterCost | None) -> int:
        return 0 if side is None else sum(1 for r in side.rows if r.monthly is None)

    return {
        "router": delta.router,
        "currency": "USD",
        "before_monthly": num(delta.before_monthly),
        "before_complete": None if delta.before is None else delta.before.complete,
        "before_unpriced_rows": unpriced_rows(delta.before),
        "after_monthly": num(delta.after_monthly),
        "after_complete": None if delta.after is None else delta.after.complete,
        "after_unpriced_rows": unpriced_rows(delta.after),
        "delta_monthly": num(delta.delta),
        "complete": delta.complete,
        "unpriced_models": sorted(
            {u.model for side in (delta.before, delta.after) if side for u in side.unpriced}
        ),
    }


def estimate_delta(
    before: RouterSpec | None,
    after: RouterSpec | None,
    traffic: RouterTraffic,
    prices: PriceBook,
    *,
    latency_ms: Mapping[str, float] | None = None,
) -> CostDelta:
    """What a plan's change to one router does to its monthly cost."""
    named = after or before
    if named is None:
        raise ValueError("estimate_delta needs a router on at least one side")
    name = named.name
    return CostDelta(
        router=name,
        before=None
        if before is None
        else estimate_router(before, traffic, prices, latency_ms=latency_ms),
        after=None
        if after is None
        else estimate_router(after, traffic, prices, latency_ms=latency_ms),
    )


# --- helpers ----------------------------------------------------------------------------


def _exact(value: float) -> Decimal:
    """A profile number as the decimal the user wrote (0.2 stays 0.2, not 0.2000000000000000111)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _decimal(value: Any) -> Decimal | None:
    """A price from JSON/YAML: int, float or numeric string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return None


def _timestamp(value: Any) -> datetime | Literal["bad"] | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return "bad"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "bad"
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _optional_text(data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        # YAML reads an unquoted 2026-07-01 as a date: accept it, it is what the user meant.
        if hasattr(value, "isoformat"):
            return str(value.isoformat())
        raise ConfigError(f"{path}: `{key}` must be a string")
    return value


def _type_name(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
