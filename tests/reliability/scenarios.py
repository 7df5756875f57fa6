"""Fault-injection scenarios for `routerctl plan` and `routerctl apply`, shared by
tests/reliability/test_reliability.py (each scenario once, fast settings) and
bench/reliability.py (`make reliability`: every scenario N times, a summary table).

Each run starts its own emulator on a free loopback port and a project directory of 50 router
files. The live side starts with 10 of them drifted (updates), 5 identical, 5 in-scope routers
that have no file (deletes under --prune), one protected router inside the prune scope and two
routers of another team outside it. Then, with the scenario's faults switched on:

1. `routerctl plan --detailed-exitcode --prune` must exit 2 with the exact plan summary (or 1
   with a one-line error if the client's retries ran out), and write nothing;
2. `routerctl apply --auto-approve --prune --format json` must exit with the code its own
   report implies (0 all done, 3 partly done, 1 nothing done), and the report must match the
   emulator: every router it calls created/updated/deleted is so, every skipped router is
   untouched, and the emulator's committed creates/deletes equal the reported ones.

Faults off, the run is repeated (`apply`, text report) and must exit 0, and then
`plan --detailed-exitcode --prune` must exit 0 (converged). Throughout: no two live routers
share a name, the protected and out-of-scope routers are byte-for-byte what they were, no
output contains a traceback or the API token.

routerctl runs as real subprocesses (`python -m routerctl`), so exit codes, SIGKILL and two
concurrent applies are real. Two harness shortcuts keep runs to seconds, both confined to this
process or to one scenario:

- The read-timeout scenario runs the CLI through a two-line shim that lowers RouterClient's
  default timeout from 30 s to 1 s: the CLI has no --timeout flag (see TIMEOUT_SHIM).
- `ROUTERCTL_LIST_SETTLE=1`: the emulator's list is never late here, so a lost create is
  looked for for 1 s before it is sent again, not 10 s.
- The 429-without-Retry-After scenario shortens the emulator's rate-limit windows (the burst
  minute and the quota hour) to 1 s (`ratelimit.WINDOW_SECONDS`, `QUOTA_WINDOW_SECONDS`, in
  this process only): without Retry-After a client must wait for `ratelimit-reset`, which the
  emulator puts where the oldest request leaves the quota window.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routerctl.emulator import Emulator, FaultPlan
from routerctl.emulator import ratelimit as emulator_ratelimit
from routerctl.models import LiveRouter

# The same values as tests/conftest.py: the secrets scan looks for exactly these.
TOKEN = "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000"
MODEL_KEY = "sk-do-m0de1acce55key00000000000000000000"

ROUTERS = "/v2/gen-ai/models/routers"
ROUTER_COUNT = 50
DRIFTED = range(10)  # live, with another description and fallback order: updates
IDENTICAL = range(10, 15)  # live and equal to the file: no change
STALE = tuple(f"app-old-{i}" for i in range(5))  # in scope, no file: deleted with --prune
PROTECTED = "app-keep"  # in scope but protected: never touched
OUTSIDE = ("other-team-a", "other-team-b")  # outside the prune scope: never touched
EXPECTED_PLAN = "Plan: 35 to create, 10 to update, 5 to delete."
SUBPROCESS_TIMEOUT = 90.0  # seconds; a hung run fails the scenario instead of the whole suite

MODELS = (
    "openai-gpt-5-nano",
    "llama3.3-70b-instruct",
    "anthropic-claude-haiku-4.5",
    "anthropic-claude-sonnet-4.6",
    "deepseek-v3.2",
    "openai-gpt-oss-120b",
)
PREFERS = ("none", "cheapest", "fastest")

# The CLI has no --timeout flag and RouterClient waits 30 s for a response by default; this
# runs the real CLI with that default at 1 s so a read-timeout scenario takes seconds.
SHIM_TIMEOUT_SECONDS = 1.0
TIMEOUT_SHIM = (
    "import routerctl.client as c\n"
    f"c.RouterClient.__init__.__kwdefaults__['timeout'] = {SHIM_TIMEOUT_SECONDS}\n"
    "from routerctl.cli import main\n"
    "main()"
)


# --- the project ------------------------------------------------------------------------------


def router_name(index: int) -> str:
    return f"app-{index:02d}"


def router_yaml(index: int) -> str:
    """A router file with two custom tasks (one with a free-text name) and one preset."""
    m = MODELS
    return (
        f"name: {router_name(index)}\n"
        f"description: Support router {index}; routes tickets to the cheapest able model.\n"
        "tasks:\n"
        "  classify_ticket:\n"
        "    description: Categorize short support messages into issue types.\n"
        f"    models: [{m[index % 6]}, {m[(index + 1) % 6]}]\n"
        f"    prefer: {PREFERS[index % 3]}\n"
        "  Draft a reply:\n"
        "    description: Write a short, polite customer-facing answer to the ticket.\n"
        f"    models: [{m[(index + 2) % 6]}, {m[(index + 3) % 6]}, {m[(index + 4) % 6]}]\n"
        "presets:\n"
        "  summarization:\n"
        f"    models: [{m[(index + 5) % 6]}]\n"
        f"fallback_models: [{m[(index + 1) % 6]}, {m[(index + 4) % 6]}]\n"
    )


def _payload(name: str, description: str, fallback: Sequence[str]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "policies": [
            {"task_slug": "translation", "models": ["llama3.3-70b-instruct"]},
        ],
        "fallback_models": list(fallback),
    }


def write_project(root: Path) -> None:
    (root / "routers").mkdir(parents=True)
    (root / "routerctl.yaml").write_text(
        f"prune:\n  scope: ['app-*']\n  protect: [{PROTECTED}]\n", encoding="utf-8"
    )
    for index in range(ROUTER_COUNT):
        (root / "routers" / f"{router_name(index)}.yaml").write_text(
            router_yaml(index), encoding="utf-8"
        )


def desired_states(root: Path) -> dict[str, dict[str, Any]]:
    from routerctl.spec import collect_routers

    result = collect_routers([root / "routers"])
    if result.errors:
        raise AssertionError(f"the generated router files are invalid: {result.errors[0]}")
    return {spec.name: spec.state() for spec in result.specs}


def seed_live(emulator: Emulator, desired: dict[str, dict[str, Any]]) -> None:
    """The live side before the first run (see the module docstring)."""
    from routerctl.models import spec_from_state

    for index in IDENTICAL:
        emulator.put_router(spec_from_state(desired[router_name(index)]).api_payload())
    for index in DRIFTED:
        body = spec_from_state(desired[router_name(index)]).api_payload()
        body["description"] = "Edited by hand in the control panel."
        body["fallback_models"] = list(reversed(body["fallback_models"]))
        emulator.put_router(body)
    for name in (*STALE, PROTECTED, *OUTSIDE):
        emulator.put_router(_payload(name, f"{name} (not in the files)", MODELS[:2]))


# --- running the CLI --------------------------------------------------------------------------


@dataclass
class Run:
    """One finished CLI subprocess."""

    label: str
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float
    committed: dict[str, int]  # emulator write commits while it ran (creates/updates/deletes)


def cli_env(url: str, cache_dir: Path) -> dict[str, str]:
    """The parent's environment without any real DigitalOcean/routerctl settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DIGITALOCEAN_", "ROUTERCTL_", "MODEL_ACCESS_KEY", "GRADIENT_"))
    }
    env.update(
        DIGITALOCEAN_API_URL=url,
        DIGITALOCEAN_TOKEN=TOKEN,
        ROUTERCTL_CACHE_DIR=str(cache_dir),
        NO_COLOR="1",
        # This emulator lists a router as soon as it exists: 1 s of looking for a lost create
        # (settle.py; 10 s by default) is plenty here. The lagging list: tests/journeys.
        ROUTERCTL_LIST_SETTLE="1",
    )
    return env


