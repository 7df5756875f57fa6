"""The malicious server and the checks every hostile case makes (fixtures in conftest.py;
imported as `hostile.kit`, tests/ being on the path).

`HostileServer` is a stdlib HTTP server on loopback that answers each (method, path) with
whatever a case scripts: any status, any headers (lying ones included), any bytes, sent at
once, dripped a byte at a time, or never. By default it is a well-behaved API holding one
router that matches the project's router file, so a case scripts only the part it attacks.

`Hostile.run` invokes the CLI in-process (CliRunner, colour on so click strips nothing: the
escaping under test must be routerctl's own), with the client's sleep and clocks replaced by
FakeTime, inside a thread joined with a deadline, so a hang fails the case instead of the
suite. `Hostile.journey` runs the installed CLI as a subprocess for the journey tests.

Every case then asserts with `expect_error` / `expect_clean`: the exit code, one line on
stderr naming the API call (and the request id when the server sent one), no traceback, no
internal error, no secret anywhere (stdout, stderr, files written), no raw control character,
and that no single wait was longer than client.MAX_SINGLE_WAIT.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from fakes import FakeTime
from routerctl.cli import cli
from routerctl.client import MAX_SINGLE_WAIT

ROUTERS = "/v2/gen-ai/models/routers"
MODELS = "/v2/gen-ai/models"
CHAT = "/v1/chat/completions"
BIN = Path(sys.executable).with_name("routerctl")

# Raw control characters that must never reach a terminal (newline and tab are ours).
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069]"
)

ROUTER_FILE = """\
name: hostile
description: Hostile input target.
tasks:
  chat:
    description: General chat.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
    prefer: cheapest
fallback_models: [deepseek-v3.2]
tests:
  - prompt: hello there
    expect_task: chat
