"""`make catalog` (scripts/refresh_catalog.py) against the emulator: it writes a dated
snapshot with sources, which routerctl then reads as its shipped catalog."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from routerctl.emulator import Emulator, catalog

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dop_v1_ca7a1095ecret00000000000000000000000000000000000000000000000000"


def refresh(emulator: Emulator, out: Path, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "refresh_catalog.py"),
            "--api-url",
            emulator.url,
            "--out-dir",
            str(out),
        ],
        env={"DIGITALOCEAN_TOKEN": token, "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_refresh_writes_a_dated_snapshot_from_the_api(emulator: Emulator, tmp_path: Path) -> None:
    result = refresh(emulator, tmp_path)
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    today = datetime.now(UTC).date().isoformat()
    models = json.loads((tmp_path / "models.json").read_text())
    presets = json.loads((tmp_path / "task_presets.json").read_text())
    assert models["as_of"] == today
    assert presets["as_of"] == today
    assert models["sources"][0].startswith(f"GET /v2/gen-ai/models ({today}")
    served = {m["id"] for m in catalog.models()}  # what the emulator's API lists
    assert {m["id"] for m in models["models"]} == served
    priced = next(m for m in models["models"] if m["id"] == "openai-gpt-5-nano")
    assert priced["pricing"]["output_price_per_million"] == 0.4
    assert len(presets["tasks"]) == 23
    assert all(t["selection_policy"] for t in presets["tasks"])


def test_refresh_without_a_token_writes_nothing_and_says_why(
    emulator: Emulator, tmp_path: Path
) -> None:
    result = refresh(emulator, tmp_path, token="")
    assert result.returncode == 1
    assert result.stderr.startswith("refresh_catalog: ")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
