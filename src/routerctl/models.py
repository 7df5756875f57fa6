"""Pydantic types: the desired router (strict, from YAML), the API's router shape (lenient),
project settings, and the one normalisation both sides go through before they are compared.

Structural rules (types, unknown keys, enums) live here; semantic rules that may be warnings
(name pattern, pool sizes, similar descriptions) live in spec.py so imported routers with odd
live values can still be represented. This module does no I/O.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from routerctl.errors import ApiResponseError

Prefer = Literal["none", "cheapest", "fastest"]
PREFER_VALUES: tuple[str, ...] = ("none", "cheapest", "fastest")

FALLBACK_ROUTE = "fallback"  # the value of x-model-router-selected-route when no task matched
ROUTERS_PATH = "/v2/gen-ai/models/routers"


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Shell-style glob match of a router name (prune scope, protect lists)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


@dataclass(frozen=True)
class RouteReply:
    """What the inference endpoint said about one request (the client builds it, the routing
    tests judge it; it lives here so loading the transport does not load the test runner)."""

    route: str | None  # x-model-router-selected-route
    model: str | None  # the body's `model`: who served it
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0


class StrictModel(BaseModel):
    """Desired-state models: a typo in a key is an error, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _one_or_many(schema: dict[str, Any]) -> None:
    """JSON Schema for a field that takes one string or a list (the validator turns a string
    into a one-item list), so editors flag neither spelling."""
    schema.pop("type", None)
    schema.pop("items", None)
    schema["anyOf"] = [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]


class TaskSpec(StrictModel):
    """A custom task: the description is what the routing model matches prompts against."""

    description: str
    models: list[str]
    prefer: Prefer = "none"


class PresetSpec(StrictModel):
    """A built-in task, identified by its `task_slug` (the key under `presets:`)."""

    models: list[str]
    prefer: Prefer = "none"


TESTS_FILE_KEYS = ("tests", "max_completion_tokens")  # a mapping-form tests file


class RoutingCase(StrictModel):
    """A labelled prompt for `routerctl test`: it must reach `expect_task`."""

    prompt: str
    system: str | None = None
    expect_task: str  # a task key, a preset slug, or "fallback"
    expect_model_in: list[str] | None = None
    # Sent as `max_completion_tokens` (DigitalOcean documents `max_tokens` as deprecated);
    # None: no cap is sent. A tests file's top-level `max_completion_tokens` sets it for its
    # cases; `routerctl test --max-tokens N` overrides both.
    max_completion_tokens: int | None = Field(default=None, ge=1)

    @staticmethod
    def read_tests_file(data: object) -> tuple[Any, tuple[str | int, ...], list[tuple[str, str]]]:
        """A `<router>.tests.yaml` document (a list of cases, or a mapping with `tests:` and
        `max_completion_tokens`): its cases, with the file's cap filled into those that set
        none; where they are; and problems with the file's own keys as (key, message)."""
        if not isinstance(data, dict):
            return data, (), []
        allowed = ", ".join(TESTS_FILE_KEYS)
        problems = [
            (str(key), f"unknown key {key!r}; allowed: {allowed}")
            for key in data
            if key not in TESTS_FILE_KEYS
        ]
        cases, cap = data.get("tests"), data.get("max_completion_tokens")
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            problems.append(("max_completion_tokens", f"must be a positive integer, got {cap!r}"))
        elif cap is not None and isinstance(cases, list):
            cases = [
                {"max_completion_tokens": cap, **case} if isinstance(case, dict) else case
                for case in cases
            ]
        return cases, ("tests",), problems


