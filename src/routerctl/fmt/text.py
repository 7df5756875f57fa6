"""The canonical form of one router file's text (the only ruamel.yaml code).

See the package docstring for what canonical means and the two checks behind every rewrite.
"""

from __future__ import annotations

import io
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from routerctl.errors import Issue, SpecError
from routerctl.models import ROUTER_FIELDS
from routerctl.spec import parse_document

TOP_LEVEL_ORDER = ROUTER_FIELDS  # the file format's order, as RouterSpec declares it
BODY_ORDER = ("description", "models", "prefer")  # tasks.<name> and presets.<slug>
BODY_SECTIONS = ("tasks", "presets")
_T = TypeVar("_T")
_WIDTH = 4096  # never re-wrap a line: long text is wrapped by the author, with `>-`


# --- reading lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """What one line of YAML text is, as far as layout is concerned.

    kind: "blank", "comment" (a full-line comment), "content" (starts a key, an item or a
    value), or "scalar" (inside a literal/folded block or a quoted string that spans lines:
    never touched, because its whitespace is data).
    """

    kind: str
    indent: int
    comment: str | None  # the comment on this line, full-line or trailing, without indent


class _Scanner:
    """A small YAML lexer that knows just enough to find comments, block scalars and quoted
    strings spanning lines. The input is valid YAML (spec.parse_document read it first)."""

    def __init__(self) -> None:
        self.quote: str | None = None  # a quoted scalar left open at the end of a line
        self.depth = 0  # flow collection nesting ([ and {) carried across lines
        self.block_parent: int | None = None  # inside a block scalar whose key/`-` is here
        self.block_indent: int | None = None  # the block scalar's content indentation

    def classify(self, lines: Sequence[str]) -> list[_Line]:
        return [self._line(line) for line in lines]

    def _line(self, line: str) -> _Line:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if self.block_parent is not None:
            if self.block_indent is None and stripped and indent > self.block_parent:
                self.block_indent = indent  # the first text line sets the indentation
            if not stripped or (self.block_indent is not None and indent >= self.block_indent):
                return _Line("scalar", indent, None)
            self.block_parent = self.block_indent = None
        if self.quote is None and not stripped:
            return _Line("blank", 0, None)
        if self.quote is None and self.depth == 0 and stripped.startswith("#"):
            return _Line("comment", indent, stripped)
        kind = "scalar" if self.quote else "content"
        comment_at = self._scan(line)
        comment = line[comment_at:].strip() if comment_at is not None else None
        return _Line(kind, indent, comment)

    def _scan(self, text: str) -> int | None:
        """Advance over one line; return where its comment starts, if it has one."""
        start = self.quote is None  # at a place where a new node (key, item, value) may begin
        node_col = -1  # column of the last key or `-` on this line: a block scalar's parent
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            nxt = text[i + 1] if i + 1 < n else " "
            if self.quote == "'":
                if ch == "'" and nxt == "'":
                    i += 2
                    continue
                if ch == "'":
                    self.quote = None
            elif self.quote == '"':
                if ch == "\\":
                    i += 2
                    continue
                if ch == '"':
                    self.quote = None
            elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
                return i
            elif ch in " \t":
                pass
            elif start:
                if ch in "&!":  # an anchor or a tag: the node itself follows it
                    while i < n and text[i] not in " \t":
                        i += 1
                    continue
                if ch in "|>" and self.depth == 0:
                    self.block_parent = node_col
                    digits = [c for c in text[i + 1 : i + 3] if c.isdigit()]
                    if digits:  # an explicit indentation indicator: `|2`
                        self.block_indent = max(node_col, 0) + int(digits[0])
                    return self._rest_comment(text, i)
                if self.depth == 0 and ch not in "[{]},":
                    node_col = i
                start = self._node_start(ch, nxt)
            elif (ch == ":" and (nxt in " \t" or (self.depth and nxt in ",]}"))) or (
                self.depth and ch == ","
            ):
                start = True  # a value (or, in a flow collection, the next item) follows
            elif self.depth and ch in "]}":
                self.depth -= 1
            i += 1
        return None

    def _node_start(self, ch: str, nxt: str) -> bool:
        """Handle the first character of a node; True while a node may still begin (after
        `- `, `? `, `[`, `{` and `,`), False once a scalar or an alias has begun."""
        if ch in "'\"":
            self.quote = ch
            return False
        if ch in "[{":
            self.depth += 1
            return True
        if ch in "-?" and nxt in " \t":
            return True
        if self.depth and ch == ",":
            return True
        if self.depth and ch in "]}":
            self.depth -= 1
            return False
        return False

    @staticmethod
    def _rest_comment(text: str, i: int) -> int | None:
        at = text.find(" #", i)
        return at + 1 if at >= 0 else None


def _classify(lines: Sequence[str]) -> list[_Line]:
    return _Scanner().classify(lines)


def _comments(text: str) -> Counter[str]:
    return Counter(line.comment for line in _classify(text.split("\n")) if line.comment is not None)


# --- key order -------------------------------------------------------------------------------


def _rank(order: Sequence[str]) -> Callable[[str], int]:
    """Sort key: position in `order`; unknown keys after all known ones (sorted() is stable,
    so they keep their order)."""

    def rank(key: str) -> int:
        return order.index(key) if key in order else len(order)

    return rank


def _block_keys(
    text: Sequence[str],
    marks: dict[tuple[str | int, ...], tuple[int, int]],
    parent: tuple[str | int, ...],
    keys: Sequence[str],
) -> list[int] | None:
    """0-based lines of a block mapping's keys, or None when the mapping is not laid out one
    key per line, each key first on its line, at one column (not flow style `{...}`, not an
    alias of a mapping defined above, not a value after an explicit `? key`)."""
    if not keys:
        return None
    positions = [marks.get((*parent, key)) for key in keys]
    if any(p is None for p in positions):
        return None
    lines = [p[0] - 1 for p in positions if p is not None]
    cols = {p[1] for p in positions if p is not None}
    parent_line = marks[parent][0] - 1 if parent else -1
    if len(cols) != 1 or lines[0] <= parent_line or lines != sorted(set(lines)):
        return None
    col = cols.pop() - 1
    if any(text[line][:col].strip() for line in lines):
        return None
    return lines


def _reorder_block(
    lines: list[str],
    info: list[_Line],
    key_lines: Sequence[int],
    order: Sequence[int],
    *,
    top: bool,
) -> None:
    """Move the line blocks of one block mapping's keys into `order` (indexes into key_lines).

    A key's block is its line, the rest of its value, and the comments and blank lines right
    above it at the key's indentation: a comment describes what follows it. Comments at the top
    of the file stay at the top (they describe the file), and comments after the last key stay
    after the mapping.
    """
    col = info[key_lines[0]].indent

    def lead(line: int, floor: int) -> int:
        while line - 1 > floor and (
            info[line - 1].kind == "blank"
            or (info[line - 1].kind == "comment" and info[line - 1].indent == col)
        ):
            line -= 1
        return line

    end = key_lines[-1] + 1
    while end < len(lines) and not (
        (info[end].kind == "content" and info[end].indent < col)
        or (info[end].kind == "comment" and info[end].indent < col)
    ):
        end += 1
    footer = lead(end, key_lines[-1])
    starts = [key_lines[0] if top else lead(key_lines[0], -1)]
    starts += [lead(line, prev) for prev, line in itertools.pairwise(key_lines)]
    bounds = [*starts[1:], footer]
    # A block is a whole key and value, so each line's classification moves with it.
    _permute(lines, starts, bounds, order)
    _permute(info, starts, bounds, order)


def _permute(column: list[_T], starts: list[int], bounds: list[int], order: Sequence[int]) -> None:
    blocks = [column[s:e] for s, e in zip(starts, bounds, strict=True)]
    column[starts[0] : bounds[-1]] = [item for index in order for item in blocks[index]]


def _reorder(text: str, data: Any, marks: dict[tuple[str | int, ...], tuple[int, int]]) -> str:
    """Canonical key order for the top level and each task/preset body, moved as text."""
    if not isinstance(data, dict):
        return text
    lines = text.split("\n")
    info = _classify(lines)
    jobs: list[tuple[list[int], list[int], bool]] = []
    for section in BODY_SECTIONS:
        bodies = data.get(section)
        if not isinstance(bodies, dict):
            continue
        for name, body in bodies.items():
            if isinstance(body, dict):
                job = _job(lines, marks, (section, name), list(body), BODY_ORDER, top=False)
                jobs += [job] if job else []
    top = _job(lines, marks, (), list(data), TOP_LEVEL_ORDER, top=True)
    # Bodies first: each is moved inside its own lines, so the top-level keys stay put.
    for key_lines, order, is_top in [*jobs, *([top] if top else [])]:
        _reorder_block(lines, info, key_lines, order, top=is_top)
    return "\n".join(lines)


def _job(
    text: Sequence[str],
    marks: dict[tuple[str | int, ...], tuple[int, int]],
    parent: tuple[str | int, ...],
    keys: list[str],
    canonical: Sequence[str],
    *,
    top: bool,
) -> tuple[list[int], list[int], bool] | None:
    rank = _rank(canonical)
    order = sorted(range(len(keys)), key=lambda i: rank(keys[i]))
    if order == list(range(len(keys))):
        return None
    key_lines = _block_keys(text, marks, parent, keys)
    return (key_lines, order, top) if key_lines is not None else None


def _reorder_tree(node: Any) -> None:
    """Whatever the text pass could not order, ordered in ruamel's tree: flow-style mappings
    (`{description: …, models: […]}`, which keep their style) and the rare block layouts with
    no line per key (`? key` / `: value`). A comment in those may end up next to another key,
    but never lost (format_text checks)."""
    if not isinstance(node, CommentedMap):
        return
    targets: list[tuple[CommentedMap, Sequence[str]]] = [(node, TOP_LEVEL_ORDER)]
    for section in BODY_SECTIONS:
        bodies = node.get(section)
        if isinstance(bodies, CommentedMap):
            targets += [(b, BODY_ORDER) for b in bodies.values() if isinstance(b, CommentedMap)]
    for mapping, canonical in targets:
        ordered = sorted(mapping, key=_rank(canonical))
        if ordered != list(mapping):
            for key in ordered:
                mapping.move_to_end(key)


# --- layout ----------------------------------------------------------------------------------


def _yaml(explicit_start: bool) -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = _WIDTH
    yaml.preserve_quotes = True
    yaml.explicit_start = explicit_start
    return yaml


def _tidy(text: str) -> str:
    """Full-line comments indented like the line they precede (kept where they are when that
    column is still open there), no trailing spaces, one blank line at most, one final newline.
    Lines inside block scalars and quoted strings are data and left alone."""
    lines = text.split("\n")
    info = _classify(lines)
    next_indent = [0] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        here = info[index]
        next_indent[index] = here.indent if here.kind == "content" else next_indent[index + 1]
    out: list[str] = []
    kinds: list[str] = []
    open_indents: list[int] = []  # indentation of the last content line and its parents
    for index, (line, here) in enumerate(zip(lines, info, strict=True)):
        new = line
        if here.kind == "content":
            while open_indents and open_indents[-1] >= here.indent:
                open_indents.pop()
            open_indents.append(here.indent)
            new = line.rstrip()
        elif here.kind == "comment":
            target = next_indent[index]
            valid = {i for i in open_indents if i >= target} | {target}
            column = here.indent if here.indent in valid else target
            new = " " * column + (here.comment or "")
        elif here.kind == "blank":
            if not kinds or kinds[-1] == "blank":
                continue
            new = ""
        out.append(new)
        kinds.append(here.kind)
    while kinds and kinds[-1] == "blank":
        kinds.pop()
        out.pop()
    return "\n".join(out) + "\n"


def _fail(path: str, message: str, code: str = "fmt") -> SpecError:
    return SpecError([Issue(path, 1, 1, "", message, "error", code)])


def format_text(text: str, path: str = "<text>") -> str:
    """The canonical form of one router (or routing-tests) file.

    Raises SpecError for anything spec.py refuses to read (invalid YAML, duplicate keys,
    merge keys, …), and for the rare layout fmt cannot rewrite without changing data or losing
    a comment (e.g. a comment inside a flow list spanning lines); the file is then left as is.
    """
    text = text.replace("\r\n", "\n").removeprefix("\ufeff")
    doc = parse_document(text.encode("utf-8"), path, required_mapping=False)
    lines = _reorder(text, doc.data, doc.marks).split("\n")
    # Comments above an explicit `---` belong to no node, and ruamel would drop them: they are
    # set aside and put back unchanged.
    first = next((i for i, line in enumerate(lines) if line.strip()[:1] not in ("", "#")), 0)
    explicit_start = lines[first].rstrip() == "---" or lines[first].startswith("--- ")
    preamble = lines[:first] if explicit_start else []
    yaml = _yaml(explicit_start=explicit_start)
    try:
        tree = yaml.load("\n".join(lines[len(preamble) :]))
    except YAMLError as exc:  # pragma: no cover - spec.py's reader refuses what ruamel would
        raise _fail(path, f"fmt cannot read this file: {exc}") from None
    _reorder_tree(tree)
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    dumped = buffer.getvalue()
    if isinstance(tree, CommentedSeq):
        # The offset that puts `- ` two columns under a key also indents a top-level list
        # (a tests file); a top-level list starts in column 0.
        dumped = "\n".join(
            line[2:] if line.startswith("  ") else line for line in dumped.split("\n")
        )
    result = _tidy("\n".join([*preamble, dumped]))
    _check_same(text, result, doc.data, path)
    return result


def _check_same(before: str, after: str, data: Any, path: str) -> None:
    """Refuse any rewrite that changes what the file means or drops a comment."""
    try:
        same = parse_document(after.encode("utf-8"), path, required_mapping=False).data == data
    except SpecError:  # pragma: no cover - a defect in fmt itself; refuse rather than write
        same = False
    if not same:
        raise _fail(
            path,
            "fmt cannot rewrite this file without changing its values; format it by hand "
            "(and please report the file)",
        )
    lost = _comments(before) - _comments(after)
    if lost:
        comment = next(iter(lost))
        line = next((n for n, text in enumerate(before.split("\n"), 1) if comment in text), 1)
        raise SpecError(
            [
                Issue(
                    path,
                    line,
                    1,
                    "",
                    f"fmt would lose the comment {comment!r} (comments inside a flow list or "
                    "mapping that spans lines cannot be kept); move it onto its own line",
                    "error",
                    "fmt",
                )
            ]
        )
