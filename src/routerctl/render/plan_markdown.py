"""The markdown plan: a pull-request comment that stays under GitHub's size limit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from routerctl.plan import Action, Change, Plan
from routerctl.redact import html_text, inert, md_code, md_text
from routerctl.render.common import (
    _GUTTER,
    _SYMBOL,
    FOREIGN,
    MARKDOWN_LIMIT,
    MARKDOWN_MARKER,
    PROTECTED,
    PRUNABLE,
    UNCHANGED,
    UNMANAGED,
    _plural,
    _split_path,
    _task_label,
)
from routerctl.render.lines import _change_lines
from routerctl.render.plan_text import _count_line, plan_header
from routerctl.render_cost import format_cost_row
from routerctl.render_routing import preview_markdown

# --- markdown -----------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _action_text(change: Change) -> str:
    if change.renamed_from:
        return f"rename from {md_code(change.renamed_from)}"
    return change.action.value


def _table_row(change: Change) -> str:
    symbol = _SYMBOL[change.action]
    name, action = md_code(change.name), _action_text(change)
    if change.action is Action.DELETE:
        name, action = f"**{name}**", f"**{action}**"
    what = _what(change)
    if change.agents:  # agents use the router being deleted or renamed
        what = f"**in use by {_plural(len(change.agents), 'agent')}**; {what}"
    return f"| {symbol} | {_md_cell(name)} | {_md_cell(action)} | {_md_cell(what)} |"


def _what(change: Change) -> str:
    """The table's `changes` cell: what a change touches, by task key."""
    state = change.after if change.action is Action.CREATE else change.before
    if change.action is not Action.UPDATE:
        state = state or {}
        parts = [
            _plural(len(state[section]), section[:-1])
            for section in ("tasks", "presets")
            if state.get(section)
        ]
        return ", ".join(parts) or "no tasks"
    out: list[str] = []
    subs: dict[tuple[str, str], list[str]] = {}
    for field in change.fields:
        section, key, sub = _split_path(field)
        if not section:
            if field.path != "name":
                out.append(field.path)
        elif not sub:
            out.append(f"{_task_label(section, key, markdown=True)} {field.kind}")
        else:
            if (section, key) not in subs:
                subs[(section, key)] = []
                out.append("")  # placeholder, filled below to keep field order
            subs[(section, key)].append(sub)
    filled = iter(
        f"{_task_label(section, key, markdown=True)} ({', '.join(parts)})"
        for (section, key), parts in subs.items()
    )
    return "; ".join(part or next(filled) for part in out) or "name only"


def _diff_block(change: Change) -> str:
    body = "\n".join(
        f"{_GUTTER.get(kind, ' ')} {inert(text)}".rstrip() for kind, text in _change_lines(change)
    )
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    action = change.action.value
    if change.renamed_from:
        action = f"rename from <code>{html_text(change.renamed_from)}</code>"
    summary = f"{_SYMBOL[change.action]} <code>{html_text(change.name)}</code> {action}"
    if change.action is Action.DELETE:
        summary = f"<b>{summary}</b>"
    return f"<details><summary>{summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n</details>\n"


def _names_bullet(label: str, names: Sequence[str], room: int) -> tuple[str, int]:
    """`- Label (N): a, b` cut to `room` characters; returns the bullet and names left out."""
    head = f"- {label} ({len(names)}): "
    shown: list[str] = []
    used = len(head)
    for index, name in enumerate(names):
        item = md_code(name)
        tail = len(f", … {len(names) - index} more") if index < len(names) - 1 else 0
        if used + len(item) + 2 + tail > room:
            left = len(names) - index
            return head + ", ".join([*shown, f"… {left} more"]), left
        shown.append(item)
        used += len(item) + 2
    return head + ", ".join(shown), 0


def render_plan_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT, verbose: bool = False) -> str:
    """A pull-request comment: the summary table first (deletes in bold), warnings, then one
    collapsible diff per router. Stays under `limit` characters: when it would not, router
    details go first, then table rows (deletes kept longest), and a notice says so."""
    footer = f"<sub>{html_text(' · '.join([plan_header(plan), *plan.reads_lines()]))}</sub>\n"
    notice_room = 400
    budget = limit - len(footer) - notice_room
    text = "\n".join(
        [
            MARKDOWN_MARKER,
            f"### routerctl plan — {md_code(plan.environment or 'default')}",
            "",
            f"**{plan.summary_line()}**",
            "",
        ]
    )
    text += "\n"
    left_out: list[str] = []

    if plan.changes:
        rows = [_table_row(c) for c in plan.changes]
        table_head = "| | router | action | changes |\n|---|---|---|---|\n"
        room = budget - len(text) - len(table_head) - 100  # 100: the "… more" row
        keep: set[int] = set()
        priority = sorted(
            range(len(rows)), key=lambda i: (plan.changes[i].action is not Action.DELETE, i)
        )
        for i in priority:
            if len(rows[i]) + 1 > room:
                break
            keep.add(i)
            room -= len(rows[i]) + 1
        text += table_head + "".join(rows[i] + "\n" for i in range(len(rows)) if i in keep)
        if len(keep) < len(rows):
            missing = len(rows) - len(keep)
            text += f"| | _… {_plural(missing, 'more router')}_ | | |\n"
            left_out.append(_plural(missing, "table row"))
        text += "\n"

    warnings = [*plan.warnings, *(w for c in plan.changes for w in c.warnings)]
    for index, warning in enumerate(warnings):
        block = f"> [!WARNING]\n> {md_text(warning)}\n\n"
        if len(text) + len(block) > budget:
            left_out.append(_plural(len(warnings) - index, "warning"))
            break
        text += block

    lists = [
        (PRUNABLE, plan.prunable),
        (PROTECTED, plan.protected),
        (FOREIGN, [f"{n} ({e})" for n, e in plan.foreign.items()]),
        (UNMANAGED, plan.unmanaged),
        (UNCHANGED, plan.unchanged),
    ]
    bullets: list[str] = []
    for label, names in lists:
        if names and not verbose and label in (UNCHANGED, UNMANAGED):
            bullets.append(f"- {_count_line(label, names)}")
        elif names:
            room = min(4000, budget - len(text) - sum(len(b) + 1 for b in bullets))
            bullet, missing = _names_bullet(label, names, room)
            bullets.append(bullet)
            if missing:
                left_out.append(f"{missing} names from {label!r}")
    if plan.costs and plan.costs.get("routers"):
        bullets.append(
            "- **Monthly cost**: "
            + "; ".join(
                f"{md_code(r['name'])} {md_text(format_cost_row(r))}"
                for r in plan.costs.get("routers", [])
            )
        )
    if bullets:
        text += "\n".join(bullets) + "\n\n"

    for index, change in enumerate(plan.changes):
        block = _diff_block(change) + preview_markdown(change.routing_preview)
        if len(text) + len(block) + 1 > budget:
            left_out.append(_plural(len(plan.changes) - index, "router detail"))
            break
        text += block + "\n"

    if left_out:
        text += (
            f"> [!NOTE]\n> Truncated to stay under the comment size limit ({limit:,} characters): "
            f"{', '.join(left_out)} left out. The full plan is in the CI log or the saved plan "
            "(`routerctl plan --out plan.json`).\n\n"
        )
    return text + footer
