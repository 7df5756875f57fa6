"""One router's change as (kind, text) lines, built once: the text renderer paints them by
kind, the markdown renderer turns the kind into a first-column diff marker."""

from __future__ import annotations

import difflib
from typing import Any

from routerctl.plan import Action, Change, FieldChange
from routerctl.render.common import (
    _SYMBOL,
    DIFF_CONTEXT,
    WIDTH,
    Line,
    _fmt_list,
    _plural,
    _q,
    _split_path,
    _task_label,
    _units,
    _wrap,
)

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
