"""Turn live routers into router files (`routerctl import`): deterministic key order, block
style, the schema header, and a check that the file we write validates and round-trips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routerctl.errors import ConfigError, SpecError
from routerctl.models import PREFER_VALUES, LiveConfig, LiveRouter, RouterSpec, policy_label
from routerctl.spec import check_router, dump_yaml, parse_document

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
) -> list[ImportedFile]:
    """Files to write for the selected live routers. `managed` maps router names already
    declared in the directory to their file, so import never creates a second declaration."""
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
        if declared_in is not None and Path(declared_in) != path:
            if all_routers:
                continue  # already managed: --all adopts only what is not in the files yet
            problems.append(f"{name}: already declared in {declared_in}")
            continue
        if path.exists() and not force:
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


def write_files(files: Sequence[ImportedFile]) -> None:
    for item in files:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        item.path.write_text(item.text, encoding="utf-8")


def declared_names(directory: Path) -> dict[str, str]:
    """Router names already declared by files in `directory` (best effort: unreadable files
    are skipped here; validate reports them)."""
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
        except SpecError:
            continue
        if isinstance(data.get("name"), str):
            names.setdefault(data["name"], str(path))
    return names
