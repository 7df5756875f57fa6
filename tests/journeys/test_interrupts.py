"""Ctrl-C, a second Ctrl-C, and SIGTERM (what CI sends on cancel) during a slow apply: the
run stops starting new calls, lets in-flight ones finish, prints the partial report of what
was done, and exits 130 (143 for SIGTERM). The report matches live state."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest

from journeys.kit import Repo, routerctl_command

NAMES = [f"slow-{i}" for i in range(6)]


def start_apply(repo: Repo) -> tuple[subprocess.Popen[str], list[str]]:
    repo.write("routerctl.yaml", 'prune:\n  scope: ["slow-*"]\n')
    for name in NAMES:
        repo.router(name)
    repo.commit("six routers")
    repo.api.configure(latency_ms=300)
    proc = subprocess.Popen(
        [*routerctl_command(), "apply", "--auto-approve", "--parallelism", "1"],
        cwd=repo.path,
        env=repo.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the first router is reported created
        line = proc.stderr.readline()
        seen.append(line)
        if ": created" in line or not line:
            break
    return proc, seen


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        ([signal.SIGINT], 130),
        ([signal.SIGINT, signal.SIGINT], 130),
        ([signal.SIGTERM], 143),
    ],
    ids=["ctrl-c", "ctrl-c-twice", "sigterm"],
)
def test_an_interrupted_apply_reports_what_it_did(
    repo: Repo, signals: list[signal.Signals], code: int
) -> None:
    proc, seen = start_apply(repo)
    assert any(": created" in line for line in seen), "".join(seen)
    for number in signals:
        proc.send_signal(number)
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=30)
    repo.api.configure(latency_ms=0)
    assert proc.returncode == code, stdout + stderr
    assert "Traceback" not in stderr
    match = re.search(r"Apply stopped: (\d+) created", stdout)
    assert match, stdout + stderr
    created = int(match.group(1))
    assert 1 <= created < len(NAMES)
    assert "interrupted" in stdout  # the routers not started are listed as such
    assert len(repo.live()) == created  # the report is the truth
    repo.run("apply", "--auto-approve")  # re-running finishes the job
    assert repo.live() == NAMES
