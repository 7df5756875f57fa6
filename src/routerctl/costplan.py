"""Where prices come from for `cost` and `plan`, and the cost lines a plan carries.

Price sources, strongest last: the price file shipped in the package, then the live catalog
(cached in the user cache directory for offline runs; see cache_dir) or that cache, then
the user's --prices file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from routerctl import fsio
from routerctl.cachedir import cache_dir, prepare_cache_dir
from routerctl.cost import (
    PriceBook,
    catalog_cache_document,
    cost_delta_dict,
    estimate_delta,
    load_shipped_prices,
    parse_traffic_profile,
    prices_from_catalog,
    prices_from_document,
)
from routerctl.errors import ApiError
from routerctl.models import TrafficProfile, spec_from_state
from routerctl.plan import Plan
from routerctl.spec import Overlay, read_document

CACHE_NAME = "catalog-cache.json"
MAX_CACHE_BYTES = 16 * 1024 * 1024  # the whole catalog of a few hundred models is ~200 KB


def cache_path() -> Path:
    """The price cache file (see cache_dir)."""
    return cache_dir() / CACHE_NAME


def resolve_prices(
    *,
    fetch_models: Callable[[], list[dict[str, Any]]] | None,
    prices_file: str | None,
    cache_file: Path | None = None,
    warn: Callable[[str], None] = lambda _: None,
    now: datetime | None = None,
) -> PriceBook:
    """Shipped prices, overlaid by the live catalog (or its cache), overlaid by --prices."""
    moment = now or datetime.now(UTC)
    cache_file = cache_file or cache_path()
    book = load_shipped_prices()
    live: PriceBook | None = None
    if fetch_models is not None:
        try:
            models = fetch_models()
        except ApiError as exc:
            warn(f"could not read the live model catalog ({exc}); using cached/shipped prices")
        else:
            live = prices_from_catalog(models, now=moment)
            _write_cache(cache_file, catalog_cache_document(models, fetched_at=moment))
    if live is None and (cache_file.exists() or cache_file.is_symlink()):
        try:
            text = fsio.read_text(cache_file, limit=MAX_CACHE_BYTES, what="price cache")
            cached = json.loads(text)
            live = prices_from_document(cached, str(cache_file), now=moment)
        except fsio.FileProblem as exc:
            warn(f"ignoring unreadable price cache: {exc}")
        except (ValueError, RecursionError) as exc:  # JSON, or a 4,301-digit integer in it
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            warn(f"ignoring unreadable price cache {cache_file}: {reason}")
    if live is not None:
        book = book.merged(live)
    if prices_file:
        doc = read_document(prices_file, required_mapping=False, what="prices file")
        book = book.merged(prices_from_document(doc.data, prices_file, now=moment))
    return book


def _write_cache(path: Path, document: dict[str, Any]) -> None:
    try:
        prepare_cache_dir(path.parent)
        text = json.dumps(document, indent=1)
        fsio.atomic_write(path, text, what="price cache", make_parents=True)
    except (OSError, fsio.FileProblem, ValueError):
        pass  # the cache is an optimisation for offline runs; never fail a plan over it


def load_profile(
    inline: dict[str, Any] | None, profile_file: str | None, settings_path: str
) -> TrafficProfile | None:
    """--profile FILE wins over `traffic:` in routerctl.yaml; None when neither is set."""
    if profile_file:
        doc = read_document(profile_file, what="traffic profile")
        data = doc.data.get("traffic", doc.data)
        return parse_traffic_profile(data, profile_file)
    if inline:
        return parse_traffic_profile(inline, f"{settings_path}: traffic")
    return None


def for_environment(profile: TrafficProfile, overlay: Overlay | None) -> TrafficProfile:
    """The profile names routers as in the files; an environment's live names carry its
    prefix/suffix, so the profile's keys must too."""
    if overlay is None:
        return profile
    return profile.model_copy(
        update={"routers": {overlay.rename(k): v for k, v in profile.routers.items()}}
    )


def plan_costs(plan: Plan, profile: TrafficProfile, prices: PriceBook) -> Plan:
    """The plan with a monthly cost before → after for each changed router with traffic, as
    numbers (render.format_cost_row makes the words)."""
    rows = []
    for change in plan.changes:
        traffic = profile.routers.get(change.name)
        if traffic is None and change.renamed_from:
            traffic = profile.routers.get(change.renamed_from)
        if traffic is None:
            continue
        before = spec_from_state(change.before) if change.before else None
        after = spec_from_state(change.after) if change.after else None
        delta = estimate_delta(before, after, traffic, prices, latency_ms=profile.latency_ms)
        rows.append({"name": change.name, **cost_delta_dict(delta)})
    costs = {"price_source": prices.source, "price_as_of": prices.as_of, "routers": rows}
    return dataclasses.replace(plan, costs=costs)
