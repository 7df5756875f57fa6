"""`routerctl validate` and `routerctl schema` through click's CliRunner: exit codes (0 valid,
1 invalid, 64 usage), the exact report lines, `--format json`, `--strict`, the default
directory, and one test per bad-input case from the issue.

RouterctlGroup.main ends in sys.exit, so CliRunner's exit_code is the real process exit code.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from routerctl.cli import cli

REPO = Path(__file__).resolve().parents[1]

VALID = """\
name: triage
tasks:
  classify:
    description: Categorize short support messages into issue types.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
    prefer: cheapest
fallback_models: [llama3.3-70b-instruct, anthropic-claude-haiku-4.5]
"""

NO_TASKS = "name: bare\nfallback_models: [glm-5]\n"  # valid, with one warning


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty directory: no routerctl.yaml, no routers/ unless a test makes one."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(relpath: str, content: str | bytes) -> Path:
    path = Path(relpath)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def validate(*args: str) -> Result:
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


def stdout_lines(result: Result) -> list[str]:
    return result.stdout.splitlines()


# --- valid input ------------------------------------------------------------------------------


def test_validate_shipped_example_routers_are_valid_with_no_warnings():
    result = validate(str(REPO / "routers"))
    assert result.exit_code == 0
    # two router files plus their two routing-test files
    assert result.stdout == "4 files valid: 2 routers, 0 errors, 0 warnings.\n"
    assert result.stderr == ""


def test_validate_shipped_examples_reference_the_committed_schema():
    routers = [p for p in (REPO / "routers").glob("*.yaml") if not p.name.endswith(".tests.yaml")]
    assert len(routers) == 2
    for path in sorted(routers):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/router.schema.json"
        assert (path.parent / "../schema/router.schema.json").resolve().is_file()


def test_validate_defaults_to_the_routers_directory():
    write("routers/triage.yaml", VALID)
    result = validate()
    assert result.exit_code == 0
    assert result.stdout == "1 file valid: 1 router, 0 errors, 0 warnings.\n"


def test_validate_accepts_a_mix_of_yml_and_yaml_files():
    write("routers/triage.yaml", VALID)
    write("routers/bare.yml", NO_TASKS)
    result = validate("routers")
    assert result.exit_code == 0
    assert stdout_lines(result) == [
        "routers/bare.yml:1:1: warning: router has no tasks and no presets: every request goes "
        "to the fallback models",
        "2 files valid: 2 routers, 0 errors, 1 warning.",
    ]


def test_validate_takes_several_files_and_directories():
    write("a/triage.yaml", VALID)
    write("b/bare.yml", NO_TASKS)
    write("c.yaml", VALID.replace("name: triage", "name: other"))
    result = validate("a", "b/bare.yml", "c.yaml")
    assert result.exit_code == 0
    assert stdout_lines(result)[-1] == "3 files valid: 3 routers, 0 errors, 1 warning."


def test_validate_warnings_exit_0_and_strict_makes_them_exit_1():
    write("routers/bare.yaml", NO_TASKS)
    warning = (
        "routers/bare.yaml:1:1: warning: router has no tasks and no presets: every request goes "
        "to the fallback models"
    )
    relaxed = validate()
    assert relaxed.exit_code == 0
    assert stdout_lines(relaxed) == [warning, "1 file valid: 1 router, 0 errors, 1 warning."]
    strict = validate("--strict")
    assert strict.exit_code == 1
    assert stdout_lines(strict) == [warning, "1 file invalid: 1 router, 0 errors, 1 warning."]


def test_validate_custom_task_names_are_free_text():
    write(
        "routers/r.yaml",
        "name: r\ntasks:\n  Code reviewer:\n    description: Review diffs.\n"
        "    models: [glm-5, kimi-k2.5]\nfallback_models: [deepseek-v3.2]\n",
    )
    result = validate()
    assert result.exit_code == 0
    assert result.stdout == "1 file valid: 1 router, 0 errors, 0 warnings.\n"


def test_validate_dir_option_replaces_the_default_directory():
    write("specs/triage.yaml", VALID)
    result = validate("--dir", "specs")
    assert result.exit_code == 0
    assert result.stdout == "1 file valid: 1 router, 0 errors, 0 warnings.\n"


def test_validate_env_applies_the_environments_overlay_and_names():
    write("routers/triage.yaml", VALID)
    write(
        "routerctl.yaml",
        "environments:\n  staging:\n    name_prefix: stg-\n    overlays: overlays/staging\n",
    )
    write("overlays/staging/triage.yaml", "tasks:\n  classify:\n    prefer: fastets\n")
    result = validate("--env", "staging", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["routers"] == []
    assert [(i["path"], i["line"], i["message"]) for i in report["issues"]] == [
        (
            "overlays/staging/triage.yaml",
            3,
            "'fastets' is not a valid value; use one of none, cheapest, fastest "
            '(did you mean "fastest"?)',
        )
    ]


def test_validate_env_renames_routers():
    write("routers/triage.yaml", VALID)
    write("routerctl.yaml", "environments:\n  prod:\n    name_suffix: -prod\n")
    result = validate("--env", "prod", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["routers"] == ["triage-prod"]


# --- invalid input: every problem in every file, one run -------------------------------------


def test_validate_reports_every_problem_in_every_file_and_exits_1():
    write(
        "routers/a.yaml",
        "name: Triage\ntasks:\n  t:\n    description: d\n    models: [glm-5, glm-5]\n"
        "    prefer: cheep\nfallback_models: [kimi-k2.5]\n",
    )
    write("routers/b.yml", "name: b\nfallback_model: [kimi-k2.5]\n")
    write("routers/c.yaml", VALID)
    result = validate()
    assert result.exit_code == 1
    assert stdout_lines(result) == [
        "routers/a.yaml:1:1: name: name 'Triage' may only contain lowercase a-z, 0-9 and '-' "
        '(try "triage")',
        "routers/a.yaml:5:21: tasks.t.models[1]: model 'glm-5' is listed twice in the pool "
        "(also at [0])",
        "routers/a.yaml:6:5: tasks.t.prefer: 'cheep' is not a valid value; use one of none, "
        'cheapest, fastest (did you mean "cheapest"?)',
        "routers/b.yml:1:1: missing required key 'fallback_models'",
        "routers/b.yml:2:1: fallback_model: unknown key 'fallback_model' "
        '(did you mean "fallback_models"?)',
        "3 files invalid: 1 router, 5 errors, 0 warnings.",
    ]
    assert result.stderr == ""


def test_validate_duplicate_router_names_across_files():
    write("routers/a.yaml", VALID)
    write("routers/b.yml", VALID)
    result = validate()
    assert result.exit_code == 1
    assert stdout_lines(result) == [
        "routers/b.yml:1:1: name: router name 'triage' is already used by routers/a.yaml:1; "
        "names must be unique",
        "2 files invalid: 2 routers, 1 error, 0 warnings.",
    ]


BOMB = b"""\
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
"""

BAD_INPUT = [
    (
        "invalid-yaml",
        b"name: a\n  bad: [\n",
        "2:6: invalid YAML: mapping values are not allowed in this context",
    ),
    (
        "empty",
        b"",
        "1:1: file is empty; a router file needs at least `name` and `fallback_models`",
    ),
    (
        "top-level-list",
        b"- name: a\n",
        "1:1: top level is a list; a router file is a mapping with `name:`, `tasks:`, "
        "`fallback_models:` …",
    ),
    (
        "top-level-scalar",
        b"triage-router\n",
        "1:1: top level is a string; a router file is a mapping with `name:`, `tasks:`, "
        "`fallback_models:` …",
    ),
    (
        "duplicate-key",
        b"name: a\nfallback_models: [m]\nfallback_models: [n]\n",
        "3:1: fallback_models: duplicate key 'fallback_models' (first defined on line 2); "
        "YAML would silently keep only the last one",
    ),
    (
        "not-utf8",
        b"name: a\ndescription: \xff\xfe\n",
        "2:14: file is not valid UTF-8 (byte 0xff); save it as UTF-8",
    ),
    (
        "too-large",
        b"name: a\n#" + b"x" * (1024 * 1024),
        "1:1: file is 1,048,585 bytes; router files are limited to 1,048,576 bytes "
        "(split it, one router per file)",
    ),
    (
        "alias-bomb",
        BOMB,
        "5:1: e: document expands to more than 100,000 values "
        "(YAML anchors/aliases?); refusing to expand it",
    ),
    (
        "deep-nesting",
        b"[" * 100_000 + b"]" * 100_000,
        "1:33: values are nested more than 32 levels deep; a router file needs 4",
    ),
]


@pytest.mark.parametrize(
    ("raw", "message"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_validate_bad_input_is_one_clear_error_and_exit_1(raw: bytes, message: str):
    write("routers/bad.yaml", raw)
    result = validate()
    assert result.exit_code == 1
    assert stdout_lines(result) == [
        f"routers/bad.yaml:{message}",
        "1 file invalid: 0 routers, 1 error, 0 warnings.",
    ]
    assert result.stderr == ""


def test_validate_directory_with_no_router_files_exits_1():
    write("routers/README.md", "nothing here\n")
    result = validate()
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "routerctl: error: routers: no router files (*.yaml or *.yml) in this directory; "
        "create one or pass --dir\n"
    )


def test_validate_missing_default_directory_exits_1():
    result = validate()
    assert result.exit_code == 1
    assert result.stderr == "routerctl: error: routers: no such file or directory\n"


def test_validate_nonexistent_path_exits_1():
    write("routers/triage.yaml", VALID)
    result = validate("routers/nope.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "routerctl: error: routers/nope.yaml: no such file or directory\n"


# --- --format json ------------------------------------------------------------------------------


def test_validate_json_reports_every_issue_with_its_fields():
    write("routers/a.yaml", "name: a\nfallback_models: [glm-5, glm-5]\n")
    result = validate("--format", "json")
    assert result.exit_code == 1
    report: dict[str, Any] = json.loads(result.stdout)
    assert report == {
        "valid": False,
        "files": 1,
        "routers": ["a"],
        "errors": 1,
        "warnings": 1,
        "issues": [
            {
                "path": "routers/a.yaml",
                "line": 1,
                "col": 1,
                "location": "",
                "message": "router has no tasks and no presets: every request goes to the "
                "fallback models",
                "severity": "warning",
                "code": "no-tasks",
            },
            {
                "path": "routers/a.yaml",
                "line": 2,
                "col": 26,
                "location": "fallback_models[1]",
                "message": "model 'glm-5' is listed twice in fallback_models",
                "severity": "error",
                "code": "duplicate-model",
            },
        ],
    }


def test_validate_json_valid_files():
    write("routers/triage.yaml", VALID)
    result = validate("--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "files": 1,
        "routers": ["triage"],
        "errors": 0,
        "warnings": 0,
        "issues": [],
    }


def test_validate_json_strict_marks_warnings_invalid():
    write("routers/bare.yaml", NO_TASKS)
    result = validate("--format", "json", "--strict")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["valid"], report["errors"], report["warnings"]) == (False, 0, 1)


def test_validate_json_bad_input_has_a_code():
    write("routers/bad.yaml", b"name: a\nname: b\n")
    result = validate("--format", "json")
    assert result.exit_code == 1
    assert [(i["code"], i["line"]) for i in json.loads(result.stdout)["issues"]] == [
        ("duplicate-key", 2)
    ]


# --- usage errors exit 64 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "Error: No such option '--bogus'."),
        (
            ["--format", "xml"],
            "Error: Invalid value for '--format': 'xml' is not one of 'text', 'json'.",
        ),
    ],
    ids=["unknown-option", "bad-format"],
)
def test_validate_usage_errors_exit_64(args: list[str], message: str):
    write("routers/triage.yaml", VALID)
    result = validate(*args)
    assert result.exit_code == 64
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == message


# --- schema ------------------------------------------------------------------------------------


def test_schema_prints_json_equal_to_the_committed_schema_file():
    result = CliRunner().invoke(cli, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    committed = (REPO / "schema" / "router.schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed, "run: .venv/bin/routerctl schema > schema/router.schema.json"


def test_schema_describes_the_file_format():
    result = CliRunner().invoke(cli, ["schema"], catch_exceptions=False)
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["name", "fallback_models"]
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["TaskSpec"]["properties"]["prefer"]["enum"] == [
        "none",
        "cheapest",
        "fastest",
    ]


def test_validate_copied_examples_from_the_default_directory(tmp_path: Path):
    shutil.copytree(REPO / "routers", tmp_path / "routers")
    result = validate()
    assert result.exit_code == 0
    assert result.stdout == "4 files valid: 2 routers, 0 errors, 0 warnings.\n"
