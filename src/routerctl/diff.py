"""Compare desired routers with live ones and produce a Plan. Pure: no I/O, no clock.

Both sides are normalised to RouterSpec.state() first, so server-owned fields, defaults and
key order never show up as changes. The state has a fixed, shallow shape (a description, two
maps of tasks, one ordered list), so it is compared field by field here rather than with a
generic structural differ: that is exact, and fast enough for thousands of routers. Changes are
described in routerctl's own terms (task keys, pool positions), never as list indexes.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from routerctl.errors import PlanError
from routerctl.models import LiveRouter, RouterSpec, matches_any
from routerctl.plan import Action, Change, FieldChange, Plan, fingerprint

ORDERED_PREFER = "none"  # only manual ranking makes pool order meaningful
SECTIONS = ("tasks", "presets")


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
    foreign: Mapping[str, str] | None = None,
    note_targets: bool = True,
) -> Plan:
    """Desired vs live → Plan.

    Deletes only with `prune`, only inside `prune_scope` (globs), never for names matching
    `protect` (globs). `targets` limits the plan to those names (a target may also name the
    old name of a rename). When several live routers share a name, the oldest is the one
    compared; the others are reported as unmanaged and never deleted. `foreign` maps live
    names another environment owns (see ownership.py) to that environment: never deleted,
    never orphans. Raises PlanError for a rename of a protected router, for a live router
    read without its config, for a `--target` that names nothing, and for several live
    routers sharing a name this plan manages or may prune (which one clients reach is not
    documented, so neither is safe to change). `note_targets=False` leaves out the warning
    that a targeted plan compares only some routers (a re-judged saved plan).
    """
    scope = list(prune_scope)
    protected_globs = list(protect)
    wanted = set(targets)
    warnings: list[str] = []

    live_by_name, duplicates = _index_live(live, warnings)

    selected = [
        s for s in desired if not wanted or s.name in wanted or wanted.intersection(s.renamed_from)
    ]
    matched: set[str] = set()
    changes: list[Change] = []
    unchanged: list[str] = []
    for spec in sorted(selected, key=lambda s: s.name):
        after = spec.state()
        current = live_by_name.get(spec.name)
        renamed_from = None
        if current is None:
            for old in spec.renamed_from:
                if old in live_by_name and old not in matched:
                    current, renamed_from = live_by_name[old], old
                    break
        else:
            olds = [old for old in spec.renamed_from if old in live_by_name]
            if olds:
                one = len(olds) == 1
                warnings.append(
                    f"{spec.name!r} already exists live, so its renamed_from is ignored and "
                    f"{', '.join(repr(o) for o in olds)} {'is' if one else 'are'} left untouched; "
                    f"remove renamed_from to let --prune delete {'it' if one else 'them'}"
                )
        if current is None:
            changes.append(
                Change(
                    name=spec.name, action=Action.CREATE, after=after, fields=_describe_new(after)
                )
            )
            continue
        matched.add(current.name)
        before = _live_state(current, warnings)
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
    others = dict(foreign or {})
    elsewhere: dict[str, str] = {}
    for name, router in sorted(live_by_name.items()):
        if name in declared or name in matched or (wanted and name not in wanted):
            continue
        if not matches_any(name, scope):
            unmanaged.append(name)
        elif name in others:
            elsewhere[name] = others[name]
        elif matches_any(name, protected_globs):
            protected.append(name)
        elif prune:
            before = _live_state(router, warnings)
            changes.append(
                Change(
                    name=name,
                    action=Action.DELETE,
                    uuid=router.uuid,
                    before=before,
                    fingerprint=fingerprint(router.uuid, before),
                    warnings=(
                        f'clients calling model "router:{name}" will get errors once it is deleted',
                    ),
                )
            )
        else:
            prunable.append(name)
    _refuse_duplicates(
        [r for r in duplicates if not wanted or r.name in wanted],
        live,
        lambda name: name in declared or (matches_any(name, scope) and name not in others),
    )
    # Same-name duplicates are never deleted: which one clients reach is not documented.
    unmanaged += [r.name for r in duplicates if not wanted or r.name in wanted]
    unmanaged = sorted(set(unmanaged))

    known = declared | {r.name for r in live}
    _refuse_unknown_targets(wanted - known, known)
    if wanted and note_targets:
        warnings.append(
            "this plan is limited by --target: other routers were not compared and may differ"
        )
    in_scope = {r.name for r in live if matches_any(r.name, scope) and r.name not in others}

    changes.sort(key=lambda c: c.sort_key)
    plan = Plan(
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
        foreign=dict(sorted(elsewhere.items())),
        in_scope_live=len(in_scope),
    )
    mass = plan.mass_delete()
    return replace(plan, warnings=(*plan.warnings, mass)) if mass else plan


def _refuse_unknown_targets(unknown: set[str], known: set[str]) -> None:
    """A --target that matches nothing would plan nothing and look like "in sync"."""
    if not unknown:
        return
    parts = []
    for target in sorted(unknown):
        close = difflib.get_close_matches(target, sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"{target!r}{hint}")
    raise PlanError(
        f"--target {', '.join(parts)} matches no router in the files or live; nothing planned"
    )


def _refuse_duplicates(
    extras: Sequence[LiveRouter], live: Sequence[LiveRouter], ours: Callable[[str], bool]
) -> None:
    """Several live routers share a name this plan would manage or prune: an error naming
    every uuid, since which one clients reach is not documented."""
    names = sorted({r.name for r in extras if ours(r.name)})
    if not names:
        return
    described = []
    for name in names:
        same = sorted(
            (r for r in live if r.name == name), key=lambda r: (r.created_at or "", r.uuid)
        )
        described.append(
            f"{len(same)} live routers are named {name!r}: {', '.join(r.uuid for r in same)}"
        )
    raise PlanError(
        "; ".join(described) + ". Delete the extra ones (control panel or API) and plan again"
    )


def _index_live(
    live: Sequence[LiveRouter], warnings: list[str]
) -> tuple[dict[str, LiveRouter], list[LiveRouter]]:
    """Live routers by name (the oldest of each name) and the same-name extras."""
    by_name: dict[str, list[LiveRouter]] = {}
    for router in sorted(live, key=lambda r: (r.name, r.created_at or "", r.uuid)):
        by_name.setdefault(router.name, []).append(router)
    first: dict[str, LiveRouter] = {}
    extras: list[LiveRouter] = []
    for name, routers in by_name.items():
        first[name] = routers[0]
        if len(routers) > 1:
            extras += routers[1:]
            others = ", ".join(r.uuid for r in routers[1:])
            warnings.append(
                f"{len(routers)} live routers are named {name!r}; routerctl manages the oldest "
                f"({routers[0].uuid}) and leaves {others} untouched"
            )
    return first, extras


def _live_state(router: LiveRouter, warnings: list[str]) -> dict[str, Any]:
    """The live router's state; what routerctl does not know about it goes to `warnings`."""
    if not router.has_config:
        # A list summary has no tasks; comparing it would plan to delete every task.
        raise PlanError(
            f"live router {router.name!r} ({router.uuid}) was read without its config (a list "
            "summary); plans need every router as GET returns it"
        )
    warnings += router.oddities()
    return router.to_spec().state()


