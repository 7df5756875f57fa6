"""reads.py: which live routers a plan reads in full, what apply PLANFILE re-reads, the budget
check; and the client's give-up (a Retry-After beyond the retry budget ends every wait)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
import respx

from fakes import FakeTime, make_live, make_spec
from routerctl.apply import apply_plan
from routerctl.client import RetryPolicy, RouterClient
from routerctl.diff import compute_plan
from routerctl.errors import ApiNotSentError, ApiStatusError, ApplyError, ConfigError, PlanError
from routerctl.models import LiveRouter
from routerctl.reads import (
    Budget,
    BudgetMeter,
    budget_share,
    in_play,
    read_for_saved_plan,
    read_live,
)

BASE = "https://api.test"
ROUTERS = "/v2/gen-ai/models/routers"


def summary(name: str, uuid: str) -> LiveRouter:
    return LiveRouter.model_validate({"uuid": uuid, "name": name})


class FakeSource:
    """A list of summaries (some with config) and GETs by uuid, recording what was asked."""

    def __init__(self, routers: Sequence[LiveRouter], *, listed_with_config: Sequence[str] = ()):
        self.full = {r.uuid: r for r in routers}
        self.listed = [
            r if r.name in listed_with_config else summary(r.name, r.uuid) for r in routers
        ]
        self.got: list[str] = []
        self.pages = 0

    def list_router_summaries(self) -> list[LiveRouter]:
        self.pages += 1
        return list(self.listed)

    def get_routers(self, uuids: Sequence[str]) -> list[LiveRouter]:
        self.got += uuids
        return [self.full[u] for u in uuids if u in self.full]


def account(n: int) -> list[LiveRouter]:
    names = [f"app-{i}" for i in range(n)] + ["other-x"]
    return [make_live(make_spec(name), uuid=f"u-{name}") for name in names]


def test_only_declared_routers_and_their_old_names_are_read() -> None:
    specs = [make_spec("app-1"), make_spec("app-new", renamed_from=["app-2"])]
    source = FakeSource(account(6))
    live = read_live(source, in_play(specs, prune_scope=["app-*"]))
    assert sorted(source.got) == ["u-app-1", "u-app-2"]
    plan = compute_plan(specs, live, prune_scope=["app-*"])
    # Orphans are listed by name from their summary; nobody fetched their config.
    assert plan.prunable == ("app-0", "app-3", "app-4", "app-5")
    assert plan.unmanaged == ("other-x",)


def test_target_reads_one_router_and_prune_reads_the_deletes() -> None:
    specs = [make_spec("app-1"), make_spec("app-2")]
    source = FakeSource(account(5))
    read_live(source, in_play(specs, targets=["app-1"], prune=True, prune_scope=["app-*"]))
    assert source.got == ["u-app-1"]
    source = FakeSource(account(5))
    compares = in_play(specs, prune=True, prune_scope=["app-*"], protect=["app-4"])
    plan = compute_plan(
        specs, read_live(source, compares), prune=True, prune_scope=["app-*"], protect=["app-4"]
    )
    # The in-scope orphans that can be deleted, nothing protected or out of scope.
    assert sorted(source.got) == ["u-app-0", "u-app-1", "u-app-2", "u-app-3"]
    assert [c.name for c in plan.changes] == ["app-0", "app-3"]


def test_a_mixed_page_gets_only_the_summaries_in_play() -> None:
    specs = [make_spec("app-1"), make_spec("app-2"), make_spec("app-3")]
    source = FakeSource(account(5), listed_with_config=["app-1", "app-4"])
    live = read_live(source, in_play(specs))
    assert source.got == ["u-app-2", "u-app-3"]  # app-1 came with its config
    assert compute_plan(specs, live).unchanged == ("app-1", "app-2", "app-3")
    source = FakeSource(account(5), listed_with_config=[r.name for r in account(5)])
    read_live(source, in_play(specs, prune=True, prune_scope=["*"]))
    assert source.got == []  # full list items: no GET at all


def test_a_wrong_selection_fails_loudly_instead_of_planning_against_a_summary() -> None:
    specs = [make_spec("app-1")]
    live = read_live(FakeSource(account(2)), lambda _router: False)
    with pytest.raises(PlanError, match="read without its config"):
        compute_plan(specs, live)


def test_saved_plan_rereads_the_names_and_only_the_touched_routers() -> None:
    live = account(4)
    specs = [make_spec("app-1", description="Changed."), make_spec("brand-new")]
    plan = compute_plan(specs, live, prune=True, prune_scope=["app-0"])
    source = FakeSource(live)
    seen = read_for_saved_plan(source, plan)
    assert sorted(source.got) == ["u-app-0", "u-app-1"]  # the update and the delete
    assert source.pages == 1  # names: does a create's name exist now? scope, ownership
    assert {r.name for r in seen if r.has_config} == {"app-0", "app-1"}
    assert {r.name for r in seen} == {"app-0", "app-1", "app-2", "app-3", "other-x"}


# --- budget -----------------------------------------------------------------------------------


def test_budget_refuses_over_max_requests_and_warns_over_the_share() -> None:
    made = [0]
    meter = BudgetMeter(Budget(max_requests=100), lambda: made[0], lambda: (5000, 995))
    made[0] = 5  # the list pages, read to make the estimate
    with pytest.raises(ConfigError, match=r"needs about 1005 requests .* over --max-requests 100"):
        meter.check(1000, "1000 router GETs")
    made[0] = 0
    meter = BudgetMeter(Budget(share=0.5), lambda: made[0], lambda: (5000, 1495))
    made[0] = 5
    meter.check(1000, "1000 router GETs")
    assert len(meter.warnings) == 1
    assert "over 50% of the 1500 left" in meter.warnings[0]
    quiet = BudgetMeter(Budget(share=0.5), lambda: 5, lambda: (5000, 4995))
    quiet.check(10, "10 router GETs")
    assert quiet.warnings == []
    assert quiet.report()["quota_remaining"] == 4995


@pytest.mark.parametrize(("raw", "share"), [("", 0.5), ("0.25", 0.25), ("80%", 0.8), ("1", 1.0)])
def test_budget_share_from_the_environment(raw: str, share: float) -> None:
    assert budget_share({"ROUTERCTL_BUDGET_SHARE": raw}) == pytest.approx(share)


@pytest.mark.parametrize("raw", ["0", "2", "half", "nan", "-5%"])
def test_a_bad_budget_share_is_one_clear_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="ROUTERCTL_BUDGET_SHARE"):
        budget_share({"ROUTERCTL_BUDGET_SHARE": raw})


# --- give up at once ---------------------------------------------------------------------------


def router_body(uuid: str) -> dict[str, Any]:
    return {"model_router": {"uuid": uuid, "name": f"r-{uuid}", "config": {"policies": []}}}


def test_a_retry_after_beyond_the_budget_ends_every_wait_at_once(api_token: str) -> None:
    """Three GETs are told to retry in 30 s (within the 60 s budget) and wait; then one is told
    200 s. The run ends now, not 30 s later, and the waiting requests are not sent again."""
    calls: dict[str, int] = {}
    lock = threading.Lock()
    all_sent = threading.Barrier(4, timeout=5)

    def handler(request: httpx.Request) -> httpx.Response:
        uuid = request.url.path.rsplit("/", 1)[1]
        with lock:
            calls[uuid] = calls.get(uuid, 0) + 1
        all_sent.wait()  # all four in flight before any answer blocks the rate limiter
        if uuid == "u0":
            time.sleep(0.3)  # let the others get their 429 and start waiting first
            return httpx.Response(429, headers={"retry-after": "200"})
        return httpx.Response(429, headers={"retry-after": "30"})

    with RouterClient(
        token=api_token,
        base_url=BASE,
        parallelism=4,
        retry=RetryPolicy(max_attempts=5, max_total_seconds=60),
        transport=httpx.MockTransport(handler),
    ) as client:
        started = time.monotonic()
        with pytest.raises(ApiStatusError) as caught:
            client.get_routers(["u0", "u1", "u2", "u3"])
        elapsed = time.monotonic() - started
    assert "the API asks to wait 200 s more, beyond the 60 s retry budget" in str(caught.value)
    assert calls == {"u0": 1, "u1": 1, "u2": 1, "u3": 1}  # none sent again
    assert elapsed < 10  # a bound on hanging, far under the 30 s the others were told to wait


def test_after_giving_up_a_request_that_must_wait_is_not_sent(
    api_token: str, fake_time: FakeTime
) -> None:
    api = respx.MockRouter(base_url=BASE, assert_all_called=False)
    # 200 s: beyond the 120 s retry budget, within the 300 s pacing cap (pacing.py), so it is
    # the give-up that stops the second request, not the cap.
    api.get(f"{ROUTERS}/u0").mock(return_value=httpx.Response(429, headers={"retry-after": "200"}))
    other = api.get(f"{ROUTERS}/u1").mock(return_value=httpx.Response(200, json=router_body("u1")))
    with RouterClient(
        token=api_token,
        base_url=BASE,
        retry=RetryPolicy(max_total_seconds=120),
        transport=httpx.MockTransport(api.handler),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        wall_clock=fake_time.wall,
    ) as client:
        with pytest.raises(ApiStatusError):
            client.get_router("u0")
        with pytest.raises(ApiNotSentError) as caught:
            client.get_router("u1")  # the limiter says wait 200 s: it gives up instead
    assert other.call_count == 0
    assert fake_time.sleeps == []
    assert str(caught.value).startswith(
        "GET /v2/gen-ai/models/routers/u1: not sent: GET /v2/gen-ai/models/routers/u0: "
        "the API asks to wait 200 s more"
    )


def test_apply_reports_requests_given_up_as_skipped_not_failed() -> None:
    live = [make_live(make_spec(f"r{i}"), uuid=f"u{i}") for i in range(3)]
    plan = compute_plan([make_spec(f"r{i}", description="New.") for i in range(3)], live)

    class Writer:
        def create_router(self, payload: dict[str, Any]) -> LiveRouter:
            raise AssertionError("no creates here")

        def update_router(self, uuid: str, payload: dict[str, Any]) -> LiveRouter:
            if uuid == "u0":
                raise ApiStatusError("PUT", f"{ROUTERS}/u0", 429, message="Too Many Requests")
            raise ApiNotSentError("PUT", f"{ROUTERS}/{uuid}", "not sent: the run stopped")

        def delete_router(self, uuid: str) -> None:
            raise AssertionError("no deletes here")

    with pytest.raises(ApplyError) as caught:
        apply_plan(plan, Writer(), parallelism=1)
    statuses = [o.status for o in caught.value.result.outcomes]
    assert statuses == ["failed", "skipped", "skipped"]
