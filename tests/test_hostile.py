"""Hostile and malformed input: a corpus of bad router files (tests/hostile/routers/) and bad
API responses (tests/hostile/api/). Each must end in exit 1 with one line per problem, naming
the file (validate) or the method and path (plan), and never a traceback or the token.

API cases are served byte for byte by a stdlib HTTP server on loopback (respx would parse the
response itself, so a lying content-encoding or content-length would fail in the test instead
of in routerctl). A case is a JSON file: `endpoint` (`list`: the routers list answers with it;
`get`: the list returns a summary and `GET …/routers/u-1` answers with it), `status`,
`headers`, one body (`body` text, `body_json`, `body_file` next to it, `body_repeat` {text,
times}, or `stream` {chunk_bytes, chunks} with no content-length), `expect` (a substring of
the one error line, or of stdout when `exit` is 0) and optionally `exit` (default 1).
`{TOKEN}` in a body stands for the test token. Cases named `tolerated-*` are not errors:
unknown fields, server-filled defaults and reordered keys must plan as "No changes".
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from routerctl.cli import cli
from routerctl.client import RouterClient

HOSTILE = Path(__file__).parent / "hostile"
ROUTER_FILES = sorted((HOSTILE / "routers").glob("*.yaml"))
API_CASES = sorted((HOSTILE / "api").glob("*.json"))
ROUTERS = "/v2/gen-ai/models/routers"
SUMMARY = re.compile(r"^1 file invalid: [01] routers?, (\d+) errors?, (\d+) warnings?\.$")

# What each bad router file must be reported for (a substring of its issue lines).
ROUTER_EXPECT = {
    "alias-bomb.yaml": "refusing to expand it",
    "bad-expect-task.yaml": "expect_task 'chitchat' is not a task, preset or 'fallback'",
    "bad-name.yaml": "name 'My Router!' may only contain lowercase a-z, 0-9 and '-'",
    "control-character.yaml": "control character",
    "binary-png.yaml": "file is not valid UTF-8 (byte 0x89)",
    "blank-task-description.yaml": "custom tasks need a description",
    "deep-nesting.yaml": "values are nested more than 32 levels deep",
    "description-is-date.yaml": "expected a string, got a date (2024-01-01); quote it",
    "duplicate-key.yaml": "duplicate key 'fallback_models' (first defined on line 2)",
    "duplicate-models.yaml": "model 'deepseek-v3.2' is listed twice in fallback_models",
    "empty-fallback.yaml": "fallback_models must list at least one model",
    "empty.yaml": "file is empty",
    "html-page.yaml": "invalid YAML: mapping values are not allowed in this context",
    "json-unclosed.yaml": "invalid YAML: did not find expected ',' or '}'",
    "latin1-bytes.yaml": "file is not valid UTF-8 (byte 0xe9)",
    "merge-key.yaml": "YAML merge keys (<<) are not supported",
    "missing-fallback.yaml": "missing required key 'fallback_models'",
    "models-not-a-list.yaml": "expected a list, got a string ('openai-gpt-5-nano')",
    "name-is-boolean.yaml": "expected a string, got a boolean (true); quote it",
    "name-too-long.yaml": "name is 300 characters; the API allows at most 255",
    "nul-byte.yaml": "file contains NUL bytes",
    "null-name.yaml": "name: expected a string, got null",
    "numeric-task-key.yaml": "key '404' is read as a number, not a string",
    "only-comment.yaml": "file is empty",
    "prefer-unknown.yaml": "'optimal' is not a valid value; use one of none, cheapest, fastest",
    "python-tag.yaml": "unsupported YAML tag",
    "recursive-alias.yaml": "recursive YAML alias",
    "renamed-from-itself.yaml": "renamed_from lists the router's own name",
    "tab-indentation.yaml": "invalid YAML: found character that cannot start any token",
    "task-key-typos.yaml": "unknown key 'descripton' (did you mean \"description\"?)",
    "top-level-list.yaml": "top level is a list",
    "two-documents.yaml": "invalid YAML: but found another document",
    "unknown-key-typo.yaml": "unknown key 'fallback_model' (did you mean \"fallback_models\"?)",
    "unterminated-string.yaml": "invalid YAML: found unexpected end of stream",
    "wrong-types.yaml": "protect: expected true or false, got a string ('maybe')",
}

# Known bugs, xfail(strict) until fixed; see each reason for the fix.
KNOWN_BUGS: dict[str, str] = {}


def _router_params() -> list[Any]:
    return [
        pytest.param(p, marks=pytest.mark.xfail(reason=KNOWN_BUGS[p.name], strict=True))
        if p.name in KNOWN_BUGS
        else p
        for p in ROUTER_FILES
    ]


TARGET = """\
name: hostile
description: Hostile input target.
tasks:
  chat:
    description: General chat.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
    prefer: cheapest
