"""`routerctl emulator` as a good citizen (issue 14 item 5), each as a real process: one-line
errors for a busy port, a bad --host and a bad state file; a control API that only loopback,
same-origin callers reach; and a state file two processes can share without losing writes."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROUTERS = "/v2/gen-ai/models/routers"
COMMAND = [sys.executable, "-m", "routerctl", "emulator"]
START_TIMEOUT = 20.0


def run_emulator(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run `routerctl emulator ARGS` expecting it to fail at start-up."""
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("routerctl: error: emulator: ")
    for fragment in fragments:
        assert fragment in line
    return line


@contextmanager
def emulator_process(tmp_path: Path, *args: str) -> Iterator[str]:
    """A running `routerctl emulator --port 0 ARGS`; yields its URL (its first stdout line)."""
    log = (tmp_path / f"emulator-{time.monotonic_ns()}.log").open("w")
    proc = subprocess.Popen(
        [*COMMAND, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=log,  # one line per request: a pipe nobody reads would fill and stall it
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        assert ready, "the emulator printed no URL in time"
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()


# --- one-line start-up errors --------------------------------------------------------------


def test_busy_port_is_one_line_naming_the_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_emulator("--port", str(port))
    assert_one_line_error(
        result, f"cannot listen on 127.0.0.1:{port}", "already in use", "--port 0"
    )


@pytest.mark.parametrize(
    ("host", "fragment"),
    [
        ("no such host", "--host must be an IP address of this machine"),
        ("999.1.1.1", "--host must be an IP address of this machine"),
        ("example.com", "--host must be an IP address of this machine"),
        # A well-formed address that is not this machine's: the kernel refuses the bind.
        ("192.0.2.1", "is not an address of this machine"),
    ],
)
def test_bad_host_is_one_line(host: str, fragment: str) -> None:
    assert_one_line_error(run_emulator("--host", host, "--port", "0"), fragment)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ('{"version": 1, "routers": [\n  {"uuid": "a",}\n]}', (":2:", "not valid JSON")),
        ("[1, 2]", ('expected an object with a "routers" list',)),
        ('{"routers": [{"uuid": "a"}]}', ("router 0", "'name' must be a string")),
        ('{"version": 7, "routers": []}', ("state file version 7",)),
        ("[" * 100_000 + "]" * 100_000, ("not a readable JSON state file",)),
        (b"\xff\xfe{".decode("latin-1"), ("not",)),
    ],
    ids=["bad-json", "wrong-shape", "bad-router", "version", "deep-nesting", "not-utf8"],
)
def test_corrupt_state_file_is_one_line_naming_the_file(
    tmp_path: Path, content: str, fragments: tuple[str, ...]
) -> None:
    state = tmp_path / "state.json"
    state.write_text(content, encoding="latin-1")
    line = assert_one_line_error(run_emulator("--port", "0", "--state", str(state)), *fragments)
    assert str(state) in line
    assert state.read_text(encoding="latin-1") == content  # left as it was, not "repaired"


def test_unreadable_state_file_is_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    os.mkfifo(state)  # reading it would block forever (and root reads any mode-000 file)
    assert_one_line_error(
        run_emulator("--port", "0", "--state", str(state)), str(state), "not a regular file"
    )


# --- the control API: loopback and same-origin only ----------------------------------------


def test_control_api_refuses_cross_origin_and_foreign_hosts(tmp_path: Path, api_token: str) -> None:
    with emulator_process(tmp_path) as url:
        control = f"{url}/_emulator/config"
        body = {"latency_ms": 0}
        refused = [
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
            {"Origin": "http://127.0.0.1.evil.example:8080"},
            {"Host": "evil.example"},
            {"Host": "rebound.example:8080"},
            {"Sec-Fetch-Site": "cross-site"},
        ]
        for headers in refused:
            answer = httpx.put(control, json=body, headers=headers)
            assert answer.status_code == 403, headers
            assert answer.json()["id"] == "forbidden"
            preflight = httpx.request("OPTIONS", control, headers=headers)
            assert preflight.status_code == 403, headers
            assert "access-control-allow-origin" not in preflight.headers
        assert httpx.post(f"{url}/_emulator/reset", headers=refused[0]).status_code == 403
        allowed = [
            {},
            {"Origin": url},
            {"Origin": "http://localhost:3000"},
            {"Host": "localhost"},
            {"Host": "[::1]:9"},
        ]
        for headers in allowed:
            assert httpx.put(control, json=body, headers=headers).status_code == 200, headers
        # The management API is the API, not the control side: an Origin does not matter.
        auth = {"Authorization": f"Bearer {api_token}", "Origin": "http://evil.example"}
        assert httpx.get(f"{url}{ROUTERS}", headers=auth).status_code == 200


# --- two processes, one state file ------------------------------------------------------------


def router(name: str) -> dict[str, object]:
    return {
        "name": name,
        "description": "",
        "policies": [],
        "fallback_models": ["llama3.3-70b-instruct"],
    }


def test_two_processes_sharing_a_state_file_lose_no_writes(tmp_path: Path, api_token: str) -> None:
    state = tmp_path / "shared-state.json"
    auth = {"Authorization": f"Bearer {api_token}"}
    per_process = 30
    with (
        emulator_process(tmp_path, "--state", str(state)) as first,
        emulator_process(tmp_path, "--state", str(state)) as second,
    ):

        def create(job: tuple[str, int]) -> int:
            url, index = job
            name = f"{'a' if url == first else 'b'}-{index}"
            return httpx.post(f"{url}{ROUTERS}", json=router(name), headers=auth).status_code

        jobs = [(url, i) for i in range(per_process) for url in (first, second)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(create, jobs))
        assert statuses == [200] * len(jobs)

        # Each process sees the other's routers (it re-reads the file the other changed)...
        for url in (first, second):
            listed = httpx.get(f"{url}{ROUTERS}?per_page=200", headers=auth).json()
            assert listed["meta"]["total"] == 2 * per_process
        # ...a delete through one is gone in the other...
        victim = httpx.get(f"{first}{ROUTERS}?per_page=1", headers=auth).json()["model_routers"][0]
        assert httpx.delete(f"{second}{ROUTERS}/{victim['uuid']}", headers=auth).status_code == 200
        assert httpx.get(f"{first}{ROUTERS}/{victim['uuid']}", headers=auth).status_code == 404
        # ...and with unique names on, a name taken through one is taken in the other.
        for url in (first, second):
            httpx.put(f"{url}/_emulator/config", json={"unique_names": True}).raise_for_status()
        # (a name the delete above did not free: which router is listed first varies)
        taken = next(n for n in ("a-1", "a-2") if n != victim["name"])
        clash = httpx.post(f"{second}{ROUTERS}", json=router(taken), headers=auth)
        assert clash.status_code == 409

    stored = json.loads(state.read_text())["routers"]
    names = sorted(r["name"] for r in stored)
    expected = sorted(f"{p}-{i}" for p in "ab" for i in range(per_process))
    expected.remove(victim["name"])
    assert names == expected
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
