"""The release dry run: what .github/workflows/release.yml does before it publishes.

1. `python -m build` the sdist and the wheel into dist/ (emptied first);
2. `twine check --strict` both;
3. assert LICENSE is inside both, and the wheel's metadata declares Apache-2.0 and the version;
4. install the wheel into a new, empty venv (its dependencies from the index, never this
   checkout) and run the smoke commands there, outside the source tree: `routerctl --version`,
   `routerctl schema`, `routerctl validate` on a project scaffolded from the shipped examples;
5. the CHANGELOG.md section for the version exists (the GitHub release's notes).

Every step runs; the figures (sizes, seconds) are printed; the exit code is 1 if any failed.

    .venv/bin/python scripts/release_check.py [--tag v0.2.0] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
sys.path.insert(0, str(ROOT / "scripts"))
import changelog_section  # noqa: E402 - a sibling script, not a package

IN_ACTIONS = os.environ.get("GITHUB_ACTIONS") == "true"


class CheckFailed(Exception):
    pass


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    """Run a command, echoing it; its output on failure is the error."""
    print("$", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if result.returncode != 0:
        raise CheckFailed(f"exit {result.returncode}\n{result.stdout}{result.stderr}".strip())
    return result.stdout


def version() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    value: str = project["version"]
    return value


def artifacts() -> tuple[Path, Path]:
    wheels, sdists = sorted(DIST.glob("*.whl")), sorted(DIST.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CheckFailed(f"expected one wheel and one sdist in dist/, found {wheels + sdists}")
    return wheels[0], sdists[0]


def build() -> str:
    shutil.rmtree(DIST, ignore_errors=True)
    run(sys.executable, "-m", "build", "--outdir", DIST, ".")
    wheel, sdist = artifacts()
    return f"{wheel.name} ({wheel.stat().st_size:,} B), {sdist.name} ({sdist.stat().st_size:,} B)"


def twine_check() -> str:
    wheel, sdist = artifacts()
    out = run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", out).split())


def license_inside(expected_version: str) -> str:
    wheel, sdist = artifacts()
    license_text = (ROOT / "LICENSE").read_bytes()
    stem = f"routerctl-{expected_version}"
    with zipfile.ZipFile(wheel) as zipped:
        names = zipped.namelist()
        in_wheel = f"{stem}.dist-info/licenses/LICENSE"
        if in_wheel not in names:
            raise CheckFailed(f"{wheel.name} has no {in_wheel}")
        if zipped.read(in_wheel) != license_text:
            raise CheckFailed(f"{wheel.name}: {in_wheel} differs from LICENSE")
        metadata_name = f"{stem}.dist-info/METADATA"
        metadata = Parser().parsestr(zipped.read(metadata_name).decode("utf-8"))
    wanted = {"Version": expected_version, "License-Expression": "Apache-2.0"}
    for key, value in wanted.items():
        if metadata[key] != value:
            raise CheckFailed(f"{wheel.name} METADATA {key}: {metadata[key]!r}, want {value!r}")
    if "LICENSE" not in metadata.get_all("License-File", []):
        raise CheckFailed(f"{wheel.name} METADATA has no License-File: LICENSE")
    with tarfile.open(sdist) as tarred:
        member = (
            tarred.extractfile(f"{stem}/LICENSE")
            if f"{stem}/LICENSE" in tarred.getnames()
            else None
        )
        if member is None:
            raise CheckFailed(f"{sdist.name} has no {stem}/LICENSE")
        if member.read() != license_text:
            raise CheckFailed(f"{sdist.name}: {stem}/LICENSE differs from LICENSE")
    urls = len(metadata.get_all("Project-URL", []))
    classifiers = len(metadata.get_all("Classifier", []))
    return (
        f"LICENSE in {in_wheel} and {stem}/LICENSE; License-Expression Apache-2.0; "
        f"{urls} project URLs, {classifiers} classifiers"
    )


def smoke(expected_version: str, workdir: Path) -> str:
    wheel, _ = artifacts()
    venv = workdir / "venv"
    run(sys.executable, "-m", "venv", venv)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python, routerctl = bindir / "python", bindir / "routerctl"
    # No PYTHONPATH and a cwd outside the checkout: only the installed wheel can be imported.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    started = time.monotonic()
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=workdir, env=env)
    install_seconds = time.monotonic() - started
    where = run(python, "-c", "import routerctl; print(routerctl.__file__)", cwd=workdir, env=env)
    if not Path(where.strip()).is_relative_to(venv):
        raise CheckFailed(f"routerctl imported from {where.strip()}, not the clean venv")

    shown = run(routerctl, "--version", cwd=workdir, env=env).strip()
    if shown != f"routerctl, version {expected_version}":
        raise CheckFailed(f"routerctl --version printed {shown!r}")

    project = workdir / "project"
    shutil.copytree(ROOT / "routers", project / "routers")
    schema = run(routerctl, "schema", cwd=project, env=env)
    if json.loads(schema).get("title") is None:
        raise CheckFailed("routerctl schema printed JSON without a title")
    (project / "schema").mkdir()
    (project / "schema" / "router.schema.json").write_text(schema, encoding="utf-8")
    validated = run(routerctl, "validate", cwd=project, env=env).strip().splitlines()[-1]
    return (
        f"wheel installed in a clean venv in {install_seconds:.1f} s; `{shown}`; "
        f"`routerctl schema`: {len(schema):,} B of JSON; `routerctl validate`: {validated}"
    )


def changelog(expected_version: str) -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    try:
        notes = changelog_section.section(text, expected_version)
    except changelog_section.ChangelogError as exc:
        raise CheckFailed(f"CHANGELOG.md: {exc}") from None
    return f"CHANGELOG.md [{expected_version}]: {len(notes.splitlines())} lines of release notes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="the tag being released; must be v + the project version")
    parser.add_argument("--keep", action="store_true", help="keep the clean venv; print where")
    args = parser.parse_args(argv)
    expected = version()
    workdir = Path(tempfile.mkdtemp(prefix="routerctl-release-"))
    steps: list[tuple[str, Callable[[], str]]] = []
    if args.tag is not None:

        def tag() -> str:
            if args.tag != f"v{expected}":
                raise CheckFailed(f"tag {args.tag} does not match pyproject version {expected}")
            return f"tag {args.tag} matches pyproject.toml"

        steps.append(("tag", tag))
    steps += [
        ("build", build),
        ("twine check", twine_check),
        ("license", lambda: license_inside(expected)),
        ("smoke", lambda: smoke(expected, workdir)),
        ("changelog", lambda: changelog(expected)),
    ]
    failed = []
    total = time.monotonic()
    for name, step in steps:
        if IN_ACTIONS:
            print(f"::group::{name}", flush=True)
        started = time.monotonic()
        try:
            outcome, ok = step(), True
        except CheckFailed as exc:
            outcome, ok = str(exc), False
            failed.append(name)
        if IN_ACTIONS:
            print("::endgroup::", flush=True)
        mark = "ok  " if ok else "FAIL"
        print(f"{mark} {name} ({time.monotonic() - started:.1f} s): {outcome}", flush=True)
        if not ok and name in ("tag", "build"):
            break  # nothing after these can run
    if args.keep:
        print(f"clean venv kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    summary = f"release check of routerctl {expected}: {time.monotonic() - total:.1f} s, "
    print(summary + (f"FAILED: {', '.join(failed)}" if failed else "all steps passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
