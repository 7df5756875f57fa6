"""The README's example output is real: each block marked `<!-- golden: PATH -->` must equal
that golden file, so a renderer change cannot leave the README stale."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_plans_match_their_golden_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- golden: (\S+) -->\n```text\n(.*?)```", readme, flags=re.S)
    assert blocks, "the README should show at least one real plan"
    for path, shown in blocks:
        assert shown == (ROOT / path).read_text(encoding="utf-8"), path
