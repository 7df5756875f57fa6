"""The emulator's rate limiter, per bearer token, as DigitalOcean documents it (reference §3.5):

- an **hourly quota** (5,000 on the real API), rolling: each admitted request counts for one
  hour. The `ratelimit-limit` / `-remaining` / `-reset` headers on every response report it;
  `ratelimit-reset` is the unix time (whole seconds, rounded up) when the *oldest* counted
  request leaves the hour. A request over the quota gets 429 **without** `retry-after`:
  the client has to wait for `ratelimit-reset`.
- a **per-minute burst** limit (250, 5% of the hourly quota), rolling over 60 s. A request
  over it gets 429 **with** `retry-after` (seconds until the oldest request of the last
  minute leaves it). The headers still report the hourly quota, which is what
  `ratelimit-remaining` counts.

Only admitted requests are counted, so a 429 does not extend the wait: a client that sleeps
for `retry-after` (or until `ratelimit-reset`) is admitted on its next try. Either limit may
be off (None). With no hourly quota the headers report `UNLIMITED_REPORTED_LIMIT`, so a
pacing client never slows down against an unlimited emulator.

Time comes from an injectable `clock` (unix seconds), so tests can move an hour in a line.
The window lengths are module attributes read at each call, so a harness may shorten them.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0  # the burst window
QUOTA_WINDOW_SECONDS = 3600.0  # the hourly quota's rolling window
DO_PER_HOUR = 5_000
DO_PER_MINUTE = 250
UNLIMITED_REPORTED_LIMIT = 1_000_000


@dataclass(frozen=True)
class RateState:
    """The rate-limit view of one request: whether it was admitted, and its headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # unix epoch seconds
    retry_after: int | None = None  # only when the burst limit refused it

    def headers(self) -> dict[str, str]:
        out = {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }
        if self.retry_after is not None:
            out["retry-after"] = str(self.retry_after)
        return out


class _Windows:
    """Admission times of one token: the last hour, and the last minute of it."""

    __slots__ = ("hour", "minute")

    def __init__(self) -> None:
        self.hour: deque[float] = deque()
        self.minute: deque[float] = deque()

    def expire(self, now: float) -> None:
        while self.hour and self.hour[0] <= now - QUOTA_WINDOW_SECONDS:
            self.hour.popleft()
        while self.minute and self.minute[0] <= now - WINDOW_SECONDS:
            self.minute.popleft()


class RateLimiter:
    """Hourly quota plus per-minute burst, rolling, per key (the bearer token). Thread safe."""

    def __init__(
        self,
        per_minute: int | None = None,
        per_hour: int | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._per_minute = per_minute
        self._per_hour = per_hour
        self._clock = clock
        self._windows: dict[str, _Windows] = {}

    @property
    def per_minute(self) -> int | None:
        return self._per_minute

    @per_minute.setter
    def per_minute(self, value: int | None) -> None:
        with self._lock:
            self._per_minute = value

    @property
    def per_hour(self) -> int | None:
        return self._per_hour

    @per_hour.setter
    def per_hour(self, value: int | None) -> None:
        with self._lock:
            self._per_hour = value

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def _state(
        self,
        windows: _Windows | None,
        now: float,
        retry_after: int | None = None,
        *,
        allowed: bool = True,
    ) -> RateState:
        limit = self._per_hour if self._per_hour is not None else UNLIMITED_REPORTED_LIMIT
        used = len(windows.hour) if windows is not None else 0
        if windows is not None and windows.hour:
            reset = math.ceil(windows.hour[0] + QUOTA_WINDOW_SECONDS)
        else:
            reset = math.ceil(now)
        return RateState(allowed, limit, max(0, limit - used), reset, retry_after)

    def admit(self, key: str) -> RateState:
        """Count one request for `key` if both limits have room; refuse it otherwise."""
        now = self._clock()
        with self._lock:
            windows = self._windows.setdefault(key, _Windows())
            windows.expire(now)
            if self._per_hour is not None and len(windows.hour) >= self._per_hour:
                return self._state(windows, now, allowed=False)
            if self._per_minute is not None and len(windows.minute) >= self._per_minute:
                wait = max(1, math.ceil(windows.minute[0] + WINDOW_SECONDS - now))
                return self._state(windows, now, wait, allowed=False)
            windows.hour.append(now)
            windows.minute.append(now)
            return self._state(windows, now)

    def peek(self, key: str) -> RateState:
        """The current state for `key`, without counting a request."""
        now = self._clock()
        with self._lock:
            windows = self._windows.get(key)
            if windows is not None:
                windows.expire(now)
            return self._state(windows, now)
