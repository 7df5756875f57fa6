"""`make reliability`: every fault scenario of tests/reliability/scenarios.py, N times each.

Prints a markdown summary table (scenario, runs, converged, duplicates, guarded routers
untouched, runs passing every check, exit codes seen, expected, median seconds, and per run:
faults fired, where the kill landed, lost races), then the problems of any failing run, and
records the table in bench/README.md between the `<!-- reliability:begin -->` and
`<!-- reliability:end -->` markers (the section is appended if missing; the rest of the file
is left alone). Exits 1 if any run failed a check.

    .venv/bin/python bench/reliability.py [--runs 3] [--scenario NAME]... [--fast] [--no-readme]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "bench" / "README.md"
BEGIN = "<!-- reliability:begin -->"
END = "<!-- reliability:end -->"
HEADING = "## Reliability (make reliability)"


def load_scenarios() -> ModuleType:
    name = "routerctl_reliability_scenarios"
    path = ROOT / "tests" / "reliability" / "scenarios.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file is in the repo
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def machine() -> str:
    cores = os.cpu_count() or 0
    return (
        f"{cores} cores, {platform.system()} {platform.release()} {platform.machine()}, "
        f"Python {platform.python_version()}"
    )


def section(table: str, runs: int, seconds: float, fast: bool) -> str:
    today = datetime.date.today().isoformat()
    mode = " (`--fast` settings)" if fast else ""
    return f"""{BEGIN}
Every scenario of `tests/reliability/scenarios.py`{mode}, {runs} run(s) each, on a fresh emulator
and a project of 50 router files. Live before each run: 10 drifted routers (updates), 5
identical, 5 in-scope routers without a file (deletes under `--prune`), `app-keep` (in scope,
protected) and `other-team-a`/`-b` (outside the prune scope). With the faults on,
`plan --detailed-exitcode --prune` and `apply --auto-approve --prune --format json` run as
subprocesses of `python -m routerctl`; then, faults off, `apply` again and a final
`plan --detailed-exitcode --prune`.

A run passes when: every exit code is the one its own report documents (0 all done, 3 partly
done, 1 nothing done; plan 2 with the exact `Plan: 35 to create, 10 to update, 5 to delete.`);
every router the apply report calls created/updated/deleted is so live, every skipped one is
untouched, and the emulator's committed creates and deletes equal the reported ones; the
re-run's summary equals what it committed; the final plan is empty (converged); no two live
routers share a name; the three guarded routers are byte-for-byte unchanged; no output holds a
traceback, the API token or the model access key.

Measured {today} on {machine()}; {seconds:.0f} s in all.

{table}
Scenarios: **429 storm, Retry-After** — 30% of API requests answer 429 with `retry-after: 0.2`;
**429 storm, no Retry-After** — 10% answer 429 with `ratelimit-remaining: 0` and no
`retry-after`, so the client waits for `ratelimit-reset` (the emulator's 60 s window is cut to
1 s in the harness, hence the long median: every such 429 pauses all workers until the reset);
**5xx bursts** — 3× 503 on the list, 500/502/503/504 in a row on creates, 502×2 on updates,
504×2 on deletes, plus 15% random 5xx; **read timeouts** — one list, one get, three creates,
two updates and two deletes answered only after the client's timeout, the server having acted
(run through a shim that sets RouterClient's 30 s default timeout to 1 s: the CLI has no
`--timeout`); **reset before commit** — the same requests dropped before the server acts;
**reset after commit** — three creates, two updates and two deletes carried out, then the
connection closed unanswered (the ambiguous write: creates are found by name, updates re-sent,
a delete's 404 on retry counts as done); **slow server** — 150 ms on every response;
**SIGKILL mid-apply** — `--parallelism 1` with 50 ms latency, killed after 5, 38 and 47 writes
(in the creates, the updates and the deletes); the request in flight at the kill may still be
carried out by the server after the process is gone ("N done" in "per run"), and the re-run's
fresh plan accounts for it; **two applies at once** — two apply processes started
together (60 ms latency so that they overlap; "per run" counts the creates that lost the
race). The process that loses the race for a name gets
`409 conflict` on that create and stops, with a report that says so: exit 1 when it had done
nothing yet (its first creates all hit names the other had just made), 3 when it had; the
re-run converges. The emulator enforces unique names; whether the real API does is an
open question (do-router-api.md §8.8), and routerctl takes no lock of its own.
{END}
"""


def update_readme(block: str) -> None:
    """Replace only the marked block; re-read right before writing (others edit this file)."""
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    start, end = text.find(BEGIN), text.find(END)
    if start != -1 and end > start:
        new = text[:start] + block.rstrip("\n") + text[end + len(END) :]
    else:
        new = text.rstrip("\n") + f"\n\n{HEADING}\n\n{block}"
    fd, tmp = tempfile.mkstemp(prefix=".README.", suffix=".tmp", dir=README.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(new)
    os.replace(tmp, README)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--scenario", action="append", default=[], help="only this scenario")
    parser.add_argument("--fast", action="store_true", help="the pytest settings")
    parser.add_argument("--no-readme", action="store_true", help="do not touch bench/README.md")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    scenarios = load_scenarios()
    chosen = [s for s in scenarios.SCENARIOS if not args.scenario or s.name in args.scenario]
    unknown = set(args.scenario) - {s.name for s in scenarios.SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")

    started = time.monotonic()
    outcomes = []
    for scenario in chosen:
        for index in range(args.runs):
            outcome = scenarios.run_scenario(scenario, fast=args.fast, run_index=index)
            outcomes.append(outcome)
            verdict = "ok" if outcome.ok else "FAILED"
            notes = f" ({'; '.join(outcome.notes)})" if outcome.notes else ""
            print(
                f"{scenario.name} #{index + 1}: {verdict} in {outcome.seconds:.1f} s{notes}",
                file=sys.stderr,
            )
    seconds = time.monotonic() - started
    table = scenarios.summary_table(outcomes)
    print(table)
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"{outcome.scenario}:")
        for problem in outcome.problems:
            print(f"  - {problem}")
    if not args.no_readme:
        update_readme(section(table, args.runs, seconds, args.fast))
        print(f"recorded in {README.relative_to(ROOT)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
