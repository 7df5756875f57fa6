"""The docs cannot rot: every command is documented, the command examples in docs/ run against
the emulator with the exit codes they claim, the file-format reference is what
scripts/gen_docs.py generates, and the Python API example runs.

Markers in docs/*.md (HTML comments, invisible on GitHub):

    <!-- test: setup NAME -->   start a fresh project: `project` (this repository's routers/,
                                environments/ and routerctl.yaml), `empty`, or `control-panel`
                                (no files; the emulator holds the shipped routers, as if made by
                                hand); runs before anything else in a doc default to `project`
    <!-- test: file PATH -->    the next fenced block is written to PATH in the project
    <!-- test: run -->          the next fenced block runs: each `routerctl ...` line (lines may be
                                joined with &&) through the CLI, expecting exit 0, or N when the
                                line ends with a comment saying `exits N`; a ```python block runs
                                as a script

Each doc runs top to bottom in one project against one emulator, like a reader following it.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

import routerctl
from routerctl.cli import cli
from routerctl.emulator import Emulator
from routerctl.errors import ExitCode
from routerctl.models import PresetSpec, RouterSpec, RoutingCase, TaskSpec
from routerctl.spec import load_routers

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TOKEN = "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000"
MODEL_KEY = "sk-do-m0de1acce55key00000000000000000000"

_MARKER = re.compile(r"<!-- test: (setup|file|run)\s*(\S*)\s*-->")
_FENCE = re.compile(r"\s*```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def steps(markdown: str) -> list[tuple[str, str, str, str]]:
    """(kind, argument, fence language, block) for every marker, in document order."""
    found = []
    for marker in _MARKER.finditer(markdown):
        kind, argument = marker.group(1), marker.group(2)
        if kind == "setup":
            found.append((kind, argument, "", ""))
            continue
        rest = markdown[marker.end() :]
        while rest.lstrip().startswith("<!--"):  # further markers stacked on the same block
            rest = rest.lstrip().split("-->", 1)[1]
        fence = _FENCE.match(rest)
        assert fence, f"<!-- test: {kind} --> is not followed by a fenced block"
        found.append((kind, argument, fence.group(1), fence.group(2)))
    return found


def commands(block: str) -> list[tuple[list[str], int]]:
    """(args after `routerctl`, expected exit code) for each routerctl command of a block."""
    found = []
    for line in re.sub(r"\\\n\s*", " ", block).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        expected = re.search(r"#.*\bexits (\d+)", line)
        parts = line.split("&&")
        for index, part in enumerate(parts):
            tokens = shlex.split(part, comments=True)
            assert tokens[:1] == ["routerctl"], f"runnable blocks hold routerctl commands: {line}"
            assert tokens[1:2] != ["emulator"], "the test provides the emulator"
            last = index == len(parts) - 1
            found.append((tokens[1:], int(expected.group(1)) if expected and last else 0))
    return found


RUNNABLE = sorted(p for p in DOCS.glob("*.md") if "<!-- test: run" in p.read_text("utf-8"))


class Reader:
    """Follows a doc: sets projects up, writes its files, runs its commands."""

    def __init__(self, base: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
        self.base, self.emulator, self.monkeypatch = base, emulator, monkeypatch
        self.projects = 0
        self.ran = 0

    def setup(self, name: str) -> None:
        self.emulator.reset()
        self.projects += 1
        project = self.base / f"project-{self.projects}"
        project.mkdir()
        if name == "project":
            shutil.copytree(ROOT / "routers", project / "routers")
            if (ROOT / "environments").is_dir():
                shutil.copytree(ROOT / "environments", project / "environments")
            shutil.copy(ROOT / "routerctl.yaml", project / "routerctl.yaml")
        elif name == "control-panel":
            for spec in load_routers([ROOT / "routers"]).specs:
                self.emulator.put_router(spec.api_payload())
        else:
            assert name == "empty", f"unknown setup {name!r}"
        self.monkeypatch.chdir(project)
        self.monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(project / ".cache"))

    def write(self, path: str, text: str) -> None:
        target = Path.cwd() / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def run_shell(self, block: str, where: str) -> None:
        for args, expected in commands(block):
            result = CliRunner().invoke(cli, args)
            shown = f"{where}: routerctl {shlex.join(args)}"
            assert result.exit_code == expected, f"{shown}\n{result.stdout}\n{result.stderr}"
            assert TOKEN not in result.stdout + result.stderr
            self.ran += 1

    def run_python(self, block: str, where: str) -> None:
        script = Path.cwd() / "example.py"
        script.write_text(block, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=120
        )
        assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"
        self.ran += 1


@pytest.mark.parametrize("doc", RUNNABLE, ids=lambda p: p.name)
def test_doc_examples_run_against_the_emulator(doc, tmp_path, monkeypatch, emulator):
    monkeypatch.setenv("DIGITALOCEAN_API_URL", emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    monkeypatch.setenv("MODEL_ACCESS_KEY", MODEL_KEY)
    monkeypatch.setenv("DIGITALOCEAN_INFERENCE_URL", f"{emulator.url}/v1")
    reader = Reader(tmp_path, emulator, monkeypatch)
    for kind, argument, language, block in steps(doc.read_text(encoding="utf-8")):
        if kind == "setup":
            reader.setup(argument)
            continue
        if reader.projects == 0:
            reader.setup("project")
        if kind == "file":
            reader.write(argument, block)
        elif language == "python":
            reader.run_python(block, doc.name)
        else:
            reader.run_shell(block, doc.name)
    assert reader.ran > 0


def test_docs_with_examples_include_the_migration_ci_and_api_guides():
    assert {p.name for p in RUNNABLE} >= {"migrating.md", "ci.md", "python-api.md"}


def test_the_doc_harness_reads_exit_codes_and_joined_commands():
    block = (
        "# comment\nrouterctl plan --out p.json && routerctl apply p.json   # exits 3: partial\n"
    )
    assert commands(block) == [(["plan", "--out", "p.json"], 0), (["apply", "p.json"], 3)]


# --- every command documented -----------------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_is_in_the_readme(name):
    command = cli.commands[name]
    assert command.help, f"routerctl {name} has no help text"
    assert command.help.strip()
    assert command.get_short_help_str().strip()
    assert f"routerctl {name}" in README, f"README.md does not mention `routerctl {name}`"


# --- generated and pinned docs ----------------------------------------------------------------


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_file_format_reference_is_up_to_date():
    gen_docs = _gen_docs()
    current = gen_docs.DOC.read_text(encoding="utf-8")
    assert gen_docs.render(current) == current, "run: python scripts/gen_docs.py"


def test_file_format_reference_documents_every_key():
    text = (DOCS / "file-format.md").read_text(encoding="utf-8")
    for model in (RouterSpec, TaskSpec, PresetSpec, RoutingCase):
        for key in model.model_fields:
            assert f"| `{key}` |" in text, f"{model.__name__}.{key}"


def test_exit_code_table_matches_the_exit_codes():
    text = (DOCS / "exit-codes.md").read_text(encoding="utf-8")
    table = text.split("## By command")[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    assert documented == {int(code) for code in ExitCode}


def test_python_api_doc_mentions_every_exported_name():
    text = (DOCS / "python-api.md").read_text(encoding="utf-8")
    missing = [name for name in routerctl.__all__ if f"`{name}" not in text]
    assert missing == []


def test_docs_link_to_files_that_exist():
    for doc in [*DOCS.glob("*.md"), ROOT / "examples" / "github-actions" / "README.md"]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"
