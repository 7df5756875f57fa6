"""Agents, as far as routerctl cares: `GET /v2/gen-ai/agents` lists them, each naming the
router it calls in `model_router`, so that routerctl can refuse to delete a router in use.

Agents are seeded by tests and demos (`Emulator.put_agent`, `POST /_emulator/agents`), cleared
by reset, and never persisted to the state file. The shape follows DigitalOcean's `apiAgent`:
`uuid`, `name`, timestamps, and `model_router` (an object with `uuid` and `name`); a bare uuid
string is stored as given, so clients can be tested against both.
"""

from __future__ import annotations

import threading
import uuid as uuidlib
from typing import TYPE_CHECKING, Any

from routerctl.emulator.state import bad_request, now_rfc3339

if TYPE_CHECKING:
    from routerctl.emulator.http import _Reply, _Request


class AgentStore:
    """A thread-safe list of agents, in creation order."""

    def __init__(self) -> None:
        self._agents: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def put(
        self,
        name: Any,
        model_router: Any = None,
        *,
        agent_uuid: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        if not isinstance(name, str) or not name:
            raise bad_request("agent name must be a non-empty string")
        if model_router is not None and not isinstance(model_router, str | dict):
            raise bad_request("model_router must be a uuid string or an object")
        stamp = now_rfc3339()
        agent: dict[str, Any] = {
            "uuid": agent_uuid or str(uuidlib.uuid4()),
            "name": name,
            "created_at": stamp,
            "updated_at": stamp,
            **fields,
        }
        if model_router is not None:
            agent["model_router"] = (
                dict(model_router) if isinstance(model_router, dict) else model_router
            )
        with self._lock:
            self._agents.append(agent)
        return dict(agent)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(a) for a in self._agents]

    def clear(self) -> None:
        with self._lock:
            self._agents.clear()


class AgentsMixin:
    """The Emulator's agents: the public seeding methods and the two route handlers."""

    _agents: AgentStore

    if TYPE_CHECKING:

        def _paginate(self, req: _Request, key: str, items: list[Any] | None) -> dict[str, Any]: ...
        def _control_body(self, req: _Request) -> dict[str, Any]: ...

    def put_agent(
        self,
        name: str,
        model_router: str | dict[str, Any] | None = None,
        *,
        agent_uuid: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Add an agent to `GET /v2/gen-ai/agents` (also `POST /_emulator/agents`).
        `model_router` is an object (`{"uuid": ..., "name": ...}`) or a bare uuid string;
        other `fields` (e.g. `model_router_uuid`) are copied into the agent as they are."""
        return self._agents.put(name, model_router, agent_uuid=agent_uuid, **fields)

    def agents(self) -> list[dict[str, Any]]:
        """Agents as `GET /v2/gen-ai/agents` lists them, in creation order."""
        return self._agents.list()

    def _list_agents(self, req: _Request, params: dict[str, str]) -> _Reply:
        from routerctl.emulator.http import _Reply

        return _Reply(200, self._paginate(req, "agents", self.agents()))

    def _control_agents(self, req: _Request, params: dict[str, str]) -> _Reply:
        from routerctl.emulator.http import _Reply

        body = self._control_body(req)
        fields = {k: v for k, v in body.items() if k not in ("name", "model_router", "uuid")}
        agent_uuid = body.get("uuid") if isinstance(body.get("uuid"), str) else None
        agent = self._agents.put(
            body.get("name"), body.get("model_router"), agent_uuid=agent_uuid, **fields
        )
        return _Reply(200, {"agent": agent})