class RouterSpec(StrictModel):
    """One router as declared in a file under routers/."""

    name: str
    description: str = ""
    tasks: dict[str, TaskSpec] = Field(default_factory=dict)
    presets: dict[str, PresetSpec] = Field(default_factory=dict)
    fallback_models: list[str]
    renamed_from: list[str] = Field(default_factory=list, json_schema_extra=_one_or_many)
    protect: bool = False
    tests: list[RoutingCase] = Field(default_factory=list)

    @field_validator("renamed_from", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    def state(self) -> dict[str, Any]:
        """The fields the API stores, in canonical form: what plans compare.

        Local-only keys (renamed_from, protect, tests) are left out, so changing them never
        shows as a change to the live router.
        """
        return {
            "name": self.name,
            "description": self.description,
            "tasks": {
                key: {"description": t.description, "models": list(t.models), "prefer": t.prefer}
                for key, t in sorted(self.tasks.items())
            },
            "presets": {
                slug: {"models": list(p.models), "prefer": p.prefer}
                for slug, p in sorted(self.presets.items())
            },
            "fallback_models": list(self.fallback_models),
        }

    def api_payload(self) -> dict[str, Any]:
        """The full create/update body. PUT always sends everything: the API does not document
        merge semantics, so a full body is the only one whose result we can predict."""
        policies: list[dict[str, Any]] = [
            {
                "custom_task": {"name": key, "description": t.description},
                "models": list(t.models),
                "selection_policy": {"prefer": t.prefer},
            }
            for key, t in self.tasks.items()
        ]
        policies += [
            {
                "task_slug": slug,
                "models": list(p.models),
                "selection_policy": {"prefer": p.prefer},
            }
            for slug, p in self.presets.items()
        ]
        return {
            "name": self.name,
            "description": self.description,
            "policies": policies,
            "fallback_models": list(self.fallback_models),
        }


def live_task(description: str, models: list[str], prefer: str) -> TaskSpec:
    """A custom task as the API holds it. A `prefer` routerctl does not know ("optimal"?)
    is kept as is, unvalidated, so plans can show and compare it; files can never hold one
    (the schema's enum rejects it)."""
    if prefer in PREFER_VALUES:
        return TaskSpec(description=description, models=models, prefer=prefer)  # type: ignore[arg-type]
    return TaskSpec.model_construct(description=description, models=models, prefer=prefer)  # type: ignore[arg-type]  # kept unvalidated on purpose


def live_preset(models: list[str], prefer: str) -> PresetSpec:
    """A preset task as the API holds it (see live_task)."""
    if prefer in PREFER_VALUES:
        return PresetSpec(models=models, prefer=prefer)  # type: ignore[arg-type]
    return PresetSpec.model_construct(models=models, prefer=prefer)  # type: ignore[arg-type]  # as above


# The router's fields, in file order, defined once by RouterSpec itself. LOCAL_FIELDS never
# reach the API (so changing them is never a live change); STATE_FIELDS are what plans compare.
ROUTER_FIELDS: tuple[str, ...] = tuple(RouterSpec.model_fields)
LOCAL_FIELDS: tuple[str, ...] = ("renamed_from", "protect", "tests")
STATE_FIELDS: tuple[str, ...] = tuple(f for f in ROUTER_FIELDS if f not in LOCAL_FIELDS)


def spec_from_state(state: dict[str, Any]) -> RouterSpec:
    """Inverse of RouterSpec.state(): used to rebuild specs from saved plans. A live
    router's state may carry a `prefer` routerctl does not know; it is kept as is."""
    data = dict(state)
    data["tasks"] = {
        key: live_task(
            str(t.get("description", "")), list(t.get("models", [])), str(t.get("prefer", "none"))
        )
        for key, t in (state.get("tasks") or {}).items()
    }
    data["presets"] = {
        slug: live_preset(list(p.get("models", [])), str(p.get("prefer", "none")))
        for slug, p in (state.get("presets") or {}).items()
    }
    return RouterSpec.model_validate(data, strict=False)


# --- The API's shape (lenient: unknown fields are ignored, server fields optional) ---------


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LiveCustomTask(ApiModel):
    name: str = ""
    description: str | None = None


class LiveSelectionPolicy(ApiModel):
    prefer: str | None = None


class LivePolicy(ApiModel):
    task_slug: str | None = None
    custom_task: LiveCustomTask | None = None
    models: list[str] | None = None
    selection_policy: LiveSelectionPolicy | None = None


class LiveConfig(ApiModel):
    fallback_models: list[str] | None = None
    policies: list[LivePolicy] | None = None


class LiveRouter(ApiModel):
    """`apiModelRouter` as GET returns it; list items may lack `config` (summaries)."""

    uuid: str
    name: str
    description: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    regions: list[str] | None = None
    config: LiveConfig | None = None

    @property
    def has_config(self) -> bool:
        return self.config is not None

    def to_spec(self, *, keep_taskless: bool = True) -> RouterSpec:
        """Normalise to the desired-state type: server-owned fields dropped, defaults explicit
        (`prefer` missing ≡ `none`, description missing ≡ ""), task_slug vs custom task kept
        distinct. Values routerctl does not know are kept as they are (see `oddities`): a
        `prefer` it does not know, a policy with both task_slug and custom_task (read as the
        custom task) and, with `keep_taskless`, a policy with neither (kept under a
        placeholder task key so a plan shows that apply would remove it). Raises
        ApiResponseError only for shapes that cannot be represented at all (two tasks with
        one name)."""
        where = f"{ROUTERS_PATH}/{self.uuid}"
        config = self.config or LiveConfig()
        tasks: dict[str, TaskSpec] = {}
        presets: dict[str, PresetSpec] = {}
        for index, policy in enumerate(config.policies or []):
            prefer = (policy.selection_policy.prefer if policy.selection_policy else None) or "none"
            models = list(policy.models or [])
            if policy.custom_task is not None and policy.custom_task.name:
                key = policy.custom_task.name
                if key in tasks:
                    raise ApiResponseError(
                        "GET",
                        where,
                        200,
                        f"router {self.name!r} has two custom tasks named {key!r}",
                    )
                tasks[key] = live_task(policy.custom_task.description or "", models, prefer)
            elif policy.task_slug:
                if policy.task_slug in presets:
                    raise ApiResponseError(
                        "GET",
                        where,
                        200,
                        f"router {self.name!r} lists preset {policy.task_slug!r} twice",
                    )
                presets[policy.task_slug] = live_preset(models, prefer)
            elif keep_taskless:
                tasks[taskless_key(index)] = live_task("", models, prefer)
        return RouterSpec(
            name=self.name,
            description=self.description or "",
            tasks=tasks,
            presets=presets,
            fallback_models=list(config.fallback_models or []),
        )

    def oddities(self) -> list[str]:
        """What this router holds that routerctl does not know or cannot write back as is,
        one sentence each (empty for a router in the documented shape)."""
        out: list[str] = []
        for index, policy in enumerate((self.config or LiveConfig()).policies or []):
            task = policy_label(policy, index)
            prefer = policy.selection_policy.prefer if policy.selection_policy else None
            if prefer and prefer not in PREFER_VALUES:
                out.append(
                    f"router {self.name!r} {task} has selection policy {prefer!r}, which is "
                    f"not a documented value ({', '.join(PREFER_VALUES)}); shown as is"
                )
            has_custom = policy.custom_task is not None and bool(policy.custom_task.name)
            if has_custom and policy.task_slug:
                out.append(
                    f"router {self.name!r} {task} sets both custom_task and task_slug "
                    f"{policy.task_slug!r}; routerctl reads it as the custom task"
                )
            elif not has_custom and not policy.task_slug:
                out.append(
                    f"router {self.name!r} policy {index + 1} has neither task_slug nor "
                    f"custom_task; shown as task {taskless_key(index)!r}, which apply removes"
                )
        return out


def taskless_key(index: int) -> str:
    """The task key a live policy without any task is shown under (never a valid file key
    a user would write: it names the position)."""
    return f"(policy {index + 1} without a task)"


def policy_label(policy: LivePolicy, index: int) -> str:
    if policy.custom_task is not None and policy.custom_task.name:
        return f"task {policy.custom_task.name!r}"
    if policy.task_slug:
        return f"preset {policy.task_slug!r}"
    return f"policy {index + 1}"


# --- Project settings (routerctl.yaml) ---------------------------------------------------


class PruneSettings(StrictModel):
    """Which live routers routerctl may delete (`scope`) and which it never may (`protect`).

    Both are lists of shell-style globs matched against router names. `protect` lives here, not
    only in router files, so that protection survives deleting the router's file.
    """

    scope: list[str] = Field(default_factory=list)
    protect: list[str] = Field(default_factory=list)


class EnvironmentSettings(StrictModel):
    """One deployment target (e.g. staging, prod) of the same router files."""

    api_url: str | None = None
    name_prefix: str = ""
    name_suffix: str = ""
    overlays: str | None = None  # directory of overlay files, relative to routerctl.yaml
    prune: PruneSettings | None = None
    token_env: str | None = None  # name of the env var that holds this environment's token


class ProjectSettings(StrictModel):
    """routerctl.yaml. Every key is optional; unknown keys are errors."""

    dir: str = "routers"
    prune: PruneSettings = Field(default_factory=PruneSettings)
    environments: dict[str, EnvironmentSettings] = Field(default_factory=dict)
    traffic: dict[str, Any] | None = None  # parsed by cost.py's profile model
    parallelism: int | None = None


# --- Traffic profile (routerctl cost) ---------------------------------------------------
# The `traffic:` block of routerctl.yaml (or a --profile file); cost.py documents the shape and
# does the arithmetic. Token counts and requests are floats because they are averages.


# Traffic figures are bounded and finite: `requests_per_month: .inf` would price at infinity,
# and no real profile comes near 10**15 of anything.
MAX_TRAFFIC = 1e15


class TaskTraffic(StrictModel):
    """How one task (or the fallback route) is used.

    `share` is calls to this task per router request (per unit of work, e.g. per ticket): 1.0
    when every request fires it, 0.2 for an escalation on one ticket in five; above 1 when a
    request calls it more than once. Token counts are averages per call; missing ones come from
    the router's defaults.
    """

    share: float = Field(default=1.0, ge=0, le=MAX_TRAFFIC, allow_inf_nan=False)
    input_tokens: float | None = Field(default=None, ge=0, le=MAX_TRAFFIC, allow_inf_nan=False)
    output_tokens: float | None = Field(default=None, ge=0, le=MAX_TRAFFIC, allow_inf_nan=False)


class RouterTraffic(StrictModel):
    """One router's monthly volume, its per-task traffic, and default token counts."""

    requests_per_month: float = Field(ge=0, le=MAX_TRAFFIC, allow_inf_nan=False)
    # Defaults for calls that don't give their own; declared before `tasks` and `fallback` so
    # the validator below can see them.
    input_tokens: float | None = Field(default=None, ge=0, le=MAX_TRAFFIC, allow_inf_nan=False)
    output_tokens: float | None = Field(default=None, ge=0, le=MAX_TRAFFIC, allow_inf_nan=False)
    tasks: dict[str, TaskTraffic] = Field(default_factory=dict)  # task keys and preset slugs
    fallback: TaskTraffic | None = None  # requests no task matched (served by fallback_models)

    @field_validator("tasks", "fallback")
    @classmethod
    def _every_call_has_tokens(cls, value: Any, info: Any) -> Any:
        # Checked here so a profile that cannot be costed fails when it is read, naming the task,
        # instead of surfacing later as a missing number in the middle of an estimate.
        calls = {"fallback": value} if isinstance(value, TaskTraffic) else dict(value or {})
        for key, call in calls.items():
            for kind in ("input_tokens", "output_tokens"):
                if getattr(call, kind) is None and info.data.get(kind) is None:
                    raise ValueError(f"{key!r} has no {kind} and the router sets no default {kind}")
        return value

    @model_validator(mode="after")
    def _fallback_only_has_tokens(self) -> RouterTraffic:
        # Without tasks or `fallback:`, all of it is costed on the fallback models (a
        # fallback-only router), which needs token counts: never a silent $0.
        if (
            not self.tasks
            and self.fallback is None
            and None
            in (
                self.input_tokens,
                self.output_tokens,
            )
        ):
            raise ValueError(
                "no `tasks:` or `fallback:` traffic, so every request is costed on the fallback "
                "models: set input_tokens and output_tokens"
            )
        return self

    def tokens(self, call: TaskTraffic) -> tuple[float, float]:
        """(input, output) tokens of one call, with the router's defaults filled in."""
        input_tokens = call.input_tokens if call.input_tokens is not None else self.input_tokens
        output_tokens = call.output_tokens if call.output_tokens is not None else self.output_tokens
        # The validator above guarantees both are set for calls that belong to this router.
        return (input_tokens or 0.0, output_tokens or 0.0)


class TrafficProfile(StrictModel):
    """The whole profile: traffic per router name (as in the router files, before any
    environment prefix), and an optional latency table used by `prefer: fastest`."""

    routers: dict[str, RouterTraffic] = Field(default_factory=dict)
    latency_ms: dict[str, float] | None = None  # model id -> typical latency in milliseconds

    @field_validator("latency_ms")
    @classmethod
    def _latency_not_negative(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for model, ms in (value or {}).items():
            if not math.isfinite(ms) or ms > MAX_TRAFFIC:
                raise ValueError(f"latency of {model!r} is not a finite number of ms")
            if ms < 0:
                raise ValueError(f"latency of {model!r} is negative ({ms})")
        return value
