"""One HTTP exchange: the shared httpx.Client, pacing before a send, the bounded body, waits.

The retry loop above it is in session.py; nothing here retries.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, NamedTuple

import httpx

from routerctl import pacing, redact
from routerctl.client.credentials import DEFAULT_API_URL, _check_token
from routerctl.client_stats import ClientStats
from routerctl.errors import ApiNotSentError, ApiResponseError, ConfigError
from routerctl.models import LiveRouter
from routerctl.pacing import (
    ANNOUNCE_WAITS_OVER,
    DEADLINE,
    MAX_SINGLE_WAIT,
    RateLimiter,
    TimeoutErrors,
    Turn,
    WaitNotice,
    as_int,
    clock_time,
    duration,
    install_deadline,
    parse_retry_after,
)

MAX_RESPONSE_BYTES = 20 * 1024 * 1024
# Pacing starts when this many requests (beyond `parallelism`) are left in the window, so the
# requests already in flight on other threads cannot push us over the limit.
PACING_MARGIN = 2


def _user_agent() -> str:
    try:
        version = metadata.version("routerctl")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        version = "0.0.0+unknown"
    return f"routerctl/{version}"


USER_AGENT = _user_agent()


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


def _is_error_body(data: Mapping[str, Any]) -> bool:
    return isinstance(data.get("id"), str) and isinstance(data.get("message"), str)


def _display(path: str, params: Mapping[str, Any] | None) -> str:
    """The path as messages show it: relative, with the page number but nothing else."""
    if params and "page" in params:
        return f"{path}?page={params['page']}"
    return path


class Connection:
    """The connection a client is built on (see RouterClient for the arguments)."""

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

    def close(self) -> None:
        self._http.close()

    def quota(self) -> tuple[int | None, int | None]:
        """(ratelimit-limit, requests left) as the responses so far report them; None: unknown."""
        return self._limiter.quota()

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
