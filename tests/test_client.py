"""RouterClient against respx: pagination, retries, pacing, create de-duplication, error
mapping and token hygiene. No network, no real sleeping: time is a FakeTime."""

from __future__ import annotations

import email.utils
import importlib.metadata
import json
import logging
import math
import random
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import respx

from fakes import FakeTime, fake_clock_options
from routerctl import client as client_module
from routerctl.client import (
    DEFAULT_API_URL,
    USER_AGENT,
    ClientStats,
    RetryPolicy,
    RouterClient,
    resolve_api_url,
    resolve_token,
)
from routerctl.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiResponseError,
    ApiStatusError,
    ConfigError,
)

BASE = "https://api.test"
ROUTERS = "/v2/gen-ai/models/routers"


@pytest.fixture
def api() -> respx.MockRouter:
    return respx.MockRouter(base_url=BASE, assert_all_called=False)


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
            "retry": RetryPolicy(max_attempts=4, max_total_seconds=120.0),
            **fake_clock_options(api.handler, fake_time, events),
        }
        options.update(overrides)
        made.append(RouterClient(**options))
        return made[-1]

    yield make
    for c in made:
        c.close()


def router_json(uuid: str, name: str, *, config: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"uuid": uuid, "name": name, "description": f"{name} router"}
    if config:
        data["config"] = {
            "fallback_models": ["llama3.3-70b-instruct"],
            "policies": [
                {
                    "task_slug": "summarization",
                    "models": ["openai-gpt-oss-120b"],
                    "selection_policy": {"prefer": "fastest"},
                }
            ],
        }
    return data


def one(uuid: str, name: str) -> httpx.Response:
    return httpx.Response(200, json={"model_router": router_json(uuid, name)})


def listing(items: list[dict[str, Any]], **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"model_routers": items, **extra})


