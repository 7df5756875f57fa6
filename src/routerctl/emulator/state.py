"""Router storage for the emulator: validation of create/update bodies, the in-memory store,
and its optional JSON state file.

Choices made where the API reference (shared/reference/do-router-api.md) is silent:

- Every invalid body gets **400** `{"id": "bad_request", "message": ...}`. This covers both
  malformed shapes and semantically wrong values. The spec documents no 400 or 422 for
  routers, and one status keeps clients simple. Only the first problem found is reported,
  as DigitalOcean's APIs do.
- A duplicate name gets **409** `{"id": "conflict", ...}`. This applies on create and on a
  rename into a taken name. The real status is unknown (reference §8.8).
- PUT **replaces the whole document** and is validated exactly like create, so `name` and
  `fallback_models` are required. A partial PUT fails loudly instead of guessing merge
  semantics the reference could not settle (§1.4). A `uuid` in the body is ignored.
- A policy without `selection_policy`, or without `prefer`, is returned with
  `{"prefer": "none"}`. A custom task without a description is returned with
  `"description": ""`.
- Not checked, because the reference does not say the API checks them: model ids against
  the catalog, the blog's "up to 3 models per task", duplicate tasks within a router, and
  unknown top-level keys (ignored).

The store keeps routers in the same shape GET returns them (config nested), in creation
order. Every mutation happens under one lock. With a state file, the whole store is
rewritten after each mutation: a temp file in the same directory, then `os.replace`, so a
crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import builtins
import copy
import json
import os
import re
import tempfile
import threading
import time
import uuid as uuidlib
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NAME_PATTERN = re.compile(r"^[a-z0-9-]+$")
NAME_MAX_LENGTH = 255
PREFER_VALUES = ("none", "cheapest", "fastest")
STATE_FILE_VERSION = 1


class EmulatorApiError(Exception):
    """An API error the emulator answers with: HTTP status plus DigitalOcean's `id`/`message`."""

    def __init__(self, status: int, error_id: str, message: str) -> None:
        super().__init__(f"{status} {error_id}: {message}")
        self.status = status
        self.error_id = error_id
        self.message = message


def bad_request(message: str) -> EmulatorApiError:
    return EmulatorApiError(400, "bad_request", message)


NOT_FOUND_MESSAGE = "The resource you were accessing could not be found."


