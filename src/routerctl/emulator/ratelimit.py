"""The emulator's rate limiter: a rolling 60-second window per bearer token, reported
through the `ratelimit-*` headers DigitalOcean sends on every response (reference §3.5).

Only admitted requests are counted. A 429 does not extend the wait, so a client that
sleeps for `retry-after` seconds is admitted on its next try. `ratelimit-reset` is the unix
time (whole seconds, rounded up) at which the oldest counted request leaves the window, as
DigitalOcean documents it. With no limit configured, requests are never refused, and the
headers report `UNLIMITED_REPORTED_LIMIT`. A pacing client therefore never slows down
against an unlimited emulator.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
UNLIMITED_REPORTED_LIMIT = 1_000_000


@dataclass(frozen=True)
class RateState:
    """The rate-limit view of one request: whether it was admitted, and its headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # unix epoch seconds
    retry_after: int | None = None  # only when refused

    def headers(self) -> dict[str, str]:
        out = {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }
        if self.retry_after is not None:
            out["retry-after"] = str(self.retry_after)
        return out


class RateLimiter:
    """Rolling-window counter per key (the bearer token). Thread safe."""

    def __init__(self, per_minute: int | None = None) -> None:
        self._lock = threading.Lock()
        self._per_minute = per_minute
        self._windows: dict[str, deque[float]] = {}

    @property
    def per_minute(self) -> int | None:
        return self._per_minute

    @per_minute.setter
    def per_minute(self, value: int | None) -> None:
        with self._lock:
            self._per_minute = value

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def _window(self, key: str, now: float, *, create: bool = True) -> deque[float]:
        window = self._windows.setdefault(key, deque()) if create else self._windows.get(key)
        if window is None:
            return deque()
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        return window

    def _state(self, window: deque[float], now: float, allowed: bool) -> RateState:
        limit = self._per_minute if self._per_minute is not None else UNLIMITED_REPORTED_LIMIT
        reset = math.ceil(window[0] + WINDOW_SECONDS) if window else math.ceil(now)
        retry_after = None
        if not allowed:
            retry_after = max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
        return RateState(allowed, limit, max(0, limit - len(window)), reset, retry_after)

    def admit(self, key: str) -> RateState:
        """Count one request for `key` if the window has room; refuse it otherwise."""
        now = time.time()
        with self._lock:
            window = self._window(key, now)
            if self._per_minute is not None and len(window) >= self._per_minute:
                return self._state(window, now, allowed=False)
            window.append(now)
            return self._state(window, now, allowed=True)

    def peek(self, key: str) -> RateState:
        """The current state for `key`, without counting a request."""
        now = time.time()
        with self._lock:
            return self._state(self._window(key, now, create=False), now, allowed=True)
