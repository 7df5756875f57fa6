"""Print the CHANGELOG.md section of one released version: the GitHub release's notes.

The section is everything under `## [VERSION] - YYYY-MM-DD` up to the next `## ` heading (or
the link references at the end), without the heading itself. A version with no section, or an
empty one, is an error: a tag is only pushed after [Unreleased] has been renamed to it.

    python scripts/changelog_section.py 0.2.0 [--changelog CHANGELOG.md] > notes.md
    python scripts/changelog_section.py v0.2.0      # a tag name works too
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_VERSION = re.compile(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?")
_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?P<rest>.*)$")
_LINK_REF = re.compile(r"^\[[^\]]+\]: \S+")


class ChangelogError(Exception):
    """The changelog has no usable section for the version asked for."""


def section(text: str, version: str) -> str:
    """The body of `## [version] - DATE` in a Keep a Changelog text, stripped."""
    version = version.removeprefix("v")
    if not _VERSION.fullmatch(version):
        raise ChangelogError(f"{version!r} is not a version (expected e.g. 0.2.0)")
    lines = text.splitlines()
    start = None
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match and match["version"] == version:
            if not re.fullmatch(r" - \d{4}-\d{2}-\d{2}", match["rest"]):
                raise ChangelogError(
                    f"line {index + 1}: '## [{version}]' needs a release date: "
                    f"'## [{version}] - YYYY-MM-DD'"
                )
            start = index + 1
            break
    if start is None:
        known = [m["version"] for m in map(_HEADING.match, lines) if m]
        raise ChangelogError(
            f"no '## [{version}] - YYYY-MM-DD' section (found: {', '.join(known) or 'none'}); "
            "rename [Unreleased] to the version before tagging"
        )
    body: list[str] = []
    for line in lines[start:]:
        if line.startswith("## ") or _LINK_REF.match(line):
            break
        body.append(line)
    notes = "\n".join(body).strip()
    if not notes:
        raise ChangelogError(f"the [{version}] section is empty")
    return notes + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="e.g. 0.2.0 or v0.2.0")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    args = parser.parse_args(argv)
    try:
        text = args.changelog.read_text(encoding="utf-8")
        sys.stdout.write(section(text, args.version))
    except OSError as exc:
        print(f"changelog_section: cannot read {args.changelog}: {exc.strerror}", file=sys.stderr)
        return 1
    except ChangelogError as exc:
        print(f"changelog_section: {args.changelog}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