def _committed(emulator: Emulator) -> dict[str, int]:
    stats = emulator.stats
    return {k: stats[f"{k}s_committed"] for k in ("create", "update", "delete")}


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


class Harness:
    """One scenario run's emulator, project directory and subprocess plumbing."""

    def __init__(self, emulator: Emulator, root: Path, *, shim: bool = False) -> None:
        self.emulator = emulator
        self.root = root
        self.env = cli_env(emulator.url, root / ".cache")
        self.command = (
            [sys.executable, "-c", TIMEOUT_SHIM] if shim else [sys.executable, "-m", "routerctl"]
        )
        self.runs: list[Run] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*self.command, *args],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )

    def finish(
        self,
        label: str,
        args: Sequence[str],
        proc: subprocess.Popen[str],
        started: float,
        before: dict[str, int],
    ) -> Run:
        try:
            stdout, stderr = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            stderr += f"\n[harness] killed after {SUBPROCESS_TIMEOUT:g} s"
        run = Run(
            label,
            tuple(args),
            proc.returncode,
            stdout,
            stderr,
            time.monotonic() - started,
            _delta(_committed(self.emulator), before),
        )
        self.runs.append(run)
        return run

    def run(self, label: str, *args: str) -> Run:
        before = _committed(self.emulator)
        started = time.monotonic()
        return self.finish(label, args, self.start(*args), started, before)

    def live(self) -> list[dict[str, Any]]:
        return self.emulator.routers()


