"""Find, read, validate and cross-check router files (and tests files, overlays, project
settings). Every problem in every file is collected into one report. Never touches the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routerctl import fsio
from routerctl.discover import scan_router_files, shown_path
from routerctl.errors import ConfigError, Issue, SpecError
from routerctl.models import ProjectSettings, RouterSpec, RoutingCase
from routerctl.overlay import OVERLAY_KEYS, Overlay, deep_merge, rename_for_environment
from routerctl.spec.document import Document, _kind, read_document
from routerctl.spec.messages import _pydantic_issues, _type_message, suggest
from routerctl.spec.rules import _check_tests, check_router


@dataclass(frozen=True)
class RouterFile:
    """A router spec and where it came from."""

    spec: RouterSpec
    doc: Document

    @property
    def path(self) -> str:
        return self.doc.path


@dataclass
class LoadResult:
    routers: list[RouterFile]
    issues: list[Issue]
    files: int

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def specs(self) -> list[RouterSpec]:
        return [r.spec for r in self.routers]


# Rules that need the whole router: skipped when a salvaged spec lacks some of its tasks.
_WHOLE_ROUTER_CODES = frozenset({"no-tasks", "bad-expect-task"})


def _without(data: Any, loc: Sequence[str | int]) -> Any:
    """A copy of `data` with the value at `loc` removed (mappings only; `data` is untouched)."""
    if not loc or not isinstance(data, dict) or loc[0] not in data:
        return data
    copy = dict(data)
    if len(loc) == 1:
        del copy[loc[0]]
    else:
        copy[loc[0]] = _without(copy[loc[0]], loc[1:])
    return copy


def _salvage(data: dict[str, Any], exc: ValidationError) -> tuple[RouterSpec | None, bool]:
    """The router minus the parts that failed the schema, so the semantic rules can still report
    on the rest in the same run. Returns (spec or None, whether any task or preset was left out).

    Unknown keys are dropped; a task or preset with any other error is dropped whole; a broken
    `tests:` list is dropped whole (dropping single cases would shift the indexes of the rest).
    Without a usable `name` and `fallback_models` there is nothing to salvage.
    """
    partial = False
    for err in exc.errors():
        loc = tuple(err["loc"])
        head = loc[0] if loc else ""
        if head in ("name", "fallback_models") or not loc:
            return None, False
        if err["type"] == "extra_forbidden":
            data = _without(data, loc)
        elif head in ("tasks", "presets") and loc[2:] == ("prefer",):
            data = _without(data, loc)  # `prefer` is optional: the task itself is still usable
        elif head in ("tasks", "presets"):
            data = _without(data, loc[:2])
            partial = True
        else:
            data = _without(data, loc[:1])
    try:
        return RouterSpec.model_validate(data), partial
    except ValidationError:  # pragma: no cover - every failing part was removed above
        return None, False


def load_routers(
    paths: Sequence[str | Path],
    *,
    known_presets: Iterable[str] | None = None,
    strict: bool = False,
) -> LoadResult:
    """Read, validate and cross-check router files. Raises SpecError if any error is found
    (or any warning, with strict=True); otherwise returns the routers and the warnings."""
    result = collect_routers(paths, known_presets=known_presets)
    if result.errors or (strict and result.warnings):
        raise SpecError(result.issues)
    return result


@dataclass(frozen=True)
class _Declared:
    """A router name some file declares, for the cross-file checks. Files with schema errors
    declare names too, so a duplicate is reported even while one of the two is broken."""

    name: str
    renamed_from: list[str]
    doc: Document


def _raw_renamed_from(data: dict[str, Any]) -> list[str]:
    old = data.get("renamed_from")
    if isinstance(old, str):
        return [old]
    if isinstance(old, list) and all(isinstance(o, str) for o in old):
        return old
    return []


def collect_routers(
    paths: Sequence[str | Path],
    *,
    known_presets: Iterable[str] | None = None,
    overlay: Overlay | None = None,
    root: str | Path | None = None,
) -> LoadResult:
    """Like load_routers, but returns errors in the result instead of raising (validate).

    A router with schema errors is left out of `routers`, but the rules still run on the parts
    of it that are well-formed (see _salvage), so one run reports every problem. A file that
    cannot be read is an error, never a router that is not there (plan would prune it).
    `root`: the project directory; symlinks from inside it to outside it are refused.
    """
    router_paths, test_paths, issues = scan_router_files(paths, root=root)
    presets = set(known_presets) if known_presets is not None else None
    checked: list[RouterFile] = []  # valid and salvaged routers: test files attach to both
    declared: list[_Declared] = []
    valid: set[int] = set()  # id() of the documents without schema errors
    partial: set[int] = set()  # id() of salvaged documents that lost a task or preset
    overlays = _read_overlays(overlay, issues, root)
    used_overlays: set[str] = set()
    for path in router_paths:
        try:
            doc = read_document(path, root=root)
        except SpecError as exc:
            issues += exc.issues
            continue
        base_name = doc.data.get("name")
        if overlay is not None:
            if isinstance(base_name, str) and base_name in overlays:
                used_overlays.add(base_name)
                doc = _merge_overlay(doc, overlays[base_name])
            doc.data = rename_for_environment(doc.data, overlay)
        try:
            spec: RouterSpec | None = RouterSpec.model_validate(doc.data)
            valid.add(id(doc))
        except ValidationError as exc:
            issues += _pydantic_issues(doc, exc)
            spec, incomplete = _salvage(doc.data, exc)
            if incomplete:
                partial.add(id(doc))
        if spec is None:
            name = doc.data.get("name")
            if isinstance(name, str) and name:
                declared.append(_Declared(name, _raw_renamed_from(doc.data), doc))
            continue
        found = check_router(doc, spec, presets)
        if id(doc) in partial:
            found = [i for i in found if i.code not in _WHOLE_ROUTER_CODES]
        issues += found
        checked.append(RouterFile(spec, doc))
        declared.append(_Declared(spec.name, list(spec.renamed_from), doc))
    for name, over in sorted(overlays.items()):
        if name not in used_overlays:
            issues.append(
                over.issue(
                    (),
                    f"overlay for router {name!r}, which no file declares",
                    code="orphan-overlay",
                )
            )
    broken = {d.name for d in declared} - {r.spec.name for r in checked}
    checked = _attach_test_files(checked, test_paths, issues, overlay, partial, broken, root)
    issues += _cross_file_issues(declared)
    routers = [r for r in checked if id(r.doc) in valid]
    return LoadResult(routers, sorted(set(issues)), len(router_paths) + len(test_paths))


def _read_overlays(
    overlay: Overlay | None, issues: list[Issue], root: str | Path | None = None
) -> dict[str, Document]:
    if overlay is None or overlay.directory is None:
        return {}
    try:
        is_dir = overlay.directory.is_dir()
    except OSError as exc:
        raise ConfigError(f"{shown_path(overlay.directory)}: {fsio.describe(exc)}") from None
    if not is_dir:
        raise ConfigError(f"{shown_path(overlay.directory)}: overlay directory does not exist")
    found: dict[str, Document] = {}
    paths, _, problems = scan_router_files([overlay.directory], root=root, allow_empty=True)
    issues += problems
    for path in paths:
        if path.parent != overlay.directory:
            continue  # overlays are flat: <router-name>.yaml
        try:
            doc = read_document(path, root=root)
        except SpecError as exc:
            issues += exc.issues
            continue
        bad = [k for k in doc.data if k not in OVERLAY_KEYS]
        for key in bad:
            hint = suggest(key, OVERLAY_KEYS) or f"; overlays may set {', '.join(OVERLAY_KEYS)}"
            issues.append(
                doc.issue((key,), f"key {key!r} cannot be overlaid{hint}", code="overlay-key")
            )
        if not bad:
            found[path.name.rsplit(".", 1)[0]] = doc
    return found


def _merge_overlay(doc: Document, over: Document) -> Document:
    return Document(doc.path, deep_merge(doc.data, over.data), doc.marks, overlay=over)


def _attach_test_files(
    routers: list[RouterFile],
    test_paths: list[Path],
    issues: list[Issue],
    overlay: Overlay | None = None,
    partial: set[int] | None = None,
    broken: set[str] | None = None,
    root: str | Path | None = None,
) -> list[RouterFile]:
    """`<router-name>.tests.yaml` adds routing cases to the (first) router of that name.

    `partial`: id() of documents whose spec lost tasks to schema errors (expect_task is not
    checked against them); `broken`: names of routers whose file could not be read at all (their
    tests are checked for shape only, and are not reported as orphans).
    """
    result = list(routers)
    position: dict[str, int] = {}
    for index, router in enumerate(result):
        position.setdefault(router.spec.name, index)
    for path in test_paths:
        try:
            doc = read_document(path, required_mapping=False, root=root)
        except SpecError as exc:
            issues += exc.issues
            continue
        router_name = path.name.rsplit(".tests.", 1)[0]
        if overlay is not None:
            router_name = overlay.rename(router_name)
        where = position.get(router_name)
        if where is None and router_name not in (broken or set()):
            issues.append(
                doc.issue(
                    (),
                    f"no router named {router_name!r} for this tests file"
                    + suggest(router_name, position),
                    code="orphan-tests",
                )
            )
            continue
        data, loc, problems = RoutingCase.read_tests_file(doc.data)
        issues += [doc.issue((key,), message, code="bad-test") for key, message in problems]
        if not isinstance(data, list):
            issues.append(
                doc.issue(
                    loc,
                    "a tests file is a list of cases (or `tests:` with a list)",
                    code="bad-test",
                )
            )
            continue
        cases: list[RoutingCase] = []
        for index, item in enumerate(data):
            try:
                cases.append(RoutingCase.model_validate(item))
            except ValidationError as exc:
                for err in exc.errors():
                    issues.append(_test_case_issue(doc, (*loc, index), err))
        if where is None:
            continue
        target = result[where]
        if id(target.doc) not in (partial or set()):
            issues += _check_tests(doc, target.spec, cases, loc)
        merged = target.spec.model_copy(update={"tests": [*target.spec.tests, *cases]})
        result[where] = RouterFile(merged, target.doc)
    return result


def _test_case_issue(doc: Document, loc: tuple[str | int, ...], err: Any) -> Issue:
    kind = err["type"]
    where = (*loc, *err["loc"])
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        hint = suggest(key, RoutingCase.model_fields) or (
            f"; allowed: {', '.join(RoutingCase.model_fields)}"
        )
        return doc.issue(where, f"unknown key {key!r}{hint}", code="bad-test")
    if kind == "missing":
        key = str(err["loc"][-1])
        return doc.issue(where[:-1], f"missing required key {key!r}", code="bad-test")
    return doc.issue(where, _type_message(err), code="bad-test")


def _cross_file_issues(declared: list[_Declared]) -> list[Issue]:
    issues: list[Issue] = []
    first: dict[str, _Declared] = {}
    for router in declared:
        name = router.name
        if name in first:
            other = first[name]
            line = other.doc.mark(("name",))[0]
            issues.append(
                router.doc.issue(
                    ("name",),
                    f"router name {name!r} is already used by {other.doc.path}:{line}; "
                    "names must be unique",
                    code="duplicate-name",
                )
            )
        else:
            first[name] = router
    claimed: dict[str, _Declared] = {}
    for router in declared:
        for index, old in enumerate(router.renamed_from):
            if old in first and old != router.name:
                issues.append(
                    router.doc.issue(
                        ("renamed_from", index),
                        f"{old!r} is still declared by {first[old].doc.path}; a router cannot "
                        "be renamed from a name that still exists in the files",
                        code="rename-conflict",
                    )
                )
            if old in claimed and claimed[old] is not router:
                issues.append(
                    router.doc.issue(
                        ("renamed_from", index),
                        f"{old!r} is also in renamed_from of {claimed[old].doc.path}: only one "
                        "router can take over a live router",
                        code="rename-conflict",
                    )
                )
            claimed.setdefault(old, router)
    return issues


# --- project settings -------------------------------------------------------------------------


def load_settings(path: str | Path | None) -> tuple[ProjectSettings, Path | None]:
    """routerctl.yaml (or the file given with --config). A missing default file is fine, and so
    is an empty one (every setting is optional)."""
    if path is None:
        default = Path("routerctl.yaml")
        if not (default.exists() or default.is_symlink()):  # a dangling link is reported
            return ProjectSettings(), None
        path = default
    try:
        doc = read_document(path, required_mapping=False, what="settings file")
    except SpecError as exc:
        if [i.code for i in exc.issues] == ["empty"]:
            return ProjectSettings(), Path(path)
        raise
    if not isinstance(doc.data, dict):
        raise SpecError(
            [
                doc.issue(
                    (),
                    f"top level is {_kind(doc.data).split(' (', 1)[0]}; project settings are a "
                    "mapping (dir:, prune:, environments: …)",
                    code="bad-settings",
                )
            ]
        )
    try:
        return ProjectSettings.model_validate(doc.data), Path(path)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                key = str(loc[-1])
                hint = suggest(key, ProjectSettings.model_fields) if len(loc) == 1 else ""
                message = f"unknown key {key!r}{hint}"
            elif err["type"] == "missing":
                message = f"missing required key {loc[-1]!r}"
                loc = loc[:-1]
            else:
                message = _type_message(err)
            issues.append(doc.issue(loc, message, code="bad-settings"))
        raise SpecError(issues) from None
