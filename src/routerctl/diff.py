"""Compare desired routers with live ones and produce a Plan. Pure: no I/O, no clock.

Both sides are normalised to RouterSpec.state() first, so server-owned fields, defaults and
key order never show up as changes. deepdiff finds what differs; routerctl then describes it
in its own terms (task keys, pool positions), never with deepdiff's path syntax.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from deepdiff import DeepDiff

from routerctl.errors import PlanError
from routerctl.models import LiveRouter, RouterSpec
from routerctl.plan import Action, Change, FieldChange, Plan, fingerprint
from routerctl.spec import matches_any

ORDERED_PREFER = "none"  # only manual ranking makes pool order meaningful


def compute_plan(
    desired: Sequence[RouterSpec],
    live: Sequence[LiveRouter],
    *,
    prune: bool = False,
    prune_scope: Iterable[str] = (),
    protect: Iterable[str] = (),
    targets: Iterable[str] = (),
    environment: str | None = None,
    api_url: str | None = None,
) -> Plan:
    """Desired vs live → Plan. Deletes only with `prune`, only inside `prune_scope` (globs),
    never for names matching `protect` (globs). `targets` limits the plan to those names."""
    scope = list(prune_scope)
    protected_globs = list(protect)
    wanted = set(targets)
    warnings: list[str] = []

    live_sorted = sorted(live, key=lambda r: (r.name, r.created_at or "", r.uuid))
    live_by_name: dict[str, LiveRouter] = {}
    extra_live: list[LiveRouter] = []
    for router in live_sorted:
        if router.name in live_by_name:
            extra_live.append(router)
            warnings.append(
                f"{sum(1 for r in live if r.name == router.name)} live routers are named "
                f"{router.name!r}; routerctl manages {live_by_name[router.name].uuid} and treats "
                f"{router.uuid} as unmanaged"
            )
        else:
            live_by_name[router.name] = router

    selected = [s for s in desired if not wanted or s.name in wanted]
    matched: set[str] = set()
    changes: list[Change] = []
    unchanged: list[str] = []
    for spec in sorted(selected, key=lambda s: s.name):
        current = live_by_name.get(spec.name)
        renamed_from = None
        if current is None:
            for old in spec.renamed_from:
                if old in live_by_name and old not in matched:
                    current, renamed_from = live_by_name[old], old
                    break
        elif any(old in live_by_name for old in spec.renamed_from):
            olds = [old for old in spec.renamed_from if old in live_by_name]
            warnings.append(
                f"{spec.name!r} already exists live, so renamed_from {olds} is ignored; "
                f"the old router(s) still exist"
            )
        if current is None:
            after = spec.state()
            changes.append(
                Change(
                    name=spec.name,
                    action=Action.CREATE,
                    after=after,
                    fields=_describe_new(after),
                )
            )
            continue
        matched.add(current.name)
        before = current.to_spec().state()
        after = spec.state()
        fields = diff_states(before, after)
        change_warnings: tuple[str, ...] = ()
        if renamed_from is not None:
            if spec.protect or matches_any(renamed_from, protected_globs):
                raise PlanError(
                    f"router {renamed_from!r} is protected; renaming it to {spec.name!r} would "
                    f'break every client calling "router:{renamed_from}". Remove the protection '
                    "first (protect: true in its file, prune.protect in routerctl.yaml)"
                )
            change_warnings = (
                f'RENAME: clients calling model "router:{renamed_from}" will break once this is '
                f'applied; they must call "router:{spec.name}"',
            )
        if not fields:
            unchanged.append(spec.name)
            continue
        changes.append(
            Change(
                name=spec.name,
                action=Action.UPDATE,
                uuid=current.uuid,
                before=before,
                after=after,
                fields=fields,
                renamed_from=renamed_from,
                fingerprint=fingerprint(current.uuid, before),
                warnings=change_warnings,
            )
        )

    declared = {s.name for s in desired} | {old for s in desired for old in s.renamed_from}
    unmanaged: list[str] = []
    prunable: list[str] = []
    protected: list[str] = []
    orphans = [r for r in live_sorted if r.name not in declared and r.name not in matched]
    orphans += [r for r in extra_live if r.name in wanted or not wanted]
    for router in orphans:
        if wanted and router.name not in wanted:
            continue
        if not matches_any(router.name, scope):
            unmanaged.append(router.name)
        elif matches_any(router.name, protected_globs):
            protected.append(router.name)
        elif prune:
            before = router.to_spec().state()
            changes.append(
                Change(
                    name=router.name,
                    action=Action.DELETE,
                    uuid=router.uuid,
                    before=before,
                    fingerprint=fingerprint(router.uuid, before),
                    warnings=(
                        f'clients calling model "router:{router.name}" will get errors once '
                        "it is deleted",
                    ),
                )
            )
        else:
            prunable.append(router.name)

    known = {s.name for s in desired} | {r.name for r in live}
    for target in sorted(wanted - known):
        warnings.append(f"--target {target!r} matches no router in the files or live")
    if wanted:
        warnings.append(
            "this plan is limited by --target: other routers were not compared and may differ"
        )

    changes.sort(key=lambda c: c.sort_key)
    return Plan(
        changes=tuple(changes),
        unchanged=tuple(sorted(unchanged)),
        unmanaged=tuple(sorted(unmanaged)),
        prunable=tuple(sorted(prunable)),
        protected=tuple(sorted(protected)),
        warnings=tuple(warnings),
        environment=environment,
        api_url=api_url,
        targets=tuple(sorted(wanted)),
        prune=prune,
    )


def _describe_new(after: dict[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(path=path, kind="added", after=value) for path, value in _leaves(after)
    )


def _leaves(state: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [("description", state["description"])]
    for section in ("tasks", "presets"):
        for key, body in state[section].items():
            out.append((f"{section}.{key}", body))
    out.append(("fallback_models", state["fallback_models"]))
    return out


def diff_states(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """Field-level changes between two normalised router states (empty if equivalent)."""
    if before == after:
        return ()
    touched = _touched_paths(before, after)
    fields: list[FieldChange] = []
    if "name" in touched and before["name"] != after["name"]:
        fields.append(FieldChange("name", "changed", before["name"], after["name"]))
    if "description" in touched:
        fields.append(
            FieldChange("description", "changed", before["description"], after["description"])
        )
    for section in ("tasks", "presets"):
        keys = sorted(
            {path[1] for path in _paths_under(touched, section)}
            | (set(before[section]) ^ set(after[section]))
        )
        for key in keys:
            fields += _diff_task(section, key, before[section].get(key), after[section].get(key))
    if "fallback_models" in touched:
        notes = list_notes(before["fallback_models"], after["fallback_models"], ordered=True)
        if notes:
            fields.append(
                FieldChange(
                    "fallback_models",
                    "changed",
                    before["fallback_models"],
                    after["fallback_models"],
                    notes,
                )
            )
    return tuple(fields)


def _touched_paths(before: dict[str, Any], after: dict[str, Any]) -> set[Any]:
    """Top-level names and (section, key) pairs that deepdiff reports as different."""
    report = DeepDiff(before, after, view="tree")
    touched: set[Any] = set()
    for levels in report.values():
        for level in levels:
            path = level.path(output_format="list")
            if not path:
                continue
            touched.add(path[0])
            if path[0] in ("tasks", "presets") and len(path) > 1:
                touched.add((path[0], path[1]))
    return touched


def _paths_under(touched: set[Any], section: str) -> list[tuple[str, str]]:
    return [p for p in touched if isinstance(p, tuple) and p[0] == section]


def _diff_task(
    section: str, key: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> list[FieldChange]:
    path = f"{section}.{key}"
    if old is None:
        return [FieldChange(path, "added", None, new)]
    if new is None:
        return [FieldChange(path, "removed", old, None)]
    out: list[FieldChange] = []
    if "description" in new and old.get("description") != new.get("description"):
        out.append(
            FieldChange(
                f"{path}.description", "changed", old.get("description"), new["description"]
            )
        )
    ordered = new["prefer"] == ORDERED_PREFER
    notes = list_notes(old["models"], new["models"], ordered=ordered)
    if notes:
        out.append(FieldChange(f"{path}.models", "changed", old["models"], new["models"], notes))
    if old["prefer"] != new["prefer"]:
        out.append(FieldChange(f"{path}.prefer", "changed", old["prefer"], new["prefer"]))
    return out


def list_notes(before: Sequence[str], after: Sequence[str], *, ordered: bool) -> tuple[str, ...]:
    """Human lines for a list change: additions, removals and (if `ordered`) moves.

    Moves are the items outside a longest common subsequence, so moving one model to the top
    reads as one move, not as every model shifting.
    """
    notes: list[str] = []
    before_set, after_set = set(before), set(after)
    for index, item in enumerate(after):
        if item not in before_set:
            notes.append(f"+ {item} (#{index + 1})" if ordered else f"+ {item}")
    notes += [f"- {item}" for item in before if item not in after_set]
    if ordered:
        common_before = [x for x in before if x in after_set]
        common_after = [x for x in after if x in before_set]
        if common_before != common_after:
            kept = set(_lcs(common_before, common_after))
            for item in common_after:
                if item not in kept:
                    notes.append(
                        f"{item}: #{list(before).index(item) + 1} → #{list(after).index(item) + 1}"
                    )
    return tuple(notes)


def _lcs(a: Sequence[str], b: Sequence[str]) -> list[str]:
    """Longest common subsequence; ties keep items that come earlier in `a` (so the item that
    was promoted is the one reported as moved)."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = (
                table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
            )
    out: list[str] = []
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j]:
            out.append(a[i])
            i += 1
            j += 1
        elif table[i][j + 1] >= table[i + 1][j]:
            j += 1
        else:
            i += 1
    return out
