"""The plan's routing preview: which test prompts of a changed router the routing predictor
sends to a different task under the desired config than under the live one.

Both sides are predicted with the same evidence (the router's test prompts as exemplars, each
case left out of its own prediction), so what moves is what the edit to names, descriptions
or tasks moved. A prediction: DigitalOcean's router decides with its own routing model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from routerctl.models import RoutingCase, spec_from_state
from routerctl.predict.base import Predictor, routing_table


def routing_preview(
    before: dict[str, Any],
    after: dict[str, Any],
    tests: Sequence[RoutingCase],
    predictor: Predictor,
) -> dict[str, Any]:
    """`before`/`after` are router states (RouterSpec.state()); the result is the plan's
    `routing_preview`: {"predictor", "cases", "moved": [{"prompt", "from", "to"}]}."""
    live = spec_from_state(before).model_copy(update={"tests": list(tests)})
    desired = spec_from_state(after).model_copy(update={"tests": list(tests)})
    live_table, desired_table = routing_table(live), routing_table(desired)
    moved: list[dict[str, str]] = []
    for case in tests:
        was = predictor.predict(live_table, case.prompt, case.system).task
        now = predictor.predict(desired_table, case.prompt, case.system).task
        if was != now:
            moved.append({"prompt": case.prompt, "from": was, "to": now})
    return {"predictor": predictor.name, "cases": len(tests), "moved": moved}
