"""Find router files: walk the router (or overlay) directory and report, rather than skip,
whatever cannot be read. A file routerctl cannot read must never look like a deleted router
(plan --prune would delete its live router), so everything that looks like a router file is
returned whatever its type, and read_document (spec) refuses it with its path.

No YAML here; spec reads what this finds.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from routerctl import fsio
from routerctl.errors import ConfigError, Issue, SpecError

ROUTER_SUFFIXES = (".yaml", ".yml")
TESTS_SUFFIXES = (".tests.yaml", ".tests.yml")


def find_router_files(
    paths: Sequence[str | Path], *, root: str | Path | None = None
) -> tuple[list[Path], list[Path]]:
    """Router files and routing-test files (`*.tests.yaml`) under the given paths, sorted.

    Raises ConfigError for a path that does not exist or a directory with no router files, and
    SpecError naming every directory that cannot be listed or symlink that cannot be followed
    (see scan_router_files): a file that is never read must never look like a deleted router.
    """
    routers, tests, issues = scan_router_files(paths, root=root)
    if issues:
        raise SpecError(issues)
    return routers, tests


def scan_router_files(
    paths: Sequence[str | Path], *, root: str | Path | None = None, allow_empty: bool = False
) -> tuple[list[Path], list[Path], list[Issue]]:
    """find_router_files, returning the problems instead of raising them.

    Every non-hidden entry whose name ends in .yaml/.yml is returned whatever its type (FIFO,
    device, dangling symlink …): read_document refuses it with its path, so it is reported
    rather than skipped. Directories that cannot be listed, symlinked directories that dangle,
    loop or (with `root`) lead outside the project, are issues here.
    """
    routers: set[Path] = set()
    tests: set[Path] = set()
    issues: list[Issue] = []
    for given in paths:
        path = Path(given)
        try:
            is_dir, exists = path.is_dir(), path.exists() or path.is_symlink()
        except OSError as exc:  # e.g. a name longer than the filesystem allows
            raise ConfigError(f"{shown_path(path)}: {fsio.describe(exc)}") from None
        if is_dir:
            found: list[Path] = []
            _walk(path, root, found, issues, {os.path.realpath(path)})
            routers_found = any(not p.name.endswith(TESTS_SUFFIXES) for p in found)
            if not (issues or allow_empty or routers_found):
                raise ConfigError(
                    f"{path}: no router files (*.yaml or *.yml) in this directory; "
                    "create one or pass --dir"
                )
            for p in found:
                (tests if p.name.endswith(TESTS_SUFFIXES) else routers).add(p)
        elif exists:
            # Not a directory: read_document says what it is if it is not a regular file.
            (tests if path.name.endswith(TESTS_SUFFIXES) else routers).add(path)
        else:
            raise ConfigError(f"{path}: no such file or directory")
    return sorted(routers), sorted(tests), issues


def shown_path(path: Path, limit: int = 120) -> str:
    """A path from a file or flag, shortened for a one-line message."""
    text = str(path)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _looks_like_router(name: str) -> bool:
    return name.endswith(ROUTER_SUFFIXES)


def _walk(
    directory: Path,
    root: str | Path | None,
    found: list[Path],
    issues: list[Issue],
    seen: set[str],
) -> None:
    """Depth-first listing that reports, rather than skips, what it cannot read."""

    def problem(path: Path, message: str, code: str) -> None:
        issues.append(Issue(str(path), 1, 1, "", message, "error", code))

    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        problem(directory, f"cannot list directory: {fsio.describe(exc)}", "unreadable-dir")
        return
    for entry in entries:
        # Hidden files and directories (.git, .github, editor backups) are not routers.
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        looks = _looks_like_router(entry.name)
        try:
            is_link = entry.is_symlink()
            mode = entry.stat(follow_symlinks=True).st_mode if is_link else None
            is_dir = stat.S_ISDIR(mode) if mode is not None else entry.is_dir(follow_symlinks=False)
        except OSError as exc:  # a dangling or looping symlink
            if looks or "." not in entry.name:  # a router file, or perhaps a directory
                try:
                    fsio.check_link(path, None)
                except fsio.FileProblem as link:
                    problem(path, link.reason, link.code)
                else:  # pragma: no cover - raced away
                    problem(path, f"cannot read: {fsio.describe(exc)}", "io")
            continue
        if is_dir:
            if is_link and root is not None and fsio.leaves(path, root):
                problem(
                    path,
                    "is a symlink to a directory outside the project; refusing to read it",
                    "symlink-outside",
                )
                continue
            real = os.path.realpath(path)
            if real in seen:
                problem(path, "symlink loop (this directory contains itself)", "symlink-loop")
                continue
            _walk(path, root, found, issues, {*seen, real})
        elif looks:
            found.append(path)
