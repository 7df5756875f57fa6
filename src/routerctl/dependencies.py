"""Which agents use a router: checked before a delete, prune or rename.

Agents name the router they call in `model_router` (an object with `uuid` and `name` in
`GET /v2/gen-ai/agents`; some answers may carry only a uuid string) or `model_router_uuid`
(the create/update input field). An agent matches a router by uuid; by name only when the
agent gives no uuid at all.

Decisions (see README, "Dependencies before deletes"):
- `plan` names the agents on each delete or rename. When the agents list cannot be read
  (403: the token lacks read access to agents; or any other API failure) plan warns and goes on:
  a plan changes nothing.
- `apply` refuses a delete or rename of a router an agent uses, and also refuses when it
  cannot read the agents list (fail closed), unless `--force-in-use`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from routerctl.errors import ApiError, ConfigError
from routerctl.plan import Action, Change, Plan

ListAgents = Callable[[], list[dict[str, Any]]]
FLAG = "--force-in-use"


@dataclass(frozen=True)
class AgentRef:
    uuid: str
    name: str

    def label(self) -> str:
        return f"{self.name} ({self.uuid})" if self.uuid else self.name


def router_of(agent: Mapping[str, Any]) -> tuple[str, str]:
    """(router uuid, router name) an agent uses; "" where it says nothing."""
    ref = agent.get("model_router")
    uuid = name = ""
    if isinstance(ref, Mapping):
        uuid, name = _text(ref.get("uuid")), _text(ref.get("name"))
    elif isinstance(ref, str):
        uuid = ref.strip()
    return uuid or _text(agent.get("model_router_uuid")), name


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _agent(agent: Mapping[str, Any]) -> AgentRef:
    uuid, name = _text(agent.get("uuid")), _text(agent.get("name"))
    return AgentRef(uuid, name or uuid or "(unnamed agent)")


def agents_using(
    agents: Sequence[Mapping[str, Any]], *, uuid: str | None, name: str
) -> tuple[AgentRef, ...]:
    """The agents that use the router with this uuid (or, for agents that give no uuid,
    this name), sorted by name."""
    found: dict[tuple[str, str], AgentRef] = {}
    for agent in agents:
        if not isinstance(agent, Mapping):
            continue
        ref_uuid, ref_name = router_of(agent)
        # UUIDs compare case-insensitively: an upper-case echo of the same uuid is the same
        # router, and missing it would let a delete or rename through.
        same = bool(ref_uuid and uuid and ref_uuid.casefold() == uuid.casefold())
        if same or (not ref_uuid and ref_name == name):
            ref = _agent(agent)
            found[(ref.name, ref.uuid)] = ref
    return tuple(found[k] for k in sorted(found))


def guarded(plan: Plan) -> list[Change]:
    """The changes an agent could depend on: deletes and renames."""
    return [c for c in plan.changes if c.action is Action.DELETE or c.renamed_from]


def _what(change: Change) -> str:
    if change.action is Action.DELETE:
        return f"delete router {change.name!r}"
    return f"rename router {change.renamed_from!r} to {change.name!r}"


def _live_name(change: Change) -> str:
    return change.renamed_from or change.name


def annotate_plan(plan: Plan, list_agents: ListAgents) -> Plan:
    """The plan with `agents` (and a warning) on every delete or rename an agent depends
    on. The agents list is read only when there is such a change; if it cannot be read, the
    plan says so in its warnings."""
    changes = guarded(plan)
    if not changes:
        return plan
    try:
        agents = list_agents()
    except ApiError as exc:
        names = ", ".join(repr(_live_name(c)) for c in changes)
        warning = (
            f"could not read the agents list to check which agents use {names} ({exc}); "
            f"apply will refuse these changes unless {FLAG}"
        )
        return dataclasses.replace(plan, warnings=(*plan.warnings, warning))
    checked = {id(c) for c in changes}
    updated: list[Change] = []
    for change in plan.changes:
        if id(change) not in checked:
            updated.append(change)
            continue
        users = agents_using(agents, uuid=change.uuid, name=_live_name(change))
        if not users:
            updated.append(change)
            continue
        labels = ", ".join(u.label() for u in users)
        noun = "agent uses" if len(users) == 1 else f"{len(users)} agents use"
        warning = (
            f"IN USE: {noun} router {_live_name(change)!r}: {labels}; apply refuses to "
            f"{'delete' if change.action is Action.DELETE else 'rename'} it without {FLAG}"
        )
        updated.append(
            dataclasses.replace(
                change,
                agents=tuple({"uuid": u.uuid, "name": u.name} for u in users),
                warnings=(*change.warnings, warning),
            )
        )
    return dataclasses.replace(plan, changes=tuple(updated))


def refuse_in_use(plan: Plan, list_agents: ListAgents) -> None:
    """Raise ConfigError (exit 1, nothing applied) when a delete or rename in `plan` hits a
    router an agent uses, or when the agents list cannot be read to tell. Reads the agents
    list fresh: agents may have been attached since the plan was made."""
    changes = guarded(plan)
    if not changes:
        return
    try:
        agents = list_agents()
    except ApiError as exc:
        first = changes[0]
        more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
        raise ConfigError(
            f"refusing to {_what(first)}{more}: cannot read the agents list to check whether "
            f"an agent uses it ({exc}). Give the token read access to agents, or pass {FLAG} "
            "to apply without checking; nothing was applied"
        ) from None
    blocked = [
        (change, agents_using(agents, uuid=change.uuid, name=_live_name(change)))
        for change in changes
    ]
    blocked = [(c, users) for c, users in blocked if users]
    if not blocked:
        return
    parts = [f"{_what(c)}: used by {', '.join(u.label() for u in users)}" for c, users in blocked]
    raise ConfigError(
        f"refusing to {'; '.join(parts)}. Move the agents to another router first, or pass "
        f"{FLAG}; nothing was applied"
    )
