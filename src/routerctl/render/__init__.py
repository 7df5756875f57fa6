"""Render plans and apply results as text, JSON or markdown. Pure functions returning strings:
no echo, no clock, no terminal size. Colour is an explicit argument.

Values from files and the API are made inert on the way out (redact.inert, md_code, md_text).

A router's change is built once as (kind, text) lines; the text renderer paints them by kind
and the markdown renderer turns the kind into a first-column diff marker, which is the only
place GitHub's ```diff highlighting looks.

Layout: `common` (limits, labels, the painter, small helpers), `lines` (one router's change as
lines), `plan_text`, `plan_markdown`, `formats` (JSON, and a plan in a named format) and
`apply` (the apply report). Every name is re-exported here: `from routerctl.render import ...`
is the one import callers need.
"""

from __future__ import annotations

from routerctl.render.apply import render_apply_result
from routerctl.render.common import (
    DIFF_CONTEXT,
    FOREIGN,
    MARKDOWN_LIMIT,
    MARKDOWN_MARKER,
    PROTECTED,
    PRUNABLE,
    TEXT_WIDTH,
    UNCHANGED,
    UNMANAGED,
    WIDTH,
    Line,
    Paint,
)
from routerctl.render.formats import render_plan_as, render_plan_json
from routerctl.render.plan_markdown import render_plan_markdown
from routerctl.render.plan_text import plan_header, render_plan

__all__ = [
    "DIFF_CONTEXT",
    "FOREIGN",
    "MARKDOWN_LIMIT",
    "MARKDOWN_MARKER",
    "PROTECTED",
    "PRUNABLE",
    "TEXT_WIDTH",
    "UNCHANGED",
    "UNMANAGED",
    "WIDTH",
    "Line",
    "Paint",
    "plan_header",
    "render_apply_result",
    "render_plan",
    "render_plan_as",
    "render_plan_json",
    "render_plan_markdown",
]