# --- checks -----------------------------------------------------------------------------------

APPLY_ARGS = ("apply", "--auto-approve", "--prune")
PLAN_ARGS = ("plan", "--detailed-exitcode", "--prune")
# A failed outcome may still have taken effect when the client says it cannot know.
_UNCERTAIN = ("gave up", "is unknown", "may have been carried out")
_SUMMARY = re.compile(r"Apply complete: (\d+) created, (\d+) updated, (\d+) deleted\.")


def by_name(routers: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for router in routers:
        out.setdefault(router["name"], []).append(router)
    return out


def live_state(router: dict[str, Any]) -> dict[str, Any]:
    return LiveRouter.model_validate(router).to_spec().state()


def duplicates(routers: Sequence[dict[str, Any]]) -> list[str]:
    counts = Counter(r["name"] for r in routers)
    return sorted(name for name, n in counts.items() if n > 1)


def check_output(run: Run) -> list[str]:
    """Problems every run must not have: tracebacks, the token, a multi-line error."""
    problems = []
    text = run.stdout + run.stderr
    if "Traceback" in text:
        problems.append(f"{run.label}: traceback in output")
    if TOKEN in text or MODEL_KEY in text:
        problems.append(f"{run.label}: a secret appears in the output")
    return problems


def _one_line_error(run: Run) -> list[str]:
    """Exit 1 without a report: the last stderr line is the single `routerctl: ...` line."""
    lines = [line for line in run.stderr.splitlines() if line.startswith("routerctl:")]
    if len(lines) != 1:
        return [f"{run.label}: exit {run.code} with {len(lines)} 'routerctl:' error lines"]
    return []


def check_plan(run: Run, *, expect: str = EXPECTED_PLAN, tolerate_exhaustion: bool) -> list[str]:
    """A plan under faults: exit 2 with the exact summary, or a one-line give-up error."""
    problems = check_output(run)
    if any(run.committed.values()):
        problems.append(f"{run.label}: plan wrote to the API: {run.committed}")
    if run.code == 2:
        if expect not in run.stdout:
            problems.append(f"{run.label}: plan summary is not {expect!r}")
    elif run.code == 1 and tolerate_exhaustion and "gave up" in run.stderr.lower():
        problems += _one_line_error(run)
    else:
        problems.append(f"{run.label}: exit {run.code}; stderr: {_tail(run.stderr)}")
    return problems


def expected_exit(summary: dict[str, int]) -> int:
    """The documented exit code for an apply result: 0 all done, 3 partly, 1 nothing."""
    done = summary["created"] + summary["updated"] + summary["deleted"]
    if not summary["failed"] and not summary["skipped"]:
        return 0
    return 3 if done else 1


def check_apply_report(
    run: Run,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    desired: dict[str, dict[str, Any]],
    *,
    tolerate_exhaustion: bool,
) -> list[str]:
    """`apply --format json` under faults: the report must say exactly what happened."""
    problems = check_output(run)
    try:
        report = json.loads(run.stdout) if run.stdout.strip() else None
    except ValueError:
        return [*problems, f"{run.label}: stdout is not the JSON report"]
    if report is None:
        # Nothing applied (the plan could not be made): one error line, no write.
        if run.code != 1 or any(run.committed.values()):
            problems.append(f"{run.label}: exit {run.code} without a report, {run.committed}")
        if not (tolerate_exhaustion and "gave up" in run.stderr.lower()):
            problems.append(f"{run.label}: failed before applying: {_tail(run.stderr)}")
        return problems + _one_line_error(run)

    outcomes = report["outcomes"]
    counted = Counter(o["status"] for o in outcomes)
    summary = report["summary"]
    if any(summary[k] != counted.get(k, 0) for k in summary):
        problems.append(f"{run.label}: summary {summary} does not count the outcomes")
    want = expected_exit(summary)
    if run.code != want or report["exit_code"] != want:
        problems.append(f"{run.label}: exit {run.code} for summary {summary} (documented {want})")
    if run.code != 0:
        if not tolerate_exhaustion:
            problems.append(f"{run.label}: apply did not finish: {_tail(run.stderr)}")
        else:
            failed = [o for o in outcomes if o["status"] == "failed"]
            if not all("gave up" in (o["error"] or "").lower() for o in failed):
                problems.append(f"{run.label}: a failure other than exhausted retries: {failed}")

    old, new = by_name(before), by_name(after)
    reported: set[str] = set()
    creates = deletes = 0
    for outcome in outcomes:
        name, status = outcome["name"], outcome["status"]
        reported.add(name)
        was, now = old.get(name, []), new.get(name, [])
        changed = was != now
        if status in ("created", "updated"):
            if len(now) != 1 or live_state(now[0]) != desired[name]:
                problems.append(f"{run.label}: {name} reported {status} but is not as desired")
        elif status == "deleted":
            if now:
                problems.append(f"{run.label}: {name} reported deleted but is still live")
        elif status == "skipped":
            if changed:
                problems.append(f"{run.label}: {name} reported skipped but changed live")
        elif (
            status == "failed"
            and changed
            and not any(word in (outcome["error"] or "").lower() for word in _UNCERTAIN)
        ):
            problems.append(f"{run.label}: {name} reported failed but changed live")
        creates += status == "created" or (
            status == "failed" and outcome["action"] == "create" and bool(now)
        )
        deletes += status == "deleted" or (
            status == "failed" and outcome["action"] == "delete" and not now
        )
    if run.committed["create"] != creates:
        problems.append(
            f"{run.label}: the emulator committed {run.committed['create']} creates, "
            f"the report accounts for {creates}"
        )
    if run.committed["delete"] != deletes:
        problems.append(
            f"{run.label}: the emulator committed {run.committed['delete']} deletes, "
            f"the report accounts for {deletes}"
        )
    if run.committed["update"] < counted.get("updated", 0):
        problems.append(f"{run.label}: fewer updates committed than reported")
    for name in sorted(set(old) | set(new)):
        if name not in reported and old.get(name) != new.get(name):
            problems.append(f"{run.label}: {name} changed live but is not in the report")
    return problems


def check_rerun(run: Run) -> list[str]:
    """The fault-free re-run: exit 0, and its text summary equals what it committed."""
    problems = check_output(run)
    if run.code != 0:
        return [*problems, f"{run.label}: exit {run.code}: {_tail(run.stderr)}"]
    found = _SUMMARY.search(run.stdout)
    if found is None:
        if "No changes." not in run.stdout:
            problems.append(f"{run.label}: neither a summary nor 'No changes.'")
        counts = (0, 0, 0)
    else:
        counts = tuple(int(n) for n in found.groups())  # type: ignore[assignment]
    created, updated, deleted = counts
    if (run.committed["create"], run.committed["delete"]) != (created, deleted):
        problems.append(
            f"{run.label}: summary says {created} created / {deleted} deleted, "
            f"the emulator committed {run.committed}"
        )
    if run.committed["update"] != updated:
        problems.append(f"{run.label}: summary says {updated} updated, {run.committed}")
    return problems


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


# --- scenarios --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One run of one scenario."""

    scenario: str
    plan_codes: tuple[int, ...]
    apply_codes: tuple[int, ...]  # the faulted apply(s); -9 = killed with SIGKILL
    rerun_code: int
    converged: bool
    duplicates: int
    untouched: bool  # protected and out-of-scope routers byte-for-byte unchanged
    problems: tuple[str, ...]
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    expected: str  # the documented exit codes, as the table shows them
    kind: str = "faults"  # faults | sigkill | concurrent
    faults: Callable[[bool], FaultPlan] | None = None  # fast -> plan
    latency_ms: float = 0.0
    summary_list: bool = True  # list items without config: exercises GET-by-uuid too
    shim: bool = False  # run through TIMEOUT_SHIM
    rate_window: float | None = None  # shorten the emulator's rate-limit window (seconds)
    # The emulator's default lets duplicate names through (the API documents no uniqueness);
    # these scenarios were written against a 409, and two concurrent applies still create
    # duplicates without one (lifecycle work), so they pin unique names.
    unique_names: bool = True
    tolerate_exhaustion: bool = False  # retries may run out: exit 1/3 with "gave up" is honest
    parallelism: int = 4


def _429_with_retry_after(fast: bool) -> FaultPlan:
    return FaultPlan(
        error_rate=0.2 if fast else 0.3, error_statuses=[429], retry_after=0.1 if fast else 0.2
    )


def _429_without_retry_after(fast: bool) -> FaultPlan:
    return FaultPlan(error_rate=0.06 if fast else 0.1, error_statuses=[429], retry_after=None)


def _five_xx(fast: bool) -> FaultPlan:
    burst = [
        {"match": f"GET {ROUTERS}", "action": "status", "status": 503, "times": 3},
        *(
            {"match": f"POST {ROUTERS}", "action": "status", "status": s}
            for s in (500, 502, 503, 504)
        ),
        {"match": f"PUT {ROUTERS}/*", "action": "status", "status": 502, "times": 2},
        {"match": f"DELETE {ROUTERS}/*", "action": "status", "status": 504, "times": 2},
    ]
    return FaultPlan(
        error_rate=0.1 if fast else 0.15, error_statuses=[500, 502, 503, 504], script=burst
    )


def _scripted(action: str, **extra: Any) -> Callable[[bool], FaultPlan]:
    """The same fault on list, get, create, update and delete requests, in that order."""

    def make(fast: bool) -> FaultPlan:
        writes = 1 if fast else 2
        steps = [
            {"match": f"GET {ROUTERS}", "action": action, "times": 1, **extra},
            {"match": f"GET {ROUTERS}/*", "action": action, "times": 1, **extra},
            {"match": f"POST {ROUTERS}", "action": action, "times": writes + 1, **extra},
            {"match": f"PUT {ROUTERS}/*", "action": action, "times": writes, **extra},
            {"match": f"DELETE {ROUTERS}/*", "action": action, "times": writes, **extra},
        ]
        if action == "drop_after_commit":
            steps = steps[2:]  # a GET has nothing to commit: drop_before covers it
        return FaultPlan(script=steps)

    return make


def _slow(fast: bool) -> FaultPlan:
    return FaultPlan(latency_ms=60 if fast else 150)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("no faults", "baseline", "plan 2, apply 0"),
    Scenario(
        "429 storm, Retry-After",
        "30% of requests 429 with retry-after: 0.2",
        "plan 2, apply 0 (1/3 if retries run out)",
        faults=_429_with_retry_after,
        tolerate_exhaustion=True,
    ),
    Scenario(
        "429 storm, no Retry-After",
        "10% of requests 429 with ratelimit-remaining 0 and no retry-after",
        "plan 2, apply 0 (1/3 if retries run out)",
        faults=_429_without_retry_after,
        rate_window=1.0,
        tolerate_exhaustion=True,
    ),
    Scenario(
        "5xx bursts",
        "500/502/503/504 bursts on every endpoint + 15% random",
        "plan 2, apply 0 (1/3 if retries run out)",
        faults=_five_xx,
        tolerate_exhaustion=True,
    ),
    Scenario(
        "read timeouts",
        "responses held past the client timeout (server already acted)",
        "plan 2, apply 0",
        faults=_scripted("delay", delay_ms=(SHIM_TIMEOUT_SECONDS + 0.5) * 1000),
        shim=True,
    ),
    Scenario(
        "reset before commit",
        "connection closed before the server acts",
        "plan 2, apply 0",
        faults=_scripted("drop_before"),
    ),
    Scenario(
        "reset after commit",
        "write carried out, then the connection closed unanswered",
        "plan 2, apply 0",
        faults=_scripted("drop_after_commit"),
    ),
    Scenario(
        "slow server",
        "150 ms added to every API response (60 ms in pytest)",
        "plan 2, apply 0",
        faults=_slow,
    ),
    Scenario(
        "SIGKILL mid-apply",
        "apply (parallelism 1, 50 ms latency) killed after k writes, then re-run",
        "killed (-9), re-run 0",
        kind="sigkill",
        latency_ms=50,
        parallelism=1,
    ),
    Scenario(
        "two applies at once",
        "two apply processes on the same routers at the same moment",
        "each 0/1/3 per its report, re-run 0",
        kind="concurrent",
        latency_ms=60,
    ),
)


