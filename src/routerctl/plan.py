"""Plan data: what will change, router by router, field by field. Frozen data plus ordering,
counts, fingerprints and the saved-plan file format. No I/O beyond save/load of plan files.

The JSON form (`Plan.to_dict`) is the contract: `format_version` follows semver-ish rules
(minor = additive). Text and markdown renderings are views of the same data.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routerctl.errors import PlanError

FORMAT_VERSION = "1.0"


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


ACTION_ORDER = {Action.CREATE: 0, Action.UPDATE: 1, Action.DELETE: 2}


@dataclass(frozen=True)
class FieldChange:
    """One changed field. `path` is routerctl's own (e.g. `tasks.classify.models`)."""

    path: str
    kind: str  # "added" | "removed" | "changed"
    before: Any = None
    after: Any = None
    notes: tuple[str, ...] = ()  # moves and membership lines, e.g. "claude-x: #2 → #1"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Change:
    """One router's planned change. `before`/`after` are normalised states (RouterSpec.state)."""

    name: str
    action: Action
    uuid: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    fields: tuple[FieldChange, ...] = ()
    renamed_from: str | None = None
    fingerprint: str | None = None  # of the live router this change was planned against
    warnings: tuple[str, ...] = ()
    # Agents whose `model_router` is this router (deletes and renames; see dependencies.py).
    agents: tuple[dict[str, str], ...] = ()

    @property
    def sort_key(self) -> tuple[int, str]:
        return (ACTION_ORDER[self.action], self.name)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "action": self.action.value,
            "uuid": self.uuid,
            "renamed_from": self.renamed_from,
            "fingerprint": self.fingerprint,
            "before": self.before,
            "after": self.after,
            "field_changes": [f.to_dict() for f in self.fields],
            "warnings": list(self.warnings),
        }
        if self.agents:  # additive (format 1.x): absent when no agent uses the router
            data["agents"] = [dict(a) for a in self.agents]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(
            name=data["name"],
            action=Action(data["action"]),
            uuid=data.get("uuid"),
            before=data.get("before"),
            after=data.get("after"),
            fields=tuple(
                FieldChange(
                    path=f["path"],
                    kind=f["kind"],
                    before=f.get("before"),
                    after=f.get("after"),
                    notes=tuple(f.get("notes", ())),
                )
                for f in data.get("field_changes", [])
            ),
            renamed_from=data.get("renamed_from"),
            fingerprint=data.get("fingerprint"),
            warnings=tuple(data.get("warnings", ())),
            agents=tuple(
                {"uuid": str(a.get("uuid", "")), "name": str(a.get("name", ""))}
                for a in data.get("agents", ())
                if isinstance(a, dict)
            ),
        )


@dataclass(frozen=True)
class Plan:
    """Every change, in apply order (creates, updates, deletes; each by name)."""

    changes: tuple[Change, ...] = ()
    unchanged: tuple[str, ...] = ()  # managed routers that already match
    unmanaged: tuple[str, ...] = ()  # live, not in files, outside the prune scope: never touched
    prunable: tuple[str, ...] = ()  # live, not in files, in scope: deleted only with --prune
    protected: tuple[str, ...] = ()  # would be deleted but are protected
    warnings: tuple[str, ...] = ()
    environment: str | None = None
    api_url: str | None = None
    targets: tuple[str, ...] = ()
    prune: bool = False
    costs: dict[str, Any] | None = field(default=None, compare=False)
    # What was compared when not everything was (--changed-since): mode, ref, routers, left out.
    scope: dict[str, Any] | None = None
    # What making the plan cost: requests, estimate, quota_limit, quota_remaining.
    reads: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    def summary_line(self) -> str:
        if self.is_empty:
            return "No changes. Live routers match the router files."
        return (
            f"Plan: {self.count(Action.CREATE)} to create, {self.count(Action.UPDATE)} to update, "
            f"{self.count(Action.DELETE)} to delete."
        )

    def reads_line(self) -> str:
        """The footer: requests made and rate-limit quota left ("" when not recorded)."""
        if not self.reads:
            return ""
        made = self.reads.get("requests")
        left, limit = self.reads.get("quota_remaining"), self.reads.get("quota_limit")
        quota = (
            f"; rate-limit quota left: about {left} of {limit}"
            if left is not None and limit
            else ""
        )
        return f"API requests made: {made}{quota}."

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "api_url": self.api_url,
            "targets": list(self.targets),
            "prune": self.prune,
            "summary": {
                "create": self.count(Action.CREATE),
                "update": self.count(Action.UPDATE),
                "delete": self.count(Action.DELETE),
                "unchanged": len(self.unchanged),
            },
            "changes": [c.to_dict() for c in self.changes],
            "unchanged": list(self.unchanged),
            "unmanaged": list(self.unmanaged),
            "prunable": list(self.prunable),
            "protected": list(self.protected),
            "warnings": list(self.warnings),
        }
        if self.costs is not None:
            data["costs"] = self.costs
        if self.scope is not None:
            data["scope"] = self.scope
        if self.reads is not None:
            data["reads"] = self.reads
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            changes=tuple(Change.from_dict(c) for c in data.get("changes", [])),
            unchanged=tuple(data.get("unchanged", ())),
            unmanaged=tuple(data.get("unmanaged", ())),
            prunable=tuple(data.get("prunable", ())),
            protected=tuple(data.get("protected", ())),
            warnings=tuple(data.get("warnings", ())),
            environment=data.get("environment"),
            api_url=data.get("api_url"),
            targets=tuple(data.get("targets", ())),
            prune=bool(data.get("prune", False)),
            costs=data.get("costs"),
            scope=data.get("scope") if isinstance(data.get("scope"), dict) else None,
            reads=data.get("reads") if isinstance(data.get("reads"), dict) else None,
        )


