"""Plans: what a change to one router does to its monthly cost (before -> after)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from routerctl.cost.estimate import RouterCost, estimate_router
from routerctl.cost.prices import PriceBook
from routerctl.models import RouterSpec, RouterTraffic

__all__ = ["CostDelta", "cost_delta_dict", "estimate_delta"]


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
