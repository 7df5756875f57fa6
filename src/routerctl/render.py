"""Render plans and apply results as text, JSON or markdown. Pure functions returning strings:
no echo, no clock, no terminal size. Colour is an explicit argument.

Values from files and the API are made inert on the way out (redact.inert, md_code, md_text).

A router's change is built once as (kind, text) lines; the text renderer paints them by kind
and the markdown renderer turns the kind into a first-column diff marker, which is the only
place GitHub's ```diff highlighting looks.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from routerctl.plan import Action, Change, FieldChange, Plan
from routerctl.redact import html_text, inert, md_code, md_text, scrub
from routerctl.render_cost import format_cost_row
from routerctl.render_routing import preview_markdown, preview_text

if TYPE_CHECKING:
    from routerctl.outcome import ApplyResult

MARKDOWN_LIMIT = 60_000  # GitHub rejects comments over 65,536 characters
MARKDOWN_MARKER = "<!-- routerctl-plan -->"
WIDTH = 100  # a one-line `old → new` longer than this is split over two lines
TEXT_WIDTH = 76  # descriptions are wrapped to this many columns
DIFF_CONTEXT = 2  # unchanged sentences shown around a change in a long description

_COLORS = {"+": "32", "-": "31", "~": "33", "!": "1;31", "dim": "2", "bold": "1"}
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
_GUTTER = {"+": "+", "-": "-", "~": "!", "!": "!"}  # ```diff colours only column 0
# Labels of the router lists under the changes (text and markdown).
UNCHANGED = "Unchanged"
PRUNABLE = "Not in the files; deleted only with --prune"
PROTECTED = "Not in the files; protected, never deleted"
UNMANAGED = "Not managed here (outside the prune scope), left untouched"
FOREIGN = "Another environment's (its mapping makes or matches the name), left untouched"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]+")

Line = tuple[str, str]  # (kind, text); kind is a key of _COLORS or "" for plain
Paint = Callable[[str, str], str]


def _painter(color: bool) -> Paint:
    def paint(kind: str, text: str) -> str:
        text = inert(text)
        return f"\x1b[{_COLORS[kind]}m{text}\x1b[0m" if color and kind else text

    return paint


# --- small formatting helpers ------------------------------------------------------------------


def _fmt_list(items: Sequence[Any]) -> str:
    return "[" + ", ".join(str(i) for i in items) + "]"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _key(key: str) -> str:
    """A task key as shown: bare when it is a plain word, quoted when it has spaces etc."""
    return key if _PLAIN_KEY.fullmatch(key) else _q(key)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _wrap(text: str, width: int = TEXT_WIDTH) -> list[str]:
    """Greedy word wrap. Never breaks inside a word (model ids and URLs stay whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*lines, current] if current or not lines else lines


def _units(text: str) -> list[str]:
    """A description split into the units a line diff compares: its lines, and within each
    line its sentences, so one edited sentence shows as one -/+ pair and not as a re-wrapped
    paragraph."""
    out: list[str] = []
    for line in text.split("\n"):
        out += _SENTENCE_END.split(line.strip()) if line.strip() else [""]
    return out


def _split_path(field: FieldChange) -> tuple[str, str, str]:
    """(section, key, sub) of a field path; section "" for router-level fields, sub "" for a
    whole task. Task keys are free text and may contain dots: whole-task changes are always
    added/removed and sub-field changes always `changed`, so the kind disambiguates."""
    section, _, rest = field.path.partition(".")
    if section not in ("tasks", "presets") or not rest:
        return "", "", field.path
    if field.kind != "changed":
        return section, rest, ""
    key, _, sub = rest.rpartition(".")
    return section, key, sub


def _task_label(section: str, key: str, *, markdown: bool = False) -> str:
    kind = "task" if section == "tasks" else "preset"
    return f"{kind} {md_code(key) if markdown else _key(key)}"


# --- building one router's lines ---------------------------------------------------------------


def _value_lines(pad: str, sign: str, label: str, value: Any, kind: str) -> list[Line]:
    """`+ label: value` for a value being added or removed (long text wrapped below)."""
    if isinstance(value, list):
        return [(kind, f"{pad}{sign} {label}: {_fmt_list(value)}")]
    text = str(value)
    inline = f"{pad}{sign} {label}: {_q(text)}"
    if "\n" not in text and len(inline) <= WIDTH:
        return [(kind, inline)]
    lines: list[Line] = [(kind, f"{pad}{sign} {label}:")]
    for unit in text.split("\n"):
        lines += [(kind, f"{pad}      {line}".rstrip()) for line in _wrap(unit)]
    return lines


