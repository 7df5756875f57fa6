"""Benchmark: `routerctl validate` on hostile router files that used to be slow (issue 14).

The similar-descriptions check compared every pair of task descriptions in full; a 236 KB file
of near-identical descriptions took 192 s and 1.9 GB. Now it compares at most the first 64
tasks, on their first 512 characters. This runs the installed CLI as a subprocess on three
files and prints the wall time and peak memory of each (target: under 10 s each on 2 cores):

- 236 KB: ~1,100 tasks with near-identical 200-character descriptions (the issue's case);
- 1 MiB: the same up to just under the file limit (~4,000 tasks);
- 1 MiB of one 1,000,000-character description pair (two tasks).

    .venv/bin/python bench/bench_hostile_files.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0
SCRIPT = Path(sys.executable).parent / "routerctl"
LIMIT = 1024 * 1024


def many_tasks(target_bytes: int) -> str:
    text = "Classify the incoming support ticket by product area and urgency, then route it. " * 2
    lines = ["name: big", "fallback_models: [m]", "tasks:"]
    size, i = 40, 0
    while True:
        task = [f"  t{i}:", f"    description: {text.strip()} {i}", "    models: [m]"]
        grow = sum(len(line) + 1 for line in task)
        if size + grow > target_bytes:
            break
        lines += task
        size += grow
        i += 1
    return "\n".join(lines) + "\n"


def two_long() -> str:
    body = "summarize " * ((LIMIT - 400) // 20)
    return (
        "name: big\nfallback_models: [m]\ntasks:\n"
        f"  a:\n    description: {body}a\n    models: [m]\n"
        f"  b:\n    description: {body}b\n    models: [m]\n"
    )


def measure(text: str) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTERCTL_")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        done = subprocess.run(
            [str(SCRIPT), "validate", str(path)], capture_output=True, env=env, check=False
        )
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if done.returncode not in (0, 1):
            raise SystemExit(done.stderr.decode())
        return seconds, max(peak, before) / 1024, done.returncode


def main() -> None:
    cases = [
        ("236 KB, near-identical descriptions", many_tasks(236 * 1024)),
        ("1 MiB, near-identical descriptions", many_tasks(LIMIT - 1024)),
        ("1 MiB, two 500 KB descriptions", two_long()),
    ]
    print(f"`routerctl validate` on hostile router files ({os.cpu_count()} CPUs)")
    print()
    print("| file | size | wall time | peak RSS (largest child so far) | exit | target |")
    print("|---|---:|---:|---:|---:|---|")
    for label, text in cases:
        seconds, peak_mb, code = measure(text)
        verdict = "ok" if seconds < TARGET_S else "OVER"
        size = len(text.encode())
        print(
            f"| {label} | {size:,} B | {seconds:.2f} s | {peak_mb:.0f} MB | {code} "
            f"| < {TARGET_S:.0f} s {verdict} |"
        )


if __name__ == "__main__":
    main()
