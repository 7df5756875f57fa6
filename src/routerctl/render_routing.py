"""The routing preview of a plan (Change.routing_preview), as text under the router and as a
collapsible markdown table. Pure data → str; the data comes from routerctl.predict.preview."""

from __future__ import annotations

import html
from typing import Any

MAX_LISTED = 10  # moved prompts listed per router in text; the count covers the rest
_NOTE = "a prediction; DigitalOcean's router decides with its own model"


def _excerpt(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _headline(preview: dict[str, Any]) -> str:
    moved, cases = len(preview.get("moved") or []), int(preview.get("cases") or 0)
    count = "none" if not moved else f"{moved}"
    verb = "moves" if moved == 1 else "move"
    return f"{count} of {cases} test prompts {verb}"


def preview_text(preview: dict[str, Any] | None) -> list[str]:
    """`    routing: 3 of 12 test prompts move (predicted by …):` and one line per prompt."""
    if not preview:
        return []
    moved = preview.get("moved") or []
    head = f"    routing: {_headline(preview)} (predicted by {preview.get('predictor')})"
    lines = [head + (":" if moved else "")]
    for item in moved[:MAX_LISTED]:
        lines.append(f'      "{_excerpt(str(item["prompt"]))}" {item["from"]} → {item["to"]}')
    if len(moved) > MAX_LISTED:
        lines.append(f"      … and {len(moved) - MAX_LISTED} more")
    return lines


def _cell(text: str) -> str:
    return html.escape(" ".join(str(text).split())).replace("|", "\\|")


def _code(text: str) -> str:
    return f"<code>{_cell(text)}</code>"


def preview_markdown(preview: dict[str, Any] | None) -> str:
    """A `<details>` block with a prompt | from | to table (empty string without a preview)."""
    if not preview:
        return ""
    predictor = html.escape(str(preview.get("predictor")))
    summary = f"Routing preview: {_headline(preview)} (<code>{predictor}</code>; {_NOTE})"
    moved = preview.get("moved") or []
    if not moved:
        return f"<sub>{summary}</sub>\n"
    rows = "".join(
        f"| {_cell(_excerpt(str(m['prompt']), 120))} | {_code(m['from'])} | {_code(m['to'])} |\n"
        for m in moved
    )
    table = "| prompt | from | to |\n|---|---|---|\n" + rows
    return f"<details><summary>{summary}</summary>\n\n{table}\n</details>\n"
