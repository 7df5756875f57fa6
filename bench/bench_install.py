"""Benchmark: `make install` on a fresh clone, from uv.lock.

Clones the committed HEAD into a temporary directory and times, as a new developer or CI sees
it: `cold` (no .venv, no .tools, empty uv and pip caches: bootstrap uv with pip, then
`uv sync --locked` downloads every locked wheel), `warm` (.venv removed, uv's cache kept: what
re-creating the venv costs), and `no-op` (nothing changed: make sees the stamp). Needs the
package index; figures depend on the network, so they are not part of `make bench`.

    .venv/bin/python bench/bench_install.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_install(clone: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["make", "install"], cwd=clone, env=env, check=True, capture_output=True, timeout=900
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="clones to time (default 1)")
    args = parser.parse_args()
    locked = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))["package"]
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    times: dict[str, list[float]] = {"cold": [], "warm": [], "no-op": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="routerctl-install-") as tmp:
            clone = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
            env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
            env |= {"UV_CACHE_DIR": str(Path(tmp) / "uv-cache"), "PIP_NO_CACHE_DIR": "1"}
            times["cold"].append(make_install(clone, env))
            shutil.rmtree(clone / ".venv")
            times["warm"].append(make_install(clone, env))
            times["no-op"].append(make_install(clone, env))
    print(
        f"`make install` on a fresh clone of {head} ({len(locked)} locked packages), "
        f"median of {args.runs} run(s), {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print()
    print("| case | median |")
    print("|---|---:|")
    for case, values in times.items():
        print(f"| {case} | {statistics.median(values):.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
