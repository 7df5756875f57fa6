"""Find and read router files: safe YAML with line numbers, schema and semantic checks,
cross-file checks. Every problem in every file is collected into one report.

This is the only module that imports yaml. It never touches the network.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from routerctl import fsio
from routerctl.discover import ROUTER_SUFFIXES as ROUTER_SUFFIXES
from routerctl.discover import TESTS_SUFFIXES as TESTS_SUFFIXES
from routerctl.discover import find_router_files as find_router_files
from routerctl.discover import scan_router_files, shown_path
from routerctl.errors import ConfigError, Issue, Severity, SpecError
from routerctl.models import (
    FALLBACK_ROUTE,
    PREFER_VALUES,
    PresetSpec,
    ProjectSettings,
    RouterSpec,
    RoutingCase,
    TaskSpec,
)
from routerctl.overlay import OVERLAY_KEYS, rename_for_environment
from routerctl.overlay import Overlay as Overlay
from routerctl.overlay import deep_merge as deep_merge
from routerctl.similarity import SIMILAR_DESCRIPTION_RATIO as SIMILAR_DESCRIPTION_RATIO
from routerctl.similarity import (
    SIMILAR_MAX_TASKS,
    SimilarityWork,
    similar_descriptions,
)

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000  # a router file has ~100 nodes; more means alias/anchor expansion abuse
MAX_MODELS_PER_TASK = 3  # "Each task has up to 3 models" (DO blog); not enforced by the spec
NAME_RE = re.compile(r"^[a-z0-9-]+$")  # use fullmatch: with match, `$` accepts a trailing "\n"
MAX_NAME_LEN = 255
# Numbers in a file: no router setting or traffic figure is anywhere near 10**15, and a bound
# keeps a 4,301-digit integer (which int() refuses with a ValueError) or a sexagesimal YAML
# 1.1 integer (1:2:3:… grows as 60**n) from reaching arithmetic or messages.
MAX_INT_DIGITS = 24
MAX_ABS_NUMBER = 10**15

try:  # libyaml is ~10x faster; validate on 1,000 files depends on it when available
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,misc,unused-ignore]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed YAML file: plain data plus the line/column of every key and item."""

    path: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    overlay: Document | None = None  # an environment overlay merged over this document

    def mark(self, loc: Sequence[str | int]) -> tuple[int, int]:
        """Line/col of the deepest known prefix of `loc` (1-based); (1, 1) for the file."""
        key = tuple(loc)
        while key:
            if key in self.marks:
                return self.marks[key]
            key = key[:-1]
        return self.marks.get((), (1, 1))

    def known_depth(self, loc: Sequence[str | int]) -> int:
        """Length of the longest prefix of `loc` that this document has a position for."""
        key = tuple(loc)
        while key and key not in self.marks:
            key = key[:-1]
        return len(key)

    def issue(
        self,
        loc: Sequence[str | int],
        message: str,
        *,
        severity: Severity = "error",
        code: str = "",
    ) -> Issue:
        # A value that came from the overlay is reported at the overlay's line: the overlay
        # knows `loc` at least as deeply as the base file does (mappings merge, values replace).
        source: Document = self
        if self.overlay is not None and self.overlay.known_depth(loc) >= max(
            self.known_depth(loc), 1
        ):
            source = self.overlay
        line, col = source.mark(loc)
        return Issue(source.path, line, col, format_loc(loc), message, severity, code)


@dataclass(frozen=True)
class RouterFile:
    """A router spec and where it came from."""

    spec: RouterSpec
    doc: Document

    @property
    def path(self) -> str:
        return self.doc.path


@dataclass
class LoadResult:
    routers: list[RouterFile]
    issues: list[Issue]
    files: int

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def specs(self) -> list[RouterSpec]:
        return [r.spec for r in self.routers]


def format_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


# --- reading YAML ---------------------------------------------------------------------------

MAX_DEPTH = 32  # a router file nests 4 deep (tasks.<key>.models[i]); more is a mistake or abuse
# Depth is counted on the event stream before composing: libyaml's composer segfaults near
# 20,000 levels, and from PyYAML 6.0.4 refuses 1,000 with its own message; ours must win.
_LIBYAML_NESTING = "maximum nesting depth"  # libyaml >= 0.2.6: "exceeded maximum nesting depth"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"


