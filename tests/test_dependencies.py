"""Agents before deletes (dependencies.py): which agents use a router, in every shape the
agents list may give, and what plan and apply do with that."""

from __future__ import annotations

from typing import Any

import pytest

from routerctl.dependencies import agents_using, annotate_plan, refuse_in_use, router_of
from routerctl.errors import ApiAuthError, ConfigError
from routerctl.plan import Action, Change, Plan
from routerctl.render import render_plan, render_plan_markdown

STATE = {"name": "x", "description": "", "tasks": {}, "presets": {}, "fallback_models": ["m"]}


def plan(*changes: Change) -> Plan:
    return Plan(changes=changes)


DELETE = Change(name="old", action=Action.DELETE, uuid="r-1", before=STATE)
RENAME = Change(
    name="new", action=Action.UPDATE, uuid="r-2", before=STATE, after=STATE, renamed_from="was"
)
UPDATE = Change(name="same", action=Action.UPDATE, uuid="r-3", before=STATE, after=STATE)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ({"model_router": {"uuid": "r-1", "name": "old"}}, ("r-1", "old")),
        ({"model_router": "r-1"}, ("r-1", "")),
        ({"model_router_uuid": "r-1"}, ("r-1", "")),
        ({"model_router": {"name": "old"}}, ("", "old")),
        ({"model_router": None, "model": {"uuid": "m-1"}}, ("", "")),
        ({"model_router": 7}, ("", "")),
    ],
)
def test_router_of_reads_an_object_a_uuid_string_or_model_router_uuid(
    agent: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert router_of(agent) == expected


def test_agents_match_by_uuid_and_by_name_only_without_a_uuid() -> None:
    agents = [
        {"uuid": "a-2", "name": "zeta", "model_router": "r-1"},
        {"uuid": "a-1", "name": "alpha", "model_router": {"uuid": "r-1", "name": "renamed"}},
        {"uuid": "a-3", "name": "by-name", "model_router": {"name": "old"}},
        {"uuid": "a-4", "name": "other", "model_router": {"uuid": "r-9", "name": "old"}},
        "not an object",
    ]
    found = agents_using(agents, uuid="r-1", name="old")  # type: ignore[arg-type]
    assert [a.name for a in found] == ["alpha", "by-name", "zeta"]


def test_a_uuid_in_other_case_is_the_same_router() -> None:
    # Found in review: an upper-case echo of the uuid let a rename through.
    live_uuid = "0b7f3c1e-5a2d-4c8e-9f10-aa11bb22cc33"
    agents = [{"uuid": "a-1", "name": "bot", "model_router": {"uuid": live_uuid.upper()}}]
    assert [a.name for a in agents_using(agents, uuid=live_uuid, name="app-old")] == ["bot"]


def test_annotate_plan_names_agents_on_deletes_and_renames_only() -> None:
    agents = [
        {"uuid": "a-1", "name": "bot", "model_router": {"uuid": "r-1"}},
        {"uuid": "a-2", "name": "rn", "model_router": {"uuid": "r-2"}},
        {"uuid": "a-3", "name": "up", "model_router": {"uuid": "r-3"}},
    ]
    calls: list[int] = []

    def list_agents() -> list[dict[str, Any]]:
        calls.append(1)
        return agents

    out = annotate_plan(plan(DELETE, RENAME, UPDATE), list_agents)
    assert calls == [1]
    delete, rename, update = out.changes
    assert delete.agents == ({"uuid": "a-1", "name": "bot"},)
    assert rename.agents == ({"uuid": "a-2", "name": "rn"},)
    assert update.agents == ()
    assert delete.warnings[-1] == (
        "IN USE: agent uses router 'old': bot (a-1); apply refuses to delete it without "
        "--force-in-use"
    )
    assert "! IN USE: agent uses router 'was': rn (a-2)" in render_plan(out)
    assert "**in use by 1 agent**" in render_plan_markdown(out)
    assert out.to_dict()["changes"][0]["agents"] == [{"uuid": "a-1", "name": "bot"}]
    assert "agents" not in out.to_dict()["changes"][2]  # additive: absent when empty
    assert Plan.from_dict(out.to_dict()).changes[0].agents == delete.agents


def test_no_delete_or_rename_means_no_agents_request() -> None:
    def boom() -> list[dict[str, Any]]:
        raise AssertionError("must not be called")

    assert annotate_plan(plan(UPDATE), boom) == plan(UPDATE)
    refuse_in_use(plan(UPDATE), boom)


def forbidden() -> list[dict[str, Any]]:
    raise ApiAuthError("GET", "/v2/gen-ai/agents?page=1&per_page=200", 403, message="forbidden")


def test_plan_warns_and_apply_fails_closed_when_the_agents_list_is_forbidden() -> None:
    warned = annotate_plan(plan(DELETE), forbidden)
    assert warned.warnings[-1].startswith(
        "could not read the agents list to check which agents use 'old' (GET /v2/gen-ai/agents"
    )
    assert warned.warnings[-1].endswith("apply will refuse these changes unless --force-in-use")
    with pytest.raises(ConfigError) as refused:
        refuse_in_use(plan(DELETE, RENAME), forbidden)
    message = str(refused.value)
    assert message.startswith(
        "refusing to delete router 'old' (and 1 more): cannot read the agents list"
    )
    assert "403" in message
    assert message.endswith("to apply without checking; nothing was applied")


def test_refuse_in_use_names_every_blocked_router_and_its_agents_in_one_line() -> None:
    agents = [
        {"uuid": "a-1", "name": "bot", "model_router": {"uuid": "r-1"}},
        {"uuid": "a-2", "name": "rn", "model_router": "r-2"},
    ]
    with pytest.raises(ConfigError) as refused:
        refuse_in_use(plan(DELETE, RENAME), lambda: agents)
    assert str(refused.value) == (
        "refusing to delete router 'old': used by bot (a-1); rename router 'was' to 'new': "
        "used by rn (a-2). Move the agents to another router first, or pass --force-in-use; "
        "nothing was applied"
    )
    refuse_in_use(plan(DELETE), list)  # nobody uses it