def now_rfc3339() -> str:
    """Current UTC time as RFC 3339 with a `Z`, second precision (as in godo's fixtures)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _model_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad_request(f"{where} must be a non-empty list of model ids")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise bad_request(f"{where} must not contain blank or non-string entries")
    return list(value)


def _policy(index: int, raw: Any, known_slugs: Collection[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request(f"policy {index} must be an object")
    slug = raw.get("task_slug")
    custom = raw.get("custom_task")
    has_slug = slug not in (None, "")
    has_custom = custom is not None
    if has_slug and has_custom:
        raise bad_request(f"policy {index} must set only one of task_slug and custom_task")
    out: dict[str, Any] = {}
    if has_slug:
        if not isinstance(slug, str):
            raise bad_request(f"policy {index} task_slug must be a string")
        if slug not in known_slugs:
            raise bad_request(f"policy {index} task_slug {slug!r} is not a known task preset")
        out["task_slug"] = slug
    elif has_custom:
        if not isinstance(custom, dict):
            raise bad_request(f"policy {index} custom_task must be an object")
        name = custom.get("name")
        if name is None or (isinstance(name, str) and not name.strip()):
            raise bad_request(f"policy {index} task is required")
        description = custom.get("description")
        if not isinstance(name, str) or not isinstance(description, str | None):
            raise bad_request(f"policy {index} custom_task name and description must be strings")
        out["custom_task"] = {"name": name, "description": description or ""}
    else:
        # Exact wording of the real API's error (reference §2.2); clients may match on it.
        raise bad_request(f"policy {index} task is required")
    out["models"] = _model_list(raw.get("models"), f"policy {index} models")
    selection = raw.get("selection_policy")
    if selection is None:
        selection = {}
    if not isinstance(selection, dict):
        raise bad_request(f"policy {index} selection_policy must be an object")
    prefer = selection.get("prefer")
    if prefer in (None, ""):
        prefer = "none"
    if prefer not in PREFER_VALUES:
        raise bad_request(
            f"policy {index} selection_policy.prefer must be one of {', '.join(PREFER_VALUES)}"
        )
    out["selection_policy"] = {"prefer": prefer}
    return out


def validate_router_body(body: Any, known_slugs: Collection[str]) -> dict[str, Any]:
    """Check a create/update body. Return its canonical parts (name, description, config)
    or raise EmulatorApiError(400) for the first problem."""
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    name = body.get("name")
    if name is None or name == "":
        raise bad_request("name is required")
    if not isinstance(name, str):
        raise bad_request("name must be a string")
    if len(name) > NAME_MAX_LENGTH:
        raise bad_request(f"name must be at most {NAME_MAX_LENGTH} characters")
    if not NAME_PATTERN.match(name):
        raise bad_request(
            "name must contain only lowercase letters (a-z), digits (0-9) and hyphens (-)"
        )
    description = body.get("description")
    if not isinstance(description, str | None):
        raise bad_request("description must be a string")
    regions = body.get("regions")
    if regions is not None and regions != ["all"]:
        raise bad_request('regions is deprecated: omit it or send ["all"]')
    if body.get("fallback_models") is None:
        raise bad_request("fallback_models is required")
    fallbacks = _model_list(body.get("fallback_models"), "fallback_models")
    raw_policies = body.get("policies")
    if raw_policies is None:
        raw_policies = []
    if not isinstance(raw_policies, list):
        raise bad_request("policies must be a list")
    policies = [_policy(i, p, known_slugs) for i, p in enumerate(raw_policies)]
    return {
        "name": name,
        "description": description or "",
        "config": {"fallback_models": fallbacks, "policies": policies},
    }


class RouterStore:
    """Routers by uuid, in creation order, optionally mirrored to a JSON file."""

    def __init__(self, known_slugs: Collection[str], state_file: str | Path | None = None) -> None:
        self._known_slugs = frozenset(known_slugs)
        self._lock = threading.Lock()
        self._routers: dict[str, dict[str, Any]] = {}
        # Modes of an API weaker than the one documented (for routerctl's safety tests):
        # names need not be unique, and the list shows a router only `list_lag` seconds after
        # its create (GET by uuid sees it at once; deletes are seen at once).
        self.allow_duplicates = False
        self.list_lag = 0.0
        self._born: dict[str, float] = {}  # uuid → time.monotonic() of its create
        self._path = Path(state_file) if state_file is not None else None
        if self._path is not None and self._path.exists():
            self._routers = self._read(self._path)

    @staticmethod
    def _read(path: Path) -> dict[str, dict[str, Any]]:
        # A corrupt state file is an error, not an empty store: silently starting empty would
        # look to routerctl like every router had been deleted.
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            routers = data["routers"]
            return {r["uuid"]: r for r in routers}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot read emulator state file {path}: {exc}") from exc

    def _save(self) -> None:
        """Rewrite the state file atomically. Call with the lock held."""
        if self._path is None:
            return
        directory = self._path.parent
        directory.mkdir(parents=True, exist_ok=True)
        payload = {"version": STATE_FILE_VERSION, "routers": list(self._routers.values())}
        fd, tmp = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=2)
                handle.write("\n")
            # No fsync: the emulator needs atomicity across its own restarts, not durability
            # against power loss, and an fsync per write would skew benchmarks.
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def set_mode(self, mode: str, value: Any) -> None:
        """`duplicate_names` (bool) or `list_lag_ms` (0..600000); ValueError otherwise."""
        if mode == "duplicate_names":
            if not isinstance(value, bool):
                raise ValueError("duplicate_names must be true or false")
            self.allow_duplicates = value
        elif mode == "list_lag_ms":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("list_lag_ms must be a number")
            if not 0 <= value <= 600_000:
                raise ValueError("list_lag_ms must be between 0 and 600000")
            self.list_lag = float(value) / 1000
        else:
            raise ValueError(f"unknown mode {mode!r}")

    def modes(self) -> dict[str, Any]:
        return {"duplicate_names": self.allow_duplicates, "list_lag_ms": self.list_lag * 1000}

    def _name_taken(self, name: str, exclude_uuid: str | None = None) -> bool:
        if self.allow_duplicates:
            return False
        return any(r["name"] == name and u != exclude_uuid for u, r in self._routers.items())

    def list(
        self, start: int = 0, stop: int | None = None, *, lagged: bool = False
    ) -> list[dict[str, Any]]:
        """Copies of the routers in creation order, optionally one window of them: a list page
        copies only its own routers (copying all 1,000 for each page cost ~40 ms a page).
        `lagged`: only those the (lagging) list endpoint shows yet."""
        with self._lock:
            return copy.deepcopy(self._listed(lagged)[start:stop])

    def count(self, *, lagged: bool = False) -> int:
        with self._lock:
            return len(self._listed(lagged))

    def _listed(self, lagged: bool) -> builtins.list[dict[str, Any]]:
        routers = list(self._routers.values())
        if not lagged or self.list_lag <= 0:
            return routers
        cutoff = time.monotonic() - self.list_lag
        return [r for r in routers if self._born.get(r["uuid"], 0.0) <= cutoff]

    def get(self, router_uuid: str) -> dict[str, Any]:
        with self._lock:
            router = self._routers.get(router_uuid)
            if router is None:
                raise EmulatorApiError(404, "not_found", NOT_FOUND_MESSAGE)
            return copy.deepcopy(router)

    def find_by_name(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            for router in self._routers.values():
                if router["name"] == name:
                    return copy.deepcopy(router)
            return None

    def create(self, body: Any) -> dict[str, Any]:
        fields = validate_router_body(body, self._known_slugs)
        with self._lock:
            if self._name_taken(fields["name"]):
                raise _conflict(fields["name"])
            stamp = now_rfc3339()
            router = {
                "uuid": str(uuidlib.uuid4()),
                "name": fields["name"],
                "description": fields["description"],
                "created_at": stamp,
                "updated_at": stamp,
                "regions": ["all"],
                "config": fields["config"],
            }
            self._routers[router["uuid"]] = router
            self._born[router["uuid"]] = time.monotonic()
            self._save()
            return copy.deepcopy(router)

    def update(self, router_uuid: str, body: Any) -> dict[str, Any]:
        with self._lock:
            if router_uuid not in self._routers:
                raise EmulatorApiError(404, "not_found", NOT_FOUND_MESSAGE)
        fields = validate_router_body(body, self._known_slugs)
        with self._lock:
            current = self._routers.get(router_uuid)
            if current is None:  # deleted while we validated
                raise EmulatorApiError(404, "not_found", NOT_FOUND_MESSAGE)
            if self._name_taken(fields["name"], exclude_uuid=router_uuid):
                raise _conflict(fields["name"])
            current.update(fields, updated_at=now_rfc3339())
            self._save()
            return copy.deepcopy(current)

    def delete(self, router_uuid: str) -> str:
        with self._lock:
            if self._routers.pop(router_uuid, None) is None:
                raise EmulatorApiError(404, "not_found", NOT_FOUND_MESSAGE)
            self._save()
            return router_uuid

    def clear(self) -> None:
        with self._lock:
            self._routers.clear()
            self._born.clear()
            self._save()


def _conflict(name: str) -> EmulatorApiError:
    return EmulatorApiError(409, "conflict", f"a router named {name!r} already exists")
