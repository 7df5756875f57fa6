"""What the hardening layer costs: bounds.parse_json against plain json.loads on one list page
of 200 routers (the documented page size), and the redaction boundary's scrub of that page's
text with a token registered. Prints a markdown table (median of N runs, in process).

    .venv/bin/python bench/bench_bounds.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from routerctl import redact
from routerctl.bounds import parse_json

ROUTER = {
    "uuid": "0b0e8f44-5b5c-4c4d-9a3c-1f2e3d4c5b6a",
    "name": "support-triage",
    "description": "Routes support traffic. " * 8,
    "config": {
        "fallback_models": ["llama3.3-70b-instruct", "deepseek-v3.2"],
        "policies": [
            {
                "custom_task": {"name": f"task-{i}", "description": "Label the ticket. " * 15},
                "models": ["openai-gpt-5-nano", "llama3.3-70b-instruct", "deepseek-v3.2"],
                "selection_policy": {"prefer": "cheapest"},
            }
            for i in range(5)
        ],
    },
}


def median_ms(func: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    body = json.dumps({"model_routers": [ROUTER] * 200, "meta": {"total": 200}}).encode()
    text = body.decode()
    redact.register("dop_v1_" + "c0ffee" * 10 + "0000")
    plain = median_ms(lambda: json.loads(body), runs)
    bounded = median_ms(lambda: parse_json(body), runs)
    scrub = median_ms(lambda: redact.scrub(text), runs)
    print(f"One page: 200 routers, {len(body) / 1024:.0f} KiB, median of {runs} runs.\n")
    print("| step | median |")
    print("|---|---:|")
    print(f"| json.loads | {plain:.1f} ms |")
    print(f"| bounds.parse_json (digits, finite, depth) | {bounded:.1f} ms |")
    print(f"| redact.scrub of the page text | {scrub:.1f} ms |")


if __name__ == "__main__":
    main()
