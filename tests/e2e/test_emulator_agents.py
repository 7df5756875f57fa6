"""The emulator's agents list (`GET /v2/gen-ai/agents`, seeded by put_agent or
`POST /_emulator/agents`) read through RouterClient.list_agents, every page."""

from __future__ import annotations

import httpx
import pytest

from routerctl.client import RouterClient
from routerctl.emulator import Emulator

pytestmark = pytest.mark.e2e

TOKEN = "dop_v1_a9e475ecret0000000000000000000000000000000000000000000000000000"


def test_list_agents_reads_every_page_in_both_router_shapes(emulator: Emulator) -> None:
    emulator.configure(page_size_cap=2)  # 5 agents: 3 pages
    for index in range(4):
        emulator.put_agent(f"bot-{index}", {"uuid": f"r-{index}", "name": f"router-{index}"})
    emulator.put_agent("bare", "r-9", agent_uuid="a-9", model_router_uuid="r-9")
    with RouterClient(token=TOKEN, base_url=emulator.url) as client:
        agents = client.list_agents()
    assert [a["name"] for a in agents] == ["bot-0", "bot-1", "bot-2", "bot-3", "bare"]
    assert agents[0]["model_router"] == {"uuid": "r-0", "name": "router-0"}
    assert agents[4]["model_router"] == "r-9"
    assert agents[4]["model_router_uuid"] == "r-9"
    assert agents[4]["uuid"] == "a-9"
    assert emulator.stats["requests"]["GET /v2/gen-ai/agents"] == 3


def test_control_route_seeds_agents_and_reset_clears_them(emulator: Emulator) -> None:
    reply = httpx.post(
        f"{emulator.url}/_emulator/agents",
        json={"name": "support-bot", "model_router": {"uuid": "r-1", "name": "triage"}},
    )
    assert reply.status_code == 200
    assert reply.json()["agent"]["model_router"] == {"uuid": "r-1", "name": "triage"}
    bad = httpx.post(f"{emulator.url}/_emulator/agents", json={"model_router": 5})
    assert bad.status_code == 400
    listed = httpx.get(
        f"{emulator.url}/v2/gen-ai/agents", headers={"Authorization": f"Bearer {TOKEN}"}
    ).json()
    assert [a["name"] for a in listed["agents"]] == ["support-bot"]
    assert listed["meta"] == {"page": 1, "pages": 1, "total": 1}
    emulator.reset()
    assert emulator.agents() == []
