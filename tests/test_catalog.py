"""The dated catalog (catalog.py): the shipped snapshot, the TTL cache of the live catalog,
the checks with did-you-mean and age, and apply's refusal of unknown model ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from routerctl.catalog import (
    Catalog,
    catalog_from_api,
    check_catalog,
    live_catalog,
    offline_catalog,
    read_cache,
    refuse_unknown_models,
    shipped_catalog,
    write_cache,
)
from routerctl.errors import ApiStatusError, ConfigError
from routerctl.models import RouterSpec
from routerctl.plan import Action, Change, Plan
from routerctl.spec import RouterFile, parse_document

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MODELS = [
    {"id": "openai-gpt-5-nano", "name": "GPT-5 Nano", "lifecycle_status": "active"},
    {"id": "llama3.3-70b-instruct", "name": "Llama 3.3", "lifecycle_status": "active"},
    {"id": "old-model", "name": "Old", "lifecycle_status": "deprecated"},
    {"id": "gone-model", "name": "Gone", "lifecycle_status": "end_of_life"},
]
PRESETS = [{"task_slug": "summarization", "name": "Summaries", "description": "Summarize."}]


def router(text: str) -> RouterFile:
    doc = parse_document(text.encode(), "routers/r.yaml")
    return RouterFile(RouterSpec.model_validate(doc.data), doc)


ROUTER = router(
    "name: r\n"
    "tasks:\n"
    "  t:\n"
    "    description: Label tickets.\n"
    "    models: [openai-gpt-5-nanoo, old-model, gone-model]\n"
    "presets:\n"
    "  summarisation:\n"
    "    models: [llama3.3-70b-instruct]\n"
    "fallback_models: [llama3.3-70b-instruct]\n"
)


def test_the_shipped_snapshot_is_dated_and_says_where_it_came_from() -> None:
    catalog = shipped_catalog()
    assert catalog.as_of == datetime(2026, 6, 29, tzinfo=UTC)  # the older of the two files
    assert catalog.source == "shipped snapshot"
    assert "openai-gpt-5-nano" in catalog.models
    assert len(catalog.presets) == 23
    assert catalog.preset_names()["code-generation"] == "Code Generation"
    for name in ("models.json", "task_presets.json"):
        data = json.loads((Path(__file__).parents[1] / "src/routerctl/data" / name).read_text())
        assert data["as_of"]
        assert data["sources"]
    assert catalog.describe(NOW) == "shipped snapshot of 2026-06-29, 155 days old"


def test_check_catalog_warns_with_did_you_mean_and_the_catalogs_age() -> None:
    catalog = catalog_from_api(MODELS, PRESETS, fetched_at=NOW)
    issues = check_catalog([ROUTER], catalog, now=NOW)
    got = [(i.location, i.severity, i.code, i.message) for i in sorted(issues)]
    assert got == [
        (
            "tasks.t.models[0]",
            "warning",
            "unknown-model",
            "model 'openai-gpt-5-nanoo' is not in the model catalog (live catalog, fetched "
            '2026-12-01 09:00 UTC) (did you mean "openai-gpt-5-nano"?)',
        ),
        (
            "tasks.t.models[1]",
            "warning",
            "retired-model",
            "model 'old-model' is deprecated in the catalog (live catalog, fetched 2026-12-01 "
            "09:00 UTC)",
        ),
        (
            "tasks.t.models[2]",
            "error",
            "retired-model",
            "model 'gone-model' is end of life in the catalog (live catalog, fetched 2026-12-01 "
            "09:00 UTC)",
        ),
        (
            "presets.summarisation",
            "warning",
            "unknown-preset",
            "task_slug 'summarisation' is not a preset task (live catalog, fetched 2026-12-01 "
            '09:00 UTC) (did you mean "summarization"?)',
        ),
    ]


class Fetcher:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def models(self) -> list[dict[str, Any]]:
        self.calls += 1
        if self.fail:
            raise ApiStatusError("GET", "/v2/gen-ai/models", 503, message="down")
        return MODELS

    def presets(self) -> list[dict[str, Any]]:
        return PRESETS


def test_live_catalog_is_cached_for_the_ttl_then_fetched_again(tmp_path: Path) -> None:
    cache = tmp_path / "catalog.json"
    api = Fetcher()
    first = live_catalog(api.models, api.presets, cache_file=cache, now=NOW)
    assert first.live
    assert api.calls == 1
    again = live_catalog(api.models, api.presets, cache_file=cache, now=NOW + timedelta(minutes=59))
    assert again.source == "cached live catalog"
    assert api.calls == 1
    assert set(again.models) == set(first.models)
    later = live_catalog(api.models, api.presets, cache_file=cache, now=NOW + timedelta(hours=2))
    assert later.live
    assert api.calls == 2
    forced = live_catalog(api.models, api.presets, cache_file=cache, now=NOW, refresh=True)
    assert forced.live
    assert api.calls == 3


def test_live_catalog_falls_back_to_the_cache_then_the_snapshot_with_a_note(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "catalog.json"
    down = Fetcher(fail=True)
    shipped = live_catalog(down.models, down.presets, cache_file=cache, now=NOW)
    assert shipped.source == "shipped snapshot"
    assert shipped.notes[0].startswith("could not read the live model catalog (GET /v2/gen-ai")
    write_cache(cache, catalog_from_api(MODELS, PRESETS, fetched_at=NOW - timedelta(days=3)))
    stale = live_catalog(down.models, down.presets, cache_file=cache, now=NOW)
    assert stale.source == "cached live catalog"
    assert "old-model" in stale.models
    assert stale.notes[0].endswith("using the cached live catalog")


def test_the_cache_holds_ids_names_and_slugs_only_and_rejects_foreign_files(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "catalog.json"
    entry = {**MODELS[0], "pricing": {"input_price_per_million": 1}, "uuid": "u"}
    write_cache(cache, catalog_from_api([entry], PRESETS, fetched_at=NOW))
    data = json.loads(cache.read_text())
    assert data["models"] == [
        {"id": "openai-gpt-5-nano", "name": "GPT-5 Nano", "lifecycle_status": "active"}
    ]
    cache.write_text('{"models": []}')
    assert read_cache(cache) is None
    cache.write_text("not json")
    assert read_cache(cache) is None


def test_offline_validate_uses_a_cache_newer_than_the_snapshot(tmp_path: Path) -> None:
    cache = tmp_path / "catalog.json"
    assert offline_catalog(cache).source == "shipped snapshot"
    write_cache(cache, catalog_from_api(MODELS, PRESETS, fetched_at=NOW))
    assert offline_catalog(cache).source == "cached live catalog"
    write_cache(
        cache, catalog_from_api(MODELS, PRESETS, fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    assert offline_catalog(cache).source == "shipped snapshot"


def plan_with(models: list[str], action: Action = Action.CREATE) -> Plan:
    state = {
        "name": "r",
        "description": "",
        "tasks": {"t": {"description": "d", "models": models, "prefer": "none"}},
        "presets": {},
        "fallback_models": ["llama3.3-70b-instruct"],
    }
    return Plan(changes=(Change(name="r", action=action, after=state),))


def test_apply_refuses_unknown_model_ids_in_one_line_naming_router_and_model() -> None:
    catalog = catalog_from_api(MODELS, PRESETS, fetched_at=NOW)
    with pytest.raises(ConfigError) as refused:
        refuse_unknown_models(plan_with(["openai-gpt-5-nanoo"]), catalog)
    message = str(refused.value)
    assert "\n" not in message
    assert "router 'r' uses 'openai-gpt-5-nanoo' (did you mean \"openai-gpt-5-nano\"?)" in message
    assert message.endswith("pass --allow-unknown-models; nothing was applied")
    refuse_unknown_models(plan_with(["openai-gpt-5-nano"]), catalog)  # known: no error


def test_apply_confirms_with_a_fresh_catalog_before_refusing_on_a_cache() -> None:
    cached = Catalog({}, {}, "cached live catalog", NOW)
    fresh = catalog_from_api([{"id": "brand-new"}, *MODELS], PRESETS, fetched_at=NOW)
    refuse_unknown_models(plan_with(["brand-new"]), cached, confirm=lambda: fresh)
    with pytest.raises(ConfigError):
        refuse_unknown_models(plan_with(["still-unknown"]), cached, confirm=lambda: fresh)
