"""One journey per class with the installed CLI as a subprocess (real streams, real time,
nothing patched) against the malicious server: what the in-process cases prove must also hold
for the real program.
"""

from __future__ import annotations

import json

import pytest

from hostile.kit import ROUTERS, Hostile, Reply, assert_inert_markdown, listing, live_router

pytestmark = pytest.mark.e2e

LIST = f"GET {ROUTERS}?page=1"


def test_journey_secrets_echoed_everywhere_never_printed_or_saved(hostile: Hostile) -> None:
    echo = {"id": hostile.token, "message": f"bad {hostile.token}", "request_id": hostile.token}
    hostile.route("GET", ROUTERS, Reply(401, echo, {"x-request-id": hostile.token}))
    outcome = hostile.journey("plan")
    hostile.expect_error(outcome, f"{LIST} → 401 [token]", request_id="[token]")

    debug = hostile.journey("--debug", "plan")
    assert debug.code == 1
    assert "Traceback" in debug.stderr
    assert hostile.token not in debug.stderr

    hostile.route(
        "GET", ROUTERS, Reply(body=listing(live_router(), live_router("u-2", hostile.token)))
    )
    saved = hostile.journey("plan", "--out", "plan.json")
    hostile.expect_clean(saved)
    assert hostile.token not in (hostile.root / "plan.json").read_text()

    short = hostile.journey("plan", env={"DIGITALOCEAN_TOKEN": "dev"})
    assert short.code == 1
    assert short.stderr.startswith("routerctl: error: DIGITALOCEAN_TOKEN is 3 characters long")


def test_journey_server_data_that_once_gave_tracebacks(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, Reply(200, '{"model_routers": [], "n": ' + "9" * 4301 + "}"))
    hostile.expect_error(hostile.journey("plan"), f"{LIST} → 200", contains="4301 digits")

    hostile.route(
        "GET", ROUTERS, Reply(429, {"id": "slow", "message": "x"}, {"ratelimit-reset": "9" * 20})
    )
    hostile.expect_error(hostile.journey("plan"), f"{LIST} → 429")

    (hostile.root / "plan.json").write_text("[" * 100_000, encoding="utf-8")
    deep = hostile.journey("apply", "plan.json")
    assert deep.code == 1
    assert deep.stderr.splitlines() == [
        "routerctl: error: plan.json: damaged plan file (JSON nested too deeply); "
        "re-run `routerctl plan --out`"
    ]


def test_journey_waits_the_server_asks_for_are_bounded(hostile: Hostile) -> None:
    headers = {"ratelimit-remaining": "0", "ratelimit-reset": "99999999999"}
    hostile.route(
        "GET", ROUTERS, Reply(body=listing({"uuid": "u-1", "name": "hostile"}), headers=headers)
    )
    outcome = hostile.journey("plan")
    hostile.expect_error(
        outcome, f"GET {ROUTERS}/u-1: not sent", contains="over the 300 s routerctl waits at most"
    )
    assert outcome.elapsed < 30  # it did not sleep until the year 5138

    hostile.route(
        "GET", ROUTERS, Reply(429, {"id": "slow", "message": "x"}, {"retry-after": "86400"})
    )
    day = hostile.journey("plan")
    hostile.expect_error(day, f"{LIST} → 429 slow", contains="the API asks to wait 24 h")


def test_journey_injection_in_live_values_is_inert(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, Reply(body=listing(live_router(name="hostile\x1b[2K\x1b[1A"))))
    hostile.expect_error(hostile.journey("plan"), f"{LIST} → 200", contains="hostile\\u001b[2K")

    evil = "x``</code><img src=x onerror=alert(1)>"
    router = live_router()
    router["config"]["policies"][0]["models"] = [evil, "llama3.3-70b-instruct"]
    hostile.route("GET", ROUTERS, Reply(body=listing(router)))
    markdown = hostile.journey("plan", "--format", "markdown", "--detailed-exitcode")
    hostile.expect_clean(markdown, code=2)
    assert "onerror=alert(1)" in markdown.stdout  # shown, but only as code
    assert_inert_markdown(markdown.stdout)

    as_json = hostile.journey("plan", "--format", "json", "--detailed-exitcode")
    hostile.expect_clean(as_json, code=2)
    json.loads(as_json.stdout)
