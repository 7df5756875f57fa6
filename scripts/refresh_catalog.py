"""Regenerate the shipped catalog snapshot (`src/routerctl/data/models.json` and
`task_presets.json`) from the live API: `make catalog`.

Reads GET /v2/gen-ai/models and GET /v2/gen-ai/models/routers/tasks/presets with the usual
token (DIGITALOCEAN_TOKEN, then DIGITALOCEAN_ACCESS_TOKEN, or --token-file) and API URL
(--api-url or DIGITALOCEAN_API_URL). Writes ids, names, lifecycle and prices as the API gives
them, the date, and the sources; a price the API does not give keeps the snapshot's own price
and its `price_source`. Presets keep their slug, name, category, description, default models
and selection policy (the emulator serves them). Nothing account-specific is written.

    DIGITALOCEAN_TOKEN=... make catalog
    python scripts/refresh_catalog.py --api-url http://127.0.0.1:8080 --out-dir /tmp/snapshot
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from routerctl.client import RouterClient, resolve_api_url, resolve_token
from routerctl.errors import RouterctlError

DATA = Path(__file__).resolve().parents[1] / "src" / "routerctl" / "data"
MODEL_KEYS = ("id", "name", "uuid", "provider", "lifecycle_status", "pricing")
PRESET_KEYS = ("task_slug", "name", "category", "description", "models", "tags")


def _models(live: list[dict[str, Any]], old: dict[str, Any], today: str) -> dict[str, Any]:
    previous = {m.get("id"): m for m in old.get("models", []) if isinstance(m, dict)}
    out = []
    for model in sorted(live, key=lambda m: str(m.get("id", ""))):
        if not isinstance(model.get("id"), str) or not model["id"]:
            continue
        entry = {k: model[k] for k in MODEL_KEYS if k in model}
        before = previous.get(model["id"], {})
        if "pricing" in entry:
            entry["price_source"] = f"GET /v2/gen-ai/models ({today})"
        elif "pricing" in before:  # the API gave no price: keep the published one we had
            entry["pricing"] = before["pricing"]
            entry["price_source"] = before.get("price_source", "earlier snapshot")
        out.append(entry)
    return {
        "as_of": today,
        "note": old.get("note", ""),
        "sources": [
            f"GET /v2/gen-ai/models ({today}, scripts/refresh_catalog.py)",
            "prices without a live value keep the earlier snapshot's price and price_source",
        ],
        "models": out,
    }


def _presets(live: list[dict[str, Any]], old: dict[str, Any], today: str) -> dict[str, Any]:
    out = []
    for task in sorted(live, key=lambda t: str(t.get("task_slug", ""))):
        if not isinstance(task.get("task_slug"), str) or not task["task_slug"]:
            continue
        entry = {k: task[k] for k in PRESET_KEYS if k in task}
        entry["selection_policy"] = task.get("selection_policy") or {"prefer": "none"}
        out.append(entry)
    return {
        "as_of": today,
        "note": old.get("note", ""),
        "sources": [f"GET /v2/gen-ai/models/routers/tasks/presets ({today})"],
        "tasks": out,
    }


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-url", help="API base URL (default: DIGITALOCEAN_API_URL)")
    parser.add_argument("--token-file", help="read the API token from this file")
    parser.add_argument("--out-dir", type=Path, default=DATA, help="where to write the files")
    args = parser.parse_args(argv)
    today = datetime.now(UTC).date().isoformat()
    try:
        token = resolve_token(token_file=args.token_file)
        with RouterClient(token=token, base_url=resolve_api_url(args.api_url)) as client:
            models, presets = client.list_models(), client.list_task_presets()
    except RouterctlError as exc:
        print(f"refresh_catalog: {exc}", file=sys.stderr)
        return 1
    if not models or not presets:
        print(
            "refresh_catalog: the API listed no models or no presets; nothing written",
            file=sys.stderr,
        )
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    written = {
        "models.json": _models(models, _read(DATA / "models.json"), today),
        "task_presets.json": _presets(presets, _read(DATA / "task_presets.json"), today),
    }
    for name, document in written.items():
        path = args.out_dir / name
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"wrote {path} ({len(document.get('models', document.get('tasks', [])))} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