def _too_big(kind: str) -> str:
    return (
        f"{kind} number is out of range; numbers in routerctl files are at most "
        f"{MAX_ABS_NUMBER:,} (quote it if it is text)"
    )


class _Problem(Exception):
    def __init__(self, line: int, col: int, loc: Path_, message: str, code: str) -> None:
        super().__init__(message)
        self.line, self.col, self.loc, self.message, self.code = line, col, loc, message, code


def _kind(value: Any) -> str:
    """How a YAML value reads to a person: 'a string', 'a number (3)', 'null' …"""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, bytes):
        return "binary data"
    return f"a {type(value).__name__}"  # pragma: no cover - safe YAML has no other types


def read_document(
    path: str | Path,
    *,
    required_mapping: bool = True,
    root: str | Path | None = None,
    what: str = "router file",
) -> Document:
    """Read one YAML file safely. Raises SpecError (one issue) on anything unreadable: not a
    regular file (FIFO, device, directory), a dangling or looping symlink, a symlink from inside
    `root` to outside it, no permission, or more than MAX_FILE_BYTES (see fsio.read_bytes).
    Issues name the path as given, never a symlink's target."""
    name = str(path)
    try:
        raw = fsio.read_bytes(path, limit=MAX_FILE_BYTES, what=what, root=root)
    except fsio.FileProblem as exc:
        reason = exc.reason
        if exc.code == "file-too-large" and what == "router file":
            reason += " (split it, one router per file)"
        raise SpecError([Issue(name, 1, 1, "", reason, "error", exc.code)]) from None
    return parse_document(raw, name, required_mapping=required_mapping)


