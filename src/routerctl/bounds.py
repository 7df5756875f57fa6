"""Numbers and JSON from outside (servers, saved plans) parsed with bounds: size, nesting
depth, integer digits, finite floats; header values validated and clamped.

Everything here raises BoundsError (a ValueError) with a message that names what was wrong and
the limit, never the offending value in full: callers add where it came from (the API call or
the file) and turn it into their own one-line error. Pure functions, no I/O.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from itertools import accumulate
from typing import Any

from routerctl.redact import one_line

MAX_JSON_BYTES = 32 * 1024 * 1024
MAX_JSON_DEPTH = 64  # a router is 6 levels deep, a saved plan 8; 64 leaves room for growth
MAX_INT_DIGITS = 32  # int64 needs 19; Python's own limit (4,300) is far past anything sane
MAX_NUMBER_CHARS = 64  # a float literal longer than this is not a price or a count
MAX_HEADER_CHARS = 64
# Header waits are clamped here before anything else looks at them: a 20-digit reset must not
# reach time.sleep (OverflowError) or datetime (year out of range). Callers cap the wait far
# lower (client.MAX_SINGLE_WAIT) and report what the server asked for.
MAX_HEADER_SECONDS = 1e12  # ~31,700 years

_INT_RE = re.compile(r"-?[0-9]{1,20}")


class BoundsError(ValueError):
    """A value from outside is over a limit or of the wrong kind."""


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise BoundsError(f"an integer has {digits} digits (the limit is {MAX_INT_DIGITS})")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise BoundsError(f"a number is {len(text)} characters long (limit {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise BoundsError(f"a number is too large to represent ({text[:20]}…)")
    return value


def _parse_constant(name: str) -> Any:
    raise BoundsError(f"{name} is not a number JSON allows")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth, iteratively (a recursive walk would itself hit the recursion limit)."""
    if not isinstance(value, dict | list):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    containers = (dict, list)
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        # Only containers are pushed: strings and numbers (most of a document) cost one check.
        stack.extend([(c, level + 1) for c in children if isinstance(c, containers)])
    return deepest


