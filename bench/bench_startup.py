"""Benchmark: start-up time of the installed `routerctl` console script.

Runs `routerctl --help` and `routerctl --version` as subprocesses (the venv's console script,
next to this interpreter) and prints the median wall time of N runs of each; the targets are
under 100 ms for --help (issue 15, with rich and completion added) and 150 ms for --version.
Also times one shell-completion request (`routerctl plan --target <TAB>` in this repository,
as bash asks for it), which a shell runs on every Tab. With --importtime, also lists the
slowest imports of `routerctl.cli` as `python -X importtime` reports them (cumulative µs).

    .venv/bin/python bench/bench_startup.py [--runs N] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_MS = 150.0
TARGETS_MS = {"--help": 100.0, "--version": TARGET_MS}
COMPLETION_ENV = {
    "COMP_WORDS": "routerctl plan --target ",
    "COMP_CWORD": "3",
    "_ROUTERCTL_COMPLETE": "bash_complete",
}
SCRIPT = Path(sys.executable).parent / "routerctl"


def median_ms(argv: list[str], runs: int, extra_env: dict[str, str] | None = None) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTERCTL_")}
    env.update(extra_env or {})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, env=env, check=False)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            sys.exit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return statistics.median(times)


def slowest_imports(count: int) -> list[tuple[int, int, str]]:
    """(cumulative µs, self µs, module) of the `count` slowest imports of routerctl.cli."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import routerctl.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative_us), int(self_us), name.rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    args = parser.parse_args()
    if not SCRIPT.exists():
        sys.exit(f"{SCRIPT} not found: run `make install` first")
    baseline = median_ms([sys.executable, "-c", "pass"], args.runs)
    print(f"`routerctl` start-up, median of {args.runs} runs ({os.cpu_count()} CPUs)")
    print()
    print("| command | median | target |")
    print("|---|---:|---|")
    print(f"| `python -c pass` (interpreter floor) | {baseline:.0f} ms | |")
    for flag in ("--help", "--version"):
        ms = median_ms([str(SCRIPT), flag], args.runs)
        target = TARGETS_MS[flag]
        verdict = "ok" if ms < target else "OVER"
        print(f"| `routerctl {flag}` | {ms:.0f} ms | < {target:.0f} ms {verdict} |")
    ms = median_ms([str(SCRIPT)], args.runs, COMPLETION_ENV)
    verdict = "ok" if ms < TARGET_MS else "OVER"
    print(f"| completion of `plan --target ` | {ms:.0f} ms | < {TARGET_MS:.0f} ms {verdict} |")
    if args.importtime:
        print()
        print("| import (cumulative) | cumulative | self |")
        print("|---|---:|---:|")
        for cumulative, own, name in slowest_imports(8):
            print(f"| `{name.strip()}` | {cumulative / 1000:.1f} ms | {own / 1000:.1f} ms |")


if __name__ == "__main__":
    main()