def parse_document(raw: bytes, name: str, *, required_mapping: bool = True) -> Document:
    """Parse bytes as one YAML document; see read_document.

    Refuses, with one located issue each: more than MAX_FILE_BYTES, bytes that are not UTF-8,
    YAML syntax errors, an empty document, duplicate keys, non-string keys, merge keys (<<),
    tags other than the standard ones, nesting deeper than MAX_DEPTH, recursive aliases, and
    alias expansion beyond MAX_NODES values.
    """

    def fail(line: int, col: int, message: str, code: str, loc: Path_ = ()) -> SpecError:
        return SpecError([Issue(name, line, col, format_loc(loc), message, "error", code)])

    if len(raw) > MAX_FILE_BYTES:
        raise fail(
            1,
            1,
            f"file is {len(raw):,} bytes; router files are limited to {MAX_FILE_BYTES:,} bytes "
            "(split it, one router per file)",
            "file-too-large",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(
            line,
            col,
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            "not-utf8",
        ) from None
    if "\x00" in text:
        raise fail(1, 1, "file contains NUL bytes; is it a binary file?", "not-utf8")
    try:
        _check_depth(text)
        node = yaml.compose(text, Loader=_Loader)
    except _Problem as deep:
        raise fail(deep.line, deep.col, deep.message, deep.code) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if _LIBYAML_NESTING in (exc.problem or ""):  # pragma: no cover - _check_depth is first
            raise fail(line, col, _too_deep(), "too-deep") from None
        problem = exc.problem or exc.context or "cannot parse"
        raise fail(line, col, f"invalid YAML: {problem}", "yaml-syntax") from None
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids (e.g. a control character): no mark, only a position.
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise fail(
            line,
            col,
            f"invalid YAML: control character U+{ord(char):04X} is not allowed; remove it",
            "yaml-syntax",
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml reports marks for the rest
        raise fail(1, 1, f"invalid YAML: {' '.join(str(exc).split())}", "yaml-syntax") from None
    except RecursionError:  # pragma: no cover - only the pure-Python composer recurses
        raise fail(1, 1, _too_deep(), "too-deep") from None
    if node is None or (node.tag == _NULL_TAG and node.value == ""):  # nothing, or a bare `---`
        raise fail(
            1,
            1,
            "file is empty; a router file needs at least `name` and `fallback_models`",
            "empty",
        )
    doc = Document(name, None)
    builder = _Builder(doc.marks)
    try:
        doc.data = builder.build(node, (), 0)
    except _Problem as problem:
        raise fail(problem.line, problem.col, problem.message, problem.code, problem.loc) from None
    finally:
        builder.constructor.dispose()
    if required_mapping and not isinstance(doc.data, dict):
        kind = _kind(doc.data)
        kind = kind.split(" (", 1)[0] if isinstance(doc.data, str) else kind
        raise fail(
            1,
            1,
            f"top level is {kind}; a router file is a mapping with `name:`, `tasks:`, "
            "`fallback_models:` …",
            "not-a-mapping",
        )
    return doc


def _too_deep() -> str:
    return f"values are nested more than {MAX_DEPTH} levels deep; a router file needs 4"


def _check_depth(text: str) -> None:
    """Raise _Problem where a collection opens deeper than MAX_DEPTH. On `[[[…` past 1,000 levels
    6.0.4's libyaml fails before any event, so the Python parser (no limit) re-reads up to there."""
    for loader in (_Loader, yaml.SafeLoader):
        depth = 0
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        at = event.start_mark
                        line, col = (at.line + 1, at.column + 1) if at else (1, 1)
                        raise _Problem(line, col, (), _too_deep(), "too-deep")
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
            return
        except yaml.MarkedYAMLError as exc:
            if loader is not _Loader or _LIBYAML_NESTING not in (exc.problem or ""):
                return  # the composer reports other errors (the Python parser has no limit)
            text = text[: exc.problem_mark.index + 1] if exc.problem_mark else text


class _Builder:
    """Turns a composed node tree into plain data, recording the line/col of every key and
    item, and refusing what a router file never needs (see parse_document)."""

    def __init__(self, marks: dict[Path_, tuple[int, int]]) -> None:
        self.marks = marks
        self.constructor = _Loader("")
        self.nodes = 0
        self.open: set[int] = set()  # collections being built: one seen again is a cycle

    def scalar(self, node: yaml.ScalarNode, loc: Path_) -> Any:
        if node.tag == _STR_TAG:  # most values: what the constructor would return, but cheaper
            return node.value
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if node.tag == _INT_TAG and sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
            raise _Problem(line, col, loc, _too_big(f"{len(node.value):,}-character"), "number")
        try:
            value = self.constructor.construct_object(node)
        except (ValueError, OverflowError, TypeError, AttributeError):  # !!timestamp 99999-1-1
            kind = node.tag.rsplit(":", 1)[-1]
            raise _Problem(
                line,
                col,
                loc,
                f"{node.value[:40]!r} cannot be read as a {kind}; quote it if it is text",
                "number" if kind in ("int", "float") else "yaml-tag",
            ) from None
        except yaml.YAMLError:
            raise _Problem(
                line,
                col,
                loc,
                f"unsupported YAML tag {node.tag!r}; router files use plain values",
                "yaml-tag",
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise _Problem(
                line,
                col,
                loc,
                f"{node.value!r} is not a finite number; write a number (or quote it for text)",
                "number",
            )
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and abs(value) > MAX_ABS_NUMBER:
            raise _Problem(line, col, loc, _too_big("a"), "number")
        return value

    def build(self, node: yaml.Node, loc: Path_, depth: int) -> Any:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        self.nodes += 1
        if self.nodes > MAX_NODES:
            # Aliases share nodes, so `line` is the anchor's; the top-level key is where to look.
            top_line, top_col = self.marks.get(loc[:1], (line, col))
            raise _Problem(
                top_line,
                top_col,
                loc[:1],
                f"document expands to more than {MAX_NODES:,} values (YAML anchors/aliases?); "
                "refusing to expand it",
                "alias-bomb",
            )
        self.marks.setdefault(loc, (line, col))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, loc)
        if depth >= MAX_DEPTH:
            raise _Problem(line, col, loc, _too_deep(), "too-deep")
        if id(node) in self.open:
            raise _Problem(
                line,
                col,
                loc,
                "recursive YAML alias: this collection contains itself",
                "alias-recursive",
            )
        if node.tag not in (_MAP_TAG, _SEQ_TAG):
            raise _Problem(
                line,
                col,
                loc,
                f"unsupported YAML tag {node.tag!r}; router files use plain mappings and lists",
                "yaml-tag",
            )
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.build(item, (*loc, index), depth + 1)
                    for index, item in enumerate(node.value)
                ]
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node, loc, depth)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, loc: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == _MERGE_TAG:
                raise _Problem(
                    line,
                    col,
                    loc,
                    "YAML merge keys (<<) are not supported; write the keys out",
                    "merge",
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Problem(line, col, loc, "mapping keys must be plain strings", "bad-key")
            key = self.scalar(key_node, loc)
            if not isinstance(key, str):
                raise _Problem(
                    line,
                    col,
                    loc,
                    f"key {key_node.value!r} is read as {_kind(key).split(' (', 1)[0]}, "
                    f'not a string; quote it: "{key_node.value}"',
                    "bad-key",
                )
            child = (*loc, key)
            if key in result:
                first_line = self.marks[child][0]
                raise _Problem(
                    line,
                    col,
                    child,
                    f"duplicate key {key!r} (first defined on line {first_line}); "
                    "YAML would silently keep only the last one",
                    "duplicate-key",
                )
            self.marks[child] = (line, col)
            result[key] = self.build(value_node, child, depth + 1)
        return result


# --- finding files --------------------------------------------------------------------------


# --- validation -------------------------------------------------------------------------------


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


# Rules that need the whole router: skipped when a salvaged spec lacks some of its tasks.
_WHOLE_ROUTER_CODES = frozenset({"no-tasks", "bad-expect-task"})


def _without(data: Any, loc: Sequence[str | int]) -> Any:
    """A copy of `data` with the value at `loc` removed (mappings only; `data` is untouched)."""
    if not loc or not isinstance(data, dict) or loc[0] not in data:
        return data
    copy = dict(data)
    if len(loc) == 1:
        del copy[loc[0]]
    else:
        copy[loc[0]] = _without(copy[loc[0]], loc[1:])
    return copy


def _salvage(data: dict[str, Any], exc: ValidationError) -> tuple[RouterSpec | None, bool]:
    """The router minus the parts that failed the schema, so the semantic rules can still report
    on the rest in the same run. Returns (spec or None, whether any task or preset was left out).

    Unknown keys are dropped; a task or preset with any other error is dropped whole; a broken
    `tests:` list is dropped whole (dropping single cases would shift the indexes of the rest).
    Without a usable `name` and `fallback_models` there is nothing to salvage.
    """
    partial = False
    for err in exc.errors():
        loc = tuple(err["loc"])
        head = loc[0] if loc else ""
        if head in ("name", "fallback_models") or not loc:
            return None, False
        if err["type"] == "extra_forbidden":
            data = _without(data, loc)
        elif head in ("tasks", "presets") and loc[2:] == ("prefer",):
            data = _without(data, loc)  # `prefer` is optional: the task itself is still usable
        elif head in ("tasks", "presets"):
            data = _without(data, loc[:2])
            partial = True
        else:
            data = _without(data, loc[:1])
    try:
        return RouterSpec.model_validate(data), partial
    except ValidationError:  # pragma: no cover - every failing part was removed above
        return None, False


def _check_pool(
    doc: Document, loc: tuple[str | int, ...], models: list[str], prefer: str, label: str
) -> list[Issue]:
    issues = []
    if not models:
        issues.append(
            doc.issue((*loc, "models"), f"{label} has an empty model pool", code="empty-pool")
        )
    seen: dict[str, int] = {}
    for index, model in enumerate(models):
        if not model.strip():
            issues.append(doc.issue((*loc, "models", index), "blank model id", code="blank-model"))
        elif model in seen:
            issues.append(
                doc.issue(
                    (*loc, "models", index),
                    f"model {model!r} is listed twice in the pool (also at [{seen[model]}])",
                    code="duplicate-model",
                )
            )
        else:
            seen[model] = index
    if len(models) > MAX_MODELS_PER_TASK:
        issues.append(
            doc.issue(
                (*loc, "models"),
                f"{len(models)} models in the pool; DigitalOcean documents up to "
                f"{MAX_MODELS_PER_TASK} per task and may reject more",
                severity="warning",
                code="pool-size",
            )
        )
    if prefer in ("cheapest", "fastest") and len(models) == 1:
        issues.append(
            doc.issue(
                (*loc, "prefer"),
                f"prefer: {prefer} with a one-model pool has nothing to choose between",
                severity="warning",
                code="one-model-policy",
            )
        )
    return issues


def check_router(doc: Document, spec: RouterSpec, known_presets: set[str] | None) -> list[Issue]:
    """Semantic rules the schema alone cannot express."""
    issues: list[Issue] = []
    if not spec.name:
        issues.append(doc.issue(("name",), "name must not be empty", code="bad-name"))
    elif len(spec.name) > MAX_NAME_LEN:
        issues.append(
            doc.issue(
                ("name",),
                f"name is {len(spec.name)} characters; the API allows at most {MAX_NAME_LEN}",
                code="bad-name",
            )
        )
    elif not NAME_RE.fullmatch(spec.name):
        fixed = re.sub(r"[^a-z0-9-]+", "-", spec.name.lower()).strip("-")
        issues.append(
            doc.issue(
                ("name",),
                f"name {spec.name!r} may only contain lowercase a-z, 0-9 and '-'"
                + (f' (try "{fixed}")' if fixed else ""),
                code="bad-name",
            )
        )
    for index, old in enumerate(spec.renamed_from):
        if old in spec.renamed_from[:index]:
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    f"{old!r} is listed twice in renamed_from",
                    code="rename",
                )
            )
        elif old == spec.name:
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    "renamed_from lists the router's own name",
                    code="rename",
                )
            )
        elif not NAME_RE.fullmatch(old):
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    f"{old!r} is not a valid router name",
                    code="bad-name",
                )
            )
    if not spec.tasks and not spec.presets:
        issues.append(
            doc.issue(
                (),
                "router has no tasks and no presets: every request goes to the fallback models",
                severity="warning",
                code="no-tasks",
            )
        )
    descriptions: list[tuple[str, str]] = []  # (task key, lowercased description)
    for key, task in spec.tasks.items():
        loc: tuple[str | int, ...] = ("tasks", key)
        if not key.strip():
            issues.append(doc.issue(loc, "task name must not be blank", code="blank-task"))
        if not task.description.strip():
            issues.append(
                doc.issue(
                    (*loc, "description"),
                    "custom tasks need a description: it is what the router matches prompts "
                    "against",
                    code="no-description",
                )
            )
        else:
            descriptions.append((key, task.description.lower()))
        issues += _check_pool(doc, loc, task.models, task.prefer, f"task {key!r}")
    for slug, preset in spec.presets.items():
        loc = ("presets", slug)
        if known_presets is not None and slug not in known_presets:
            issues.append(
                doc.issue(
                    loc,
                    f"unknown preset task_slug {slug!r}{suggest(slug, known_presets)}",
                    severity="warning",
                    code="unknown-preset",
                )
            )
        issues += _check_pool(doc, loc, preset.models, preset.prefer, f"preset {slug!r}")
    if not spec.fallback_models:
        issues.append(
            doc.issue(
                ("fallback_models",),
                "fallback_models must list at least one model (the API requires it)",
                code="no-fallback",
            )
        )
    seen: set[str] = set()
    for index, model in enumerate(spec.fallback_models):
        if not model.strip():
            issues.append(
                doc.issue(("fallback_models", index), "blank model id", code="blank-model")
            )
        elif model in seen:
            issues.append(
                doc.issue(
                    ("fallback_models", index),
                    f"model {model!r} is listed twice in fallback_models",
                    code="duplicate-model",
                )
            )
        seen.add(model)
    pools = [("tasks", k, t.models) for k, t in spec.tasks.items()]
    pools += [("presets", k, p.models) for k, p in spec.presets.items()]
    fallback = set(spec.fallback_models)
    for section, key, models in pools:
        if models and set(models) == fallback:
            issues.append(
                doc.issue(
                    ("fallback_models",),
                    f"same models as the pool of {section[:-1]} {key!r}: when that pool is "
                    "unavailable the fallback is too; add a model it does not use",
                    severity="warning",
                    code="fallback-same-as-pool",
                )
            )
    issues += similar_description_issues(doc, descriptions)
    issues += _check_tests(doc, spec, spec.tests, ("tests",))
    return issues


