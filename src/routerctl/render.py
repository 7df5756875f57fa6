"""Render plans and apply results as text, JSON or markdown. Pure functions returning strings:
no echo, no clock, no terminal size. Colour is an explicit argument.
"""

from __future__ import annotations

import difflib
import json
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from routerctl.plan import Action, Change, FieldChange, Plan

if TYPE_CHECKING:
    from routerctl.apply import ApplyResult

MARKDOWN_LIMIT = 60_000  # GitHub rejects comments over 65,536 characters
MARKDOWN_MARKER = "<!-- routerctl-plan -->"
LONG_TEXT = 60  # descriptions longer than this are shown as a line diff

_COLORS = {"+": "32", "-": "31", "~": "33", "!": "1;31", "dim": "2", "bold": "1"}
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(kind: str, text: str) -> str:
        return f"\x1b[{_COLORS[kind]}m{text}\x1b[0m" if color else text

    return paint


def _fmt_list(items: Sequence[Any]) -> str:
    return "[" + ", ".join(str(i) for i in items) + "]"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def plan_header(plan: Plan) -> str:
    env = plan.environment or "default"
    api = plan.api_url or "(not contacted)"
    return f"routerctl plan · environment: {env} · API: {api}"


def render_plan(plan: Plan, *, color: bool = False, verbose: bool = False) -> str:
    """Terraform-style text: `+ ~ -` per router, field changes indented, closing summary."""
    paint = _painter(color)
    lines = [plan_header(plan), ""]
    for warning in plan.warnings:
        lines.append(paint("!", "! ") + warning)
    if plan.warnings:
        lines.append("")
    for change in plan.changes:
        lines += _render_change(change, paint, verbose)
        lines.append("")
    if plan.unchanged:
        lines.append(paint("dim", f"Unchanged: {', '.join(plan.unchanged)}"))
    if plan.prunable:
        lines.append(
            f"Not in the files, in prune scope (pass --prune to delete): {', '.join(plan.prunable)}"
        )
    if plan.protected:
        lines.append(f"Not in the files but protected (never deleted): {', '.join(plan.protected)}")
    if plan.unmanaged:
        lines.append(
            paint("dim", f"Not managed here (left untouched): {', '.join(plan.unmanaged)}")
        )
    if plan.costs:
        lines += ["", *_render_costs_text(plan.costs)]
    if plan.unchanged or plan.prunable or plan.protected or plan.unmanaged or plan.costs:
        lines.append("")
    lines.append(paint("bold", plan.summary_line()))
    return "\n".join(lines) + "\n"


def _render_change(change: Change, paint: Callable[[str, str], str], verbose: bool) -> list[str]:
    symbol = _SYMBOL[change.action]
    head = f"{symbol} {change.action.value} {change.name}"
    if change.renamed_from:
        head = f"{symbol} rename {change.renamed_from} → {change.name}"
    if change.uuid:
        head += paint("dim", f"  (uuid {change.uuid})")
    lines = [paint(symbol, head)]
    for warning in change.warnings:
        lines.append("    " + paint("!", "! " + warning))
    if change.action is Action.CREATE and change.after is not None:
        lines += _render_state(change.after, "+", paint)
    elif change.action is Action.DELETE and change.before is not None:
        if verbose:
            lines += _render_state(change.before, "-", paint)
    else:
        for field in change.fields:
            lines += _render_field(field, paint)
        if change.before is not None and change.after is not None:
            summary = _unchanged_summary(change)
            if summary:
                lines.append("    " + paint("dim", summary))
    return lines


def _render_state(state: dict[str, Any], sign: str, paint: Callable[[str, str], str]) -> list[str]:
    lines = []
    if state["description"]:
        lines += _wrapped(f"{sign} description: ", state["description"], sign, paint)
    for key, task in state["tasks"].items():
        lines.append(paint(sign, f"    {sign} task {key} (prefer: {task['prefer']})"))
        lines += _wrapped(f"{sign} description: ", task["description"], sign, paint, indent=4)
        lines.append(paint(sign, f"        {sign} models: {_fmt_list(task['models'])}"))
    for slug, preset in state["presets"].items():
        lines.append(
            paint(
                sign,
                f"    {sign} preset {slug} (prefer: {preset['prefer']}): "
                f"{_fmt_list(preset['models'])}",
            )
        )
    lines.append(paint(sign, f"    {sign} fallback_models: {_fmt_list(state['fallback_models'])}"))
    return lines


