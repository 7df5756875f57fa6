"""RouterClient: the routers API and the catalog endpoints routerctl reads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from routerctl import redact
from routerctl.bounds import bounded_prices
from routerctl.bounds import kind_of as _describe  # one wording for JSON kinds
from routerctl.client.connection import _is_error_body, _keys, _one_line, _Reply
from routerctl.client.pages import Pages
from routerctl.errors import ApiResponseError, ApiStatusError
from routerctl.models import ROUTERS_PATH, LiveRouter
from routerctl.settle import find_settled

TASK_PRESETS_PATH = f"{ROUTERS_PATH}/tasks/presets"
ROUTER_PRESETS_PATH = f"{ROUTERS_PATH}/presets"
MODELS_PATH = "/v2/gen-ai/models"
AGENTS_PATH = "/v2/gen-ai/agents"

MAX_PRICE_PER_MILLION = 1_000_000.0  # catalog dollars per million tokens; the dearest is ~$150
# A live router name routerctl can match safely: printable, no surrounding space, no line
# break (fullmatch: `$` would let "triage-router\n" through).
_NAME_END = rf"[^\s{redact.UNSAFE_CHARS}]"
_SAFE_NAME = re.compile(rf"{_NAME_END}(?:[^{redact.UNSAFE_CHARS}]*{_NAME_END})?")


# --- the client -----------------------------------------------------------------------------


class RouterClient(Pages):
    """A thread-safe client for the routers API and the catalog endpoints routerctl reads.

    One httpx.Client (one connection pool) is shared by every thread; retries, pacing and
    statistics are guarded by locks, so apply can call it from a pool of workers.

    `parallelism` bounds the concurrent GETs of list_routers and sets how early pacing starts.
    `on_event` receives one-line progress messages (retries, pacing waits), token scrubbed;
    `on_request` one line per HTTP request (method, path, status, time) for --debug.
    `sleep`, `clock` (monotonic), `wall_clock` (Unix time, for ratelimit-reset and HTTP dates)
    and `rng` (backoff jitter) are injectable so tests neither sleep nor depend on chance.
    """

    def __repr__(self) -> str:
        return f"RouterClient(base_url={self.base_url!r})"

    def __enter__(self) -> RouterClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- routers ----------------------------------------------------------------------------

    def list_router_summaries(self) -> list[LiveRouter]:
        """Every router as the list endpoint returns it (items may lack `config`), in API
        order, without duplicates (a router shifting across a page boundary appears twice)."""
        routers: list[LiveRouter] = []
        seen: set[str] = set()
        for item in self._paginate(ROUTERS_PATH, "model_routers"):
            router = self._router(item.data, "GET", item.display, item.where)
            if router.uuid not in seen:
                seen.add(router.uuid)
                routers.append(router)
        return routers

    def list_routers(self) -> list[LiveRouter]:
        """Every router with its config, sorted by name (items listed without one: get_routers)."""
        summaries = self.list_router_summaries()
        routers = [r for r in summaries if r.has_config]
        routers += self.get_routers([r.uuid for r in summaries if not r.has_config])
        return sorted(routers, key=lambda r: (r.name, r.uuid))

    def get_routers(self, uuids: Sequence[str]) -> list[LiveRouter]:
        """Each router with its config, `parallelism` at a time, in the order given; one
        deleted meanwhile (404) is left out."""
        if not uuids:
            return []
        pool = ThreadPoolExecutor(
            max_workers=min(self._parallelism, len(uuids)), thread_name_prefix="routerctl-get"
        )
        try:
            fetched = [f.result() for f in [pool.submit(self._get_if_exists, u) for u in uuids]]
        finally:
            # On the first failure, do not start GETs whose results nobody will read.
            pool.shutdown(wait=True, cancel_futures=True)
        return [r for r in fetched if r is not None]

    def get_router(self, uuid: str) -> LiveRouter:
        """One router with its config. A missing router raises ApiStatusError with status 404."""
        path = self._router_path(uuid)
        reply = self._call("GET", path)
        return self._router(self._envelope(reply, "GET", path, "model_router"), "GET", path)

    def find_router_by_name(self, name: str) -> LiveRouter | None:
        """The router named `name`, with its config, or None."""
        for router in self.list_router_summaries():
            if router.name == name:
                return router if router.has_config else self._get_if_exists(router.uuid)
        return None

    def create_router(self, payload: dict[str, Any]) -> LiveRouter:
        """POST a router. A create is not idempotent, so after a failure that the server may
        have acted on (timeout, broken connection, 5xx) the router is looked up by name first:
        if it exists, that is the result; only if it does not is the POST sent again. Without
        a name to look up, such a failure is final."""
        name = payload.get("name")
        recover = None
        if isinstance(name, str) and name:  # a lagging list: look until it settles (settle.py)
            recover = partial(find_settled, self.list_router_summaries, name, self._get_if_exists,
                              sleep=self._sleep, clock=self._clock, emit=self._emit)  # fmt: skip
        reply = self._call("POST", ROUTERS_PATH, body=payload, idempotent=False, recover=recover)
        if reply.recovered is not None:
            return reply.recovered
        router = self._envelope(reply, "POST", ROUTERS_PATH, "model_router")
        return self._router(router, "POST", ROUTERS_PATH)

    def update_router(self, uuid: str, payload: dict[str, Any]) -> LiveRouter:
        """PUT the full desired router (PUT is idempotent: retried like a GET)."""
        path = self._router_path(uuid)
        reply = self._call("PUT", path, body=payload)
        return self._router(self._envelope(reply, "PUT", path, "model_router"), "PUT", path)

    def delete_router(self, uuid: str) -> None:
        """DELETE a router. 200 with `{uuid}` or an empty body is success, and so is a 404 on a
        retry after an attempt the server may have carried out."""
        path = self._router_path(uuid)
        reply = self._call("DELETE", path, gone_after_ambiguous=True)
        data = reply.data
        if data is None:
            return
        if not isinstance(data, dict):
            raise ApiResponseError(
                "DELETE", path, reply.status, f"expected a JSON object, got {_describe(data)}"
            )
        if "uuid" not in data and _is_error_body(data):
            raise ApiResponseError(
                "DELETE",
                path,
                reply.status,
                f"response is an error ({_one_line(data['id'])}: {_one_line(data['message'])}) "
                "instead of the deleted router's uuid",
            )
        deleted = data.get("uuid")
        if deleted not in (None, "", uuid):
            raise ApiResponseError(
                "DELETE", path, reply.status, f"the API reports deleting {_one_line(deleted)!r}"
            )

    # --- catalog ----------------------------------------------------------------------------

    def list_task_presets(self) -> list[dict[str, Any]]:
        """Built-in tasks (`task_slug`, `name`, `models`, ...), every page."""
        return [item.data for item in self._paginate(TASK_PRESETS_PATH, "tasks")]

    def list_router_presets(self) -> list[dict[str, Any]]:
        """Preset routers (`slug`, `display_name`, `config`, ...), every page."""
        return [item.data for item in self._paginate(ROUTER_PRESETS_PATH, "presets")]

    def list_models(self) -> list[dict[str, Any]]:
        """The model catalog (`id`, `name`, `pricing`, ...), every page."""
        return [
            bounded_prices(item.data, high=MAX_PRICE_PER_MILLION)
            for item in self._paginate(MODELS_PATH, "models")
        ]

    def list_agents(self) -> list[dict[str, Any]]:
        """Every agent (`uuid`, `name`, `model_router`, ...), every page: who uses a router."""
        return [item.data for item in self._paginate(AGENTS_PATH, "agents")]

    # --- helpers: shapes ----------------------------------------------------------------------

    @staticmethod
    def _router_path(uuid: str) -> str:
        if not uuid:
            raise ValueError("a router uuid is required")
        return f"{ROUTERS_PATH}/{quote(uuid, safe='')}"

    def _get_if_exists(self, uuid: str) -> LiveRouter | None:
        try:
            return self.get_router(uuid)
        except ApiStatusError as exc:
            if exc.status != 404:
                raise
            self._emit(f"router {uuid} was deleted while routerctl was reading it; skipped")
            return None

    def _envelope(self, reply: _Reply, method: str, display: str, key: str) -> dict[str, Any]:
        data = reply.data
        if not isinstance(data, dict):
            got = "an empty body" if data is None else _describe(data)
            raise ApiResponseError(
                method, display, reply.status, f"expected a JSON object with {key!r}, got {got}"
            )
        value = data.get(key)
        if value is None:
            if _is_error_body(data):
                raise ApiResponseError(
                    method,
                    display,
                    reply.status,
                    f"response is an error ({_one_line(data['id'])}: "
                    f"{_one_line(data['message'])}) instead of {key!r}",
                )
            keys = _keys(data) or "none"
            raise ApiResponseError(
                method, display, reply.status, f"response has no {key!r} (keys: {keys})"
            )
        if not isinstance(value, dict):
            raise ApiResponseError(
                method, display, reply.status, f"{key!r} is {_describe(value)}, not an object"
            )
        return value

    def _router(
        self, data: dict[str, Any], method: str, display: str, where: str = "model_router"
    ) -> LiveRouter:
        try:
            router = LiveRouter.model_validate(data)
        except ValidationError as exc:
            problems = exc.errors(include_url=False, include_input=False)
            first = problems[0]
            loc = ".".join(str(part) for part in first["loc"]) or "(root)"
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ApiResponseError(
                method,
                display,
                200,
                self._redact(f"{where} is not a valid router: {loc}: {first['msg']}{more}"),
            ) from None
        if not _SAFE_NAME.fullmatch(router.name):
            raise ApiResponseError(
                method,
                display,
                200,
                f"{where} has the name '{redact.inert(self._redact(router.name[:300]))}', with a "
                "line break, control character or surrounding space; routerctl will not match "
                "it against a router file (rename it in the control panel)",
            )
        return router
