"""Releasing: the lock file matches pyproject, the shipped version pins match the release, the
LICENSE is the Apache-2.0 text pyproject declares, the changelog section script, and the
structure of the project's own CI, nightly and release workflows.

The build itself (sdist + wheel, twine check, LICENSE inside both, the wheel installed in a
clean venv and smoke-tested) takes ~40 s and needs the index, so it runs as
`make release-check` and in the release workflow, not here.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
VERSION = PROJECT["version"]
OWN = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / "scripts"


def load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


changelog_section = load_script("changelog_section")


def workflow(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((OWN / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def triggers(loaded: dict[str, Any]) -> dict[str, Any]:
    value = loaded.get("on", loaded.get(True))  # YAML 1.1 reads `on` as true
    assert isinstance(value, dict)
    return value


def runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


# --- the lock file -----------------------------------------------------------------------------


def locked() -> dict[str, Any]:
    return tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))


def test_runtime_dependencies_keep_lower_bounds_only():
    for line in PROJECT["dependencies"]:
        requirement = Requirement(line)
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">="}, f"{line}: runtime dependencies take a lower bound only"


def test_lock_covers_every_declared_dependency_and_pins_one_version_each():
    packages = {p["name"]: p for p in locked()["package"]}
    declared = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]
    for line in declared:
        requirement = Requirement(line)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in packages, f"{name} is declared in pyproject.toml but not in uv.lock"
        pinned = packages[name]["version"]
        assert requirement.specifier.contains(pinned, prereleases=True), (name, pinned)
        assert packages[name].get("wheels") or packages[name].get("sdist"), f"{name}: no hash"
    assert packages["routerctl"]["version"] == VERSION  # run `make lock` after a version bump
    assert packages["routerctl"]["source"] == {"editable": "."}


def test_makefile_installs_from_the_lock_and_the_gate_checks_it():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^\t\$\(UV\) sync --locked --extra dev\b", makefile, flags=re.M)
    assert re.search(r"^\$\(STAMP\): pyproject.toml uv.lock\b", makefile, flags=re.M)
    assert re.search(r"^UV_VERSION := \d+\.\d+\.\d+$", makefile, flags=re.M)
    assert "pip install --quiet uv==$(UV_VERSION)" in makefile
    gate = re.search(r"^test: (.*?)  ##", makefile, flags=re.M)
    assert gate is not None
    assert gate.group(1).split()[0] == "lock-check"
    assert re.search(r"^lock-check:.*\n\t\$\(UV\) lock --check$", makefile, flags=re.M)
    assert re.search(r"^lock:.*\n\t\$\(UV\) lock$", makefile, flags=re.M)
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("make test")
    # The uv in .venv (for `.venv/bin/uv lock`) is the one the Makefile bootstraps.
    (uv,) = [p for p in locked()["package"] if p["name"] == "uv"]
    assert f"UV_VERSION := {uv['version']}\n" in makefile


def test_locked_pyyaml_is_one_the_nesting_tests_cover():
    # tests/test_yaml_nesting.py proves 6.0.3 and 6.0.4 behaviour; a lock that moves past
    # them should come with a look at what the new release changed.
    (pyyaml,) = [p for p in locked()["package"] if p["name"] == "pyyaml"]
    assert pyyaml["version"] in ("6.0.3", "6.0.4")


# --- version pins and LICENSE ------------------------------------------------------------------

PIN_PATTERNS = [
    re.compile(r"routerctl==(?P<version>[0-9][^\"'`\s]*)"),
    re.compile(r"ROUTERCTL_VERSION: \"(?P<version>[^\"]+)\""),
    re.compile(r"^#?\s*rev: v(?P<version>\S+)", flags=re.M),
]
PINNED_FILES = [
    ROOT / ".pre-commit-hooks.yaml",
    ROOT / "README.md",
    ROOT / "examples" / "gitlab-ci.yml",
    *sorted((ROOT / "examples" / "github-actions").glob("*")),
    *sorted((ROOT / "docs").glob("*.md")),
]


def version_pins() -> list[tuple[str, str]]:
    found = []
    for path in PINNED_FILES:
        text = path.read_text(encoding="utf-8")
        for pattern in PIN_PATTERNS:
            for match in pattern.finditer(text):
                found.append((str(path.relative_to(ROOT)), match["version"]))
    return found


def test_every_shipped_routerctl_pin_is_the_release_version():
    pins = version_pins()
    where = {path for path, _ in pins}
    assert {
        ".pre-commit-hooks.yaml",
        "README.md",
        "examples/gitlab-ci.yml",
        "examples/github-actions/plan.yml",
        "examples/github-actions/apply.yml",
        "examples/github-actions/drift.yml",
    } <= where
    assert [(path, pin) for path, pin in pins if pin != VERSION] == []


def test_pin_patterns_find_the_forms_the_docs_use():
    text = 'pip install "routerctl==0.1.0"\n  ROUTERCTL_VERSION: "9.9.9"\n#       rev: v1.2.3\n'
    found = [m["version"] for p in PIN_PATTERNS for m in p.finditer(text)]
    assert found == ["0.1.0", "9.9.9", "1.2.3"]
    assert [m for p in PIN_PATTERNS for m in p.finditer("routerctl==X.Y.Z")] == []


def test_license_is_the_apache_2_text_pyproject_declares():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert text.lstrip().startswith("Apache License\n                           Version 2.0")
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(re.findall(r"^\s+\d+\. [A-Z]", text, flags=re.M)) == 9  # the nine sections
    assert PROJECT["urls"]["Repository"].startswith("https://")
    assert "License :: OSI Approved" not in " ".join(PROJECT["classifiers"])  # PEP 639


# --- scripts/changelog_section.py --------------------------------------------------------------

CHANGELOG = """\
# Changelog