def _wrapped(
    prefix: str, text: str, sign: str, paint: Callable[[str, str], str], indent: int = 0
) -> list[str]:
    pad = " " * (4 + indent)
    body = textwrap.wrap(text, 88 - len(pad) - len(prefix)) or [""]
    first = paint(sign, f"{pad}{prefix}{_q(body[0]) if len(body) == 1 else body[0]}")
    rest = [paint(sign, f"{pad}{' ' * len(prefix)}{line}") for line in body[1:]]
    return [first, *rest]


def _render_field(field: FieldChange, paint: Callable[[str, str], str]) -> list[str]:
    pad = "    "
    label = _label(field.path)
    if field.kind == "added":
        if isinstance(field.after, dict):
            lines = [paint("+", f"{pad}+ {label}{_prefer_suffix(field.after)}")]
            if "description" in field.after:
                lines += _wrapped("+ description: ", field.after["description"], "+", paint, 4)
            lines.append(paint("+", f"{pad}    + models: {_fmt_list(field.after['models'])}"))
            return lines
        return [paint("+", f"{pad}+ {label}: {field.after!r}")]
    if field.kind == "removed":
        return [paint("-", f"{pad}- {label}")]
    if field.path.endswith("description") and isinstance(field.after, str):
        return _render_text_change(label, field.before or "", field.after, paint)
    if isinstance(field.after, list):
        order = ""
        if field.path.endswith(".models"):
            order = "order matters" if any(":" in n for n in field.notes) else ""
        lines = [
            paint(
                "~",
                f"{pad}~ {label}: {_fmt_list(field.before or [])} → {_fmt_list(field.after)}"
                + (f"  ({order})" if order else ""),
            )
        ]
        for note in field.notes:
            kind = note[0] if note[0] in "+-" else "~"
            lines.append(paint(kind, f"{pad}    {note}"))
        return lines
    return [paint("~", f"{pad}~ {label}: {field.before} → {field.after}")]


def _render_text_change(
    label: str, before: str, after: str, paint: Callable[[str, str], str]
) -> list[str]:
    pad = "    "
    if len(before) <= LONG_TEXT and len(after) <= LONG_TEXT and "\n" not in before + after:
        return [paint("~", f"{pad}~ {label}: {_q(before)} → {_q(after)}")]
    old = _text_lines(before)
    new = _text_lines(after)
    lines = [paint("~", f"{pad}~ {label}:")]
    for row in difflib.ndiff(old, new):
        if row.startswith("? "):
            continue
        sign = row[0] if row[0] in "+-" else " "
        text = f"{pad}    {sign} {row[2:]}"
        lines.append(paint(sign, text) if sign != " " else paint("dim", text))
    return lines


def _text_lines(text: str) -> list[str]:
    out: list[str] = []
    for para in text.split("\n"):
        out += textwrap.wrap(para, 76) or [""]
    return out


def _label(path: str) -> str:
    parts = path.split(".", 2)
    if parts[0] in ("tasks", "presets") and len(parts) >= 2:
        kind = "task" if parts[0] == "tasks" else "preset"
        rest = f" {parts[2]}" if len(parts) == 3 else ""
        return f"{kind} {parts[1]}{rest}"
    return path


def _prefer_suffix(body: dict[str, Any]) -> str:
    return f" (prefer: {body['prefer']})" if "prefer" in body else ""


