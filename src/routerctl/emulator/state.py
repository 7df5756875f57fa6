"""Router storage for the emulator: validation of create/update bodies, the in-memory store,
and its optional JSON state file.

Behaviour the API reference (shared/reference/do-router-api.md) does not settle is an
option (`options.Behaviour`, set through the Emulator's constructor, `configure()`,
`PUT /_emulator/config` and `routerctl emulator` flags). The table of options and their
defaults is in the emulator package docstring (`routerctl/emulator/__init__.py`) and in the
README. Fixed choices, not options:

- Every invalid body gets **400** `{"id": "bad_request", "message": ...}`, for malformed
  shapes and wrong values alike (the spec documents no 400 or 422 for routers, §8.9). Only
  the first problem found is reported, as DigitalOcean's APIs do.
- A custom task without a description is returned with `"description": ""`.
- Unknown `task_slug`s are rejected (400). Not checked, because the reference does not say
  the API checks them: model ids against the catalog, the blog's "up to 3 models per task",
  duplicate tasks within a router, unknown top-level keys (ignored). A `uuid` in a PUT body
  is ignored.

The store keeps routers in the same shape GET returns them (config nested), in creation
order. Every mutation happens under one lock. With a state file, the whole store is
rewritten after each mutation: a temp file in the same directory, then `os.replace`, so a
crash leaves either the old or the new file, never half of one. Several emulator
processes may share one state file: each operation takes `fcntl.flock` on `<file>.lock`
(shared to read, exclusive to change), re-reads the file when another process changed it,
and a change is read-modify-write under the exclusive lock, so no process loses another's
writes.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import re
import tempfile
import threading
import time
import uuid as uuidlib
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from routerctl.emulator.options import PREFER_VALUES, Behaviour

# Full-string match: `$` would also accept a trailing newline ("triage-router\n").
NAME_PATTERN = re.compile(r"[a-z0-9-]+")
NAME_MAX_LENGTH = 255
# The top-level fields of a router a PUT can carry (besides `uuid` and deprecated `regions`).
ROUTER_FIELDS = ("name", "description", "policies", "fallback_models")
STATE_FILE_VERSION = 1
MAX_STATE_FILE_BYTES = 64 * 1024 * 1024


class EmulatorError(Exception):
    """The emulator cannot start or go on: one line saying what and where (no traceback)."""


class StateFileError(EmulatorError, ValueError):
    """The state file cannot be read, parsed, locked or written."""


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


def now_rfc3339(epoch: float | None = None) -> str:
    """UTC time as RFC 3339 with a `Z`, second precision (as in godo's fixtures)."""
    when = datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _model_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad_request(f"{where} must be a non-empty list of model ids")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise bad_request(f"{where} must not contain blank or non-string entries")
    return list(value)


def _policy(
    index: int, raw: Any, known_slugs: Collection[str], default_prefer: str | None
) -> dict[str, Any]:
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
    if selection is not None and not isinstance(selection, dict):
        raise bad_request(f"policy {index} selection_policy must be an object")
    prefer = (selection or {}).get("prefer")
    if prefer not in (None, "") and prefer not in PREFER_VALUES:
        raise bad_request(
            f"policy {index} selection_policy.prefer must be one of {', '.join(PREFER_VALUES)}"
        )
    if prefer not in (None, ""):
        out["selection_policy"] = {"prefer": prefer}
    elif default_prefer is not None:
        out["selection_policy"] = {"prefer": default_prefer}
    elif selection is not None:
        out["selection_policy"] = {}  # sent without a preference: echoed without one
    return out


def validate_router_body(
    body: Any,
    known_slugs: Collection[str],
    behaviour: Behaviour | None = None,
) -> dict[str, Any]:
    """Check a create/update body. Return its canonical parts (name, description, config)
    or raise EmulatorApiError(400) for the first problem."""
    options = behaviour or Behaviour()
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    name = body.get("name")
    if name is None or name == "":
        raise bad_request("name is required")
    if not isinstance(name, str):
        raise bad_request("name must be a string")
    if len(name) > NAME_MAX_LENGTH:
        raise bad_request(f"name must be at most {NAME_MAX_LENGTH} characters")
    if not NAME_PATTERN.fullmatch(name):
        raise bad_request(
            "name must contain only lowercase letters (a-z), digits (0-9) and hyphens (-)"
        )
    description = body.get("description")
    if not isinstance(description, str | None):
        raise bad_request("description must be a string")
    regions = body.get("regions")
    if options.regions_check:
        if regions is not None and regions != ["all"]:
            raise bad_request('regions is deprecated: omit it or send ["all"]')
    elif regions is not None and (
        not isinstance(regions, list) or not all(isinstance(r, str) for r in regions)
    ):
        raise bad_request("regions must be a list of strings")
    if body.get("fallback_models") is None:
        raise bad_request("fallback_models is required")
    fallbacks = _model_list(body.get("fallback_models"), "fallback_models")
    raw_policies = body.get("policies")
    if raw_policies is None:
        raw_policies = []
    if not isinstance(raw_policies, list):
        raise bad_request("policies must be a list")
    policies = [
        _policy(i, p, known_slugs, options.default_prefer) for i, p in enumerate(raw_policies)
    ]
    return {
        "name": name,
        "description": description or "",
        "config": {"fallback_models": fallbacks, "policies": policies},
    }


def _put_body(body: Any, current: dict[str, Any], semantics: str) -> Any:
    """The body a PUT is validated as, under the configured PUT semantics."""
    if not isinstance(body, dict):
        return body
    if semantics == "full":
        missing = [key for key in ROUTER_FIELDS if key not in body]
        if missing:
            raise bad_request(
                f"PUT replaces the whole router; the body lacks {', '.join(missing)} "
                "(emulator option put_semantics=full)"
            )
        return body
    if semantics == "merge":
        # godo/MCP's reading: an omitted (or null) top-level field keeps its stored value.
        merged: dict[str, Any] = {
            "name": current["name"],
            "description": current["description"],
            "policies": copy.deepcopy(current["config"]["policies"]),
            "fallback_models": list(current["config"]["fallback_models"]),
        }
        merged.update({k: v for k, v in body.items() if v is not None})
        return merged
    return body  # replace: omitted fields reset, validated exactly like create


def _check_stored(router: Any, where: str) -> None:
    """A state-file router must have the shape GET returns, or the server would fail later."""
    if not isinstance(router, dict):
        raise StateFileError(f"{where}: a router must be an object")
    for key in ("uuid", "name", "description"):
        if not isinstance(router.get(key), str):
            raise StateFileError(f"{where}: {key!r} must be a string")
    config = router.get("config")
    if not isinstance(config, dict) or not all(
        isinstance(config.get(key), list) for key in ("fallback_models", "policies")
    ):
        raise StateFileError(f"{where}: 'config' needs lists 'fallback_models' and 'policies'")


def _parse_state(path: Path, raw: bytes) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise StateFileError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); fix it or delete "
            "the file to start empty"
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise StateFileError(
            f"{path}: not a readable JSON state file ({type(exc).__name__}); fix it or delete "
            "the file to start empty"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("routers"), list):
        raise StateFileError(f'{path}: expected an object with a "routers" list')
    if data.get("version", STATE_FILE_VERSION) != STATE_FILE_VERSION:
        raise StateFileError(
            f"{path}: state file version {data.get('version')!r}, expected {STATE_FILE_VERSION}"
        )
    routers: dict[str, dict[str, Any]] = {}
    for index, router in enumerate(data["routers"]):
        _check_stored(router, f"{path}: router {index}")
        routers[router["uuid"]] = router
    return routers


