"""`plan --changed-since REF`: which routers a change touches, from git.

The changed files are those `git diff` lists between the merge base of REF and HEAD and the
working tree (so committed, staged and unstaged edits and untracked files all count; in CI the
working tree is HEAD), renames and deletions included. They map to routers like this:

- a router file: the router it declares now, and the name it declared at the merge base (a
  deleted file, or an edited `name:`, leaves a live router that only --prune can remove);
- `<name>.tests.yaml`: that router; an overlay file of the current environment: that router;
- routerctl.yaml (the `--config` file: prune scope, environments, name mapping, traffic):
  widens the plan to every router, since any of them may be affected;
- anything else (another environment's overlays, docs, CI files): no router.

Then the set is closed over `renamed_from`: a router renamed from a name in the set, and the
old names of a router in the set, are in it too. Names are the current environment's live names.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routerctl.errors import ConfigError, SpecError
from routerctl.models import LiveRouter, RouterSpec
from routerctl.spec import ROUTER_SUFFIXES, TESTS_SUFFIXES, LoadResult, parse_document

GIT_TIMEOUT = 60.0  # seconds for one git command; a repository that slow is a problem to report


@dataclass(frozen=True)
class ChangeScope:
    """The routers a change touches (`names`), or None when it widens to everything."""

    ref: str
    base: str  # the merge base of REF and HEAD, as a commit id
    names: frozenset[str] | None
    why: dict[str, str] = field(default_factory=dict)  # name → the first reason found
    widened: str = ""  # why everything is planned, when names is None
    files: tuple[str, ...] = ()  # the changed paths, relative to the repository

    def record(
        self, specs: Sequence[RouterSpec], live: Sequence[LiveRouter]
    ) -> tuple[dict[str, Any], list[str]]:
        """The plan's `scope` (JSON) and the lines that say what was left out and why."""
        data: dict[str, Any] = {
            "mode": "changed-since",
            "ref": self.ref,
            "merge_base": self.base,
            "changed_files": list(self.files),
        }
        if self.names is None:
            data.update(widened=self.widened, routers=None, left_out=[])
            return data, [f"--changed-since {self.ref}: {self.widened}, so every router is planned"]
        declared = {s.name for s in specs}
        left_files = sorted(declared - self.names)
        left_live = sorted({r.name for r in live} - declared - self.names)
        data["routers"] = [{"name": n, "why": self.why.get(n, "")} for n in sorted(self.names)]
        data["left_out"] = [
            {"name": n, "why": "file, overlay and tests unchanged"} for n in left_files
        ] + [{"name": n, "why": "live, no file, and no file of it deleted"} for n in left_live]
        planned = ", ".join(sorted(self.names)) or "none"
        lines = [
            f"this plan is limited to the {_n(len(self.names), 'router')} changed since "
            f"{self.ref} ({planned}); left out, not read or compared: "
            f"{_n(len(left_files), 'router')} whose file, overlay and tests are unchanged, and "
            f"{_n(len(left_live), 'live router')} with no file that no change deleted. "
            "A full plan (no --changed-since) compares everything"
        ]
        return data, lines


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _run(
    args: Sequence[str], cwd: Path, what: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise ConfigError("--changed-since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"git {args[0]} took over {GIT_TIMEOUT:g} s ({what})") from None


def _git(args: Sequence[str], cwd: Path, what: str) -> str:
    done = _run(args, cwd, what)
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = err[0] if err else f"exit status {done.returncode}"
        if "not a git repository" in first:
            raise ConfigError(f"--changed-since needs a git repository: {cwd} is not in one")
        raise ConfigError(f"git {args[0]} failed ({what}): {first[:200]}")
    return done.stdout.decode("utf-8", "surrogateescape")


def _merge_base(ref: str, top: Path) -> str:
    if not ref.strip() or ref.startswith("-"):
        raise ConfigError(f"--changed-since {ref!r} is not a git ref")
    # Checked first because merge-base's own message for a typo does not name the problem.
    if _run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top, ref).returncode:
        raise ConfigError(
            f"--changed-since {ref}: no such commit, branch or tag here (in CI, fetch it first: "
            "`git fetch origin <branch>`, with enough history for a merge base)"
        )
    done = _run(["merge-base", ref, "HEAD"], top, f"merge base of {ref} and HEAD")
    if done.returncode:
        raise ConfigError(
            f"--changed-since {ref}: no merge base with HEAD (a shallow clone? fetch more "
            "history, e.g. `git fetch --unshallow`)"
        )
    return done.stdout.decode("ascii", "replace").strip()


def _changed_paths(base: str, top: Path) -> list[tuple[str, str | None]]:
    """(path now, path at the merge base) for every changed path; None where absent."""
    out = _git(["diff", "--name-status", "-z", "-M", "--no-color", base, "--"], top, "diff")
    parts = out.split("\0")
    found: list[tuple[str, str | None]] = []
    index = 0
    while index < len(parts) and parts[index]:
        status = parts[index]
        if status[:1] in ("R", "C"):
            old, new = parts[index + 1], parts[index + 2]
            found.append((new, old if status[0] == "R" else None))
            index += 3
            continue
        path = parts[index + 1]
        found.append(("" if status[:1] == "D" else path, None if status[:1] == "A" else path))
        index += 2
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top, "untracked")
    found += [(path, None) for path in untracked.split("\0") if path]
    return found


@functools.lru_cache(maxsize=256)
def _real_dir(directory: Path) -> Path:
    return directory.resolve()


