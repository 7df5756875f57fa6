"""Prices: USD per million tokens for one model (`Price`), and a book of them by model id
(`PriceBook`), with the models known to have no usable price. Where prices come from is
`routerctl.cost.sources`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["MILLION", "Price", "PriceBook"]

MILLION = Decimal(1_000_000)


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
