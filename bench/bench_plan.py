"""Benchmark: a whole plan of 1,000 routers against the emulator at 20 ms latency (issue 4).

One plan is what `routerctl plan` does after loading the files: `RouterClient.list_routers`,
`compute_plan` and `render_plan` (text). The desired specs are built in memory before timing
(loading YAML is bench_validate.py's job); the 1,000 live routers are on the emulator, a third
of them drifted (333 updates, 667 unchanged). Run in both list modes: summary items (every
router needs a GET, sent `parallelism` at a time) and full items (one request per page of 200).

Target: within 1.2× of the ideal time, requests ÷ parallelism × latency. Also runs the
summary-mode plan once with parallelism 1 (the sequential client) for comparison. Prints the
median of N runs. The emulator runs as a subprocess (see bench_list.py for why).

    .venv/bin/python bench/bench_plan.py [--routers 1000] [--runs 5] [--sequential-runs 1]

Then (issue 20) the same plan end to end: `routerctl plan` as a subprocess on 1,000 router
files, start-up, YAML and rendering included (`--no-end-to-end` skips it).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass

from bench_list import LATENCY_MS, EmulatorProcess, client, listen_overflows, make_spec

from routerctl.client import PER_PAGE
from routerctl.diff import compute_plan
from routerctl.models import RouterSpec
from routerctl.render import render_plan

TARGET_RATIO = 1.2


@dataclass(frozen=True)
class Run:
    total: float  # seconds, client creation to rendered text
    listing: float  # list_routers
    diff_render: float  # compute_plan + render_plan
    requests: int
    summary: str


def plan_once(url: str, desired: list[RouterSpec], parallelism: int) -> Run:
    start = time.perf_counter()
    with client(url, parallelism) as api:
        live = api.list_routers()
        listed = time.perf_counter()
        plan = compute_plan(desired, live)
        text = render_plan(plan)
        end = time.perf_counter()
        requests = api.stats.requests
    if not text or len(live) != len(desired):
        sys.exit(f"plan read {len(live)} live routers, expected {len(desired)}")
    return Run(end - start, listed - start, end - listed, requests, plan.summary_line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sequential-runs", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--no-end-to-end", action="store_true")
    args = parser.parse_args()
    count, p, latency = args.routers, args.parallelism, args.latency_ms / 1000
    pages = max(1, math.ceil(count / PER_PAGE))
    desired = [make_spec(i, revision=1 if i % 3 == 1 else 0) for i in range(count)]

    results: dict[str, list[Run]] = {}
    overflows = listen_overflows()
    with EmulatorProcess() as emu:
        emu.seed([make_spec(i).api_payload() for i in range(count)])
        emu.configure(latency_ms=args.latency_ms, summary_list=True)
        plan_once(emu.url, desired, p)  # warm-up: imports, first connections
        results["summary"] = [plan_once(emu.url, desired, p) for _ in range(args.runs)]
        results["sequential"] = [
            plan_once(emu.url, desired, 1) for _ in range(args.sequential_runs)
        ]
        emu.configure(summary_list=False)
        results["full"] = [plan_once(emu.url, desired, p) for _ in range(args.runs)]
    overflows = listen_overflows() - overflows

    def median(mode: str, attr: str) -> float:
        return statistics.median(getattr(run, attr) for run in results[mode])

    summary = results["full"][0].summary.rstrip(".")
    print(
        f"Whole plan (list_routers + compute_plan + render_plan) of {count} routers: "
        f"{summary}; emulator subprocess with {args.latency_ms:g} ms "
        f"latency; median of {args.runs} runs ({args.sequential_runs} for parallelism 1), "
        f"{os.cpu_count()} CPUs"
    )
    print()
    # What one request really takes here: the sequential plan's list time per request.
    round_trip = median("sequential", "listing") / results["sequential"][0].requests
    print(
        "| list items | requests | parallelism | ideal | measured | ratio | target "
        f"| ratio at {round_trip * 1000:.1f} ms | vs sequential | list / diff+render |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    sequential = median("sequential", "total")
    for mode, label, parallelism in (
        ("summary", "summary (GET each)", p),
        ("full", "full (config included)", p),
        ("sequential", "summary (GET each)", 1),
    ):
        requests = results[mode][0].requests
        ideal = requests / parallelism * latency
        measured = median(mode, "total")
        ratio = measured / ideal
        target, versus = "", "—"
        if mode != "full":
            versus = f"{sequential / measured:.1f}×"
        if mode != "sequential":
            verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
            target = f"≤ {TARGET_RATIO}× {verdict}"
        real_ratio = measured / (requests / parallelism * round_trip)
        print(
            f"| {label} | {requests} | {parallelism} | {ideal * 1000:,.0f} ms | "
            f"{measured * 1000:,.0f} ms | {ratio:.2f}× | {target} | {real_ratio:.2f}× | "
            f"{versus} | {median(mode, 'listing') * 1000:,.0f} / "
            f"{median(mode, 'diff_render') * 1000:,.0f} ms |"
        )
    gets = results["summary"][0].requests - pages
    page_rounds = 1 + (1 if pages > 1 else 0)  # page 1, then pages 2..N together
    floor = (page_rounds + math.ceil(gets / p)) * latency
    print()
    print(
        f"The ideal counts every request as if {p} could always be in flight. The client reads "
        f"page 1, then pages 2..{pages} at once, then the GETs, so with summary items its "
        f"network floor is ({page_rounds} + ⌈{gets}/{p}⌉) × {args.latency_ms:g} ms = "
        f"{floor * 1000:,.0f} ms (measured list time / floor: "
        f"{median('summary', 'listing') / floor:.2f}×), and with full items "
        f"{page_rounds} × {args.latency_ms:g} ms = {page_rounds * latency * 1000:,.0f} ms; "
        f"compute_plan + render_plan (CPU, no requests) come on top. A request takes "
        f"{round_trip * 1000:.1f} ms here, not {args.latency_ms:g} ms (the sequential run's "
        f"list time per request: HTTP on both sides, and waking two processes per request); "
        f"`ratio at` uses that figure in place of the latency. `vs sequential` compares with "
        f"the same plan at parallelism 1."
    )
    if overflows:
        print()
        print(
            f"{overflows} connection(s) overflowed a listen backlog during the runs (about 1 s "
            "each; see bench_list.py)."
        )
    if not args.no_end_to_end:
        from bench_reads import end_to_end_full_plan

        print()
        end_to_end_full_plan(count, min(args.runs, 3), args.latency_ms)


if __name__ == "__main__":
    main()