def fingerprint(uuid: str, state: dict[str, Any]) -> str:
    """Content hash of a live router as routerctl sees it (normalised state + uuid).

    Content rather than `updated_at`, because the API does not promise to bump the timestamp
    and a list-only summary may not carry it.
    """
    blob = json.dumps({"uuid": uuid, "state": state}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()[:32]


def save_plan(plan: Plan, path: str | Path) -> None:
    """Write the plan as JSON, atomically (a half-written plan must never be applied)."""
    target = Path(path)
    text = json.dumps(plan.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_plan(path: str | Path) -> Plan:
    """Read a saved plan; PlanError with a one-line reason if it is not one we can apply."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read saved plan: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"{path}:{exc.lineno}: not a plan file (invalid JSON: {exc.msg}); "
            "create one with `routerctl plan --out FILE`"
        ) from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanError(f"{path}: not a routerctl plan file (no format_version)")
    major = str(data["format_version"]).split(".")[0]
    if major != FORMAT_VERSION.split(".")[0]:
        raise PlanError(
            f"{path}: plan format {data['format_version']} is not supported by this routerctl "
            f"(reads {FORMAT_VERSION}); re-run `routerctl plan --out`"
        )
    if not isinstance(data.get("changes"), list):
        # e.g. another tool's JSON plan that happens to carry a format_version
        raise PlanError(f'{path}: not a routerctl plan file (no "changes" list)')
    try:
        plan = Plan.from_dict(data)
        problem = _damage(plan)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, KeyError):
            problem = f"missing key {exc.args[0]!r}"
        else:
            problem = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        plan = Plan()
    if problem:
        raise PlanError(f"{path}: damaged plan file ({problem}); re-run `routerctl plan --out`")
    return plan


STATE_KEYS = ("name", "description", "tasks", "presets", "fallback_models")
FIELD_KINDS = ("added", "removed", "changed")


def _damage(plan: Plan) -> str:
    """What makes a parsed plan unusable for apply or rendering ("" if nothing)."""
    for index, change in enumerate(plan.changes):
        where = f"change {index}"
        if not isinstance(change.name, str) or not change.name:
            return f"{where} has no router name"
        where = f"change {index} ({change.name})"
        needs_before = change.action is not Action.CREATE
        needs_after = change.action is not Action.DELETE
        if needs_before and not (isinstance(change.uuid, str) and change.uuid):
            return f"{where} has no uuid"
        for label, state, needed in (
            ("before", change.before, needs_before),
            ("after", change.after, needs_after),
        ):
            if state is None and not needed:
                continue
            if not isinstance(state, dict) or any(key not in state for key in STATE_KEYS):
                return f"{where} has no valid {label} state"
        for fc in change.fields:
            if not isinstance(fc.path, str) or fc.kind not in FIELD_KINDS:
                return f"{where} has a malformed field change"
        if not all(isinstance(w, str) for w in change.warnings):
            return f"{where} has malformed warnings"
    return ""