@contextlib.contextmanager
def rate_window(seconds: float | None) -> Iterator[None]:
    """Temporarily shorten the emulator's rolling rate-limit window (this process only)."""
    if seconds is None:
        yield
        return
    saved = emulator_ratelimit.WINDOW_SECONDS, emulator_ratelimit.QUOTA_WINDOW_SECONDS
    emulator_ratelimit.WINDOW_SECONDS = emulator_ratelimit.QUOTA_WINDOW_SECONDS = seconds
    try:
        yield
    finally:
        emulator_ratelimit.WINDOW_SECONDS, emulator_ratelimit.QUOTA_WINDOW_SECONDS = saved


def run_scenario(scenario: Scenario, *, fast: bool = False, run_index: int = 0) -> Outcome:
    """Run `scenario` once in a fresh emulator and temporary project; never raises for a
    failed check (the problems are in the Outcome)."""
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="routerctl-reliability-") as tmp,
        rate_window(scenario.rate_window),
        Emulator(port=0, token=TOKEN, model_access_key=MODEL_KEY) as emulator,
    ):
        root = Path(tmp)
        write_project(root)
        desired = desired_states(root)
        seed_live(emulator, desired)
        emulator.configure(summary_list=scenario.summary_list, unique_names=scenario.unique_names)
        guarded = {r["uuid"]: r for r in emulator.routers() if r["name"] in (PROTECTED, *OUTSIDE)}
        harness = Harness(emulator, root, shim=scenario.shim)
        problems: list[str] = []
        notes: list[str] = []
        plan_codes: list[int] = []
        apply_codes: list[int] = []
        parallelism = ("--parallelism", str(scenario.parallelism))

        if scenario.kind == "faults":
            faults = scenario.faults(fast) if scenario.faults is not None else FaultPlan()
            emulator.set_faults(faults)
            plan = harness.run("plan under faults", *PLAN_ARGS)
            plan_codes.append(plan.code)
            problems += check_plan(plan, tolerate_exhaustion=scenario.tolerate_exhaustion)
            before = harness.live()
            applied = harness.run(
                "apply under faults", *APPLY_ARGS, "--format", "json", *parallelism
            )
            apply_codes.append(applied.code)
            problems += check_apply_report(
                applied,
                before,
                harness.live(),
                desired,
                tolerate_exhaustion=scenario.tolerate_exhaustion,
            )
            fired = emulator.stats["faults_fired"]
            if (faults.script or faults.error_rate) and not fired:
                problems.append("no fault fired: the scenario tested nothing")
            notes.append(f"{fired} faults")
        elif scenario.kind == "sigkill":
            plan = harness.run("plan", *PLAN_ARGS)
            plan_codes.append(plan.code)
            problems += check_plan(plan, tolerate_exhaustion=False)
            emulator.configure(latency_ms=scenario.latency_ms)
            kill_after = 10 if fast else (5, 38, 47)[run_index % 3]
            code, note = _apply_and_kill(harness, kill_after, parallelism)
            apply_codes.append(code)
            notes.append(note)
            if code != -signal.SIGKILL:
                problems.append(f"the apply was not killed (exit {code}): {note}")
        elif scenario.kind == "concurrent":
            plan = harness.run("plan", *PLAN_ARGS)
            plan_codes.append(plan.code)
            problems += check_plan(plan, tolerate_exhaustion=False)
            emulator.configure(latency_ms=scenario.latency_ms)
            codes, more, conflicts = _two_applies(harness, parallelism)
            apply_codes += codes
            problems += more
            notes.append(f"{conflicts}× 409")
        else:  # pragma: no cover - a typo in SCENARIOS
            raise ValueError(f"unknown scenario kind {scenario.kind!r}")

        emulator.set_faults(FaultPlan())
        emulator.configure(latency_ms=0.0)
        rerun = harness.run("re-run apply", *APPLY_ARGS)
        problems += check_rerun(rerun)
        final = harness.run("final plan", *PLAN_ARGS)
        problems += check_output(final)
        converged = final.code == 0 and "No changes." in final.stdout
        if not converged:
            problems.append(f"final plan: exit {final.code}: {_tail(final.stdout + final.stderr)}")
        live = harness.live()
        dupes = duplicates(live)
        if dupes:
            problems.append(f"duplicate router names live: {', '.join(dupes)}")
        now = {r["uuid"]: r for r in live}
        untouched = all(now.get(uuid) == router for uuid, router in guarded.items())
        if not untouched:
            problems.append("a protected or out-of-scope router was changed or deleted")
        expected_names = {router_name(i) for i in range(ROUTER_COUNT)} | {PROTECTED, *OUTSIDE}
        if converged and {r["name"] for r in live} != expected_names:
            problems.append("the converged live set is not the 50 routers + the 3 guarded ones")
        for run in harness.runs:
            problems += [p for p in check_output(run) if p not in problems]
    return Outcome(
        scenario.name,
        tuple(plan_codes),
        tuple(apply_codes),
        rerun.code,
        converged,
        len(dupes),
        untouched,
        tuple(problems),
        time.monotonic() - started,
        tuple(notes),
    )