## [Unreleased]

### Added
- Something next.

## [0.2.0] - 2026-12-01

### Added
- Locked installs.

### Fixed
- The nesting check.

## [0.1.0] - 2026-11-22

### Added
- First.

[0.2.0]: https://example.invalid/compare/v0.1.0...v0.2.0
"""


def test_changelog_section_is_the_body_between_headings():
    assert changelog_section.section(CHANGELOG, "0.2.0") == (
        "### Added\n- Locked installs.\n\n### Fixed\n- The nesting check.\n"
    )
    assert changelog_section.section(CHANGELOG, "v0.1.0") == "### Added\n- First.\n"


@pytest.mark.parametrize(
    ("text", "version", "message"),
    [
        (CHANGELOG, "0.3.0", "no '## [0.3.0] - YYYY-MM-DD' section (found: Unreleased, 0.2.0"),
        (CHANGELOG, "Unreleased", "'Unreleased' is not a version"),
        ("## [0.2.0]\n- x\n", "0.2.0", "line 1: '## [0.2.0]' needs a release date"),
        ("## [0.2.0] - 2026-12-01\n\n## [0.1.0] - 2026-11-22\n", "0.2.0", "section is empty"),
    ],
)
def test_changelog_section_refuses_what_cannot_be_release_notes(text, version, message):
    with pytest.raises(changelog_section.ChangelogError, match=re.escape(message)):
        changelog_section.section(text, version)


def test_changelog_section_command_line(tmp_path: Path):
    path = tmp_path / "CHANGELOG.md"
    path.write_text(CHANGELOG, encoding="utf-8")
    script = [sys.executable, str(SCRIPTS / "changelog_section.py")]
    ok = subprocess.run(
        [*script, "v0.1.0", "--changelog", str(path)], capture_output=True, text=True, check=False
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "### Added\n- First.\n", "")
    missing = subprocess.run(
        [*script, "0.9.0", "--changelog", str(path)], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert missing.stderr.startswith(f"changelog_section: {path}: no '## [0.9.0] - YYYY-MM-DD'")
    assert "Traceback" not in missing.stderr


# --- the project's own workflows ---------------------------------------------------------------


def test_ci_workflow_runs_the_locked_gate():
    loaded = workflow("ci.yml")
    assert set(triggers(loaded)) == {"push", "pull_request"}
    assert loaded["permissions"] == {"contents": "read"}
    assert runs(loaded["jobs"]["test"]).strip() == "bash .ci/run"


def test_nightly_workflow_tests_the_newest_dependencies_on_a_schedule():
    loaded = workflow("nightly.yml")
    on = triggers(loaded)
    assert re.fullmatch(r"\d+ \d+ \* \* \*", on["schedule"][0]["cron"])
    assert "workflow_dispatch" in on
    job = loaded["jobs"]["latest"]
    assert runs(job).strip() == "make test-latest"
    assert "3.11" in job["strategy"]["matrix"]["python-version"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test-latest:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert recipe is not None
    assert "pip install --quiet --upgrade -e '.[dev]'" in recipe.group(1)
    assert "uv" not in recipe.group(1).replace("upgrade", "")  # no lock, no uv sync


def test_release_workflow_builds_checks_publishes_and_releases():
    loaded = workflow("release.yml")
    on = triggers(loaded)
    assert on["push"] == {"tags": ["v*"]}
    assert "workflow_dispatch" in on  # a dry run: everything up to publish
    assert loaded["permissions"] == {"contents": "read"}
    build, publish, release = (loaded["jobs"][j] for j in ("build", "publish", "github-release"))

    assert 'make release-check TAG="$GITHUB_REF_NAME"' in runs(build)
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload"))
    assert upload["with"]["path"] == "dist/"

    assert publish["needs"] == "build"
    assert publish["if"] == "github.ref_type == 'tag'"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"] == "pypi"
    assert uses(publish)[-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert "with" not in publish["steps"][-1]  # trusted publishing: no password, no token

    assert release["needs"] == "publish"
    assert release["permissions"] == {"contents": "write"}
    notes = 'python3 scripts/changelog_section.py "$GITHUB_REF_NAME" > notes.md'
    assert notes in runs(release)
    assert 'gh release create "$GITHUB_REF_NAME" dist/*' in runs(release)
    assert "--notes-file notes.md" in runs(release)


def test_release_check_covers_every_step_the_workflow_relies_on():
    release_check = load_script("release_check")
    source = (SCRIPTS / "release_check.py").read_text(encoding="utf-8")
    for needed in ('"-m", "build"', '"twine", "check", "--strict"', '"--version"', '"schema"'):
        assert needed in source
    assert '"validate"' in source
    assert release_check.version() == VERSION
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^release-check: install\b", makefile, flags=re.M)
    for tool in ("build", "twine"):
        assert any(Requirement(r).name == tool for r in PROJECT["optional-dependencies"]["dev"])
