"""Journeys: the installed CLI as a user runs it, in a temporary git repository, against a
`routerctl emulator` subprocess (one per test module), asserting live state after every step.

`JOURNEY_ROUTERCTL_CMD` (a shell-quoted command) replaces `.venv/bin/routerctl` for the
commands under test (not the emulator), e.g. to run the journeys against another checkout
and see them fail there.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dop_v1_j0urney5ecret00000000000000000000000000000000000000000000000000"
ROUTERS = "/v2/gen-ai/models/routers"


def routerctl_command() -> list[str]:
    override = os.environ.get("JOURNEY_ROUTERCTL_CMD")
    return shlex.split(override) if override else [str(ROOT / ".venv" / "bin" / "routerctl")]


def router_yaml(name: str, *, fallback: str = "llama3.3-70b-instruct", extra: str = "") -> str:
    return (
        f"name: {name}\n"
        f"description: Router {name}.\n"
        "tasks:\n"
        "  summarize:\n"
        "    description: Summarize long documents into short overviews.\n"
        "    models: [anthropic-claude-haiku-4.5, openai-gpt-5-nano]\n"
        f"fallback_models: [{fallback}, openai-gpt-5-nano]\n" + extra
    )


def api_body(name: str, fallback: str = "llama3.3-70b-instruct") -> dict[str, Any]:
    """A router as someone clicking in the control panel would make it."""
    return {
        "name": name,
        "description": f"Router {name}.",
        "policies": [
            {
                "custom_task": {
                    "name": "summarize",
                    "description": "Summarize long documents into short overviews.",
                },
                "models": ["anthropic-claude-haiku-4.5", "openai-gpt-5-nano"],
                "selection_policy": {"prefer": "none"},
            }
        ],
        "fallback_models": [fallback, "openai-gpt-5-nano"],
    }


class EmulatorProcess:
    """`routerctl emulator` in a subprocess, driven over HTTP like any client."""

    def __init__(self, extra: list[str]) -> None:
        self.proc = subprocess.Popen(
            # Always this checkout's emulator: it is the test's instrument, not its subject.
            [str(ROOT / ".venv" / "bin" / "routerctl"), "emulator", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://"), "the emulator did not print its URL"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            text = reply.read()
        return json.loads(text) if text else None

    def reset(self) -> None:
        self.call("POST", "/_emulator/reset")
        self.call("POST", "/_emulator/faults", {})
        self.configure(latency_ms=0, unique_names=False, list_lag_seconds=0)

    def configure(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.call("PUT", "/_emulator/config", settings)
        return result

    def create(self, name: str, fallback: str = "llama3.3-70b-instruct") -> dict[str, Any]:
        router: dict[str, Any] = self.call("POST", ROUTERS, api_body(name, fallback))[
            "model_router"
        ]
        return router

    def routers(self) -> list[dict[str, Any]]:
        """Every stored router, whatever the list lag (the control API reads the store)."""
        routers: list[dict[str, Any]] = self.call("GET", "/_emulator/routers")["model_routers"]
        return routers

    def names(self) -> list[str]:
        return sorted(r["name"] for r in self.routers())

    def stop(self) -> None:
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck emulator
            self.proc.kill()
            self.proc.wait()


class Repo:
    """A user's git repository of router files, and the routerctl they run in it."""

    def __init__(self, path: Path, api: EmulatorProcess) -> None:
        self.path = path
        self.api = api
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("ROUTERCTL", "DIGITAL"))},
            "DIGITALOCEAN_API_URL": api.url,
            "DIGITALOCEAN_TOKEN": TOKEN,
            "ROUTERCTL_CACHE_DIR": str(path / ".routerctl"),
            "NO_COLOR": "1",
        }
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        (path / "routers").mkdir(exist_ok=True)

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "j",
            "GIT_AUTHOR_EMAIL": "j@example.com",
            "GIT_COMMITTER_NAME": "j",
            "GIT_COMMITTER_EMAIL": "j@example.com",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def write(self, relative: str, text: str) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def router(self, name: str, **kwargs: Any) -> Path:
        return self.write(f"routers/{name}.yaml", router_yaml(name, **kwargs))

    def remove(self, relative: str) -> None:
        (self.path / relative).unlink()

    def run(
        self, *args: str, expect: int | None = 0, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            [*routerctl_command(), *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if os.environ.get("JOURNEY_TIMES"):  # where a slow journey spends its time
            sys.stderr.write(f"{time.monotonic() - started:6.2f} s  routerctl {' '.join(args)}\n")
        assert TOKEN not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        if expect is not None:
            assert done.returncode == expect, (
                f"routerctl {' '.join(args)}: exit {done.returncode}, wanted {expect}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )
        return done

    def live(self) -> list[str]:
        return self.api.names()