def similar_description_issues(
    doc: Document, descriptions: list[tuple[str, str]], work: SimilarityWork | None = None
) -> list[Issue]:
    """The similar-descriptions warnings of one router (see routerctl.similarity)."""
    issues = [
        doc.issue(
            ("tasks", found.task, "description"),
            f"description is {found.ratio:.0%} similar to task {found.like!r}: the router "
            "cannot tell them apart reliably",
            severity="warning",
            code="similar-descriptions",
        )
        for found in similar_descriptions(descriptions, work)
    ]
    if len(descriptions) > SIMILAR_MAX_TASKS:
        issues.append(
            doc.issue(
                ("tasks",),
                f"{len(descriptions)} tasks with descriptions; similar descriptions were checked "
                f"among the first {SIMILAR_MAX_TASKS} only",
                severity="warning",
                code="similar-descriptions-bounded",
            )
        )
    return issues


def _check_tests(
    doc: Document, spec: RouterSpec, cases: Sequence[RoutingCase], loc: tuple[str | int, ...]
) -> list[Issue]:
    routes = set(spec.tasks) | set(spec.presets) | {FALLBACK_ROUTE}
    issues = []
    for index, case in enumerate(cases):
        if case.expect_task not in routes:
            issues.append(
                doc.issue(
                    (*loc, index, "expect_task"),
                    f"expect_task {case.expect_task!r} is not a task, preset or 'fallback' of "
                    f"this router{suggest(case.expect_task, routes)}",
                    code="bad-expect-task",
                )
            )
        if not case.prompt.strip():
            issues.append(doc.issue((*loc, index, "prompt"), "prompt is blank", code="blank"))
    return issues


