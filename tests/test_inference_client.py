"""InferenceClient (routerctl test) against respx: the chat-completion request, reading the
route header and the serving model, OpenAI-style errors, retries, and key hygiene; plus where
the model access key and the inference URL come from. Time is fake: nothing sleeps."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from fakes import FakeTime, fake_clock_options
from routerctl.client import (
    DEFAULT_INFERENCE_URL,
    InferenceClient,
    RetryPolicy,
    resolve_inference_url,
    resolve_model_key,
)
from routerctl.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiResponseError,
    ApiStatusError,
    ConfigError,
)
from routerctl.models import RouterSpec, RoutingCase
from routerctl.routing_tests import RouteReply, run_routing_tests

BASE = "https://inference.test/v1"
COMPLETIONS = f"{BASE}/chat/completions"
ROUTE_HEADER = "x-model-router-selected-route"


@pytest.fixture
def api() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False)


@pytest.fixture
def make_client(
    api: respx.MockRouter, model_key: str, fake_time: FakeTime, events: list[str]
) -> Iterator[Callable[..., InferenceClient]]:
    made: list[InferenceClient] = []

    def make(**overrides: Any) -> InferenceClient:
        options: dict[str, Any] = {
            "key": model_key,
            "base_url": BASE,
            "retry": RetryPolicy(max_attempts=3, max_total_seconds=60.0),
            **fake_clock_options(api.handler, fake_time, events),
        }
        options.update(overrides)
        made.append(InferenceClient(**options))
        return made[-1]

    yield make
    for c in made:
        c.close()


def completion(
    model: str = "openai-gpt-5-nano",
    *,
    route: str | None = "classify_ticket",
    usage: Any = None,
    status: int = 200,
) -> httpx.Response:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
    }
    if usage is not None:
        body["usage"] = usage
    headers = {ROUTE_HEADER: route} if route is not None else {}
    return httpx.Response(status, json=body, headers=headers)


def openai_error(status: int, message: str, code: str | None, **headers: str) -> httpx.Response:
    error: dict[str, Any] = {"message": message, "type": "invalid_request_error"}
    if code is not None:
        error["code"] = code
    return httpx.Response(status, json={"error": error}, headers=headers)


TICKET = RoutingCase(
    prompt="How do I reset my password?",
    system="Classify this support ticket.",
    expect_task="classify_ticket",
)
BARE = RoutingCase(prompt="Summarize this.", expect_task="summarization")


# --- the request -------------------------------------------------------------------------------


def test_route_posts_a_chat_completion_to_router_name_with_the_key_and_no_token_cap(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient], model_key: str
) -> None:
    post = api.post(COMPLETIONS).mock(return_value=completion())
    make_client().route("triage-router", TICKET)
    request = post.calls.last.request
    assert (request.method, str(request.url)) == ("POST", COMPLETIONS)
    assert request.headers["authorization"] == f"Bearer {model_key}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "router:triage-router",
        "messages": [
            {"role": "system", "content": "Classify this support ticket."},
            {"role": "user", "content": "How do I reset my password?"},
        ],
    }


def test_route_without_system_prompt_sends_only_the_user_message_and_the_override_cap(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    post = api.post(COMPLETIONS).mock(return_value=completion())
    capped = BARE.model_copy(update={"max_completion_tokens": 64})
    make_client(max_tokens=4).route("r", capped)  # --max-tokens wins over the case's cap
    body = json.loads(post.calls.last.request.content)
    assert body["messages"] == [{"role": "user", "content": "Summarize this."}]
    assert body["max_completion_tokens"] == 4
    assert "max_tokens" not in body  # deprecated in DigitalOcean's chat completions docs


def test_route_sends_the_cases_own_cap_as_max_completion_tokens(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    post = api.post(COMPLETIONS).mock(return_value=completion())
    make_client().route("r", BARE.model_copy(update={"max_completion_tokens": 32}))
    body = json.loads(post.calls.last.request.content)
    assert body["max_completion_tokens"] == 32
    assert "max_tokens" not in body


def test_route_keeps_an_empty_route_header_apart_from_a_missing_one(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    client = make_client()
    api.post(COMPLETIONS).mock(return_value=completion(route="  "))
    assert client.route("r", BARE).route == ""
    api.post(COMPLETIONS).mock(return_value=completion(route=None))
    assert client.route("r", BARE).route is None


def test_route_base_url_with_trailing_slash_keeps_its_path(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    post = api.post("https://gateway.test/ai/v1/chat/completions").mock(return_value=completion())
    make_client(base_url="https://gateway.test/ai/v1/").route("r", BARE)
    assert post.call_count == 1


# --- reading the reply ------------------------------------------------------------------------


def test_route_reads_route_header_model_usage_and_latency(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    api.post(COMPLETIONS).mock(
        return_value=completion(
            "anthropic-claude-haiku-4.5",
            route="urgency_detection",
            usage={"prompt_tokens": 41, "completion_tokens": 7, "total_tokens": 48},
        )
    )
    assert make_client().route("r", TICKET) == RouteReply(
        route="urgency_detection",
        model="anthropic-claude-haiku-4.5",
        prompt_tokens=41,
        completion_tokens=7,
        latency_ms=0.0,  # the fake clock did not move
    )


@pytest.mark.parametrize("value", ["Classify Ticket", "fallback", "Code Generation"])
def test_route_returns_the_header_value_as_sent(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient], value: str
) -> None:
    api.post(COMPLETIONS).mock(
        return_value=httpx.Response(
            200,
            json={"model": "m", "choices": []},
            headers={"X-Model-Router-Selected-Route": value},  # header names are case-blind
        )
    )
    assert make_client().route("r", TICKET).route == value


def test_route_missing_header_gives_no_route(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    api.post(COMPLETIONS).mock(return_value=completion("llama3.3-70b-instruct", route=None))
    got = make_client().route("r", TICKET)
    assert (got.route, got.model) == (None, "llama3.3-70b-instruct")


@pytest.mark.parametrize(
    ("usage", "tokens"),
    [
        (None, (0, 0)),
        ({"prompt_tokens": "12", "completion_tokens": "3"}, (12, 3)),  # int64 as string
        ({"prompt_tokens": None, "completion_tokens": True}, (0, 0)),
        ("lots", (0, 0)),
    ],
)
def test_route_usage_missing_or_odd_counts_as_zero_or_parses(
    api: respx.MockRouter,
    make_client: Callable[..., InferenceClient],
    usage: Any,
    tokens: tuple[int, int],
) -> None:
    api.post(COMPLETIONS).mock(return_value=completion(usage=usage))
    got = make_client().route("r", TICKET)
    assert (got.prompt_tokens, got.completion_tokens) == tokens


def test_route_body_model_that_is_not_a_string_is_unknown(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    api.post(COMPLETIONS).mock(
        return_value=httpx.Response(
            200, json={"model": 7, "choices": []}, headers={ROUTE_HEADER: "t"}
        )
    )
    assert make_client().route("r", TICKET).model is None


@pytest.mark.parametrize(
    "body",
    [
        {"object": "list", "data": []},
        {"error": {"message": "hidden in a 200", "code": "oops"}},
        [{"choices": []}],
    ],
)
def test_route_200_that_is_not_a_chat_completion_is_a_response_error(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient], body: Any
) -> None:
    post = api.post(COMPLETIONS).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ApiResponseError) as caught:
        make_client().route("r", TICKET)
    assert str(caught.value) == "POST /chat/completions → 200: not a chat completion response"
    assert post.call_count == 1


def test_route_200_html_page_is_a_response_error(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    api.post(COMPLETIONS).mock(
        return_value=httpx.Response(
            200, text="<html>captive portal</html>", headers={"content-type": "text/html"}
        )
    )
    with pytest.raises(ApiResponseError) as caught:
        make_client().route("r", TICKET)
    assert str(caught.value) == (
        "POST /chat/completions → 200: expected JSON, got text/html: '<html>captive portal</html>'"
    )


# --- errors ----------------------------------------------------------------------------------


def test_route_openai_error_body_gives_code_and_message_without_retrying(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    post = api.post(COMPLETIONS).mock(
        return_value=openai_error(
            404,
            "The model 'router:nope' does not exist.",
            "model_not_found",
            **{"x-request-id": "req-42"},
        )
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().route("nope", TICKET)
    error = caught.value
    assert str(error) == (
        "POST /chat/completions → 404 model_not_found: The model 'router:nope' does not exist. "
        "(request id req-42)"
    )
    assert (error.status, error.error_id, error.request_id) == (404, "model_not_found", "req-42")
    assert not isinstance(error, ApiAuthError)
    assert post.call_count == 1


def test_route_openai_error_without_code_uses_its_type(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    api.post(COMPLETIONS).mock(return_value=openai_error(400, "max_tokens is too large", None))
    with pytest.raises(ApiStatusError) as caught:
        make_client().route("r", TICKET)
    assert str(caught.value) == (
        "POST /chat/completions → 400 invalid_request_error: max_tokens is too large"
    )


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (
            401,
            "The inference endpoint rejected the model access key (from --key-file, "
            "MODEL_ACCESS_KEY or GRADIENT_MODEL_ACCESS_KEY)",
        ),
        (
            403,
            "The model access key may not call this router: the key and the router must belong "
            "to the same team (key from --key-file, MODEL_ACCESS_KEY or GRADIENT_MODEL_ACCESS_KEY)",
        ),
    ],
)
def test_route_auth_errors_point_at_the_model_access_key_not_the_api_token(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient], status: int, hint: str
) -> None:
    post = api.post(COMPLETIONS).mock(
        return_value=openai_error(status, "Access denied", "invalid_api_key")
    )
    with pytest.raises(ApiAuthError) as caught:
        make_client().route("r", TICKET)
    text = str(caught.value)
    assert text == f"POST /chat/completions → {status} invalid_api_key: Access denied. {hint}"
    assert "DIGITALOCEAN_TOKEN" not in text
    assert "genai:" not in text  # the management API's token scopes do not apply here
    assert post.call_count == 1  # a bad key is not retried


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, "2"), (503, "1"), (429, "0.25")],
)
def test_route_retries_throttling_and_unavailability_after_retry_after(
    api: respx.MockRouter,
    make_client: Callable[..., InferenceClient],
    fake_time: FakeTime,
    events: list[str],
    status: int,
    retry_after: str,
) -> None:
    post = api.post(COMPLETIONS).mock(
        side_effect=[
            openai_error(status, "Slow down", "rate_limited", **{"retry-after": retry_after}),
            completion(route="classify_ticket"),
        ]
    )
    client = make_client()
    got = client.route("r", TICKET)
    assert got.route == "classify_ticket"
    assert post.call_count == 2
    assert sum(fake_time.sleeps) == pytest.approx(float(retry_after))
    # The latency of a case includes the wait its retry cost.
    assert got.latency_ms == pytest.approx(float(retry_after) * 1000)
    assert client.stats.retries == 1
    assert events[0] == (
        f"POST /chat/completions: {status} rate_limited: Slow down; retrying in "
        f"{float(retry_after):.1f} s (attempt 2 of 3)"
    )


def test_route_retries_a_500_without_retry_after_with_backoff(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient], fake_time: FakeTime
) -> None:
    api.post(COMPLETIONS).mock(
        side_effect=[openai_error(500, "upstream failed", "server_error"), completion()]
    )
    assert make_client().route("r", TICKET).route == "classify_ticket"
    assert fake_time.sleeps == [0.5]  # RetryPolicy.base_delay at full jitter


def test_route_gives_up_after_max_attempts(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    post = api.post(COMPLETIONS).mock(
        return_value=openai_error(503, "overloaded", "unavailable", **{"retry-after": "1"})
    )
    with pytest.raises(ApiStatusError) as caught:
        make_client().route("r", TICKET)
    assert str(caught.value) == (
        "POST /chat/completions → 503 unavailable: overloaded. Gave up after 3 attempts in 2.0 s"
    )
    assert post.call_count == 3


def test_route_connection_errors_are_retried_then_reported(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    post = api.post(COMPLETIONS).mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(ApiConnectionError) as caught:
        make_client().route("r", TICKET)
    assert str(caught.value).startswith(
        "POST /chat/completions: cannot connect: connection refused; gave up after 3 attempts"
    )
    assert post.call_count == 3


def test_route_errors_become_failed_cases_in_a_test_run(
    api: respx.MockRouter, make_client: Callable[..., InferenceClient]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["model"] == "router:live":
            return completion(route="Classify Ticket")
        return openai_error(404, "The model 'router:gone' does not exist.", "model_not_found")

    api.post(COMPLETIONS).mock(side_effect=answer)
    spec = RouterSpec.model_validate(
        {
            "name": "live",
            "tasks": {"classify_ticket": {"description": "Classify.", "models": ["m"]}},
            "fallback_models": ["m"],
            "tests": [{"prompt": "p", "expect_task": "classify_ticket"}],
        }
    )
    client = make_client()
    live, gone = run_routing_tests([("live", spec), ("gone", spec)], client.route)
    assert (live.passed, live.total) == (1, 1)
    assert gone.results[0].error == (
        "POST /chat/completions → 404 model_not_found: The model 'router:gone' does not exist."
    )


# --- key hygiene -------------------------------------------------------------------------------


def test_key_never_appears_in_errors_repr_events_or_logs(
    api: respx.MockRouter,
    make_client: Callable[..., InferenceClient],
    model_key: str,
    events: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # An endpoint (or a proxy) that echoes the credential back.
    echoed = f"Incorrect API key provided: {model_key}"
    api.post(COMPLETIONS).mock(
        side_effect=[
            openai_error(503, echoed, "unavailable"),
            openai_error(401, echoed, "invalid_api_key"),
            httpx.ConnectError(f"proxy refused {model_key}"),
            httpx.ConnectError(f"proxy refused {model_key}"),
            httpx.Response(200, text=f"<html>{model_key}</html>"),
        ]
    )
    client = make_client(retry=RetryPolicy(max_attempts=2))
    texts = [repr(client)]
    for error_type in (ApiAuthError, ApiConnectionError, ApiResponseError):
        with pytest.raises(error_type) as caught:
            client.route("r", TICKET)
        texts += [str(caught.value), repr(caught.value)]
    texts += events
    texts.append(caplog.text)
    assert repr(client) == "InferenceClient(base_url='https://inference.test/v1')"
    assert events  # the retries were reported
    assert "[token]" in texts[1]
    assert all(model_key not in text for text in texts)


# --- resolve_model_key ---------------------------------------------------------------------------


def test_resolve_model_key_file_wins_and_is_stripped(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("  sk-do-fromfile\n")
    env = {"MODEL_ACCESS_KEY": "sk-do-env", "GRADIENT_MODEL_ACCESS_KEY": "sk-do-gradient"}
    assert resolve_model_key(key_file=str(key_file), environ=env) == "sk-do-fromfile"


def test_resolve_model_key_prefers_model_access_key_over_gradient() -> None:
    env = {"MODEL_ACCESS_KEY": "sk-do-env", "GRADIENT_MODEL_ACCESS_KEY": "sk-do-gradient"}
    assert resolve_model_key(environ=env) == "sk-do-env"


def test_resolve_model_key_empty_variable_falls_through_to_gradient() -> None:
    env = {"MODEL_ACCESS_KEY": " ", "GRADIENT_MODEL_ACCESS_KEY": "sk-do-gradient"}
    assert resolve_model_key(environ=env) == "sk-do-gradient"


def test_resolve_model_key_reads_os_environ_by_default(
    monkeypatch: pytest.MonkeyPatch, model_key: str
) -> None:
    monkeypatch.setenv("MODEL_ACCESS_KEY", model_key)
    assert resolve_model_key() == model_key


def test_resolve_model_key_does_not_fall_back_to_the_api_token() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_model_key(environ={"DIGITALOCEAN_TOKEN": "dop_v1_x"})
    assert str(caught.value) == (
        "no model access key: set MODEL_ACCESS_KEY (or GRADIENT_MODEL_ACCESS_KEY), or pass "
        "--key-file. Create one under Serverless Inference → Model Access Keys"
    )


def test_resolve_model_key_empty_file_is_named(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("\n \n")
    with pytest.raises(ConfigError) as caught:
        resolve_model_key(key_file=str(key_file), environ={"MODEL_ACCESS_KEY": "sk-do-env"})
    assert str(caught.value) == f"the model access key file {key_file} is empty"


def test_resolve_model_key_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as caught:
        resolve_model_key(key_file=str(missing))
    assert str(caught.value).startswith(f"cannot read the model access key file {missing}: ")


@pytest.mark.parametrize("bad", ["sk-do-one two", "sk-do-line\nbreak", "sk-do-ключ"])
def test_resolve_model_key_with_spaces_or_non_ascii_is_refused_without_echoing_it(
    bad: str,
) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_model_key(environ={"MODEL_ACCESS_KEY": bad})
    message = str(caught.value)
    assert message.startswith("$MODEL_ACCESS_KEY contains spaces, line breaks or non-ASCII")
    assert bad.strip() not in message


# --- resolve_inference_url -------------------------------------------------------------------


INFERENCE_ENV = "DIGITALOCEAN_INFERENCE_URL"


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        (None, {}, "https://inference.do-ai.run/v1"),
        (None, {INFERENCE_ENV: ""}, "https://inference.do-ai.run/v1"),
        (None, {INFERENCE_ENV: "http://127.0.0.1:8080/v1/"}, "http://127.0.0.1:8080/v1"),
        ("https://flag.test/v1", {INFERENCE_ENV: "https://env.test/v1"}, "https://flag.test/v1"),
    ],
)
def test_resolve_inference_url_order(flag: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_inference_url(flag, env) == expected
    assert DEFAULT_INFERENCE_URL == "https://inference.do-ai.run/v1"


def test_resolve_inference_url_reads_os_environ_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_INFERENCE_URL", "https://env.test/v1")
    assert resolve_inference_url() == "https://env.test/v1"


@pytest.mark.parametrize("bad", ["inference.do-ai.run/v1", "https://k:s@inference.test/v1"])
def test_resolve_inference_url_rejects_unusable_urls(bad: str) -> None:
    with pytest.raises(ConfigError):
        resolve_inference_url(bad, {})
