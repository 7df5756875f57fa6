"""fsio: the one bounded reader and the one atomic writer (issue 14)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from routerctl import fsio
from routerctl.cli import cli
from routerctl.fsio import FileProblem, atomic_write, read_bytes, read_text

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    def expired(*_: Any) -> None:
        raise TimeoutError("blocked on a file")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def problem(path: Path | str, **kwargs: Any) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        read_bytes(path, **kwargs)
    return caught.value


# --- reading --------------------------------------------------------------------------------


def test_reads_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"hello")
    assert read_bytes(tmp_path / "a") == b"hello"
    assert read_text(tmp_path / "a") == "hello"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")  # no writer: a plain open() would block forever
    found = problem(tmp_path / "pipe", what="plan file")
    assert found.reason == "is a FIFO (named pipe); a plan file must be a regular file"
    assert found.code == "not-regular"


def test_dev_zero_is_refused_without_reading() -> None:
    found = problem("/dev/zero", what="token file")
    assert str(found) == "/dev/zero: is a character device; a token file must be a regular file"


def test_directory_is_refused(tmp_path: Path) -> None:
    assert problem(tmp_path).reason == "is a directory; a file must be a regular file"


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    with open(tmp_path / "big", "wb") as handle:
        handle.truncate(10 * 1024 * 1024 * 1024)  # sparse 10 GiB: reading it would take minutes
    found = problem(tmp_path / "big", limit=100, what="plan file")
    assert found.reason == "file is 10,737,418,240 bytes; plan files are limited to 100 bytes"
    assert found.code == "file-too-large"


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 100)
    assert len(read_bytes(tmp_path / "a", limit=100)) == 100


def test_dangling_symlink_names_the_link_and_its_target(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("nowhere.yaml")
    found = problem(tmp_path / "link")
    assert found.path == str(tmp_path / "link")
    assert found.reason == "dangling symlink (points to 'nowhere.yaml', which does not exist)"


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert problem(tmp_path / "a").code == "symlink-loop"


def test_symlink_leaving_the_root_is_refused_but_one_inside_is_read(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "secret").write_text("s3cret")
    (root / "inside").write_text("ok")
    (root / "out").symlink_to(tmp_path / "secret")
    (root / "in").symlink_to(root / "inside")
    found = problem(root / "out", root=root)
    assert found.code == "symlink-outside"
    assert "s3cret" not in str(found)
    assert read_bytes(root / "in", root=root) == b"ok"
    assert read_bytes(tmp_path / "secret", root=root) == b"s3cret"  # named outside: the user's


def test_directory_symlink_leaving_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "f").write_text("x")
    (root / "dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert problem(root / "dir" / "f", root=root).code == "symlink-outside"


def test_unreadable_file(tmp_path: Path) -> None:
    if IS_ROOT:
        pytest.skip("root reads files whatever their mode")
    (tmp_path / "a").write_text("x")
    (tmp_path / "a").chmod(0)
    assert problem(tmp_path / "a").reason == "cannot read file: Permission denied"


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"ok\n\xff\n")
    with pytest.raises(FileProblem) as caught:
        read_text(tmp_path / "a", what="token file")
    assert str(caught.value) == (
        f"{tmp_path / 'a'}:2: token file is not valid UTF-8 (byte 0xff); save it as UTF-8"
    )


# --- writing --------------------------------------------------------------------------------


def test_atomic_write_creates_and_replaces_leaving_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    atomic_write(target, "one\n")
    target.chmod(0o640)
    atomic_write(target, "two\n")
    assert target.read_text() == "two\n"
    assert target.stat().st_mode & 0o777 == 0o640  # permissions of the replaced file are kept
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_atomic_write_new_file_gets_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o644


def test_atomic_write_missing_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(FileProblem) as caught:
        atomic_write(tmp_path / "missing" / "dir" / "plan.json", "x", what="plan file")
    assert str(caught.value) == (
        f"{tmp_path}/missing/dir/plan.json: cannot write plan file: directory "
        f"{tmp_path}/missing/dir does not exist; create it first"
    )


def test_atomic_write_make_parents(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a" / "b.yaml", "x", make_parents=True)
    assert (tmp_path / "a" / "b.yaml").read_text() == "x"


def test_atomic_write_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(FileProblem, match=r"directory .*/f is not a directory"):
        atomic_write(tmp_path / "f" / "x", "x")


def test_atomic_write_read_only_directory(tmp_path: Path) -> None:
    if IS_ROOT:
        pytest.skip("root writes into read-only directories")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    try:
        with pytest.raises(FileProblem) as caught:
            atomic_write(tmp_path / "ro" / "a.yaml", "x", what="router file")
        assert "is not writable (Permission denied)" in str(caught.value)
    finally:
        (tmp_path / "ro").chmod(0o755)


@pytest.mark.parametrize("dangling", [True, False], ids=["dangling", "live"])
def test_atomic_write_never_writes_through_a_symlink(tmp_path: Path, dangling: bool) -> None:
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_text("keep")
    (tmp_path / "link").symlink_to(victim)
    with pytest.raises(FileProblem, match="it is a symlink"):
        atomic_write(tmp_path / "link", "evil")
    assert victim.exists() is not dangling
    if not dangling:
        assert victim.read_text() == "keep"


def test_atomic_write_directory_symlink_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "routers").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(FileProblem, match="leads outside the project"):
        atomic_write(root / "routers" / "a.yaml", "x", root=root)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_the_three_old_atomic_writers_are_gone() -> None:
    """plan, fmt, importer, costplan and every CLI command write through fsio only."""
    src = Path(fsio.__file__).parent
    paths = [src / name for name in ("plan.py", "importer.py", "costplan.py")]
    paths += sorted((src / "fmt").glob("*.py")) + sorted((src / "cli").glob("*.py"))
    assert len(paths) > 5  # the packages are really there
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert "mkstemp" not in text, path.name
        assert "os.replace" not in text, path.name
        assert "write_text(" not in text, path.name


# --- through the CLI ------------------------------------------------------------------------


def test_fmt_refuses_to_replace_a_symlink_with_a_copy(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "routers").mkdir()
    (tmp_path / "shared.yaml").write_text("name: a\nfallback_models:   [m]\n")
    (tmp_path / "routers" / "a.yaml").symlink_to(tmp_path / "shared.yaml")
    result = CliRunner().invoke(cli, ["fmt"])
    assert result.exit_code == 1
    assert "routers/a.yaml:1:1: is a symlink; fmt does not write through symlinks" in result.stderr
    assert (tmp_path / "routers" / "a.yaml").is_symlink()


def test_plan_out_into_a_file_as_directory_is_one_line(tmp_path: Path) -> None:
    from routerctl.plan import Plan, save_plan

    (tmp_path / "f").write_text("")
    with pytest.raises(FileProblem) as caught:
        save_plan(Plan(), tmp_path / "f" / "plan.json")
    assert "\n" not in str(caught.value)
    assert "cannot write plan file: directory" in str(caught.value)
