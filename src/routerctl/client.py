"""HTTP access to the DigitalOcean API: auth, pagination, retries, rate-limit pacing, typed errors.

This is the only module that imports httpx. It never prints (progress goes to `on_event`), never
puts the token in a message, and never sends a create twice without first checking that the
first one did not already happen.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from typing import Any, NamedTuple
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import ValidationError

from routerctl import fsio, pacing, redact
from routerctl.bounds import (
    BoundsError,
    bounded_int,
    bounded_prices,
    parse_json,
)
from routerctl.client_stats import ClientStats
from routerctl.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiError,
    ApiNotSentError,
    ApiResponseError,
    ApiStatusError,
    ConfigError,
)
from routerctl.models import ROUTERS_PATH, LiveRouter, RouteReply, RoutingCase
from routerctl.pacing import (
    ANNOUNCE_WAITS_OVER,
    DEADLINE,
    MAX_SINGLE_WAIT,
    RESET_SLACK,
    RateLimiter,
    TimeoutErrors,
    Turn,
    WaitNotice,
    as_int,
    clock_time,
    duration,
    install_deadline,
    parse_reset,
    parse_retry_after,
)
from routerctl.settle import find_settled

DEFAULT_API_URL = "https://api.digitalocean.com"
API_URL_ENV_VAR = "DIGITALOCEAN_API_URL"
TOKEN_ENV_VARS = ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN")

TASK_PRESETS_PATH = f"{ROUTERS_PATH}/tasks/presets"
ROUTER_PRESETS_PATH = f"{ROUTERS_PATH}/presets"
MODELS_PATH = "/v2/gen-ai/models"
AGENTS_PATH = "/v2/gen-ai/agents"

PER_PAGE = 200  # the documented maximum; the server may still cap it lower
# Absolute cap on the pages of one list (200,000 items at the documented page size); below it,
# a list stops at the pages its own meta.total accounts for, plus PAGE_SLACK for growth.
MAX_PAGES = 1_000
PAGE_SLACK = 2
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_PRICE_PER_MILLION = 1_000_000.0  # catalog dollars per million tokens; the dearest is ~$150
# A live router name routerctl can match safely: printable, no surrounding space, no line
# break (fullmatch: `$` would let "triage-router\n" through).
_NAME_END = rf"[^\s{redact.UNSAFE_CHARS}]"
_SAFE_NAME = re.compile(rf"{_NAME_END}(?:[^{redact.UNSAFE_CHARS}]*{_NAME_END})?")
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Pacing starts when this many requests (beyond `parallelism`) are left in the window, so the
# requests already in flight on other threads cannot push us over the limit.
PACING_MARGIN = 2

_SCOPES = "genai:read, genai:create, genai:update, genai:delete"
_TOKEN_SOURCES = "--token-file, DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN"
_AUTH_HINTS = {
    401: (
        f"The API rejected the token: check the one routerctl read from {_TOKEN_SOURCES} "
        f"(in that order); it needs the scopes {_SCOPES}"
    ),
    403: (
        f"The token lacks a permission: routerctl needs the scopes {_SCOPES} (read for plan, "
        f"the others for apply); the token comes from {_TOKEN_SOURCES}"
    ),
}


def _user_agent() -> str:
    try:
        version = metadata.version("routerctl")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        version = "0.0.0+unknown"
    return f"routerctl/{version}"


USER_AGENT = _user_agent()


# --- configuration ------------------------------------------------------------------------


def _check_token(token: str, source: str) -> str:
    # A space or line break would make httpx reject the header with a message quoting the value,
    # i.e. the token; refuse it here with a message that does not.
    if not all("!" <= ch <= "~" for ch in token):
        raise ConfigError(
            f"{source} contains spaces, line breaks or non-ASCII characters; "
            "a DigitalOcean API token is a single word"
        )
    return token


def _check_secret(secret: str, source: str) -> str:
    """A secret read for the CLI: registered for scrubbing, and refused when too short to
    scrub without mangling messages (see README, "Secrets")."""
    _check_token(secret, source)
    if len(secret) < redact.MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{source} is {len(secret)} characters long; routerctl refuses secrets shorter than "
            f"{redact.MIN_SECRET_LENGTH} (real tokens and keys are far longer)"
        )
    redact.register(secret)
    return secret


def _register_file_text(text: str) -> None:
    # Whatever a token file holds is secret, even when it is not a usable token (a line of
    # shell, two tokens): every word long enough to scrub is scrubbed.
    redact.register(text.strip())
    for word in re.split(r"[\s=:'\"]+", text):  # also `export TOKEN="..."`
        redact.register(word)


def resolve_token(
    *, token_file: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The API token: `--token-file` (stripped), then DIGITALOCEAN_TOKEN, then
    DIGITALOCEAN_ACCESS_TOKEN. Empty variables count as unset (Terraform's rule)."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        try:  # fsio: regular file, bounded, a FIFO never blocks (issue 14)
            text = fsio.read_text(token_file, limit=fsio.SECRET_LIMIT, what="token file")
        except fsio.FileProblem as exc:
            raise ConfigError(f"cannot read token file {token_file}: {exc.detail}") from None
        _register_file_text(text)
        token = text.strip()
        if not token:
            raise ConfigError(f"token file {token_file} is empty")
        return _check_secret(token, f"the token in {token_file}")
    for name in TOKEN_ENV_VARS:
        value = env.get(name, "").strip()
        if value:
            return _check_secret(value, name)
    raise ConfigError(
        "no DigitalOcean API token: pass --token-file FILE, or set DIGITALOCEAN_TOKEN or "
        "DIGITALOCEAN_ACCESS_TOKEN"
    )


def resolve_api_url(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The API base URL: the flag, then DIGITALOCEAN_API_URL, then the public API; no trailing /."""
    env = os.environ if environ is None else environ
    raw = (flag or "").strip() or env.get(API_URL_ENV_VAR, "").strip() or DEFAULT_API_URL
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"API URL {url!r} must look like https://host[:port][/prefix]")
    if parts.username is not None or parts.password is not None:
        # It would be shown in repr() and debug output; the token is the only credential.
        raise ConfigError("the API URL must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ConfigError(f"API URL {url!r} must not have a query string or fragment")
    return url


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry a failed call: attempts and total time are both capped."""

    max_attempts: int = 6
    max_total_seconds: float = 120.0
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError("retry max_attempts must be at least 1")
        if self.max_total_seconds < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ConfigError("retry delays must not be negative")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with full jitter (uniform in [0, cap]) after failed `attempt`:
        jitter keeps parallel workers that failed together from retrying together."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 32))
        return rng.uniform(0.0, cap)


# --- one request and its outcome -------------------------------------------------------------


class _Raw(NamedTuple):
    status: int
    headers: httpx.Headers
    body: bytes


class _Reply(NamedTuple):
    status: int
    data: Any  # parsed JSON; None for an empty body
    recovered: LiveRouter | None = None  # a create found to have happened despite a failure
    headers: httpx.Headers | None = None


class _Item(NamedTuple):
    display: str  # the page it came from, e.g. "/v2/gen-ai/models/routers?page=2"
    where: str  # its place in the page, e.g. "model_routers[3]"
    data: dict[str, Any]


@dataclass(frozen=True)
class _Failure:
    """One failed attempt, kept so the final error can be rebuilt with the attempt count."""

    reason: str  # one line, for events and ApiConnectionError
    ambiguous: bool  # the server may have acted on the request
    retryable: bool = True
    status: int | None = None
    error_id: str = ""
    message: str = ""
    request_id: str = ""
    server_delay: float | None = None  # from Retry-After / ratelimit-reset


class _TransportFailure(Exception):
    def __init__(self, failure: _Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def _classify(exc: httpx.TransportError, timeout: float) -> tuple[str, bool, bool]:
    """(reason, retryable, ambiguous) for a transport error. Ambiguous means the request may
    have reached the server: only then can a create have happened."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out connecting", True, False
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection", True, False
    if isinstance(exc, httpx.ReadTimeout):
        return f"no response within {timeout:g} s", True, True
    if isinstance(exc, httpx.WriteTimeout):
        return "timed out sending the request", True, True
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {detail}", True, False
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError):
        return f"connection broken: {detail}", True, True
    return f"{type(exc).__name__}: {detail}", False, False


