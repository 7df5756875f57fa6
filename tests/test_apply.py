"""apply_plan against a fake writer: order, bounded parallelism, stop on first failure,
deletes after writes, exit codes, and stale saved plans."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from routerctl.apply import ApplyResult, apply_plan, explain_drift, payload_for, stale_changes
from routerctl.errors import ApiStatusError, ApplyError, ExitCode, PlanError
from routerctl.models import LiveRouter, RouterSpec, TaskSpec
from routerctl.plan import Action, Change, Plan, fingerprint


def spec(name: str, fallback: str = "llama3.3-70b-instruct") -> RouterSpec:
    return RouterSpec(
        name=name,
        description=f"{name} router",
        tasks={"t": TaskSpec(description="do t", models=["m1", "m2"], prefer="cheapest")},
        fallback_models=[fallback],
    )


def live(name: str, uuid: str, fallback: str = "llama3.3-70b-instruct") -> LiveRouter:
    body = spec(name, fallback).api_payload()
    return LiveRouter.model_validate(
        {
            "uuid": uuid,
            "name": name,
            "description": body["description"],
            "config": {"policies": body["policies"], "fallback_models": body["fallback_models"]},
        }
    )


def create(name: str) -> Change:
    return Change(name=name, action=Action.CREATE, after=spec(name).state())


def update(name: str, uuid: str) -> Change:
    before = live(name, uuid, "old-model").to_spec().state()
    return Change(
        name=name,
        action=Action.UPDATE,
        uuid=uuid,
        before=before,
        after=spec(name).state(),
        fingerprint=fingerprint(uuid, before),
    )


def delete(name: str, uuid: str) -> Change:
    before = live(name, uuid).to_spec().state()
    return Change(
        name=name,
        action=Action.DELETE,
        uuid=uuid,
        before=before,
        fingerprint=fingerprint(uuid, before),
    )


class FakeWriter:
    """Records calls; fails on request; measures concurrency."""

    def __init__(self, fail: set[str] | None = None, gate: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail or set()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate = gate

    def _enter(self, verb: str, name: str) -> None:
        with self.lock:
            self.calls.append((verb, name))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.gate is not None:
            self.gate.wait(0.05)
        with self.lock:
            self.in_flight -= 1
        if name in self.fail:
            raise ApiStatusError(
                verb, f"/v2/gen-ai/models/routers/{name}", 500, message="boom", request_id="r-1"
            )

    def create_router(self, payload: dict[str, Any]) -> LiveRouter:
        self._enter("POST", payload["name"])
        return live(payload["name"], f"uuid-{payload['name']}")

    def update_router(self, uuid: str, payload: dict[str, Any]) -> LiveRouter:
        self._enter("PUT", payload["name"])
        return live(payload["name"], uuid)

    def delete_router(self, uuid: str) -> None:
        self._enter("DELETE", uuid)


def test_apply_runs_every_change_and_reports_each():
    plan = Plan(changes=(create("a"), update("b", "ub"), delete("c", "uc")))
    seen: list[str] = []
    result = apply_plan(plan, FakeWriter(), on_outcome=lambda o: seen.append(o.status))
    assert [(o.name, o.status) for o in result.outcomes] == [
        ("a", "created"),
        ("b", "updated"),
        ("c", "deleted"),
    ]
    assert sorted(seen) == ["created", "deleted", "updated"]
    assert result.exit_code is ExitCode.OK
    assert result.summary_line() == "Apply complete: 1 created, 1 updated, 1 deleted."


def test_update_sends_the_full_desired_body():
    writer = FakeWriter()
    apply_plan(Plan(changes=(update("b", "ub"),)), writer)
    assert payload_for(update("b", "ub")) == spec("b").api_payload()
    assert writer.calls == [("PUT", "b")]


def test_deletes_start_only_after_all_writes_finished():
    plan = Plan(changes=(create("a"), create("b"), delete("c", "uc")))
    writer = FakeWriter()
    apply_plan(plan, writer, parallelism=4)
    assert writer.calls[-1] == ("DELETE", "uc")


def test_parallelism_bounds_in_flight_calls():
    changes = tuple(create(f"r{i:02d}") for i in range(12))
    writer = FakeWriter(gate=threading.Event())
    apply_plan(Plan(changes=changes), writer, parallelism=3)
    assert writer.max_in_flight == 3
    assert len(writer.calls) == 12


def test_first_failure_stops_new_work_and_reports_partial():
    changes = tuple(create(f"r{i:02d}") for i in range(6))
    writer = FakeWriter(fail={"r01"})
    with pytest.raises(ApplyError) as caught:
        apply_plan(Plan(changes=(*changes, delete("old", "u-old"))), writer, parallelism=1)
    result: ApplyResult = caught.value.result
    statuses = [(o.name, o.status) for o in result.outcomes]
    assert statuses[:2] == [("r00", "created"), ("r01", "failed")]
    assert all(status == "skipped" for _, status in statuses[2:])
    assert ("DELETE", "u-old") not in writer.calls
    assert caught.value.exit_code is ExitCode.PARTIAL
    assert "boom" in (result.outcomes[1].error or "")
    assert "request id r-1" in (result.outcomes[1].error or "")
    assert str(caught.value).startswith("Apply stopped: 1 created, 0 updated, 0 deleted, 1 failed")


def test_failure_before_anything_applied_is_exit_1():
    writer = FakeWriter(fail={"a"})
    with pytest.raises(ApplyError) as caught:
        apply_plan(Plan(changes=(create("a"),)), writer)
    assert caught.value.exit_code is ExitCode.ERROR


def test_delete_of_already_gone_router_counts_as_done():
    class Gone(FakeWriter):
        def delete_router(self, uuid: str) -> None:
            raise ApiStatusError("DELETE", f"/v2/gen-ai/models/routers/{uuid}", 404)

    result = apply_plan(Plan(changes=(delete("c", "uc"),)), Gone())
    assert result.outcomes[0].status == "deleted"


def test_parallelism_must_be_positive():
    with pytest.raises(PlanError):
        apply_plan(Plan(changes=(create("a"),)), FakeWriter(), parallelism=0)


def test_stale_plan_detects_changed_created_and_vanished_routers():
    plan = Plan(changes=(create("new"), update("b", "ub"), delete("c", "uc")))
    # b changed live since the plan (its fallback differs from what the plan saw)
    now_live = [live("new", "u-new"), live("b", "ub", "someone-else"), live("x", "ux")]
    problems = stale_changes(plan, now_live)
    assert problems == [
        "new: now exists live (created since the plan)",
        "b: changed live since the plan was made: fallback_models[0] 'old-model' → 'someone-else'",
        "c: uuid uc no longer exists live",
    ]


def test_a_stale_plan_says_field_by_field_what_changed_live():
    before = {
        "name": "r",
        "description": "",
        "tasks": {"classify": {"description": "d", "models": ["a", "b"], "prefer": "none"}},
        "presets": {},
        "fallback_models": ["m"],
    }
    now = {
        **before,
        "tasks": {
            "classify": {"description": "d", "models": ["z", "b"], "prefer": "none"},
            "Code reviewer": {"description": "e", "models": ["q"], "prefer": "none"},
        },
        "fallback_models": ["m", "n"],
        "regions": ["tor1"],  # any key is named, not only the ones routerctl models
    }
    assert explain_drift(before, now, limit=10) == (
        "fallback_models[1] absent → 'n'; regions absent → ['tor1']; "
        "tasks['Code reviewer'] absent → {'description': 'e', 'models': ['q'], 'prefer': 'none'}; "
        "tasks['classify'].models[0] 'a' → 'z'"
    )
    assert explain_drift(before, now, limit=2).endswith("(and 2 more)")
    assert explain_drift(before, before) == ""


def test_fresh_plan_is_not_stale():
    plan = Plan(changes=(create("new"), update("b", "ub")))
    assert stale_changes(plan, [live("b", "ub", "old-model")]) == []
