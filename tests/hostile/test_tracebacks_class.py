"""Class 2, tracebacks from server data: numbers and shapes no parser should choke on (giant
integers, absurd floats, NaN, deep nesting, clamped-or-refused headers, a damaged saved plan)
end in one line naming the API call or the file, never a traceback.
"""

from __future__ import annotations

import json

import pytest

from hostile.kit import CHAT, MODELS, ROUTERS, Hostile, Reply, listing, live_router
from routerctl.plan import digest

LIST = f"GET {ROUTERS}?page=1"
GIANT = "9" * 4301  # one past Python's int-from-string limit


@pytest.mark.parametrize(
    ("where", "body"),
    [
        ("a router field", '{"model_routers": [{"uuid": "u-1", "name": "x", "n": ' + GIANT + "}]}"),
        ("meta.total", '{"model_routers": [], "meta": {"total": ' + GIANT + "}}"),
        ("a float literal", '{"model_routers": [], "meta": {"total": 1e400}}'),
        ("a NaN literal", '{"model_routers": [], "x": NaN}'),
        ("a 100-level nest", '{"model_routers": [], "x": ' + "[" * 100 + "]" * 100 + "}"),
        ("a 100,000-level nest", "[" * 100_000),
    ],
)
def test_absurd_json_from_the_api_is_one_line(hostile: Hostile, where: str, body: str) -> None:
    hostile.route("GET", ROUTERS, Reply(200, body))
    hostile.expect_error(
        hostile.run("plan"), f"{LIST} → 200", contains="response is not valid JSON"
    )


@pytest.mark.parametrize(
    "header",
    ["ratelimit-remaining", "ratelimit-limit", "ratelimit-reset", "content-length"],
)
def test_a_4301_digit_header_does_not_break_the_client(hostile: Hostile, header: str) -> None:
    # Nonsense headers are ignored (a rate-limit figure) or clamped; the call still works.
    reply = Reply(body=listing(live_router()), headers={header: GIANT})
    if header == "content-length":
        reply.drip = 0.0001  # no real length header: the server sends our lie
        reply.headers = {header: GIANT}
    hostile.route("GET", ROUTERS, reply)
    outcome = hostile.run("plan")
    hostile.expect_inert_and_secret_free(outcome)
    assert outcome.code in (0, 1)
    if outcome.code == 1:
        assert outcome.lines[-1].startswith(f"routerctl: error: {LIST}")


@pytest.mark.parametrize(
    "value",
    [
        "99999999999999999999",  # the example: once an OverflowError in time.sleep
        GIANT,
        "inf",
        "-5",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "not a date",
    ],
)
def test_429_with_absurd_retry_after_or_reset_is_one_line(hostile: Hostile, value: str) -> None:
    headers = {"retry-after": value, "ratelimit-remaining": "0", "ratelimit-reset": value}
    hostile.route(
        "GET", ROUTERS, Reply(429, {"id": "too_many_requests", "message": "slow"}, headers)
    )
    hostile.expect_error(hostile.run("plan"), f"{LIST} → 429 too_many_requests")


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": int(GIANT[:30]), "completion_tokens": -7},
        {"prompt_tokens": 1e308, "completion_tokens": "12"},
        {"prompt_tokens": "x" * 10_000, "completion_tokens": None},
        "not an object",
    ],
)
def test_absurd_inference_usage_is_bounded(hostile: Hostile, usage: object) -> None:
    hostile.route(
        "POST",
        CHAT,
        Reply(
            body={"model": "openai-gpt-5-nano", "choices": [{}], "usage": usage},
            headers={"x-model-router-selected-route": "chat"},
        ),
    )
    outcome = hostile.run("test", "--format", "json")
    hostile.expect_clean(outcome)
    tokens = json.loads(outcome.stdout)["routers"][0]["tokens"]
    assert 0 <= tokens["prompt"] <= 10_000_000
    assert 0 <= tokens["completion"] <= 10_000_000


