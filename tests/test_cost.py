"""Cost estimates: the seed article's table computed (not typed in), selection-policy rules,
unknown prices, catalog and price-file parsing, plan deltas, and the renderers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from routerctl.cost import (
    Price,
    PriceBook,
    catalog_cache_document,
    compare_all_on,
    estimate_delta,
    estimate_project,
    estimate_router,
    load_shipped_prices,
    parse_traffic_profile,
    prices_from_catalog,
    prices_from_document,
)
from routerctl.errors import ConfigError
from routerctl.models import (
    PresetSpec,
    RouterSpec,
    RouterTraffic,
    TaskSpec,
    TrafficProfile,
)
from routerctl.render_cost import (
    cost_delta_dict,
    format_cost_delta,
    format_cost_row,
    format_money,
    format_per_call,
    render_cost_json,
    render_cost_markdown,
    render_cost_text,
)

NANO = "openai-gpt-5-nano"
LLAMA = "llama3.3-70b-instruct"
HAIKU = "anthropic-claude-haiku-4.5"
SONNET = "anthropic-claude-sonnet-4.6"
OPUS = "anthropic-claude-opus-4.7"


def dollars(amount: Decimal) -> int:
    """Rounded to the dollar, as the seed article's table is."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def triage_spec() -> RouterSpec:
    """The pools and policies of routers/triage-router.yaml (the seed article's router)."""
    return RouterSpec(
        name="triage-router",
        description="Support ticket triage.",
        tasks={
            "classify_ticket": TaskSpec(
                description="Categorize short support messages into issue types.",
                models=[NANO, LLAMA],
                prefer="cheapest",
            ),
            "urgency_detection": TaskSpec(
                description="Detect severity, sentiment, and escalation risk in a single pass.",
                models=[HAIKU, NANO],
                prefer="fastest",
            ),
            "draft_customer_reply": TaskSpec(
                description="Generate a short, professional customer-facing reply.",
                models=[SONNET, HAIKU],
                prefer="none",
            ),
            "escalate_complex_issue": TaskSpec(
                description="Summarize complex tickets into structured briefs for a human agent.",
                models=[OPUS, SONNET],
                prefer="none",
            ),
        },
        fallback_models=[LLAMA, NANO],
    )


def triage_traffic(escalation_share: float = 0.2) -> RouterTraffic:
    """100,000 tickets/month, 300 input tokens per call, outputs 40/30/150/250."""
    return RouterTraffic.model_validate(
        {
            "requests_per_month": 100_000,
            "input_tokens": 300,
            "tasks": {
                "classify_ticket": {"output_tokens": 40},
                "urgency_detection": {"output_tokens": 30},
                "draft_customer_reply": {"output_tokens": 150},
                "escalate_complex_issue": {"share": escalation_share, "output_tokens": 250},
            },
        }
    )


def book(prices: dict[str, tuple[str, str]], **unpriced: str) -> PriceBook:
    return PriceBook(
        prices={m: Price(Decimal(i), Decimal(o), "test prices") for m, (i, o) in prices.items()},
        unpriced=unpriced,
        source="test prices",
        as_of="2026-01-01",
    )


def one_task(models: list[str], prefer: str = "none", **extra: Any) -> RouterSpec:
    return RouterSpec.model_validate(
        {
            "name": "r",
            "tasks": {"t": {"description": "d", "models": models, "prefer": prefer}},
            "fallback_models": ["fb"],
            **extra,
        }
    )


def traffic(input_tokens: float = 1000, output_tokens: float = 100, **tasks: Any) -> RouterTraffic:
    return RouterTraffic.model_validate(
        {
            "requests_per_month": 1000,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "tasks": tasks or {"t": {}},
        }
    )


# --- the seed article's table ------------------------------------------------------------


def test_seed_router_costs_518_a_month() -> None:
    estimate = estimate_router(triage_spec(), triage_traffic(), load_shipped_prices())

    rows = {row.key: row for row in estimate.rows}
    assert {k: r.model for k, r in rows.items()} == {
        "classify_ticket": NANO,
        "urgency_detection": HAIKU,
        "draft_customer_reply": SONNET,
        "escalate_complex_issue": OPUS,
    }
    # The article's "per-ticket cost" column is the cost of one call to each task.
    assert [format_per_call(r.per_call) for r in estimate.rows if r.per_call is not None] == [
        "$0.000031",
        "$0.000450",
        "$0.003150",
        "$0.007750",
    ]
    assert estimate.complete
    assert estimate.monthly == Decimal("518.1")
    assert dollars(estimate.monthly) == 518


