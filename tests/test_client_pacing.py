"""Client pacing against DigitalOcean's two rate limits (reference §3.5): the hourly quota the
`ratelimit-*` headers report (5,000, rolling) and the per-minute burst (250) that shows only as
429 + Retry-After. The server side is the emulator's own limiter on a FakeTime clock, so an
hour passes in milliseconds and every wait the client takes is recorded."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from fakes import FakeTime, fake_clock_options
from routerctl.client import RetryPolicy, RouterClient
from routerctl.emulator import Emulator
from routerctl.emulator.ratelimit import DO_PER_HOUR, DO_PER_MINUTE, RateLimiter
from routerctl.errors import ApiError
from routerctl.pacing import MAX_PACING_WAIT, BurstSchedule

BASE = "https://api.test"
ROUTERS = "/v2/gen-ai/models/routers"


class DoLimits:
    """A fake API answering GETs under the emulator's limiter (both limits), recording the
    (fake) time of every admitted request and every 429."""

    def __init__(self, fake_time: FakeTime, token: str) -> None:
        self.time = fake_time
        self.token = token
        self.limiter = RateLimiter(DO_PER_MINUTE, DO_PER_HOUR, clock=fake_time.wall)
        self.admitted: list[float] = []
        self.throttled: list[float] = []
        self._lock = threading.Lock()

    def fill(self, count: int) -> None:
        """Spend `count` requests now, as another process with the same token would (past
        the burst limit: they stand for a longer stretch squeezed into one instant)."""
        self.limiter.per_minute = None
        for _ in range(count):
            assert self.limiter.admit(self.token).allowed
        self.limiter.per_minute = DO_PER_MINUTE

    def respond(self, body: dict[str, Any]) -> httpx.Response:
        with self._lock:
            state = self.limiter.admit(self.token)
            if not state.allowed:
                self.throttled.append(self.time.wall())
                error = {"id": "too_many_requests", "message": "API rate limit exceeded."}
                return httpx.Response(429, headers=state.headers(), json=error)
            self.admitted.append(self.time.wall())
            return httpx.Response(200, headers=state.headers(), json=body)

    def busiest_minute(self) -> int:
        """The most admitted requests in any 60 s window (the burst the server saw)."""
        times = sorted(self.admitted)
        start, most = 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - 60:
                start += 1
            most = max(most, end - start + 1)
        return most


def router_json(uuid: str, name: str) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "description": "",
        "config": {"fallback_models": ["llama3.3-70b-instruct"], "policies": []},
    }


@pytest.fixture
def api() -> respx.MockRouter:
    return respx.MockRouter(base_url=BASE, assert_all_called=False)


@pytest.fixture
def limits(fake_time: FakeTime, api_token: str) -> DoLimits:
    return DoLimits(fake_time, api_token)


@pytest.fixture
def make_client(
    api: respx.MockRouter, api_token: str, fake_time: FakeTime, events: list[str]
) -> Iterator[Callable[..., RouterClient]]:
    made: list[RouterClient] = []

    def make(**overrides: Any) -> RouterClient:
        options: dict[str, Any] = {
            "token": api_token,
            "base_url": BASE,
            "parallelism": 4,
            "retry": RetryPolicy(max_attempts=4, max_total_seconds=600.0),
            **fake_clock_options(api.handler, fake_time, events),
        }
        options.update(overrides)
        made.append(RouterClient(**options))
        return made[-1]

    yield make
    for c in made:
        c.close()


def serve_gets(api: respx.MockRouter, limits: DoLimits) -> None:
    api.get(url__regex=rf"{ROUTERS}/(?P<uuid>[^/]+)$").mock(
        side_effect=lambda request, uuid: limits.respond({"model_router": router_json(uuid, uuid)})
    )


def test_a_long_run_is_spread_under_the_burst_limit_and_never_throttled(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    limits: DoLimits,
    events: list[str],
) -> None:
    serve_gets(api, limits)
    client = make_client()
    for i in range(600):
        client.get_router(f"u{i}")
    assert limits.throttled == []
    assert len(limits.admitted) == 600
    assert limits.busiest_minute() <= DO_PER_MINUTE
    # Half the burst limit (less the requests that may be in flight) goes at once; the rest is
    # spread evenly: many short waits, none long.
    assert fake_time.sleeps
    assert max(fake_time.sleeps) < 1.0
    first_wait = len(limits.admitted) - len(fake_time.sleeps)
    assert 100 <= first_wait <= DO_PER_MINUTE // 2
    assert "spreading requests under the API's burst limit of 250 a minute" in events[0]


def test_parallel_gets_of_a_large_list_stay_under_the_burst_limit(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    limits: DoLimits,
) -> None:
    summaries = [{"uuid": f"u{i:03}", "name": f"r{i:03}", "description": ""} for i in range(400)]
    api.get(ROUTERS).mock(
        side_effect=lambda request: limits.respond(
            {"model_routers": summaries, "meta": {"page": 1, "pages": 1, "total": 400}}
        )
    )
    serve_gets(api, limits)
    client = make_client(parallelism=8)
    assert len(client.list_routers()) == 400
    assert limits.throttled == []
    assert limits.busiest_minute() <= DO_PER_MINUTE


def test_a_spent_hourly_quota_fails_fast_naming_when_to_run_again(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    limits: DoLimits,
) -> None:
    limits.fill(DO_PER_HOUR - 20)  # another job spent most of the hour, 20 minutes ago
    fake_time.now += 1200
    serve_gets(api, limits)
    client = make_client()

    def run() -> None:
        for i in range(100):
            client.get_router(f"u{i}")

    with pytest.raises(ApiError) as caught:
        run()
    # Every request the quota allowed was sent and none was refused: the client stopped
    # itself instead of hitting 429 or sleeping for the 40 minutes until a request frees.
    assert len(limits.admitted) == 20
    assert limits.throttled == []
    assert max(fake_time.sleeps) <= 30.0
    message = str(caught.value)
    assert message.startswith("GET /v2/gen-ai/models/routers/u20: not sent: 0 of 5000 requests")
    assert f"over the {MAX_PACING_WAIT:.0f} s routerctl waits at most" in message
    reset_at = math.ceil(limits.limiter.peek(limits.token).reset)
    assert message.endswith(tuple(f"run again after {_hms(reset_at + d)} UTC" for d in (0, 1)))


def test_a_quota_that_frees_within_the_cap_is_waited_for(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    limits: DoLimits,
) -> None:
    limits.fill(DO_PER_HOUR)  # all spent, the oldest frees in 100 s
    fake_time.now += 3500
    serve_gets(api, limits)
    client = make_client()
    assert client.get_router("u1").uuid == "u1"
    # One 429 (the client could not know), then a wait for ratelimit-reset, bounded.
    assert len(limits.throttled) == 1
    assert max(fake_time.sleeps) <= MAX_PACING_WAIT
    assert 99 <= sum(fake_time.sleeps) <= 102


def test_a_burst_spent_elsewhere_is_waited_out_via_retry_after(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    limits: DoLimits,
) -> None:
    limits.fill(DO_PER_MINUTE)  # another process used this minute's burst just now
    fake_time.now += 20
    serve_gets(api, limits)
    client = make_client()
    for i in range(5):
        client.get_router(f"u{i}")
    assert len(limits.throttled) == 1
    assert 39 <= max(fake_time.sleeps) <= 41  # retry-after: the burst frees 40 s later
    assert len(limits.admitted) == 5


def test_an_absurd_retry_after_is_not_slept(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(
            429,
            headers={"retry-after": "9" * 30},
            json={"id": "too_many_requests", "message": "API rate limit exceeded."},
        )
    )
    client = make_client()
    with pytest.raises(ApiError):
        client.get_router("u1")
    assert all(s <= MAX_PACING_WAIT for s in fake_time.sleeps)


def test_against_the_emulator_three_hundred_creates_draw_no_429(
    fake_time: FakeTime, api_token: str
) -> None:
    """The real client over HTTP against the emulator at DigitalOcean's limits, both on the
    fake clock: the emulator counts what it admits, and refuses nothing."""
    with Emulator(
        rate_limit_per_minute=DO_PER_MINUTE, rate_limit_per_hour=DO_PER_HOUR, clock=fake_time.wall
    ) as emulator:
        client = RouterClient(
            token=api_token,
            base_url=emulator.url,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            wall_clock=fake_time.wall,
        )
        try:
            for i in range(300):
                client.create_router(
                    {
                        "name": f"r-{i}",
                        "description": "",
                        "policies": [],
                        "fallback_models": ["llama3.3-70b-instruct"],
                    }
                )
        finally:
            client.close()
        assert emulator.stats["rate_limited"] == 0
        assert emulator.stats["creates_committed"] == 300
        assert emulator.rate_limits(api_token)["remaining"] == DO_PER_HOUR - 300


def _hms(epoch: float) -> str:
    import time

    return time.strftime("%H:%M:%S", time.gmtime(epoch))


@pytest.mark.parametrize(("quota", "in_flight_room"), [(5000, 10), (5000, 6), (1000, 3), (400, 2)])
def test_burst_schedule_never_puts_more_than_the_burst_limit_in_a_minute(
    quota: int, in_flight_room: int
) -> None:
    schedule = BurstSchedule()
    sends = [schedule.slot(0.0, quota, in_flight_room)[0] for _ in range(1000)]
    room = int(quota * 0.05) - in_flight_room
    assert sends == sorted(sends)
    assert sends.count(0.0) == room // 2  # half at once
    start = 0
    for end, at in enumerate(sends):
        while sends[start] <= at - 60:
            start += 1
        assert end - start + 1 <= room
    # Steady state: the other half per minute, evenly.
    assert sends[-1] == pytest.approx((1000 - room // 2) * 60 / (room - room // 2))


def test_burst_schedule_is_off_when_no_room_is_left() -> None:
    schedule = BurstSchedule()
    assert schedule.slot(5.0, 10, 6) == (5.0, "")  # 5% of 10 leaves nothing beyond in-flight
    assert schedule.slot(5.0, None, 6) == (5.0, "")  # quota never reported