def test_inference_usage_with_a_giant_integer_is_one_line(hostile: Hostile) -> None:
    body = '{"model": "m", "choices": [{}], "usage": {"prompt_tokens": ' + GIANT + "}}"
    hostile.route("POST", CHAT, Reply(body=body))
    outcome = hostile.run("test", "--format", "json")
    assert outcome.code == 1
    hostile.expect_inert_and_secret_free(outcome)
    case = json.loads(outcome.stdout)["routers"][0]["cases"][0]
    assert "POST /chat/completions → 200: response is not valid JSON" in case["error"]


@pytest.mark.parametrize("price", [1e308, "inf", -3, "NaN", 10**30])
def test_absurd_catalog_price_is_never_a_traceback(hostile: Hostile, price: object) -> None:
    (hostile.root / "routerctl.yaml").write_text(
        "traffic:\n  routers:\n    hostile:\n      requests_per_month: 1000\n"
        "      tasks: {chat: {share: 1}}\n      input_tokens: 100\n      output_tokens: 10\n",
        encoding="utf-8",
    )
    models = [
        {"id": m, "pricing": {"input_price_per_million": price, "output_price_per_million": 1}}
        for m in ("openai-gpt-5-nano", "llama3.3-70b-instruct", "deepseek-v3.2")
    ]
    hostile.route("GET", MODELS, Reply(body={"models": models}))
    outcome = hostile.run("cost")
    hostile.expect_clean(outcome)
    # The absurd live price is refused, so the estimate is the one made without it (here the
    # shipped price file's): never infinity, never an overflow, never $0.
    hostile.route("GET", MODELS, Reply(body={"models": []}))
    assert outcome.stdout == hostile.run("cost").stdout


# --- saved plans (the loader is plan.load_plan through bounds.parse_json) ----------------------


def _saved_plan(hostile: Hostile) -> dict[str, object]:
    hostile.route("GET", ROUTERS, Reply(body=listing()))  # nothing live: the plan creates one
    outcome = hostile.run("plan", "--out", "plan.json")
    assert outcome.code == 0, outcome.stderr
    data: dict[str, object] = json.loads((hostile.root / "plan.json").read_text())
    return data


@pytest.mark.parametrize(
    ("name", "mangle", "expect"),
    [
        ("100,000 deep", lambda d: "[" * 100_000, "JSON nested too deeply"),
        ("giant int", lambda d: json.dumps(d)[:-1] + ', "x": ' + GIANT + "}", "4,301-digit number"),
        ("targets a string", lambda d: {**d, "targets": "all"}, "targets must be a list of names"),
        ("warnings of numbers", lambda d: {**d, "warnings": [1]}, '"warnings" is not a list'),
        ("prune a string", lambda d: {**d, "prune": "yes"}, "prune must be true or false"),
        ("costs a list", lambda d: {**d, "costs": [1]}, "costs: expected"),
        (
            "models a string",
            lambda d: _set(d, ["changes", 0, "after", "tasks", "chat", "models"], "m"),
            "changes[0].after.tasks.chat.models: expected a list",
        ),
        (
            "field notes numbers",
            lambda d: _set(
                d, ["changes", 0, "field_changes"], [{"path": "p", "kind": "added", "notes": [3]}]
            ),
            "has a malformed field change",
        ),
    ],
)
def test_damaged_saved_plan_is_one_line_naming_the_file(
    hostile: Hostile, name: str, mangle: object, expect: str
) -> None:
    data = _saved_plan(hostile)
    mangled = mangle(data)  # type: ignore[operator]
    if isinstance(mangled, dict):  # re-signed, as an attacker can: the loader must still judge it
        mangled["digest"] = digest(mangled)
    text = mangled if isinstance(mangled, str) else json.dumps(mangled)
    (hostile.root / "plan.json").write_text(text, encoding="utf-8")
    outcome = hostile.run("apply", "plan.json")
    hostile.expect_inert_and_secret_free(outcome)
    assert outcome.code == 1
    assert len(outcome.lines) == 1, outcome.lines
    assert outcome.lines[0].startswith("routerctl: error: plan.json: "), outcome.lines[0]
    assert expect in outcome.lines[0]


def _set(data: dict[str, object], path: list[object], value: object) -> dict[str, object]:
    target: object = data
    for part in path[:-1]:
        target = target[part]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    return data