def serve_pages(
    api: respx.MockRouter, path: str, pages: dict[int, dict[str, Any]]
) -> list[httpx.Request]:
    """Serve page N of a list from `pages`; return the requests as they arrive."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[int(request.url.params["page"])])

    api.get(path).mock(side_effect=handler)
    return seen


def page_numbers(requests: list[httpx.Request]) -> list[tuple[str, str, str]]:
    return [(r.url.host, r.url.params["page"], r.url.params["per_page"]) for r in requests]


# --- resolve_token / resolve_api_url -----------------------------------------------------


def test_resolve_token_file_wins_and_is_stripped(tmp_path: Any) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("  dop_v1_fromfile\n")
    env = {"DIGITALOCEAN_TOKEN": "dop_v1_env", "DIGITALOCEAN_ACCESS_TOKEN": "dop_v1_access"}
    assert resolve_token(token_file=str(token_file), environ=env) == "dop_v1_fromfile"


def test_resolve_token_prefers_digitalocean_token_over_access_token() -> None:
    env = {"DIGITALOCEAN_TOKEN": "dop_v1_env", "DIGITALOCEAN_ACCESS_TOKEN": "dop_v1_access"}
    assert resolve_token(environ=env) == "dop_v1_env"


def test_resolve_token_empty_variable_falls_through_to_access_token() -> None:
    env = {"DIGITALOCEAN_TOKEN": "  ", "DIGITALOCEAN_ACCESS_TOKEN": "dop_v1_access"}
    assert resolve_token(environ=env) == "dop_v1_access"


def test_resolve_token_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_process")
    assert resolve_token() == "dop_v1_process"


def test_resolve_token_none_found_names_every_option() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_token(environ={})
    assert str(caught.value) == (
        "no DigitalOcean API token: pass --token-file FILE, or set DIGITALOCEAN_TOKEN or "
        "DIGITALOCEAN_ACCESS_TOKEN"
    )


def test_resolve_token_empty_file_is_named(tmp_path: Any) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("\n  \n")
    with pytest.raises(ConfigError, match=r"^token file .*token is empty$"):
        resolve_token(token_file=str(token_file), environ={"DIGITALOCEAN_TOKEN": "dop_v1_x"})


def test_resolve_token_unreadable_file_is_named(tmp_path: Any) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as caught:
        resolve_token(token_file=str(missing))
    assert str(caught.value) == f"cannot read token file {missing}: No such file or directory"


def test_resolve_token_with_a_line_break_is_refused_without_echoing_it(
    tmp_path: Any, api_token: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"{api_token}\nsecond line\n")
    with pytest.raises(ConfigError) as caught:
        resolve_token(token_file=str(token_file))
    assert api_token not in str(caught.value)
    assert "contains spaces, line breaks or non-ASCII characters" in str(caught.value)


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        (
            "http://127.0.0.1:8080/",
            {"DIGITALOCEAN_API_URL": "https://env"},
            "http://127.0.0.1:8080",
        ),
        (None, {"DIGITALOCEAN_API_URL": "https://proxy.example/do//"}, "https://proxy.example/do"),
        (None, {}, DEFAULT_API_URL),
        ("", {"DIGITALOCEAN_API_URL": ""}, "https://api.digitalocean.com"),
    ],
)
def test_resolve_api_url_order(flag: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_api_url(flag, env) == expected


@pytest.mark.parametrize("bad", ["api.digitalocean.com", "ftp://x", "https://u:p@host"])
def test_resolve_api_url_rejects_unusable_urls(bad: str) -> None:
    with pytest.raises(ConfigError):
        resolve_api_url(bad, {})


# --- request shape ---------------------------------------------------------------------------


def test_requests_carry_auth_user_agent_json_headers_and_timeout(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], api_token: str
) -> None:
    get = api.get(f"{ROUTERS}/u1").mock(return_value=one("u1", "alpha"))
    post = api.post(ROUTERS).mock(return_value=one("u2", "beta"))
    client = make_client(timeout=7.0)
    client.get_router("u1")
    payload = {"name": "beta", "description": "", "policies": [], "fallback_models": ["m"]}
    created = client.create_router(payload)

    for route in (get, post):
        request = route.calls.last.request
        assert request.headers["authorization"] == f"Bearer {api_token}"
        assert request.headers["user-agent"] == USER_AGENT
        assert request.headers["accept"] == "application/json"
        assert request.extensions["timeout"] == {
            "connect": 7.0,
            "read": 7.0,
            "write": 7.0,
            "pool": 7.0,
        }
    sent = post.calls.last.request
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == payload
    assert created.uuid == "u2"
    assert created.config is not None


def test_user_agent_names_routerctl_and_falls_back_without_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert USER_AGENT.startswith("routerctl/")

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert client_module._user_agent() == "routerctl/0.0.0+unknown"


# --- pagination ------------------------------------------------------------------------------


def test_pagination_follows_next_link_page_only_against_our_base_url(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    # The next link names another host: only its page number may be used, never the host.
    seen = serve_pages(
        api,
        ROUTERS,
        {
            1: {
                "model_routers": [router_json("u1", "a")],
                "links": {"pages": {"next": "https://evil.example/v2/x?page=2&per_page=200"}},
            },
            2: {"model_routers": [router_json("u2", "b")], "links": {"pages": {}}},
        },
    )
    routers = make_client().list_router_summaries()
    assert [r.uuid for r in routers] == ["u1", "u2"]
    assert page_numbers(seen) == [("api.test", "1", "200"), ("api.test", "2", "200")]


def test_pagination_uses_meta_pages_without_links(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    seen = serve_pages(
        api,
        ROUTERS,
        {
            n: {"model_routers": [router_json(f"u{n}", f"r{n}")], "meta": {"page": n, "pages": 3}}
            for n in (1, 2, 3)
        },
    )
    assert [r.uuid for r in make_client().list_router_summaries()] == ["u1", "u2", "u3"]
    assert [p for _, p, _ in page_numbers(seen)] == ["1", "2", "3"]


@pytest.mark.parametrize("prev_key", ["previous", "prev"])
def test_pagination_accepts_previous_or_prev(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], prev_key: str
) -> None:
    url = f"{BASE}{ROUTERS}"
    serve_pages(
        api,
        ROUTERS,
        {
            1: {
                "model_routers": [router_json("u1", "a")],
                "links": {"pages": {"next": f"{url}?page=2", "last": f"{url}?page=3"}},
            },
            2: {
                "model_routers": [router_json("u2", "b")],
                "links": {
                    "pages": {
                        "first": f"{url}?page=1",
                        prev_key: f"{url}?page=1",
                        "next": f"{url}?page=3",
                        "last": f"{url}?page=3",
                    }
                },
            },
            3: {
                "model_routers": [router_json("u3", "c")],
                "links": {"pages": {"first": f"{url}?page=1", prev_key: f"{url}?page=2"}},
            },
        },
    )
    assert [r.uuid for r in make_client().list_router_summaries()] == ["u1", "u2", "u3"]


def test_pagination_copes_with_server_capping_page_size_at_20(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    everything = [router_json(f"u{i:02}", f"r{i:02}") for i in range(45)]
    url = f"{BASE}{ROUTERS}"
    pages = {}
    for n in (1, 2, 3):
        links = {"pages": {"next": f"{url}?page={n + 1}&per_page=20"}} if n < 3 else {}
        pages[n] = {
            "model_routers": everything[(n - 1) * 20 : n * 20],
            "links": links,
            "meta": {"page": n, "pages": 3, "total": 45},
        }
    seen = serve_pages(api, ROUTERS, pages)
    assert len(make_client().list_router_summaries()) == 45
    assert page_numbers(seen) == [("api.test", str(n), "200") for n in (1, 2, 3)]


def test_pagination_continues_while_fewer_items_than_meta_total(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    # The server computed pages=1 for per_page=200 but only sent 20 per page.
    everything = [router_json(f"u{i:02}", f"r{i:02}") for i in range(45)]
    seen = serve_pages(
        api,
        ROUTERS,
        {
            n: {
                "model_routers": everything[(n - 1) * 20 : n * 20],
                "meta": {"page": str(n), "pages": "1", "total": "45"},  # int64 as strings
            }
            for n in (1, 2, 3)
        },
    )
    assert len(make_client().list_router_summaries()) == 45
    assert len(seen) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"model_routers": [], "links": {}, "meta": {"total": 0}},
        {"model_routers": None},
        {"meta": {"total": 0}},  # gRPC-gateway omits empty lists
        {},
    ],
)
def test_pagination_empty_list(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], body: dict[str, Any]
) -> None:
    route = api.get(ROUTERS).mock(return_value=httpx.Response(200, json=body))
    assert make_client().list_routers() == []
    assert route.call_count == 1


def test_pagination_loop_is_an_error(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    url = f"{BASE}{ROUTERS}"
    serve_pages(
        api,
        ROUTERS,
        {
            1: {"model_routers": [], "links": {"pages": {"next": f"{url}?page=2"}}},
            2: {"model_routers": [], "links": {"pages": {"next": f"{url}?page=1"}}},
        },
    )
    with pytest.raises(ApiResponseError) as caught:
        make_client().list_router_summaries()
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers?page=2 → 200: pagination loops: the next page (1) was "
        "already fetched"
    )


def test_pagination_server_ignoring_page_is_caught_by_the_loop_guard(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    body = {"model_routers": [router_json("u1", "a")], "meta": {"page": 1, "pages": 2}}
    api.get(ROUTERS).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ApiResponseError, match=r"\?page=2 → 200: pagination loops"):
        make_client().list_router_summaries()


def test_pagination_stops_after_max_pages(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page"])
        return listing([], links={"pages": {"next": f"{BASE}{ROUTERS}?page={n + 1}"}})

    route = api.get(ROUTERS).mock(side_effect=endless)
    client = make_client()
    client.max_pages = 3
    with pytest.raises(ApiResponseError) as caught:
        client.list_router_summaries()
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers?page=3 → 200: more than 3 pages; stopping "
        "(is pagination looping?)"
    )
    assert route.call_count == 3
    assert RouterClient.max_pages == 1_000


def test_pagination_next_link_without_page_number_is_an_error(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(ROUTERS).mock(return_value=listing([], links={"pages": {"next": f"{BASE}/x"}}))
    with pytest.raises(ApiResponseError, match=r"links\.pages\.next has no page number$"):
        make_client().list_router_summaries()


def test_pagination_uses_last_link_when_next_is_missing(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    last = {"pages": {"last": f"{BASE}{ROUTERS}?page=2"}}
    seen = serve_pages(
        api,
        ROUTERS,
        {
            1: {"model_routers": [router_json("u1", "a")], "links": last},
            2: {"model_routers": [router_json("u2", "b")], "links": last},
        },
    )
    assert [r.uuid for r in make_client().list_router_summaries()] == ["u1", "u2"]
    assert len(seen) == 2


def test_router_shifting_across_a_page_boundary_is_listed_once(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    serve_pages(
        api,
        ROUTERS,
        {
            1: {
                "model_routers": [router_json("u1", "a"), router_json("u2", "b")],
                "meta": {"pages": 2},
            },
            2: {
                "model_routers": [router_json("u2", "b"), router_json("u3", "c")],
                "meta": {"pages": 2},
            },
        },
    )
    assert [r.uuid for r in make_client().list_router_summaries()] == ["u1", "u2", "u3"]


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("list_task_presets", "/v2/gen-ai/models/routers/tasks/presets", "tasks"),
        ("list_router_presets", "/v2/gen-ai/models/routers/presets", "presets"),
        ("list_models", "/v2/gen-ai/models", "models"),
    ],
)
def test_catalog_lists_are_paginated_with_their_envelope(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    method: str,
    path: str,
    key: str,
) -> None:
    seen = serve_pages(
        api,
        path,
        {
            1: {
                key: [{"id": "a", "pricing": {"input_price_per_million": 1}}],
                "meta": {"pages": 2},
            },
            2: {key: [{"id": "b"}], "meta": {"pages": 2}},
        },
    )
    items = getattr(make_client(), method)()
    assert items == [{"id": "a", "pricing": {"input_price_per_million": 1}}, {"id": "b"}]
    assert [p for _, p, _ in page_numbers(seen)] == ["1", "2"]


# --- list_routers / find_router_by_name ------------------------------------------------------


def test_list_routers_gets_only_routers_lacking_config_and_sorts_by_name(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(ROUTERS).mock(
        return_value=listing(
            [
                router_json("u3", "zeta"),
                router_json("u1", "beta", config=False),
                router_json("u2", "alpha", config=False),
            ]
        )
    )
    get1 = api.get(f"{ROUTERS}/u1").mock(return_value=one("u1", "beta"))
    get2 = api.get(f"{ROUTERS}/u2").mock(return_value=one("u2", "alpha"))
    get3 = api.get(f"{ROUTERS}/u3").mock(return_value=one("u3", "zeta"))
    routers = make_client().list_routers()
    assert [r.name for r in routers] == ["alpha", "beta", "zeta"]
    assert all(r.has_config for r in routers)
    assert (get1.call_count, get2.call_count, get3.call_count) == (1, 1, 0)


def test_list_routers_fetches_configs_concurrently_up_to_parallelism(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    summaries = [router_json(f"u{i}", f"r{i}", config=False) for i in range(6)]
    api.get(ROUTERS).mock(return_value=listing(summaries))
    # Three GETs must be in flight at once to pass the barrier; a serial client would time out.
    barrier = threading.Barrier(3, timeout=5)
    lock = threading.Lock()
    in_flight = [0, 0]  # current, max

    def get(request: httpx.Request, uuid: str) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        barrier.wait()
        with lock:
            in_flight[0] -= 1
        return one(uuid, f"r{uuid[1:]}")

    route = api.get(url__regex=rf"{ROUTERS}/(?P<uuid>u\d)$").mock(side_effect=get)
    routers = make_client(parallelism=3).list_routers()
    assert len(routers) == 6
    assert route.call_count == 6
    assert in_flight[1] == 3


def test_pages_after_the_first_are_fetched_concurrently_when_meta_pages_is_known(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    # Pages 2..4 must all be in flight at once to pass the barrier.
    barrier = threading.Barrier(3, timeout=5)

    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        if number > 1:
            barrier.wait()
        body = {
            "model_routers": [router_json(f"u{number}", f"r{number}")],
            "links": {},
            "meta": {"page": number, "pages": 4, "total": 4},
        }
        return httpx.Response(200, json=body)

    route = api.get(ROUTERS).mock(side_effect=page)
    routers = make_client(parallelism=3).list_routers()
    assert [r.name for r in routers] == ["r1", "r2", "r3", "r4"]
    assert sorted(int(c.request.url.params["page"]) for c in route.calls) == [1, 2, 3, 4]


def test_list_routers_skips_a_router_deleted_while_listing(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], events: list[str]
) -> None:
    api.get(ROUTERS).mock(
        return_value=listing([router_json("u1", "a", config=False), router_json("u2", "b")])
    )
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(404, json={"id": "not_found", "message": "gone"})
    )
    assert [r.uuid for r in make_client().list_routers()] == ["u2"]
    assert events == ["router u1 was deleted while routerctl was reading it; skipped"]


def test_list_routers_raises_the_first_failed_get(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(ROUTERS).mock(return_value=listing([router_json("u1", "a", config=False)]))
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(403, json={"id": "forbidden", "message": "no"})
    )
    with pytest.raises(ApiAuthError, match=r"^GET /v2/gen-ai/models/routers/u1 → 403"):
        make_client().list_routers()


def test_find_router_by_name_uses_list_config_when_present(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(ROUTERS).mock(return_value=listing([router_json("u1", "a"), router_json("u2", "b")]))
    found = make_client().find_router_by_name("b")
    assert found is not None
    assert found.uuid == "u2"
    assert found.has_config


def test_find_router_by_name_gets_config_for_a_summary(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(ROUTERS).mock(return_value=listing([router_json("u1", "a", config=False)]))
    get = api.get(f"{ROUTERS}/u1").mock(return_value=one("u1", "a"))
    found = make_client().find_router_by_name("a")
    assert found is not None
    assert found.has_config
    assert get.call_count == 1


def test_find_router_by_name_absent_is_none(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(ROUTERS).mock(return_value=listing([router_json("u1", "a")]))
    assert make_client().find_router_by_name("A") is None


# --- update / delete -----------------------------------------------------------------------


def test_update_router_puts_the_payload(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    route = api.put(f"{ROUTERS}/u1").mock(return_value=one("u1", "renamed"))
    payload = {"name": "renamed", "description": "x", "policies": [], "fallback_models": ["m"]}
    assert make_client().update_router("u1", payload).name == "renamed"
    assert json.loads(route.calls.last.request.content) == payload


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"uuid": "u1"}),
        httpx.Response(200),
        httpx.Response(200, content=b"  \n"),
        httpx.Response(204),
    ],
)
def test_delete_router_success_bodies(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], response: httpx.Response
) -> None:
    route = api.delete(f"{ROUTERS}/u1").mock(return_value=response)
    make_client().delete_router("u1")
    assert route.call_count == 1


def test_delete_router_404_on_first_attempt_is_an_error(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.delete(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(404, json={"id": "not_found", "message": "no such router"})
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().delete_router("u1")
    assert caught.value.status == 404


def test_delete_router_404_after_ambiguous_attempt_is_success(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], events: list[str]
) -> None:
    route = api.delete(f"{ROUTERS}/u1").mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.Response(404, json={"id": "not_found", "message": "x"}),
        ]
    )
    make_client().delete_router("u1")
    assert route.call_count == 2
    assert events[-1] == (
        "DELETE /v2/gen-ai/models/routers/u1: 404 on retry; the earlier attempt took effect"
    )


def test_delete_router_reporting_another_uuid_is_an_error(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.delete(f"{ROUTERS}/u1").mock(return_value=httpx.Response(200, json={"uuid": "u9"}))
    with pytest.raises(ApiResponseError, match="reports deleting 'u9'"):
        make_client().delete_router("u1")


def test_delete_router_answered_by_an_error_body_is_an_error(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.delete(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(200, json={"id": "forbidden", "message": "read-only token"})
    )
    with pytest.raises(ApiResponseError) as caught:
        make_client().delete_router("u1")
    assert str(caught.value) == (
        "DELETE /v2/gen-ai/models/routers/u1 → 200: response is an error (forbidden: "
        "read-only token) instead of the deleted router's uuid"
    )


def test_put_is_retried_on_503(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    route = api.put(f"{ROUTERS}/u1").mock(side_effect=[httpx.Response(503), one("u1", "a")])
    make_client().update_router("u1", {"name": "a"})
    assert route.call_count == 2


# --- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_status_is_retried_with_backoff(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    events: list[str],
    status: int,
) -> None:
    route = api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(status, json={"id": "e", "message": "m"}), one("u1", "a")]
    )
    client = make_client()
    assert client.get_router("u1").uuid == "u1"
    assert route.call_count == 2
    assert fake_time.sleeps == [0.5]
    assert events == [
        f"GET /v2/gen-ai/models/routers/u1: {status} e: m; retrying in 0.5 s (attempt 2 of 4)"
    ]
    stats = client.stats.snapshot()
    assert stats["retries"] == 1
    assert stats["throttled_429"] == (1 if status == 429 else 0)
    assert stats[f"status.{status}"] == 1


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow read"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("server closed the connection"),
        httpx.PoolTimeout("pool"),
    ],
)
def test_connection_errors_are_retried(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    error: Exception,
) -> None:
    route = api.get(f"{ROUTERS}/u1").mock(side_effect=[error, one("u1", "a")])
    client = make_client()
    assert client.get_router("u1").uuid == "u1"
    assert route.call_count == 2
    assert fake_time.sleeps == [0.5]
    assert client.stats.snapshot()["connection_errors"] == 1


def test_connection_broken_mid_body_is_retried(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    def broken() -> Iterator[bytes]:
        yield b'{"model_router": '
        raise httpx.ReadError("connection reset by peer")

    route = api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(200, content=broken()), one("u1", "a")]
    )
    assert make_client().get_router("u1").uuid == "u1"
    assert route.call_count == 2


def test_non_retryable_transport_error_is_final(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    route = api.get(f"{ROUTERS}/u1").mock(side_effect=httpx.UnsupportedProtocol("no scheme"))
    with pytest.raises(ApiConnectionError) as caught:
        make_client().get_router("u1")
    assert route.call_count == 1
    assert str(caught.value) == "GET /v2/gen-ai/models/routers/u1: UnsupportedProtocol: no scheme"


def test_backoff_doubles_up_to_max_delay(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    api.get(f"{ROUTERS}/u1").mock(side_effect=[httpx.Response(502)] * 5 + [one("u1", "a")])
    client = make_client(retry=RetryPolicy(max_attempts=6, base_delay=0.5, max_delay=3.0))
    client.get_router("u1")
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_is_full_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    rng = random.Random(7)
    delays = [policy.backoff(4, rng) for _ in range(200)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    assert min(delays) < 1.0 < 7.0 < max(delays)


def test_retry_after_seconds_is_honoured(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(429, headers={"retry-after": "7"}), one("u1", "a")]
    )
    make_client().get_router("u1")
    assert fake_time.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    when = email.utils.formatdate(fake_time.wall() + 12, usegmt=True)
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(503, headers={"retry-after": when}), one("u1", "a")]
    )
    make_client().get_router("u1")
    assert fake_time.sleeps == [12.0]


def test_429_without_retry_after_waits_for_ratelimit_reset(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    headers = {
        "ratelimit-limit": "250",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(int(fake_time.wall()) + 20),
    }
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(429, headers=headers), one("u1", "a")]
    )
    make_client().get_router("u1")
    assert fake_time.sleeps == [20.5]  # until the reset, plus half a second for its rounding


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ratelimit-remaining": "0", "ratelimit-reset": "20"}, [20.5]),  # delta-seconds form
        ({"retry-after": "soon"}, [0.5]),  # unreadable: backoff
        ({"retry-after": "inf"}, [0.5]),
        ({"ratelimit-remaining": "5", "ratelimit-reset": "9999999999"}, [0.5]),  # budget left
    ],
)
def test_429_delay_variants(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    headers: dict[str, str],
    expected: list[float],
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(429, headers=headers), one("u1", "a")]
    )
    make_client().get_router("u1")
    assert fake_time.sleeps == expected


def test_retry_after_on_one_request_holds_back_the_next(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    api.get(f"{ROUTERS}/u1").mock(return_value=httpx.Response(429, headers={"retry-after": "5"}))
    api.get(f"{ROUTERS}/u2").mock(return_value=one("u2", "b"))
    client = make_client(retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ApiStatusError):
        client.get_router("u1")
    client.get_router("u2")
    assert fake_time.sleeps == [5.0]


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_is_final(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], status: int
) -> None:
    route = api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(status, json={"id": "bad", "message": "nope"})
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().get_router("u1")
    assert route.call_count == 1
    assert str(caught.value) == f"GET /v2/gen-ai/models/routers/u1 → {status} bad: nope"


def test_retries_stop_at_max_attempts_with_the_last_status_error(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    body = {"id": "server_error", "message": "try later", "request_id": "req-9"}
    route = api.get(f"{ROUTERS}/u1").mock(return_value=httpx.Response(503, json=body))
    with pytest.raises(ApiStatusError) as caught:
        make_client(retry=RetryPolicy(max_attempts=3)).get_router("u1")
    assert route.call_count == 3
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 503 server_error: try later (request id req-9). "
        "Gave up after 3 attempts in 1.5 s"
    )
    assert caught.value.status == 503
    assert caught.value.request_id == "req-9"


def test_retries_stop_at_max_attempts_with_a_connection_error(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(f"{ROUTERS}/u1").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ApiConnectionError) as caught:
        make_client(retry=RetryPolicy(max_attempts=3)).get_router("u1")
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1: no response within 30 s; "
        "gave up after 3 attempts in 1.5 s"
    )


def test_retries_stop_when_the_time_budget_would_be_exceeded(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    route = api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(503, headers={"retry-after": "100"})
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client(retry=RetryPolicy(max_attempts=6, max_total_seconds=120)).get_router("u1")
    assert route.call_count == 2
    assert fake_time.sleeps == [100.0]
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 503: Service Unavailable. Gave up after 2 attempts: "
        "the API asks to wait 100 s more, beyond the 120 s retry budget"
    )


def test_backoff_stops_when_the_time_budget_would_be_exceeded(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    api.get(f"{ROUTERS}/u1").mock(return_value=httpx.Response(500))
    policy = RetryPolicy(max_attempts=10, max_total_seconds=3.0, base_delay=1.0)
    with pytest.raises(ApiStatusError) as caught:
        make_client(retry=policy).get_router("u1")
    assert fake_time.sleeps == [1.0, 2.0]
    assert str(caught.value).endswith(
        "Gave up after 3 attempts: waiting 4.0 s more after 3.0 s would exceed the 3 s retry budget"
    )


# --- pacing ----------------------------------------------------------------------------------


class BudgetApi:
    """The API's rate limit in miniature: `limit` requests per `window` seconds, reported in
    ratelimit-* headers (reset as an epoch, rounded up), 429 + Retry-After once exceeded.
    `rolling=True` is DigitalOcean's (and the emulator's) rule: each request counts for
    `window` seconds and the reset is when the oldest one leaves; otherwise the window is
    fixed and refills all at once."""

    def __init__(
        self, fake_time: FakeTime, limit: int, window: float, *, rolling: bool = False
    ) -> None:
        self.time = fake_time
        self.limit = limit
        self.window = window
        self.rolling = rolling
        self.admitted: list[float] = []
        self.window_end = 0.0
        self.throttled = 0
        self._lock = threading.Lock()

    def respond(self, body: dict[str, Any]) -> httpx.Response:
        with self._lock:
            now = self.time.wall()
            if self.rolling:
                self.admitted = [t for t in self.admitted if t > now - self.window]
                reset = self.admitted[0] + self.window if self.admitted else now
            else:
                if now >= self.window_end:
                    self.window_end = now + self.window
                    self.admitted = []
                reset = self.window_end
            headers = {"ratelimit-limit": str(self.limit)}
            if len(self.admitted) >= self.limit:
                self.throttled += 1
                headers["ratelimit-remaining"] = "0"
                headers["ratelimit-reset"] = str(math.ceil(reset))
                headers["retry-after"] = str(max(1, math.ceil(reset - now)))
                error = {"id": "too_many_requests", "message": "API rate limit exceeded."}
                return httpx.Response(429, headers=headers, json=error)
            self.admitted.append(now)
            if self.rolling:
                reset = self.admitted[0] + self.window
            headers["ratelimit-remaining"] = str(self.limit - len(self.admitted))
            headers["ratelimit-reset"] = str(math.ceil(reset))
            return httpx.Response(200, headers=headers, json=body)


def test_pacing_spreads_the_last_requests_over_the_window(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    events: list[str],
) -> None:
    budget = BudgetApi(fake_time, limit=4, window=30)
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=lambda request: budget.respond({"model_router": router_json("u1", "a")})
    )
    client = make_client(parallelism=1)  # pacing starts at 1 + 2 requests left
    for _ in range(5):
        client.get_router("u1")
    # 3 requests left after the first: one every 30/3 s, then wait for the reset (+0.5 s).
    assert fake_time.sleeps == [10.0, 10.0, 10.5]
    assert budget.throttled == 0
    assert client.stats.snapshot()["pacing_waits"] == 3
    assert events[0] == (
        "pacing: 2 of 4 requests left until the rate limit resets in 30.0 s; "
        "waiting 10.0 s before GET /v2/gen-ai/models/routers/u1"
    )


def test_no_pacing_while_the_budget_is_ample(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], fake_time: FakeTime
) -> None:
    # DigitalOcean's quota: 5,000 an hour (so a burst limit of 250 a minute, half of it at once).
    budget = BudgetApi(fake_time, limit=5000, window=3600, rolling=True)
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=lambda request: budget.respond({"model_router": router_json("u1", "a")})
    )
    client = make_client()
    for _ in range(50):
        client.get_router("u1")
    assert fake_time.sleeps == []


@pytest.mark.parametrize("rolling", [False, True])
def test_pacing_keeps_a_long_sequential_run_under_the_limit(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    rolling: bool,
) -> None:
    budget = BudgetApi(fake_time, limit=10, window=60, rolling=rolling)
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=lambda request: budget.respond({"model_router": router_json("u1", "a")})
    )
    client = make_client(parallelism=2)
    for _ in range(45):
        client.get_router("u1")
    assert budget.throttled == 0
    assert client.stats.throttled_429 == 0
    assert fake_time.now - 1000.0 >= 4 * 60


@pytest.mark.parametrize("rolling", [False, True])
def test_pacing_keeps_parallel_gets_under_the_limit(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    fake_time: FakeTime,
    rolling: bool,
) -> None:
    budget = BudgetApi(fake_time, limit=10, window=60, rolling=rolling)
    summaries = [router_json(f"u{i:02}", f"r{i:02}", config=False) for i in range(40)]
    api.get(ROUTERS).mock(side_effect=lambda request: budget.respond({"model_routers": summaries}))

    def get(request: httpx.Request, uuid: str) -> httpx.Response:
        return budget.respond({"model_router": router_json(uuid, f"r{uuid[1:]}")})

    api.get(url__regex=rf"{ROUTERS}/(?P<uuid>u\d+)$").mock(side_effect=get)
    client = make_client(parallelism=4)
    assert len(client.list_routers()) == 40
    assert budget.throttled == 0


# --- POST: never a duplicate create ----------------------------------------------------------


PAYLOAD = {"name": "triage", "description": "", "policies": [], "fallback_models": ["m"]}


def test_create_timeout_then_found_by_name_returns_it_without_a_second_post(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], events: list[str]
) -> None:
    post = api.post(ROUTERS).mock(side_effect=httpx.ReadTimeout("slow"))
    listed = api.get(ROUTERS).mock(
        return_value=listing([router_json("u7", "triage", config=False)])
    )
    get = api.get(f"{ROUTERS}/u7").mock(return_value=one("u7", "triage"))
    created = make_client().create_router(PAYLOAD)
    assert created.uuid == "u7"
    assert created.has_config
    assert (post.call_count, listed.call_count, get.call_count) == (1, 1, 1)
    assert events == [
        "POST /v2/gen-ai/models/routers: no response within 30 s; checking whether the router "
        "was created before sending it again",
        "POST /v2/gen-ai/models/routers: router 'triage' exists; not creating it again",
    ]


def test_create_502_then_not_found_posts_again(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], monkeypatch: Any
) -> None:
    monkeypatch.setenv("ROUTERCTL_LIST_SETTLE", "0")  # look once
    post = api.post(ROUTERS).mock(side_effect=[httpx.Response(502), one("u8", "triage")])
    listed = api.get(ROUTERS).mock(return_value=listing([router_json("u1", "other")]))
    created = make_client().create_router(PAYLOAD)
    assert created.uuid == "u8"
    assert (post.call_count, listed.call_count) == (2, 1)


def test_a_lost_create_waits_for_a_lagging_list_instead_of_posting_again(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], events: list[str]
) -> None:
    post = api.post(ROUTERS).mock(side_effect=[httpx.Response(502), one("u9", "triage")])
    late = router_json("u8", "triage")
    listed = api.get(ROUTERS).mock(
        side_effect=[listing([]), listing([]), listing([late]), listing([late])]
    )
    created = make_client().create_router(PAYLOAD)
    assert created.uuid == "u8"  # the first POST's router, found once the list caught up
    assert (post.call_count, listed.call_count) == (1, 3)
    waits = [e for e in events if "the list may lag" in e]
    assert len(waits) == 2  # every wait is said (shown with --debug)
    assert "of at most 10 s" in waits[0]


def test_a_lost_create_not_listed_within_the_window_is_sent_again(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], monkeypatch: Any
) -> None:
    monkeypatch.setenv("ROUTERCTL_LIST_SETTLE", "2")
    post = api.post(ROUTERS).mock(side_effect=[httpx.Response(502), one("u8", "triage")])
    listed = api.get(ROUTERS).mock(return_value=listing([]))
    client = make_client()
    assert client.create_router(PAYLOAD).uuid == "u8"
    # 0.25 + 0.5 + 1 + 0.25 s of (fake) waiting: five looks, then the POST again
    assert (post.call_count, listed.call_count) == (2, 5)


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"retry-after": "1"}),
    ],
)
def test_create_not_sent_or_not_processed_is_retried_without_lookup(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], first: Any
) -> None:
    post = api.post(ROUTERS).mock(side_effect=[first, one("u8", "triage")])
    listed = api.get(ROUTERS).mock(return_value=listing([]))
    assert make_client().create_router(PAYLOAD).uuid == "u8"
    assert (post.call_count, listed.call_count) == (2, 0)


def test_create_4xx_is_final(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    post = api.post(ROUTERS).mock(
        return_value=httpx.Response(
            422, json={"id": "invalid_argument", "message": "policy 0 task is required"}
        )
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().create_router(PAYLOAD)
    assert post.call_count == 1
    assert str(caught.value) == (
        "POST /v2/gen-ai/models/routers → 422 invalid_argument: policy 0 task is required"
    )


def test_create_conflict_after_ambiguous_attempt_looks_up_again(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], monkeypatch: Any
) -> None:
    monkeypatch.setenv("ROUTERCTL_LIST_SETTLE", "0")  # one look per attempt
    # The lookup right after the timeout misses the router (not yet visible); the retry then
    # hits "already exists": the first POST did work, so that router is the result.
    post = api.post(ROUTERS).mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.Response(409, json={"id": "conflict", "message": "name taken"}),
        ]
    )
    api.get(ROUTERS).mock(side_effect=[listing([]), listing([router_json("u7", "triage")])])
    assert make_client().create_router(PAYLOAD).uuid == "u7"
    assert post.call_count == 2


def test_create_ambiguous_failure_with_failing_lookup_says_outcome_unknown(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.post(ROUTERS).mock(side_effect=httpx.ReadTimeout("slow"))
    api.get(ROUTERS).mock(
        return_value=httpx.Response(403, json={"id": "forbidden", "message": "no"})
    )
    with pytest.raises(ApiConnectionError) as caught:
        make_client().create_router(PAYLOAD)
    assert str(caught.value).startswith(
        "POST /v2/gen-ai/models/routers: no response within 30 s; whether the router was created "
        "is unknown, because looking it up failed: GET /v2/gen-ai/models/routers?page=1 → 403"
    )


def test_create_without_a_name_is_not_retried_after_an_ambiguous_failure(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    post = api.post(ROUTERS).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ApiConnectionError) as caught:
        make_client().create_router({"fallback_models": ["m"]})
    assert post.call_count == 1
    assert str(caught.value) == (
        "POST /v2/gen-ai/models/routers: no response within 30 s; "
        "not retried: the request may have been carried out"
    )


# --- error mapping ---------------------------------------------------------------------------


def test_401_is_an_auth_error_naming_scopes_and_variables(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    route = api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(
            401, json={"id": "unauthorized", "message": "Unable to authenticate you."}
        )
    )
    with pytest.raises(ApiAuthError) as caught:
        make_client().get_router("u1")
    assert route.call_count == 1
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 401 unauthorized: Unable to authenticate you. "
        "The API rejected the token: check the one routerctl read from --token-file, "
        "DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN (in that order); it needs the scopes "
        "genai:read, genai:create, genai:update, genai:delete"
    )


def test_403_is_an_auth_error_naming_scopes(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.delete(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(403, json={"id": "forbidden", "message": "not authorized"})
    )
    with pytest.raises(ApiAuthError) as caught:
        make_client().delete_router("u1")
    assert caught.value.status == 403
    assert str(caught.value) == (
        "DELETE /v2/gen-ai/models/routers/u1 → 403 forbidden: not authorized. "
        "The token lacks a permission: routerctl needs the scopes genai:read, genai:create, "
        "genai:update, genai:delete (read for plan, the others for apply); the token comes from "
        "--token-file, DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN"
    )


def test_error_body_fields_are_mapped(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    body = {"id": "not_found", "message": "The resource was not found.", "request_id": "body-id"}
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(404, json=body, headers={"x-request-id": "header-id"})
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().get_router("u1")
    error = caught.value
    assert (error.method, error.path, error.status) == ("GET", f"{ROUTERS}/u1", 404)
    assert (error.error_id, error.api_message, error.request_id) == (
        "not_found",
        "The resource was not found.",
        "body-id",
    )


def test_request_id_falls_back_to_the_header(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(
            404, json={"id": "not_found", "message": "x"}, headers={"x-request-id": "hdr-1"}
        )
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().get_router("u1")
    assert caught.value.request_id == "hdr-1"
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 404 not_found: x (request id hdr-1)"
    )


def test_non_json_error_body_uses_the_reason_phrase(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(
            502, text="<html>bad gateway</html>", headers={"content-type": "text/html"}
        )
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client(retry=RetryPolicy(max_attempts=1)).get_router("u1")
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 502: Bad Gateway. Gave up after 1 attempt in 0.0 s"
    )


@pytest.mark.parametrize(
    ("response", "problem"),
    [
        (
            httpx.Response(
                200,
                text="<!DOCTYPE html>\n<html><body>Sign in to the proxy</body></html>",
                headers={"content-type": "text/html; charset=utf-8"},
            ),
            "expected JSON, got text/html; charset=utf-8: "
            "'<!DOCTYPE html> <html><body>Sign in to …'",
        ),
        (
            httpx.Response(
                200,
                content=b'{"model_router": {"uuid": "u1"',
                headers={"content-type": "application/json"},
            ),
            "response is not valid JSON: Expecting ',' delimiter (line 1, column 31)",
        ),
        (
            httpx.Response(
                200, json={"id": "unauthorized", "message": "Unable to authenticate you."}
            ),
            "response is an error (unauthorized: Unable to authenticate you.) instead of "
            "'model_router'",
        ),
        (httpx.Response(200, json={"router": {}}), "response has no 'model_router' (keys: router)"),
        (
            httpx.Response(200, json=[1, 2]),
            "expected a JSON object with 'model_router', got a list",
        ),
        (httpx.Response(200), "expected a JSON object with 'model_router', got an empty body"),
        (
            httpx.Response(200, json={"model_router": ["u1"]}),
            "'model_router' is a list, not an object",
        ),
        (
            httpx.Response(200, json={"model_router": {"uuid": "u1", "name": 7}}),
            "model_router is not a valid router: name: Input should be a valid string",
        ),
        (
            httpx.Response(
                200,
                content=b'{"model_router": "\xff"}',
                headers={"content-type": "application/json"},
            ),
            "response is not valid JSON: UnicodeDecodeError",
        ),
    ],
)
def test_unreadable_2xx_is_a_response_error(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    response: httpx.Response,
    problem: str,
) -> None:
    route = api.get(f"{ROUTERS}/u1").mock(return_value=response)
    with pytest.raises(ApiResponseError) as caught:
        make_client().get_router("u1")
    assert str(caught.value) == f"GET /v2/gen-ai/models/routers/u1 → 200: {problem}"
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"model_routers": "u1"}, "'model_routers' is a string, not a list"),
        ({"model_routers": [1]}, "model_routers[0] is a number, not an object"),
        (
            {"model_routers": [{"name": "a"}]},
            "model_routers[0] is not a valid router: uuid: Field required",
        ),
        ({"routers": []}, "response has no 'model_routers' (keys: routers)"),
        (
            {"id": "server_error", "message": "oops"},
            "response is an error (server_error: oops) instead of 'model_routers'",
        ),
    ],
)
def test_wrongly_shaped_list_is_a_response_error(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    body: dict[str, Any],
    problem: str,
) -> None:
    api.get(ROUTERS).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ApiResponseError) as caught:
        make_client().list_routers()
    assert str(caught.value) == f"GET /v2/gen-ai/models/routers?page=1 → 200: {problem}"


def test_oversized_content_length_is_refused(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(200, content=b"{}", headers={"content-length": "31457280"})
    )
    with pytest.raises(ApiResponseError) as caught:
        make_client().get_router("u1")
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 200: response is 31457280 bytes, over the 20 MiB limit"
    )


def test_oversized_body_without_content_length_is_refused(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    chunk = b" " * (1024 * 1024)

    def stream() -> Iterator[bytes]:
        yield b'{"model_router": '
        for _ in range(21):
            yield chunk

    api.get(f"{ROUTERS}/u1").mock(side_effect=lambda request: httpx.Response(200, content=stream()))
    with pytest.raises(ApiResponseError) as caught:
        make_client().get_router("u1")
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 200: response is over the 20 MiB limit"
    )


def test_redirect_is_not_followed(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(302, headers={"location": "https://elsewhere.example/"})
    )
    with pytest.raises(ApiResponseError) as caught:
        make_client().get_router("u1")
    assert str(caught.value) == (
        "GET /v2/gen-ai/models/routers/u1 → 302: unexpected redirect; check the API URL"
    )


# --- token hygiene ---------------------------------------------------------------------------


def test_token_never_appears_in_errors_repr_events_or_logs(
    api: respx.MockRouter,
    make_client: Callable[..., RouterClient],
    api_token: str,
    events: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # A server (or a proxy) that echoes the credential back in its messages.
    echo = {"id": "unauthorized", "message": f"bad token {api_token}"}
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(503, json=echo), httpx.Response(401, json=echo)]
    )
    api.get(f"{ROUTERS}/u2").mock(side_effect=httpx.ConnectError(f"proxy said {api_token}"))
    api.get(f"{ROUTERS}/u3").mock(
        return_value=httpx.Response(200, text=f"<html>{api_token}</html>")
    )
    client = make_client(retry=RetryPolicy(max_attempts=2))
    texts = [repr(client), str(client.stats.snapshot())]
    for uuid, error_type in (
        ("u1", ApiAuthError),
        ("u2", ApiConnectionError),
        ("u3", ApiResponseError),
    ):
        with pytest.raises(error_type) as caught:
            client.get_router(uuid)
        texts += [str(caught.value), repr(caught.value)]
    texts += events
    texts.append(caplog.text)
    assert events  # the retries were reported
    assert repr(client) == "RouterClient(base_url='https://api.test')"
    assert "[token]" in texts[2]
    assert all(api_token not in text for text in texts)


def test_token_not_in_httpx_debug_logs_over_a_real_loopback_connection(
    api_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    # respx bypasses httpcore, whose DEBUG log is the one that could show request headers;
    # a loopback server exercises it.
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"model_router": router_json("u1", "a")}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    caplog.set_level(logging.DEBUG)
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        with RouterClient(token=api_token, base_url=url) as client:
            assert client.get_router("u1").name == "a"
    finally:
        server.shutdown()
        server.server_close()
    assert "send_request_headers" in caplog.text  # httpcore did log the request
    assert api_token not in caplog.text


def test_client_refuses_a_token_with_whitespace_without_echoing_it(api_token: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RouterClient(token=f"{api_token} \n")
    assert api_token not in str(caught.value)


# --- stats -----------------------------------------------------------------------------------


def test_stats_count_requests_statuses_and_retries(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(429, headers={"retry-after": "0"}), one("u1", "a")]
    )
    api.delete(f"{ROUTERS}/u1").mock(return_value=httpx.Response(200))
    client = make_client()
    client.get_router("u1")
    client.delete_router("u1")
    assert client.stats.snapshot() == {
        "requests": 3,
        "requests.DELETE": 1,
        "requests.GET": 2,
        "status.200": 2,
        "status.429": 1,
        "retries": 1,
        "throttled_429": 1,
        "pacing_waits": 0,
        "connection_errors": 0,
    }
    assert client.stats.requests_by_method() == {"DELETE": 1, "GET": 2}
    assert client.stats.status_counts() == {200: 2, 429: 1}


def test_stats_are_thread_safe() -> None:
    stats = ClientStats()

    def work() -> None:
        for _ in range(1000):
            stats.record_request("GET")
            stats.record_retry()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (stats.requests, stats.retries) == (8000, 8000)


def test_client_is_a_context_manager(api_token: str) -> None:
    with RouterClient(
        token=api_token, transport=httpx.MockTransport(lambda r: httpx.Response(200))
    ) as c:
        assert c.base_url == DEFAULT_API_URL


def test_on_request_logs_one_line_per_request_without_the_token(
    api: respx.MockRouter, make_client: Callable[..., RouterClient], api_token: str
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        side_effect=[httpx.Response(503, json={"id": "e", "message": "m"}), one("u1", "r1")]
    )
    lines: list[str] = []
    make_client(on_request=lines.append).get_router("u1")
    assert [line.split(" (")[0] for line in lines] == [
        "GET /v2/gen-ai/models/routers/u1 → 503",
        "GET /v2/gen-ai/models/routers/u1 → 200",
    ]
    assert all(api_token not in line for line in lines)


def test_api_messages_lose_control_characters(
    api: respx.MockRouter, make_client: Callable[..., RouterClient]
) -> None:
    api.get(f"{ROUTERS}/u1").mock(
        return_value=httpx.Response(400, json={"id": "bad", "message": "no\x1b[2Jpe\x07"})
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().get_router("u1")
    assert "\x1b" not in str(caught.value)
    assert "\x07" not in str(caught.value)
    # Spelled out, not dropped: the user sees that the server sent an escape sequence.
    assert "no\\u001b[2Jpe\\u0007" in str(caught.value)