def test_seed_baselines_all_opus_1775_and_all_llama_109() -> None:
    # The hardcoded app runs all four steps on every ticket, escalation included.
    spec, prices = triage_spec(), load_shipped_prices()
    opus = compare_all_on(spec, triage_traffic(), prices, OPUS, all_tasks_every_request=True)
    llama = compare_all_on(spec, triage_traffic(), prices, LLAMA, all_tasks_every_request=True)

    assert dollars(opus.monthly) == 1775
    assert dollars(llama.monthly) == 109
    assert opus.monthly == Decimal("1775")
    assert llama.monthly == Decimal("108.55")
    assert {r.model for r in opus.rows} == {OPUS}
    # Same baselines written as a profile with escalation on every ticket:
    assert dollars(compare_all_on(spec, triage_traffic(1.0), prices, OPUS).monthly) == 1775


def test_seed_router_is_71_percent_cheaper_than_all_opus() -> None:
    spec, prices = triage_spec(), load_shipped_prices()
    reports, _ = estimate_project(
        [spec],
        TrafficProfile(routers={"triage-router": triage_traffic()}),
        prices,
        compare=[OPUS],
        all_tasks_every_request=True,
    )
    text = render_cost_text(reports)
    assert "triage-router: $518.10/month" in text
    assert "router saves $1,256.90 (71%)" in text


def test_comparison_without_the_flag_keeps_the_profile_shares() -> None:
    opus = compare_all_on(triage_spec(), triage_traffic(), load_shipped_prices(), OPUS)
    assert opus.monthly == Decimal("1155")  # escalation still on 20% of tickets
    assert opus.label == f"every task on {OPUS}"


# --- which model a task costs --------------------------------------------------------------

SKEWED = book({"in-cheap": ("1", "10"), "out-cheap": ("5", "1")})


def test_cheapest_depends_on_the_token_mix() -> None:
    spec = one_task(["in-cheap", "out-cheap"], "cheapest")
    input_heavy = estimate_router(spec, traffic(1000, 10), SKEWED).rows[0]
    output_heavy = estimate_router(spec, traffic(10, 1000), SKEWED).rows[0]

    assert input_heavy.model == "in-cheap"
    assert output_heavy.model == "out-cheap"
    assert output_heavy.assumption == "cheapest: lowest price in pool for this token mix"
    # The range spans the pool: 10*5+1000*1 .. 10*1+1000*10 per million, x1000 requests.
    assert output_heavy.range_monthly == (Decimal("1.05"), Decimal("10.01"))


def test_cheapest_tie_keeps_listed_order() -> None:
    prices = book({"a": ("1", "1"), "b": ("1", "1")})
    assert estimate_router(one_task(["b", "a"], "cheapest"), traffic(), prices).rows[0].model == "b"


def test_none_is_first_listed_even_when_dearer() -> None:
    row = estimate_router(one_task(["in-cheap", "out-cheap"], "none"), traffic(10, 1000), SKEWED)
    assert row.rows[0].model == "in-cheap"
    assert row.rows[0].assumption == "none: first listed (manual ranking)"


def test_fastest_without_latency_table_is_first_listed() -> None:
    row = estimate_router(one_task(["out-cheap", "in-cheap"], "fastest"), traffic(), SKEWED).rows[0]
    assert row.model == "out-cheap"
    assert row.assumption == "fastest: first listed (no latency table)"


def test_fastest_with_latency_table() -> None:
    spec = one_task(["out-cheap", "in-cheap"], "fastest")
    fast = estimate_router(spec, traffic(), SKEWED, latency_ms={"out-cheap": 900, "in-cheap": 300})
    assert fast.rows[0].model == "in-cheap"
    assert fast.rows[0].assumption == "fastest: lowest latency from profile"

    partial = estimate_router(spec, traffic(), SKEWED, latency_ms={"in-cheap": 300}).rows[0]
    assert partial.model == "in-cheap"
    assert (
        partial.assumption == "fastest: lowest latency from profile (1 pool model not in the table)"
    )

    none_known = estimate_router(spec, traffic(), SKEWED, latency_ms={"other": 1}).rows[0]
    assert none_known.model == "out-cheap"
    assert "no pool model in the latency table" in none_known.assumption


