"""Benchmark: `routerctl list` of 1,000 routers, the installed CLI against the emulator in
`--summary-list` mode (list items without `config`, so a client that wanted configs would need
a GET per router). Counts the requests each run sends, read from the emulator's
/_emulator/stats, and prints the median wall time of N runs. Target (issue 15): pages only,
5 requests of 200 routers each, no GET per router.

    .venv/bin/python bench/bench_cli_list.py [--routers 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench_list import ROUTERCTL, TOKEN, EmulatorProcess

TARGET_REQUESTS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with EmulatorProcess() as emulator:
        emulator.seed(
            [
                {"name": f"router-{i:04d}", "fallback_models": ["m"], "policies": []}
                for i in range(args.routers)
            ]
        )
        emulator.configure(summary_list=True)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ROUTERCTL_")},
            "DIGITALOCEAN_API_URL": emulator.url,
            "DIGITALOCEAN_TOKEN": TOKEN,
        }
        times, requests = [], []
        for _ in range(args.runs):
            before = emulator.stats()["requests_total"]
            start = time.perf_counter()
            done = subprocess.run(
                [str(ROUTERCTL), "list", "--format", "json"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            times.append((time.perf_counter() - start) * 1000)
            if done.returncode != 0:
                sys.exit(f"routerctl list exited {done.returncode}: {done.stderr}")
            requests.append(emulator.stats()["requests_total"] - before)
    per_run = sorted(set(requests))
    verdict = "ok" if per_run == [TARGET_REQUESTS] else "OVER"
    print(f"`routerctl list` of {args.routers:,} routers, summary list items, {args.runs} runs")
    print()
    print("| figure | value | target |")
    print("|---|---:|---|")
    print(
        f"| requests per run | {', '.join(map(str, per_run))} | "
        f"{TARGET_REQUESTS} (pages only) {verdict} |"
    )
    print(f"| median wall time | {statistics.median(times):.0f} ms | |")


if __name__ == "__main__":
    main()
