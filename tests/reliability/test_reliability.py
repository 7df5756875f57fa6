"""The fault suite, once per scenario with fast settings (`make reliability` runs each N times
and records the table in bench/README.md). See scenarios.py for what every run checks.

Also here: the checks themselves are tested on made-up reports, so a checker that accepts
anything cannot make the suite pass.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from routerctl.client import RetryPolicy, RouterClient
from routerctl.errors import ApiStatusError


def _load_scenarios() -> ModuleType:
    # tests/ is not a package and pytest runs with --import-mode=importlib, so the sibling
    # module is loaded by path (bench/reliability.py does the same).
    name = "routerctl_reliability_scenarios"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("scenarios.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


scenarios = _load_scenarios()


@pytest.mark.e2e
@pytest.mark.parametrize("scenario", scenarios.SCENARIOS, ids=lambda s: s.name.replace(" ", "-"))
def test_scenario_reports_accurately_converges_and_leaves_guarded_routers(scenario):
    outcome = scenarios.run_scenario(scenario, fast=True)
    assert outcome.problems == (), f"{scenario.summary}:\n" + "\n".join(outcome.problems)
    assert outcome.converged
    assert outcome.duplicates == 0
    assert outcome.untouched
    assert outcome.rerun_code == 0
    if scenario.kind == "sigkill":
        assert outcome.apply_codes == (-9,)
    elif scenario.kind == "concurrent":
        assert len(outcome.apply_codes) == 2
        assert set(outcome.apply_codes) <= {0, 1, 3}
    else:
        assert outcome.plan_codes == (2,)


# --- the checks catch a lying report ------------------------------------------------------------


def _router(name: str, description: str = "d") -> dict[str, Any]:
    return {
        "uuid": f"uuid-{name}",
        "name": name,
        "description": description,
        "config": {"fallback_models": ["m"], "policies": []},
    }


def _state(description: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "tasks": {},
        "presets": {},
        "fallback_models": ["m"],
    }


def _run(code: int, outcomes: list[dict[str, Any]], committed: dict[str, int]) -> Any:
    counts = dict.fromkeys(("created", "updated", "deleted", "failed", "skipped"), 0)
    for outcome in outcomes:
        counts[outcome["status"]] += 1
    report = {
        "exit_code": code,
        "summary": counts,
        "outcomes": [{"error": None, **o} for o in outcomes],
    }
    return scenarios.Run("apply", (), code, json.dumps(report), "", 0.0, committed)


DESIRED = {"a": _state("new", "a"), "b": _state("new", "b")}
BEFORE = [_router("b", "old")]
AFTER = [_router("a", "new"), _router("b", "new")]
COMMITTED = {"create": 1, "update": 1, "delete": 0}
TRUE_OUTCOMES = [
    {"name": "a", "action": "create", "status": "created"},
    {"name": "b", "action": "update", "status": "updated"},
]


def check(run: Any, after: list[dict[str, Any]] = AFTER) -> list[str]:
    return scenarios.check_apply_report(run, BEFORE, after, DESIRED, tolerate_exhaustion=False)


def test_check_apply_report_accepts_a_true_report():
    assert check(_run(0, TRUE_OUTCOMES, COMMITTED)) == []


def test_check_apply_report_catches_a_create_that_did_not_happen():
    problems = check(_run(0, TRUE_OUTCOMES, COMMITTED), after=[_router("b", "new")])
    assert "apply: a reported created but is not as desired" in problems


def test_check_apply_report_catches_a_skipped_router_that_changed():
    outcomes = [TRUE_OUTCOMES[0], {"name": "b", "action": "update", "status": "skipped"}]
    problems = check(_run(3, outcomes, COMMITTED))
    assert "apply: b reported skipped but changed live" in problems


def test_check_apply_report_catches_the_wrong_exit_code():
    outcomes = [TRUE_OUTCOMES[0], {"name": "b", "action": "update", "status": "failed"}]
    problems = check(_run(1, outcomes, COMMITTED), after=[_router("a", "new"), BEFORE[0]])
    assert any("exit 1 for summary" in p and "(documented 3)" in p for p in problems)


def test_check_apply_report_catches_an_unreported_create():
    committed = {**COMMITTED, "create": 2}  # a duplicate POST went through
    problems = check(_run(0, TRUE_OUTCOMES, committed))
    assert "apply: the emulator committed 2 creates, the report accounts for 1" in problems


def test_check_apply_report_catches_a_change_outside_the_report():
    after = [*copy.deepcopy(AFTER), _router("c")]
    problems = check(_run(0, TRUE_OUTCOMES, COMMITTED), after=after)
    assert "apply: c changed live but is not in the report" in problems


def test_check_output_catches_the_token_and_tracebacks():
    run = scenarios.Run(
        "plan", (), 1, "", f"Traceback ...\nBearer {scenarios.TOKEN}", 0.0, COMMITTED
    )
    assert scenarios.check_output(run) == [
        "plan: traceback in output",
        "plan: a secret appears in the output",
    ]


# --- pacing during a 429 storm ------------------------------------------------------------------


def test_a_429_with_retry_after_never_makes_other_threads_wait_for_ratelimit_reset():
    reset = str(int(time.time()) + 60)

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"retry-after": "1", "ratelimit-remaining": "0", "ratelimit-reset": reset}
        return httpx.Response(429, headers=headers, json={"id": "too_many_requests"})

    turns: list[Any] = []
    client: RouterClient

    def wall_clock() -> float:
        # Runs inside _send_once between the slot's release and the retry-after block: the
        # moment another worker thread may ask for its turn.
        if sys._getframe(1).f_code.co_name == "_send_once" and not turns:
            turn = client._limiter.acquire()
            if turn.reserved:  # that thread's request, answered at once
                client._limiter.release(None)
            turns.append(turn)
        return time.time()

    client = RouterClient(
        token="t",
        base_url="http://routerctl.test",
        transport=httpx.MockTransport(answer),
        wall_clock=wall_clock,
        retry=RetryPolicy(max_attempts=1),
    )
    with client, pytest.raises(ApiStatusError):
        client.get_router("u-1")
    assert len(turns) == 1
    assert turns[0].wait <= 1.5, turns[0]