def _task_block(pad: str, sign: str, section: str, key: str, body: dict[str, Any]) -> list[Line]:
    kind = sign if sign in "+-" else ""
    lines: list[Line] = [
        (kind, f"{pad}{sign} {_task_label(section, key)} (prefer: {body['prefer']})")
    ]
    if "description" in body:
        lines += _value_lines(pad + "    ", sign, "description", body["description"], kind)
    lines += _value_lines(pad + "    ", sign, "models", body["models"], kind)
    return lines


def _state_lines(state: dict[str, Any], sign: str) -> list[Line]:
    """Every field of a router state (a create, a delete, or unchanged context)."""
    kind = sign if sign in "+-" else ""
    pad = "    "
    lines: list[Line] = []
    if state["description"]:
        lines += _value_lines(pad, sign, "description", state["description"], kind)
    for section in ("tasks", "presets"):
        for key, body in state[section].items():
            lines += _task_block(pad, sign, section, key, body)
    lines += _value_lines(pad, sign, "fallback_models", state["fallback_models"], kind)
    return lines


def _arrow_lines(pad: str, label: str, before: str, after: str) -> list[Line]:
    one = f"{pad}~ {label}: {before} → {after}"
    if len(one) <= WIDTH:
        return [("~", one)]
    head = f"{pad}~ {label}: "
    return [("~", head + before), ("~", " " * (len(head) - 2) + "→ " + after)]


