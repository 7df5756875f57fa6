"""The emulator's HTTP server: the DigitalOcean router management API (`/v2/gen-ai/...`), the
inference route (`POST /v1/chat/completions`), and a control API (`/_emulator/...`), all on
one port. Only the standard library is used (http.server's ThreadingHTTPServer).

Order of work for one request:

1. A scripted or random fault may fire (see faults.py). `drop_before` and `status` faults
   end the request here, before authentication, as a proxy in front of the API would.
2. `/v2` requests sleep for the configured latency plus the fault plan's latency.
3. Bearer auth. `/v2` requests then pass the rate limiter, which counts per token.
4. The request is routed and handled. Unknown paths get 404 and wrong methods get 405, both
   as JSON.
5. A `delay` fault holds the answer, and a `drop_after_commit` fault closes the connection
   without answering.

Every response carries `x-request-id` and the `ratelimit-*` headers. Every error body
carries `request_id`. The control API needs no auth and is never rate limited, faulted or
counted in the stats.

The inference route answers OpenAI-shaped bodies. Its `x-model-router-selected-route`
header is the matched custom task name, the preset slug, or `fallback`.
`x-emulator-route-score` carries the matcher's score (see routing.py) so a test can show
why a prompt landed where it did, `x-emulator-predictor` names the matcher. Unknown routers
get 404 `model_not_found`, and models that are not `router:<name>` get 400.

Auth on the inference route: with `model_access_key` set, that key is accepted, and so is
`token` when set, because DigitalOcean's inference endpoint also accepts a personal access
token. With only `token` set, only `token` is accepted. With neither, any bearer token is
accepted.
"""

from __future__ import annotations

import enum
import logging
import math
import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from routerctl.emulator import catalog
from routerctl.emulator.agents import AgentsMixin, AgentStore
from routerctl.emulator.control import StoreControl
from routerctl.emulator.faults import Fault, FaultInjector, FaultPlan
from routerctl.emulator.http import (
    _ERROR_IDS,
    _ERROR_MESSAGES,
    _api_error,
    _header_value,
    _HTTPServer,
    _int_param,
    _match,
    _openai_error,
    _Reply,
    _Request,
    _Route,
    _route,
    _seconds,
    _slicer,
)
from routerctl.emulator.netguard import control_refusal, host_problem, listen_problem
from routerctl.emulator.options import Behaviour, check_server_settings
from routerctl.emulator.ratelimit import RateLimiter, RateState
from routerctl.emulator.routing import Matcher, estimate_tokens, message_text, select_route
from routerctl.emulator.state import (
    EmulatorApiError,
    EmulatorError,
    RouterStore,
    bad_request,
)
from routerctl.emulator.stats import RequestLog, Stats

logger = logging.getLogger("routerctl.emulator")

ROUTERS = "/v2/gen-ai/models/routers"
DEFAULT_PER_PAGE = 20
REQUEST_LOG_SIZE = 1000  # entries kept by the request log (contract tests read it)


