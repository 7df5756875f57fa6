"""Formatting files on disk: read every file, format them all, then write (or only report
with `check`); atomically, never through a symlink."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from routerctl import fsio
from routerctl.discover import scan_router_files
from routerctl.errors import Issue, SpecError
from routerctl.fmt.text import format_text
from routerctl.spec import MAX_FILE_BYTES, parse_document


@dataclass(frozen=True)
class FormattedFile:
    """One file: its text as read, and in canonical form."""

    path: str
    original: str
    formatted: str

    @property
    def changed(self) -> bool:
        return self.original != self.formatted

    def diff(self) -> str:
        """A unified diff from the file as it is to its canonical form ("" if none)."""
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.formatted.splitlines(keepends=True),
            fromfile=f"{self.path} (current)",
            tofile=f"{self.path} (formatted)",
        )
        # As diff(1) does, so that the next file's diff does not start on this line.
        return "".join(
            line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
            for line in lines
        )


@dataclass(frozen=True)
class FmtResult:
    """What format_paths found: every file it read, and whether it wrote the changes."""

    files: tuple[FormattedFile, ...]
    written: bool

    @property
    def changed(self) -> list[str]:
        """Paths of the files that changed (or, with check=True, would change)."""
        return [f.path for f in self.files if f.changed]

    @property
    def unchanged(self) -> list[str]:
        return [f.path for f in self.files if not f.changed]


def format_paths(
    paths: Sequence[str | Path], *, check: bool, root: str | Path | None = None
) -> FmtResult:
    """Format router files and `*.tests.yaml` files (directories are searched as validate
    searches them). With check=True nothing is written.

    Every file is read and formatted before any is written, and nothing is written if one
    fails (SpecError listing every failing file), so a run never leaves a half-formatted tree.
    """
    routers, tests, issues = scan_router_files(paths, root=root)
    files: list[FormattedFile] = []
    for path in sorted([*routers, *tests]):
        name = str(path)
        try:
            raw = fsio.read_bytes(path, limit=MAX_FILE_BYTES, what="router file", root=root)
            if path.is_symlink():  # fmt rewrites files: it would replace the link with a copy
                raise fsio.FileProblem(
                    name, "is a symlink; fmt does not write through symlinks (format its target)"
                )
        except fsio.FileProblem as exc:
            issues.append(Issue(name, 1, 1, "", exc.reason, "error", exc.code))
            continue
        try:
            # parse_document first: it reports size and encoding problems with a location.
            parse_document(raw, name, required_mapping=False)
            original = raw.decode("utf-8")  # a byte-order mark counts as a change
            files.append(FormattedFile(name, original, format_text(original, name)))
        except SpecError as exc:
            issues += exc.issues
    if issues:
        raise SpecError(issues)
    if not check:
        for item in files:
            if item.changed:
                _write(Path(item.path), item.formatted, root)
    return FmtResult(tuple(files), written=not check)


def _write(path: Path, text: str, root: str | Path | None = None) -> None:
    """Replace the file atomically, keeping its permissions: an interrupted fmt leaves either
    the old file or the new one, never half of each."""
    fsio.atomic_write(path, text, what="router file", root=root)
