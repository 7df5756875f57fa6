"""Class 1, secrets: a server (or a proxy) echoes the API token or the model access key back in
every field and header it can; none of it may reach stdout, stderr, a plan file or a report.

Each case also makes the common checks (one line naming the API call, no traceback, no raw
control character; see kit.Hostile.expect_error).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from hostile.kit import CHAT, MODELS, ROUTERS, Hostile, Reply, listing, live_router
from routerctl import redact
from routerctl.client import RouterClient
from routerctl.errors import ApiError

LIST = f"GET {ROUTERS}?page=1"


def _echo_401(field: str, token: str) -> Reply:
    body = {"id": "unauthorized", "message": "Unable to authenticate you", "request_id": "r-1"}
    body[field] = token
    return Reply(401, body)


@pytest.mark.parametrize("field", ["id", "message", "request_id"])
def test_401_echoing_the_token_in_an_error_field(hostile: Hostile, field: str) -> None:
    hostile.route("GET", ROUTERS, _echo_401(field, hostile.token))
    line = hostile.expect_error(hostile.run("plan"), f"{LIST} → 401")
    assert "[token]" in line


def test_401_echoing_the_token_in_x_request_id(hostile: Hostile) -> None:
    hostile.route(
        "GET",
        ROUTERS,
        Reply(401, {"id": "unauthorized", "message": "no"}, {"x-request-id": hostile.token}),
    )
    hostile.expect_error(hostile.run("plan"), f"{LIST} → 401", request_id="[token]")


def test_token_straddling_the_300_character_cut_is_scrubbed_whole(hostile: Hostile) -> None:
    # Redacting after truncation would leave the first 290 characters' worth of the token.
    for pad in (280, 290, 299):
        message = "x" * pad + hostile.token
        hostile.route("GET", ROUTERS, Reply(400, {"id": "bad", "message": message}))
        line = hostile.expect_error(hostile.run("plan"), f"{LIST} → 400 bad")
        assert hostile.token[:12] not in line


def test_200_with_an_error_body_echoing_the_token(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, Reply(200, {"id": hostile.token, "message": hostile.token}))
    hostile.expect_error(hostile.run("plan"), f"{LIST} → 200", contains="response is an error")


def test_unknown_keys_named_after_the_token(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, Reply(200, {hostile.token: 1, "routers": []}))
    hostile.expect_error(hostile.run("plan"), f"{LIST} → 200", contains="[token]")


def test_html_page_with_the_token_across_the_40_character_excerpt(hostile: Hostile) -> None:
    body = "<html><title>" + hostile.token + "</title></html>"
    hostile.route("GET", ROUTERS, Reply(200, body, {"content-type": "text/html"}))
    line = hostile.expect_error(hostile.run("plan"), f"{LIST} → 200", contains="expected JSON")
    assert hostile.token[:10] not in line


def test_unknown_prefer_value_echoing_the_token(hostile: Hostile) -> None:
    router = live_router()
    router["config"]["policies"][0]["selection_policy"]["prefer"] = hostile.token
    hostile.route("GET", ROUTERS, Reply(body=listing(router)))
    outcome = hostile.run("plan")  # an unknown value is planned as is, with a warning
    hostile.expect_clean(outcome)
    assert "selection policy '[token]'" in outcome.stdout


def test_live_router_named_after_the_token_stays_out_of_the_plan_and_plan_file(
    hostile: Hostile,
) -> None:
    hostile.route(
        "GET", ROUTERS, Reply(body=listing(live_router(), live_router("u-2", hostile.token)))
    )
    outcome = hostile.run("plan", "--verbose", "--out", "plan.json")  # names listed
    hostile.expect_clean(outcome)
    assert "[token]" in outcome.stdout
    assert "plan.json" in outcome.files
    assert "[token]" in outcome.files["plan.json"]


def test_debug_traceback_and_request_lines_are_scrubbed(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, _echo_401("message", hostile.token))
    outcome = hostile.run("--debug", "plan")
    assert outcome.code == 1
    assert "Traceback" in outcome.stderr  # --debug shows it, scrubbed
    assert "[token]" in outcome.stderr
    assert hostile.token not in outcome.stderr
    assert "debug: GET" in outcome.stderr


def test_5xx_retries_echoing_the_token_in_debug_events(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, Reply(503, {"id": "down", "message": hostile.token}))
    outcome = hostile.run("--debug", "plan")
    assert outcome.code == 1
    assert outcome.stderr.count("retrying in") == 5
    assert hostile.token not in outcome.stderr


def test_percent_encoded_and_json_escaped_echoes_of_a_token_are_scrubbed(
    hostile: Hostile,
) -> None:
    token = 'dop_v1_a+b/c=d"e\\f0000000000000000000000'
    for echo in (quote(token, safe=""), token.replace("\\", "\\\\").replace('"', '\\"')):
        hostile.route("GET", ROUTERS, Reply(401, {"id": "unauthorized", "message": echo}))
        outcome = hostile.run("plan", env={"DIGITALOCEAN_TOKEN": token})
        hostile.expect_error(outcome, f"{LIST} → 401")
        assert echo not in outcome.stderr


def test_token_file_contents_are_scrubbed_even_when_refused(hostile: Hostile) -> None:
    (hostile.root / "token").write_text(f"export TOKEN={hostile.token}\n", encoding="utf-8")
    outcome = hostile.run("plan", "--token-file", "token", env={"DIGITALOCEAN_TOKEN": ""})
    assert outcome.code == 1
    assert outcome.lines == [
        "routerctl: error: the token in token contains spaces, line breaks or non-ASCII "
        "characters; a DigitalOcean API token is a single word"
    ]
    assert redact.scrub(f"x {hostile.token} y") == "x [token] y"


@pytest.mark.parametrize(
    ("env", "source"),
    [
        ({"DIGITALOCEAN_TOKEN": "abc"}, "DIGITALOCEAN_TOKEN is 3 characters long"),
        ({"DIGITALOCEAN_ACCESS_TOKEN": "x", "DIGITALOCEAN_TOKEN": ""}, "DIGITALOCEAN_ACCESS_TOKEN"),
    ],
)
def test_a_token_too_short_to_scrub_is_refused_naming_its_source(
    hostile: Hostile, env: dict[str, str], source: str
) -> None:
    outcome = hostile.run("plan", env=env)
    assert outcome.code == 1
    assert len(outcome.lines) == 1
    assert source in outcome.lines[0]
    assert "shorter than 8" in outcome.lines[0]
    assert hostile.server.requests == []  # refused before any request


def test_inference_echoing_the_key_everywhere_keeps_it_out_of_junit_and_json(
    hostile: Hostile,
) -> None:
    hostile.route(
        "POST",
        CHAT,
        Reply(
            body={"model": hostile.key, "choices": [{}], "usage": {"prompt_tokens": 3}},
            headers={"x-model-router-selected-route": hostile.key, "x-request-id": hostile.key},
        ),
    )
    outcome = hostile.run("test", "--junit", "junit.xml")
    assert outcome.code == 1  # the route did not match
    hostile.expect_inert_and_secret_free(outcome)
    assert "[token]" in outcome.files["junit.xml"]
    json_run = hostile.run("test", "--format", "json")
    hostile.expect_inert_and_secret_free(json_run)
    assert "[token]" in json_run.stdout


def test_inference_401_echoing_the_key_is_scrubbed_in_the_report(hostile: Hostile) -> None:
    echo = {"error": {"message": f"bad key {hostile.key}", "code": hostile.key}}
    hostile.route("POST", CHAT, Reply(401, echo))
    outcome = hostile.run("test", "--junit", "junit.xml")
    assert outcome.code == 1
    hostile.expect_inert_and_secret_free(outcome)
    assert "401" in outcome.files["junit.xml"]


def test_exceptions_carry_no_secret_in_str_or_repr(hostile: Hostile) -> None:
    hostile.route("GET", f"{ROUTERS}/u-1", _echo_401("message", hostile.token))
    with RouterClient(token=hostile.token, base_url=hostile.server.url) as client:
        try:
            client.get_router("u-1")
        except ApiError as exc:
            caught = exc
    # Raised after the client closed too: the registry outlives it.
    for text in (str(caught), repr(caught), caught.message, str(caught.args)):
        assert hostile.token not in text


def test_import_writes_no_secret_a_server_echoed_into_a_live_router(hostile: Hostile) -> None:
    echoed = live_router("u-2", "echo", description=f"made with {hostile.token}")
    hostile.route("GET", ROUTERS, Reply(body=listing(live_router(), echoed)))
    outcome = hostile.run("import", "echo")
    hostile.expect_clean(outcome)
    written = (hostile.root / "routers" / "echo.yaml").read_text(encoding="utf-8")
    assert "made with [token]" in written
    assert hostile.token not in written


def test_the_price_cache_holds_no_secret_a_catalog_echoed(hostile: Hostile) -> None:
    (hostile.root / "routerctl.yaml").write_text(
        "traffic:\n  routers:\n    hostile:\n      requests_per_month: 10\n"
        "      tasks: {chat: {share: 1}}\n      input_tokens: 1\n      output_tokens: 1\n",
        encoding="utf-8",
    )
    model = {
        "id": "openai-gpt-5-nano",
        "name": hostile.token,
        "pricing": {"input_price_per_million": 1, "output_price_per_million": 2},
    }
    hostile.route("GET", MODELS, Reply(body={"models": [model]}))
    hostile.expect_clean(hostile.run("cost"))
    cached = [
        p.read_text(encoding="utf-8") for p in (hostile.root / ".cache").rglob("*") if p.is_file()
    ]
    assert cached  # the catalog was cached
    assert all(hostile.token not in text for text in cached)
