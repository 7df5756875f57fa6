"""Pacing rules the client adds to what the `ratelimit-*` headers say (reference §3.5).

The headers report only DigitalOcean's hourly quota (5,000, rolling). The per-minute burst limit
(250) is documented as 5% of it and shows only as 429 + Retry-After, so the client keeps to it on
its own: `BurstSchedule` is a GCRA schedule in which half of the burst limit (less the requests
that may be in flight) may go at once and the rest are spaced evenly. No 60 s window then holds
more than the burst limit, and a long run is spread instead of stalled. A quota so small that no
burst room is left beyond the requests in flight gets the hourly rule only.

Every pacing wait is bounded: `refuse_long_wait` turns a wait over MAX_PACING_WAIT into an
error that names when to run again (a spent hourly quota can take most of an hour to free one
request), and `spread` caps the courtesy spacing of the last requests before a reset.

Also here: how waits are announced (WaitNotice, event_printer) and the total deadline of one
request (DeadlineBackend under httpx's transport; no httpx import, client.py is its home).
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from routerctl.bounds import bounded_int, header_number, retry_after_seconds
from routerctl.errors import ApiError

BURST_SHARE = 0.05  # 250 a minute of 5,000 an hour
BURST_WINDOW = 60.0
MAX_PACING_WAIT = 300.0
# Spreading the last requests before the reset is a courtesy (they will be admitted): never
# more than this per request.
MAX_SPREAD_WAIT = 30.0
# ratelimit-reset has one-second resolution; waking exactly on it risks one more 429.
RESET_SLACK = 0.5
# Values of ratelimit-reset below this are delta-seconds (IETF draft style), above it epochs.
_EPOCH_THRESHOLD = 1_000_000_000


class BurstSchedule:
    """When the next send may go under the burst limit. Not thread safe: the caller's lock."""

    def __init__(self) -> None:
        self._tat = 0.0  # GCRA's theoretical arrival time of the next send

    def slot(self, earliest: float, quota: int | None, in_flight_room: int) -> tuple[float, str]:
        """The earliest send time at or after `earliest` that keeps to the burst limit derived
        from the hourly `quota`, and the reason when it is later; records the send."""
        if quota is None:
            return earliest, ""
        burst = int(quota * BURST_SHARE)
        room = burst - in_flight_room
        if room < 2:
            return earliest, ""
        at_once = room // 2
        interval = BURST_WINDOW / (room - at_once)
        send = max(earliest, self._tat - (at_once - 1) * interval)
        self._tat = max(self._tat, send) + interval
        why = f"spreading requests under the API's burst limit of {burst} a minute"
        return send, why if send > earliest else ""

    def turn(
        self, now: float, wait: float, why: str, quota: int | None, in_flight_room: int
    ) -> tuple[float, str]:
        """(wait, why) for a send the hourly rule would let go after `wait`: later, with the
        burst reason, when the burst limit needs it; records the send."""
        send, burst_why = self.slot(now + wait, quota, in_flight_room)
        return (send - now, burst_why) if burst_why else (wait, why)


def spread(time_left: float, remaining: int) -> float:
    """The spacing of the last `remaining` requests over `time_left`, capped: they will be
    admitted, so spreading them is a courtesy worth a bounded wait only."""
    return max(0.0, min(time_left / remaining, MAX_SPREAD_WAIT))


def refuse_long_wait(wait: float, why: str, what: str, now_epoch: float) -> None:
    """Raise ApiError (nothing was sent) for a pacing wait over MAX_PACING_WAIT."""
    if wait <= MAX_PACING_WAIT:
        return
    try:
        until = time.strftime("%H:%M:%S UTC", time.gmtime(now_epoch + wait))
    except (OverflowError, OSError, ValueError):  # a wait of centuries
        until = "the time the API names"
    raise ApiError(
        f"{what}: not sent: {why}; the rate limit would need a {wait:.0f} s wait, over the "
        f"{MAX_PACING_WAIT:.0f} s routerctl waits at most; run again after {until}"
    )


# Waits longer than this are announced through on_event as a WaitNotice.
ANNOUNCE_WAITS_OVER = 2.0
# No single wait taken from the server (Retry-After, ratelimit-reset) is longer than this either.
MAX_SINGLE_WAIT = MAX_PACING_WAIT


class TimeoutErrors(NamedTuple):
    connect: type[Exception]
    read: type[Exception]
    write: type[Exception]


# --- the rate-limit budget (moved from client.py, which is at its line cap) ---------------