def _text_change_lines(pad: str, label: str, before: str, after: str) -> list[Line]:
    """A description change: `"old" → "new"` when each fits on a line, else a line diff of
    sentences with DIFF_CONTEXT unchanged ones around each change."""
    head = len(f"{pad}~ {label}: ")
    if "\n" not in before + after and head + max(len(_q(before)), len(_q(after))) <= WIDTH:
        return _arrow_lines(pad, label, _q(before), _q(after))
    old, new = _units(before), _units(after)
    inner = pad + "    "
    lines: list[Line] = [("~", f"{pad}~ {label}:")]

    def unit_lines(kind: str, sign: str, unit: str) -> list[Line]:
        wrapped = _wrap(unit)
        first = f"{inner}{sign} {wrapped[0]}".rstrip()
        return [(kind, first)] + [(kind, f"{inner}  {w}") for w in wrapped[1:]]

    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(DIFF_CONTEXT))
    hidden_before = groups[0][0][1] if groups else 0
    for number, group in enumerate(groups):
        start = group[0][1]
        previous_end = groups[number - 1][-1][2] if number else 0
        skipped = start - previous_end if number else hidden_before
        if skipped:
            lines.append(("dim", f"{inner}# ({_plural(skipped, 'unchanged sentence')} hidden)"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for unit in old[i1:i2]:
                    lines += unit_lines("dim", " ", unit)
                continue
            for unit in old[i1:i2]:
                lines += unit_lines("-", "-", unit)
            for unit in new[j1:j2]:
                lines += unit_lines("+", "+", unit)
    trailing = len(old) - groups[-1][-1][2] if groups else 0
    if trailing:
        lines.append(("dim", f"{inner}# ({_plural(trailing, 'unchanged sentence')} hidden)"))
    return lines


def _list_change_lines(pad: str, label: str, field: FieldChange, remark: str = "") -> list[Line]:
    lines = _arrow_lines(pad, label, _fmt_list(field.before or []), _fmt_list(field.after or []))
    for note in field.notes:
        if note[:2] in ("+ ", "- "):
            lines.append((note[0], f"{pad}    {note}"))
        else:
            lines.append(("~", f"{pad}    ~ {note}"))
    if remark:
        lines.append(("dim", f"{pad}    # {remark}"))
    return lines


def _pool_remark(field: FieldChange, prefer: str | None) -> str:
    """Why a reordered pool shows no moves: its policy ignores the order."""
    before, after = list(field.before or []), list(field.after or [])
    kept_before = [m for m in before if m in after]
    kept_after = [m for m in after if m in before]
    if prefer and prefer != "none" and kept_before != kept_after:
        return f"order not compared: prefer {prefer} ranks the pool itself"
    return ""


def _field_lines(change: Change, field: FieldChange, pad: str, label: str) -> list[Line]:
    if isinstance(field.after, list) or isinstance(field.before, list):
        remark = ""
        section, key, sub = _split_path(field)
        if sub == "models" and change.after is not None:
            remark = _pool_remark(field, change.after.get(section, {}).get(key, {}).get("prefer"))
        return _list_change_lines(pad, label, field, remark)
    if label == "description" and isinstance(field.after, str):
        before = field.before if isinstance(field.before, str) else str(field.before or "")
        return _text_change_lines(pad, label, before, field.after)
    return _arrow_lines(pad, label, str(field.before), str(field.after))


def _update_lines(change: Change, verbose: bool) -> list[Line]:
    pad = "    "
    lines: list[Line] = []
    group: tuple[str, str] | None = None
    for field in change.fields:
        section, key, sub = _split_path(field)
        if not section:
            group = None
            lines += _field_lines(change, field, pad, field.path)
        elif not sub:
            group = None
            body = field.after if field.kind == "added" else field.before
            sign = "+" if field.kind == "added" else "-"
            lines += _task_block(pad, sign, section, key, body or {"prefer": "?", "models": []})
        else:
            if group != (section, key):
                group = (section, key)
                lines.append(("~", f"{pad}~ {_task_label(section, key)}"))
            lines += _field_lines(change, field, pad + "    ", sub)
    if change.before is not None and change.after is not None:
        if verbose:
            lines += _unchanged_lines(change)
        else:
            summary = _unchanged_summary(change)
            if summary:
                lines.append(("dim", f"{pad}# {summary}"))
    return lines


def _touched(change: Change) -> tuple[set[str], set[tuple[str, str]]]:
    top: set[str] = set()
    tasks: set[tuple[str, str]] = set()
    for field in change.fields:
        section, key, _ = _split_path(field)
        if section:
            tasks.add((section, key))
        else:
            top.add(field.path)
    return top, tasks


def _same_tasks(change: Change) -> list[tuple[str, str]]:
    after = change.after or {}
    before = change.before or {}
    _, touched = _touched(change)
    return [
        (section, key)
        for section in ("tasks", "presets")
        for key in after.get(section, {})
        if (section, key) not in touched and key in before.get(section, {})
    ]


def _unchanged_summary(change: Change) -> str:
    """`unchanged: description, 2 tasks, 1 preset, fallback_models` (what the diff hides)."""
    top, _ = _touched(change)
    same = _same_tasks(change)
    parts = []
    if "description" not in top:
        parts.append("description")
    tasks = sum(1 for section, _ in same if section == "tasks")
    presets = len(same) - tasks
    if tasks:
        parts.append(_plural(tasks, "task"))
    if presets:
        parts.append(_plural(presets, "preset"))
    if "fallback_models" not in top:
        parts.append("fallback_models")
    return "unchanged: " + ", ".join(parts) if parts else ""


def _unchanged_lines(change: Change) -> list[Line]:
    """--verbose: the unchanged fields in full, as context."""
    after = change.after or {}
    top, _ = _touched(change)
    pad = "    "
    lines: list[Line] = []
    if "description" not in top and after.get("description"):
        lines += _value_lines(pad, " ", "description", after["description"], "dim")
    for section, key in _same_tasks(change):
        lines += [("dim", t) for _, t in _task_block(pad, " ", section, key, after[section][key])]
    if "fallback_models" not in top:
        lines += _value_lines(pad, " ", "fallback_models", after["fallback_models"], "dim")
    return lines


def _change_lines(change: Change, verbose: bool = False) -> list[Line]:
    symbol = _SYMBOL[change.action]
    head = f"{symbol} {change.action.value} {change.name}"
    if change.renamed_from:
        head = f"{symbol} rename {change.renamed_from} → {change.name}"
    if change.uuid:
        head += f"  (uuid {change.uuid})"
    lines: list[Line] = [(symbol, head)]
    lines += [("!", f"    ! {warning}") for warning in change.warnings]
    if change.action is Action.CREATE and change.after is not None:
        lines += _state_lines(change.after, "+")
    elif change.action is Action.DELETE and change.before is not None:
        lines += _state_lines(change.before, "-")
    else:
        lines += _update_lines(change, verbose)
    return lines


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


# --- json ---------------------------------------------------------------------------------------


def render_plan_json(plan: Plan) -> str:
    """The versioned JSON plan (also the saved-plan format)."""
    # inert() rewrites what json.dumps left raw in strings (DEL, C1, bidi) as \u escapes.
    return scrub(inert(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False), lines=True)) + "\n"


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


def render_plan_as(plan: Plan, fmt: str, *, color: bool = False, verbose: bool = False) -> str:
    if fmt == "json":
        return render_plan_json(plan)
    if fmt == "markdown":
        return render_plan_markdown(plan, verbose=verbose)
    return render_plan(plan, color=color, verbose=verbose)


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