class _Unset(enum.Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET


_Handler = Callable[[_Request, dict[str, str]], _Reply]


# Order matters: the literal preset paths must win over `routers/{uuid}`.
_API_ROUTES: tuple[_Route, ...] = (
    _route(rf"^{ROUTERS}$", ROUTERS, GET="_list_routers", POST="_create_router"),
    _route(rf"^{ROUTERS}/tasks/presets$", f"{ROUTERS}/tasks/presets", GET="_list_task_presets"),
    _route(rf"^{ROUTERS}/presets$", f"{ROUTERS}/presets", GET="_list_router_presets"),
    _route(
        rf"^{ROUTERS}/(?P<uuid>[^/]+)$",
        f"{ROUTERS}/{{uuid}}",
        GET="_get_router",
        PUT="_update_router",
        DELETE="_delete_router",
    ),
    _route(r"^/v2/gen-ai/models$", "/v2/gen-ai/models", GET="_list_models"),
    _route(r"^/v2/gen-ai/agents$", "/v2/gen-ai/agents", GET="_list_agents"),  # agents.py
)
_INFERENCE_ROUTE = _route(
    r"^(/v1)?/chat/completions$", "/v1/chat/completions", POST="_chat_completions"
)
_CONTROL_ROUTES: tuple[_Route, ...] = (
    _route(r"^/_emulator/reset$", "/_emulator/reset", POST="_control_reset"),
    _route(
        r"^/_emulator/faults$", "/_emulator/faults", GET="_control_faults", POST="_control_faults"
    ),
    _route(r"^/_emulator/stats$", "/_emulator/stats", GET="_control_stats"),
    _route(r"^/_emulator/agents$", "/_emulator/agents", POST="_control_agents"),
    _route(r"^/_emulator/routers$", "/_emulator/routers", GET="_control_routers"),
    _route(
        r"^/_emulator/config$", "/_emulator/config", GET="_control_config", PUT="_control_config"
    ),
    _route(r"^/_emulator/requests$", "/_emulator/requests", GET="_control_requests"),
)


class Emulator(AgentsMixin, StoreControl):
    """A local stand-in for the DigitalOcean router API and the inference route.

    Use it as a context manager (`with Emulator() as emu:`), call `start()` to serve from a
    daemon thread, or call `serve_forever()` to block (the CLI). State, faults and counters
    can be driven directly (`put_router`, `set_faults`, `reset`, `stats`) or over HTTP
    under `/_emulator/`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | Path | None = None,
        rate_limit_per_minute: int | None = None,
        rate_limit_per_hour: int | None = None,
        latency_ms: float = 0.0,
        summary_list: bool = False,
        page_size_cap: int = 200,
        token: str | None = None,
        model_access_key: str | None = None,
        unique_names: bool = False,
        regions_check: bool = True,
        put_semantics: str = "full",
        default_prefer: str | None = None,
        list_lag_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
        matcher: Matcher | None = None,
    ) -> None:
        self.host = host
        self._match = matcher  # picks tasks on the inference route (routing.py); CLI injects
        self._port = port
        self.token = token
        self.model_access_key = model_access_key
        self._clock = clock
        self._task_presets = catalog.task_presets()
        self._preset_descriptions = catalog.preset_descriptions()
        self._router_presets = catalog.router_presets()
        self._models = catalog.models()
        self._store = RouterStore(self._preset_descriptions, state_file, clock=clock)
        self._agents = AgentStore()  # not persisted to the state file
        self._faults = FaultInjector()
        self._stats = Stats()
        self._limiter = RateLimiter(clock=clock)
        self._request_log = RequestLog(REQUEST_LOG_SIZE)
        self._latency_ms = 0.0
        self._summary_list = False
        self._page_size_cap = 200
        self.configure(
            latency_ms=latency_ms,
            rate_limit_per_minute=rate_limit_per_minute,
            rate_limit_per_hour=rate_limit_per_hour,
            summary_list=summary_list,
            page_size_cap=page_size_cap,
            unique_names=unique_names,
            regions_check=regions_check,
            put_semantics=put_semantics,
            default_prefer=default_prefer,
            list_lag_seconds=list_lag_seconds,
        )
        self._lifecycle = threading.Lock()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------

    def _bind(self) -> _HTTPServer:
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError("emulator is already running")
            problem = host_problem(self.host)
            if problem is not None:
                raise EmulatorError(problem)
            try:
                server = _HTTPServer((self.host, self._port), self)
            except (OSError, OverflowError, UnicodeError) as exc:
                raise EmulatorError(listen_problem(self.host, self._port, exc)) from None
            # Keep the port across stop()/start(), so a restarted emulator has the same URL.
            self._port = int(server.server_address[1])
            self._server = server
            return server

    def start(self) -> Emulator:
        """Bind and serve from a daemon thread. Returns self."""
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"routerctl-emulator:{self._port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("emulator listening on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Bind and serve in the calling thread until stop() or Ctrl-C."""
        server = self._bind()
        logger.info("emulator listening on %s", self.url)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            logger.info("emulator interrupted, shutting down")
        finally:
            self._close(server)

    def stop(self) -> None:
        """Stop serving and close open connections. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()  # returns once serve_forever has left its loop
        self._close(server)
        if thread is not None:
            thread.join(timeout=5)
        self._thread = None

    def _close(self, server: _HTTPServer) -> None:
        server.server_close()
        # Keep-alive connections would otherwise stay served by their handler threads.
        server.close_all_connections()
        with self._lifecycle:
            if self._server is server:
                self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. "http://127.0.0.1:54321" (no trailing slash)."""
        if self._port == 0:
            raise RuntimeError("emulator has no port yet: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    # --- direct state access (tests, benchmarks) ---------------------------------------

    def reset(self) -> None:
        """Drop all routers, agents, faults, counters and rate-limit windows. Config is kept."""
        self._store.clear()
        self._agents.clear()
        self._faults.reset()
        self._stats.reset()
        self._limiter.reset()
        self._request_log.clear()

    def put_router(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a router as POST would (same validation). Raises EmulatorApiError."""
        return self._store.create(body)

    def update_router(self, router_uuid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replace a router as PUT would, e.g. to simulate an edit in the control panel."""
        return self._store.update(router_uuid, body)

    def delete_router(self, router_uuid: str) -> None:
        self._store.delete(router_uuid)

    def routers(self) -> list[dict[str, Any]]:
        """Stored routers as GET returns them, in creation order (list lag does not apply)."""
        return self._store.every()

    def request_log(self) -> list[dict[str, Any]]:
        """The last REQUEST_LOG_SIZE exchanges, oldest first (see stats.RequestLog)."""
        return self._request_log.entries()

    def rate_limits(self, token: str) -> dict[str, int]:
        """The hourly quota for `token` as the next response's headers will report it."""
        state = self._limiter.peek(token)
        return {"limit": state.limit, "remaining": state.remaining, "reset": state.reset}

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan; script progress and the random sequence restart."""
        self._faults.set_plan(plan)

    @property
    def faults(self) -> FaultPlan:
        return self._faults.plan

    @property
    def stats(self) -> dict[str, Any]:
        """A snapshot of the counters (see Stats.snapshot for the keys)."""
        return self._stats.snapshot(self._faults.counters())

    def configure(
        self,
        *,
        latency_ms: float | _Unset = UNSET,
        rate_limit_per_minute: int | _Unset | None = UNSET,
        rate_limit_per_hour: int | _Unset | None = UNSET,
        summary_list: bool | _Unset = UNSET,
        page_size_cap: int | _Unset = UNSET,
        unique_names: bool | _Unset = UNSET,
        regions_check: bool | _Unset = UNSET,
        put_semantics: str | _Unset = UNSET,
        default_prefer: str | _Unset | None = UNSET,
        list_lag_seconds: float | _Unset = UNSET,
    ) -> dict[str, Any]:
        """Change settings at runtime (also `PUT /_emulator/config`). Returns all settings.
        Nothing changes when any setting is invalid (ValueError names it)."""
        given: dict[str, Any] = {
            key: value
            for key, value in {
                "latency_ms": latency_ms,
                "rate_limit_per_minute": rate_limit_per_minute,
                "rate_limit_per_hour": rate_limit_per_hour,
                "summary_list": summary_list,
                "page_size_cap": page_size_cap,
                "unique_names": unique_names,
                "regions_check": regions_check,
                "put_semantics": put_semantics,
                "default_prefer": default_prefer,
                "list_lag_seconds": list_lag_seconds,
            }.items()
            if not isinstance(value, _Unset)
        }
        check_server_settings(given)
        behaviour = Behaviour(**self._store.behaviour.as_dict())
        for key in set(given) & set(behaviour.as_dict()):
            setattr(behaviour, key, given[key])
        behaviour.check()
        self._latency_ms = float(given.get("latency_ms", self._latency_ms))
        self._limiter.per_minute = given.get("rate_limit_per_minute", self._limiter.per_minute)
        self._limiter.per_hour = given.get("rate_limit_per_hour", self._limiter.per_hour)
        self._summary_list = given.get("summary_list", self._summary_list)
        self._page_size_cap = given.get("page_size_cap", self._page_size_cap)
        self._store.behaviour = behaviour
        return self.config

    @property
    def config(self) -> dict[str, Any]:
        return {
            "latency_ms": self._latency_ms,
            "rate_limit_per_minute": self._limiter.per_minute,
            "rate_limit_per_hour": self._limiter.per_hour,
            "summary_list": self._summary_list,
            "page_size_cap": self._page_size_cap,
            **self._store.behaviour.as_dict(),
        }

    # --- request pipeline -------------------------------------------------------------

    def _dispatch(self, req: _Request) -> _Reply:
        """Run one request through faults, auth, rate limiting and its handler."""
        control = _match(_CONTROL_ROUTES, req.path)
        if control is not None or req.path.startswith("/_emulator/"):
            refused = control_refusal(req.headers)
            if refused is not None:
                return self._finish(req, _api_error(req, 403, refused), None)
            reply = self._call(req, control)
            return self._finish(req, reply, None)

        is_api = req.path.startswith("/v2/")
        is_inference = _INFERENCE_ROUTE.pattern.match(req.path) is not None
        found = _match(_API_ROUTES, req.path) if is_api else None
        if is_inference:
            found = (_INFERENCE_ROUTE, {})
        self._stats.request(req.method, found[0].template if found else "<unknown>")

        fault = self._faults.decide(req.method, req.path, allow_random=is_api)
        if is_api:
            delay = self._latency_ms + self._faults.latency_ms
            if delay > 0:
                time.sleep(delay / 1000)
        if fault is not None and fault.action == "drop_before":
            return self._finish(req, _Reply.dropped(), None)
        if fault is not None and fault.action == "status":
            return self._finish(req, self._fault_reply(req, fault, is_inference), None)

        rate: RateState | None = None
        if is_inference:
            reply = self._serve_inference(req, found)
        elif is_api:
            reply, rate = self._serve_api(req, found)
        else:
            reply = _api_error(req, 404)

        if fault is not None and fault.action == "delay":
            time.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.action == "drop_after_commit":
            reply = _Reply.dropped()
        return self._finish(req, reply, rate)

    def _finish(self, req: _Request, reply: _Reply, rate: RateState | None) -> _Reply:
        if reply.drop:
            if not req.path.startswith("/_emulator/"):
                self._stats.dropped()
            return reply
        state = rate or self._limiter.peek(req.token or "")
        for key, value in state.headers().items():
            reply.headers.setdefault(key, value)
        if not req.path.startswith("/_emulator/"):
            self._stats.answered(reply.status)
        return reply

    def _serve_api(
        self, req: _Request, found: tuple[_Route, dict[str, str]] | None
    ) -> tuple[_Reply, RateState | None]:
        token = req.token
        if token is None or (self.token is not None and token != self.token):
            return _api_error(req, 401), None
        rate = self._limiter.admit(token)
        if not rate.allowed:
            self._stats.rate_limited()
            return _api_error(req, 429), rate
        return self._call(req, found), rate

    def _serve_inference(
        self, req: _Request, found: tuple[_Route, dict[str, str]] | None
    ) -> _Reply:
        accepted = {k for k in (self.model_access_key, self.token) if k is not None}
        if self.model_access_key is None and self.token is not None:
            accepted = {self.token}
        token = req.token
        if token is None or (accepted and token not in accepted):
            return _openai_error(401, "Invalid or missing API key.", "invalid_api_key")
        return self._call(req, found, openai=True)

    def _call(
        self, req: _Request, found: tuple[_Route, dict[str, str]] | None, *, openai: bool = False
    ) -> _Reply:
        if found is None:
            return _api_error(req, 404)
        route, params = found
        name = route.methods.get(req.method)
        if name is None:
            allowed = ", ".join(sorted(route.methods))
            if openai:
                reply = _openai_error(
                    405, f"Method {req.method} not allowed.", "method_not_allowed"
                )
            else:
                reply = _api_error(req, 405, f"Method {req.method} is not allowed here.")
            reply.headers["allow"] = allowed
            return reply
        handler = cast(_Handler, getattr(self, name))
        try:
            return handler(req, params)
        except EmulatorApiError as exc:
            if openai:
                return _openai_error(exc.status, exc.message, exc.error_id)
            return _api_error(req, exc.status, exc.message, exc.error_id)

    def _fault_reply(self, req: _Request, fault: Fault, inference: bool) -> _Reply:
        if inference:
            reply = _openai_error(
                fault.status,
                _ERROR_MESSAGES.get(fault.status, "Injected fault."),
                _ERROR_IDS.get(fault.status, "error"),
                "server_error" if fault.status >= 500 else "invalid_request_error",
            )
        else:
            reply = _api_error(req, fault.status)
        if fault.status == 429:
            reply.headers["ratelimit-remaining"] = "0"
        if fault.retry_after is not None:
            reply.headers["retry-after"] = _seconds(fault.retry_after)
        return reply

    # --- management API handlers ------------------------------------------------------

    def _paginate(
        self,
        req: _Request,
        key: str,
        items: list[Any] | None,
        *,
        total: int | None = None,
        window: Callable[[int, int], list[Any]] | None = None,
    ) -> dict[str, Any]:
        """One page of `items`, or of a collection known by its `total` and read by `window`
        (start, stop) so that only the page's items are materialised."""
        page = _int_param(req, "page", 1)
        per_page = min(_int_param(req, "per_page", DEFAULT_PER_PAGE), self._page_size_cap)
        if items is not None:
            total, window = len(items), _slicer(items)
        if total is None or window is None:
            raise TypeError("_paginate needs items, or a total and a window")
        pages = max(1, math.ceil(total / per_page))
        base = f"http://{req.host}{req.path}"

        def link(number: int) -> str:
            return f"{base}?page={number}&per_page={per_page}"

        # Only the links that make sense, with the gen-ai key names (`previous`, not `prev`).
        links: dict[str, str] = {}
        if page > 1:
            links["first"] = link(1)
            links["previous"] = link(min(page - 1, pages))
        if page < pages:
            links["next"] = link(page + 1)
            links["last"] = link(pages)
        start = (page - 1) * per_page
        return {
            key: window(start, start + per_page),
            "links": {"pages": links},
            "meta": {"page": page, "pages": pages, "total": total},
        }

    def _list_routers(self, req: _Request, params: dict[str, str]) -> _Reply:
        def window(start: int, stop: int) -> list[dict[str, Any]]:
            routers = self._store.list(start, stop)
            if self._summary_list:
                return [
                    {"uuid": r["uuid"], "name": r["name"], "description": r["description"]}
                    for r in routers
                ]
            return routers

        body = self._paginate(req, "model_routers", None, total=self._store.count(), window=window)
        return _Reply(200, body)

    def _create_router(self, req: _Request, params: dict[str, str]) -> _Reply:
        router = self._store.create(req.json())
        self._stats.committed("create")
        return _Reply(200, {"model_router": router})

    def _get_router(self, req: _Request, params: dict[str, str]) -> _Reply:
        return _Reply(200, {"model_router": self._store.get(params["uuid"])})

    def _update_router(self, req: _Request, params: dict[str, str]) -> _Reply:
        router = self._store.update(params["uuid"], req.json())
        self._stats.committed("update")
        return _Reply(200, {"model_router": router})

    def _delete_router(self, req: _Request, params: dict[str, str]) -> _Reply:
        deleted = self._store.delete(params["uuid"])
        self._stats.committed("delete")
        return _Reply(200, {"uuid": deleted})

    def _list_task_presets(self, req: _Request, params: dict[str, str]) -> _Reply:
        return _Reply(200, self._paginate(req, "tasks", self._task_presets))

    def _list_router_presets(self, req: _Request, params: dict[str, str]) -> _Reply:
        return _Reply(200, self._paginate(req, "presets", self._router_presets))

    def _list_models(self, req: _Request, params: dict[str, str]) -> _Reply:
        return _Reply(200, self._paginate(req, "models", self._models))

    # --- inference --------------------------------------------------------------------

    def _chat_completions(self, req: _Request, params: dict[str, str]) -> _Reply:
        try:
            body = req.json()
        except EmulatorApiError as exc:
            return _openai_error(400, exc.message, "invalid_json")
        if not isinstance(body, dict):
            return _openai_error(400, "request body must be a JSON object", "invalid_request")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _openai_error(400, "model is required", "invalid_request")
        if not model.startswith("router:"):
            return _openai_error(
                400,
                f"The emulator serves only router models (router:<name>), not {model!r}.",
                "model_not_supported",
            )
        messages = body.get("messages")
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, dict) for m in messages)
        ):
            return _openai_error(400, "messages must be a non-empty list", "invalid_request")
        if body.get("stream"):
            return _openai_error(
                400, "The emulator does not support stream=true.", "invalid_request"
            )

        name = model.removeprefix("router:")
        router = self._store.find_by_name(name) or next(
            (
                {"name": p["slug"], "config": p["config"]}
                for p in self._router_presets
                if p["slug"] == name
            ),
            None,
        )
        if router is None:
            return _openai_error(404, f"The model {model!r} does not exist.", "model_not_found")
        # The routing prompt: system instructions plus the latest user turn (what a task
        # classifier would look at); earlier turns are history, not the current request.
        system = [message_text(m.get("content")) for m in messages if m.get("role") == "system"]
        users = [message_text(m.get("content")) for m in messages if m.get("role") == "user"]
        prompt = "\n".join([*system, *users[-1:]])
        try:
            route, chosen, score = select_route(
                router, prompt, self._preset_descriptions, self._match
            )
        except ValueError as exc:
            return _openai_error(500, str(exc), "no_model", "server_error")

        content = f"[emulator] routed to {route} via {chosen}"
        prompt_tokens = sum(estimate_tokens(message_text(m.get("content"))) for m in messages)
        completion_tokens = estimate_tokens(content)
        return _Reply(
            200,
            {
                "id": f"chatcmpl-{uuidlib.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(self._clock()),
                "model": chosen,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
            {
                "x-model-router-selected-route": _header_value(route),
                "x-emulator-route-score": f"{score:.4f}",
                "x-emulator-predictor": _header_value(getattr(self._match, "name", "none")),
            },
        )

    # --- control API ------------------------------------------------------------------

    def _control_body(self, req: _Request) -> dict[str, Any]:
        if not req.body.strip():
            return {}
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        return body

    def _control_reset(self, req: _Request, params: dict[str, str]) -> _Reply:
        self.reset()
        return _Reply(200, {"reset": True})

    def _control_faults(self, req: _Request, params: dict[str, str]) -> _Reply:
        if req.method == "POST":
            try:
                self.set_faults(FaultPlan.from_dict(self._control_body(req)))
            except ValueError as exc:
                raise bad_request(str(exc)) from exc
        return _Reply(200, {"faults": self.faults.to_dict()})

    def _control_stats(self, req: _Request, params: dict[str, str]) -> _Reply:
        return _Reply(200, self.stats)

    def _control_requests(self, req: _Request, params: dict[str, str]) -> _Reply:
        return _Reply(200, {"requests": self.request_log()})

    def _control_config(self, req: _Request, params: dict[str, str]) -> _Reply:
        if req.method == "PUT":
            body = self._control_body(req)
            unknown = set(body) - set(self.config)
            if unknown:
                raise bad_request(f"unknown config field(s): {', '.join(sorted(unknown))}")
            try:
                self.configure(**body)
            except ValueError as exc:
                raise bad_request(str(exc)) from exc
        return _Reply(200, self.config)
