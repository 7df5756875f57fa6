"""Benchmark (issue 13): 3 router files, an API that allows duplicate names and lists a new
router only `--lag` seconds after its create, and the first `--drops` create responses lost
(the create happens; the answer never arrives). Counts the live routers after one
`routerctl apply --auto-approve`, and what the report said.

Before the fix this made 3 files into 11 live routers while the report said "3 created";
the figure must be 3, one per name. `--cmd` runs another routerctl (e.g. another checkout:
`--cmd "env PYTHONPATH=../other/src .venv/bin/python -m routerctl"`) for a before/after.

    .venv/bin/python bench/bench_duplicates.py [--lag 3] [--drops 8] [--cmd CMD]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from routerctl.emulator import Emulator, FaultPlan

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "dop_v1_benchdup0000000000000000000000000000000000000000000000000000000"
NAMES = ("dup-a", "dup-b", "dup-c")


def router_yaml(name: str) -> str:
    return f"name: {name}\ndescription: Router {name}.\nfallback_models: [llama3.3-70b-instruct]\n"


def run(command: list[str], lag: float, drops: int) -> dict[str, object]:
    with Emulator(port=0) as emulator, tempfile.TemporaryDirectory() as tmp:
        emulator.configure(unique_names=False, list_lag_seconds=lag)
        post = {"match": "POST /v2/gen-ai/models/routers", "action": "drop_after_commit"}
        emulator.set_faults(FaultPlan(script=[{**post, "times": drops}]))
        (Path(tmp) / "routers").mkdir()
        for name in NAMES:
            (Path(tmp) / "routers" / f"{name}.yaml").write_text(router_yaml(name))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTERCTL_")}
        env.update(DIGITALOCEAN_API_URL=emulator.url, DIGITALOCEAN_TOKEN=TOKEN, NO_COLOR="1")
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "apply", "--auto-approve"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        seconds = time.perf_counter() - started
        live = Counter(r["name"] for r in emulator.routers())
        report = re.search(r"Apply (?:complete|stopped): .*", done.stdout)
        return {
            "live routers": sum(live.values()),
            "names listed twice or more": sum(1 for c in live.values() if c > 1),
            "POSTs committed": emulator.stats["creates_committed"],
            "exit": done.returncode,
            "report": report.group(0) if report else "(no report)",
            "wall time": f"{seconds:.1f} s",
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lag", type=float, default=3.0, help="list lag, seconds")
    parser.add_argument("--drops", type=int, default=8, help="create responses lost")
    parser.add_argument("--cmd", default=str(ROOT / ".venv" / "bin" / "routerctl"))
    args = parser.parse_args()
    result = run(shlex.split(args.cmd), args.lag, args.drops)
    print(f"### 3 files, duplicate names allowed, list lag {args.lag:g} s, {args.drops} lost")
    print("| figure | measured |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    return 0 if result["live routers"] == len(NAMES) else 1


if __name__ == "__main__":
    sys.exit(main())
