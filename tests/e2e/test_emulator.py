"""The emulator over real HTTP: the management API contract, faults, rate limiting,
persistence, the inference route, and the pure routing matcher behind it."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from routerctl.emulator import Emulator, EmulatorApiError, FaultPlan, catalog, routing

pytestmark = pytest.mark.e2e

ROUTERS = "/v2/gen-ai/models/routers"
CHAT = "/v1/chat/completions"

# The four tasks of the support-triage tutorial router (shared/seeds), as the API takes them.
TRIAGE_POLICIES: list[dict[str, Any]] = [
    {
        "custom_task": {
            "name": "classify_ticket",
            "description": "Categorize short support messages into issue types "
            "(billing, bug, how-to, account).",
        },
        "models": ["llama3.3-70b-instruct", "openai-gpt-5-nano"],
        "selection_policy": {"prefer": "cheapest"},
    },
    {
        "custom_task": {
            "name": "urgency_detection",
            "description": "Detect severity, sentiment, and escalation risk in a single pass.",
        },
        "models": ["anthropic-claude-haiku-4.5"],
        "selection_policy": {"prefer": "fastest"},
    },
    {
        "custom_task": {
            "name": "draft_customer_reply",
            "description": "Generate a short, professional customer-facing reply.",
        },
        "models": ["anthropic-claude-sonnet-4.6", "anthropic-claude-haiku-4.5"],
        "selection_policy": {"prefer": "none"},
    },
    {
        "custom_task": {
            "name": "escalate_complex_issue",
            "description": "Summarize complex tickets into structured briefs for a human agent.",
        },
        "models": ["anthropic-claude-opus-4.7"],
        "selection_policy": {"prefer": "none"},
    },
]


def router_body(name: str = "triage-router", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "description": "Support ticket triage.",
        "policies": copy.deepcopy(TRIAGE_POLICIES),
        "fallback_models": ["llama3.3-70b-instruct", "openai-gpt-oss-120b"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def api(emulator: Emulator, api_token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": f"Bearer {api_token}"}, timeout=5
    ) as client:
        yield client


def create(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(ROUTERS, json=body)
    assert response.status_code == 200, response.text
    router: dict[str, Any] = response.json()["model_router"]
    return router


# --- CRUD and envelopes ---------------------------------------------------------------


def test_crud_round_trip(api: httpx.Client) -> None:
    created = create(api, router_body())
    assert set(created) == {
        "uuid", "name", "description", "created_at", "updated_at", "regions", "config",
    }  # fmt: skip
    assert created["name"] == "triage-router"
    assert created["regions"] == ["all"]
    assert created["created_at"].endswith("Z")
    # Input has policies/fallbacks at the top level; output nests them under config.
    assert created["config"] == {
        "fallback_models": ["llama3.3-70b-instruct", "openai-gpt-oss-120b"],
        "policies": TRIAGE_POLICIES,
    }

    got = api.get(f"{ROUTERS}/{created['uuid']}")
    assert got.status_code == 200
    assert got.json() == {"model_router": created}

    listed = api.get(ROUTERS).json()
    assert listed["model_routers"] == [created]
    assert listed["meta"] == {"page": 1, "pages": 1, "total": 1}
    assert listed["links"] == {"pages": {}}

    renamed = router_body("triage-v2", uuid="ignored-uuid", policies=[])
    updated = api.put(f"{ROUTERS}/{created['uuid']}", json=renamed)
    assert updated.status_code == 200
    router = updated.json()["model_router"]
    assert router["uuid"] == created["uuid"]  # a rename keeps the identity
    assert router["name"] == "triage-v2"
    assert router["config"]["policies"] == []
    assert router["created_at"] == created["created_at"]

    deleted = api.delete(f"{ROUTERS}/{created['uuid']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"uuid": created["uuid"]}
    assert api.get(f"{ROUTERS}/{created['uuid']}").status_code == 404
    assert api.get(ROUTERS).json()["model_routers"] == []


@pytest.mark.parametrize("emulator", [{"default_prefer": "none"}], indirect=True)
def test_defaults_filled_on_output(api: httpx.Client) -> None:
    body = {
        "name": "minimal",
        "fallback_models": ["llama3.3-70b-instruct"],
        "policies": [
            {"task_slug": "summarization", "models": ["openai-gpt-oss-120b"]},
            {"custom_task": {"name": "Code reviewer"}, "models": ["deepseek-v3.2"]},
        ],
        "regions": ["all"],
    }
    router = create(api, body)
    assert router["description"] == ""
    assert router["config"]["policies"] == [
        {
            "task_slug": "summarization",
            "models": ["openai-gpt-oss-120b"],
            "selection_policy": {"prefer": "none"},
        },
        {
            "custom_task": {"name": "Code reviewer", "description": ""},
            "models": ["deepseek-v3.2"],
            "selection_policy": {"prefer": "none"},
        },
    ]


def test_put_is_a_full_replacement(api: httpx.Client) -> None:
    router = create(api, router_body())
    # godo-style partial update: rejected rather than guessed (option put_semantics=full).
    partial = api.put(f"{ROUTERS}/{router['uuid']}", json={"name": "triage-router"})
    assert partial.status_code == 400
    assert partial.json()["message"] == (
        "PUT replaces the whole router; the body lacks description, policies, fallback_models "
        "(emulator option put_semantics=full)"
    )
    assert api.put(f"{ROUTERS}/no-such-uuid", json=router_body()).status_code == 404


# --- validation -------------------------------------------------------------------------


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(key)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.__setitem__(key, value)


def _policy(index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        policy = body["policies"][index]
        for key, value in fields.items():
            if value is None:
                policy.pop(key, None)
            else:
                policy[key] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(_policy(1, custom_task=None), "policy 1 task is required", id="no-task"),
        pytest.param(
            _policy(0, custom_task={"name": " ", "description": "x"}),
            "policy 0 task is required",
            id="blank-task-name",
        ),
        pytest.param(
            _policy(2, task_slug="summarization"),
            "policy 2 must set only one of task_slug and custom_task",
            id="both-task-kinds",
        ),
        pytest.param(
            _policy(0, custom_task=None, task_slug="no-such-task"),
            "policy 0 task_slug 'no-such-task' is not a known task preset",
            id="unknown-slug",
        ),
        pytest.param(
            _policy(3, selection_policy={"prefer": "optimal"}),
            "policy 3 selection_policy.prefer must be one of none, cheapest, fastest",
            id="bad-prefer",
        ),
        pytest.param(
            _policy(1, models=[]),
            "policy 1 models must be a non-empty list of model ids",
            id="no-models",
        ),
        pytest.param(
            _policy(1, models="openai-gpt-5-nano"),
            "policy 1 models must be a non-empty list of model ids",
            id="models-not-list",
        ),
        pytest.param(_without("name"), "name is required", id="no-name"),
        pytest.param(
            _set("name", "Triage_Router"),
            "name must contain only lowercase letters (a-z), digits (0-9) and hyphens (-)",
            id="name-pattern",
        ),
        pytest.param(
            _set("name", "a" * 256), "name must be at most 255 characters", id="name-too-long"
        ),
        pytest.param(_without("fallback_models"), "fallback_models is required", id="no-fallback"),
        pytest.param(
            _set("fallback_models", []),
            "fallback_models must be a non-empty list of model ids",
            id="empty-fallback",
        ),
        pytest.param(
            _set("fallback_models", ["llama3.3-70b-instruct", "  "]),
            "fallback_models must not contain blank or non-string entries",
            id="blank-fallback",
        ),
        pytest.param(
            _set("regions", ["tor1"]),
            'regions is deprecated: omit it or send ["all"]',
            id="regions-tor1",
        ),
        pytest.param(_set("policies", {}), "policies must be a list", id="policies-not-list"),
    ],
)
def test_validation_messages(
    api: httpx.Client, mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    body = router_body()
    mutate(body)
    response = api.post(ROUTERS, json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["id"] == "bad_request"
    assert error["message"] == message
    assert error["request_id"] == response.headers["x-request-id"]
    assert api.get(ROUTERS).json()["meta"]["total"] == 0


def test_name_of_255_chars_and_regions_all_accepted(api: httpx.Client) -> None:
    assert create(api, router_body("a" * 255, regions=["all"]))["name"] == "a" * 255


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
def test_unreadable_bodies_are_400(api: httpx.Client, raw: bytes) -> None:
    response = api.post(ROUTERS, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["id"] == "bad_request"


@pytest.mark.parametrize("emulator", [{"unique_names": True}], indirect=True)
def test_duplicate_names_conflict(api: httpx.Client) -> None:
    first = create(api, router_body("alpha"))
    create(api, router_body("beta"))
    duplicate = api.post(ROUTERS, json=router_body("alpha"))
    assert duplicate.status_code == 409
    assert duplicate.json()["id"] == "conflict"
    rename_clash = api.put(f"{ROUTERS}/{first['uuid']}", json=router_body("beta"))
    assert rename_clash.status_code == 409
    # Re-sending its own name is not a clash.
    assert api.put(f"{ROUTERS}/{first['uuid']}", json=router_body("alpha")).status_code == 200


@pytest.mark.parametrize("emulator", [{"unique_names": True}], indirect=True)
def test_put_router_uses_api_validation(emulator: Emulator) -> None:
    stored = emulator.put_router(router_body())
    assert emulator.routers() == [stored]
    with pytest.raises(EmulatorApiError) as caught:
        emulator.put_router(router_body())
    assert caught.value.status == 409
    with pytest.raises(EmulatorApiError, match="name is required"):
        emulator.put_router({"fallback_models": ["x"]})


# --- pagination and list modes ----------------------------------------------------------


def test_pagination_links_and_meta(emulator: Emulator, api: httpx.Client) -> None:
    names = [f"router-{i}" for i in range(5)]
    for name in names:
        emulator.put_router(router_body(name))

    first = api.get(ROUTERS, params={"per_page": 2}).json()
    assert [r["name"] for r in first["model_routers"]] == names[:2]
    assert first["meta"] == {"page": 1, "pages": 3, "total": 5}
    base = f"{emulator.url}{ROUTERS}"
    assert first["links"]["pages"] == {
        "next": f"{base}?page=2&per_page=2",
        "last": f"{base}?page=3&per_page=2",
    }

    middle = api.get(first["links"]["pages"]["next"]).json()
    assert set(middle["links"]["pages"]) == {"first", "previous", "next", "last"}
    assert middle["links"]["pages"]["previous"] == f"{base}?page=1&per_page=2"

    last = api.get(middle["links"]["pages"]["next"]).json()
    assert [r["name"] for r in last["model_routers"]] == names[4:]
    assert set(last["links"]["pages"]) == {"first", "previous"}

    beyond = api.get(ROUTERS, params={"page": 9, "per_page": 2}).json()
    assert beyond["model_routers"] == []
    assert beyond["meta"] == {"page": 9, "pages": 3, "total": 5}


def test_per_page_default_and_cap(emulator: Emulator, api: httpx.Client) -> None:
    for i in range(21):
        emulator.put_router(router_body(f"r-{i:02d}", policies=[]))
    default = api.get(ROUTERS).json()
    assert len(default["model_routers"]) == 20
    assert default["meta"]["pages"] == 2

    emulator.configure(page_size_cap=4)
    capped = api.get(ROUTERS, params={"per_page": 1000}).json()
    assert len(capped["model_routers"]) == 4
    assert capped["meta"] == {"page": 1, "pages": 6, "total": 21}
    assert "per_page=4" in capped["links"]["pages"]["next"]

    assert api.get(ROUTERS, params={"per_page": "many"}).status_code == 400
    assert api.get(ROUTERS, params={"page": 0}).status_code == 400


def test_summary_list_mode(emulator: Emulator, api: httpx.Client) -> None:
    router = emulator.put_router(router_body())
    emulator.configure(summary_list=True)
    items = api.get(ROUTERS).json()["model_routers"]
    assert items == [
        {"uuid": router["uuid"], "name": "triage-router", "description": "Support ticket triage."}
    ]
    # GET by uuid still has the config a reconciler needs.
    assert "config" in api.get(f"{ROUTERS}/{router['uuid']}").json()["model_router"]


# --- auth, errors, rate limits ------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Token abc"}, {"Authorization": "Bearer"}, {"Authorization": "abc"}],
    ids=["missing", "wrong-scheme", "empty-token", "no-scheme"],
)
def test_missing_or_malformed_auth_is_401(emulator: Emulator, headers: dict[str, str]) -> None:
    response = httpx.get(f"{emulator.url}{ROUTERS}", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body == {
        "id": "unauthorized",
        "message": "Unable to authenticate you.",
        "request_id": response.headers["x-request-id"],
    }
    assert "ratelimit-limit" in response.headers


def test_configured_token_must_match() -> None:
    with Emulator(token="right-token") as emu:
        url = f"{emu.url}{ROUTERS}"
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer right-token"}).status_code == 200


def test_not_found_and_method_errors(api: httpx.Client) -> None:
    missing = api.get(f"{ROUTERS}/3f1e0000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json() == {
        "id": "not_found",
        "message": "The resource you were accessing could not be found.",
        "request_id": missing.headers["x-request-id"],
    }
    assert api.delete(f"{ROUTERS}/nope").status_code == 404
    unknown = api.get("/v2/gen-ai/unknown")
    assert unknown.status_code == 404
    assert unknown.json()["id"] == "not_found"
    assert api.get("/").status_code == 404

    wrong = api.patch(ROUTERS, json={})
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, POST"
    assert wrong.json()["request_id"] == wrong.headers["x-request-id"]


def test_every_response_has_rate_limit_headers_and_request_id(api: httpx.Client) -> None:
    response = api.get(ROUTERS)
    for header in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "x-request-id"):
        assert header in response.headers
    assert int(response.headers["ratelimit-reset"]) >= int(time.time())


def test_rate_limit_429(emulator: Emulator, api: httpx.Client) -> None:
    # The headers report the hourly quota; the per-minute burst shows only as 429 + retry-after.
    emulator.configure(rate_limit_per_minute=3, rate_limit_per_hour=5)
    remaining = []
    for _ in range(3):
        response = api.get(ROUTERS)
        assert response.status_code == 200
        assert response.headers["ratelimit-limit"] == "5"
        remaining.append(response.headers["ratelimit-remaining"])
    assert remaining == ["4", "3", "2"]

    limited = api.get(ROUTERS)
    assert limited.status_code == 429
    assert limited.json()["id"] == "too_many_requests"
    assert limited.json()["message"] == "API rate limit exceeded."
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["ratelimit-remaining"] == "2"
    assert int(limited.headers["ratelimit-reset"]) >= int(time.time())
    assert emulator.stats["rate_limited"] == 1
    assert emulator.stats["statuses"]["429"] == 1

    # The window is per token, as DigitalOcean counts per OAuth token.
    other = httpx.get(f"{emulator.url}{ROUTERS}", headers={"Authorization": "Bearer other"})
    assert other.status_code == 200


# --- fault injection -----------------------------------------------------------------------


def test_fault_status_script(emulator: Emulator, api: httpx.Client) -> None:
    emulator.set_faults(
        FaultPlan(
            script=[
                {
                    "match": f"POST {ROUTERS}",
                    "action": "status",
                    "status": 503,
                    "retry_after": 1,
                    "times": 2,
                }
            ]
        )
    )
    first = api.post(ROUTERS, json=router_body())
    assert first.status_code == 503
    assert first.headers["retry-after"] == "1"
    assert first.json()["id"] == "service_unavailable"
    assert api.get(ROUTERS).status_code == 200  # does not match the step: untouched
    assert api.post(ROUTERS, json=router_body()).status_code == 503
    assert api.post(ROUTERS, json=router_body()).status_code == 200  # script used up
    stats = emulator.stats
    assert stats["faults"]["status"] == 2
    assert stats["creates_committed"] == 1


def test_fault_drop_before(emulator: Emulator, api: httpx.Client) -> None:
    emulator.set_faults(FaultPlan(script=[{"match": "POST *", "action": "drop_before"}]))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(ROUTERS, json=router_body())
    assert emulator.routers() == []
    assert api.post(ROUTERS, json=router_body()).status_code == 200
    assert emulator.stats["dropped"] == 1


@pytest.mark.parametrize(
    "emulator", [{"unique_names": True}, {"unique_names": False}], indirect=True
)
def test_fault_drop_after_commit_is_an_ambiguous_create(
    emulator: Emulator, api: httpx.Client
) -> None:
    emulator.set_faults(
        FaultPlan(script=[{"match": f"POST {ROUTERS}", "action": "drop_after_commit"}])
    )
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(ROUTERS, json=router_body())
    # The client saw no answer, but the router exists: a blind retry now conflicts, or, where
    # names need not be unique, quietly makes a second router of the same name.
    assert [r["name"] for r in emulator.routers()] == ["triage-router"]
    assert emulator.stats["creates_committed"] == 1
    retried = api.post(ROUTERS, json=router_body())
    if emulator.config["unique_names"]:
        assert retried.status_code == 409
        assert len(emulator.routers()) == 1
    else:
        assert retried.status_code == 200
        assert [r["name"] for r in emulator.routers()] == ["triage-router"] * 2
    assert emulator.stats["faults"]["drop_after_commit"] == 1


def test_fault_delay_times_out_the_client_after_the_change(
    emulator: Emulator, api: httpx.Client
) -> None:
    router = emulator.put_router(router_body())
    emulator.set_faults(
        FaultPlan(script=[{"match": "DELETE *", "action": "delay", "delay_ms": 300}])
    )
    with pytest.raises(httpx.ReadTimeout):
        api.delete(f"{ROUTERS}/{router['uuid']}", timeout=0.1)
    assert emulator.routers() == []  # processed first, answer held back
    assert api.get(ROUTERS).status_code == 200


def test_random_errors_are_seeded(emulator: Emulator, api: httpx.Client) -> None:
    def run() -> list[int]:
        emulator.set_faults(FaultPlan(error_rate=0.5, error_statuses=[500, 502], seed=7))
        return [api.get(ROUTERS).status_code for _ in range(12)]

    first, second = run(), run()
    assert first == second
    assert {200, 500, 502} >= set(first)
    assert 200 in first
    assert any(s != 200 for s in first)
    assert emulator.stats["faults"]["random_error"] == sum(s != 200 for s in first) * 2


@pytest.mark.parametrize(("retry_after", "header"), [(None, None), (2, "2"), (0.25, "0.25")])
def test_random_429_retry_after(
    emulator: Emulator, api: httpx.Client, retry_after: float | None, header: str | None
) -> None:
    emulator.set_faults(FaultPlan(error_rate=1.0, error_statuses=[429], retry_after=retry_after))
    response = api.get(ROUTERS)
    assert response.status_code == 429
    assert response.headers.get("retry-after") == header
    assert response.headers["ratelimit-remaining"] == "0"
    assert "ratelimit-reset" in response.headers


def test_latency_is_added(emulator: Emulator, api: httpx.Client) -> None:
    emulator.set_faults(FaultPlan(latency_ms=120))
    start = time.perf_counter()
    api.get(ROUTERS)
    assert time.perf_counter() - start >= 0.12


def test_fault_plan_validation() -> None:
    with pytest.raises(ValueError, match="fault action"):
        FaultPlan(script=[{"action": "explode"}])
    with pytest.raises(ValueError, match="error_rate"):
        FaultPlan(error_rate=2)
    with pytest.raises(ValueError, match="unknown fault plan field"):
        FaultPlan.from_dict({"error_rat": 0.1})
    with pytest.raises(ValueError, match="METHOD PATH"):
        FaultPlan(script=[{"match": "POST"}])


# --- control API -----------------------------------------------------------------------------


def test_control_api(emulator: Emulator, api: httpx.Client) -> None:
    control = f"{emulator.url}/_emulator"
    plan = {"script": [{"match": "GET *", "action": "status", "status": 500}]}
    set_plan = httpx.post(f"{control}/faults", json=plan)  # no auth needed
    assert set_plan.status_code == 200
    assert set_plan.json()["faults"]["script"][0]["status"] == 500
    assert api.get(ROUTERS).status_code == 500
    assert httpx.post(f"{control}/faults", json={"bogus": 1}).status_code == 400

    create(api, router_body())
    stats = httpx.get(f"{control}/stats").json()
    assert stats["creates_committed"] == 1
    assert stats["requests"][f"GET {ROUTERS}"] == 1
    assert stats["statuses"] == {"200": 1, "500": 1}

    config = httpx.put(f"{control}/config", json={"summary_list": True, "latency_ms": 0})
    assert config.json()["summary_list"] is True
    assert set(api.get(ROUTERS).json()["model_routers"][0]) == {"uuid", "name", "description"}
    assert httpx.put(f"{control}/config", json={"page_size_cap": 0}).status_code == 400
    assert httpx.put(f"{control}/config", json={"colour": "red"}).status_code == 400

    assert httpx.post(f"{control}/reset").json() == {"reset": True}
    assert emulator.routers() == []
    assert httpx.get(f"{control}/stats").json()["requests_total"] == 0
    assert httpx.get(f"{control}/nothing").status_code == 404


# --- persistence and lifecycle ----------------------------------------------------------------


def test_state_file_survives_restart(tmp_path: Path, api_token: str) -> None:
    state = tmp_path / "emulator-state.json"
    auth = {"Authorization": f"Bearer {api_token}"}
    with Emulator(state_file=state) as first:
        a = httpx.post(f"{first.url}{ROUTERS}", json=router_body("alpha"), headers=auth).json()
        httpx.post(f"{first.url}{ROUTERS}", json=router_body("beta"), headers=auth)
        uuid = a["model_router"]["uuid"]
        httpx.put(
            f"{first.url}{ROUTERS}/{uuid}", json=router_body("alpha-2", policies=[]), headers=auth
        )
        before = first.routers()
    assert json.loads(state.read_text())["routers"] == before
    # No temp files left; the lock file stays (removing it would race another process).
    assert sorted(p.name for p in tmp_path.iterdir()) == [state.name, f"{state.name}.lock"]

    with Emulator(state_file=state) as second:
        assert second.routers() == before
        listed = httpx.get(f"{second.url}{ROUTERS}", headers=auth).json()["model_routers"]
        assert [r["name"] for r in listed] == ["alpha-2", "beta"]
        httpx.delete(f"{second.url}{ROUTERS}/{uuid}", headers=auth)
    assert [r["name"] for r in Emulator(state_file=state).routers()] == ["beta"]


def test_corrupt_state_file_is_an_error(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{half")
    with pytest.raises(ValueError, match=r"state\.json:1:2: not valid JSON"):
        Emulator(state_file=state)


def test_stop_and_start_keeps_url_and_routers(api_token: str) -> None:
    emu = Emulator().start()
    try:
        url = emu.url
        emu.put_router(router_body())
        emu.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}{ROUTERS}")
        emu.start()
        assert emu.url == url
        response = httpx.get(f"{url}{ROUTERS}", headers={"Authorization": f"Bearer {api_token}"})
        assert response.json()["meta"]["total"] == 1
    finally:
        emu.stop()


# --- presets and models ------------------------------------------------------------------------


def test_task_presets(api: httpx.Client) -> None:
    page = api.get(f"{ROUTERS}/tasks/presets").json()
    assert page["meta"] == {"page": 1, "pages": 2, "total": 23}
    every = api.get(f"{ROUTERS}/tasks/presets", params={"per_page": 200}).json()["tasks"]
    slugs = {t["task_slug"] for t in every}
    assert {"summarization", "code-generation", "knowledge-base-customer-support"} <= slugs
    task = next(t for t in every if t["task_slug"] == "translation")
    assert {"name", "category", "description", "models", "tags", "selection_policy"} <= set(task)


def test_router_presets(api: httpx.Client) -> None:
    presets = api.get(f"{ROUTERS}/presets").json()["presets"]
    assert [p["slug"] for p in presets] == [
        "software-engineering", "general", "writing", "knowledge-base",
    ]  # fmt: skip
    engineering = presets[0]
    assert {"display_name", "short_description", "long_description"} <= set(engineering)
    policies = engineering["config"]["policies"]
    assert "code-generation" in [p["task_slug"] for p in policies]
    assert engineering["config"]["fallback_models"]


def test_models(api: httpx.Client) -> None:
    body = api.get("/v2/gen-ai/models", params={"per_page": 200}).json()
    models = {m["id"]: m for m in body["models"]}
    assert body["meta"]["total"] == len(models)
    nano = models["openai-gpt-5-nano"]
    assert nano["pricing"]["input_price_per_million"] == 0.05
    assert {"id", "name", "uuid", "provider", "lifecycle_status"} <= set(nano)
    assert "price_source" not in nano
    assert "pricing" not in models["openai-gpt-oss-120b"]


# --- inference route ------------------------------------------------------------------------------


def chat(client: httpx.Client, model: str, user: str, system: str | None = None) -> httpx.Response:
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": user})
    return client.post(CHAT, json={"model": model, "messages": messages, "max_tokens": 50})


@pytest.mark.parametrize(
    ("system", "user", "route", "model"),
    [
        (None, "Why was I charged twice on invoice INV-3382?", "classify_ticket",
         "openai-gpt-5-nano"),  # cheapest of the pool
        (None, "How do I reset my password?", "classify_ticket", "openai-gpt-5-nano"),
        ("Write a short, professional reply to this customer. Maximum 4 sentences.",
         "Subject: Invoice question\n\nWhy was I charged twice on invoice INV-3382?",
         "draft_customer_reply", "anthropic-claude-sonnet-4.6"),
        ("Score urgency from 1 (low) to 5 (critical) and note sentiment.",
         "Third time this week your dashboard has gone down during our standup.",
         "urgency_detection", "anthropic-claude-haiku-4.5"),
        ("Summarize this ticket for a human agent. Include the problem, what's been tried, "
         "and recommended next steps.",
         "Our team has been unable to access the dashboard since 09:14 UTC.",
         "escalate_complex_issue", "anthropic-claude-opus-4.7"),
        (None, "What's the weather like on Mars?", "fallback", "llama3.3-70b-instruct"),
    ],
)  # fmt: skip
def test_chat_routes_triage_prompts(
    emulator: Emulator, model_key: str, system: str | None, user: str, route: str, model: str
) -> None:
    emulator.put_router(router_body())
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": f"Bearer {model_key}"}
    ) as client:
        response = chat(client, "router:triage-router", user, system)
    assert response.status_code == 200, response.text
    assert response.headers["x-model-router-selected-route"] == route
    body = response.json()
    assert body["model"] == model
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": f"[emulator] routed to {route} via {model}",
    }
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_errors(emulator: Emulator, model_key: str) -> None:
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": f"Bearer {model_key}"}
    ) as client:
        unknown = chat(client, "router:nope", "hello")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "model_not_found"
        assert unknown.json()["error"]["type"] == "invalid_request_error"
        plain = chat(client, "openai-gpt-5-nano", "hello")
        assert plain.status_code == 400
        empty = client.post(CHAT, json={"model": "router:nope", "messages": []})
        assert empty.status_code == 400
    assert httpx.post(f"{emulator.url}{CHAT}", json={}).status_code == 401


def test_chat_preset_router_parts_content_and_bare_path(emulator: Emulator) -> None:
    auth = {"Authorization": "Bearer k"}
    body = {
        "model": "router:software-engineering",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Write unit tests for my parser"}],
            }
        ],
    }
    response = httpx.post(f"{emulator.url}/chat/completions", json=body, headers=auth)
    assert response.status_code == 200
    assert response.headers["x-model-router-selected-route"] == "test-writing-code-verification"


def test_chat_model_access_key() -> None:
    with Emulator(token="pat", model_access_key="sk-do-key") as emu:
        url = f"{emu.url}{CHAT}"
        body = {"model": "router:general", "messages": [{"role": "user", "content": "hi"}]}
        assert (
            httpx.post(url, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        for key in ("sk-do-key", "pat"):
            ok = httpx.post(url, json=body, headers={"Authorization": f"Bearer {key}"})
            assert ok.status_code == 200
            assert ok.headers["x-model-router-selected-route"] == "fallback"


def test_chat_scripted_fault_is_openai_shaped(emulator: Emulator) -> None:
    emulator.set_faults(FaultPlan(script=[{"match": f"POST {CHAT}", "status": 503}]))
    body = {"model": "router:general", "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(f"{emulator.url}{CHAT}", json=body, headers={"Authorization": "Bearer k"})
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "server_error"


# --- concurrency ---------------------------------------------------------------------------------


def test_concurrent_creates(emulator: Emulator, api: httpx.Client) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(
            pool.map(lambda i: api.post(ROUTERS, json=router_body(f"r-{i}")), range(20))
        )
    assert [r.status_code for r in responses] == [200] * 20
    stored = emulator.routers()
    assert len(stored) == 20
    assert len({r["uuid"] for r in stored}) == 20
    assert emulator.stats["creates_committed"] == 20


@pytest.mark.parametrize("emulator", [{"unique_names": True}], indirect=True)
def test_concurrent_same_name_creates_exactly_one(api: httpx.Client) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(lambda _: api.post(ROUTERS, json=router_body()).status_code, range(10))
        )
    assert sorted(statuses) == [200] + [409] * 9


# --- the matcher itself (pure) -------------------------------------------------------------------


def test_similarity_formula() -> None:
    assert routing.similarity(frozenset({"a", "b"}), frozenset({"b", "c"})) == pytest.approx(0.5)
    assert routing.similarity(frozenset(), frozenset({"a"})) == 0.0
    assert routing.terms("Charged twice on INV-3382 invoices!") == {"billing", "twic", "inv"}
    assert routing.stem("summarization") == routing.stem("summarize")


def test_select_route_ties_go_to_the_first_policy() -> None:
    router = {
        "fallback_models": ["fb"],
        "policies": [
            {"custom_task": {"name": "one", "description": "alpha beta"}, "models": ["m1"]},
            {"custom_task": {"name": "two", "description": "alpha beta"}, "models": ["m2"]},
        ],
    }
    route, model, score = routing.select_route(router, "alpha beta", {})
    assert (route, model) == ("one", "m1")
    assert score > routing.MATCH_THRESHOLD
    assert routing.select_route(router, "zzz", {})[:2] == ("fallback", "fb")
    with pytest.raises(ValueError, match="no fallback"):
        routing.select_route({"policies": []}, "zzz", {})


def test_cheapest_puts_unpriced_models_last() -> None:
    prices = {"cheap": 1.0, "dear": 9.0}
    assert routing.choose_model(["unpriced", "dear", "cheap"], "cheapest", prices) == "cheap"
    assert routing.choose_model(["unpriced", "other"], "cheapest", prices) == "unpriced"
    assert routing.choose_model(["dear", "cheap"], "fastest", prices) == "dear"
    assert routing.choose_model(["dear", "cheap"], "none", prices) == "dear"


def test_preset_slugs_match_on_catalog_descriptions() -> None:
    presets = catalog.preset_descriptions()
    router = {
        "fallback_models": ["llama3.3-70b-instruct"],
        "policies": [
            {"task_slug": "translation", "models": ["m-translate"]},
            {"task_slug": "summarization", "models": ["m-summary"]},
        ],
    }
    assert routing.select_route(router, "Translate this paragraph into French", presets)[:2] == (
        "translation",
        "m-translate",
    )
    assert routing.select_route(router, "Summarize the meeting notes", presets)[0] == (
        "summarization"
    )