def test_profile_latency_table_reaches_fastest() -> None:
    spec = one_task(["out-cheap", "in-cheap"], "fastest")
    profile = TrafficProfile(routers={"r": traffic()}, latency_ms={"in-cheap": 1.0})
    reports, _ = estimate_project([spec], profile, SKEWED)
    assert reports[0].estimate.rows[0].model == "in-cheap"


def test_presets_and_fallback_are_costed() -> None:
    spec = RouterSpec(
        name="r",
        presets={"summarization": PresetSpec(models=["in-cheap"], prefer="cheapest")},
        fallback_models=["out-cheap", "in-cheap"],
    )
    load = RouterTraffic.model_validate(
        {
            "requests_per_month": 1000,
            "input_tokens": 1000,
            "output_tokens": 100,
            "tasks": {"summarization": {"share": 0.5}},
            "fallback": {"share": 0.1, "output_tokens": 0},
        }
    )
    rows = estimate_router(spec, load, SKEWED).rows
    assert [(r.key, r.kind, r.model) for r in rows] == [
        ("summarization", "preset", "in-cheap"),
        ("fallback", "fallback", "out-cheap"),
    ]
    assert rows[1].assumption == "fallback: first listed fallback model"
    assert rows[1].monthly == Decimal("0.5")  # 1000 tokens x $5/M x 0.1 x 1000 requests


# --- unknown prices --------------------------------------------------------------------------


def test_unpriced_chosen_model_is_reported_never_zero() -> None:
    prices = book({"known": ("1", "1")}, mystery="not in our list")
    spec = RouterSpec.model_validate(
        {
            "name": "r",
            "tasks": {
                "priced": {"description": "d", "models": ["known"]},
                "unpriced": {"description": "d", "models": ["mystery", "known"]},
            },
            "fallback_models": ["known"],
        }
    )
    estimate = estimate_router(spec, traffic(priced={}, unpriced={}), prices)

    row = estimate.rows[1]
    assert row.model == "mystery"
    assert row.per_call is None
    assert row.monthly is None
    assert row.per_request is None
    assert not estimate.complete
    assert estimate.monthly == Decimal("1.1")  # the priced row only
    [problem] = estimate.unpriced
    assert (problem.model, problem.reason, problem.rows, problem.chosen) == (
        "mystery",
        "not in our list",
        ("unpriced",),
        True,
    )
    text = render_cost_text([_report(estimate)])
    assert "at least $1.10/month, 1 row unpriced" in text
    assert "mystery: not in our list (chosen for unpriced)" in text
    assert (
        json.loads(render_cost_json([_report(estimate)]))["routers"][0]["rows"][1]["monthly"]
        is None
    )


def test_unpriced_pool_member_is_reported_but_cheapest_uses_priced_models() -> None:
    prices = book({"known": ("1", "1")})
    row_cost = estimate_router(one_task(["ghost", "known"], "cheapest"), traffic(), prices)
    row = row_cost.rows[0]
    assert row.model == "known"
    assert row.assumption.endswith("(among priced models; 1 unpriced)")
    assert row.unpriced == ("ghost",)
    assert row_cost.complete
    [problem] = row_cost.unpriced
    assert problem.model == "ghost"
    assert not problem.chosen
    assert problem.reason == "not in test prices"


def test_cheapest_with_no_priced_model() -> None:
    estimate = estimate_router(one_task(["x", "y"], "cheapest"), traffic(), book({}))
    assert estimate.rows[0].model == "x"
    assert estimate.rows[0].monthly is None
    assert estimate.rows[0].range_monthly is None
    assert [u.model for u in estimate.unpriced] == ["x", "y"]


def test_compare_on_an_unpriced_model() -> None:
    result = compare_all_on(triage_spec(), triage_traffic(), load_shipped_prices(), "glm-5")
    assert not result.complete
    assert result.monthly == 0
    assert result.unpriced[0].model == "glm-5"
    assert "no token price listed in shipped price file" in result.unpriced[0].reason