def load_routers(
    paths: Sequence[str | Path],
    *,
    known_presets: Iterable[str] | None = None,
    strict: bool = False,
) -> LoadResult:
    """Read, validate and cross-check router files. Raises SpecError if any error is found
    (or any warning, with strict=True); otherwise returns the routers and the warnings."""
    result = collect_routers(paths, known_presets=known_presets)
    if result.errors or (strict and result.warnings):
        raise SpecError(result.issues)
    return result


@dataclass(frozen=True)
class _Declared:
    """A router name some file declares, for the cross-file checks. Files with schema errors
    declare names too, so a duplicate is reported even while one of the two is broken."""

    name: str
    renamed_from: list[str]
    doc: Document


def _raw_renamed_from(data: dict[str, Any]) -> list[str]:
    old = data.get("renamed_from")
    if isinstance(old, str):
        return [old]
    if isinstance(old, list) and all(isinstance(o, str) for o in old):
        return old
    return []


def collect_routers(
    paths: Sequence[str | Path],
    *,
    known_presets: Iterable[str] | None = None,
    overlay: Overlay | None = None,
    root: str | Path | None = None,
) -> LoadResult:
    """Like load_routers, but returns errors in the result instead of raising (validate).

    A router with schema errors is left out of `routers`, but the rules still run on the parts
    of it that are well-formed (see _salvage), so one run reports every problem. A file that
    cannot be read is an error, never a router that is not there (plan would prune it).
    `root`: the project directory; symlinks from inside it to outside it are refused.
    """
    router_paths, test_paths, issues = scan_router_files(paths, root=root)
    presets = set(known_presets) if known_presets is not None else None
    checked: list[RouterFile] = []  # valid and salvaged routers: test files attach to both
    declared: list[_Declared] = []
    valid: set[int] = set()  # id() of the documents without schema errors
    partial: set[int] = set()  # id() of salvaged documents that lost a task or preset
    overlays = _read_overlays(overlay, issues, root)
    used_overlays: set[str] = set()
    for path in router_paths:
        try:
            doc = read_document(path, root=root)
        except SpecError as exc:
            issues += exc.issues
            continue
        base_name = doc.data.get("name")
        if overlay is not None:
            if isinstance(base_name, str) and base_name in overlays:
                used_overlays.add(base_name)
                doc = _merge_overlay(doc, overlays[base_name])
            doc.data = rename_for_environment(doc.data, overlay)
        try:
            spec: RouterSpec | None = RouterSpec.model_validate(doc.data)
            valid.add(id(doc))
        except ValidationError as exc:
            issues += _pydantic_issues(doc, exc)
            spec, incomplete = _salvage(doc.data, exc)
            if incomplete:
                partial.add(id(doc))
        if spec is None:
            name = doc.data.get("name")
            if isinstance(name, str) and name:
                declared.append(_Declared(name, _raw_renamed_from(doc.data), doc))
            continue
        found = check_router(doc, spec, presets)
        if id(doc) in partial:
            found = [i for i in found if i.code not in _WHOLE_ROUTER_CODES]
        issues += found
        checked.append(RouterFile(spec, doc))
        declared.append(_Declared(spec.name, list(spec.renamed_from), doc))
    for name, over in sorted(overlays.items()):
        if name not in used_overlays:
            issues.append(
                over.issue(
                    (),
                    f"overlay for router {name!r}, which no file declares",
                    code="orphan-overlay",
                )
            )
    broken = {d.name for d in declared} - {r.spec.name for r in checked}
    checked = _attach_test_files(checked, test_paths, issues, overlay, partial, broken, root)
    issues += _cross_file_issues(declared)
    routers = [r for r in checked if id(r.doc) in valid]
    return LoadResult(routers, sorted(set(issues)), len(router_paths) + len(test_paths))


