"""The text plan: Terraform-style `+ ~ -` per router and the closing `Plan: …` line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from routerctl.plan import Plan
from routerctl.redact import inert
from routerctl.render.common import (
    FOREIGN,
    PROTECTED,
    PRUNABLE,
    UNCHANGED,
    UNMANAGED,
    WIDTH,
    _painter,
    _plural,
)
from routerctl.render.lines import _change_lines
from routerctl.render_cost import format_cost_row
from routerctl.render_routing import preview_text

# --- text ---------------------------------------------------------------------------------------


def plan_header(plan: Plan, title: str = "routerctl plan") -> str:
    parts = [title, f"environment: {plan.environment or 'default'}"]
    if plan.api_url:
        parts.append(f"API: {plan.api_url}")
    if plan.targets:
        parts.append(f"targets: {', '.join(plan.targets)}")
    if plan.prune:
        parts.append("prune: on")
    return " · ".join(parts)


def _name_list(label: str, names: Sequence[str]) -> list[str]:
    """`Label (N): a, b, c` wrapped to WIDTH with a hanging indent."""
    head = f"{label} ({len(names)}): "
    lines: list[str] = []
    current = head
    for index, name in enumerate(names):
        item = name + ("," if index < len(names) - 1 else "")
        if current.strip() and current != head and len(current) + len(item) > WIDTH:
            lines.append(current.rstrip())
            current = "    "
        current += item + " "
    return [*lines, current.rstrip()]


def _count_line(label: str, names: Sequence[str]) -> str:  # `Unchanged: 300 routers`
    return f"{label}: {_plural(len(names), 'router')} (list them with --verbose)"


def render_plan(
    plan: Plan, *, color: bool = False, verbose: bool = False, title: str = "routerctl plan"
) -> str:
    """Terraform-style text: `+ ~ -` per router, field changes indented, unchanged fields
    summarised (shown in full with `verbose`), the closing `Plan: …` or `No changes.` line.
    Unchanged/unmanaged routers are counts unless `verbose`: at 300 they bury the changes."""
    paint = _painter(color)
    lines = [inert(plan_header(plan, title)), ""]
    lines += [paint("!", f"! {warning}") for warning in plan.warnings]
    if plan.warnings:
        lines.append("")
    for change in plan.changes:
        lines += [paint(kind, text) for kind, text in _change_lines(change, verbose)]
        lines += [*preview_text(change.routing_preview), ""]
    info = [
        ("dim", UNCHANGED, plan.unchanged),
        ("", PRUNABLE, plan.prunable),
        ("", PROTECTED, plan.protected),
        ("dim", FOREIGN, [f"{n} ({e})" for n, e in plan.foreign.items()]),
        ("dim", UNMANAGED, plan.unmanaged),
    ]
    for kind, label, names in info:
        if names and not verbose and label in (UNCHANGED, UNMANAGED):
            lines.append(paint(kind, _count_line(label, names)))
        elif names:
            lines += [paint(kind, line) for line in _name_list(label, names)]
    has_costs = bool(plan.costs and plan.costs.get("routers"))
    if plan.costs and has_costs:
        lines += ["", *_render_costs_text(plan.costs)]
    if any(names for _, _, names in info) or has_costs:
        lines.append("")
    lines += [*(paint("dim", x) for x in plan.reads_lines()), paint("bold", plan.summary_line())]
    return "\n".join(lines) + "\n"


def _render_costs_text(costs: dict[str, Any]) -> list[str]:
    lines = ["Monthly cost (traffic profile):"]
    for row in costs.get("routers", []):
        lines.append(f"  {row['name']}: {format_cost_row(row)}")
    return lines
