"""Class 4, injection: escape sequences, bidi overrides, backticks and HTML in live router
names, model ids, descriptions, task keys, response keys and messages. On a terminal they are
spelled out (`\\u001b`), never executed; in markdown no value opens HTML or ends its code span;
a live name with a line break or control character is refused (fullmatch, no `$` hole).
"""

from __future__ import annotations

import json

import pytest

from hostile.kit import CHAT, ROUTERS, Hostile, Reply, assert_inert_markdown, listing, live_router

LIST = f"GET {ROUTERS}?page=1"
ERASE_AND_HIDE = "\x1b[2K\x1b[1A\x1b[8m"  # erase the line, cursor up, conceal


@pytest.mark.parametrize(
    "name",
    [
        f"hostile{ERASE_AND_HIDE}",
        "hostile\n",  # `^...$` would match this; fullmatch does not
        "\nhostile",
        "host\u202eelits",  # right-to-left override
        "host\u200bile",  # zero-width space
        "hostile\x9b2K",  # C1 CSI
        " hostile",
    ],
    ids=["ansi", "trailing-newline", "leading-newline", "bidi", "zero-width", "c1", "space"],
)
def test_live_name_with_a_control_character_is_refused_one_line(
    hostile: Hostile, name: str
) -> None:
    hostile.route("GET", ROUTERS, Reply(body=listing(live_router(name=name))))
    line = hostile.expect_error(hostile.run("plan"), f"{LIST} → 200", contains="has the name")
    assert "will not match it against a router file" in line


def _drifted(**changes: object) -> dict[str, object]:
    router = live_router()
    policy = router["config"]["policies"][0]
    for key, value in changes.items():
        if key == "model":
            policy["models"] = [value, "llama3.3-70b-instruct"]
        elif key == "task":
            policy["custom_task"]["name"] = value
        elif key == "description":
            router["description"] = value
    return router


@pytest.mark.parametrize(
    "changes",
    [
        {"model": f"evil{ERASE_AND_HIDE}model"},
        {"task": f"chat{ERASE_AND_HIDE}"},
        {"description": "fine\rOVERWRITTEN \x1b]0;pwned\x07 \x1b[31mred"},
        {"model": "model\u202egnp.exe"},
    ],
    ids=["model-id", "task-key", "description", "bidi-model"],
)
def test_control_characters_in_live_values_are_spelled_out_in_the_plan(
    hostile: Hostile, changes: dict[str, object]
) -> None:
    hostile.route("GET", ROUTERS, Reply(body=listing(_drifted(**changes))))
    for fmt in ("text", "json", "markdown"):
        outcome = hostile.run("plan", "--format", fmt, "--detailed-exitcode")
        hostile.expect_clean(outcome, code=2)
        assert "\\u00" in outcome.stdout or "\\u20" in outcome.stdout
        if fmt == "json":
            json.loads(outcome.stdout)  # still valid JSON: \\u001b is a JSON escape


@pytest.mark.parametrize(
    "evil",
    [
        "a`b``c<img src=x onerror=alert(1)>",
        "``</code></summary><script>alert(1)</script>",
        "x|y|z<b>bold</b>",
        "<!-- hide the rest",
        "`",
    ],
    ids=["backticks-and-img", "close-code-then-script", "pipes-and-tags", "comment", "tick"],
)
def test_markdown_plan_keeps_live_values_inside_their_code_spans(
    hostile: Hostile, evil: str
) -> None:
    # The evil value as an unmanaged router's name (a bullet), as a model id of a drifted
    # router (table, diff block, <summary>), and as a task key.
    hostile.route(
        "GET",
        ROUTERS,
        Reply(
            body=listing(_drifted(model=evil, task=evil), live_router("u-2", f"other-{evil}"[:250]))
        ),
    )
    outcome = hostile.run("plan", "--format", "markdown", "--detailed-exitcode")
    hostile.expect_clean(outcome, code=2)
    assert evil.split("`")[-1][:6] in outcome.stdout  # shown, inside a code span
    assert_inert_markdown(outcome.stdout)


def test_ansi_in_response_keys_and_messages_is_spelled_out(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, Reply(200, {f"k{ERASE_AND_HIDE}": 1, "other": 2}))
    hostile.expect_error(hostile.run("plan"), f"{LIST} → 200", contains="k\\u001b[2K")
    hostile.route("GET", ROUTERS, Reply(400, {"id": "bad\x1b[1A", "message": f"m{ERASE_AND_HIDE}"}))
    hostile.expect_error(hostile.run("plan"), f"{LIST} → 400 bad\\u001b[1A", contains="m\\u001b")


def test_ansi_in_the_serving_model_id_is_spelled_out_in_test_reports(hostile: Hostile) -> None:
    hostile.route(
        "POST",
        CHAT,
        Reply(
            body={"model": f"m{ERASE_AND_HIDE}\x9b", "choices": [{}], "usage": {}},
            headers={"x-model-router-selected-route": "chat"},
        ),
    )
    for fmt in ("text", "json"):
        outcome = hostile.run("test", "--format", fmt, "--junit", f"{fmt}.xml")
        hostile.expect_clean(outcome)
        if fmt == "json":  # the client spelled it out: JSON carries the spelled-out text
            model = json.loads(outcome.stdout)["routers"][0]["cases"][0]["model"]
            assert model == "m\\u001b[2K\\u001b[1A\\u001b[8m\\u009b"
        else:
            assert "m\\u001b[2K" in outcome.stdout
        assert "\x1b" not in outcome.files[f"{fmt}.xml"]


def test_apply_progress_lines_spell_out_a_server_error_message(hostile: Hostile) -> None:
    hostile.route("GET", ROUTERS, Reply(body=listing(_drifted(model="llama3.3-70b-instruct"))))
    hostile.route(
        "PUT", f"{ROUTERS}/u-1", Reply(400, {"id": "bad", "message": f"no{ERASE_AND_HIDE}"})
    )
    outcome = hostile.run("apply", "--auto-approve")
    hostile.expect_inert_and_secret_free(outcome)
    assert outcome.code in (1, 3)
    assert "no\\u001b[2K" in outcome.stderr