def _read_overlays(
    overlay: Overlay | None, issues: list[Issue], root: str | Path | None = None
) -> dict[str, Document]:
    if overlay is None or overlay.directory is None:
        return {}
    try:
        is_dir = overlay.directory.is_dir()
    except OSError as exc:
        raise ConfigError(f"{shown_path(overlay.directory)}: {fsio.describe(exc)}") from None
    if not is_dir:
        raise ConfigError(f"{shown_path(overlay.directory)}: overlay directory does not exist")
    found: dict[str, Document] = {}
    paths, _, problems = scan_router_files([overlay.directory], root=root, allow_empty=True)
    issues += problems
    for path in paths:
        if path.parent != overlay.directory:
            continue  # overlays are flat: <router-name>.yaml
        try:
            doc = read_document(path, root=root)
        except SpecError as exc:
            issues += exc.issues
            continue
        bad = [k for k in doc.data if k not in OVERLAY_KEYS]
        for key in bad:
            hint = suggest(key, OVERLAY_KEYS) or f"; overlays may set {', '.join(OVERLAY_KEYS)}"
            issues.append(
                doc.issue((key,), f"key {key!r} cannot be overlaid{hint}", code="overlay-key")
            )
        if not bad:
            found[path.name.rsplit(".", 1)[0]] = doc
    return found


