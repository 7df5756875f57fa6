"""The apply report: one line per router and a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from routerctl.render.common import _painter

if TYPE_CHECKING:
    from routerctl.outcome import ApplyResult


# --- apply results --------------------------------------------------------------------------------

_STATUS_SIGN = {"created": "+", "updated": "~", "deleted": "-", "failed": "!", "skipped": "dim"}


def render_apply_result(result: ApplyResult, *, color: bool = False) -> str:
    """One line per router (what happened, with the API error if it failed) and a summary."""
    paint = _painter(color)
    lines = ["", "Apply report:"]
    for outcome in result.outcomes:
        name = outcome.name
        if outcome.renamed_from:
            name = f"{outcome.renamed_from} → {outcome.name}"
        line = f"  {outcome.status:<8} {name}"
        if outcome.uuid:
            line += f"  (uuid {outcome.uuid})"
        lines.append(paint(_STATUS_SIGN[outcome.status], line))
        if outcome.error:  # painted on its own: paint() escapes a newline inside a line
            lines.append(paint(_STATUS_SIGN[outcome.status], f"           {outcome.error}"))
    lines += ["", paint("bold", result.summary_line())]
    return "\n".join(lines) + "\n"