fallback_models: [deepseek-v3.2]
"""


def test_the_corpus_has_at_least_30_bad_files_and_30_bad_responses():
    assert len(ROUTER_FILES) >= 30
    assert len([p for p in API_CASES if json.loads(p.read_text()).get("exit", 1) == 1]) >= 30
    assert {p.name for p in ROUTER_FILES} == set(ROUTER_EXPECT)


# --- bad router files: routerctl validate ------------------------------------------------------


@pytest.mark.parametrize("path", _router_params(), ids=lambda p: p.stem)
def test_validate_bad_router_file_one_line_per_issue_naming_the_file(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no escaped exception, no traceback
    assert "Traceback" not in result.output
    assert result.stderr == ""
    *issues, summary = result.stdout.splitlines()
    counts = SUMMARY.match(summary)
    assert counts is not None, summary
    errors, warnings = (int(n) for n in counts.groups())
    assert errors >= 1
    assert len(issues) == errors + warnings  # one line per issue, nothing else
    assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line) for line in issues), issues
    assert any(ROUTER_EXPECT[path.name] in line for line in issues), issues


# --- bad API responses: routerctl plan ---------------------------------------------------------


def _body(case: dict[str, Any], token: str) -> bytes:
    if "body_json" in case:
        text = json.dumps(case["body_json"])
    elif "body_file" in case:
        return (HOSTILE / "api" / case["body_file"]).read_bytes()
    elif "body_repeat" in case:
        text = case["body_repeat"]["text"] * case["body_repeat"]["times"]
    else:
        text = case.get("body", "")
    return text.replace("{TOKEN}", token).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    """Answers with the current case, byte for byte: lying headers and all (HTTP/1.0, so a
    body without content-length ends when the connection closes)."""

    server: _CaseServer

    def do_GET(self) -> None:
        case, token = self.server.case, self.server.token
        self.server.paths.append(self.path)
        path = self.path.split("?", 1)[0]
        if case["endpoint"] == "get" and path == ROUTERS:
            self._send(200, {"content-type": "application/json"}, SUMMARY_PAGE)
        elif path == (f"{ROUTERS}/u-1" if case["endpoint"] == "get" else ROUTERS):
            headers = dict(case.get("headers", {}))
            if "body_json" in case:
                headers.setdefault("content-type", "application/json")
            if "stream" in case:
                self._stream(case["status"], headers, case["stream"])
            else:
                body = _body(case, token)
                headers.setdefault("content-length", str(len(body)))
                self._send(case["status"], headers, body)
        else:
            self._send(404, {"content-type": "application/json"}, b'{"id": "not_found"}')

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may stop reading (size limits)
            self.wfile.write(body)

    def _stream(self, status: int, headers: dict[str, str], stream: dict[str, int]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        chunk = b"x" * stream["chunk_bytes"]
        with contextlib.suppress(OSError):
            for _ in range(stream["chunks"]):
                self.wfile.write(chunk)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _CaseServer(ThreadingHTTPServer):
    daemon_threads = True
    case: dict[str, Any]
    token: str
    paths: list[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is part of several cases


SUMMARY_PAGE = json.dumps({"model_routers": [{"uuid": "u-1", "name": "hostile"}]}).encode()


@pytest.fixture(scope="module")
def case_server() -> Iterator[_CaseServer]:
    server = _CaseServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def plan_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_token: str, case_server: _CaseServer
) -> _CaseServer:
    (tmp_path / "routers").mkdir()
    (tmp_path / "routers" / "hostile.yaml").write_text(TARGET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    host, port = case_server.server_address[:2]
    monkeypatch.setenv("DIGITALOCEAN_API_URL", f"http://{host}:{port}")
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", api_token)
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
    # Retries stay real (6 attempts) but do not sleep: a 5xx case would otherwise back off for
    # about 8 s. Backoff timing is covered in test_client.py.
    monkeypatch.setitem(RouterClient.__init__.__kwdefaults__, "sleep", lambda seconds: None)
    case_server.token = api_token
    case_server.paths = []
    return case_server


@pytest.mark.parametrize("path", API_CASES, ids=lambda p: p.stem)
def test_plan_against_bad_api_response_is_one_line_error_naming_method_and_path(
    path, plan_project, api_token
):
    case = json.loads(path.read_text(encoding="utf-8"))
    plan_project.case = case
    result = CliRunner().invoke(cli, ["plan", "--detailed-exitcode"])
    assert result.exit_code == case.get("exit", 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert api_token not in result.output
    assert plan_project.paths  # the requests reached the stand-in server, nowhere else
    if result.exit_code in (0, 2):  # tolerated: unknown fields and values, server defaults
        assert case["expect"] in result.stdout
        assert result.stderr == ""
        return
    assert result.stdout == ""
    # Waits over 2 s (the 5xx cases back off, on a no-op sleep) are announced on their own
    # lines; the error is the one other line.
    lines = [x for x in result.stderr.splitlines() if not x.startswith("routerctl: waiting ")]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"routerctl: error: GET {ROUTERS}"), lines[0]
    assert case["expect"] in lines[0], lines[0]
    assert len(lines[0]) < 1000