def _apply_and_kill(
    harness: Harness, kill_after: int, parallelism: Sequence[str]
) -> tuple[int, str]:
    """Start an apply, SIGKILL it once the emulator has committed `kill_after` writes."""
    emulator = harness.emulator
    before = _committed(emulator)
    started = time.monotonic()
    args = (*APPLY_ARGS, *parallelism)
    proc = harness.start(*args)
    deadline = started + 30.0
    writes = 0
    while time.monotonic() < deadline and proc.poll() is None:
        writes = sum(_delta(_committed(emulator), before).values())
        if writes >= kill_after:
            break
        time.sleep(0.01)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=SUBPROCESS_TIMEOUT)
    # A request the process had in flight is still served after the kill (the emulator, like a
    # real server, does not notice the client is gone until it answers): let it commit before
    # the re-run starts counting, or its commit would be charged to the re-run.
    _settle(emulator)
    run = harness.finish("killed apply", args, proc, started, before)
    committed = sum(run.committed.values())
    return run.code, f"killed at {writes} writes, {committed} done"


def _settle(emulator: Emulator, quiet: float = 0.3, limit: float = 5.0) -> None:
    """Wait until the emulator's commit counters stop moving for `quiet` seconds."""
    deadline = time.monotonic() + limit
    last = _committed(emulator)
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = _committed(emulator)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            return


