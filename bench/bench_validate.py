"""Benchmark: `routerctl validate DIR` on 1,000 generated router files with 4 tasks each.

The files look like the shipped examples (schema header, a description, four custom tasks with
distinct descriptions and 1-3 model pools, fallback models, two routing tests) and are valid
with no warnings, so every rule runs to the end. They are written to a temporary directory;
nothing is written into the repository. Prints the median wall time of N runs of the installed
console script as a subprocess (start-up included) and files per second; the target is under
1.5 s for 1,000 files.

    .venv/bin/python bench/bench_validate.py [--files N] [--runs N]
    .venv/bin/python bench/bench_validate.py --files 5000 --gc-compare   # issue 20

`--gc-compare` runs validate with the garbage collector left alone (`gc_pause.ENABLED =
False`: how routerctl ran before issue 20) and as shipped (paused while parsing), alternating
runs in the same session, both through the same `python -c` launcher so start-up is equal.
Target: at least 25% faster.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.5
GC_TARGET = 0.25
LAUNCHER = (
    "import sys; import routerctl.gc_pause as g; g.ENABLED = sys.argv.pop(1) == 'paused'; "
    "from routerctl.cli import main; sys.argv[0] = 'routerctl'; main()"
)
SCRIPT = Path(sys.executable).parent / "routerctl"

MODELS = [
    "openai-gpt-5-nano",
    "llama3.3-70b-instruct",
    "anthropic-claude-haiku-4.5",
    "anthropic-claude-sonnet-4.6",
    "anthropic-claude-opus-4.7",
    "openai-gpt-oss-120b",
    "deepseek-v3.2",
]
# Ids from the shipped catalog snapshot, so the files stay free of warnings (unknown ids warn).
FALLBACK_ONLY = ["kimi-k2.5", "openai-gpt-oss-20b"]
PREFERS = ("none", "cheapest", "fastest")
TASKS = [
    ("classify_ticket", "Categorize short support messages into issue types ({topics})."),
    ("urgency_detection", "Detect severity, sentiment, and escalation risk in a single pass."),
    ("draft_customer_reply", "Generate a short, professional customer-facing reply for {team}."),
    ("escalate_complex_issue", "Summarize complex tickets into structured briefs for {team}."),
    ("extract_order_details", "Pull order numbers, SKUs and shipping addresses out of emails."),
    ("translate_message", "Translate the customer's message into English, keeping the tone."),
    ("detect_spam", "Flag unsolicited bulk messages, phishing attempts and bot traffic."),
]
TOPICS = ["billing, bug, how-to, account", "refund, shipping, warranty", "login, API, quota"]
TEAMS = ["the billing desk", "tier-2 engineers", "the on-call SRE", "account managers"]


def router_yaml(index: int) -> str:
    """One router file; deterministic per index, four tasks picked from TASKS."""
    lines = [
        "# yaml-language-server: $schema=../schema/router.schema.json",
        f"name: team-{index:04d}-router",
        f"description: Support routing for team {index}; tickets go to the cheapest capable model.",
        "tasks:",
    ]
    picked = [TASKS[(index + k * 2) % len(TASKS)] for k in range(4)]
    for k, (key, text) in enumerate(picked):
        size = 1 + (index + k) % 3
        pool = [MODELS[(index + k + j) % len(MODELS)] for j in range(size)]
        prefer = "none" if size == 1 else PREFERS[(index + k) % 3]
        description = text.format(topics=TOPICS[index % 3], team=TEAMS[(index + k) % 4])
        lines += [
            f"  {key}:",
            f"    description: {description}",
            f"    models: [{', '.join(pool)}]",
            f"    prefer: {prefer}",
        ]
    lines += [
        f"fallback_models: [{FALLBACK_ONLY[index % 2]}, {MODELS[index % len(MODELS)]}]",
        "tests:",
        "  - prompt: I was charged twice for my subscription this month.",
        f"    expect_task: {picked[0][0]}",
        "  - prompt: Tell me a joke about databases.",
        "    expect_task: fallback",
    ]
    return "\n".join(lines) + "\n"


def write_files(directory: Path, count: int) -> None:
    for index in range(count):
        (directory / f"team-{index:04d}.yaml").write_text(router_yaml(index), encoding="utf-8")


def run_validate(directory: Path, gc_mode: str | None = None) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTERCTL_")}
    command = [str(SCRIPT)]
    if gc_mode is not None:
        command = [sys.executable, "-c", LAUNCHER, gc_mode]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "validate", str(directory)],
        capture_output=True,
        text=True,
        cwd=directory.parent,  # no routerctl.yaml there: the bench measures validate alone
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"validate exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
    return elapsed, done.stdout.splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gc-compare", action="store_true", help="collector on vs paused")
    args = parser.parse_args()
    if not SCRIPT.exists():
        sys.exit(f"{SCRIPT} not found: run `make install` first")
    with tempfile.TemporaryDirectory(prefix="routerctl-bench-") as tmp:
        directory = Path(tmp) / "routers"
        directory.mkdir()
        write_files(directory, args.files)
        size = sum(p.stat().st_size for p in directory.iterdir())
        run_validate(directory)  # warm the OS file cache and .pyc files
        if args.gc_compare:
            compare_gc(directory, args.files, args.runs, size)
            return
        runs = [run_validate(directory) for _ in range(args.runs)]
    seconds = statistics.median(t for t, _ in runs)
    summary = runs[0][1]
    if "0 errors, 0 warnings" not in summary:
        sys.exit(f"generated files are not clean: {summary}")
    verdict = "ok" if seconds < TARGET_SECONDS else "OVER"
    print(
        f"`routerctl validate` on {args.files} generated files ({size / 1024:.0f} KiB, 4 tasks "
        f"each), median of {args.runs} runs ({os.cpu_count()} CPUs): {summary}"
    )
    print()
    print("| files | median | files/s | target |")
    print("|---:|---:|---:|---|")
    print(
        f"| {args.files} | {seconds:.2f} s | {args.files / seconds:,.0f} | "
        f"< {TARGET_SECONDS} s {verdict} |"
    )


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compare_gc(directory: Path, files: int, runs: int, size: int) -> None:
    wall: dict[str, list[float]] = {"on": [], "paused": []}
    cpu: dict[str, list[float]] = {"on": [], "paused": []}
    for _ in range(runs):
        for mode in wall:  # alternating, so load on the machine hits both alike
            before_cpu = _child_cpu()
            wall[mode].append(run_validate(directory, mode)[0])
            cpu[mode].append(_child_cpu() - before_cpu)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"`routerctl validate` on {files} generated files ({size / 1024:.0f} KiB), garbage "
        f"collector as before vs paused while parsing (and frozen after, as the CLI does), "
        f"median of {runs} alternating runs each ({os.cpu_count()} CPUs, load average {load} "
        "at the end). CPU time is the process's user + system time: on a machine shared with "
        "other work it is the steadier figure."
    )
    print()
    print("| files | measure | collector on (before) | paused (now) | faster by | target |")
    print("|---:|---|---:|---:|---:|---|")
    for label, times in (("wall time", wall), ("CPU time", cpu)):
        before, after = (statistics.median(times[m]) for m in ("on", "paused"))
        gain = 1 - after / before
        verdict = "met" if gain >= GC_TARGET else "MISSED"
        print(
            f"| {files} | {label} | {before:.2f} s | {after:.2f} s | {gain:.0%} | "
            f"≥ {GC_TARGET:.0%} {verdict} |"
        )


if __name__ == "__main__":
    main()