def test_shipped_prices_have_date_source_and_unpriced_models() -> None:
    prices = load_shipped_prices()
    assert prices.as_of == "2026-06-30"
    assert "shipped price file" in prices.source
    assert prices.get(NANO) == Price(
        Decimal("0.05"),
        Decimal("0.4"),
        "DigitalOcean community tutorial 'support triage with Inference Router' "
        "(published serverless rates, 2026)",
    )
    assert prices.get("openai-gpt-oss-120b") is None
    assert "openai-gpt-oss-120b" in prices.unpriced


# --- mismatches between the profile and the routers ------------------------------------------


def test_profile_and_router_mismatches_are_warnings() -> None:
    spec = RouterSpec.model_validate(
        {
            "name": "r",
            "tasks": {
                "a": {"description": "d", "models": ["in-cheap"]},
                "b": {"description": "d", "models": ["in-cheap"]},
            },
            "presets": {"summarization": {"models": ["in-cheap"]}},
            "fallback_models": ["in-cheap"],
        }
    )
    estimate = estimate_router(spec, traffic(a={}, typo={}), SKEWED)
    assert [r.key for r in estimate.rows] == ["a"]
    assert estimate.warnings == (
        "r: task 'b' has no traffic in the profile; not costed",
        "r: preset 'summarization' has no traffic in the profile; not costed",
        "r: the profile has traffic for 'typo', which is not a task or preset of this router; "
        "ignored",
    )


def test_project_warns_about_routers_without_traffic_and_traffic_without_routers() -> None:
    profile = TrafficProfile(routers={"gone": traffic()})
    reports, warnings = estimate_project([one_task(["in-cheap"])], profile, SKEWED)
    assert reports == []
    assert warnings == [
        "r: no traffic in the profile; not costed",
        "the profile has traffic for router 'gone', which has no file; ignored",
    ]


def test_empty_pool_is_a_warning_not_a_crash() -> None:
    estimate = estimate_router(one_task([]), traffic(), SKEWED)
    assert estimate.rows[0].model is None
    assert not estimate.complete
    assert "r: 't' has an empty model pool; not costed" in estimate.warnings


# --- the traffic profile ---------------------------------------------------------------------


