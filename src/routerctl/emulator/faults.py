"""Fault injection for the emulator: the FaultPlan a test or benchmark sets, and the
thread-safe injector that decides, request by request, whether a fault fires.

Two kinds of faults:

- **Random** (`error_rate`, `error_statuses`, `retry_after`): each management request
  (`/v2/...`) fails with a status drawn from `error_statuses`, with probability
  `error_rate`. Injected 429s carry `retry-after` only when `retry_after` is set. With
  `retry_after=None` a client has to fall back to `ratelimit-reset`. Set `seed` to make the
  sequence repeatable.
- **Scripted** (`script`): a queue of steps. The step at the head applies to the next request
  that matches it, `times` times, and is then removed. Requests that do not match the head
  step pass through untouched. A step's `match` is `"*"` (every request) or
  `"METHOD PATH"`, where METHOD may be `*` and PATH is an `fnmatch` pattern on the path
  without its query string. Examples: `"POST /v2/gen-ai/models/routers"`, `"GET *"`,
  `"PUT /v2/gen-ai/models/routers/*"`. Scripted steps also apply to the inference route, and
  they take priority over random faults.

Step actions:

- `status`: answer `status` at once, with no processing and an API-shaped error body.
- `drop_before`: close the connection without processing or answering.
- `drop_after_commit`: process the request (a POST really creates the router), then close
  the connection without answering. This is the ambiguous-write case.
- `delay`: process the request, then hold the answer for `delay_ms`. A client that times
  out has still made its change.

`latency_ms` is added before every `/v2` response, on top of the emulator's own configured
latency.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Action = Literal["status", "drop_before", "drop_after_commit", "delay"]
ACTIONS: tuple[str, ...] = ("status", "drop_before", "drop_after_commit", "delay")
RANDOM_ERROR = "random_error"  # counter key for faults fired by error_rate


@dataclass
class FaultStep:
    """One scripted fault (see the module docstring)."""

    match: str = "*"
    action: Action = "status"
    status: int = 503
    retry_after: float | None = None
    delay_ms: float = 0.0
    times: int = 1

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"fault action must be one of {', '.join(ACTIONS)}: {self.action!r}")
        if not 100 <= int(self.status) <= 599:
            raise ValueError(f"fault status must be an HTTP status: {self.status!r}")
        if int(self.times) < 1:
            raise ValueError(f"fault times must be at least 1: {self.times!r}")
        if float(self.delay_ms) < 0:
            raise ValueError(f"fault delay_ms must not be negative: {self.delay_ms!r}")
        _parse_match(self.match)

    @classmethod
    def coerce(cls, value: FaultStep | dict[str, Any]) -> FaultStep:
        if isinstance(value, FaultStep):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"a fault step must be an object, not {type(value).__name__}")
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault step field(s): {', '.join(sorted(unknown))}")
        return cls(**value)

    def matches(self, method: str, path: str) -> bool:
        want_method, pattern = _parse_match(self.match)
        if want_method not in ("*", method.upper()):
            return False
        return fnmatch.fnmatchcase(path, pattern)


def _parse_match(match: str) -> tuple[str, str]:
    text = match.strip()
    if text == "*":
        return "*", "*"
    parts = text.split(None, 1)
    if len(parts) != 2:
        raise ValueError(f'fault match must be "*" or "METHOD PATH": {match!r}')
    return parts[0].upper(), parts[1]


@dataclass
class FaultPlan:
    """What to break, and how often (see the module docstring). The default breaks nothing."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [429, 500, 502, 503, 504])
    retry_after: float | None = None
    script: list[FaultStep | dict[str, Any]] = field(default_factory=list)
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.error_rate) <= 1.0:
            raise ValueError(f"error_rate must be between 0 and 1: {self.error_rate!r}")
        if float(self.latency_ms) < 0:
            raise ValueError(f"latency_ms must not be negative: {self.latency_ms!r}")
        if self.error_rate and not self.error_statuses:
            raise ValueError("error_statuses must not be empty when error_rate is set")
        self.script = [FaultStep.coerce(step) for step in self.script]

    @classmethod
    def from_dict(cls, data: Any) -> FaultPlan:
        """Build from JSON (the control API's body). Raises ValueError on unknown fields."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError("a fault plan must be a JSON object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault plan field(s): {', '.join(sorted(unknown))}")
        try:
            return cls(**data)
        except TypeError as exc:  # e.g. a string where a list belongs
            raise ValueError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["script"] = [asdict(FaultStep.coerce(s)) for s in self.script]
        return data


@dataclass
class _Pending:
    step: FaultStep
    left: int


@dataclass(frozen=True)
class Fault:
    """A fault that fired for one request."""

    action: Action
    status: int = 0
    retry_after: float | None = None
    delay_ms: float = 0.0


class FaultInjector:
    """Holds the active plan and its progress; `decide` is safe to call from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan = FaultPlan()
        self._queue: list[_Pending] = []  # head first
        self._rng = random.Random()
        self._fired: Counter[str] = Counter()

    def set_plan(self, plan: FaultPlan) -> None:
        """Replace the plan. Script progress restarts and the random generator is re-seeded."""
        with self._lock:
            self._plan = plan
            steps = [FaultStep.coerce(s) for s in plan.script]
            self._queue = [_Pending(step, int(step.times)) for step in steps]
            self._rng = random.Random(plan.seed)

    def reset(self) -> None:
        self.set_plan(FaultPlan())
        with self._lock:
            self._fired.clear()

    @property
    def plan(self) -> FaultPlan:
        with self._lock:
            return self._plan

    @property
    def latency_ms(self) -> float:
        with self._lock:
            return float(self._plan.latency_ms)

    def decide(self, method: str, path: str, *, allow_random: bool) -> Fault | None:
        """The fault for this request, if any. This consumes a script step or a random draw."""
        with self._lock:
            if self._queue:
                head = self._queue[0]
                step = head.step
                if step.matches(method, path):
                    head.left -= 1
                    if head.left <= 0:
                        self._queue.pop(0)
                    self._fired[step.action] += 1
                    return Fault(step.action, int(step.status), step.retry_after, step.delay_ms)
            plan = self._plan
            if allow_random and plan.error_rate > 0 and self._rng.random() < plan.error_rate:
                status = int(self._rng.choice(plan.error_statuses))
                self._fired[RANDOM_ERROR] += 1
                return Fault("status", status, plan.retry_after if status == 429 else None)
            return None

    def counters(self) -> dict[str, int]:
        """How many faults fired, by action (`random_error` for error_rate hits)."""
        with self._lock:
            return {key: self._fired.get(key, 0) for key in (*ACTIONS, RANDOM_ERROR)}
