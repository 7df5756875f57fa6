"""Issue 15's CLI conventions, one test each (journeys: tests/e2e/test_conventions_e2e.py):
colour, usage errors, global options, completion, init, show, the price cache, progress output,
policy order, and the docs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from routerctl.cachedir import cache_dir
from routerctl.cli import cli
from routerctl.errors import UsageError
from routerctl.globalopts import hoist
from routerctl.plan import Action, Change, Plan, save_plan
from routerctl.scaffold import _CI_FILES, init_project
from routerctl.spec import collect_routers
from routerctl.term import use_color

ROOT = Path(__file__).resolve().parents[1]
ROUTERCTL = Path(sys.executable).parent / "routerctl"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


class Tty:
    def isatty(self) -> bool:
        return True


class Pipe:
    def isatty(self) -> bool:
        return False


# --- colour: one rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "environ", "tty", "expected"),
    [
        (False, {}, True, True),
        (False, {}, False, False),
        (True, {}, True, False),  # --no-color
        (False, {"NO_COLOR": "1"}, True, False),
        (False, {"NO_COLOR": ""}, True, True),  # no-color.org: empty is the same as unset
        (False, {"FORCE_COLOR": "1"}, False, True),
        (False, {"FORCE_COLOR": ""}, False, False),
        (False, {"FORCE_COLOR": "0"}, False, False),
        (False, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),  # "no" wins
        (True, {"FORCE_COLOR": "1"}, True, False),  # the flag wins over everything
        (False, {"TERM": "dumb"}, True, False),
        (False, {"TERM": "dumb", "FORCE_COLOR": "1"}, False, True),
    ],
)
def test_one_colour_rule(flag, environ, tty, expected):
    stream = Tty() if tty else Pipe()
    assert use_color(no_color=flag, stream=stream, environ=environ) is expected  # type: ignore[arg-type]


def _saved_plan(tmp_path: Path) -> Path:
    change = Change(
        name="a",
        action=Action.CREATE,
        after={
            "name": "a",
            "description": "",
            "tasks": {},
            "presets": {},
            "fallback_models": ["m"],
        },
    )
    path = tmp_path / "plan.json"
    save_plan(Plan(changes=(change,), unchanged=("b",)), path)
    return path


def test_every_command_that_colours_has_no_color(tmp_path, monkeypatch):
    # A command colours when FORCE_COLOR makes ANSI appear; each such command must take
    # --no-color. `show` needs no API, so it is the behavioural check; the rest by parameter.
    monkeypatch.setenv("FORCE_COLOR", "1")
    path = _saved_plan(tmp_path)
    assert ANSI.search(run("show", str(path)).stdout)
    assert not ANSI.search(run("show", str(path), "--no-color").stdout)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(run("show", str(path)).stdout)
    for name in ("plan", "apply", "cost", "show"):
        assert "--no-color" in {o for p in cli.commands[name].params for o in p.opts}, name


# --- usage errors exit 64 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["import"],  # no names, no --all: before any API call
        ["plan", "--config", "nope.yaml"],
        ["validate", "--config", "nope.yaml"],
        ["no-such-command"],
        ["plan", "--no-such-flag"],
        ["completion"],
        ["completion", "tcsh"],
        ["show"],
        ["show", "missing-plan.json"],
        ["init", "--ci", "jenkins"],
        ["get"],
        ["get", "x", "--format", "toml"],
        ["list", "--format", "yaml"],
        ["fmt", "--api-url", "http://x"],  # a global option the command does not take
        ["--timeout"],  # a global option without its value
        ["--env", "staging", "schema"],
    ],
)
def test_every_usage_error_exits_64(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 64, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


# --- global options --------------------------------------------------------------------------

COMMANDS = {"plan": {"--env", "--config", "--api-url", "--no-color", "--timeout", "--dir"}}


def test_hoist_moves_global_options_after_the_command_and_debug_up():
    accepts = COMMANDS.get
    assert hoist(["--env", "s", "plan", "--dir", "d"], accepts) == [
        "plan", "--env", "s", "--dir", "d",
    ]  # fmt: skip
    assert hoist(["--config=x.yaml", "--no-color", "plan"], accepts) == [
        "plan", "--config=x.yaml", "--no-color",
    ]  # fmt: skip
    assert hoist(["plan", "--debug", "--env", "s"], accepts) == ["--debug", "plan", "--env", "s"]
    # Before `--` nothing is moved; after it, nothing is touched.
    assert hoist(["plan", "--", "--debug"], accepts) == ["plan", "--", "--debug"]
    assert hoist(["--help"], accepts) == ["--help"]
    assert hoist(["--env", "s", "nope"], accepts) == ["--env", "s", "nope"]  # click reports it


def test_hoist_precedence_the_flag_after_the_command_wins():
    args = hoist(["--env", "a", "plan", "--env", "b"], COMMANDS.get)
    assert args == ["plan", "--env", "a", "--env", "b"]  # click keeps the last value


def test_hoist_refuses_options_a_command_does_not_take_but_drops_no_color():
    with pytest.raises(UsageError, match="--api-url does not apply to `routerctl fmt`"):
        hoist(["--api-url", "http://x", "fmt"], {"fmt": {"--check"}}.get)
    assert hoist(["--no-color", "fmt", "--no-color"], {"fmt": {"--check"}}.get) == ["fmt"]


def test_global_option_before_the_command_reaches_it_and_after_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "routers", tmp_path / "routers")
    (tmp_path / "empty").mkdir()
    (tmp_path / "a.yaml").write_text("dir: empty\n")
    (tmp_path / "b.yaml").write_text("dir: routers\n")
    before = run("--config", "a.yaml", "validate")
    assert before.exit_code == 1  # empty/ has no router files
    both = run("--config", "a.yaml", "validate", "--config", "b.yaml")
    assert both.exit_code == 0, both.stdout + both.stderr
    assert "2 routers" in both.stdout


# --- completion ------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_clicks_script(shell):
    result = run("completion", shell)
    assert result.exit_code == 0
    assert "_ROUTERCTL_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def complete(words: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
        "_ROUTERCTL_COMPLETE": "bash_complete",
    }
    return subprocess.run(
        [str(ROUTERCTL)], cwd=cwd, env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_completion_offers_targets_from_the_files_and_envs_from_the_settings(tmp_path):
    shutil.copytree(ROOT / "routers", tmp_path / "routers")
    shutil.copy(ROOT / "routerctl.yaml", tmp_path / "routerctl.yaml")
    targets = complete("routerctl plan --target ", tmp_path)
    assert targets.stdout.split() == ["plain,meeting-or-email", "plain,triage-router"]
    prefix = complete("routerctl apply --target tri", tmp_path)
    assert prefix.stdout.split() == ["plain,triage-router"]
    envs = complete("routerctl plan --env ", tmp_path)
    assert envs.stdout.split() == ["plain,prod", "plain,staging"]
    assert targets.stderr == envs.stderr == ""


def test_completion_never_prints_errors(tmp_path):
    (tmp_path / "routerctl.yaml").write_text("environments: [not, a, mapping\n\x00\n")
    (tmp_path / "routers").mkdir()
    (tmp_path / "routers" / "bad.yaml").write_bytes(b"\xff\xfe: [\n")
    for words in (
        "routerctl plan --env ",
        "routerctl plan --target ",
        "routerctl --api-url",
        "routerctl plan --config nope.yaml --target ",
    ):
        done = complete(words, tmp_path)
        assert done.returncode == 0, (words, done.stderr)
        assert done.stderr == "", words


# --- init ------------------------------------------------------------------------------------


def test_shipped_ci_files_are_the_examples():
    data = ROOT / "src" / "routerctl" / "data" / "scaffold"
    examples = {
        "github/plan.yml": "examples/github-actions/plan.yml",
        "github/apply.yml": "examples/github-actions/apply.yml",
        "github/drift.yml": "examples/github-actions/drift.yml",
        "gitlab/gitlab-ci.yml": "examples/gitlab-ci.yml",
        "gitlab/routerctl-ci.sh": "examples/ci/routerctl-ci.sh",
    }
    assert {s for files in _CI_FILES.values() for s, _ in files} == set(examples)
    for shipped, example in examples.items():
        assert (data / shipped).read_bytes() == (ROOT / example).read_bytes(), shipped


@pytest.mark.parametrize("ci", [None, "github", "gitlab"])
def test_init_writes_a_project_that_validates_strictly(tmp_path, ci):
    written = init_project(tmp_path, ci=ci)
    result = collect_routers([tmp_path / "routers"])
    assert result.issues == []
    assert [s.name for s in result.specs] == ["example-router"]
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"routers/example-router.yaml", "schema/router.schema.json", "routerctl.yaml"} <= names
    assert (".github/workflows/routerctl-plan.yml" in names) is (ci == "github")
    assert (".gitlab-ci.yml" in names) is (ci == "gitlab")
    schema = json.loads((tmp_path / "schema" / "router.schema.json").read_text())
    assert schema == json.loads((ROOT / "schema" / "router.schema.json").read_text())


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("mine\n")
    result = run("init", "--ci", "gitlab")
    assert result.exit_code == 1
    assert "refusing to overwrite .gitignore" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]
    assert (tmp_path / ".gitignore").read_text() == "mine\n"


# --- show ------------------------------------------------------------------------------------


def test_show_renders_every_format_and_rejects_a_broken_plan(tmp_path):
    path = _saved_plan(tmp_path)
    text = run("show", str(path))
    assert text.exit_code == 0
    assert "+ create a" in text.stdout
    assert "Unchanged: 1 router" in text.stdout
    assert "Unchanged (1): b" in run("show", str(path), "--verbose").stdout
    assert (
        json.loads(run("show", str(path), "--format", "json").stdout)["changes"][0]["name"] == "a"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = run("show", str(broken))
    assert result.exit_code == 1
    assert "broken.json" in result.stderr
    assert "Traceback" not in result.stderr


# --- the price cache -------------------------------------------------------------------------


def test_cache_dir_precedence(tmp_path):
    assert cache_dir({"ROUTERCTL_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == Path("/c")
    assert cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/routerctl")
    expected = Path("/h/Library/Caches/routerctl") if sys.platform == "darwin" else None
    assert cache_dir({"HOME": "/h"}) == (expected or Path("/h/.cache/routerctl"))
    assert cache_dir({"ROUTERCTL_CACHE_DIR": "", "HOME": "/h"}) == cache_dir({"HOME": "/h"})


# --- progress --------------------------------------------------------------------------------


def test_help_and_piped_runs_never_import_rich(tmp_path):
    code = (
        "import sys\n"
        "from routerctl.cli import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='routerctl')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('rich' in sys.modules, 'routerctl.progress' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] == "False False"


# --- docs ------------------------------------------------------------------------------------


def test_policies_are_sent_in_file_order_tasks_then_presets(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "name: r\n"
        "presets:\n  translation: {models: [m1]}\n  summarization: {models: [m1]}\n"
        "tasks:\n"
        "  zeta: {description: Zeta requests about invoices., models: [m1]}\n"
        "  alpha: {description: Alpha requests about refunds., models: [m1]}\n"
        "fallback_models: [m2]\n"
    )
    (spec,) = collect_routers([tmp_path]).specs
    policies = spec.api_payload()["policies"]
    order = [p.get("task_slug") or p["custom_task"]["name"] for p in policies]
    assert order == ["zeta", "alpha", "translation", "summarization"]
    text = (ROOT / "docs" / "file-format.md").read_text(encoding="utf-8")
    assert "Policies\nare sent in file order within each mapping" in text


def test_docs_never_point_outside_the_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        assert "shared/" not in text, doc.name
        assert "../shared" not in text, doc.name


def test_cost_of_named_routers_warns_only_about_them(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "routers", tmp_path / "routers")
    shutil.copy(ROOT / "routerctl.yaml", tmp_path / "routerctl.yaml")
    monkeypatch.chdir(tmp_path)
    one = run("cost", "triage-router", "--offline")
    assert one.exit_code == 0, one.stderr
    assert "meeting-or-email" not in one.stdout + one.stderr
    unknown = run("cost", "no-such-router", "--offline")
    assert unknown.exit_code == 1
    assert "no router file declares 'no-such-router'" in unknown.stderr


@pytest.mark.parametrize(
    ("event", "shown"),
    [
        ("GET /x: 503: Service Unavailable; retrying in 0.4 s (attempt 2 of 6)", False),
        ("GET /x: 503: Service Unavailable; retrying in 2.9 s (attempt 5 of 6)", True),
        ("pacing: 3 requests left; waiting 8.0 s before GET /x", True),
        ("pacing: 50 requests left; waiting 0.2 s before GET /x", False),
        ("router u-1 was deleted while routerctl was reading it; skipped", True),
    ],
)
def test_waits_of_two_seconds_or_more_get_a_line(event, shown):
    from routerctl.progress import worth_a_line

    assert worth_a_line(event) is shown
