"""`routerctl init`: a new project's files, written only where nothing exists yet.

Every file is decided first and checked for collisions before any is written, so a refused
init leaves the directory exactly as it was. The CI workflow files are the ones in the
repository's examples/ (shipped as package data; tests/test_scaffold.py keeps the copies
identical).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from routerctl.errors import ConfigError

CI_CHOICES = ("github", "gitlab")
EXAMPLE_ROUTER = "example-router"

# (package data under data/scaffold/, where it goes in the project)
_CI_FILES: dict[str, tuple[tuple[str, str], ...]] = {
    "github": (
        ("github/plan.yml", ".github/workflows/routerctl-plan.yml"),
        ("github/apply.yml", ".github/workflows/routerctl-apply.yml"),
        ("github/drift.yml", ".github/workflows/routerctl-drift.yml"),
    ),
    "gitlab": (
        ("gitlab/gitlab-ci.yml", ".gitlab-ci.yml"),
        ("gitlab/routerctl-ci.sh", "ci/routerctl-ci.sh"),
    ),
}

EXAMPLE_ROUTER_TEXT = f"""\
# yaml-language-server: $schema=../schema/router.schema.json
# An example router written by `routerctl init`. Rename the file and `name:` (the router's name
# on DigitalOcean; apps call it as model "router:<name>"), then `routerctl validate` and
# `routerctl plan`. File format: https://github.com/routerctl/routerctl/blob/main/docs/file-format.md
name: {EXAMPLE_ROUTER}
# What the router is for (shown in the control panel).
description: Routes support requests to a cheap classifier or a stronger reply writer.
tasks:
  # A custom task: the router sends a request here when it matches the description, so write
  # the description as the kind of request it should catch.
  classify_ticket:
    description: Categorize short support messages into issue types (billing, bug, how-to).
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]   # 1 to 3 models
    prefer: cheapest   # cheapest | fastest | none (none = the order listed is the ranking)
  draft_customer_reply:
    description: Write a short, professional customer-facing reply to a support ticket.
    models: [anthropic-claude-haiku-4.5, openai-gpt-5-nano]
    prefer: none
# Requests that match no task go to these models, tried in this order.
fallback_models: [llama3.3-70b-instruct, anthropic-claude-haiku-4.5]
"""

SETTINGS_TEXT = """\
# routerctl project settings (written by `routerctl init`). Every key is optional.
dir: routers

# Live routers `apply --prune` may delete when their file is removed; protect keeps some forever.
# prune:
#   scope: [example-router]
#   protect: []

# One set of files, several stages: `routerctl plan --env staging`.
# environments:
#   staging:
#     name_suffix: -staging
#     overlays: environments/staging
#   prod: {}
"""

GITIGNORE_TEXT = """\
# routerctl (written by `routerctl init`). The price cache lives in the user cache directory;
# .routerctl/ is where CI setups point ROUTERCTL_CACHE_DIR. Saved plans are build output.
.routerctl/
/plan.json
"""


@dataclass(frozen=True)
class ScaffoldFile:
    path: Path  # relative to the project directory
    text: str


def scaffold_files(ci: str | None = None) -> list[ScaffoldFile]:
    """The files `init` writes, in the order it writes them."""
    from routerctl.schema import router_schema_json

    files = [
        ScaffoldFile(Path("routers") / f"{EXAMPLE_ROUTER}.yaml", EXAMPLE_ROUTER_TEXT),
        ScaffoldFile(Path("schema") / "router.schema.json", router_schema_json()),
        ScaffoldFile(Path("routerctl.yaml"), SETTINGS_TEXT),
        ScaffoldFile(Path(".gitignore"), GITIGNORE_TEXT),
    ]
    if ci is not None:
        if ci not in _CI_FILES:
            raise ConfigError(f"--ci {ci!r}: expected one of {', '.join(CI_CHOICES)}")
        data = resources.files("routerctl") / "data" / "scaffold"
        for source, target in _CI_FILES[ci]:
            files.append(ScaffoldFile(Path(target), (data / source).read_text(encoding="utf-8")))
    return files


def init_project(directory: str | Path = ".", *, ci: str | None = None) -> list[Path]:
    """Write a new project into `directory`; refuse (ConfigError naming the file, nothing
    written) if any of its files already exists. Returns the paths written."""
    root = Path(directory)
    files = scaffold_files(ci)
    existing = [root / f.path for f in files if (root / f.path).exists()]
    if existing:
        names = ", ".join(str(p) for p in existing)
        raise ConfigError(
            f"refusing to overwrite {names}: `routerctl init` only writes new files "
            "(move them aside, or init an empty directory)"
        )
    written: list[Path] = []
    for item in files:
        target = root / item.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("x", encoding="utf-8") as handle:  # "x": never clobber a race
                handle.write(item.text)
        except OSError as exc:
            raise ConfigError(f"cannot write {target}: {exc.strerror}") from None
        if target.suffix == ".sh":
            target.chmod(0o755)
        written.append(target)
    return written
