"""Where routerctl keeps its caches (the price and model catalogs): never the working tree.

Both caches are optimisations for offline runs; none of them belongs in the repository of
the project being planned, so the default is the user cache directory, and a directory that
is pointed inside a repository anyway ($ROUTERCTL_CACHE_DIR=.routerctl in CI) ignores itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

GITIGNORE = "# routerctl's cache: never commit it\n*\n"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$ROUTERCTL_CACHE_DIR (CI caches, demos), else the user cache directory: never the
    working tree, so the cache cannot show up in `git status` of the project being planned.

    The user cache directory is $XDG_CACHE_HOME/routerctl when set (any OS), else the
    platform's own: %LOCALAPPDATA%\\routerctl\\Cache on Windows, ~/Library/Caches/routerctl on
    macOS, ~/.cache/routerctl elsewhere. Ten lines here instead of platformdirs: these are the
    only three paths routerctl needs.
    """
    env = os.environ if environ is None else environ
    if env.get("ROUTERCTL_CACHE_DIR"):
        return Path(env["ROUTERCTL_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "routerctl"
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "routerctl" / "Cache"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "routerctl"
    return home / ".cache" / "routerctl"


def prepare_cache_dir(directory: Path) -> None:
    """Create the directory with a `.gitignore` of `*` in it, so that even a cache dir inside
    a repository never shows in `git status`. Raises OSError like mkdir."""
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE, encoding="utf-8")