class RouterStore:
    """Routers by uuid, in creation order, optionally mirrored to a JSON file."""

    def __init__(
        self,
        known_slugs: Collection[str],
        state_file: str | Path | None = None,
        *,
        behaviour: Behaviour | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._known_slugs = frozenset(known_slugs)
        self.behaviour = behaviour or Behaviour()
        self._clock = clock
        self._lock = threading.Lock()
        self._routers: dict[str, dict[str, Any]] = {}
        self._created: dict[str, float] = {}  # clock() at create, for list_lag_seconds
        self._path = Path(state_file) if state_file is not None else None
        self._signature: tuple[int, int, int] | None = None
        if self._path is not None:
            # Read (and lock) once now, so a bad file is a start-up error, not a 500 later.
            try:
                with self._lock, self._synced(exclusive=False):
                    pass
            except EmulatorApiError as exc:
                raise StateFileError(exc.message) from None

    # --- the state file ----------------------------------------------------------------

    @contextlib.contextmanager
    def _synced(self, *, exclusive: bool) -> Iterator[None]:
        """Hold the state file's lock and make the store match the file. Call with the
        thread lock held. Without a state file this does nothing."""
        if self._path is None:
            yield
            return
        lock_path = self._path.with_name(self._path.name + ".lock")
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._unusable(f"cannot open lock file {lock_path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._reload()
            yield
        finally:
            os.close(fd)  # releases the flock

    def _unusable(self, message: str) -> EmulatorApiError:
        return EmulatorApiError(500, "server_error", f"emulator state file: {message}")

    def _reload(self) -> None:
        assert self._path is not None
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            if self._signature is not None:  # removed by someone: the store is empty now
                self._routers, self._signature = {}, None
            return
        except OSError as exc:
            raise self._unusable(f"cannot read {self._path}: {exc.strerror}") from None
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if signature == self._signature:
            return
        if not os.path.isfile(self._path):
            raise self._unusable(f"{self._path} is not a regular file")
        if stat.st_size > MAX_STATE_FILE_BYTES:
            raise self._unusable(
                f"{self._path} is {stat.st_size} bytes, over the "
                f"{MAX_STATE_FILE_BYTES // (1024 * 1024)} MiB limit"
            )
        try:
            raw = self._path.read_bytes()
        except OSError as exc:
            raise self._unusable(f"cannot read {self._path}: {exc.strerror}") from None
        try:
            self._routers = _parse_state(self._path, raw)
        except StateFileError as exc:
            raise self._unusable(str(exc)) from None
        self._signature = signature

    def _save(self) -> None:
        """Rewrite the state file atomically. Call with both locks held (exclusive)."""
        if self._path is None:
            return
        directory = self._path.parent
        payload = {"version": STATE_FILE_VERSION, "routers": list(self._routers.values())}
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise self._unusable(f"cannot write in {directory}: {exc.strerror}") from None
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
        stat = os.stat(self._path)
        self._signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    # --- reads ---------------------------------------------------------------------------

    def _name_taken(self, name: str, exclude_uuid: str | None = None) -> bool:
        return any(r["name"] == name and u != exclude_uuid for u, r in self._routers.items())

    def _listed(self) -> list[dict[str, Any]]:
        """The routers a list shows: all of them, less those still hidden by the list lag."""
        lag = self.behaviour.list_lag_seconds
        if lag <= 0:
            return list(self._routers.values())
        now = self._clock()
        return [r for u, r in self._routers.items() if now - self._created.get(u, now - lag) >= lag]

    def every(self) -> list[dict[str, Any]]:
        """Copies of every router, list lag or not (tests and the control side)."""
        with self._lock, self._synced(exclusive=False):
            return copy.deepcopy(list(self._routers.values()))

    def list(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Copies of the listed routers in creation order, optionally one window of them: a
        list page copies only its own routers (copying all 1,000 for each page cost ~40 ms)."""
        with self._lock, self._synced(exclusive=False):
            return copy.deepcopy(self._listed()[start:stop])

    def count(self) -> int:
        with self._lock, self._synced(exclusive=False):
            return len(self._listed())

    def get(self, router_uuid: str) -> dict[str, Any]:
        with self._lock, self._synced(exclusive=False):
            router = self._routers.get(router_uuid)
            if router is None:
                raise EmulatorApiError(404, "not_found", NOT_FOUND_MESSAGE)
            return copy.deepcopy(router)

    def find_by_name(self, name: str) -> dict[str, Any] | None:
        with self._lock, self._synced(exclusive=False):
            for router in self._routers.values():
                if router["name"] == name:
                    return copy.deepcopy(router)
            return None

    # --- changes ---------------------------------------------------------------------------

    def create(self, body: Any) -> dict[str, Any]:
        fields = validate_router_body(body, self._known_slugs, self.behaviour)
        with self._lock, self._synced(exclusive=True):
            if self.behaviour.unique_names and self._name_taken(fields["name"]):
                raise _conflict(fields["name"])
            now = self._clock()
            stamp = now_rfc3339(now)
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
            self._created[router["uuid"]] = now
            self._save()
            return copy.deepcopy(router)

    def update(self, router_uuid: str, body: Any) -> dict[str, Any]:
        with self._lock, self._synced(exclusive=True):
            current = self._routers.get(router_uuid)
            if current is None:
                raise EmulatorApiError(404, "not_found", NOT_FOUND_MESSAGE)
            wanted = _put_body(body, current, self.behaviour.put_semantics)
            fields = validate_router_body(wanted, self._known_slugs, self.behaviour)
            if self.behaviour.unique_names and self._name_taken(
                fields["name"], exclude_uuid=router_uuid
            ):
                raise _conflict(fields["name"])
            current.update(fields, updated_at=now_rfc3339(self._clock()))
            self._save()
            return copy.deepcopy(current)

    def delete(self, router_uuid: str) -> str:
        with self._lock, self._synced(exclusive=True):
            if self._routers.pop(router_uuid, None) is None:
                raise EmulatorApiError(404, "not_found", NOT_FOUND_MESSAGE)
            self._created.pop(router_uuid, None)
            self._save()
            return router_uuid

    def clear(self) -> None:
        with self._lock, self._synced(exclusive=True):
            self._routers.clear()
            self._created.clear()
            self._save()


def _conflict(name: str) -> EmulatorApiError:
    return EmulatorApiError(409, "conflict", f"a router named {name!r} already exists")