def parse_json(
    data: bytes | str,
    *,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """json.loads with limits. Raises BoundsError for size, depth, digits or non-finite
    numbers; json.JSONDecodeError for malformed text; UnicodeDecodeError for bad UTF-8."""
    size = len(data)
    if size > max_bytes:
        raise BoundsError(f"{size} bytes is over the {max_bytes // (1024 * 1024)} MiB limit")
    try:
        value = json.loads(
            data,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise BoundsError(f"nested more than {max_depth} levels deep") from None
    if _text_depth(data) > max_depth:
        raise BoundsError(f"nested more than {max_depth} levels deep")
    return value


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: ~10x faster
_OPEN_CLOSE = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _text_depth(data: bytes | str) -> int:
    """Nesting depth of JSON text that parsed: brackets outside strings, counted at C speed
    (a walk of the parsed objects cost twice the parse itself on a 200-router page)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # With no escaped quote every quote delimits a string, so what lies outside the strings is
    # every other piece; otherwise strings are matched one by one (slower).
    split = b'\\"' not in raw
    outside = b"".join(raw.split(b'"')[0::2]) if split else _JSON_STRING.sub(b"", raw)
    brackets = outside.translate(_OPEN_CLOSE, _NOT_BRACKETS)
    return max(accumulate(b - 1 for b in brackets), default=0)


def bounded_int(value: object, *, low: int, high: int) -> int | None:
    """An integer from JSON or a header (gRPC-gateway APIs encode int64 as a string), or None
    when it is not one; clamped to [low, high]. Never calls int() on a long string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return min(max(value, low), high)
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 21 and _INT_RE.fullmatch(text):
            return min(max(int(text), low), high)
    return None


def header_number(value: str | None) -> float | None:
    """A non-negative number of seconds (or an epoch) from a header, clamped to
    MAX_HEADER_SECONDS past any sane epoch; None when absent or not a finite number."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > MAX_HEADER_CHARS:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return min(max(number, 0.0), 4_000_000_000.0 + MAX_HEADER_SECONDS)


def retry_after_seconds(value: str | None, now_epoch: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date, clamped to
    [0, MAX_HEADER_SECONDS]; None when absent or unreadable."""
    if value is None or len(value) > MAX_HEADER_CHARS * 2:
        return None
    number = header_number(value)
    if number is not None:
        return min(number, MAX_HEADER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return min(max(0.0, when.timestamp() - now_epoch), MAX_HEADER_SECONDS)


def money(value: object, *, high: float = 1e6) -> float | None:
    """A price (dollars per million tokens) from a catalog: a finite number in [0, high], else
    None. Strings holding numbers are accepted, as gRPC gateways send them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > MAX_NUMBER_CHARS:
            return None
        try:
            value = float(text)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0 or number > high:
        return None
    return number


# --- shapes of documents read back (saved plans) -------------------------------------------------

# A shape is a type (`str`, `bool`, `int`, `float`, `dict`, `list`; `float` admits ints), None
# (the value may be null), a tuple of alternatives, a one-item list `[shape]` (a list of those),
# or a dict: `{key: shape}` for the keys it may have (each optional; others are ignored) or
# `{"*": shape}` for a mapping of any keys to one shape; a dict's "!" lists its required keys.
Shape = Any


def kind_of(value: Any) -> str:
    """What a JSON value is, in words, for messages (`a list`, `null`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _fits(value: Any, shape: Shape) -> bool:
    if shape is None:
        return value is None
    if shape is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if shape is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(shape, type):
        return isinstance(value, shape)
    if isinstance(shape, list):
        return isinstance(value, list)
    if isinstance(shape, dict):
        return isinstance(value, dict)
    return any(_fits(value, option) for option in shape)


def shape_problem(value: Any, shape: Shape, where: str = "") -> str:
    """ "" if `value` has `shape`, else the first place that does not, e.g.
    `changes[0].after.tasks.classify.models: expected a list, got a string`. Iterative, so a
    deep document cannot exhaust the stack."""
    stack: list[tuple[Any, Shape, str]] = [(value, shape, where)]
    while stack:
        item, expected, place = stack.pop()
        options = expected if isinstance(expected, tuple) else (expected,)
        fitting = next((o for o in options if _fits(item, o)), _MISSING)
        if fitting is _MISSING:
            names = sorted({_shape_name(o) for o in options})
            return f"{place or 'the document'}: expected {' or '.join(names)}, got {kind_of(item)}"
        prefix = f"{place}." if place else ""
        if isinstance(fitting, list):
            stack.extend((v, fitting[0], f"{place}[{i}]") for i, v in enumerate(item))
        elif isinstance(fitting, dict):
            missing = [k for k in fitting.get("!", ()) if k not in item]
            if missing:
                return f"{place or 'the document'}: missing {missing[0]!r}"
            if "*" in fitting:  # free keys (task names): made one inert line for the message
                stack.extend(
                    (v, fitting["*"], f"{prefix}{one_line(k, 60)}") for k, v in item.items()
                )
            else:
                stack.extend(
                    (item[k], sub, f"{prefix}{k}")
                    for k, sub in fitting.items()
                    if k in item and k != "!"
                )
    return ""


_MISSING = object()


def _shape_name(shape: Shape) -> str:
    if shape is None:
        return "null"
    if isinstance(shape, list):
        return "a list"
    if isinstance(shape, dict) or shape is dict:
        return "an object"
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}.get(
        shape, "a list" if shape is list else "a value"
    )


# --- catalog prices --------------------------------------------------------------------------


def bounded_prices(model: dict[str, Any], *, high: float) -> dict[str, Any]:
    """The catalog entry with every `*_price_per_million` outside [0, high]
    (1e308, inf, negative, a 30-digit integer) replaced by a note saying so: cost.py then
    reports the model as unpriced, naming why, instead of overflowing its arithmetic."""
    stack: list[Any] = [model.get("pricing"), model.get("scaled_pricing")]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict | list):
                    stack.append(value)
                elif (
                    str(key).endswith("_price_per_million")
                    and value is not None
                    and money(value, high=high) is None
                ):
                    shown = one_line(value if isinstance(value, str) else repr(value), 24)
                    node[key] = (
                        f"refused: {shown} is not a price between 0 and "
                        f"{high:,.0f} dollars per million tokens"
                    )
    return model
