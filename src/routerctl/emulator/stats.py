"""Request counters for the emulator's `/_emulator/stats` and the request log of
`/_emulator/requests`, safe across handler threads."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any, Protocol


class Stats:
    """Request counters, safe across handler threads. `snapshot()` is what callers see."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter[str] = Counter()
            self._statuses: Counter[int] = Counter()
            self._committed: Counter[str] = Counter()
            self._rate_limited = 0
            self._dropped = 0

    def request(self, method: str, route: str) -> None:
        with self._lock:
            self._requests[f"{method} {route}"] += 1

    def answered(self, status: int) -> None:
        with self._lock:
            self._statuses[status] += 1

    def dropped(self) -> None:
        with self._lock:
            self._dropped += 1

    def rate_limited(self) -> None:
        with self._lock:
            self._rate_limited += 1

    def committed(self, kind: str) -> None:
        with self._lock:
            self._committed[kind] += 1

    def snapshot(self, faults: Mapping[str, int]) -> dict[str, Any]:
        with self._lock:
            return {
                "requests_total": sum(self._requests.values()),
                # key "METHOD /route/{template}", e.g. "GET /v2/gen-ai/models/routers/{uuid}"
                "requests": dict(sorted(self._requests.items())),
                "statuses": {str(k): v for k, v in sorted(self._statuses.items())},
                "rate_limited": self._rate_limited,  # 429s sent by the rate limiter
                "dropped": self._dropped,  # connections closed without an answer
                "creates_committed": self._committed["create"],
                "updates_committed": self._committed["update"],
                "deletes_committed": self._committed["delete"],
                "faults_fired": sum(faults.values()),
                "faults": dict(faults),
            }


class _Exchange(Protocol):
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


class RequestLog:
    """The last `size` API and inference exchanges (not control requests, not drops), bodies as
    text. Request headers are left out, so no token is kept."""

    def __init__(self, size: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, req: _Exchange, status: int, headers: Mapping[str, str], data: bytes) -> None:
        entry = {
            "method": req.method,
            "path": req.path,
            "query": {k: list(v) for k, v in req.query.items()},
            "request_content_type": req.headers.get("content-type", ""),
            "request_body": req.body.decode("utf-8", "replace"),
            "status": status,
            "response_headers": dict(headers),
            "response_body": data.decode("utf-8", "replace"),
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
