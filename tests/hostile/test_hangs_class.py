"""Class 3, hangs: rate-limit headers that ask for years, servers that drip a byte at a time or
never answer, pagination without end. Every case ends within its bound: waits are on fake time
(each must be at most client.MAX_SINGLE_WAIT, checked by expect_error/expect_clean) and real
time is bounded by Hostile.run's thread join; the drip and silence cases use --timeout 0.5.
"""

from __future__ import annotations

import email.utils

import pytest

from hostile.kit import ROUTERS, Hostile, Reply, listing, live_router
from routerctl.client import RouterClient

LIST = f"GET {ROUTERS}?page=1"
GET = f"GET {ROUTERS}/u-1"
SUMMARY = {"uuid": "u-1", "name": "hostile"}  # no config: the plan GETs the router next


def _budget_gone(hostile: Hostile, reset: str) -> None:
    """The list answers 200 with no requests left until `reset`; the GET that follows must
    not sleep until then."""
    headers = {"ratelimit-limit": "250", "ratelimit-remaining": "0", "ratelimit-reset": reset}
    hostile.route("GET", ROUTERS, Reply(body=listing(SUMMARY), headers=headers))


@pytest.mark.parametrize(
    ("label", "reset"),
    [
        ("far-future epoch", lambda now: "99999999999"),
        ("20-digit epoch", lambda now: "99999999999999999999"),
        ("ten years ahead", lambda now: str(int(now + 10 * 365 * 86400))),
        ("an hour ahead (delta)", lambda now: "3600"),
        ("six minutes ahead", lambda now: str(int(now + 360))),
    ],
)
def test_no_budget_until_a_distant_reset_fails_at_once(
    hostile: Hostile, label: str, reset: object
) -> None:
    _budget_gone(hostile, reset(hostile.epoch))  # type: ignore[operator]
    outcome = hostile.run("plan")
    line = hostile.expect_error(outcome, GET, contains="over the 300 s routerctl waits at most")
    assert "not sent" in line
    assert outcome.sleeps == []  # not one second spent waiting


def test_no_budget_until_a_near_reset_waits_and_says_so(hostile: Hostile) -> None:
    now = hostile.epoch
    _budget_gone(hostile, str(int(now + 60)))
    outcome = hostile.run("plan")
    hostile.expect_clean(outcome)
    assert outcome.sleeps[0] == 60.5  # until the reset (the limiter may then spread more)
    assert (
        outcome.lines[0] == f"routerctl: waiting 60 s: rate limit, {GET} at {_utc(now + 60.5)} UTC"
    )
    assert all(line.startswith("routerctl: waiting ") for line in outcome.lines)


@pytest.mark.parametrize(
    "retry_after",
    [
        lambda now: "86400",
        lambda now: "301",
        lambda now: email.utils.formatdate(now + 2 * 86400, usegmt=True),
        lambda now: "99999999999999999999",
    ],
)
def test_429_asking_for_more_than_five_minutes_fails_at_once(
    hostile: Hostile, retry_after: object
) -> None:
    header = {"retry-after": retry_after(hostile.epoch), "x-request-id": "rq-9"}  # type: ignore[operator]
    hostile.route(
        "GET", ROUTERS, Reply(429, {"id": "too_many_requests", "message": "slow"}, header)
    )
    outcome = hostile.run("plan")
    hostile.expect_error(
        outcome, f"{LIST} → 429", contains="over routerctl's 5-minute limit", request_id="rq-9"
    )
    assert outcome.sleeps == []


def test_429_asking_for_8_seconds_waits_8_and_announces_it(hostile: Hostile) -> None:
    replies = iter(
        [Reply(429, {"id": "too_many_requests", "message": "slow"}, {"retry-after": "8"})]
    )
    hostile.route(
        "GET", ROUTERS, lambda path, query: next(replies, Reply(body=listing(live_router())))
    )
    outcome = hostile.run("plan")
    hostile.expect_clean(outcome)
    assert 8.0 in outcome.sleeps
    assert outcome.lines[0].startswith(f"routerctl: waiting 8 s: {LIST} got 429, retry 2 of 6 at ")


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=listing(live_router()), drip=0.02),  # 1 byte every 20 ms: ~8 s for the body
        Reply(body=listing(live_router()), drip_headers=0.02),
        Reply(hold=True),
    ],
    ids=["drip-body", "drip-headers", "silent"],
)
def test_a_server_too_slow_in_total_fails_at_the_timeout(hostile: Hostile, reply: Reply) -> None:
    hostile.route("GET", ROUTERS, reply)
    outcome = hostile.run("plan", "--timeout", "0.5", bound=15)
    line = hostile.expect_error(outcome, LIST, contains="no response within 0.5 s")
    assert "gave up after 6 attempts" in line
    # Six attempts of at most 0.5 s each (backoff sleeps are fake): well under the drip's 8 s
    # per attempt, which a per-read timeout would have let run to the end.
    assert outcome.elapsed < 6 * 0.5 + 5


def _endless(meta: dict[str, int] | None) -> object:
    def page(path: str, query: dict[str, list[str]]) -> Reply:
        n = int(query["page"][0])
        body = listing(live_router(f"u-{n}", f"r-{n}"))
        body["links"] = {"pages": {"next": f"http://elsewhere{ROUTERS}?page={n + 1}"}}
        if meta is not None:
            body["meta"] = {**meta, "page": n}
        return Reply(body=body)

    return page


@pytest.mark.parametrize(
    ("meta", "pages", "contains"),
    [
        ({"total": 3}, 5, "meta.total says 3 items (3 pages of 1)"),
        ({"total": 3, "pages": 10**9}, 5, "meta.total says 3 items"),
        ({"total": 0}, 2, "meta.total says 0 items"),
        (None, 1000, "more than 1000 pages"),
    ],
)
def test_endless_pagination_stops_in_proportion_to_meta_total(
    hostile: Hostile, meta: dict[str, int] | None, pages: int, contains: str
) -> None:
    hostile.route("GET", ROUTERS, _endless(meta))  # type: ignore[arg-type]
    outcome = hostile.run("plan", bound=60)
    hostile.expect_error(outcome, f"GET {ROUTERS}?page={pages}", contains=contains)
    assert len(hostile.server.requests) == pages


def test_every_default_client_has_the_total_deadline_under_its_transport(api_token: str) -> None:
    # httpx has no public hook for this; if an upgrade moves its internals, this fails (the
    # body is still bounded by _read_body's own check).
    with RouterClient(token=api_token, base_url="http://127.0.0.1:9") as client:
        assert client.deadline_transports >= 1


def _utc(epoch: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC).strftime("%H:%M:%S")
