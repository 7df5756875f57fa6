"""Where prices come from: the price file shipped in the package, the live model catalog (or a
cached copy of it) and a user's `--prices FILE`; each read into a `PriceBook`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, Literal

from routerctl.cost.prices import Price, PriceBook
from routerctl.errors import ConfigError

__all__ = [
    "SHIPPED_PRICES",
    "catalog_cache_document",
    "load_shipped_prices",
    "prices_from_catalog",
    "prices_from_document",
]

SHIPPED_PRICES = "data/models.json"  # inside the routerctl package


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


# --- helpers ----------------------------------------------------------------------------


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
