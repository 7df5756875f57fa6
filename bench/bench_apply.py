"""Benchmark: `apply_plan` against the emulator at 20 ms latency (issue 5).

1. Speed: 200 changed routers (200 PUTs), parallelism 4 (the `apply` default) against a
   sequential apply (parallelism 1). Each run applies the other revision of the 200 routers, so
   every run has 200 updates; the plan is computed before the timer starts and only
   `apply_plan` is timed. The client is built as `routerctl apply` builds it (its own
   parallelism max(N, 8)). Target: ≥ 3.5× faster at parallelism 4.
2. Pacing: a fresh emulator with DigitalOcean's limits (a burst of 250 requests per rolling
   minute, a quota of 20x that per rolling hour in the headers), and a plan + apply that
   creates 300 routers (1 list request + 300 POSTs), once. Target: no request
   rejected with 429, counted by both the emulator and the client. This run takes over 60 s by
   construction: 301 requests cannot fit in one 60-second window of 250.

Prints the medians of N runs of (1) and the single run of (2). The emulator runs as a
subprocess (see bench_list.py for why).

    .venv/bin/python bench/bench_apply.py [--routers 200] [--runs 5] [--sequential-runs 3]
        [--paced-routers 300] [--rate-limit 250] [--skip-pacing]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

from bench_list import LATENCY_MS, EmulatorProcess, client, listen_overflows, make_spec

from routerctl.apply import apply_plan
from routerctl.diff import compute_plan
from routerctl.plan import Action

TARGET_SPEEDUP = 3.5


def apply_once(url: str, count: int, revision: int, parallelism: int) -> float:
    """Plan `count` routers at `revision` (untimed), then time apply_plan."""
    with client(url, max(parallelism, 8)) as api:
        live = api.list_routers()
        plan = compute_plan([make_spec(i, revision) for i in range(count)], live)
        if plan.count(Action.UPDATE) != count or len(plan.changes) != count:
            sys.exit(f"expected {count} updates, got: {plan.summary_line()}")
        start = time.perf_counter()
        result = apply_plan(plan, api, parallelism=parallelism)
        elapsed = time.perf_counter() - start
    if result.count("updated") != count:
        sys.exit(f"apply: {result.summary_line()}")
    return elapsed


def paced_run(
    emu: EmulatorProcess, count: int, rate_limit: int, parallelism: int
) -> dict[str, Any]:
    """Plan + apply `count` creates on a fresh emulator limited to `rate_limit` per minute
    (and 20x that per hour, DigitalOcean's ratio)."""
    emu.reset()  # no routers, empty rate-limit window, zeroed counters
    emu.configure(
        latency_ms=LATENCY_MS,
        rate_limit_per_minute=rate_limit,
        rate_limit_per_hour=rate_limit * 20,
        summary_list=False,
    )
    desired = [make_spec(i) for i in range(count)]
    start = time.perf_counter()
    with client(emu.url, max(parallelism, 8)) as api:
        plan = compute_plan(desired, api.list_routers())
        result = apply_plan(plan, api, parallelism=parallelism)
        elapsed = time.perf_counter() - start
        stats = api.stats.snapshot()
    server = emu.stats()
    emu.configure(rate_limit_per_minute=None, rate_limit_per_hour=None)
    if result.count("created") != count:
        sys.exit(f"paced apply: {result.summary_line()}")
    return {"seconds": elapsed, "client": stats, "server": server}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sequential-runs", type=int, default=3)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument("--paced-routers", type=int, default=300)
    parser.add_argument("--rate-limit", type=int, default=250)
    parser.add_argument("--skip-pacing", action="store_true", help="Only the speed part.")
    args = parser.parse_args()
    count, p = args.routers, args.parallelism

    overflows = listen_overflows()
    with EmulatorProcess() as emu:
        emu.seed([make_spec(i, revision=0).api_payload() for i in range(count)])
        emu.configure(latency_ms=LATENCY_MS)
        revision = 0

        def timed(parallelism: int) -> float:
            nonlocal revision
            revision += 1
            return apply_once(emu.url, count, revision, parallelism)

        timed(p)  # warm-up
        sequential = statistics.median(timed(1) for _ in range(args.sequential_runs))
        parallel = statistics.median(timed(p) for _ in range(args.runs))
        paced = None
        if not args.skip_pacing:
            paced = paced_run(emu, args.paced_routers, args.rate_limit, p)
    overflows = listen_overflows() - overflows

    speedup = sequential / parallel
    verdict = "met" if speedup >= TARGET_SPEEDUP else "MISSED"
    print(
        f"`apply_plan` of {count} updates (one PUT each), emulator subprocess with "
        f"{LATENCY_MS:g} ms latency; median of {args.runs} runs at parallelism {p} and "
        f"{args.sequential_runs} at parallelism 1, {os.cpu_count()} CPUs"
    )
    print()
    print("| apply | requests | median | per router | speed-up | target |")
    print("|---|---:|---:|---:|---:|---|")
    print(
        f"| {count} updates, parallelism 1 (sequential) | {count} | {sequential:.2f} s | "
        f"{sequential / count * 1000:.1f} ms | 1.0× | |"
    )
    print(
        f"| {count} updates, parallelism {p} | {count} | {parallel:.2f} s | "
        f"{parallel / count * 1000:.1f} ms | {speedup:.2f}× | ≥ {TARGET_SPEEDUP}× {verdict} "
        f"(ceiling {p}×) |"
    )
    if paced is not None:
        client_stats, server = paced["client"], paced["server"]
        rejected = int(server["rate_limited"])
        throttled = int(client_stats["throttled_429"])
        verdict = "met" if rejected == throttled == 0 else "MISSED"
        requests = int(client_stats["requests"])
        print()
        print(
            f"Pacing: plan + apply creating {args.paced_routers} routers on a fresh emulator "
            f"with a burst limit of {args.rate_limit} requests per rolling 60 s (and "
            f"{args.rate_limit * 20} per hour in the headers) and {LATENCY_MS:g} ms latency, "
            f"parallelism {p}, one run. {requests} requests cannot fit in one window of "
            f"{args.rate_limit}, so the run takes over 60 s by construction; the client sends "
            "half of the burst limit (less the requests in flight) at once and spreads the rest "
            "evenly, instead of spending the whole burst and stalling."
        )
        print()
        print(
            "| scenario | requests (client / emulator) | 429 (emulator / client) | pacing waits "
            "| retries | wall time | target |"
        )
        print("|---|---:|---:|---:|---:|---:|---|")
        print(
            f"| {args.paced_routers} creates at {args.rate_limit}/min | {requests} / "
            f"{server['requests_total']} | {rejected} / {throttled} | "
            f"{client_stats['pacing_waits']} | {client_stats['retries']} | "
            f"{paced['seconds']:.1f} s | 0 × 429 {verdict} |"
        )
    if overflows:
        print()
        print(
            f"{overflows} connection(s) overflowed a listen backlog during the runs (about 1 s "
            "each; see bench_list.py)."
        )


if __name__ == "__main__":
    main()