def _two_applies(harness: Harness, parallelism: Sequence[str]) -> tuple[list[int], list[str], int]:
    """Two applies on the same project at the same moment; each report must match its code,
    and together they must account for every create the emulator committed. Also returns
    how many creates lost the race (409), i.e. whether the two really overlapped."""
    emulator = harness.emulator
    before = _committed(emulator)
    args = (*APPLY_ARGS, "--format", "json", *parallelism)
    started = time.monotonic()
    procs = [harness.start(*args), harness.start(*args)]
    runs = [
        harness.finish(f"concurrent apply {i + 1}", args, proc, started, before)
        for i, proc in enumerate(procs)
    ]
    problems: list[str] = []
    created = conflicts = 0
    for run in runs:
        problems += check_output(run)
        try:
            report = json.loads(run.stdout)
        except ValueError:
            problems.append(f"{run.label}: exit {run.code} without a JSON report")
            continue
        summary = report["summary"]
        if run.code != expected_exit(summary):
            problems.append(f"{run.label}: exit {run.code} for summary {summary}")
        created += summary["created"]
        for outcome in report["outcomes"]:
            if outcome["status"] != "failed":
                continue
            if "409" in (outcome["error"] or ""):
                conflicts += 1
            else:
                problems.append(f"{run.label}: unexpected failure {outcome['error']}")
    total = _delta(_committed(emulator), before)
    if total["create"] != created:
        problems.append(f"the two reports say {created} created; the emulator committed {total}")
    return [r.code for r in runs], problems, conflicts