def describe_new(after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """The field lines of a router to create (every field, as added)."""
    return _describe_new(after)


def _describe_new(after: dict[str, Any]) -> tuple[FieldChange, ...]:
    out = [FieldChange("description", "added", after=after["description"])]
    for section in SECTIONS:
        out += [
            FieldChange(f"{section}.{key}", "added", after=body)
            for key, body in after[section].items()
        ]
    out.append(FieldChange("fallback_models", "added", after=after["fallback_models"]))
    return tuple(out)


def diff_states(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """Field-level changes between two normalised router states (empty if equivalent).

    Tasks and presets are compared by key, never by position. A pool's order counts only when
    the (desired) policy is `prefer: none`; fallback_models order always counts.
    """
    if before == after:
        return ()
    fields: list[FieldChange] = []
    if before["name"] != after["name"]:
        fields.append(FieldChange("name", "changed", before["name"], after["name"]))
    if before["description"] != after["description"]:
        fields.append(
            FieldChange("description", "changed", before["description"], after["description"])
        )
    for section in SECTIONS:
        old_tasks, new_tasks = before[section], after[section]
        if old_tasks == new_tasks:
            continue
        for key in sorted(old_tasks.keys() | new_tasks.keys()):
            old, new = old_tasks.get(key), new_tasks.get(key)
            if old != new:
                fields += _diff_task(section, key, old, new)
    if before["fallback_models"] != after["fallback_models"]:
        notes = list_notes(before["fallback_models"], after["fallback_models"], ordered=True)
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


def _diff_task(
    section: str, key: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> list[FieldChange]:
    path = f"{section}.{key}"
    if old is None:
        return [FieldChange(path, "added", None, new)]
    if new is None:
        return [FieldChange(path, "removed", old, None)]
    out: list[FieldChange] = []
    if old.get("description") != new.get("description"):
        out.append(
            FieldChange(
                f"{path}.description", "changed", old.get("description"), new.get("description")
            )
        )
    notes = list_notes(old["models"], new["models"], ordered=new["prefer"] == ORDERED_PREFER)
    if notes:
        out.append(FieldChange(f"{path}.models", "changed", old["models"], new["models"], notes))
    if old["prefer"] != new["prefer"]:
        out.append(FieldChange(f"{path}.prefer", "changed", old["prefer"], new["prefer"]))
    return out


def list_notes(before: Sequence[str], after: Sequence[str], *, ordered: bool) -> tuple[str, ...]:
    """Human lines for a list change: additions, removals, then (if `ordered`) moves.

    Ordered lists give positions (`+ x (#1)`, `- y (#3)`, `x: #3 → #1`); unordered ones give
    membership only. Moves are the items outside a longest common subsequence, so promoting one
    model to the top reads as one move, not as every model shifting. Repeated items are told
    apart by occurrence, so a removed duplicate is reported, not lost.
    """
    old, new = _occurrences(before), _occurrences(after)
    old_set, new_set = set(old), set(new)
    notes = [
        f"+ {x[0]} (#{index + 1})" if ordered else f"+ {x[0]}"
        for index, x in enumerate(new)
        if x not in old_set
    ]
    notes += [
        f"- {x[0]} (#{index + 1})" if ordered else f"- {x[0]}"
        for index, x in enumerate(old)
        if x not in new_set
    ]
    if ordered:
        common_old = [x for x in old if x in new_set]
        common_new = [x for x in new if x in old_set]
        if common_old != common_new:
            old_pos = {x: i for i, x in enumerate(old)}
            new_pos = {x: i for i, x in enumerate(new)}
            kept = set(_lcs(common_old, common_new, lambda x: old_pos[x] == new_pos[x]))
            notes += [
                f"{x[0]}: #{old_pos[x] + 1} → #{index + 1}"
                for index, x in enumerate(new)
                if x in old_set and x not in kept
            ]
    return tuple(notes)


_Item = tuple[str, int]  # a list element and which occurrence of it this is


def _occurrences(items: Sequence[str]) -> list[_Item]:
    """[a, b, a] → [(a, 1), (b, 1), (a, 2)]: every element unique, order kept."""
    seen: Counter[str] = Counter()
    out = []
    for item in items:
        seen[item] += 1
        out.append((item, seen[item]))
    return out


def _lcs(a: Sequence[_Item], b: Sequence[_Item], stays: Callable[[_Item], bool]) -> list[_Item]:
    """Longest common subsequence of two lists of unique items.

    Among equally long ones, prefer the one keeping more items that `stay` at the same
    position, so an item that did not move is never reported as moved; after that, items that
    moved *up* in `b` are the ones left out, so promoting a model reads as that model's move.
    """
    n, m = len(a), len(b)
    table = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(table[i + 1][j], table[i][j + 1])
            if a[i] == b[j]:
                rest = table[i + 1][j + 1]
                best = max(best, (rest[0] + 1, rest[1] + stays(a[i])))
            table[i][j] = best
    out: list[_Item] = []
    i = j = 0
    while i < n and j < m:
        rest = table[i + 1][j + 1]
        if a[i] == b[j] and table[i][j] == (rest[0] + 1, rest[1] + stays(a[i])):
            out.append(a[i])
            i += 1
            j += 1
        elif table[i][j + 1] >= table[i + 1][j]:
            j += 1
        else:
            i += 1
    return out
