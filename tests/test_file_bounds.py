"""Bounds on what files can make routerctl do (issue 14): numbers, fallback-only pricing, the
similar-descriptions check's work, names matched whole."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from routerctl import spec as spec_module
from routerctl.cli import cli
from routerctl.cost import Price, PriceBook, estimate_router
from routerctl.errors import SpecError
from routerctl.models import RouterSpec, RouterTraffic
from routerctl.similarity import SIMILAR_MAX_CHARS, SIMILAR_MAX_TASKS, SimilarityWork
from routerctl.spec import (
    MAX_FILE_BYTES,
    check_router,
    parse_document,
    similar_description_issues,
)

PRICES = PriceBook(
    prices={
        "fb": Price(Decimal(1), Decimal(2), "test prices"),
        "other": Price(Decimal(9), Decimal(9), "test prices"),
    },
    source="test prices",
)


# --- a fallback-only router is priced on its fallback models, never at $0 --------------------


def fallback_only() -> RouterSpec:
    return RouterSpec(name="fb-only", fallback_models=["fb", "other"])


def test_fallback_only_router_is_priced_on_its_first_fallback_model() -> None:
    traffic = RouterTraffic(requests_per_month=1_000_000, input_tokens=100, output_tokens=10)
    cost = estimate_router(fallback_only(), traffic, PRICES)
    [row] = cost.rows
    assert (row.key, row.kind, row.model) == ("fallback", "fallback", "fb")
    assert row.assumption == "fallback: first listed fallback model"
    # 100 x $1/M + 10 x $2/M = $0.00012 per request, x 1,000,000 requests
    assert cost.monthly == Decimal("120")
    assert cost.complete


def test_fallback_only_traffic_without_token_counts_is_refused_when_read() -> None:
    with pytest.raises(ValueError, match="every request is costed on the fallback models"):
        RouterTraffic(requests_per_month=1_000_000)


def test_fallback_only_router_without_token_counts_is_one_line_from_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "routers").mkdir()
    (tmp_path / "routers" / "a.yaml").write_text("name: a\nfallback_models: [fb]\n")
    (tmp_path / "p.yaml").write_text("routers:\n  a:\n    requests_per_month: 10\n")
    result = CliRunner().invoke(cli, ["cost", "--offline", "--profile", "p.yaml"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("routerctl: error: p.yaml: traffic profile: routers.a: ")
    assert "set input_tokens and output_tokens" in line


def test_explicit_fallback_traffic_still_wins_for_a_fallback_only_router() -> None:
    traffic = RouterTraffic.model_validate(
        {
            "requests_per_month": 10,
            "fallback": {"share": 0.5, "input_tokens": 1e6, "output_tokens": 0},
        }
    )
    cost = estimate_router(fallback_only(), traffic, PRICES)
    assert cost.monthly == Decimal("5")  # $1 per call x 0.5 x 10


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), 1e16, -1.0])
def test_traffic_figures_are_finite_and_bounded(bad: float) -> None:
    with pytest.raises(ValueError, match="requests_per_month"):
        RouterTraffic(requests_per_month=bad)


def test_cost_profile_with_inf_is_one_line_naming_file_and_line(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "routers").mkdir()
    (tmp_path / "routers" / "a.yaml").write_text("name: a\nfallback_models: [fb]\n")
    (tmp_path / "p.yaml").write_text("routers:\n  a:\n    requests_per_month: .inf\n")
    result = CliRunner().invoke(cli, ["cost", "--offline", "--profile", "p.yaml"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "p.yaml:3:25: routers.a.requests_per_month: '.inf' is not a finite number; write a "
        "number (or quote it for text)",
        "routerctl: 1 error, 0 warnings",
    ]


# --- numbers in YAML ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["1" * 4301, "-" + "9" * 25, "0x" + "f" * 30, ":".join(["59"] * 20), "1.0e+20", ".inf", ".NaN"],
)
def test_unbounded_numbers_are_refused_with_their_line(value: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_document(f"name: a\ndescription: {value}\n".encode(), "r.yaml")
    [issue] = caught.value.issues
    assert (issue.line, issue.col, issue.code) == (2, 14, "number")


@pytest.mark.parametrize("value", ["0", "-12", "1_000", "0x1f", "3.5", "1000000000000000"])
def test_ordinary_numbers_still_read(value: str) -> None:
    doc = parse_document(f"n: {value}\n".encode(), "r.yaml")
    assert isinstance(doc.data["n"], int | float)


# --- names are matched whole --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["triage-router\n", "triage-router\r", "\ntriage-router", "a\n\n"])
def test_name_with_a_line_break_fails_the_pattern(name: str) -> None:
    doc = parse_document(b"x: 1\n", "r.yaml")
    spec = RouterSpec(name=name, fallback_models=["m"], renamed_from=[name + "x"])
    codes = [i.code for i in check_router(doc, spec, None)]
    assert codes.count("bad-name") == 2  # the name and the renamed_from entry


# --- the similar-descriptions check is bounded ----------------------------------------------------


def big_router(tasks: int, description: str) -> bytes:
    lines = ["name: big", "fallback_models: [m]", "tasks:"]
    for i in range(tasks):
        lines += [f"  t{i}:", f"    description: {description}{i}", "    models: [m]"]
    return ("\n".join(lines) + "\n").encode()


def test_near_limit_file_with_many_similar_tasks_does_bounded_work() -> None:
    """The 236 KB file of the issue took 192 s: thousands of near-identical descriptions,
    every pair compared in full. Now at most C(64, 2) pairs of at most 512 characters each."""
    description = "Classify the incoming support ticket by product area and urgency " * 3
    raw = big_router(4000, description.strip())
    assert 0.5 * MAX_FILE_BYTES < len(raw) <= MAX_FILE_BYTES
    doc = parse_document(raw, "big.yaml")
    spec = RouterSpec.model_validate(doc.data)
    descriptions = [(k, t.description.lower()) for k, t in spec.tasks.items()]
    work = SimilarityWork()
    issues = similar_description_issues(doc, descriptions, work)
    assert 0 < work.pairs <= SIMILAR_MAX_TASKS * (SIMILAR_MAX_TASKS - 1) // 2
    assert work.max_chars <= SIMILAR_MAX_CHARS
    codes = [i.code for i in issues]
    assert codes.count("similar-descriptions") == SIMILAR_MAX_TASKS - 1  # each vs t0, found
    assert codes.count("similar-descriptions-bounded") == 1  # and the router is told


def test_long_descriptions_are_compared_on_their_first_characters_only() -> None:
    doc = parse_document(b"x: 1\n", "r.yaml")
    long = "a" * 200_000
    work = SimilarityWork()
    issues = similar_description_issues(doc, [("one", long + "x"), ("two", long + "y")], work)
    assert work.pairs == 1
    assert work.max_chars == SIMILAR_MAX_CHARS
    assert [i.code for i in issues] == ["similar-descriptions"]


def test_under_the_bounds_nothing_changes() -> None:
    doc = parse_document(b"x: 1\n", "r.yaml")
    issues = similar_description_issues(
        doc, [("a", "summarize long documents"), ("b", "summarize long documents!")]
    )
    assert [i.code for i in issues] == ["similar-descriptions"]
    assert spec_module.SIMILAR_DESCRIPTION_RATIO == 0.9


def test_bad_expect_task_suggestions_are_bounded(tmp_path: Path) -> None:
    """difflib per bad case against every route would be cases x routes ratios."""
    assert spec_module.suggest("x" * 101, ["x" * 101]) == ""
    assert spec_module.suggest("ab", [f"t{i}" for i in range(1001)]) == ""
    assert spec_module.suggest("fallback_model", ["fallback_models"]) != ""
