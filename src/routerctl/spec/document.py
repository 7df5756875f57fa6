"""Read one YAML file safely: plain data plus the line/column of every key and item, with
bounds on size, nesting, alias expansion and numbers. Issues name file:line:col.

The YAML parser lives here (routerctl.spec is the only package that imports yaml).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from routerctl import fsio
from routerctl.errors import Issue, Severity, SpecError

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000  # a router file has ~100 nodes; more means alias/anchor expansion abuse
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
