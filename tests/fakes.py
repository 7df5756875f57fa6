"""Test doubles shared by several test modules (importable because pytest's `pythonpath`
includes tests/): clocks that only move when code sleeps, exact backoff jitter, and small
router builders."""

from __future__ import annotations

import random
import threading
from typing import Any

from routerctl.models import LiveRouter, PresetSpec, RouterSpec, TaskSpec

EPOCH0 = 1_700_000_000.0


class FakeTime:
    """A monotonic clock and a wall clock that move only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return EPOCH0 + (self.now - 1000.0)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


class CapRng(random.Random):
    """Full jitter always at its cap, so backoff delays are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


def make_spec(name: str = "triage", **overrides: Any) -> RouterSpec:
    """A small router: a cheapest-pool task, a manual-ranking task, a preset, a fallback."""
    fields: dict[str, Any] = {
        "name": name,
        "description": "Support triage.",
        "tasks": {
            "classify": TaskSpec(
                description="Label the ticket.",
                models=["openai-gpt-5-nano", "llama3.3-70b-instruct"],
                prefer="cheapest",
            ),
            "reply": TaskSpec(
                description="Write the reply.",
                models=["anthropic-claude-sonnet-4.6", "anthropic-claude-haiku-4.5"],
            ),
        },
        "presets": {"summarization": PresetSpec(models=["openai-gpt-oss-120b"])},
        "fallback_models": ["llama3.3-70b-instruct"],
    }
    fields.update(overrides)
    return RouterSpec(**fields)


def make_live(spec: RouterSpec, uuid: str = "u-1", **overrides: Any) -> LiveRouter:
    """`spec` as the API's GET would return it (config nested, server fields filled)."""
    body = spec.api_payload()
    data: dict[str, Any] = {
        "uuid": uuid,
        "name": body["name"],
        "description": body["description"],
        "created_at": "2026-06-01T12:00:00Z",
        "config": {"fallback_models": body["fallback_models"], "policies": body["policies"]},
    }
    data.update(overrides)
    return LiveRouter.model_validate(data)


def routing_matcher() -> dict[str, Any]:
    """Emulator keyword arguments for a routing inference route: the lexical predictor with
    the emulator's historic threshold (what `routerctl emulator --predictor lexical` injects,
    minus the tuned threshold), so tests route deterministically without the model."""
    from routerctl.predict import as_matcher
    from routerctl.predict.lexical import MATCH_THRESHOLD, LexicalPredictor

    predictor = LexicalPredictor(threshold=MATCH_THRESHOLD, exemplar_weight=0.0)
    return {"matcher": as_matcher(predictor)}


def fake_clock_options(handler: Any, time: FakeTime, events: list[str]) -> dict[str, Any]:
    """The client keywords every respx-backed client test shares: requests to `handler`,
    events recorded, and time, wall clock and jitter all fake, so retries cost nothing."""
    import httpx

    return {
        "transport": httpx.MockTransport(handler),
        "on_event": events.append,
        "sleep": time.sleep,
        "clock": time.clock,
        "wall_clock": time.wall,
        "rng": CapRng(),
    }
