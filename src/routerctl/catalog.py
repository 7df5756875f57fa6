"""The model catalog and task presets: which model ids and preset slugs exist, and the checks
made against them (unknown or retired model ids, unknown preset slugs, with did-you-mean).

Three sources, each carrying its date so every warning can say how old its knowledge is:

- the snapshot shipped in the package (`routerctl/data/models.json` and `task_presets.json`,
  regenerated with `make catalog`), used when nothing fresher is known;
- the live API (`GET /v2/gen-ai/models` and `GET /v2/gen-ai/models/routers/tasks/presets`),
  fetched by `validate --online`, `plan` and `apply`;
- the cache of the last live fetch (`catalog.json` in the user cache directory, or under
  $ROUTERCTL_CACHE_DIR; see cachedir), reused for CACHE_TTL before the API is asked again,
  and used by offline `validate` when it exists.

The checks are pure: callers hand in the routers and a Catalog.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from routerctl.errors import ApiError, ConfigError, Issue
from routerctl.plan import Action, Plan
from routerctl.spec import RouterFile, suggest

RETIRED = {"deprecated": "warning", "end_of_life": "error"}
CACHE_NAME = "catalog.json"
CACHE_TTL = timedelta(hours=1)
CACHE_FORMAT = 1
SHIPPED_MODELS = "models.json"
SHIPPED_PRESETS = "task_presets.json"


@dataclass(frozen=True)
class Catalog:
    """Model ids and preset slugs known from one source, and when that source was true."""

    models: Mapping[str, Mapping[str, Any]]  # model id -> catalog entry
    presets: Mapping[str, Mapping[str, Any]]  # task_slug -> preset entry (name, description)
    source: str  # "shipped snapshot", "live catalog", "cached live catalog"
    as_of: datetime | None = None
    live: bool = False  # fetched from the API during this run
    notes: tuple[str, ...] = field(default=(), compare=False)  # why a weaker source was used

    def describe(self, now: datetime | None = None) -> str:
        """`shipped snapshot of 2026-06-30, 154 days old` / `live catalog, fetched now`."""
        if self.as_of is None:
            return self.source
        moment = now or datetime.now(UTC)
        if self.live:
            return f"{self.source}, fetched {self.as_of:%Y-%m-%d %H:%M} UTC"
        age = moment - self.as_of
        if age < timedelta(hours=1):
            ago = f"{max(0, int(age.total_seconds() // 60))} min old"
        elif age < timedelta(days=2):
            ago = f"{int(age.total_seconds() // 3600)} h old"
        else:
            ago = f"{age.days} days old"
        when = (
            f"{self.as_of:%Y-%m-%d}"
            if self.source.startswith("shipped")
            else (f"{self.as_of:%Y-%m-%d %H:%M} UTC")
        )
        return f"{self.source} of {when}, {ago}"

    def preset_names(self) -> dict[str, str]:
        """task_slug -> display name, as the presets endpoint gives them."""
        return {
            slug: str(entry["name"])
            for slug, entry in self.presets.items()
            if isinstance(entry.get("name"), str) and entry["name"]
        }


# --- building catalogs ----------------------------------------------------------------------


def _by_key(items: Iterable[Any], key: str) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get(key), str) and item[key]:
            out.setdefault(str(item[key]), item)
    return out


def _day(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _shipped_document(name: str) -> dict[str, Any]:
    data = json.loads((files("routerctl") / "data" / name).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def shipped_catalog() -> Catalog:
    """The snapshot packaged with routerctl (the older of its two files' dates)."""
    models = _shipped_document(SHIPPED_MODELS)
    presets = _shipped_document(SHIPPED_PRESETS)
    dates = [d for d in (_day(models.get("as_of")), _day(presets.get("as_of"))) if d]
    return Catalog(
        models=_by_key(models.get("models", []), "id"),
        presets=_by_key(presets.get("tasks", []), "task_slug"),
        source="shipped snapshot",
        as_of=min(dates) if dates else None,
    )


def catalog_from_api(
    models: Sequence[Any], presets: Sequence[Any], *, fetched_at: datetime
) -> Catalog:
    """A catalog from the two list endpoints' items (`models[]`, `tasks[]`)."""
    return Catalog(
        models=_by_key(models, "id"),
        presets=_by_key(presets, "task_slug"),
        source="live catalog",
        as_of=fetched_at,
        live=True,
    )


def cache_path() -> Path:
    """catalog.json in the user cache directory, or under $ROUTERCTL_CACHE_DIR (cachedir)."""
    from routerctl.cachedir import cache_dir

    return cache_dir() / CACHE_NAME


def _cache_document(catalog: Catalog) -> dict[str, Any]:
    # Only what the checks read: ids, names, lifecycle; slugs, names, descriptions.
    keep_model = ("id", "name", "lifecycle_status")
    keep_preset = ("task_slug", "name", "description", "category")
    return {
        "format": CACHE_FORMAT,
        "source": "GET /v2/gen-ai/models and GET /v2/gen-ai/models/routers/tasks/presets",
        "fetched_at": (catalog.as_of or datetime.now(UTC)).isoformat(),
        "models": [{k: m[k] for k in keep_model if k in m} for m in catalog.models.values()],
        "tasks": [{k: p[k] for k in keep_preset if k in p} for p in catalog.presets.values()],
    }


def write_cache(path: Path, catalog: Catalog) -> None:
    """Atomically; a cache that cannot be written is not worth failing a run over."""
    from routerctl.cachedir import prepare_cache_dir

    try:
        prepare_cache_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".catalog.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_cache_document(catalog), handle, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass


def read_cache(path: Path) -> Catalog | None:
    """The cached live catalog, or None if there is none or it is unreadable/foreign."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return None
    fetched = _day(data.get("fetched_at"))
    models, tasks = data.get("models"), data.get("tasks")
    if fetched is None or not isinstance(models, list) or not isinstance(tasks, list):
        return None
    return Catalog(
        models=_by_key(models, "id"),
        presets=_by_key(tasks, "task_slug"),
        source="cached live catalog",
        as_of=fetched,
    )


def offline_catalog(cache_file: Path | None = None) -> Catalog:
    """What offline `validate` checks against: the cache of the last live fetch if there is
    one and it is newer than the shipped snapshot, else the snapshot."""
    shipped = shipped_catalog()
    cached = read_cache(cache_file or cache_path())
    if cached is None or cached.as_of is None:
        return shipped
    if shipped.as_of is not None and cached.as_of <= shipped.as_of:
        return shipped
    return cached


def live_catalog(
    fetch_models: Callable[[], list[dict[str, Any]]],
    fetch_presets: Callable[[], list[dict[str, Any]]],
    *,
    cache_file: Path | None = None,
    ttl: timedelta = CACHE_TTL,
    now: datetime | None = None,
    refresh: bool = False,
    strict: bool = False,
) -> Catalog:
    """The live catalog: the cache when it is younger than `ttl` (unless `refresh`), else
    fetched and cached. When the API cannot be read: with `strict` (validate --online) the
    ApiError is raised; otherwise the cache (any age) or the snapshot, with a note."""
    moment = now or datetime.now(UTC)
    path = cache_file or cache_path()
    cached = read_cache(path)
    fresh = (
        cached is not None
        and cached.as_of is not None
        and timedelta(0) <= moment - cached.as_of < ttl
    )
    if fresh and not refresh and cached is not None:
        return cached
    try:
        catalog = catalog_from_api(fetch_models(), fetch_presets(), fetched_at=moment)
    except ApiError as exc:
        if strict:
            raise
        fallback = cached if cached is not None else shipped_catalog()
        note = f"could not read the live model catalog ({exc}); using the {fallback.source}"
        return Catalog(
            fallback.models, fallback.presets, fallback.source, fallback.as_of, False, (note,)
        )
    write_cache(path, catalog)
    return catalog


# --- checks ---------------------------------------------------------------------------------


def _pools(router: RouterFile) -> list[tuple[tuple[str | int, ...], list[str]]]:
    spec = router.spec
    pools: list[tuple[tuple[str | int, ...], list[str]]] = [
        (("tasks", k, "models"), t.models) for k, t in spec.tasks.items()
    ]
    pools += [(("presets", k, "models"), p.models) for k, p in spec.presets.items()]
    pools.append((("fallback_models",), spec.fallback_models))
    return pools


def check_catalog(
    routers: Sequence[RouterFile], catalog: Catalog, *, now: datetime | None = None
) -> list[Issue]:
    """Unknown model ids and preset slugs (warnings, with did-you-mean and the catalog's age)
    and retired models (deprecated: warning, end_of_life: error)."""
    known = f"{catalog.describe(now)}"
    issues: list[Issue] = []
    for router in routers:
        doc = router.doc
        for loc, pool in _pools(router):
            for index, model in enumerate(pool):
                where = (*loc, index)
                entry = catalog.models.get(model)
                if entry is None:
                    issues.append(
                        doc.issue(
                            where,
                            f"model {model!r} is not in the model catalog ({known})"
                            + suggest(model, catalog.models),
                            severity="warning",
                            code="unknown-model",
                        )
                    )
                    continue
                status = str(entry.get("lifecycle_status") or "")
                if status in RETIRED:
                    issues.append(
                        doc.issue(
                            where,
                            f"model {model!r} is {status.replace('_', ' ')} in the catalog "
                            f"({known})",
                            severity="error" if RETIRED[status] == "error" else "warning",
                            code="retired-model",
                        )
                    )
        for slug in router.spec.presets:
            if slug not in catalog.presets:
                issues.append(
                    doc.issue(
                        ("presets", slug),
                        f"task_slug {slug!r} is not a preset task ({known})"
                        + suggest(slug, catalog.presets),
                        severity="warning",
                        code="unknown-preset",
                    )
                )
    return issues


def state_models(state: Mapping[str, Any]) -> list[str]:
    """Every model id a normalised router state (RouterSpec.state()) would send, in order."""
    out: list[str] = []
    for section in ("tasks", "presets"):
        for body in (state.get(section) or {}).values():
            out += [m for m in body.get("models", []) if isinstance(m, str)]
    out += [m for m in state.get("fallback_models", []) if isinstance(m, str)]
    return list(dict.fromkeys(out))


def unknown_in_state(state: Mapping[str, Any], catalog: Catalog) -> list[str]:
    """Model ids in a router state that `catalog` does not list."""
    return [m for m in state_models(state) if m not in catalog.models]


# --- plan and apply -------------------------------------------------------------------------


def plan_warnings(
    routers: Sequence[RouterFile], catalog: Catalog, *, now: datetime | None = None
) -> tuple[str, ...]:
    """Catalog problems as plan warnings (shown before the diff), after any note on why a
    weaker source than the live catalog was used."""
    issues = sorted(check_catalog(routers, catalog, now=now))
    return (*catalog.notes, *(issue.format() for issue in issues))


def refuse_unknown_models(
    plan: Plan, catalog: Catalog, confirm: Callable[[], Catalog] | None = None
) -> None:
    """Raise ConfigError (exit 1, nothing applied) when a router the plan creates or updates
    uses a model id `catalog` does not list. If `catalog` was not fetched in this run (a
    cache), `confirm` fetches it fresh first: a model added since must not be refused."""

    def unknown(cat: Catalog) -> list[tuple[str, list[str]]]:
        found = []
        for change in plan.changes:
            if change.action is not Action.DELETE and change.after is not None:
                missing = unknown_in_state(change.after, cat)
                if missing:
                    found.append((change.name, missing))
        return found

    found = unknown(catalog)
    if found and not catalog.live and confirm is not None:
        catalog = confirm()
        found = unknown(catalog)
    if not found:
        return
    parts = []
    for name, models in found:
        listed = ", ".join(f"{m!r}{suggest(m, catalog.models)}" for m in models)
        parts.append(f"router {name!r} uses {listed}")
    raise ConfigError(
        f"refusing to apply: the model catalog ({catalog.describe()}) does not list the model "
        f"ids in: {'; '.join(parts)}. Fix the router files, or pass --allow-unknown-models; "
        "nothing was applied"
    )
