"""What the terminal can take: colour, and whether a live display makes sense.

One function decides colour for every command (and for the progress display), so the rules
of no-color.org and force-color.org hold everywhere the same way. No third-party imports: the
CLI calls this on every run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO


def use_color(
    *,
    no_color: bool = False,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Whether to write ANSI colour to `stream` (stdout when None).

    In order, the first rule that applies decides:
    `--no-color` → no; `NO_COLOR` set and non-empty → no (no-color.org: an empty value is the
    same as unset); `FORCE_COLOR` set, non-empty and not `0` → yes (force-color.org; `0` is
    how several tools spell "off"); `TERM=dumb` → no; otherwise colour only on a terminal.
    """
    env = os.environ if environ is None else environ
    if no_color or env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force and force != "0":
        return True
    if env.get("TERM") == "dumb":
        return False
    return is_tty(stream)


def is_tty(stream: TextIO | None = None) -> bool:
    """A real terminal (not a pipe, a file, or a test runner's buffer)."""
    import sys

    target = sys.stdout if stream is None else stream
    try:
        return bool(target.isatty())
    except (AttributeError, ValueError):  # a closed or foreign stream: not a terminal
        return False
