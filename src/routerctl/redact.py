"""The boundary for text leaving the process: known secrets scrubbed, control characters made
inert. Every writer goes through it: the CLI's stdout/stderr (`guarded_stdio`), exception
messages (errors.RouterctlError), the client's events and --debug lines, plan files and test
reports (their renderers call `scrub`).

Secrets are registered once, when routerctl reads them (client.resolve_token,
resolve_model_key, RouterClient), and stay registered for the life of the process: an error is
often printed after the client that knew the token was closed. A value shorter than
MIN_SECRET_LENGTH is never registered (replacing "ab" everywhere would mangle every message);
the CLI refuses such a token instead (see README, "Secrets").

This module imports nothing from routerctl, so errors.py can use it.
"""

from __future__ import annotations

import io
import json
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

MIN_SECRET_LENGTH = 8
MARK = "[token]"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _variants(secret: str) -> set[str]:
    """The spellings a secret takes in the formats routerctl writes or servers echo: raw, JSON
    string escaping, URL encoding, XML/HTML escaping."""
    from html import escape as html_escape  # here: this module is on every command's start-up
    from urllib.parse import quote

    out = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), html_escape(secret)}
    return {v for v in out if len(v) >= MIN_SECRET_LENGTH}


def register(secret: str) -> None:
    """Scrub `secret` from everything written from now on. Short values are ignored (see the
    module docstring); the caller refuses them."""
    global _pattern
    value = secret.strip()
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        spellings = sorted({v for s in _secrets for v in _variants(s)}, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in spellings))