def _one_line(value: object, limit: int = 300) -> str:
    """Server text made safe to print: secrets scrubbed before it is cut to `limit`, one line,
    control characters spelled out (a proxy's error page must not be able to send escape
    sequences to the user's terminal)."""
    return redact.one_line(value, limit)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _keys(data: Mapping[str, Any]) -> str:
    return ", ".join(_one_line(str(k), 40) for k in sorted(map(str, data))[:8])


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _is_error_body(data: Mapping[str, Any]) -> bool:
    return isinstance(data.get("id"), str) and isinstance(data.get("message"), str)


def _display(path: str, params: Mapping[str, Any] | None) -> str:
    """The path as messages show it: relative, with the page number but nothing else."""
    if params and "page" in params:
        return f"{path}?page={params['page']}"
    return path


def _page_of(url: str) -> int | None:
    values = parse_qs(urlsplit(url).query).get("page")
    number = as_int(values[0]) if values else None
    return number if number is not None and number > 0 else None


# --- the client -----------------------------------------------------------------------------


class RouterClient:
    """A thread-safe client for the routers API and the catalog endpoints routerctl reads.

    One httpx.Client (one connection pool) is shared by every thread; retries, pacing and
    statistics are guarded by locks, so apply can call it from a pool of workers.

    `parallelism` bounds the concurrent GETs of list_routers and sets how early pacing starts.
    `on_event` receives one-line progress messages (retries, pacing waits), token scrubbed;
    `on_request` one line per HTTP request (method, path, status, time) for --debug.
    `sleep`, `clock` (monotonic), `wall_clock` (Unix time, for ratelimit-reset and HTTP dates)
    and `rng` (backoff jitter) are injectable so tests neither sleep nor depend on chance.
    """

    #: A list call stops with ApiResponseError after this many pages (a pagination loop).
    max_pages: int = MAX_PAGES
    #: What a 401/403 means for this endpoint and credential.
    _auth_hints: Mapping[int, str] = _AUTH_HINTS

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        parallelism: int = 8,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        on_event: Callable[[str], None] | None = None,
        on_request: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if not token:
            raise ConfigError("the API token is empty")
        _check_token(token, "the API token")
        if parallelism < 1:
            raise ConfigError(f"parallelism must be at least 1, not {parallelism}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be positive, not {timeout:g}")
        self.base_url = base_url.rstrip("/")
        self.stats = ClientStats()
        self._token = token  # kept only to scrub it from any text we pass on
        redact.register(token)  # from here on scrubbed from all output, even after close()
        self._timeout = timeout
        self._parallelism = parallelism
        self._retry = retry if retry is not None else RetryPolicy()
        self._on_event = on_event
        self._on_request = on_request  # one line per HTTP request (--debug)
        # Set once a request learns the API's wait is beyond the retry budget: every other
        # wait (pacing, backoff) then ends at once, failing its request unsent.
        self._given_up = threading.Event()
        self._given_up_because = ""
        self._sleep = self._wait_unless_given_up if sleep is time.sleep else sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng if rng is not None else random.Random()
        self._limiter = RateLimiter(
            low_water=parallelism + PACING_MARGIN, clock=clock, wall_clock=wall_clock
        )
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
            # A redirect is never expected from this API; following one could carry the token
            # somewhere else, so it surfaces as an error instead.
            follow_redirects=False,
            # Concurrency is bounded by our callers' thread pools; a pool limit here would only
            # turn a busy moment into PoolTimeout errors.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=parallelism * 2),
        )
        self.deadline_transports = install_deadline(
            self._http, TimeoutErrors(httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout)
        )

    def __repr__(self) -> str:
        return f"RouterClient(base_url={self.base_url!r})"

    def __enter__(self) -> RouterClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def quota(self) -> tuple[int | None, int | None]:
        """(ratelimit-limit, requests left) as the responses so far report them; None: unknown."""
        return self._limiter.quota()

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

    def _paginate(self, path: str, key: str) -> list[_Item]:
        """Every item of a paginated list. The next page comes from `links.pages.next` (only
        its page number is used, against our base URL, so a rewritten link cannot send the
        token to another host), else from `meta` (`page` < `pages`, or fewer items than
        `total`), else from `links.pages.last`. The page size is whatever the server chose.

        When page 1 says how many pages there are, pages 2..N are fetched concurrently
        (`parallelism` at a time); the sequential walk then continues from the last one, so
        a list that grew meanwhile, or a server without `meta.pages`, still ends correctly.
        """
        items: list[_Item] = []
        fetched: set[int] = set()
        page = 1
        page_size = 0
        total: int | None = None  # the largest meta.total seen (a list may grow meanwhile)
        while True:
            fetched.add(page)
            reply, display, page_items = self._fetch_page(path, key, page)
            items += page_items
            page_size = page_size or len(page_items)
            reported = self._meta_total(reply.data)
            if reported is not None:
                total = max(total or 0, reported)
            ahead = self._pages_ahead(reply.data, page, fetched)
            if ahead:
                fetched.update(ahead)
                pool = ThreadPoolExecutor(
                    max_workers=min(self._parallelism, len(ahead)),
                    thread_name_prefix="routerctl-page",
                )
                try:
                    results = list(pool.map(partial(self._fetch_page, path, key), ahead))
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)
                for _, _, more in results:
                    items += more
                page = ahead[-1]
                reply, display, page_items = results[-1]
            next_page = self._next_page(reply.data, page, len(page_items), len(items), display)
            if next_page is None:
                return items
            if next_page in fetched:
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"pagination loops: the next page ({next_page}) was already fetched",
                )
            if len(fetched) >= self.max_pages:
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"more than {self.max_pages} pages; stopping (is pagination looping?)",
                )
            expected = -(-(total or 0) // max(page_size, 1)) + PAGE_SLACK
            if total is not None and len(fetched) >= expected:
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"meta.total says {total} items ({expected - PAGE_SLACK} pages of "
                    f"{max(page_size, 1)}), but the server offers more after {len(fetched)} "
                    "pages; stopping (is pagination looping?)",
                )
            page = next_page

    @staticmethod
    def _meta_total(data: Any) -> int | None:
        meta = data.get("meta") if isinstance(data, dict) else None
        value = as_int(meta.get("total")) if isinstance(meta, dict) else None
        return None if value is None else max(value, 0)

    def _fetch_page(self, path: str, key: str, page: int) -> tuple[_Reply, str, list[_Item]]:
        params = {"page": page, "per_page": PER_PAGE}
        display = _display(path, params)
        reply = self._call("GET", path, params=params)
        return reply, display, self._page_items(reply, display, key)

    def _pages_ahead(self, data: Any, page: int, fetched: set[int]) -> list[int]:
        """Pages to fetch concurrently after `page`: only when the server confirmed it is on
        `page` and reported `meta.pages` (a server that ignores `page` must not trigger a
        burst of identical requests; the loop guard handles it one page at a time)."""
        if page != 1 or not isinstance(data, dict):
            return []
        meta = data.get("meta")
        if not isinstance(meta, dict) or as_int(meta.get("page")) != page:
            return []
        total_pages = as_int(meta.get("pages"))
        if total_pages is None or total_pages <= page or total_pages > self.max_pages:
            return []
        return [p for p in range(page + 1, total_pages + 1) if p not in fetched]

    def _page_items(self, reply: _Reply, display: str, key: str) -> list[_Item]:
        data = reply.data
        if not isinstance(data, dict):
            got = "an empty body" if data is None else _describe(data)
            raise ApiResponseError(
                "GET", display, reply.status, f"expected a JSON object with {key!r}, got {got}"
            )
        if key not in data:
            if _is_error_body(data):
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"response is an error ({_one_line(data['id'])}: "
                    f"{_one_line(data['message'])}) instead of {key!r}",
                )
            # gRPC-gateway APIs omit empty lists: `{}` or a body with only links/meta is an
            # empty page. Any other key means this is not the response we asked for.
            if set(data) - {"links", "meta"}:
                keys = _keys(data)
                raise ApiResponseError(
                    "GET", display, reply.status, f"response has no {key!r} (keys: {keys})"
                )
            return []
        raw_items = data[key]
        if raw_items is None:  # Go's nil slice
            return []
        if not isinstance(raw_items, list):
            raise ApiResponseError(
                "GET", display, reply.status, f"{key!r} is {_describe(raw_items)}, not a list"
            )
        items: list[_Item] = []
        for index, item in enumerate(raw_items):
            if not isinstance(item, dict):
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"{key}[{index}] is {_describe(item)}, not an object",
                )
            items.append(_Item(display, f"{key}[{index}]", item))
        return items

    def _next_page(
        self, data: dict[str, Any], page: int, on_page: int, so_far: int, display: str
    ) -> int | None:
        links = data.get("links")
        pages = links.get("pages") if isinstance(links, dict) else None
        pages = pages if isinstance(pages, dict) else {}
        next_url = pages.get("next")
        if isinstance(next_url, str) and next_url.strip():
            next_page = _page_of(next_url)
            if next_page is None:
                raise ApiResponseError("GET", display, 200, "links.pages.next has no page number")
            return next_page
        meta = data.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        # Trust the server's own idea of the current page: if it ignores `page`, the loop
        # guard then stops us instead of silently collecting the same page again.
        current = as_int(meta.get("page")) or page
        total_pages = as_int(meta.get("pages"))
        if total_pages is not None and current < total_pages:
            return current + 1
        total = as_int(meta.get("total"))
        if total is not None and on_page > 0 and so_far < total:
            return current + 1
        last_url = pages.get("last")
        last = _page_of(last_url) if isinstance(last_url, str) else None
        if last is not None and current < last:
            return current + 1
        return None

    # --- helpers: requests ------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return redact.scrub(redact.scrub_short(text, self._token))

    def _until(self, seconds: float) -> str:
        return clock_time(self._wall_clock() + seconds, seconds)

    def _check_wait(self, seconds: float) -> str:
        """ "" when routerctl will wait `seconds`, else the note for the error raised instead."""
        if seconds <= MAX_SINGLE_WAIT:
            return ""
        return (
            f"the API asks to wait {duration(seconds)} (until {self._until(seconds)}), over "
            f"routerctl's {MAX_SINGLE_WAIT / 60:.0f}-minute limit for one wait; try again then"
        )

    def _wait(self, seconds: float, why: str, method: str = "", display: str = "") -> None:
        if self._given_up.is_set():
            raise ApiNotSentError(method, display, f"not sent: {self._given_up_because}")
        if seconds > ANNOUNCE_WAITS_OVER and self._on_event is not None:
            self._on_event(WaitNotice(self._redact(f"waiting {seconds:.0f} s: {why}")))
        self._sleep(seconds)
        if self._given_up.is_set():
            raise ApiNotSentError(method, display, f"not sent: {self._given_up_because}")

    def _wait_unless_given_up(self, seconds: float) -> None:
        self._given_up.wait(seconds)

    def _emit(self, line: str) -> None:
        if self._on_event is not None:
            self._on_event(self._redact(line))

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        idempotent: bool = True,
        recover: Callable[[], LiveRouter | None] | None = None,
        gone_after_ambiguous: bool = False,
    ) -> _Reply:
        """Send one API call, retrying what is safe to retry; return the parsed 2xx body."""
        display = _display(path, params)
        policy = self._retry
        started = self._clock()
        ambiguous_before = False
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = self._send_once(method, path, params, body, display)
            except _TransportFailure as exc:
                failure = exc.failure
                if not failure.retryable:
                    raise ApiConnectionError(method, display, failure.reason) from exc.__cause__
            else:
                if raw.status < 300:
                    data = self._parse_json(method, display, raw)
                    return _Reply(raw.status, data, None, raw.headers)
                if raw.status < 400:
                    raise ApiResponseError(
                        method, display, raw.status, "unexpected redirect; check the API URL"
                    )
                if raw.status == 404 and gone_after_ambiguous and ambiguous_before:
                    self._emit(f"{method} {display}: 404 on retry; the earlier attempt took effect")
                    return _Reply(raw.status, None)
                failure = self._status_failure(raw)
                if raw.status not in RETRYABLE_STATUSES:
                    # A 4xx (e.g. "name already exists") after an ambiguous create may mean
                    # the first POST worked; look once more before reporting it.
                    if recover is not None and ambiguous_before and raw.status not in (401, 403):
                        found = self._recover(method, display, failure, recover)
                        if found is not None:
                            return _Reply(raw.status, None, found)
                    raise self._error(method, display, failure)
            ambiguous_before = ambiguous_before or failure.ambiguous
            if failure.ambiguous and not idempotent:
                if recover is None:
                    raise self._error(
                        method,
                        display,
                        failure,
                        "not retried: the request may have been carried out",
                    )
                found = self._recover(method, display, failure, recover)
                if found is not None:
                    return _Reply(0, None, found)
            server_delay = failure.server_delay
            delay = server_delay if server_delay is not None else policy.backoff(attempt, self._rng)
            elapsed = self._clock() - started
            attempts = f"{attempt} attempt{'s' if attempt > 1 else ''}"
            if attempt >= policy.max_attempts:
                raise self._error(
                    method, display, failure, f"gave up after {attempts} in {elapsed:.1f} s"
                )
            too_long = self._check_wait(delay)
            if too_long:
                raise self._error(method, display, failure, f"not retried: {too_long}")
            if elapsed + delay > policy.max_total_seconds:
                budget = f"the {policy.max_total_seconds:g} s retry budget"
                if server_delay is not None:
                    note = f"the API asks to wait {delay:.0f} s more, beyond {budget}"
                    self._given_up_because = f"{method} {display}: {note}"
                    self._given_up.set()
                else:
                    note = f"waiting {delay:.1f} s more after {elapsed:.1f} s would exceed {budget}"
                raise self._error(method, display, failure, f"gave up after {attempts}: {note}")
            self.stats.record_retry()
            self._emit(
                f"{method} {display}: {failure.reason}; retrying in {delay:.1f} s "
                f"(attempt {attempt + 1} of {policy.max_attempts})"
            )
            status = f"{failure.status}" if failure.status is not None else "no response"
            why = f"{method} {display} got {status}, retry {attempt + 1} of {policy.max_attempts}"
            try:
                self._wait(delay, f"{why} at {self._until(delay)}", method, display)
            except ApiNotSentError as exc:  # sent before, so report how that attempt failed
                note = f"gave up after {attempts}: the run stopped ({self._given_up_because})"
                raise self._error(method, display, failure, note) from exc

    def _recover(
        self,
        method: str,
        display: str,
        failure: _Failure,
        recover: Callable[[], LiveRouter | None],
    ) -> LiveRouter | None:
        self._emit(
            f"{method} {display}: {failure.reason}; checking whether the router was created "
            "before sending it again"
        )
        try:
            found = recover()
        except ApiError as exc:
            raise ApiConnectionError(
                method,
                display,
                f"{failure.reason}; whether the router was created is unknown, because "
                f"looking it up failed: {exc}",
            ) from exc
        if found is not None:
            self._emit(f"{method} {display}: router {found.name!r} exists; not creating it again")
        return found

    def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: dict[str, Any] | None,
        display: str,
    ) -> _Raw:
        while True:
            turn = self._limiter.acquire()
            if turn.reserved:
                break
            self._pace(turn, method, display)
        headers: httpx.Headers | None = None
        retry_after: float | None = None
        started = self._clock()
        try:
            self._pace(turn, method, display)
            started = self._clock()
            self.stats.record_request(method)
            request = self._http.build_request(method, path, params=params, json=body)
            # One deadline for the whole exchange, headers and body: a per-read timeout alone
            # lets a server that drips a byte at a time hold the request forever.
            DEADLINE.at = time.monotonic() + self._timeout
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise self._transport_failure(exc) from exc
            try:
                headers = response.headers
                if response.status_code == 429:
                    retry_after = parse_retry_after(headers.get("retry-after"), self._wall_clock())
                content = self._read_body(response, method, display)
            except httpx.TransportError as exc:
                raise self._transport_failure(exc) from exc
            except httpx.DecodingError as exc:
                raise ApiResponseError(
                    method, display, response.status_code, "response body could not be decoded"
                ) from exc
            finally:
                response.close()
        finally:
            DEADLINE.at = None
            self._limiter.release(headers, retry_after)
        status = response.status_code
        self.stats.record_status(status)
        if self._on_request is not None:
            elapsed_ms = (self._clock() - started) * 1000
            self._on_request(self._redact(f"{method} {display} → {status} ({elapsed_ms:.0f} ms)"))
        return _Raw(status, response.headers, content)

    def _pace(self, turn: Turn, method: str, display: str) -> None:
        pacing.refuse_long_wait(turn.wait, turn.why, f"{method} {display}", self._wall_clock())
        if turn.wait > 0:
            self.stats.record_pacing_wait()
            self._emit(f"pacing: {turn.why}; waiting {turn.wait:.1f} s before {method} {display}")
            why = f"rate limit, {method} {display} at {self._until(turn.wait)}"
            self._wait(turn.wait, why, method, display)

    def _transport_failure(self, exc: httpx.TransportError) -> _TransportFailure:
        self.stats.record_connection_error()
        reason, retryable, ambiguous = _classify(exc, self._timeout)
        return _TransportFailure(
            _Failure(reason=self._redact(reason), ambiguous=ambiguous, retryable=retryable)
        )

    def _read_body(self, response: httpx.Response, method: str, display: str) -> bytes:
        """The body, refusing anything over MAX_RESPONSE_BYTES whatever Content-Length says."""
        limit_mib = MAX_RESPONSE_BYTES // (1024 * 1024)
        declared = as_int(response.headers.get("content-length"))
        if declared is not None and declared > MAX_RESPONSE_BYTES:
            raise ApiResponseError(
                method,
                display,
                response.status_code,
                f"response is {declared} bytes, over the {limit_mib} MiB limit",
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            # Also checked here for transports without the deadline backend (tests, custom).
            deadline = getattr(DEADLINE, "at", None)
            if deadline is not None and time.monotonic() > deadline:
                raise httpx.ReadTimeout("the total deadline for the request passed")
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise ApiResponseError(
                    method,
                    display,
                    response.status_code,
                    f"response is over the {limit_mib} MiB limit",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse_json(self, method: str, display: str, raw: _Raw) -> Any:
        if not raw.body.strip():
            return None
        try:
            data = parse_json(raw.body)
        except BoundsError as exc:
            problem = f"response is not valid JSON: {exc}"
        except json.JSONDecodeError as exc:
            content_type = raw.headers.get("content-type", "")
            if "json" in content_type or raw.body.lstrip()[:1] in (b"{", b"["):
                problem = (
                    f"response is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                )
            else:
                # Decode well past what is shown, so a secret straddling the cut is scrubbed.
                start = _one_line(raw.body[:4096].decode("utf-8", "replace"), 40)
                problem = f"expected JSON, got {content_type or 'no content type'}: {start!r}"
        except (ValueError, RecursionError) as exc:  # bad UTF-8, absurd nesting
            problem = f"response is not valid JSON: {type(exc).__name__}"
        else:
            # A server echoing a secret into data (a router description, a model name) must
            # not put it into the files other modules write from that data.
            if redact.holds_secret(raw.body.decode("utf-8", "replace")):
                data = redact.scrub_tree(data)
            return data
        raise ApiResponseError(method, display, raw.status, self._redact(problem))

    def _status_failure(self, raw: _Raw) -> _Failure:
        error_id = message = request_id = ""
        try:
            data = parse_json(raw.body) if raw.body.strip() else None
        except (ValueError, RecursionError):
            data = None  # e.g. a proxy's HTML error page: the status says enough
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            # The inference endpoint answers OpenAI-style: {"error": {"message", "code"}}.
            inner = data["error"]
            data = {"id": inner.get("code") or inner.get("type"), "message": inner.get("message")}
        if isinstance(data, dict):
            # Scrubbed before _one_line cuts them: a cut can leave half a secret unmatched.
            error_id = _one_line(self._redact(_text(data.get("id"))), 80)
            message = _one_line(self._redact(_text(data.get("message"))))
            request_id = _one_line(self._redact(_text(data.get("request_id"))), 80)
        message = message or httpx.codes.get_reason_phrase(raw.status)
        header_id = raw.headers.get("x-request-id")
        request_id = request_id or _one_line(self._redact(_text(header_id)), 80)
        server_delay = None
        if raw.status in RETRYABLE_STATUSES:
            server_delay = self._server_delay(raw)
        reason = f"{raw.status}{' ' + error_id if error_id else ''}: {message}"
        return _Failure(
            reason=reason,
            ambiguous=raw.status >= 500,
            status=raw.status,
            error_id=error_id,
            message=message,
            request_id=request_id,
            server_delay=server_delay,
        )

    def _server_delay(self, raw: _Raw) -> float | None:
        """How long the server asked us to wait: Retry-After, or for a 429 with no budget
        left, until ratelimit-reset. None means "use backoff"."""
        now_epoch = self._wall_clock()
        retry_after = parse_retry_after(raw.headers.get("retry-after"), now_epoch)
        if retry_after is not None:
            return retry_after
        if raw.status == 429:
            remaining = as_int(raw.headers.get("ratelimit-remaining"))
            reset_in = parse_reset(raw.headers.get("ratelimit-reset"), now_epoch)
            if reset_in is not None and (remaining is None or remaining <= 0):
                return reset_in + RESET_SLACK
        return None

    def _error(self, method: str, display: str, failure: _Failure, note: str = "") -> ApiError:
        if failure.status is None:
            reason = f"{failure.reason}; {note}" if note else failure.reason
            return ApiConnectionError(method, display, reason)
        hints = [self._auth_hints.get(failure.status, "")]
        if note:
            hints.append(note[0].upper() + note[1:])
        error_class = ApiAuthError if failure.status in self._auth_hints else ApiStatusError
        return error_class(
            method,
            display,
            failure.status,
            error_id=failure.error_id,
            message=failure.message,
            request_id=failure.request_id,
            hint=". ".join(h for h in hints if h),
        )


# --- inference (routerctl test) --------------------------------------------------------------

DEFAULT_INFERENCE_URL = "https://inference.do-ai.run/v1"
ROUTE_HEADER = "x-model-router-selected-route"
_KEY_SOURCES = "--key-file, MODEL_ACCESS_KEY or GRADIENT_MODEL_ACCESS_KEY"


def resolve_model_key(
    *, key_file: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The model access key for inference: --key-file, then MODEL_ACCESS_KEY, then
    GRADIENT_MODEL_ACCESS_KEY. It is a secret exactly like the API token."""
    env = os.environ if environ is None else environ
    if key_file:
        try:  # fsio: regular file, bounded, a FIFO never blocks (issue 14)
            text = fsio.read_text(key_file, limit=fsio.SECRET_LIMIT, what="key file")
        except fsio.FileProblem as exc:
            where = f"the model access key file {key_file}"
            raise ConfigError(f"cannot read {where}: {exc.detail}") from None
        _register_file_text(text)
        key = text.strip()
        if not key:
            raise ConfigError(f"the model access key file {key_file} is empty")
        return _check_secret(key, f"the model access key in {key_file}")
    for name in ("MODEL_ACCESS_KEY", "GRADIENT_MODEL_ACCESS_KEY"):
        value = env.get(name, "").strip()
        if value:
            return _check_secret(value, f"${name}")
    raise ConfigError(
        "no model access key: set MODEL_ACCESS_KEY (or GRADIENT_MODEL_ACCESS_KEY), or pass "
        "--key-file. Create one under Serverless Inference → Model Access Keys"
    )


def resolve_inference_url(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    value = flag or env.get("DIGITALOCEAN_INFERENCE_URL") or DEFAULT_INFERENCE_URL
    return resolve_api_url(value, {})


class InferenceClient(RouterClient):
    """Chat completions against `router:<name>`, with the management client's retries,
    backoff and pacing. Reads the matched task from the `x-model-router-selected-route`
    header and the serving model from the body's `model`."""

    _auth_hints: Mapping[int, str] = {
        401: f"The inference endpoint rejected the model access key (from {_KEY_SOURCES})",
        403: (
            "The model access key may not call this router: the key and the router must "
            f"belong to the same team (key from {_KEY_SOURCES})"
        ),
    }

    def __init__(
        self,
        *,
        key: str,
        base_url: str = DEFAULT_INFERENCE_URL,
        max_tokens: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(token=key, base_url=base_url, **kwargs)
        self.max_tokens = max_tokens  # overrides each case's max_completion_tokens

    def __repr__(self) -> str:
        return f"InferenceClient(base_url={self.base_url!r})"

    def __enter__(self) -> InferenceClient:
        return self

    def route(self, router_name: str, case: RoutingCase) -> RouteReply:
        """Send one labelled prompt. A token cap goes out as `max_completion_tokens`
        (DigitalOcean documents `max_tokens` as deprecated); without one, none is sent."""
        messages: list[dict[str, str]] = []
        if case.system:
            messages.append({"role": "system", "content": case.system})
        messages.append({"role": "user", "content": case.prompt})
        body: dict[str, Any] = {"model": f"router:{router_name}", "messages": messages}
        cap = self.max_tokens if self.max_tokens is not None else case.max_completion_tokens
        if cap is not None:
            body["max_completion_tokens"] = cap
        started = self._clock()
        # Retrying a completion costs a few tokens but changes nothing: safe to retry.
        reply = self._call("POST", "/chat/completions", body=body, idempotent=True)
        elapsed_ms = (self._clock() - started) * 1000
        data = reply.data if isinstance(reply.data, dict) else {}
        if not isinstance(reply.data, dict) or "choices" not in data:
            raise ApiResponseError(
                "POST", "/chat/completions", reply.status, "not a chat completion response"
            )
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        headers = reply.headers
        raw_route = headers.get(ROUTE_HEADER) if headers is not None else None
        # Server text, scrubbed and made one inert line; "" = fallback, None = no header.
        route = _one_line(raw_route, 255) if raw_route is not None else None
        model = _one_line(data.get("model"), 255)
        return RouteReply(
            route=route,
            model=model or None,
            prompt_tokens=_usage(usage.get("prompt_tokens")),
            completion_tokens=_usage(usage.get("completion_tokens")),
            latency_ms=elapsed_ms,
        )


# A completion with max_tokens 16 uses a few thousand tokens at most; a count past this is a
# server error, and summing such counts must not produce absurd costs.
MAX_USAGE_TOKENS = 10_000_000


def _usage(value: object) -> int:
    return bounded_int(value, low=0, high=MAX_USAGE_TOKENS) or 0
