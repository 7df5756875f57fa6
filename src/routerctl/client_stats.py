"""What a RouterClient did, counted: requests by method, statuses, retries, 429s, pacing
waits, connection errors. Thread-safe; read by --debug output, plans (requests made) and the
benchmarks. Kept apart from client.py (which re-exports it) because it needs no HTTP at all.
"""

from __future__ import annotations

import threading
from collections import Counter


class ClientStats:
    """Thread-safe counters of what the client did, for --debug output and benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_method: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._retries = 0
        self._throttled = 0
        self._pacing_waits = 0
        self._connection_errors = 0

    def record_request(self, method: str) -> None:
        with self._lock:
            self._by_method[method] += 1

    def record_status(self, status: int) -> None:
        with self._lock:
            self._by_status[status] += 1
            if status == 429:
                self._throttled += 1

    def record_retry(self) -> None:
        with self._lock:
            self._retries += 1

    def record_pacing_wait(self) -> None:
        with self._lock:
            self._pacing_waits += 1

    def record_connection_error(self) -> None:
        with self._lock:
            self._connection_errors += 1

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(self._by_method.values())

    @property
    def retries(self) -> int:
        with self._lock:
            return self._retries

    @property
    def throttled_429(self) -> int:
        with self._lock:
            return self._throttled

    @property
    def pacing_waits(self) -> int:
        with self._lock:
            return self._pacing_waits

    def requests_by_method(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._by_method.items()))

    def status_counts(self) -> dict[int, int]:
        with self._lock:
            return dict(sorted(self._by_status.items()))

    def snapshot(self) -> dict[str, int]:
        """Flat counters: `requests`, `requests.<METHOD>`, `status.<code>`, `retries`,
        `throttled_429`, `pacing_waits`, `connection_errors`."""
        with self._lock:
            out = {
                "requests": sum(self._by_method.values()),
                "retries": self._retries,
                "throttled_429": self._throttled,
                "pacing_waits": self._pacing_waits,
                "connection_errors": self._connection_errors,
            }
            out.update({f"requests.{m}": n for m, n in sorted(self._by_method.items())})
            out.update({f"status.{s}": n for s, n in sorted(self._by_status.items())})
            return out