"""


def live_router(uuid: str = "u-1", name: str = "hostile", **overrides: Any) -> dict[str, Any]:
    """The router of ROUTER_FILE as the API returns it (plan says "No changes")."""
    router: dict[str, Any] = {
        "uuid": uuid,
        "name": name,
        "description": "Hostile input target.",
        "config": {
            "fallback_models": ["deepseek-v3.2"],
            "policies": [
                {
                    "custom_task": {"name": "chat", "description": "General chat."},
                    "models": ["openai-gpt-5-nano", "llama3.3-70b-instruct"],
                    "selection_policy": {"prefer": "cheapest"},
                }
            ],
        },
    }
    router.update(overrides)
    return router


def listing(*routers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model_routers": list(routers), **extra}


@dataclass
class Reply:
    """One scripted answer. `drip`: seconds between single bytes of the body; `drip_headers`:
    the same for the status line and headers; `hold`: accept and never answer."""

    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0
    drip_headers: float = 0.0
    hold: bool = False

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


Script = Callable[[str, dict[str, list[str]]], Reply]


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.0"  # a body ends when the connection closes

    def _answer(self) -> None:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests.append((self.command, self.path))
        script = self.server.routes.get((self.command, parts.path))
        if script is None:
            reply = Reply(404, {"id": "not_found", "message": "no such thing"})
        elif isinstance(script, Reply):
            reply = script
        else:
            reply = script(parts.path, parse_qs(parts.query))
        with contextlib.suppress(OSError):
            self._send(reply)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def _send(self, reply: Reply) -> None:
        if reply.hold:
            self.server.stop.wait(30)
            return
        body = reply.payload()
        headers = {"content-type": "application/json", **reply.headers}
        if not reply.drip:
            headers.setdefault("content-length", str(len(body)))
        head = f"HTTP/1.0 {reply.status} X\r\n".encode()
        head += b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"\r\n"
        self._write(head, reply.drip_headers)
        self._write(body, reply.drip)

    def _write(self, data: bytes, drip: float) -> None:
        if not drip:
            self.wfile.write(data)
            return
        for index in range(len(data)):
            if self.server.stop.wait(drip):
                return
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[tuple[str, str], Reply | Script] = {}
        self.requests: list[tuple[str, str]] = []
        self.stop = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        self.requests = []
        self.routes = {
            ("GET", ROUTERS): Reply(body=listing(live_router())),
            ("GET", f"{ROUTERS}/u-1"): Reply(body={"model_router": live_router()}),
            ("POST", CHAT): Reply(
                body={"model": "openai-gpt-5-nano", "choices": [{}], "usage": {}},
                headers={"x-model-router-selected-route": "chat"},
            ),
        }

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hanging up mid-answer is the point of several cases


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    elapsed: float  # real seconds
    sleeps: list[float]  # fake seconds the client slept
    files: dict[str, str]  # files the command left in the project, by name

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()

    def texts(self) -> list[str]:
        return [self.stdout, self.stderr, *self.files.values()]


class Hostile:
    """One case's view: the server, a project directory, the secrets, and the checks."""

    def __init__(self, server: HostileServer, root: Path, token: str, key: str) -> None:
        self.server = server
        self.root = root
        self.token = token
        self.key = key
        self.time = FakeTime()
        self.env = {
            "DIGITALOCEAN_API_URL": server.url,
            "DIGITALOCEAN_TOKEN": token,
            "DIGITALOCEAN_INFERENCE_URL": f"{server.url}/v1",
            "MODEL_ACCESS_KEY": key,
            "ROUTERCTL_CACHE_DIR": str(root / ".cache"),
        }

    def route(self, method: str, path: str, reply: Reply | Script) -> None:
        self.server.routes[(method, path)] = reply

    @property
    def epoch(self) -> float:
        """The fake wall clock now (what ratelimit-reset epochs are relative to)."""
        return self.time.wall()

    def run(self, *args: str, env: dict[str, str] | None = None, bound: float = 20.0) -> Outcome:
        """The CLI in-process; fails if it has not ended after `bound` real seconds."""
        before = {p.name for p in self.root.iterdir()}
        outcome: list[Any] = []
        environ = {**self.env, **(env or {})}

        def invoke() -> None:
            runner = CliRunner()
            outcome.append(runner.invoke(cli, list(args), env=environ, color=True))

        started = time.monotonic()
        worker = threading.Thread(target=invoke, daemon=True)
        worker.start()
        worker.join(bound)
        elapsed = time.monotonic() - started
        assert not worker.is_alive(), f"routerctl {' '.join(args)} still running after {bound} s"
        result = outcome[0]
        files = {
            p.name: p.read_text(encoding="utf-8", errors="replace")
            for p in self.root.iterdir()
            if p.is_file() and p.name not in before
        }
        return Outcome(
            result.exit_code, result.stdout, result.stderr, elapsed, self.time.sleeps, files
        )

    def journey(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        """The installed CLI as a subprocess (real time, real streams)."""
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DIGITALOCEAN_", "ROUTERCTL_", "MODEL_ACCESS_KEY", "GRADIENT_"))
        }
        environ.update(self.env)
        environ.update(env or {})
        before = {p.name for p in self.root.iterdir()}
        started = time.monotonic()
        done = subprocess.run(
            [str(BIN), *args],
            cwd=self.root,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        files = {
            p.name: p.read_text(encoding="utf-8", errors="replace")
            for p in self.root.iterdir()
            if p.is_file() and p.name not in before
        }
        return Outcome(
            done.returncode, done.stdout, done.stderr, time.monotonic() - started, [], files
        )

    # --- the checks -----------------------------------------------------------------------

    def expect_inert_and_secret_free(self, outcome: Outcome) -> None:
        for text in outcome.texts():
            assert self.token not in text
            assert self.key not in text
        for text in (outcome.stdout, outcome.stderr):
            found = RAW_CONTROL.search(text)
            assert found is None, f"raw control character {found.group(0)!r} in {text!r}"
        assert "Traceback" not in outcome.stderr
        assert "internal error" not in outcome.stderr
        assert all(s <= MAX_SINGLE_WAIT for s in outcome.sleeps), outcome.sleeps

    def expect_error(
        self,
        outcome: Outcome,
        source: str,
        *,
        contains: str = "",
        request_id: str = "",
        code: int = 1,
    ) -> str:
        """Exit `code`, and exactly one line on stderr, starting `routerctl: error: {source}`
        (the API call). Other announced lines (waits) are allowed before it."""
        self.expect_inert_and_secret_free(outcome)
        assert outcome.code == code, (outcome.code, outcome.stdout, outcome.stderr)
        errors = [line for line in outcome.lines if not line.startswith("routerctl: waiting ")]
        assert len(errors) == 1, errors
        line = errors[0]
        assert line.startswith(f"routerctl: error: {source}"), line
        assert contains in line, line
        if request_id:
            assert f"request id {request_id}" in line, line
        assert len(line) < 1500
        return line

    def expect_clean(self, outcome: Outcome, *, code: int = 0) -> None:
        self.expect_inert_and_secret_free(outcome)
        assert outcome.code == code, (outcome.code, outcome.stdout, outcome.stderr)


# --- markdown ----------------------------------------------------------------------------

OUR_TAGS = {"details", "/details", "summary", "/summary", "code", "/code", "b", "/b", "sub", "/sub"}


def _outside_code(markdown: str) -> str:
    """The markdown with fenced blocks and code spans removed (CommonMark's rule: a run of n
    backticks opens a span closed by the next run of exactly n)."""
    text = re.sub(r"(?ms)^(`{3,})diff\n.*?^\1$", "", markdown)
    out, index = [], 0
    while index < len(text):
        run = re.match(r"`+", text[index:])
        if run is None:
            out.append(text[index])
            index += 1
            continue
        fence = run.group(0)
        closing = re.compile(rf"(?<!`){fence}(?!`)")
        found = closing.search(text, index + len(fence))
        if found is None:
            out.append(fence)
            index += len(fence)
        else:
            index = found.end()
    return "".join(out)


def assert_inert_markdown(markdown: str) -> None:
    rest = _outside_code(markdown)
    tags = set(re.findall(r"<(/?[A-Za-z][A-Za-z0-9]*)", rest))
    assert tags <= OUR_TAGS, tags - OUR_TAGS
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == 6, line  # a pipe in a value did not add a column
