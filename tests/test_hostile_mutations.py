"""Generated hostile files (hypothesis): valid router files, routerctl.yaml and plan files,
mutated by splicing in the values that broke 0.1.0 (4,301-digit integers, .inf/.nan, tags,
line breaks in names, control characters, anchors, deep nesting) and by random byte edits.

Whatever the mutation, the contract holds: exit 0 or 1 (never a traceback or another escaped
exception), every report line names the file (with a line) or is the summary, and no control
character reaches the terminal. Derandomized, so a failure reproduces; kept small so the suite
stays fast (the coverage-guided runs live in `make fuzz`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routerctl.cli import cli
from routerctl.errors import PlanError
from routerctl.plan import load_plan

MUTATIONS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

ROUTER = """\
name: app-a
description: A router.
tasks:
  chat:
    description: General chat.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
    prefer: cheapest
presets:
  translation:
    models: [llama3.3-70b-instruct]
fallback_models: [deepseek-v3.2]
tests:
  - prompt: hello
    expect_task: chat
"""
SETTINGS = """\
dir: routers
prune:
  scope: ['app-*']
  protect: [app-keep]
environments:
  staging:
    name_suffix: -staging
traffic:
  routers:
    app-a:
      requests_per_month: 1000
      input_tokens: 100
      output_tokens: 10
      tasks:
        chat: {share: 0.5}
"""
POISON = [
    "1" * 4301,
    "-" + "9" * 40,
    ".inf",
    "-.inf",
    ".nan",
    "1.0e+400",
    ":".join(["59"] * 30),
    "0x" + "f" * 40,
    '"app-a\\n"',
    '"\\x1b[2J"',
    "!!python/object:os.system x",
    "!!binary aGVsbG8=",
    "!!timestamp 99999-01-01",
    "!!set {a, b}",
    "!custom x",
    "&a [*a]",
    "[" * 40 + "]" * 40,
    "{" * 40 + "}" * 40,
    "<<: {a: 1}",
    "~",
    "''",
    "yes",
    "2024-01-01",
    "\t",
    "\x00",
    "\x1b",
    "\u2028",
]


@st.composite
def mutated(draw: st.DrawFn, base: str) -> bytes:
    """`base` with a poison value spliced in after a ':' or '- ', or random byte edits."""
    raw = base.encode()
    if draw(st.booleans()):
        anchors = [m.end() for m in re.finditer(rb": |- |\[", raw)]
        at = draw(st.sampled_from(anchors))
        end = raw.find(b"\n", at)
        value = draw(st.sampled_from(POISON)).encode()
        keep = at if draw(st.booleans()) else end  # insert before the value, or replace it
        raw = raw[:at] + value + raw[keep:]
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(raw)))
        edit = draw(st.sampled_from(["insert", "delete", "flip"]))
        if edit == "insert":
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
        elif edit == "delete":
            raw = raw[:at] + raw[at + draw(st.integers(1, 8)) :]
        elif at < len(raw):
            raw = raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    return raw


def _check_report(stdout: str, stderr: str, named: str) -> None:
    assert "Traceback" not in stdout + stderr
    assert not CONTROL.search((stdout + stderr).replace("\n", "")), stdout + stderr
    for line in stdout.splitlines() + stderr.splitlines():
        assert (
            # a settings change can fault the router file too
            line.startswith((f"{named}:", "routerctl: ", "routers/app-a.yaml:"))
            or re.match(r"^\d+ files? (in)?valid", line)
            or line == ""
        ), line


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "routers").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


@MUTATIONS
@given(raw=mutated(ROUTER))
def test_mutated_router_file_validates_or_fails_with_located_lines(
    project: Path, raw: bytes
) -> None:
    (project / "routers" / "app-a.yaml").write_bytes(raw)
    (project / "routerctl.yaml").write_text("")
    result = CliRunner().invoke(cli, ["validate", "--format", "text"])
    assert result.exit_code in (0, 1), result.output
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    _check_report(result.stdout, result.stderr, "routers/app-a.yaml")
    if result.exit_code == 1 and not result.stderr:
        assert any(
            re.match(r"^routers/app-a\.yaml:\d+:\d+: ", x) for x in result.stdout.split("\n")
        )


@MUTATIONS
@given(raw=mutated(SETTINGS))
def test_mutated_settings_file_loads_or_fails_with_located_lines(project: Path, raw: bytes) -> None:
    (project / "routers" / "app-a.yaml").write_text(ROUTER)
    (project / "routerctl.yaml").write_bytes(raw)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code in (0, 1), result.output
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    _check_report(result.stdout, result.stderr, "routerctl.yaml")


PLAN = json.dumps(
    {
        "format_version": "1.0",
        "environment": None,
        "api_url": "http://127.0.0.1:9",
        "targets": [],
        "prune": False,
        "summary": {"create": 1, "update": 0, "delete": 0, "unchanged": 0},
        "changes": [
            {
                "name": "app-a",
                "action": "update",
                "uuid": "u-1",
                "renamed_from": None,
                "fingerprint": "sha256:00",
                "before": {
                    "name": "app-a",
                    "description": "",
                    "tasks": {},
                    "presets": {},
                    "fallback_models": ["m"],
                },
                "after": {
                    "name": "app-a",
                    "description": "new",
                    "tasks": {},
                    "presets": {},
                    "fallback_models": ["m"],
                },
                "field_changes": [
                    {"path": "description", "kind": "changed", "before": "", "after": "new"}
                ],
                "warnings": [],
            }
        ],
        "unchanged": [],
        "unmanaged": [],
        "prunable": [],
        "protected": [],
        "warnings": [],
    },
    indent=1,
)
JSON_POISON = [
    "1" * 4301,
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "[" * 5000 + "]" * 5000,
    "null",
    "[]",
    "{}",
    '"\\u001b[2J"',
    "true",
    "-0",
    '"' + "x" * 10_000 + '"',
]


@st.composite
def mutated_plan(draw: st.DrawFn) -> bytes:
    raw = PLAN.encode()
    values = [m.end() for m in re.finditer(rb'": ', raw)]
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.sampled_from(values))
        end = min(i for i in (raw.find(b",\n", at), raw.find(b"\n", at)) if i != -1)
        raw = raw[:at] + draw(st.sampled_from(JSON_POISON)).encode() + raw[end:]
        values = [m.end() for m in re.finditer(rb'": ', raw)]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    return raw


@MUTATIONS
@given(raw=mutated_plan())
def test_mutated_plan_file_loads_or_is_one_line_plan_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(raw)
    try:
        load_plan(path)
    except PlanError as exc:
        message = str(exc)
        assert "\n" not in message
        assert message.startswith(str(path))
        assert not CONTROL.search(message), message
        assert len(message) < 600
