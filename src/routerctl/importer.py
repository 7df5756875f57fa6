"""Turn live routers into router files (`routerctl import`): deterministic key order, block
style, the schema header, and a check that the file we write validates and round-trips.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routerctl.errors import ConfigError, SpecError
from routerctl.models import PREFER_VALUES, LiveConfig, LiveRouter, RouterSpec, policy_label
from routerctl.spec import check_router, dump_yaml, parse_document

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
    if not names and not all_routers:
        raise ConfigError("name the routers to import, or pass --all")
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


def write_files(files: Sequence[ImportedFile], root: Path | None = None) -> None:
    """Write each file atomically (temp file + rename: never half a file), never through a
    symlink: a symlinked file, or a symlinked directory under `root`, is refused."""
    for item in files:
        _refuse_symlinks(item.path, root)
        item.path.parent.mkdir(parents=True, exist_ok=True)
        _refuse_symlinks(item.path, root)
        fd, tmp = tempfile.mkstemp(prefix=f".{item.path.name}.", dir=item.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(item.text)
            os.replace(tmp, item.path)  # replaces a name, never follows a link
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _refuse_symlinks(path: Path, root: Path | None) -> None:
    stop = root if root is not None else path.parent
    current = path
    while True:
        if current.is_symlink():
            raise ConfigError(
                f"{path}: refusing to write through the symlink {current}; "
                "replace it with a regular file or directory"
            )
        if current == stop or current.parent == current:
            return
        current = current.parent


def import_project(
    project: Project, live: Sequence[LiveRouter], *, names: Sequence[str], all_routers: bool,
    force: bool,
) -> list[ImportedFile]:  # fmt: skip
    """plan_import for a project: its directory, files, environment mapping and ownership."""
    from routerctl.ownership import resolve_ownership

    managed = declared_names(project.router_dir)
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


def declared_names(directory: Path) -> dict[str, str]:
    """Router names (and renamed_from names) declared by files in `directory`. A file that
    cannot be read is an error: import cannot know what it declares."""
    from routerctl.spec import find_router_files, read_document

    if not directory.is_dir():
        return {}
    try:
        routers, _ = find_router_files([directory])
    except ConfigError:
        return {}
    names: dict[str, str] = {}
    for path in routers:
        try:
            data = read_document(path).data
        except SpecError as exc:
            first = exc.issues[0].format() if exc.issues else str(path)
            raise ConfigError(
                f"nothing imported: cannot tell what {path} declares ({first}); fix it first"
            ) from None
        if isinstance(data.get("name"), str):
            names.setdefault(data["name"], str(path))
        for old in data.get("renamed_from") or []:
            if isinstance(old, str):
                names.setdefault(old, str(path))
    return names
