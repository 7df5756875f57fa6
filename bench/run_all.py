"""`make bench`: run every benchmark script, print the combined figures, and record them in
bench/README.md.

Runs each bench/bench_*.py below as a subprocess of this interpreter (the project's venv), one
after another so they do not compete for the CPU, with the scripts' default sizes and run
counts. Prints a headline table of every row that has a target (a verdict of `ok`/`met` or
`OVER`/`MISSED`), then each script's own markdown under its name. The same text replaces the
part of bench/README.md between `<!-- bench:begin -->` and `<!-- bench:end -->` (appended at
the end the first time); the rest of the README is left alone. Exits 1 if a script failed.
Takes about 5 minutes on 2 cores, most of it the sequential baselines and the 60 s pacing run.

    .venv/bin/python bench/run_all.py [--only NAME]... [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
README = BENCH / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# (name, script, what it measures); run in this order.
SCRIPTS = (
    ("startup", "bench_startup.py", "`routerctl --help` / `--version` start-up"),
    ("validate", "bench_validate.py", "`routerctl validate` on 1,000 files"),
    ("diff", "bench_diff.py", "compute_plan + renderers on 1,000 routers, in process"),
    ("list", "bench_list.py", "list 1,000 routers at 20 ms latency (issue 3)"),
    ("cli-list", "bench_cli_list.py", "`routerctl list` of 1,000 routers: pages only (issue 15)"),
    ("plan", "bench_plan.py", "whole plan of 1,000 routers at 20 ms latency (issue 4)"),
    ("apply", "bench_apply.py", "apply 200 routers; 429s under 250/min (issue 5)"),
    ("hostile-files", "bench_hostile_files.py", "`validate` on 236 KB / 1 MiB hostile files"),
    ("duplicates", "bench_duplicates.py", "3 files, lost creates, dup names, lagging list (13)"),
)
VERDICT = re.compile(r"\b(ok|met|OVER|MISSED)\b")
FIGURE_COLUMNS = ("median", "measured", "wall time")
EXTRA_COLUMNS = ("vs sequential", "speed-up", "ratio", "429 (emulator / client)")


@dataclass(frozen=True)
class Result:
    name: str
    script: str
    what: str
    seconds: float
    returncode: int
    stdout: str
    stderr: str


def run(name: str, script: str, what: str) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTERCTL_")}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH / script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - start
    return Result(name, script, what, seconds, done.returncode, done.stdout, done.stderr)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def headline_rows(result: Result) -> list[tuple[str, str, str]]:
    """(what, measured, target) for every table row of `result` that carries a verdict."""
    rows: list[tuple[str, str, str]] = []
    header: list[str] = []
    for line in result.stdout.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.replace("**", "") for cell in _cells(line)]
        if not header:
            header = [cell.lower() for cell in cells]
            continue
        if set(line) <= set("|-: "):
            continue
        verdicts = [i for i, cell in enumerate(cells) if VERDICT.search(cell)]
        if not verdicts or len(cells) != len(header):
            continue
        column = dict(zip(header, cells, strict=True))
        what = cells[0]
        if what.replace(",", "").isdigit():  # e.g. bench_validate's "| 1000 | ..." under "files"
            what += f" {header[0]}"
        if "client" in column:
            what += f", {column['client']}"
        elif "parallelism" in column:
            what += f", parallelism {column['parallelism']}"
        figure = next((column[c] for c in FIGURE_COLUMNS if c in column), cells[1])
        extras = [f"{c} {v}" for c, v in column.items() if c.startswith(EXTRA_COLUMNS) and v != "—"]
        measured = "; ".join([figure, *extras])
        target = cells[verdicts[-1]]
        if target in figure:  # the verdict is written into the figure itself (bench_diff)
            target = VERDICT.findall(target)[-1]
        rows.append((what, measured, target))
    return rows


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()} "
        f"{platform.machine()}, Python {platform.python_version()}; load average at the "
        f"start {load}"
    )


def render(results: list[Result], started: dt.datetime, where: str) -> str:
    total = sum(r.seconds for r in results)
    lines = [
        "## Results (make bench)",
        "",
        f"Generated by `make bench` (`bench/run_all.py`) on {started:%Y-%m-%d %H:%M} UTC, "
        f"{where}. Every script ran once, one after another, with its default sizes and run "
        f"counts (each says how many runs its medians are of); {total:.0f} s in all. The "
        "network benchmarks (list, plan, apply) start `routerctl emulator --port 0` as a "
        "subprocess and inject 20 ms of latency per API request. This section is rewritten by "
        "every `make bench`; write notes outside the markers. To run one benchmark alone: "
        "`.venv/bin/python bench/bench_NAME.py` (`--help` lists its options).",
        "",
        "| benchmark | measurement | figure | target |",
        "|---|---|---|---|",
    ]
    for result in results:
        rows = headline_rows(result)
        if result.returncode != 0:
            rows.append(("script failed", f"exit {result.returncode}", "MISSED"))
        for what, measured, target in rows:
            lines.append(f"| {result.name} | {what} | {measured} | {target} |")
    for result in results:
        lines += [
            "",
            f"### {result.name}: `bench/{result.script}` ({result.seconds:.0f} s)",
            "",
            f"{result.what}.",
            "",
            result.stdout.strip() or "(no output)",
        ]
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            lines += ["", f"**Failed with exit code {result.returncode}:**", "", "```", tail, "```"]
    return "\n".join(lines) + "\n"


def write_readme(section: str) -> None:
    block = f"{BEGIN}\n{section}{END}\n"
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    begin, end = text.find(BEGIN), text.find(END)
    if begin != -1 and end > begin:
        rest = text[end + len(END) :].lstrip("\n")
        text = text[:begin] + block + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    README.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [name for name, _, _ in SCRIPTS]
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        help="Run only this (repeat); prints, never writes: a partial run must not replace "
        "the full table in bench/README.md.",
    )
    parser.add_argument("--no-write", action="store_true", help="Do not update bench/README.md.")
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC)
    where = machine()
    results = []
    for name, script, what in SCRIPTS:
        if args.only and name not in args.only:
            continue
        print(f"running bench/{script} ...", file=sys.stderr, flush=True)
        result = run(name, script, what)
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"  {status} in {result.seconds:.0f} s", file=sys.stderr, flush=True)
        results.append(result)
    section = render(results, started, where)
    print(section, end="")
    if not args.no_write and not args.only:
        write_readme(section)
        print(f"\n(written to {README.relative_to(ROOT)})", file=sys.stderr)
    if any(r.returncode != 0 for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
