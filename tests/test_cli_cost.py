"""`routerctl cost` through the CLI: the triage seed's table from the shipped files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from routerctl.cli import cli

ROOT = Path(__file__).resolve().parents[1]
OPUS = "anthropic-claude-opus-4.7"
LLAMA = "llama3.3-70b-instruct"


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "routers", tmp_path / "routers")
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    shutil.copy(ROOT / "routerctl.yaml", tmp_path / "routerctl.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_seed_table_comes_out_of_the_shipped_files(repo_copy):
    result = run(
        "cost", "triage-router", "--offline", "--compare", OPUS, "--compare", LLAMA,
        "--compare-every-task", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    (router,) = data["routers"]
    assert round(router["monthly"]) == 518
    comparisons = {c["model"]: c["monthly"] for c in router["comparisons"]}
    assert round(comparisons[OPUS]) == 1775
    assert round(comparisons[LLAMA]) == 109


def test_text_output_names_the_price_source_and_saving(repo_copy):
    result = run("cost", "triage-router", "--offline", "--compare", OPUS, "--compare-every-task")
    assert result.exit_code == 0
    assert "Prices: shipped price file" in result.stdout
    assert "triage-router: $518.10/month" in result.stdout
    assert "router saves $1,256.90 (71%)" in result.stdout


def test_user_price_file_overrides_and_unpriced_models_are_reported(repo_copy):
    (repo_copy / "prices.yaml").write_text("openai-gpt-5-nano: {input: 1.0, output: 1.0}\n")
    text = (repo_copy / "routers" / "triage-router.yaml").read_text()
    (repo_copy / "routers" / "triage-router.yaml").write_text(
        text.replace("models: [anthropic-claude-haiku-4.5, openai-gpt-5-nano]",
                     "models: [openai-gpt-oss-120b, openai-gpt-5-nano]")
    )  # fmt: skip
    result = run("cost", "triage-router", "--offline", "--prices", "prices.yaml")
    assert result.exit_code == 0
    assert "openai-gpt-oss-120b" in result.stdout
    assert "at least" in result.stdout  # the total is a floor, never priced at $0


def test_no_profile_is_a_one_line_error(repo_copy):
    (repo_copy / "routerctl.yaml").write_text("dir: routers\n")
    result = run("cost", "--offline")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "routerctl: error: no traffic profile: add `traffic:` to routerctl.yaml or pass "
        "--profile FILE (see README, 'Cost')"
    )