def _merge_overlay(doc: Document, over: Document) -> Document:
    return Document(doc.path, deep_merge(doc.data, over.data), doc.marks, overlay=over)


def _attach_test_files(
    routers: list[RouterFile],
    test_paths: list[Path],
    issues: list[Issue],
    overlay: Overlay | None = None,
    partial: set[int] | None = None,
    broken: set[str] | None = None,
    root: str | Path | None = None,
) -> list[RouterFile]:
    """`<router-name>.tests.yaml` adds routing cases to the (first) router of that name.

    `partial`: id() of documents whose spec lost tasks to schema errors (expect_task is not
    checked against them); `broken`: names of routers whose file could not be read at all (their
    tests are checked for shape only, and are not reported as orphans).
    """
    result = list(routers)
    position: dict[str, int] = {}
    for index, router in enumerate(result):
        position.setdefault(router.spec.name, index)
    for path in test_paths:
        try:
            doc = read_document(path, required_mapping=False, root=root)
        except SpecError as exc:
            issues += exc.issues
            continue
        router_name = path.name.rsplit(".tests.", 1)[0]
        if overlay is not None:
            router_name = overlay.rename(router_name)
        where = position.get(router_name)
        if where is None and router_name not in (broken or set()):
            issues.append(
                doc.issue(
                    (),
                    f"no router named {router_name!r} for this tests file"
                    + suggest(router_name, position),
                    code="orphan-tests",
                )
            )
            continue
        data, loc, problems = RoutingCase.read_tests_file(doc.data)
        issues += [doc.issue((key,), message, code="bad-test") for key, message in problems]
        if not isinstance(data, list):
            issues.append(
                doc.issue(
                    loc,
                    "a tests file is a list of cases (or `tests:` with a list)",
                    code="bad-test",
                )
            )
            continue
        cases: list[RoutingCase] = []
        for index, item in enumerate(data):
            try:
                cases.append(RoutingCase.model_validate(item))
            except ValidationError as exc:
                for err in exc.errors():
                    issues.append(_test_case_issue(doc, (*loc, index), err))
        if where is None:
            continue
        target = result[where]
        if id(target.doc) not in (partial or set()):
            issues += _check_tests(doc, target.spec, cases, loc)
        merged = target.spec.model_copy(update={"tests": [*target.spec.tests, *cases]})
        result[where] = RouterFile(merged, target.doc)
    return result


