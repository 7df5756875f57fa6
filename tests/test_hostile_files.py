"""Hostile files (issue 14, the file side; issue 13 item 2): every file routerctl reads is a
regular file within a size limit, numbers in files are bounded, names are matched whole.

Four classes, each with its own cases, and every case asserts the same contract: exit 1, exactly
one line naming the file (with its line where there is one), nothing else on stderr but the
closing summary, no traceback, no control character.

- unreadable: FIFOs, devices, dangling/looping symlinks, symlinks out of the project, as
  router, tests, overlay, settings, plan, token, prices and profile files (generated here);
- oversized: each kind of file past its limit (sparse files: the size is refused from fstat,
  before a byte is read), plus expansion and nesting bombs;
- numbers: tests/hostile/files/{numbers,settings}/ and the number cases of tests/hostile/plans/;
- validation gaps: tests/hostile/files/gaps/ and the remaining tests/hostile/plans/ cases.

Static router cases start with `# expect: LINE: TEXT`. A SIGALRM guard turns a blocked read
(the FIFO bug) into a failure instead of a hung suite.
"""

from __future__ import annotations

import os
import re
import signal
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from routerctl.cli import cli

HOSTILE = Path(__file__).parent / "hostile"
FILES = HOSTILE / "files"
TOKEN = "dop_v1_" + "a1b2" * 16
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SUMMARY = re.compile(r"^routerctl: \d+ errors?, \d+ warnings?$")