def _real(path: Path) -> Path:
    """The path with its directory resolved: one realpath per directory, not per file (1,000
    of them cost 0.17 s). A symlinked router file keeps its own name, which is what git lists."""
    return _real_dir(path.parent) / path.name


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class GitChanges:
    """What git says changed since REF: it needs no router file, so it is read while the
    files load (workflow.plan_project)."""

    ref: str
    top: Path  # the repository's top directory, resolved
    base: str
    changes: tuple[tuple[str, str | None], ...]  # see _changed_paths
    names_at_base: dict[str, str | None]  # a changed router file's `name:` at the merge base


def read_changes(ref: str, *, cwd: Path, router_dir: Path, overlay_dir: Path | None) -> GitChanges:
    """The git half of changed_scope: the merge base, the changed paths, and the names the
    changed or deleted router files declared at the merge base (one `git cat-file` for all)."""
    found = _git(["rev-parse", "--show-toplevel"], cwd.resolve(), "find the repository")
    top = Path(found.strip()).resolve()
    base = _merge_base(ref, top)
    changes = tuple(_changed_paths(base, top))
    routers_at = router_dir.resolve()
    overlays_at = overlay_dir.resolve() if overlay_dir is not None else None
    olds = sorted(
        {
            before
            for _, before in changes
            if before
            and before.endswith(ROUTER_SUFFIXES)
            and not before.endswith(TESTS_SUFFIXES)
            and _inside(_real(top / before), routers_at)
            and not (overlays_at is not None and _inside(_real(top / before), overlays_at))
        }
    )
    return GitChanges(ref, top, base, changes, _names_at(base, olds, top))


def changed_scope(
    *,
    changes: GitChanges,
    loaded: LoadResult,
    router_dir: Path,
    settings_path: Path | None,
    overlay_dir: Path | None,
    rename: Callable[[str], str] | None = None,
) -> ChangeScope:
    """The routers changed since `changes.ref` (see the module doc). `rename` maps a file's
    name to the environment's live name (Overlay.rename), None for no mapping."""
    live_name = rename if rename is not None else (lambda name: name)
    ref, base, top = changes.ref, changes.base, changes.top
    files = tuple(sorted({p for pair in changes.changes for p in pair if p}))
    settings = settings_path.resolve() if settings_path is not None else None
    routers_at = router_dir.resolve()
    overlays_at = overlay_dir.resolve() if overlay_dir is not None else None
    by_path = {_real(Path(r.path)): r.spec.name for r in loaded.routers}
    why: dict[str, str] = {}

    def add(name: str, reason: str) -> None:
        why.setdefault(name, reason)

    for now, before in changes.changes:
        for rel, at_base in ((now, False), (before, True)):
            if not rel:
                continue
            path = _real(top / rel)
            if settings is not None and path == settings:
                return ChangeScope(ref, base, None, widened=f"{rel} changed", files=files)
            name = Path(rel).name
            if not name.endswith(ROUTER_SUFFIXES):
                continue
            if overlays_at is not None and _inside(path, overlays_at):
                add(live_name(name.rsplit(".", 1)[0]), f"overlay {rel} changed")
            elif not _inside(path, routers_at):
                continue
            elif name.endswith(TESTS_SUFFIXES):
                add(live_name(name.rsplit(".tests.", 1)[0]), f"tests {rel} changed")
            elif not at_base:
                if path in by_path:
                    add(by_path[path], f"{rel} changed")
            else:
                old = changes.names_at_base.get(rel)
                if old is None:
                    return ChangeScope(
                        ref,
                        base,
                        None,
                        widened=f"{rel} at the merge base declares no readable router name",
                        files=files,
                    )
                add(live_name(old), f"{rel} changed or deleted (its name at {ref})")
    names = _close_over_renames(set(why), loaded.specs, why)
    return ChangeScope(ref, base, frozenset(names), why, files=files)


def _names_at(commit: str, rels: Sequence[str], top: Path) -> dict[str, str | None]:
    """`name:` of each file at `commit` (None: missing or unreadable), from one
    `git cat-file --batch` (a process per file cost ~20 ms each)."""
    asked = [rel for rel in rels if "\n" not in rel]  # the batch protocol is line-based
    names: dict[str, str | None] = dict.fromkeys(rels)
    if not asked:
        return names
    stdin = "".join(f"{commit}:{rel}\n" for rel in asked).encode("utf-8", "surrogateescape")
    done = _run(["cat-file", "--batch"], top, "read files at the merge base", stdin)
    if done.returncode != 0:
        return names
    out, pos = done.stdout, 0
    for rel in asked:
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
            continue  # "<object> missing"
        size = int(header[2])
        names[rel] = _declared_name(out[pos : pos + size], rel)
        pos += size + 1
    return names


def _declared_name(raw: bytes, rel: str) -> str | None:
    try:
        data = parse_document(raw, rel).data
    except SpecError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def _close_over_renames(
    names: set[str], specs: Sequence[RouterSpec], why: dict[str, str]
) -> set[str]:
    """Add the old names of routers in the set, and routers renamed from names in it."""
    grown = True
    while grown:
        grown = False
        for spec in specs:
            linked = spec.name in names or names.intersection(spec.renamed_from)
            for name in (spec.name, *spec.renamed_from) if linked else ():
                if name not in names:
                    names.add(name)
                    why.setdefault(name, f"renamed_from links it to {spec.name}")
                    grown = True
    return names
