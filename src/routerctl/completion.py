"""Values for shell completion: router names for `--target`, environments for `--env`.

A shell calls routerctl on every Tab, so this must be fast and must never print: it reads the
files with a line scanner (no YAML parser, no pydantic: both would cost more than the rest of
start-up) and returns nothing at all when anything goes wrong. What it offers is a hint; the
command itself still validates whatever was typed.
"""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"""^name:\s*["']?([^"'#\s][^"'#]*?)["']?\s*(?:#.*)?$""")
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_DIR = re.compile(r"""^dir:\s*["']?([^"'#]+?)["']?\s*(?:#.*)?$""")
_MAX_FILES = 5000  # a directory this large is not a project; stay fast anyway
_MAX_BYTES = 256 * 1024


def _read(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            return handle.read(_MAX_BYTES).decode("utf-8", "replace").splitlines()
    except OSError:
        return []


def _settings_path(config: str | None) -> Path:
    return Path(config) if config else Path("routerctl.yaml")


def _router_dir(directory: str | None, config: str | None) -> Path:
    if directory:
        return Path(directory)
    settings = _settings_path(config)
    for line in _read(settings):
        match = _DIR.match(line)
        if match:
            return settings.parent / match.group(1).strip()
    return settings.parent / "routers"


def router_names(incomplete: str, *, directory: str | None, config: str | None) -> list[str]:
    """The `name:` of every router file (its file name when there is none), sorted."""
    try:
        root = _router_dir(directory, config)
        names: set[str] = set()
        for count, path in enumerate(sorted(root.rglob("*.y*ml"))):
            if count >= _MAX_FILES:
                break
            if path.suffix not in (".yaml", ".yml") or ".tests." in path.name:
                continue
            found = next((m.group(1) for m in map(_NAME.match, _read(path)) if m), None)
            names.add(found or path.stem)
        return sorted(n for n in names if n.startswith(incomplete))
    except (OSError, ValueError):
        return []


def environment_names(incomplete: str, *, config: str | None) -> list[str]:
    """The keys under `environments:` in routerctl.yaml (block style), sorted."""
    names: list[str] = []
    inside = False
    indent: int | None = None
    for line in _read(_settings_path(config)):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(line.lstrip(" "))
        if depth == 0:
            top = _TOP_KEY.match(line)
            inside = bool(top and top.group(1) == "environments")
            indent = None
            continue
        if not inside:
            continue
        if indent is None:
            indent = depth
        if depth == indent:
            key = _TOP_KEY.match(stripped)
            if key:
                names.append(key.group(1))
    return sorted(n for n in set(names) if n.startswith(incomplete))
