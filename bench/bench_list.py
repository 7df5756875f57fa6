"""Benchmark: listing 1,000 routers with `RouterClient.list_routers` against the emulator at
20 ms injected latency, with and without `config` in the list items (issue 3).

Two emulator modes: full list items (as the API returns when it includes `config`: one request
per page of 200) and summary items (`--summary-list`: every router then needs its own GET,
which the client sends `parallelism` at a time). The baseline is a plain sequential httpx
client written here: list every page, then GET every router one by one. Prints the request
count and the median wall time of N runs of each; targets: at parallelism 8, ≥ 8× faster than
the sequential client when GETs are needed, and exactly one request per page when they are not.

The emulator runs as a subprocess (`routerctl emulator --port 0`), not in a thread of this
process: in one process the server's handler threads and the client's workers share the GIL
on a 2-core machine, which added 10–15% to the parallel list time in two comparisons.

This module also holds the helpers bench_plan.py and bench_apply.py import (router specs, the
emulator subprocess).

    .venv/bin/python bench/bench_list.py [--routers 1000] [--runs 5] [--baseline-runs 3]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from routerctl.client import PER_PAGE, RouterClient
from routerctl.models import ROUTERS_PATH, PresetSpec, RouterSpec, TaskSpec

ROUTERCTL = Path(sys.executable).parent / "routerctl"
TOKEN = "bench-token"
LATENCY_MS = 20.0
TARGET_SPEEDUP = 8.0

MODELS = [
    "openai-gpt-5-nano",
    "llama3.3-70b-instruct",
    "anthropic-claude-haiku-4.5",
    "anthropic-claude-sonnet-4.6",
    "anthropic-claude-opus-4.7",
    "openai-gpt-oss-120b",
]
PREFERS = ("none", "cheapest", "fastest")


# --- helpers shared with bench_plan.py and bench_apply.py -------------------------------------


def make_spec(index: int, revision: int = 0) -> RouterSpec:
    """A router with 3 custom tasks and 1 preset, deterministic per index. A different
    `revision` changes the description and reverses the fallback order (an update)."""
    tasks = {
        f"task_{t}": TaskSpec(
            description=(
                f"Handle requests of kind {t} for router {index}: classify, answer, and "
                "escalate when the customer is unhappy or the issue is complex."
            ),
            models=[MODELS[(index + t + k) % 6] for k in range(3)],
            prefer=PREFERS[(index + t) % 3],  # type: ignore[arg-type]
        )
        for t in range(3)
    }
    presets = {
        "summarization": PresetSpec(
            models=[MODELS[index % 6], MODELS[(index + 3) % 6]], prefer="none"
        )
    }
    fallback = [MODELS[(index + 4) % 6], MODELS[(index + 5) % 6]]
    return RouterSpec(
        name=f"router-{index:04d}",
        description=f"Router {index}, revision {revision}. Routes support traffic cheaply.",
        tasks=tasks,
        presets=presets,
        fallback_models=fallback if revision % 2 == 0 else fallback[::-1],
    )


class EmulatorProcess:
    """`routerctl emulator --port 0` as a subprocess, driven through its control API
    (`/_emulator/config`, `/_emulator/stats`, `/_emulator/reset`)."""

    #: The command line; it must print the emulator's URL as its first line on stdout.
    command: tuple[str, ...] = (str(ROUTERCTL), "emulator", "--host", "127.0.0.1", "--port", "0")

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._http: httpx.Client | None = None

    def __enter__(self) -> EmulatorProcess:
        if not ROUTERCTL.exists():
            sys.exit(f"{ROUTERCTL} not found: run `make install` first")
        self._proc = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()  # it prints its URL, then serves
        if not self.url.startswith("http"):
            self._proc.kill()
            sys.exit(f"`routerctl emulator` did not print its URL (exit {self._proc.wait()})")
        self._http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._http is not None:
            self._http.close()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    @property
    def http(self) -> httpx.Client:
        assert self._http is not None, "use EmulatorProcess as a context manager"
        return self._http

    def configure(self, **settings: Any) -> None:
        """latency_ms, rate_limit_per_minute, summary_list, page_size_cap."""
        self.http.put("/_emulator/config", json=settings).raise_for_status()

    def stats(self) -> dict[str, Any]:
        response = self.http.get("/_emulator/stats")
        response.raise_for_status()
        return dict(response.json())

    def reset(self) -> None:
        """Drop routers, counters and rate-limit windows (the settings stay)."""
        self.http.post("/_emulator/reset").raise_for_status()

    def seed(self, bodies: list[dict[str, Any]]) -> list[str]:
        """Create routers with no latency and no rate limit; restores neither setting."""
        self.configure(latency_ms=0, rate_limit_per_minute=None)
        uuids = []
        for body in bodies:
            response = self.http.post(ROUTERS_PATH, json=body)
            response.raise_for_status()
            uuids.append(response.json()["model_router"]["uuid"])
        return uuids


def listen_overflows() -> int:
    """Linux's count of connections dropped because a listen backlog was full (0 elsewhere).
    socketserver listens with a backlog of 5, so a burst of new connections can overflow it;
    each dropped SYN is retried by the kernel after 1 s, which shows up as a 1 s stall."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            fields = dict(zip(names.split(), values.split(), strict=False))
            return int(fields.get("ListenOverflows", 0))
    return 0


def client(url: str, parallelism: int) -> RouterClient:
    return RouterClient(token=TOKEN, base_url=url, parallelism=parallelism)


# --- this benchmark -------------------------------------------------------------------------