def _test_case_issue(doc: Document, loc: tuple[str | int, ...], err: Any) -> Issue:
    kind = err["type"]
    where = (*loc, *err["loc"])
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        hint = suggest(key, RoutingCase.model_fields) or (
            f"; allowed: {', '.join(RoutingCase.model_fields)}"
        )
        return doc.issue(where, f"unknown key {key!r}{hint}", code="bad-test")
    if kind == "missing":
        key = str(err["loc"][-1])
        return doc.issue(where[:-1], f"missing required key {key!r}", code="bad-test")
    return doc.issue(where, _type_message(err), code="bad-test")


def _cross_file_issues(declared: list[_Declared]) -> list[Issue]:
    issues: list[Issue] = []
    first: dict[str, _Declared] = {}
    for router in declared:
        name = router.name
        if name in first:
            other = first[name]
            line = other.doc.mark(("name",))[0]
            issues.append(
                router.doc.issue(
                    ("name",),
                    f"router name {name!r} is already used by {other.doc.path}:{line}; "
                    "names must be unique",
                    code="duplicate-name",
                )
            )
        else:
            first[name] = router
    claimed: dict[str, _Declared] = {}
    for router in declared:
        for index, old in enumerate(router.renamed_from):
            if old in first and old != router.name:
                issues.append(
                    router.doc.issue(
                        ("renamed_from", index),
                        f"{old!r} is still declared by {first[old].doc.path}; a router cannot "
                        "be renamed from a name that still exists in the files",
                        code="rename-conflict",
                    )
                )
            if old in claimed and claimed[old] is not router:
                issues.append(
                    router.doc.issue(
                        ("renamed_from", index),
                        f"{old!r} is also in renamed_from of {claimed[old].doc.path}: only one "
                        "router can take over a live router",
                        code="rename-conflict",
                    )
                )
            claimed.setdefault(old, router)
    return issues


# --- project settings -------------------------------------------------------------------------


def load_settings(path: str | Path | None) -> tuple[ProjectSettings, Path | None]:
    """routerctl.yaml (or the file given with --config). A missing default file is fine, and so
    is an empty one (every setting is optional)."""
    if path is None:
        default = Path("routerctl.yaml")
        if not (default.exists() or default.is_symlink()):  # a dangling link is reported
            return ProjectSettings(), None
        path = default
    try:
        doc = read_document(path, required_mapping=False, what="settings file")
    except SpecError as exc:
        if [i.code for i in exc.issues] == ["empty"]:
            return ProjectSettings(), Path(path)
        raise
    if not isinstance(doc.data, dict):
        raise SpecError(
            [
                doc.issue(
                    (),
                    f"top level is {_kind(doc.data).split(' (', 1)[0]}; project settings are a "
                    "mapping (dir:, prune:, environments: …)",
                    code="bad-settings",
                )
            ]
        )
    try:
        return ProjectSettings.model_validate(doc.data), Path(path)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                key = str(loc[-1])
                hint = suggest(key, ProjectSettings.model_fields) if len(loc) == 1 else ""
                message = f"unknown key {key!r}{hint}"
            elif err["type"] == "missing":
                message = f"missing required key {loc[-1]!r}"
                loc = loc[:-1]
            else:
                message = _type_message(err)
            issues.append(doc.issue(loc, message, code="bad-settings"))
        raise SpecError(issues) from None


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, as people write them."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(c in value for c in "\x85\u2028\u2029"):
        # Unicode line breaks would be written raw and read back as newlines: escape them.
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Block-style YAML with keys in the given order (import, fmt)."""
    return yaml.dump(
        data,
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
