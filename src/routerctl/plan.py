"""Plan data: what will change, router by router, field by field. Frozen data plus ordering,
counts, fingerprints and the saved-plan file format. No I/O beyond save/load of plan files.

The JSON form (`Plan.to_dict`) is the contract: `format_version` follows semver-ish rules
(minor = additive). Text and markdown renderings are views of the same data.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routerctl import fsio
from routerctl.bounds import shape_problem
from routerctl.errors import PlanError
from routerctl.planshape import PLAN_SHAPE, STATE_KEYS
from routerctl.redact import scrub

FORMAT_VERSION = "1.1"  # new in 1.1: digest, foreign, in_scope_live, scope, reads, preview


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


MASS_DELETE_MAX = 10  # deletes in one run before apply asks for --allow-mass-delete
GUARD_KEYS = ("environment", "api_url", "targets", "prune")  # every saved plan states them

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
    # Test prompts the routing predictor sends elsewhere after this change (issue 18):
    # {"predictor", "cases", "moved": [{"prompt", "from", "to"}]}. A prediction, never a gate.
    routing_preview: dict[str, Any] | None = field(default=None, compare=False)

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
        if self.routing_preview is not None:  # additive: only when a preview was made
            data["routing_preview"] = self.routing_preview
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
            routing_preview=data.get("routing_preview"),
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
    # live, not in files, in scope, but another environment's (name → environment): untouched
    foreign: dict[str, str] = field(default_factory=dict)
    in_scope_live: int = 0  # live routers in the prune scope and this environment's
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

    @property
    def in_sync(self) -> bool:
        """No changes and no orphan (an in-scope live router without a file is drift)."""
        return self.is_empty and not self.prunable

    def mass_delete(self) -> str:
        """Why this many deletes need --allow-mass-delete ("" when they do not)."""
        deletes = self.count(Action.DELETE)
        if deletes > MASS_DELETE_MAX:
            why = f"more than {MASS_DELETE_MAX}"
        elif deletes * 2 > self.in_scope_live:
            why = f"more than half of the {self.in_scope_live} in-scope live routers"
        else:
            return ""
        return (
            f"MASS DELETE: this plan deletes {deletes} router{'s' if deletes != 1 else ''}, "
            f"{why}; apply refuses it without --allow-mass-delete"
        )

    def summary_line(self) -> str:
        if self.is_empty and self.prunable:
            n = len(self.prunable)
            return (
                f"No changes planned, but {n} in-scope live router{'s have' if n > 1 else ' has'} "
                "no file: `--prune` would delete "
                f"{'them' if n > 1 else 'it'} (listed above)."
            )
        if self.is_empty:
            return "No changes. Live routers match the router files."
        return (
            f"Plan: {self.count(Action.CREATE)} to create, {self.count(Action.UPDATE)} to update, "
            f"{self.count(Action.DELETE)} to delete."
        )

    def reads_lines(self) -> list[str]:
        """The footer line: requests made and rate-limit quota left (none when not recorded)."""
        return [self.reads_line()] if self.reads else []

    def reads_line(self) -> str:
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
        data["foreign"] = dict(self.foreign)
        data["in_scope_live"] = self.in_scope_live
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
            foreign=dict(data.get("foreign", {})),
            in_scope_live=int(data.get("in_scope_live", 0)),
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


def digest(data: dict[str, Any]) -> str:
    """Integrity digest of a plan document (every key but `digest`): catches an edited or
    damaged file. Not a signature: anyone can recompute it; review protects the content."""
    body = {k: v for k, v in data.items() if k != "digest"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()


# 1,000 changed routers make a plan of about 3 MB; a file many times that is not a plan.
MAX_PLAN_BYTES = 64 * 1024 * 1024
MAX_PLAN_INT_DIGITS = 24  # plans hold counts and indexes, never a number near 10**24


def save_plan(plan: Plan, path: str | Path) -> None:
    """Write the plan as JSON with its digest, atomically (a half-written plan must never be
    applied)."""
    # Secrets out first (a server may have echoed one into a name), so the digest covers the
    # text as it is written.
    data = json.loads(scrub(json.dumps(plan.to_dict(), ensure_ascii=False)))
    data["digest"] = digest(data)
    text = json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    fsio.atomic_write(path, text, what="plan file")


class _BadNumber(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text) > MAX_PLAN_INT_DIGITS:
        raise _BadNumber(f"a {len(text):,}-digit number")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"the out-of-range number {text[:40]}")
    return value


def _parse_constant(text: str) -> Any:
    raise _BadNumber(f"{text}, which JSON does not allow")


def parse_plan_json(text: str, name: str) -> Any:
    """json.loads with the plan file's bounds: integers of at most MAX_PLAN_INT_DIGITS digits,
    finite floats, no NaN/Infinity, nesting the interpreter can decode. PlanError otherwise."""
    try:
        return json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"{name}:{exc.lineno}: not a plan file (invalid JSON: {exc.msg}); "
            "create one with `routerctl plan --out FILE`"
        ) from None
    except _BadNumber as exc:
        raise PlanError(
            f"{name}: damaged plan file (it holds {exc}); re-run `routerctl plan --out`"
        ) from None
    except RecursionError:
        raise PlanError(
            f"{name}: damaged plan file (JSON nested too deeply); re-run `routerctl plan --out`"
        ) from None


def _printable(value: Any, limit: int = 20) -> str:
    """A value from the file, shortened and with control characters replaced, for messages."""
    return "".join(c if c.isprintable() else "?" for c in str(value)[:limit])


def load_plan(path: str | Path) -> Plan:
    """Read a saved plan; PlanError with a one-line reason if it is not one we can apply."""
    try:
        text = fsio.read_text(path, limit=MAX_PLAN_BYTES, what="plan file")
    except fsio.FileProblem as exc:
        raise PlanError(f"{exc.path}: cannot read saved plan: {exc.reason}") from None
    return plan_from_text(text, str(path))


def plan_from_text(text: str, path: str) -> Plan:
    """load_plan without the file: the JSON text of a saved plan, judged the same way."""
    data = parse_plan_json(text, path)
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanError(f"{path}: not a routerctl plan file (no format_version)")
    if not isinstance(data["format_version"], str | int | float):
        raise PlanError(f"{path}: damaged plan file (format_version is not a version string)")
    major = str(data["format_version"]).split(".")[0]
    if major != FORMAT_VERSION.split(".")[0]:
        raise PlanError(
            f"{path}: plan format {_printable(data['format_version'])} is not supported by this "
            "routerctl "
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
    if not problem:
        problem = _guard_damage(data)
    if problem:
        problem = _printable(problem, 200)  # it can quote a value from the file
        raise PlanError(f"{path}: damaged plan file ({problem}); re-run `routerctl plan --out`")
    if data.get("digest") != digest(data):
        what = "has no digest" if "digest" not in data else "does not match its digest"
        raise PlanError(
            f"{path}: refused: the plan {what}, so it was edited or damaged after "
            "`routerctl plan --out` wrote it; make a new plan and review it"
        )
    # Last, every field's type as the file has it: from_dict coerces ("prune": "yes" → True,
    # "targets": "all" → three one-letter targets), which the checks above cannot see.
    wrong = shape_problem(data, PLAN_SHAPE)
    if wrong:
        raise PlanError(f"{path}: damaged plan file ({wrong}); re-run `routerctl plan --out`")
    return plan


def _guard_damage(data: dict[str, Any]) -> str:
    """A guard field that is missing or mistyped (a missing field never turns a check off)."""
    for key in GUARD_KEYS:
        if key not in data:
            return f"no {key!r}"
    if not isinstance(data["environment"], str | None) or not isinstance(
        data["api_url"], str | None
    ):
        return "environment and api_url must be strings"
    if not isinstance(data["prune"], bool):
        return "prune must be true or false"
    targets = data["targets"]
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        return "targets must be a list of names"
    return ""


FIELD_KINDS = ("added", "removed", "changed")


def _plain(value: Any, depth: int = 0) -> bool:
    """A value as diff writes it into a field change or state: a scalar, a list of model ids,
    or a task/preset body of those (found by fuzzing: anything else crashed the renderer)."""
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    if isinstance(value, dict) and depth < 2:
        return all(_plain(item, depth + 1) for item in value.values())
    return False


def _valid_state(state: Any) -> bool:
    """A router state (RouterSpec.state): the five keys, with the types render and apply use."""
    if not isinstance(state, dict) or any(key not in state for key in STATE_KEYS):
        return False
    if not isinstance(state["name"], str) or not isinstance(state["description"], str | None):
        return False
    if not _plain(state["fallback_models"]) or not isinstance(state["fallback_models"], list):
        return False
    return all(
        isinstance(state[section], dict)
        and all(isinstance(body, dict) and _plain(body, 1) for body in state[section].values())
        for section in ("tasks", "presets")
    )


def _damage(plan: Plan) -> str:
    """What makes a parsed plan unusable for apply or rendering ("" if nothing)."""
    for label, names in (
        ("unchanged", plan.unchanged),
        ("unmanaged", plan.unmanaged),
        ("prunable", plan.prunable),
        ("protected", plan.protected),
        ("targets", plan.targets),
        ("warnings", plan.warnings),
    ):
        if not all(isinstance(n, str) for n in names):
            return f'"{label}" is not a list of strings'
    for label, value in (("environment", plan.environment), ("api_url", plan.api_url)):
        if value is not None and not isinstance(value, str):
            return f'"{label}" is not a string'
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
            if not _valid_state(state):
                return f"{where} has no valid {label} state"
        for fc in change.fields:
            if not isinstance(fc.path, str) or fc.kind not in FIELD_KINDS:
                return f"{where} has a malformed field change"
            if not all(isinstance(n, str) for n in fc.notes):
                return f"{where} has a malformed field change"
            if not (_plain(fc.before) and _plain(fc.after)):
                return f"{where} has a malformed field change ({_printable(fc.path, 60)})"
            texts = (fc.before, fc.after)
            described = fc.path.endswith("description")
            if described and not all(isinstance(t, str | None) for t in texts):
                return f"{where} has a malformed field change ({_printable(fc.path, 60)})"
        for label, value in (
            ("renamed_from", change.renamed_from),
            ("fingerprint", change.fingerprint),
            ("uuid", change.uuid),
        ):
            if value is not None and not isinstance(value, str):
                return f"{where} has a malformed {label}"
        if not all(isinstance(w, str) for w in change.warnings):
            return f"{where} has malformed warnings"
    return ""