def sequential_list(url: str) -> int:
    """The baseline: every page, then a GET per router, one request at a time, keep-alive.
    Returns the number of requests sent."""
    requests = 0
    uuids: list[str] = []
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as http:
        page = 1
        while True:
            response = http.get(ROUTERS_PATH, params={"page": page, "per_page": PER_PAGE})
            response.raise_for_status()
            requests += 1
            data = response.json()
            uuids += [item["uuid"] for item in data.get("model_routers") or []]
            if not data.get("links", {}).get("pages", {}).get("next"):
                break
            page += 1
        for uuid in uuids:
            response = http.get(f"{ROUTERS_PATH}/{uuid}")
            response.raise_for_status()
            requests += 1
            if "config" not in response.json()["model_router"]:
                sys.exit("baseline: GET returned a router without config")
    return requests


def timed_list(url: str, parallelism: int, expect: int) -> int:
    """One list_routers call with a fresh client; returns the requests it counted."""
    with client(url, parallelism) as api:
        routers = api.list_routers()
        if len(routers) != expect or not all(r.has_config for r in routers):
            sys.exit(f"list_routers returned {len(routers)} routers, expected {expect} with config")
        return api.stats.requests


def _requests(results: list[tuple[float, int, int]]) -> str:
    """The request count as client and emulator saw it (one figure when they agree)."""
    counts = {(sent, seen) for _, sent, seen in results}
    if len(counts) == 1 and len({*next(iter(counts))}) == 1:
        return str(results[0][1])
    return ", ".join(f"{sent} (emulator {seen})" for sent, seen in sorted(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    count, p = args.routers, args.parallelism
    pages = max(1, math.ceil(count / PER_PAGE))

    rows: list[str] = []
    overflows = listen_overflows()
    with EmulatorProcess() as emu:
        emu.seed([make_spec(i).api_payload() for i in range(count)])
        emu.configure(latency_ms=args.latency_ms, summary_list=True)

        def measure(once: Callable[[], int]) -> tuple[float, int, int]:
            """(seconds, requests the client counted, requests the emulator counted)."""
            before = int(emu.stats()["requests_total"])
            start = time.perf_counter()
            sent = once()
            elapsed = time.perf_counter() - start
            return elapsed, sent, int(emu.stats()["requests_total"]) - before

        # Summary items: a GET per router.
        base = [measure(lambda: sequential_list(emu.url)) for _ in range(args.baseline_runs)]
        seq = statistics.median(t for t, _, _ in base)
        rows.append(
            f"| summary items (GET each) | sequential httpx (baseline) | {base[0][2]} | "
            f"{seq:.2f} s | 1.0× | |"
        )
        # Page 1, then pages 2..N together, then the GETs p at a time.
        rounds = 1 + (1 if pages > 1 else 0) + math.ceil(count / p)
        ceiling = (pages + count) / rounds
        for parallelism, runs in ((p, args.runs), (2 * p, max(1, args.runs - 2))):
            results = [
                measure(lambda n=parallelism: timed_list(emu.url, n, count)) for _ in range(runs)
            ]
            seconds = statistics.median(t for t, _, _ in results)
            speedup = seq / seconds
            if parallelism == p:
                verdict = "met" if speedup >= TARGET_SPEEDUP else "MISSED"
                target = f"≥ {TARGET_SPEEDUP:.0f}× {verdict} (ceiling {ceiling:.2f}×)"
            else:
                target = f"for comparison ({runs} runs)"
            rows.append(
                f"| summary items (GET each) | RouterClient, parallelism {parallelism} | "
                f"{_requests(results)} | {seconds:.2f} s | {speedup:.1f}× | {target} |"
            )

        # Full items: one request per page, no GETs.
        emu.configure(summary_list=False)
        results = [measure(lambda: timed_list(emu.url, p, count)) for _ in range(args.runs)]
        seconds = statistics.median(t for t, _, _ in results)
        ok = all(sent == seen == pages for _, sent, seen in results)
        verdict = "met" if ok else "MISSED"
        rows.append(
            f"| full items (config included) | RouterClient, parallelism {p} | "
            f"{_requests(results)} | {seconds:.2f} s | {seq / seconds:.0f}× | "
            f"{pages} requests (1 per page) {verdict} |"
        )
    overflows = listen_overflows() - overflows

    print(
        f"`RouterClient.list_routers` on {count} routers, emulator subprocess with "
        f"{args.latency_ms:g} ms latency per request, page size {PER_PAGE}; median of "
        f"{args.runs} runs ({args.baseline_runs} for the sequential baseline), "
        f"{os.cpu_count()} CPUs"
    )
    print()
    print("| list items | client | requests | median | vs sequential | target |")
    print("|---|---|---:|---:|---:|---|")
    for row in rows:
        print(row)
    print()
    print(
        f"Ceiling at parallelism {p}: the client reads page 1, then pages 2..{pages} at once, "
        f"then sends the {count} GETs {p} at a time, so at best it takes "
        f"{rounds} round trips against the baseline's {pages + count}: {ceiling:.2f}×; "
        f"8× is out of reach at parallelism {p} even with no overhead at all. "
        f"Sequential: {seq / (pages + count) * 1000:.1f} ms per request "
        f"({args.latency_ms:g} ms of it injected)."
    )
    if overflows:
        print()
        print(
            f"{overflows} connection(s) overflowed a listen backlog during the runs (the "
            "emulator listens with socketserver's default backlog of 5): each stalls about 1 s "
            "for a SYN retransmit, so a run with one is about 1 s slower."
        )


if __name__ == "__main__":
    main()
