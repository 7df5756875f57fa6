"""Turn live routers into router files (`routerctl import`): deterministic key order, block
style, the schema header, and a check that the file we write validates and round-trips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routerctl import fsio
from routerctl.errors import ConfigError, SpecError, UsageError
from routerctl.models import PREFER_VALUES, LiveConfig, LiveRouter, RouterSpec, policy_label
from routerctl.spec import check_router, dump_yaml, parse_document, read_document

if TYPE_CHECKING:
    from routerctl.project import Project

SCHEMA_HEADER = "# yaml-language-server: $schema=../schema/router.schema.json"


@dataclass(frozen=True)
class ImportedFile:
    name: str
    path: Path
    text: str
    warnings: tuple[str, ...] = ()


def router_document(spec: RouterSpec) -> dict[str, Any]:
    """The file form of a router, keys in the order people read them."""
    doc: dict[str, Any] = {"name": spec.name}
    if spec.description:
        doc["description"] = spec.description
    if spec.tasks:
        doc["tasks"] = {
            key: {"description": t.description, "models": list(t.models), "prefer": t.prefer}
            for key, t in spec.tasks.items()
        }
    if spec.presets:
        doc["presets"] = {
            slug: {"models": list(p.models), "prefer": p.prefer} for slug, p in spec.presets.items()
        }
    doc["fallback_models"] = list(spec.fallback_models)
    return doc


def render_router_file(spec: RouterSpec, *, uuid: str | None = None) -> str:
    """The file text, already in `routerctl fmt`'s canonical form (so fmt --check passes
    right after an import)."""
    from routerctl.fmt import format_text

    origin = f"# Imported by `routerctl import` from live router {spec.name}"
    origin += f" (uuid {uuid})." if uuid else "."
    text = f"{SCHEMA_HEADER}\n{origin}\n{dump_yaml(router_document(spec))}"
    return format_text(text, f"{spec.name}.yaml")


def require_selection(names: Sequence[str], all_routers: bool) -> None:
    """A usage error (exit 64) before any API call when nothing was asked for."""
    if not names and not all_routers:
        raise UsageError("name the routers to import, or pass --all")


def plan_import(
    live: Sequence[LiveRouter],
    *,
    names: Sequence[str],
    all_routers: bool,
    directory: Path,
    force: bool,
    managed: dict[str, str],
    base_name: Callable[[str], str | None] = lambda name: name,
    other_owner: Callable[[str], str | None] = lambda name: None,
) -> list[ImportedFile]:
    """Files to write for the selected live routers. `managed` maps router names already
    declared in the directory (names and renamed_from) to their file, so import never
    creates a second declaration.

    `--all` adopts: only live routers of this environment's mapping that no file declares
    and no other environment owns (`other_owner`, see ownership.py); a managed file is never
    rewritten, with or without `force`. Only a router named explicitly, with `force`, has
    its own file rewritten. A file that declares another router is never overwritten."""
    require_selection(names, all_routers)
    by_name = {r.name: r for r in live}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ConfigError(
            f"no live router named {', '.join(repr(m) for m in missing)}; "
            f"live routers: {', '.join(sorted(by_name)) or '(none)'}"
        )
    chosen = sorted(by_name) if all_routers else list(dict.fromkeys(names))
    out: list[ImportedFile] = []
    problems: list[str] = []
    for live_name in chosen:
        router = by_name[live_name]
        name = base_name(live_name)  # an environment's prefix/suffix is not part of the file
        if name is None:
            if not all_routers:
                problems.append(f"{live_name}: lacks this environment's name prefix/suffix")
            continue
        path = directory / f"{name}.yaml"
        declared_in = managed.get(name)
        if all_routers and (declared_in is not None or other_owner(live_name) is not None):
            continue  # managed here, or another environment's: --all adopts only the rest
        if declared_in is not None and Path(declared_in) != path:
            problems.append(f"{name}: already declared in {declared_in}")
            continue
        if path.exists() or path.is_symlink():
            if declared_in is None:
                problems.append(f"{path}: exists and declares another router; not overwritten")
                continue
            if not force:
                problems.append(f"{path}: exists; pass --force to overwrite it")
                continue
        unwritable = _unwritable(router)
        if unwritable:
            problems.append(f"{name}: {unwritable}")
            continue
        spec = router.to_spec(keep_taskless=False).model_copy(update={"name": name})
        text = render_router_file(spec, uuid=router.uuid)
        doc = parse_document(text.encode(), str(path))
        reread = RouterSpec.model_validate(doc.data)
        issues = check_router(doc, reread, None)
        errors = [i.format() for i in issues if i.severity == "error"]
        if errors:
            problems.append(
                f"{name}: the live router breaks a rule routerctl enforces ({errors[0]}); "
                "fix it in the control panel or write its file by hand"
            )
            continue
        if reread.state() != spec.state():  # pragma: no cover - guards dump_yaml regressions
            problems.append(f"{name}: the generated file does not round-trip; please report this")
            continue
        warnings = tuple(f"warning: {odd}" for odd in router.oddities())
        warnings += tuple(i.format() for i in issues if i.severity == "warning")
        out.append(ImportedFile(name, path, text, warnings))
    if problems:
        raise ConfigError("nothing imported: " + "; ".join(problems))
    return out


def _unwritable(router: LiveRouter) -> str:
    """Why a live router cannot become a file ("" if it can).

    Decision (README, "Import"): a selection policy routerctl does not know is refused with
    this one line rather than written with an escape hatch: a file that accepted it would
    send the unknown value back on every later apply, and nobody knows what the API does
    with it. A policy with no task cannot be written at all.
    """
    for index, policy in enumerate((router.config or LiveConfig()).policies or []):
        prefer = policy.selection_policy.prefer if policy.selection_policy else None
        if prefer and prefer not in PREFER_VALUES:
            return (
                f"{policy_label(policy, index)} has selection policy {prefer!r}, which is not "
                f"a documented value ({', '.join(PREFER_VALUES)}) and cannot be written to a "
                "router file; choose cost, speed or manual ranking for it in the control "
                "panel, then import again"
            )
        if not (policy.custom_task and policy.custom_task.name) and not policy.task_slug:
            return (
                f"policy {index + 1} has neither task_slug nor custom_task and cannot be "
                "written to a router file; fix it in the control panel, then import again"
            )
    return ""


def write_files(files: Sequence[ImportedFile], *, root: str | Path | None = None) -> None:
    """Write each file atomically. Every target is checked before the first is written, so a
    symlink (even a dangling one, which `exists()` misses) stops the import before it starts."""
    for item in files:
        if item.path.is_symlink():
            raise fsio.FileProblem(
                str(item.path),
                "cannot write router file: it is a symlink, and routerctl never writes through "
                "one; nothing imported",
                "symlink",
            )
        if root is not None and fsio.leaves(item.path.parent, root):
            raise fsio.FileProblem(
                str(item.path),
                "cannot write router file: its directory leads outside the project through a "
                "symlink; nothing imported",
                "symlink-outside",
            )
    for item in files:
        fsio.atomic_write(item.path, item.text, what="router file", root=root, make_parents=True)


def import_project(
    project: Project, live: Sequence[LiveRouter], *, names: Sequence[str], all_routers: bool,
    force: bool,
) -> list[ImportedFile]:  # fmt: skip
    """plan_import for a project: its directory, files, environment mapping and ownership."""
    from routerctl.ownership import resolve_ownership

    managed = declared_names(project.router_dir, root=project.root)
    ownership = resolve_ownership(project.settings, project.environment, managed)
    overlay = project.overlay
    return plan_import(
        live,
        names=names,
        all_routers=all_routers,
        directory=project.router_dir,
        force=force,
        managed=managed,
        base_name=overlay.base_name if overlay is not None else lambda name: name,
        other_owner=ownership.other_owner,
    )


def summary(files: Sequence[ImportedFile], all_routers: bool) -> str:
    if not files and all_routers:
        return "Nothing to import: every live router of this environment is declared by a file."
    count = f"{len(files)} router{'' if len(files) == 1 else 's'}"
    return f"Imported {count}. Review the files, then `routerctl plan`."


def declared_names(directory: Path, *, root: str | Path | None = None) -> dict[str, str]:
    """Router names already declared by files in `directory`. A file that cannot be read at
    all is an error (SpecError): its router would look undeclared and be imported twice.
    Files that read but do not parse are skipped here; validate reports them."""
    from routerctl.discover import scan_router_files

    if not directory.is_dir():
        return {}
    try:
        routers, _, issues = scan_router_files([directory], root=root)
    except ConfigError:
        return {}
    names: dict[str, str] = {}
    for path in routers:
        try:
            data = read_document(path, root=root).data
        except SpecError as exc:
            issues += [i for i in exc.issues if i.code in _UNREADABLE]
            continue
        if isinstance(data.get("name"), str):
            names.setdefault(data["name"], str(path))
        for old in data.get("renamed_from") or []:  # the old name of a rename is managed too
            if isinstance(old, str):
                names.setdefault(old, str(path))
    if issues:
        raise SpecError(issues)
    return names


# fsio's codes: the file was never read, as opposed to read and found invalid.
_UNREADABLE = frozenset(
    {"io", "not-regular", "symlink-dangling", "symlink-loop", "symlink-outside", "file-too-large"}
)