def test_profile_parses_the_documented_shape() -> None:
    profile = parse_traffic_profile(
        {
            "latency_ms": {HAIKU: 900, NANO: 1400},
            "routers": {
                "triage-router": {
                    "requests_per_month": 100000,
                    "input_tokens": 300,
                    "tasks": {
                        "classify_ticket": {"output_tokens": 40},
                        "escalate_complex_issue": {"share": 0.2, "output_tokens": 250},
                    },
                    "fallback": {"share": 0.01, "output_tokens": 100},
                }
            },
        },
        "routerctl.yaml",
    )
    router = profile.routers["triage-router"]
    assert router.tokens(router.tasks["escalate_complex_issue"]) == (300.0, 250.0)
    assert profile.latency_ms == {HAIKU: 900.0, NANO: 1400.0}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"routers": {"r": {"requests_per_month": 1, "tasks": {"t": {"output_tokens": 1}}}}},
            "routers.r.tasks: 't' has no input_tokens and the router sets no default input_tokens",
        ),
        (
            {"routers": {"r": {"requests_per_month": "many"}}},
            "routers.r.requests_per_month: Input should be a valid number",
        ),
        (
            {"routers": {"r": {"requests_per_month": -1}}},
            "routers.r.requests_per_month: Input should be greater than or equal to 0",
        ),
        ({"router": {}}, "router: Extra inputs are not permitted"),
        ({"latency_ms": {"m": -5}}, "latency_ms: latency of 'm' is negative (-5.0)"),
    ],
)
def test_profile_errors_name_the_file_and_key(data: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_traffic_profile(data, "traffic.yaml")
    assert str(caught.value).startswith(f"traffic.yaml: traffic profile: {message}")


# --- catalog prices -------------------------------------------------------------------------

NOW = datetime(2026, 8, 1, tzinfo=UTC)


def test_catalog_flat_pricing_and_both_id_shapes() -> None:
    prices = prices_from_catalog(
        [
            {
                "id": NANO,
                "pricing": {"input_price_per_million": 0.05, "output_price_per_million": 0.4},
            },
            {
                "id": "2f2613e8-1d88-5b38-970f-f1b3f8e6274e",  # catalog entries: id is a UUID
                "model_id": LLAMA,
                "pricing": {"input_price_per_million": "0.65", "output_price_per_million": "0.65"},
            },
            {"id": "no-price"},
            {
                "id": "zeros",
                "pricing": {"input_price_per_million": 0, "output_price_per_million": 0},
            },
            {"id": "half", "pricing": {"input_price_per_million": 1}},
            {
                "id": "junk",
                "pricing": {"input_price_per_million": "abc", "output_price_per_million": 1},
            },
            "not a model",
            {"name": "no id"},
        ],
        now=NOW,
    )
    assert prices.get(NANO) == Price(
        Decimal("0.05"), Decimal("0.4"), "live catalog (GET /v2/gen-ai/models)"
    )
    llama = prices.get(LLAMA)
    assert llama is not None
    assert llama.input_per_million == Decimal("0.65")
    assert set(prices.prices) == {NANO, LLAMA}
    assert prices.unpriced == {
        "no-price": "no token price listed in live catalog (GET /v2/gen-ai/models)",
        "zeros": "the catalog lists 0 for both input and output (treated as unknown, not free)",
        "half": "no output_price_per_million in the catalog pricing",
        "junk": "unreadable input_price_per_million: 'abc'",
    }


SCALED = {
    "intervals": [
        {
            "start_time": "2026-01-01T00:00:00Z",
            "end_time": "2026-07-01T00:00:00Z",
            "prices": {"input_price_per_million": 1, "output_price_per_million": 5},
        },
        {
            "start_time": "2026-07-01T00:00:00Z",
            "end_time": "2027-01-01T00:00:00Z",
            "prices": {"input_price_per_million": 2, "output_price_per_million": 10},
        },
    ],
    "min_prices": {"input_price_per_million": 1, "output_price_per_million": 5},
    "max_prices": {"input_price_per_million": 2, "output_price_per_million": 10},
}


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "m", "scaled_pricing_enabled": True, "scaled_pricing": SCALED},
        {"id": "m", "pricing": {"input_price_per_million": 9, "scaled_pricing": SCALED}},
    ],
    ids=["beside-pricing", "inside-pricing"],
)
def test_scaled_pricing_uses_the_current_interval(entry: dict[str, Any]) -> None:
    price = prices_from_catalog([entry], now=NOW).get("m")
    assert price is not None
    assert (price.input_per_million, price.output_per_million) == (Decimal(2), Decimal(10))
    assert price.note == "scaled pricing: interval 2026-07-01T00:00:00Z to 2027-01-01T00:00:00Z"
    # A naive `now` is read as UTC; the interval start is inclusive, the end exclusive.
    earlier = prices_from_catalog([entry], now=datetime(2026, 6, 30, 23, 59)).get("m")
    assert earlier is not None
    assert earlier.input_per_million == 1


def test_scaled_pricing_without_a_current_interval_is_unpriced_with_reason() -> None:
    later = datetime(2027, 2, 1, tzinfo=UTC)
    prices = prices_from_catalog([{"id": "m", "scaled_pricing": SCALED}], now=later)
    assert prices.get("m") is None
    assert prices.unpriced["m"] == (
        "time-varying (scaled) pricing has no interval covering 2027-02-01T00:00:00Z; "
        "catalog range input $1–$2, output $5–$10 per 1M tokens"
    )
    estimate = estimate_router(one_task(["m"]), traffic(), prices)
    assert estimate.rows[0].monthly is None
    assert estimate.unpriced[0].reason.startswith("time-varying (scaled) pricing")


def test_scaled_pricing_open_ended_and_unreadable() -> None:
    open_ended = {
        "intervals": [
            {
                "start_time": "2026-01-01T00:00:00Z",
                "prices": {"input_price_per_million": 3, "output_price_per_million": 4},
            }
        ]
    }
    price = prices_from_catalog([{"id": "m", "scaled_pricing": open_ended}], now=NOW).get("m")
    assert price is not None
    assert price.note == "scaled pricing: interval 2026-01-01T00:00:00Z to …"

    bad_time = {"intervals": [{"start_time": "soon", "prices": {}}]}
    prices = prices_from_catalog([{"id": "m", "scaled_pricing": bad_time}], now=NOW)
    assert (
        prices.unpriced["m"] == "unreadable scaled pricing: intervals[0] has a bad start/end time"
    )