VALID = """\
name: app-a
tasks:
  chat:
    description: General chat.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
fallback_models: [deepseek-v3.2]
"""


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    def expired(*_: Any) -> None:
        raise TimeoutError("routerctl blocked on a file (FIFO?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "routers").mkdir(parents=True)
    (root / "routers" / "app-a.yaml").write_text(VALID)
    (root / "routerctl.yaml").write_text(
        "prune:\n  scope: ['app-*']\nenvironments:\n  staging:\n    overlays: overlays\n"
    )
    (root / "overlays").mkdir()
    (root / "profile.yaml").write_text(
        "routers:\n  app-a:\n    requests_per_month: 10\n    input_tokens: 1\n"
        "    output_tokens: 1\n    tasks:\n      chat: {}\n"
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line(result: Result, named: str, expect: str = "", line: int | None = None) -> None:
    """Exit 1; exactly one stderr line names `named` (at `line`), the rest is the summary."""
    output = result.stdout + result.stderr
    assert result.exit_code == 1, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert TOKEN not in output
    assert not CONTROL.search(output.replace("\n", "")), output
    lines = result.stderr.splitlines()
    if line is not None:
        pattern = rf"^{re.escape(named)}:{line}:\d+: "
    else:
        pattern = rf"(^|\s){re.escape(named)}[:\s]"
    naming = [text for text in lines if re.search(pattern, text)]
    assert len(naming) == 1, (pattern, lines)
    assert expect in naming[0], (expect, naming[0])
    others = [text for text in lines if text not in naming]
    assert all(SUMMARY.match(text) for text in others), others


# --- unreadable -----------------------------------------------------------------------------


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _dangling(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(path.with_name("gone.yaml"))


def _loop(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(path.name)


def _outside(path: Path) -> None:
    outside = path.parents[2] / f"outside-{path.name}"
    outside.write_text(VALID)
    path.unlink(missing_ok=True)
    path.symlink_to(outside)


def _device(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except OSError as exc:
        pytest.skip(f"cannot create a device node here: {exc}")


def _zero_link(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


def _unreadable(path: Path) -> None:
    if IS_ROOT:
        pytest.skip("root reads files whatever their mode (FIFO/device/symlink cases apply)")
    path.chmod(0)


COST = ("cost", "--offline", "--profile", "profile.yaml")
Case = tuple[Callable[[Path], None], str, tuple[str, ...], str]
# (make it hostile, the file, the command, what the one line says)
UNREADABLE: dict[str, Case] = {
    "router-fifo": (_fifo, "routers/app-a.yaml", ("plan",), "is a FIFO (named pipe)"),
    "router-dangling": (_dangling, "routers/app-a.yaml", ("plan", "--prune"), "dangling"),
    "router-loop": (_loop, "routers/app-a.yaml", ("plan",), "symlink loop"),
    "router-outside": (_outside, "routers/app-a.yaml", ("plan",), "outside the project"),
    "router-device": (_device, "routers/app-a.yaml", ("plan",), "is a character device"),
    "router-unreadable": (_unreadable, "routers/app-a.yaml", ("plan",), "ermission denied"),
    "new-router-fifo": (_fifo, "routers/b.yml", ("plan", "--prune"), "is a FIFO"),
    "tests-fifo": (_fifo, "routers/app-a.tests.yaml", ("plan",), "is a FIFO"),
    "tests-dangling": (_dangling, "routers/app-a.tests.yaml", ("validate",), "dangling"),
    "overlay-fifo": (_fifo, "overlays/app-a.yaml", ("plan", "--env", "staging"), "is a FIFO"),
    "overlay-dangling": (_dangling, "overlays/app-a.yaml", ("plan", "--env", "staging"), "dang"),
    "settings-fifo": (_fifo, "routerctl.yaml", ("plan",), "is a FIFO"),
    "settings-dangling": (_dangling, "routerctl.yaml", ("plan",), "dangling symlink"),
    "settings-zero": (_zero_link, "routerctl.yaml", ("plan",), "is a character device"),
    "plan-fifo": (_fifo, "plan.json", ("apply", "plan.json"), "is a FIFO"),
    "plan-device": (_device, "plan.json", ("apply", "plan.json"), "is a character device"),
    "plan-dangling": (_dangling, "plan.json", ("apply", "plan.json"), "dangling"),
    "token-fifo": (_fifo, "token", ("plan", "--token-file", "token"), "is a FIFO"),
    "token-zero": (_zero_link, "token", ("plan", "--token-file", "token"), "character device"),
    "prices-fifo": (_fifo, "prices.yaml", (*COST, "--prices", "prices.yaml"), "FIFO"),
    "profile-zero": (_zero_link, "p.yaml", ("cost", "--offline", "--profile", "p.yaml"), "device"),
}


@pytest.mark.parametrize(
    ("make", "named", "args", "expect"), UNREADABLE.values(), ids=UNREADABLE.keys()
)
def test_unreadable_file_is_one_line_and_exit_1(
    project: Path, make: Callable[[Path], None], named: str, args: tuple[str, ...], expect: str
) -> None:
    target = project / named
    if not target.exists():
        target.write_text(VALID if "tests" not in named else "[]\n")
    make(target)
    result = run(*args)
    if args[0] == "validate":  # validate reports on stdout
        result = _as_stderr(result)
    assert_one_line(result, named, expect)


def _as_stderr(result: Result) -> Any:
    class Moved:
        exit_code = result.exit_code
        exception = result.exception
        stdout = ""
        stderr = "\n".join(
            line for line in result.stdout.splitlines() if " file invalid: " not in line
        )

    return Moved()


def test_unlistable_subdirectory_fails_the_run(project: Path) -> None:
    if IS_ROOT:
        pytest.skip("root lists directories whatever their mode (the e2e symlink cases apply)")
    (project / "routers" / "team").mkdir()
    (project / "routers" / "team").chmod(0)
    try:
        assert_one_line(run("plan", "--prune"), "routers/team", "cannot list directory")
    finally:
        (project / "routers" / "team").chmod(0o755)


def test_directory_symlink_loop_is_reported_not_followed(project: Path) -> None:
    (project / "routers" / "again").symlink_to(".", target_is_directory=True)
    assert_one_line(run("plan"), "routers/again", "symlink loop")


def test_symlink_inside_the_project_is_read_and_errors_name_the_link(project: Path) -> None:
    shared = project / "shared"
    shared.mkdir()
    broken = VALID.replace("[openai-gpt-5-nano, llama3.3-70b-instruct]", "7").replace(
        "app-a", "linked"
    )
    (shared / "base.yaml").write_text(broken)
    (project / "routers" / "link.yaml").symlink_to(shared / "base.yaml")
    result = run("plan")
    assert_one_line(result, "routers/link.yaml", "expected a list, got a number (7)", 5)
    assert "shared/base.yaml" not in result.stderr


def test_symlink_out_of_the_project_never_echoes_its_target(project: Path) -> None:
    secret = project.parent / "secret.yaml"
    secret.write_text("root:x:0:0:root:/root:/bin/bash: 1\n")
    (project / "routers" / "b.yaml").symlink_to(secret)
    result = run("validate")
    assert result.exit_code == 1
    assert "root:x:0:0" not in result.stdout + result.stderr
    assert "routers/b.yaml:1:1: is a symlink to a file outside the project" in result.stdout


# --- oversized ------------------------------------------------------------------------------


def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with open(path, "wb") as handle:
            handle.truncate(size)

    return make


def _text(text: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_text(text)

    return make


MIB = 1024 * 1024
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcd", "bcde", strict=True)
)
OVERSIZED: dict[str, Case] = {
    "router": (_sparse(MIB + 1), "routers/app-a.yaml", ("plan",), "router files are limited to"),
    "new-router": (_sparse(50 * MIB), "routers/z.yaml", ("plan", "--prune"), "limited to"),
    "tests": (_sparse(MIB + 1), "routers/app-a.tests.yaml", ("plan",), "limited to"),
    "overlay": (_sparse(MIB + 1), "overlays/app-a.yaml", ("plan", "--env", "staging"), "limit"),
    "settings": (_sparse(MIB + 1), "routerctl.yaml", ("plan",), "settings files are limited"),
    "plan": (_sparse(65 * MIB), "plan.json", ("apply", "plan.json"), "plan files are limited"),
    "token": (_sparse(65 * 1024), "token", ("plan", "--token-file", "token"), "limited to"),
    "prices": (_sparse(2 * MIB), "pr.yaml", (*COST, "--prices", "pr.yaml"), "limit"),
    "profile": (_sparse(MIB + 1), "p.yaml", ("cost", "--offline", "--profile", "p.yaml"), "limit"),
    "alias-bomb": (_text(BOMB), "routers/app-a.yaml", ("plan",), "refusing to expand it"),
    "deep-nesting": (
        _text("a: " + "[" * 50_000 + "]" * 50_000 + "\n"),
        "routers/app-a.yaml",
        ("plan",),
        "nested more than 32 levels",
    ),
    "many-values": (
        _text("name: a\nfallback_models: [" + "m, " * 100_001 + "m]\n"),
        "routers/app-a.yaml",
        ("plan",),
        "more than 100,000 values",
    ),
}


@pytest.mark.parametrize(
    ("make", "named", "args", "expect"), OVERSIZED.values(), ids=OVERSIZED.keys()
)
def test_oversized_file_is_refused_before_reading(
    project: Path, make: Callable[[Path], None], named: str, args: tuple[str, ...], expect: str
) -> None:
    make(project / named)
    assert_one_line(run(*args), named, expect)


# --- numbers and validation gaps: static corpus -----------------------------------------------


def _cases(directory: str) -> list[Any]:
    found = []
    for path in sorted((FILES / directory).glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# expect: (\d+): (.+)", first)
        assert match, f"{path}: first line must be `# expect: LINE: TEXT`"
        found.append(pytest.param(path, int(match[1]), match[2], id=path.stem))
    return found


@pytest.mark.parametrize(("path", "line", "expect"), _cases("numbers") + _cases("gaps"))
def test_router_file_corpus(project: Path, path: Path, line: int, expect: str) -> None:
    (project / "routers" / "hostile.yaml").write_bytes(path.read_bytes())
    assert_one_line(run("plan", "--prune"), "routers/hostile.yaml", expect, line)


@pytest.mark.parametrize(("path", "line", "expect"), _cases("settings"))
def test_settings_file_corpus(project: Path, path: Path, line: int, expect: str) -> None:
    (project / "routerctl.yaml").write_bytes(path.read_bytes())
    assert_one_line(run("plan"), "routerctl.yaml", expect, line)


PLAN_EXPECT = {
    "change-action-is-a-list.json": "is not a valid Action",
    "change-action-unknown.json": "'explode' is not a valid Action",
    "change-after-is-a-list.json": "has no valid after state",
    "change-is-a-number.json": "damaged plan file",
    "change-missing-action.json": "missing key 'action'",
    "change-name-is-a-number.json": "change 0 has no router name",
    "changes-not-a-list.json": 'no "changes" list',
    "changes-null.json": 'no "changes" list',
    "deep-nesting.json": "JSON nested too deeply",
    "delete-without-uuid.json": "has no uuid",
    "empty.json": "invalid JSON",
    "field-change-is-a-number.json": "damaged plan file",
    "field-change-notes-is-a-number.json": "damaged plan file",
    "field-changes-is-a-string.json": "damaged plan file",
    "float-overflow.json": "out-of-range number 1e400",
    "format-version-2.json": "plan format 2.0 is not supported",
    "fuzz-prunable-is-a-number.json": "is not a list of strings",  # found by make fuzz
    "fuzz-description-is-a-mapping.json": "malformed field change (description)",  # make fuzz
    "format-version-control-chars.json": "plan format ?[2J?[H9.9 is not supported",
    "infinity.json": "Infinity, which JSON does not allow",
    "int-30-digits.json": "a 30-digit number",
    "int-4301-digits.json": "a 4,301-digit number",
    "latin1.json": "not valid UTF-8 (byte 0xe9)",
    "nan.json": "NaN, which JSON does not allow",
    "negative-infinity.json": "-Infinity, which JSON does not allow",
    "no-format-version.json": "no format_version",
    "not-json.json": "invalid JSON",
    "nul-bytes.json": "invalid JSON",
    "targets-is-a-number.json": "damaged plan file",
    "top-level-list.json": "no format_version",
    "truncated.json": "invalid JSON",
    "unchanged-is-a-number.json": "damaged plan file",
    "warnings-are-numbers.json": "malformed warnings",
}
PLAN_NUMBER_CASES = {
    "float-overflow.json",
    "infinity.json",
    "int-30-digits.json",
    "int-4301-digits.json",
    "nan.json",
    "negative-infinity.json",
}


def test_the_plan_corpus_is_complete() -> None:
    assert {p.name for p in (HOSTILE / "plans").glob("*.json")} == set(PLAN_EXPECT)


@pytest.mark.parametrize("name", sorted(PLAN_EXPECT))
def test_plan_file_corpus(project: Path, name: str) -> None:
    (project / "plan.json").write_bytes((HOSTILE / "plans" / name).read_bytes())
    assert_one_line(run("apply", "plan.json", "--auto-approve"), "plan.json", PLAN_EXPECT[name])


def test_case_counts_per_class() -> None:
    """The issue asks for at least 10 cases per class; this keeps the count honest."""
    plans_gaps = len(PLAN_EXPECT) - len(PLAN_NUMBER_CASES)
    counts = {
        "unreadable": len(UNREADABLE) + 3,  # + unlistable dir, directory loop, outside symlink
        "oversized": len(OVERSIZED) + 1,  # + the 100,000-deep plan
        "numbers": len(_cases("numbers")) + len(_cases("settings")) + len(PLAN_NUMBER_CASES),
        "validation-gaps": len(_cases("gaps")) + plans_gaps,
    }
    assert all(n >= 10 for n in counts.values()), counts
