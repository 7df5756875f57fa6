"""What the plan renderers share: limits and labels, the painter, small formatting helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from routerctl.plan import Action, FieldChange
from routerctl.redact import inert, md_code

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