def as_int(value: object) -> int | None:
    """An integer from JSON or a header (gRPC-gateway APIs encode int64 as a string), within
    int64; a longer digit string is not an integer here (no 4,300-digit int() call)."""
    return bounded_int(value, low=-(2**63), high=2**63 - 1)


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Retry-After as seconds from now: either delta-seconds or an HTTP date (clamped)."""
    return retry_after_seconds(value, now_epoch)


def parse_reset(value: str | None, now_epoch: float) -> float | None:
    """ratelimit-reset as seconds from now. DigitalOcean sends a Unix epoch; small values are
    taken as delta-seconds (the IETF RateLimit draft). Clamped: a 20-digit value is a long wait
    (refused), never an overflow."""
    number = header_number(value)
    if number is None:
        return None
    return max(0.0, number - now_epoch) if number >= _EPOCH_THRESHOLD else number


class Turn(NamedTuple):
    wait: float  # seconds to sleep first
    why: str  # for the pacing event
    reserved: bool  # False: sleep, then ask again (the budget may look different by then)


class RateLimiter:
    """The rate-limit budget as last reported by the API (the hourly quota), shared by every
    thread; the per-minute burst limit, which no header reports, is py's. Each send
    reserves one request from `remaining`; each response corrects the estimate from its
    headers, minus the requests still in flight (they may not be counted yet). When the
    estimate falls to the low-water mark, sends are spaced evenly over the time left until
    `ratelimit-reset`, so a long apply slows down instead of hitting 429.

    DigitalOcean's window rolls (the reset is when the *oldest* request leaves it): passing it
    frees one request, maybe no more. After it, and after a Retry-After wait, a low budget goes
    one request at a time, each waiting for the previous response. Times are `clock()` units.
    """

    def __init__(
        self,
        *,
        low_water: int,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._low_water = low_water
        self._clock = clock
        self._wall_clock = wall_clock
        self._limit: int | None = None
        self._remaining: int | None = None  # None: never reported
        self._reset_at: float | None = None  # None: unknown (or passed)
        self._next_slot = 0.0
        self._blocked_until = 0.0
        self._in_flight = 0
        self._burst = BurstSchedule()

    def acquire(self) -> Turn:
        """Decide when the next request may go; reserve it when it is `reserved`."""
        with self._changed:
            while True:
                now = self._clock()
                if self._blocked_until > now:
                    return Turn(self._blocked_until - now, "the API asked to retry later", False)
                if self._reset_at is not None and now >= self._reset_at:
                    # Keep `remaining` as a lower bound: a rolling window may free only one.
                    self._reset_at = None
                    self._next_slot = 0.0
                remaining = self._remaining
                if remaining is None or remaining > self._low_water:
                    return self._reserve(now, 0.0, "")
                if self._reset_at is None:
                    # Low budget, reset unknown: one request at a time, and only once every
                    # earlier reservation has been answered (they may use the freed slots).
                    if self._in_flight == 0:
                        return self._reserve(now, 0.0, "")
                    # Real blocking, but only until a response arrives (release always runs).
                    self._changed.wait(timeout=1.0)
                    continue
                reset_in = self._reset_at - now
                limit = f" of {self._limit}" if self._limit is not None else ""
                why = (
                    f"{max(remaining, 0)}{limit} requests left until the rate limit resets "
                    f"in {reset_in:.1f} s"
                )
                if remaining <= 0:
                    return Turn(reset_in + RESET_SLACK, why, False)
                slot = max(now, self._next_slot)
                self._next_slot = slot + spread(self._reset_at - slot, remaining)
                return self._reserve(now, slot - now, why)

    def _reserve(self, now: float, wait: float, why: str) -> Turn:
        # Called with the lock held.
        wait, why = self._burst.turn(now, wait, why, self._limit, self._low_water)
        if self._remaining is not None:
            self._remaining -= 1
        self._in_flight += 1
        return Turn(wait, why, True)

    def release(self, headers: Mapping[str, str] | None, retry_after: float | None = None) -> None:
        """A reserved request finished; learn the budget from its response headers, if any.

        A 429's Retry-After is applied here, under the same lock as its headers: applied
        later, another thread could read "0 left, reset in 60 s" in between and sleep until
        the reset instead of the few seconds the API asked for."""
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()
            if retry_after is not None:
                self._block(retry_after)
                return
            if headers is None:
                return
            limit = as_int(headers.get("ratelimit-limit"))
            if limit is not None:
                self._limit = limit
            remaining = as_int(headers.get("ratelimit-remaining"))
            reset_in = parse_reset(headers.get("ratelimit-reset"), self._wall_clock())
            if remaining is None or reset_in is None:
                return
            reset_at = self._clock() + reset_in
            estimate = remaining - self._in_flight
            if (
                self._remaining is None
                or self._reset_at is None
                or reset_at > self._reset_at + RESET_SLACK
            ):
                # First report, or the window moved on: the header supersedes our estimate.
                self._remaining = estimate
                self._reset_at = reset_at
            else:
                # Responses arrive out of order; the lowest figure for a window is the freshest.
                self._remaining = min(self._remaining, estimate)

    def quota(self) -> tuple[int | None, int | None]:
        """(ratelimit-limit, requests left) as the responses so far report them."""
        with self._lock:
            return self._limit, self._remaining

    def block(self, seconds: float) -> None:
        """The API said "retry after N s" (429): every thread waits, not just the one told,
        and afterwards a single probe finds out how much budget there is."""
        with self._changed:
            self._block(seconds)

    def _block(self, seconds: float) -> None:
        # Called with the lock held.
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)
        self._remaining = 0
        self._reset_at = None
        self._next_slot = 0.0


# --- waits -------------------------------------------------------------------------------------


class WaitNotice(str):
    """An on_event line announcing a wait longer than ANNOUNCE_WAITS_OVER, for the user to see
    without --debug: `waiting 8 s: rate limit, resets at 12:04:10 UTC`."""


def event_printer(write: Callable[[str], None], *, debug: bool) -> Callable[[str], None]:
    """An on_event for the CLI: every event with --debug, else only the WaitNotices."""

    def show(line: str) -> None:
        if isinstance(line, WaitNotice):
            write(f"routerctl: {line}")
        elif debug:
            write(f"debug: {line}")

    return show


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    if seconds < 2 * 31_557_600:
        return f"{seconds / 86400:.0f} days"
    return f"{seconds / 31_557_600:,.0f} years"


def clock_time(epoch: float, seconds_ahead: float) -> str:
    """When a wait ends, as UTC: a time of day within a day, else a date (if it has one)."""
    try:
        when = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
    except (OverflowError, ValueError, OSError):
        return f"{duration(seconds_ahead)} from now"
    return when.strftime("%H:%M:%S UTC" if seconds_ahead < 86_400 else "%Y-%m-%d %H:%M UTC")


# --- the total deadline of one request ------------------------------------------------------

# The deadline of the request this thread is sending (time.monotonic()), or None.
DEADLINE = threading.local()


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(DEADLINE, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the total deadline for the request passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream:
    """A connection (httpcore's NetworkStream interface) whose every read and write is cut to
    what is left of the request's deadline, so the sum of them is bounded, not only each one.
    Duck-typed, raising the caller's (httpx's) timeout errors: this module imports neither
    httpx nor httpcore."""

    def __init__(self, inner: Any, errors: TimeoutErrors) -> None:
        self._inner = inner
        self._errors = errors

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._inner.read(max_bytes, _left(timeout, self._errors.read))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, self._errors.write))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> DeadlineStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _left(timeout, self._errors.connect)
        )
        return DeadlineStream(inner, self._errors)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend:
    """httpcore's NetworkBackend interface, handing out DeadlineStreams."""

    def __init__(self, inner: Any, errors: TimeoutErrors) -> None:
        self._inner = inner
        self._errors = errors

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> DeadlineStream:
        timeout = _left(timeout, self._errors.connect)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return DeadlineStream(stream, self._errors)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> DeadlineStream:
        timeout = _left(timeout, self._errors.connect)
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return DeadlineStream(stream, self._errors)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_deadline(client: Any, errors: TimeoutErrors) -> int:
    """Put DeadlineBackend under the client's own transports (the default one and any proxy
    mounts from the environment); returns how many. httpx offers no public hook for the
    network backend, so this reaches into `_transport`/`_mounts`/`_pool`; test_hostile_time
    fails if an httpx upgrade moves them (and _read_body still bounds the body meanwhile)."""
    transports = [getattr(client, "_transport", None)]
    transports += list(getattr(client, "_mounts", {}).values())
    installed = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if hasattr(backend, "connect_tcp") and not isinstance(backend, DeadlineBackend):
            pool._network_backend = DeadlineBackend(backend, errors)  # type: ignore[union-attr]
            installed += 1
    return installed