def forget_all() -> None:
    """Tests only: start from an empty registry."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None


def registered() -> int:
    with _lock:
        return len(_secrets)


def scrub(text: str) -> str:
    """`text` with every registered secret replaced by [token]."""
    pattern = _pattern
    return pattern.sub(MARK, text) if pattern is not None and text else text


def holds_secret(text: str) -> bool:
    pattern = _pattern
    return pattern is not None and pattern.search(text) is not None


def scrub_tree(value: Any) -> Any:
    """A parsed JSON document with every registered secret scrubbed from its strings and keys,
    in place where it can be: data from a server can end up in files other modules write
    (imported router files, the price cache), so it is cleaned as it arrives."""
    if isinstance(value, str):
        return scrub(value)
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = scrub(item)
                else:
                    stack.append(item)
        elif isinstance(node, dict):
            for key in list(node):
                item = node.pop(key)
                clean = scrub(key) if isinstance(key, str) else key
                node[clean] = scrub(item) if isinstance(item, str) else item
                if not isinstance(item, str):
                    stack.append(item)
    return value


def scrub_short(text: str, secret: str) -> str:
    """Scrub a secret that is too short to register (only reachable through the Python API):
    replaced only where it stands alone as a word, so "t" does not turn "test" into garbage."""
    if not secret or not text:
        return text
    if len(secret) >= MIN_SECRET_LENGTH:
        return text.replace(secret, MARK)
    return re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", MARK, text)


# --- control characters -------------------------------------------------------------------------

# C0 and C1 controls, DEL, and the invisible characters that reorder or hide text on a terminal
# (bidi overrides and isolates, zero-width marks, line/paragraph separators).
_UNSAFE = "\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
UNSAFE_CHARS = _UNSAFE  # for character classes elsewhere (client's live-name check)
_UNSAFE_RE = re.compile(f"[{_UNSAFE}]")
# What a terminal writer lets through: our own colour codes (SGR), tried first at each ESC.
_TERMINAL_RE = re.compile(f"\x1b\\[[0-9;]{{0,32}}m|[{_UNSAFE}]")


def _escape_char(match: re.Match[str]) -> str:
    # \u00XX rather than \xXX: inside a JSON string it is a valid escape of the same character,
    # so a JSON document stays valid and means the same; on a terminal it is plain text.
    return f"\\u{ord(match.group(0)):04x}"


def inert(text: str, *, lines: bool = False) -> str:
    """`text` with control characters spelled out (ESC becomes the six characters `\\u001b`).
    With `lines`, newlines and tabs are kept (a multi-line block from our own renderer)."""
    if not text:
        return text
    if lines:
        return _keep_lines(text)
    return _UNSAFE_RE.sub(_escape_char, text)


def _keep_lines(text: str) -> str:
    return _UNSAFE_RE.sub(lambda m: m.group(0) if m.group(0) in "\n\t" else _escape_char(m), text)


def terminal_safe(text: str) -> str:
    """For the CLI's streams: secrets scrubbed, control characters spelled out, except
    newlines, tabs and SGR colour codes (the only escape sequences routerctl itself writes;
    renderers escape the ones that arrive in data, so what reaches here is ours)."""

    def fix(match: re.Match[str]) -> str:
        found = match.group(0)
        if found in "\n\t" or found.startswith("\x1b["):
            return found
        return _escape_char(match)

    return _TERMINAL_RE.sub(fix, scrub(text))


def one_line(value: object, limit: int = 300) -> str:
    """Server or file text for a one-line message: secrets scrubbed first (so truncation can
    never leave half a token), control characters spelled out, whitespace runs collapsed,
    then cut to `limit` characters."""
    if not isinstance(value, str):
        return ""
    text = inert(" ".join(scrub(value).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_code(text: str) -> str:
    """A markdown code span no value can end early: its fence is longer than any run of
    backticks in it; control characters (a newline would end a table row) are spelled out.
    Inside a code span HTML is shown, not rendered. `|` is left to the table-cell escaper."""
    text = inert(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence, pad = "`" * (longest + 1), " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_text(text: str) -> str:
    """Free text (a warning) in markdown: no HTML, no code span, one line."""
    from html import escape

    return escape(inert(text), quote=False).replace("`", "\\`")


def html_text(text: str) -> str:
    from html import escape

    return escape(inert(text))


def format_exception(exc: BaseException) -> str:
    """A traceback for --debug, scrubbed and made inert like any other output."""
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return _keep_lines(scrub(text))


# --- the CLI's streams ----------------------------------------------------------------------------


class GuardedStream(io.TextIOBase):
    """A text stream that passes whole lines through `terminal_safe` before writing them to
    the real stream. Buffering to the end of a line (or a flush) means a secret written in two
    pieces is still caught. Thread-safe: client events arrive from worker threads."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self._inner = inner
        self._pending = ""
        self._write_lock = threading.Lock()

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes for binary streams with write(b"")
            raise TypeError("GuardedStream takes text")
        with self._write_lock:
            self._pending += text
            cut = self._pending.rfind("\n") + 1
            if cut:
                ready, self._pending = self._pending[:cut], self._pending[cut:]
                self._inner.write(terminal_safe(ready))
        return len(text)

    def flush(self) -> None:
        with self._write_lock:
            if self._pending:
                self._inner.write(terminal_safe(self._pending))
                self._pending = ""
            self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    @property
    def buffer(self) -> _GuardedBuffer:
        """Bytes written here (click echoes completion scripts as bytes) go through the same
        guard, decoded, so nothing reaches the real stream unscrubbed."""
        return _GuardedBuffer(self)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "errors", None) or "strict"

    def __getattr__(self, name: str) -> Any:
        # `buffer` is deliberately not passed on: bytes written there would skip the scrub.
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._inner, name)


class _GuardedBuffer(io.RawIOBase):
    def __init__(self, text: GuardedStream) -> None:
        super().__init__()
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raw = bytes(data)
        self._text.write(raw.decode(self._text.encoding, errors="replace"))
        return len(raw)

    def flush(self) -> None:
        self._text.flush()


@contextmanager
def guarded_stdio() -> Iterator[None]:
    """Route sys.stdout and sys.stderr through GuardedStream for the duration."""
    saved = sys.stdout, sys.stderr
    out, err = GuardedStream(saved[0]), GuardedStream(saved[1])
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        for stream in (out, err):
            with suppress(OSError, ValueError):  # a closed pipe: nothing more can be shown
                stream.flush()
        sys.stdout, sys.stderr = saved