def _unchanged_summary(change: Change) -> str:
    if change.before is None or change.after is None:
        return ""
    touched_tasks = {
        tuple(f.path.split(".")[:2]) for f in change.fields if f.path.startswith(("tasks", "pre"))
    }
    same_tasks = [
        k
        for section in ("tasks", "presets")
        for k in change.after[section]
        if (section, k) not in touched_tasks and k in change.before[section]
    ]
    parts = []
    if same_tasks:
        parts.append(f"{len(same_tasks)} unchanged task{'s' if len(same_tasks) != 1 else ''}")
    touched = {f.path.split(".")[0] for f in change.fields}
    for name in ("description", "fallback_models"):
        if name not in touched:
            parts.append(f"{name} unchanged")
    return "(" + ", ".join(parts) + ")" if parts else ""


def _render_costs_text(costs: dict[str, Any]) -> list[str]:
    lines = ["Monthly cost (traffic profile):"]
    for row in costs.get("routers", []):
        lines.append(f"  {row['name']}: {row['text']}")
    return lines


def render_plan_json(plan: Plan) -> str:
    """The versioned JSON plan (also the saved-plan format)."""
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_plan_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary table first, details collapsible, under `limit` chars."""
    env = plan.environment or "default"
    head = [
        MARKDOWN_MARKER,
        f"### routerctl plan — `{env}`",
        "",
        f"**{plan.summary_line()}**",
        "",
    ]
    if plan.changes:
        head += ["| | router | action | changes |", "|---|---|---|---|"]
        for change in plan.changes:
            symbol = _SYMBOL[change.action]
            action = change.action.value
            if change.renamed_from:
                action = f"rename from `{change.renamed_from}`"
            name = f"`{change.name}`"
            if change.action is Action.DELETE:
                name, action = f"**{name}**", f"**{action}**"
            head.append(f"| {symbol} | {name} | {action} | {_count_fields(change)} |")
        head.append("")
    for warning in plan.warnings + tuple(w for c in plan.changes for w in c.warnings):
        head.append(f"> [!WARNING]\n> {warning}\n")
    extra = []
    if plan.prunable:
        extra.append(f"Not in files, in prune scope (needs `--prune`): {_codes(plan.prunable)}")
    if plan.protected:
        extra.append(f"Protected (never deleted): {_codes(plan.protected)}")
    if plan.unmanaged:
        extra.append(f"Not managed here: {_codes(plan.unmanaged)}")
    if plan.costs:
        extra.append(
            "**Monthly cost**: "
            + "; ".join(f"`{r['name']}` {r['text']}" for r in plan.costs.get("routers", []))
        )
    head += [f"- {e}" for e in extra]
    if extra:
        head.append("")
    details = []
    for change in plan.changes:
        body = "\n".join(_render_change(change, _painter(False), verbose=True))
        details.append(
            f"<details><summary>{_SYMBOL[change.action]} <code>{change.name}</code></summary>"
            f"\n\n```diff\n{body}\n```\n</details>\n"
        )
    text = "\n".join(head)
    footer = f"\n<sub>{plan_header(plan)}</sub>\n"
    for index, block in enumerate(details):
        if len(text) + len(block) + len(footer) + 200 > limit:
            left = len(details) - index
            text += (
                f"\n_…{left} more router detail block{'s' if left != 1 else ''} truncated to stay "
                "under the comment size limit; see the full plan in the CI log or artifact._\n"
            )
            break
        text += "\n" + block
    return text + footer


def _codes(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _count_fields(change: Change) -> str:
    if change.action is Action.CREATE:
        state = change.after or {}
        return f"{len(state.get('tasks', {}))} tasks, {len(state.get('presets', {}))} presets"
    if change.action is Action.DELETE:
        return "router removed"
    return ", ".join(_label(f.path) for f in change.fields)


def render_plan_as(plan: Plan, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_plan_json(plan)
    if fmt == "markdown":
        return render_plan_markdown(plan)
    return render_plan(plan, color=color)


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
        if outcome.error:
            line += f"\n           {outcome.error}"
        lines.append(paint(_STATUS_SIGN[outcome.status], line))
    lines += ["", paint("bold", result.summary_line())]
    return "\n".join(lines) + "\n"
