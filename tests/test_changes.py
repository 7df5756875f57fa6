"""changes.changed_scope against a real temporary git repository: which routers a change
touches, in the current environment's names (overlays, tests files, renames, edited names)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from routerctl.changes import changed_scope, read_changes
from routerctl.errors import ConfigError
from routerctl.project import load_project


def router(name: str, description: str = "Routes things.", extra: str = "") -> str:
    return (
        f"name: {name}\n"
        f"description: {description}\n"
        "tasks:\n"
        "  summarize:\n"
        "    description: Summarize long documents into short overviews.\n"
        "    models: [openai-gpt-5-nano]\n"
        "fallback_models: [llama3.3-70b-instruct]\n" + extra
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=T", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "routers").mkdir()
    (tmp_path / "environments" / "staging").mkdir(parents=True)
    (tmp_path / "environments" / "other").mkdir(parents=True)
    (tmp_path / "routerctl.yaml").write_text(
        "environments:\n"
        "  staging: {name_suffix: -staging, overlays: environments/staging}\n"
        "  other: {name_suffix: -other, overlays: environments/other}\n"
    )
    for name in ("alpha", "beta", "gamma", "delta"):
        (tmp_path / "routers" / f"{name}.yaml").write_text(router(name))
    (tmp_path / "routers" / "beta.tests.yaml").write_text(
        "- prompt: Summarize this.\n  expect_task: summarize\n"
    )
    (tmp_path / "environments" / "staging" / "gamma.yaml").write_text("description: Staging.\n")
    (tmp_path / "environments" / "other" / "delta.yaml").write_text("description: Other.\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-q", "-b", "pr")
    return tmp_path


def scope(repo: Path, env: str | None = "staging", ref: str = "main") -> dict[str, str] | None:
    project = load_project(config=str(repo / "routerctl.yaml"), environment=env)
    overlay = project.overlay
    overlay_dir = overlay.directory if overlay else None
    found = changed_scope(
        changes=read_changes(ref, cwd=repo, router_dir=project.router_dir, overlay_dir=overlay_dir),
        loaded=project.load(),
        router_dir=project.router_dir,
        settings_path=project.settings_path,
        overlay_dir=overlay_dir,
        rename=overlay.rename if overlay else None,
    )
    return None if found.names is None else {n: found.why[n] for n in sorted(found.names)}


def test_nothing_changed_plans_nothing(repo: Path) -> None:
    assert scope(repo) == {}


def test_tests_files_and_this_environments_overlays_count_in_live_names(repo: Path) -> None:
    (repo / "routers" / "beta.tests.yaml").write_text(
        "- prompt: Summarize that.\n  expect_task: summarize\n"
    )
    (repo / "environments" / "staging" / "gamma.yaml").write_text("description: Cheaper.\n")
    (repo / "environments" / "other" / "delta.yaml").write_text("description: Elsewhere.\n")
    git(repo, "commit", "-qam", "tests and overlays")
    assert scope(repo) == {
        "beta-staging": "tests routers/beta.tests.yaml changed",
        "gamma-staging": "overlay environments/staging/gamma.yaml changed",
    }
    # Without an environment there are no overlays: only the tests file counts.
    assert scope(repo, env=None) == {"beta": "tests routers/beta.tests.yaml changed"}


def test_an_edited_name_plans_the_old_and_the_new_name(repo: Path) -> None:
    (repo / "routers" / "alpha.yaml").write_text(router("alpha-two"))
    (repo / "routers" / "gamma.yaml").unlink()
    git(repo, "commit", "-qam", "rename alpha without renamed_from, drop gamma")
    (repo / "routers" / "beta.yaml").write_text(router("beta-two"))  # not committed
    assert scope(repo) == {
        "alpha-staging": "routers/alpha.yaml changed or deleted (its name at main)",
        "alpha-two-staging": "routers/alpha.yaml changed",
        "beta-staging": "routers/beta.yaml changed or deleted (its name at main)",
        "beta-two-staging": "routers/beta.yaml changed",
        "gamma-staging": "routers/gamma.yaml changed or deleted (its name at main)",
    }


def test_renamed_from_links_an_unchanged_router_to_a_deleted_name(repo: Path) -> None:
    # The PR deletes gamma's file; an unchanged file already says it was renamed from gamma.
    (repo / "routers" / "beta.yaml").write_text(router("beta", extra="renamed_from: [gamma]\n"))
    git(repo, "commit", "-qam", "beta takes over gamma")
    git(repo, "checkout", "-q", "-b", "pr2")
    (repo / "routers" / "gamma.yaml").unlink()
    (repo / "environments" / "staging" / "gamma.yaml").unlink()
    git(repo, "commit", "-qam", "drop gamma")
    found = scope(repo, ref="pr")
    assert found is not None
    assert set(found) == {"gamma-staging", "beta-staging"}
    assert found["beta-staging"] == "renamed_from links it to beta-staging"


def test_a_settings_change_widens_to_everything(repo: Path) -> None:
    with (repo / "routerctl.yaml").open("a") as handle:
        handle.write("prune: {scope: ['*-staging']}\n")
    assert scope(repo) is None  # uncommitted counts too


def test_an_unknown_ref_is_a_one_line_error(repo: Path) -> None:
    with pytest.raises(ConfigError, match="no such commit, branch or tag"):
        scope(repo, ref="origin/nope")
    with pytest.raises(ConfigError, match="is not a git ref"):
        scope(repo, ref="--output=/tmp/x")
