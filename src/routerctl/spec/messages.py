"""Issues in the file's vocabulary: pydantic errors as YAML kinds, did-you-mean hints."""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from routerctl.errors import Issue
from routerctl.models import PREFER_VALUES, PresetSpec, RouterSpec, RoutingCase, TaskSpec
from routerctl.spec.document import Document, _kind


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model whose fields are allowed at `loc` (for did-you-mean)."""
    if len(loc) == 0:
        return RouterSpec
    if len(loc) == 2 and loc[0] == "tasks":
        return TaskSpec
    if len(loc) == 2 and loc[0] == "presets":
        return PresetSpec
    if len(loc) == 2 and loc[0] == "tests":
        return RoutingCase
    return None


SUGGEST_MAX_CHOICES = 1000
SUGGEST_MAX_CHARS = 100


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' or ''. Only a hint, so bounded: a long word or a huge list of
    choices (a hostile file calls this once per bad key) gets no suggestion."""
    options = [c for c in choices if len(c) <= SUGGEST_MAX_CHARS]
    if len(word) > SUGGEST_MAX_CHARS or len(options) > SUGGEST_MAX_CHOICES:
        return ""
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def _type_message(err: Any) -> str:
    """Pydantic's type errors in the file's vocabulary (YAML kinds, not Python classes)."""
    value = err.get("input")
    kind = err["type"]
    got = _kind(value)
    if kind == "string_type":
        hint = ""
        if isinstance(value, bool):
            hint = "; quote it (YAML reads yes/no/on/off/true/false as booleans)"
        elif isinstance(value, int | float | datetime.date):
            hint = "; quote it"
        return f"expected a string, got {got}{hint}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if kind == "list_type":
        hint = f"; write [{value}]" if isinstance(value, str) else ""
        return f"expected a list, got {got}{hint}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if value is None:
            return "expected a mapping, got an empty value (is the block below it mis-indented?)"
        return f"expected a mapping, got {got}"
    shown = repr(value) if not isinstance(value, dict | list) else _kind(value)
    return f"{err['msg']} (got {shown})"


def _pydantic_issues(doc: Document, exc: ValidationError) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            model = _model_at(loc[:-1])
            allowed = sorted(model.model_fields) if model else []
            hint = suggest(key, allowed) or (f"; allowed: {', '.join(allowed)}" if allowed else "")
            issues.append(doc.issue(loc, f"unknown key {key!r}{hint}", code="unknown-key"))
        elif kind == "missing":
            key = str(loc[-1])
            issues.append(doc.issue(loc[:-1], f"missing required key {key!r}", code="missing"))
        elif kind == "literal_error":
            value = err.get("input")
            issues.append(
                doc.issue(
                    loc,
                    f"{value!r} is not a valid value; use one of {', '.join(PREFER_VALUES)}"
                    + suggest(str(value), PREFER_VALUES),
                    code="bad-enum",
                )
            )
        else:
            issues.append(doc.issue(loc, _type_message(err), code="bad-type"))
    return issues