def test_scaled_flag_without_intervals_keeps_the_listed_price_with_a_note() -> None:
    entry = {
        "id": "m",
        "scaled_pricing_enabled": True,
        "pricing": {"input_price_per_million": 1, "output_price_per_million": 2},
    }
    price = prices_from_catalog([entry], now=NOW).get("m")
    assert price is not None
    assert price.note.startswith("price varies over time")


def test_catalog_cache_round_trip() -> None:
    models = [
        {
            "id": NANO,
            "uuid": "u",
            "agreement": {"secret": 1},
            "pricing": {"input_price_per_million": 0.05, "output_price_per_million": 0.4},
        },
        {"id": "later", "scaled_pricing": SCALED},
    ]
    document = catalog_cache_document(models, fetched_at=NOW)
    assert document["as_of"] == "2026-08-01T00:00:00Z"
    assert set(document["models"][0]) == {"id", "pricing"}
    prices = prices_from_document(json.loads(json.dumps(document)), "cache.json", now=NOW)
    assert prices.get(NANO) is not None
    assert prices.get("later") is not None
    assert prices.as_of == "2026-08-01T00:00:00Z"
    assert prices.source == (
        "live catalog (GET /v2/gen-ai/models), cached (as of 2026-08-01T00:00:00Z)"
    )


# --- user price files -----------------------------------------------------------------------


def test_price_file_simple_map() -> None:
    prices = prices_from_document(
        {
            "as_of": date(2026, 7, 1),  # YAML reads an unquoted date as a date
            "source": "our negotiated rates",
            NANO: {"input": 0.04, "output": 0.3},
            "custom": {"input": "1.25", "output": 2, "source": "vendor quote"},
        },
        "prices.yaml",
    )
    assert prices.as_of == "2026-07-01"
    assert prices.source == "our negotiated rates (as of 2026-07-01)"
    assert prices.get(NANO) == Price(
        Decimal("0.04"), Decimal("0.3"), "our negotiated rates (as of 2026-07-01)"
    )
    assert prices.get("custom") == Price(Decimal("1.25"), Decimal(2), "vendor quote")


