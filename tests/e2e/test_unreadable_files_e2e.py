"""Journey (issue 13 item 2): a router file that cannot be read fails the run; it is never
skipped and then pruned. The installed CLI runs as a subprocess against the emulator, and the
live routers are checked after every step.

Permission-based cases (chmod 000) do not apply to root, which reads everything; they are
skipped there with that reason, and the FIFO, device and symlink cases, which do apply to root,
cover the same path through the loader.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from routerctl.emulator import Emulator

pytestmark = pytest.mark.e2e

TOKEN = "dop_v1_f11e5f11e5f11e5f11e5f11e5f11e5f11e5f11e5f11e5f11e5f11e5f11e5f1"
ROUTERCTL = Path(sys.executable).with_name("routerctl")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def router_yaml(name: str) -> str:
    return (
        f"name: {name}\n"
        "tasks:\n"
        "  summarize:\n"
        "    description: Summarize long documents into short overviews.\n"
        "    models: [anthropic-claude-haiku-4.5, openai-gpt-5-nano]\n"
        "fallback_models: [llama3.3-70b-instruct, openai-gpt-5-nano]\n"
    )


def routerctl(project: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DIGITALOCEAN_API_URL": emulator.url,
        "DIGITALOCEAN_TOKEN": TOKEN,
        "ROUTERCTL_CACHE_DIR": str(project / ".cache"),
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [str(ROUTERCTL), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # a FIFO that blocked the reader would hang here, not pass
        check=False,
    )
    assert TOKEN not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def live(emulator: Emulator) -> list[str]:
    return sorted(r["name"] for r in emulator.routers())


# Each case turns routers/app-b.yaml (whose router is live) into something unreadable and
# returns the path routerctl must name.
def dangling_symlink(routers: Path) -> str:
    (routers / "app-b.yaml").unlink()
    (routers / "app-b.yaml").symlink_to("gone.yaml")
    return "routers/app-b.yaml"


def symlink_loop(routers: Path) -> str:
    (routers / "app-b.yaml").unlink()
    (routers / "app-b.yaml").symlink_to("app-b.yaml")
    return "routers/app-b.yaml"


def fifo(routers: Path) -> str:
    (routers / "app-b.yaml").unlink()
    os.mkfifo(routers / "app-b.yaml")
    return "routers/app-b.yaml"


def symlink_out_of_project(routers: Path) -> str:
    outside = routers.parent.parent / "outside-app-b.yaml"
    (routers / "app-b.yaml").rename(outside)
    (routers / "app-b.yaml").symlink_to(outside)
    return "routers/app-b.yaml"


def directory_symlink_out_of_project(routers: Path) -> str:
    outside = routers.parent.parent / "outside-team"
    outside.mkdir()
    (routers / "app-b.yaml").rename(outside / "app-b.yaml")
    (routers / "team").symlink_to(outside, target_is_directory=True)
    return "routers/team"


def device(routers: Path) -> str:
    (routers / "app-b.yaml").unlink()
    try:
        os.mknod(routers / "app-b.yaml", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here: {exc}")
    return "routers/app-b.yaml"


def unreadable_file(routers: Path) -> str:
    if IS_ROOT:
        pytest.skip("root reads files whatever their mode; FIFO/symlink cases cover the loader")
    (routers / "app-b.yaml").chmod(0)
    return "routers/app-b.yaml"


def unlistable_directory(routers: Path) -> str:
    if IS_ROOT:
        pytest.skip("root lists directories whatever their mode; symlink cases cover the walk")
    (routers / "team").mkdir()
    (routers / "app-b.yaml").rename(routers / "team" / "app-b.yaml")
    (routers / "team").chmod(0)
    return "routers/team"


CASES: dict[str, Callable[[Path], str]] = {
    "dangling-symlink": dangling_symlink,
    "symlink-loop": symlink_loop,
    "fifo": fifo,
    "symlink-out-of-project": symlink_out_of_project,
    "directory-symlink-out-of-project": directory_symlink_out_of_project,
    "device": device,
    "unreadable-file": unreadable_file,
    "unlistable-directory": unlistable_directory,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "routers").mkdir(parents=True)
    (root / "routerctl.yaml").write_text("prune:\n  scope: ['app-*']\n")
    return root


@pytest.mark.parametrize("make_unreadable", CASES.values(), ids=CASES.keys())
def test_unreadable_router_file_fails_plan_and_apply_and_nothing_is_deleted(
    project: Path, emulator: Emulator, make_unreadable: Callable[[Path], str]
) -> None:
    routers = project / "routers"
    (routers / "app-a.yaml").write_text(router_yaml("app-a"))
    (routers / "app-b.yaml").write_text(router_yaml("app-b"))
    applied = routerctl(project, emulator, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert live(emulator) == ["app-a", "app-b"]

    named = make_unreadable(routers)
    try:
        for args in (
            ("plan", "--prune"),
            ("plan", "--prune", "--detailed-exitcode"),
            ("apply", "--prune", "--auto-approve"),
            ("validate",),
        ):
            done = routerctl(project, emulator, *args)
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            report = done.stdout if args == ("validate",) else done.stderr  # validate: stdout
            problem = [line for line in report.splitlines() if line.startswith(named)]
            assert len(problem) == 1, (args, done.stdout, done.stderr)
            assert not CONTROL.search(done.stderr)
            assert "delete" not in done.stdout
            assert live(emulator) == ["app-a", "app-b"], args  # app-b was not pruned
    finally:
        for path in (routers / "team", routers / "app-b.yaml"):
            if path.exists() and not path.is_symlink():
                path.chmod(0o755)


def test_import_refuses_to_write_through_a_dangling_symlink(
    project: Path, emulator: Emulator
) -> None:
    routers = project / "routers"
    (routers / "app-a.yaml").write_text(router_yaml("app-a"))
    assert routerctl(project, emulator, "apply", "--auto-approve").returncode == 0
    (routers / "app-a.yaml").unlink()
    outside = project.parent / "stolen.yaml"
    (routers / "app-a.yaml").symlink_to(outside)
    (routers / "keep.yaml").write_text(router_yaml("keep"))
    done = routerctl(project, emulator, "import", "app-a", "--force")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("routers/app-a.yaml:1:1: dangling symlink (points to ")
    assert not outside.exists()
    assert (routers / "app-a.yaml").is_symlink()
    assert live(emulator) == ["app-a"]


def test_plan_out_into_a_missing_directory_is_one_line(project: Path, emulator: Emulator) -> None:
    (project / "routers" / "app-a.yaml").write_text(router_yaml("app-a"))
    done = routerctl(project, emulator, "plan", "--out", "missing/dir/plan.json")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "routerctl: error: missing/dir/plan.json: cannot write plan file: directory missing/dir "
        "does not exist; create it first"
    ]
    assert not (project / "missing").exists()
    assert live(emulator) == []
