"""Check router files against the live catalog (validate --online): unknown or retired model
ids and unknown preset task slugs, with did-you-mean. Pure: the caller fetches the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from routerctl.errors import Issue
from routerctl.spec import RouterFile, suggest

RETIRED = {"deprecated": "warning", "end_of_life": "error"}


def check_catalog(
    routers: Sequence[RouterFile],
    models: Sequence[dict[str, Any]],
    task_presets: Sequence[dict[str, Any]],
) -> list[Issue]:
    ids = {str(m.get("id")): m for m in models if m.get("id")}
    slugs = {str(t.get("task_slug")) for t in task_presets if t.get("task_slug")}
    issues: list[Issue] = []
    for router in routers:
        spec, doc = router.spec, router.doc
        pools: list[tuple[tuple[str | int, ...], list[str]]] = [
            (("tasks", k, "models"), t.models) for k, t in spec.tasks.items()
        ]
        pools += [(("presets", k, "models"), p.models) for k, p in spec.presets.items()]
        pools.append((("fallback_models",), spec.fallback_models))
        for loc, pool in pools:
            for index, model in enumerate(pool):
                where = (*loc, index)
                entry = ids.get(model)
                if entry is None:
                    issues.append(
                        doc.issue(
                            where,
                            f"model {model!r} is not in the DigitalOcean model catalog"
                            + suggest(model, ids),
                            code="unknown-model",
                        )
                    )
                    continue
                status = str(entry.get("lifecycle_status") or "")
                if status in RETIRED:
                    issues.append(
                        doc.issue(
                            where,
                            f"model {model!r} is {status.replace('_', ' ')} in the catalog",
                            severity="error" if RETIRED[status] == "error" else "warning",
                            code="retired-model",
                        )
                    )
        for slug in spec.presets:
            if slug not in slugs:
                issues.append(
                    doc.issue(
                        ("presets", slug),
                        f"task_slug {slug!r} is not a preset task of the API"
                        + suggest(slug, slugs),
                        code="unknown-preset",
                    )
                )
    return issues