def test_price_file_catalog_shape() -> None:
    prices = prices_from_document(
        {
            "models": [
                {
                    "id": NANO,
                    "pricing": {"input_price_per_million": 1, "output_price_per_million": 2},
                },
                {"id": "free-text"},
            ]
        },
        "prices.json",
    )
    assert prices.get(NANO) == Price(Decimal(1), Decimal(2), "price file prices.json")
    assert prices.unpriced == {"free-text": "no token price listed in price file prices.json"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "prices.yaml: a price file must be a mapping"),
        ({"models": {"a": 1}}, "prices.yaml: `models` must be a list of models"),
        ({"models": ["x"]}, "prices.yaml: models[0] must be a mapping"),
        ({"models": [{"pricing": {}}]}, "prices.yaml: models[0] has no `id` or `model_id`"),
        (
            {"models": [{"id": "m", "pricing": "cheap"}]},
            "prices.yaml: models[0] (m): unreadable pricing: expected a mapping, got a string",
        ),
        ({"m": 0.5}, "prices.yaml: m: expected {input: USD per 1M tokens, output: ...}"),
        ({"m": {"input": 1}}, "prices.yaml: m: missing `output`"),
        ({"m": {"input": 1, "output": -2}}, "prices.yaml: m.output: expected a non-negative"),
        ({"m": {"input": 1, "output": True}}, "prices.yaml: m.output: expected a non-negative"),
        ({"m": {"input": 1, "outptu": 2}}, "prices.yaml: m: unknown key 'outptu'"),
        ({"source": 3}, "prices.yaml: `source` must be a string"),
    ],
)
def test_price_file_errors_name_the_file(data: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        prices_from_document(data, "prices.yaml")
    assert str(caught.value).startswith(message)


def test_merged_override_wins_and_unknown_keeps_base_price() -> None:
    base = book({"a": ("1", "1"), "b": ("2", "2")}, c="base has none")
    override = PriceBook(
        prices={"a": Price(Decimal(9), Decimal(9), "live")},
        unpriced={"b": "live catalog lists no token price", "d": "nowhere"},
        source="live",
        as_of="2026-09-01",
    )
    merged = base.merged(override)
    assert merged.get("a") == Price(Decimal(9), Decimal(9), "live")
    b = merged.get("b")
    assert b is not None
    assert b.input_per_million == 2
    assert b.note == "live: live catalog lists no token price"
    assert merged.unpriced == {"c": "base has none", "d": "nowhere"}
    assert merged.source == "live over test prices"
    assert merged.as_of == "2026-09-01"


# --- plans: before -> after -------------------------------------------------------------------


def test_delta_before_after_created_deleted() -> None:
    cheap, dear = one_task(["in-cheap"]), one_task(["out-cheap"])
    load = traffic(1000, 0)  # in-cheap $1/M, out-cheap $5/M input: $1 vs $5 a month

    change = estimate_delta(cheap, dear, load, SKEWED)
    assert (change.before_monthly, change.after_monthly, change.delta) == (
        Decimal(1),
        Decimal(5),
        Decimal(4),
    )
    assert format_cost_delta(change) == "$1.00/month → $5.00/month (+$4.00/month)"

    created = estimate_delta(None, dear, load, SKEWED)
    assert created.before_monthly is None
    assert created.delta == Decimal(5)
    assert format_cost_delta(created) == "new router → $5.00/month (+$5.00/month)"

    deleted = estimate_delta(dear, None, load, SKEWED)
    assert deleted.delta == -5
    assert format_cost_delta(deleted) == "$5.00/month → deleted (-$5.00/month)"

    same = estimate_delta(cheap, cheap, load, SKEWED)
    assert format_cost_delta(same) == "$1.00/month (no change)"
    for delta in (change, created, deleted, same):
        assert format_cost_row(cost_delta_dict(delta)) == format_cost_delta(delta)

    with pytest.raises(ValueError, match="at least one side"):
        estimate_delta(None, None, load, SKEWED)


def test_delta_to_an_unpriced_model_is_unknown_not_a_saving() -> None:
    change = estimate_delta(one_task(["out-cheap"]), one_task(["mystery"]), traffic(), SKEWED)
    assert change.delta is None
    assert not change.complete
    assert format_cost_delta(change) == (
        "$5.10/month → at least $0.00/month, 1 row unpriced (change unknown: unpriced mystery)"
    )
    assert cost_delta_dict(change) == {
        "router": "r",
        "currency": "USD",
        "before_monthly": 5.1,
        "before_complete": True,
        "before_unpriced_rows": 0,
        "after_monthly": 0.0,
        "after_complete": False,
        "after_unpriced_rows": 1,
        "delta_monthly": None,
        "complete": False,
        "unpriced_models": ["mystery"],
    }
    # A plan stores only these numbers; the words are made from them, and must be the same.
    assert format_cost_row(cost_delta_dict(change)) == format_cost_delta(change)


# --- renderers -------------------------------------------------------------------------------


def _report(estimate: Any, *comparisons: Any) -> Any:
    from routerctl.cost import RouterReport

    return RouterReport(estimate, tuple(comparisons))


def small_report() -> Any:
    prices = book({"small": ("0.1", "0.4"), "big": ("3", "15")})
    spec = RouterSpec.model_validate(
        {
            "name": "demo",
            "tasks": {
                "classify": {"description": "d", "models": ["small", "big"], "prefer": "cheapest"},
                "escalate": {"description": "d", "models": ["big", "small"]},
            },
            "fallback_models": ["small"],
        }
    )
    load = RouterTraffic.model_validate(
        {
            "requests_per_month": 20000,
            "input_tokens": 500,
            "tasks": {
                "classify": {"output_tokens": 10},
                "escalate": {"share": 0.1, "output_tokens": 200},
            },
        }
    )
    return _report(estimate_router(spec, load, prices), compare_all_on(spec, load, prices, "big"))


def test_render_text_exact() -> None:
    assert render_cost_text([small_report()]) == (
        "Prices: test prices\n"
        "\n"
        "demo: $10.08/month (range $1.34–$42.00, 20,000 requests/month)\n"
        "  task                 policy    model  share   per call  monthly  range/month\n"
        "  classify             cheapest  small   100%  $0.000054    $1.08  $1.08–$33.00\n"
        "  escalate             none      big      10%  $0.004500    $9.00  $0.26–$9.00\n"
        "  total (per request)                          $0.000504   $10.08  $1.34–$42.00\n"
        "  compared with:\n"
        "    every task on big  $42.00/month  router saves $31.92 (76%)\n"
        "  assumptions:\n"
        "    classify: cheapest: lowest price in pool for this token mix\n"
        "    escalate: none: first listed (manual ranking)\n"
    )


def test_render_markdown_exact() -> None:
    assert render_cost_markdown([small_report()]) == (
        "### `demo`: $10.08/month\n"
        "\n"
        "20,000 requests/month · range $1.34–$42.00/month · prices: test prices\n"
        "\n"
        "| Task | Policy | Model | Share | Per call | Monthly | Range (monthly) |\n"
        "|---|---|---|---:|---:|---:|---:|\n"
        "| `classify` | cheapest | `small` | 100% | $0.000054 | $1.08 | $1.08–$33.00 |\n"
        "| `escalate` | none | `big` | 10% | $0.004500 | $9.00 | $0.26–$9.00 |\n"
        "| **Total** | | | | $0.000504 | **$10.08** | $1.34–$42.00 |\n"
        "\n"
        "| Strategy | Monthly | Router vs this |\n"
        "|---|---:|---|\n"
        "| Router (routing policy) | $10.08/month | |\n"
        "| Every task on `big` | $42.00/month | router saves $31.92 (76%) |\n"
        "\n"
        "Assumptions:\n"
        "- `classify`: cheapest: lowest price in pool for this token mix\n"
        "- `escalate`: none: first listed (manual ranking)\n"
    )


def test_render_json_document() -> None:
    document = json.loads(render_cost_json([small_report()], warnings=["w"]))
    assert document["format_version"] == 1
    assert document["currency"] == "USD"
    assert document["monthly"] == 10.08
    assert document["complete"] is True
    assert document["warnings"] == ["w"]
    [router] = document["routers"]
    assert router["requests_per_month"] == 20000
    assert router["range_monthly"] == [1.34, 42.0]
    assert router["rows"][0] == {
        "task": "classify",
        "kind": "task",
        "policy": "cheapest",
        "model": "small",
        "assumption": "cheapest: lowest price in pool for this token mix",
        "share": 1,
        "input_tokens": 500,
        "output_tokens": 10,
        "per_call": 5.4e-05,
        "per_request": 5.4e-05,
        "monthly": 1.08,
        "range_per_call": [5.4e-05, 0.00165],
        "range_monthly": [1.08, 33.0],
        "pool": [{"model": "small", "per_call": 5.4e-05}, {"model": "big", "per_call": 0.00165}],
        "unpriced": [],
        "price_source": "test prices",
    }
    [compare] = router["comparisons"]
    assert (compare["model"], compare["monthly"], compare["router_minus_this"]) == (
        "big",
        42.0,
        -31.92,
    )


def test_render_text_color_and_markdown_escaping() -> None:
    report = small_report()
    assert "\x1b[1m" in render_cost_text([report], color=True)
    assert "\x1b[" not in render_cost_text([report])
    spec = one_task(["in-cheap"])
    spec = spec.model_copy(update={"tasks": {"a|b": spec.tasks["t"]}})
    estimate = estimate_router(
        spec,
        RouterTraffic.model_validate(
            {"requests_per_month": 1, "input_tokens": 1, "output_tokens": 1, "tasks": {"a|b": {}}}
        ),
        SKEWED,
    )
    assert "| `a\\|b` |" in render_cost_markdown([_report(estimate)])


def test_money_formats() -> None:
    assert format_money(Decimal("1775")) == "$1,775.00"
    assert format_money(Decimal("108.555")) == "$108.56"  # half up, not banker's
    assert format_money(Decimal("-94.3"), sign=True) == "-$94.30"
    assert format_money(Decimal("94.3"), sign=True) == "+$94.30"
    assert format_per_call(Decimal("0.000031")) == "$0.000031"
    assert format_per_call(Decimal("0.0000002")) == "$2e-07"
    assert format_per_call(Decimal(0)) == "$0.000000"


def test_render_empty() -> None:
    assert render_cost_text([]) == (
        "No routers to cost: the traffic profile covers none of the router files.\n"
    )
    assert render_cost_text([], warnings=["r: no traffic in the profile; not costed"]) == (
        "warning: r: no traffic in the profile; not costed\n"
    )
