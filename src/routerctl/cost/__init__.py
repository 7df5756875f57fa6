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

Layout: `prices` (Price, PriceBook), `sources` (where prices come from), `profile` (the traffic
profile), `estimate` (router and project estimates), `delta` (a plan's before -> after). Every
name is re-exported here, so `from routerctl.cost import ...` is the one import callers need.
"""

from __future__ import annotations

from routerctl.cost.delta import CostDelta, cost_delta_dict, estimate_delta
from routerctl.cost.estimate import (
    ModelOption,
    RouterCost,
    RouterReport,
    RowKind,
    TaskCost,
    Unpriced,
    compare_all_on,
    estimate_project,
    estimate_router,
)
from routerctl.cost.prices import MILLION, Price, PriceBook
from routerctl.cost.profile import parse_traffic_profile
from routerctl.cost.sources import (
    SHIPPED_PRICES,
    catalog_cache_document,
    load_shipped_prices,
    prices_from_catalog,
    prices_from_document,
)

__all__ = [
    "MILLION",
    "SHIPPED_PRICES",
    "CostDelta",
    "ModelOption",
    "Price",
    "PriceBook",
    "RouterCost",
    "RouterReport",
    "RowKind",
    "TaskCost",
    "Unpriced",
    "catalog_cache_document",
    "compare_all_on",
    "cost_delta_dict",
    "estimate_delta",
    "estimate_project",
    "estimate_router",
    "load_shipped_prices",
    "parse_traffic_profile",
    "prices_from_catalog",
    "prices_from_document",
]