# --- summary table ----------------------------------------------------------------------------


def _codes(codes: Sequence[int]) -> str:
    counts = Counter(codes)
    return ", ".join(
        f"{'killed' if code == -signal.SIGKILL else code}×{n}" for code, n in sorted(counts.items())
    )


def summary_table(outcomes: Sequence[Outcome]) -> str:
    """Markdown table: one row per scenario, in SCENARIOS order."""
    rows = [
        "| scenario | runs | converged | duplicates | guarded routers untouched | "
        "all checks pass | plan exits | apply exits | re-run exits | expected | median s "
        "| per run |",
        "|---|---:|---:|---:|---:|---:|---|---|---|---|---:|---|",
    ]
    expected = {s.name: s.expected for s in SCENARIOS}
    order = [s.name for s in SCENARIOS]
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.scenario, []).append(outcome)
    for name in sorted(groups, key=lambda n: order.index(n) if n in order else len(order)):
        group = groups[name]
        runs = len(group)
        rows.append(
            f"| {name} | {runs} | {sum(o.converged for o in group)}/{runs} "
            f"| {sum(o.duplicates for o in group)} | {sum(o.untouched for o in group)}/{runs} "
            f"| {sum(o.ok for o in group)}/{runs} "
            f"| {_codes([c for o in group for c in o.plan_codes])} "
            f"| {_codes([c for o in group for c in o.apply_codes])} "
            f"| {_codes([o.rerun_code for o in group])} | {expected.get(name, '')} "
            f"| {statistics.median(o.seconds for o in group):.1f} "
            f"| {' / '.join('; '.join(o.notes) for o in group if o.notes)} |"
        )
    return "\n".join(rows) + "\n"
