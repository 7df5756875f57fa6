"""`routerctl list` and `routerctl get`: live routers as a table, JSON, or a router file.

`list` renders the list endpoint's summaries as they come (one request per page, no GET per
router), so it reads only what every summary carries: uuid, name, description, timestamps.
`get --format yaml` is exactly the file `routerctl import` would write for that router.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from routerctl.importer import render_router_file
from routerctl.models import LiveRouter

_COLUMNS = ("NAME", "UUID", "UPDATED")


def _summary(router: LiveRouter) -> dict[str, Any]:
    return {
        "name": router.name,
        "uuid": router.uuid,
        "description": router.description or "",
        "created_at": router.created_at,
        "updated_at": router.updated_at,
    }


def render_list_text(routers: Sequence[LiveRouter]) -> str:
    """Aligned columns, sorted by name (kubectl-style), and nothing else on stdout."""
    if not routers:
        return "No routers.\n"
    rows = [(r.name, r.uuid, r.updated_at or "-") for r in sorted(routers, key=_key)]
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [_COLUMNS, *rows]
    ]
    return "\n".join(lines) + "\n"


def render_list_json(routers: Sequence[LiveRouter]) -> str:
    items = [_summary(r) for r in sorted(routers, key=_key)]
    return json.dumps({"routers": items, "count": len(items)}, indent=2, ensure_ascii=False) + "\n"


def _key(router: LiveRouter) -> tuple[str, str]:
    return (router.name, router.uuid)


def render_router(
    router: LiveRouter, fmt: str, *, base_name: Callable[[str], str | None] = lambda n: n
) -> str:
    """One router: `yaml` is the file `import` would write (named as in the files, i.e.
    without an environment's prefix/suffix), `json` the router as the API returned it."""
    if fmt == "json":
        data = router.model_dump(mode="json", exclude_none=True)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    name = base_name(router.name) or router.name
    spec = router.to_spec().model_copy(update={"name": name})
    return render_router_file(spec, uuid=router.uuid)
