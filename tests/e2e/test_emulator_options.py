"""The emulator's named options for behaviour the API does not document (see the table in
routerctl/emulator/__init__.py and the README), and its two rate limits on a fake clock."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import routerctl.emulator as emulator_package
from fakes import FakeTime
from routerctl.emulator import Emulator
from routerctl.emulator.ratelimit import DO_PER_HOUR, DO_PER_MINUTE, RateLimiter

pytestmark = pytest.mark.e2e

ROUTERS = "/v2/gen-ai/models/routers"
POLICIES: list[dict[str, Any]] = [
    {
        "custom_task": {"name": "classify", "description": "Label the ticket."},
        "models": ["openai-gpt-5-nano"],
        "selection_policy": {"prefer": "cheapest"},
    }
]


def body(name: str = "opt", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "description": "Options.",
        "policies": copy.deepcopy(POLICIES),
        "fallback_models": ["llama3.3-70b-instruct"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def api(emulator: Emulator, api_token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": f"Bearer {api_token}"}, timeout=5
    ) as client:
        yield client


def test_the_documented_defaults_are_the_real_defaults() -> None:
    doc = emulator_package.__doc__ or ""
    rows = re.findall(r"^    (\w+)\s+--[\w-]+.*?\s{2,}(\S+)$", doc, re.MULTILINE)
    documented = {name: value for name, value in rows if name != "option"}
    expected = {name: repr(value) for name, value in Emulator().config.items()}
    expected = {k: v.replace("'", '"').replace("0.0", "0") for k, v in expected.items()}
    assert documented == {k: expected[k] for k in documented}
    assert set(documented) == {
        "unique_names",
        "regions_check",
        "put_semantics",
        "default_prefer",
        "list_lag_seconds",
    }


def test_duplicates_are_allowed_by_default_and_refused_with_unique_names(
    emulator: Emulator, api: httpx.Client
) -> None:
    assert api.post(ROUTERS, json=body("twin")).status_code == 200
    assert api.post(ROUTERS, json=body("twin")).status_code == 200
    assert [r["name"] for r in api.get(ROUTERS).json()["model_routers"]] == ["twin", "twin"]
    emulator.configure(unique_names=True)
    third = api.post(ROUTERS, json=body("twin"))
    assert third.status_code == 409
    assert third.json()["id"] == "conflict"


def test_regions_check_can_be_turned_off(emulator: Emulator, api: httpx.Client) -> None:
    assert api.post(ROUTERS, json=body(regions=["tor1"])).status_code == 400
    emulator.configure(regions_check=False)
    created = api.post(ROUTERS, json=body(regions=["tor1"]))
    assert created.status_code == 200
    assert created.json()["model_router"]["regions"] == ["all"]  # deprecated: no effect
    assert api.post(ROUTERS, json=body("x", regions="tor1")).status_code == 400


@pytest.mark.parametrize(
    ("semantics", "sent", "status", "expected"),
    [
        ("full", {"name": "opt"}, 400, None),
        ("full", body(description="new"), 200, {"description": "new", "policies": 1}),
        ("merge", {"description": "new"}, 200, {"description": "new", "policies": 1}),
        (
            "merge",
            {"policies": [], "description": None},
            200,
            {"description": "Options.", "policies": 0},
        ),
        (
            "replace",
            {"name": "opt", "fallback_models": ["m"]},
            200,
            {"description": "", "policies": 0},
        ),
        ("replace", {"description": "new"}, 400, None),
    ],
    ids=[
        "full-partial",
        "full-whole",
        "merge-one",
        "merge-null",
        "replace-resets",
        "replace-partial",
    ],
)
def test_put_semantics(
    emulator: Emulator,
    api: httpx.Client,
    semantics: str,
    sent: dict[str, Any],
    status: int,
    expected: dict[str, Any] | None,
) -> None:
    uuid = api.post(ROUTERS, json=body()).json()["model_router"]["uuid"]
    emulator.configure(put_semantics=semantics)
    answer = api.put(f"{ROUTERS}/{uuid}", json=sent)
    assert answer.status_code == status, answer.text
    stored = emulator.routers()[0]
    if expected is None:
        assert stored["description"] == "Options."  # unchanged
        return
    assert stored["description"] == expected["description"]
    assert len(stored["config"]["policies"]) == expected["policies"]
    assert stored["name"] == "opt"


def test_prefer_is_echoed_by_default_and_filled_on_request(
    emulator: Emulator, api: httpx.Client
) -> None:
    bare = [{"task_slug": "summarization", "models": ["openai-gpt-oss-120b"]}]
    echoed = api.post(ROUTERS, json=body("a", policies=bare)).json()["model_router"]
    assert echoed["config"]["policies"][0] == bare[0]
    emulator.configure(default_prefer="none")
    filled = api.post(ROUTERS, json=body("b", policies=bare)).json()["model_router"]
    assert filled["config"]["policies"][0]["selection_policy"] == {"prefer": "none"}


def test_list_lag_hides_new_routers_from_lists_only(api_token: str) -> None:
    fake = FakeTime()
    with Emulator(list_lag_seconds=5, clock=fake.wall) as emu:
        auth = {"Authorization": f"Bearer {api_token}"}
        created = httpx.post(f"{emu.url}{ROUTERS}", json=body(), headers=auth).json()
        uuid = created["model_router"]["uuid"]
        listed = httpx.get(f"{emu.url}{ROUTERS}", headers=auth).json()
        assert listed["model_routers"] == []
        assert listed["meta"]["total"] == 0
        assert httpx.get(f"{emu.url}{ROUTERS}/{uuid}", headers=auth).status_code == 200
        assert [r["uuid"] for r in emu.routers()] == [uuid]  # the test's own view is not lagged
        fake.sleep(5)
        listed = httpx.get(f"{emu.url}{ROUTERS}", headers=auth).json()
        assert [r["uuid"] for r in listed["model_routers"]] == [uuid]


def test_config_api_takes_every_option_and_refuses_bad_values(emulator: Emulator) -> None:
    control = f"{emulator.url}/_emulator/config"
    wanted = {
        "unique_names": True,
        "regions_check": False,
        "put_semantics": "merge",
        "default_prefer": "cheapest",
        "list_lag_seconds": 2.5,
        "rate_limit_per_hour": 5000,
        "rate_limit_per_minute": 250,
    }
    answer = httpx.put(control, json=wanted)
    assert answer.status_code == 200
    assert {k: answer.json()[k] for k in wanted} == wanted
    for bad in (
        {"unique_names": "yes"},
        {"put_semantics": "patch"},
        {"default_prefer": "optimal"},
        {"list_lag_seconds": -1},
        {"rate_limit_per_hour": 0},
    ):
        refused = httpx.put(control, json=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["id"] == "bad_request"
    assert httpx.get(control).json()["put_semantics"] == "merge"  # nothing half-applied


def test_cli_flags_set_the_options(tmp_path: Any) -> None:
    command = [
        *(sys.executable, "-m", "routerctl", "emulator", "--port", "0"),
        *("--unique-names", "--no-regions-check", "--put", "replace"),
        *("--default-prefer", "none", "--list-lag", "3", "--hourly-limit", "5000"),
        *("--rate-limit", "250"),
    ]
    with (tmp_path / "log").open("w") as log:
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True
        )
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            config = httpx.get(f"{url}/_emulator/config", timeout=10).json()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
    assert config["unique_names"] is True
    assert config["regions_check"] is False
    assert config["put_semantics"] == "replace"
    assert config["default_prefer"] == "none"
    assert config["list_lag_seconds"] == 3
    assert config["rate_limit_per_hour"] == 5000
    assert config["rate_limit_per_minute"] == 250


# --- the two rate limits, on a fake clock -----------------------------------------------------


def test_hourly_quota_rolls_and_reports_the_oldest_request() -> None:
    fake = FakeTime()
    limiter = RateLimiter(per_minute=None, per_hour=3, clock=fake.wall)
    first = limiter.admit("t")
    assert (first.limit, first.remaining, first.reset) == (3, 2, int(fake.wall()) + 3600)
    fake.sleep(1000)
    limiter.admit("t")
    last = limiter.admit("t")
    assert last.remaining == 0
    assert last.reset == int(fake.wall()) - 1000 + 3600  # when the *oldest* one expires
    refused = limiter.admit("t")
    assert not refused.allowed
    assert refused.retry_after is None  # the hourly quota: no retry-after, wait for the reset
    assert "retry-after" not in refused.headers()
    fake.sleep(2600)  # the oldest leaves the hour: exactly one request frees
    assert limiter.admit("t").allowed
    assert not limiter.admit("t").allowed


def test_burst_limit_answers_retry_after_and_keeps_reporting_the_hour() -> None:
    fake = FakeTime()
    limiter = RateLimiter(per_minute=DO_PER_MINUTE, per_hour=DO_PER_HOUR, clock=fake.wall)
    for _ in range(DO_PER_MINUTE):
        assert limiter.admit("t").allowed
        fake.sleep(0.1)  # 250 in 25 s
    refused = limiter.admit("t")
    assert not refused.allowed
    assert refused.retry_after == 35  # the first of them leaves the minute 60 s after it came
    assert refused.headers()["ratelimit-remaining"] == str(DO_PER_HOUR - DO_PER_MINUTE)
    fake.sleep(35)
    assert limiter.admit("t").allowed
    assert limiter.admit("other-token").allowed  # per token


def test_emulator_answers_both_limits_over_http(api_token: str) -> None:
    fake = FakeTime()
    with Emulator(rate_limit_per_minute=2, rate_limit_per_hour=3, clock=fake.wall) as emu:
        auth = {"Authorization": f"Bearer {api_token}"}
        get = lambda: httpx.get(f"{emu.url}{ROUTERS}", headers=auth)  # noqa: E731
        assert [get().status_code, get().status_code] == [200, 200]
        burst = get()
        assert burst.status_code == 429
        assert burst.headers["retry-after"] == "60"
        assert burst.headers["ratelimit-remaining"] == "1"
        fake.sleep(60)
        assert get().status_code == 200
        hourly = get()
        assert hourly.status_code == 429
        assert "retry-after" not in hourly.headers
        assert hourly.headers["ratelimit-remaining"] == "0"
        assert int(hourly.headers["ratelimit-reset"]) == int(fake.wall()) - 60 + 3600
        assert emu.stats["rate_limited"] == 2
