"""The routing predictors (routerctl.predict): both implementations answer the protocol, name
themselves, use preset descriptions from the catalog, never learn a test prompt from itself,
and fall back on off-topic prompts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from routerctl import predict
from routerctl.models import RouterSpec
from routerctl.predict import (
    FALLBACK,
    LexicalPredictor,
    Predictor,
    Route,
    RoutingTable,
    load_predictor,
    routing_table,
    table_from_api,
)
from routerctl.predict.base import Exemplar
from routerctl.predict.overlap import close_task_issues
from routerctl.predict.semantic import SemanticPredictor, SemanticUnavailable
from routerctl.spec import load_routers

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def semantic() -> SemanticPredictor:
    return SemanticPredictor()


@pytest.fixture(scope="module")
def seeds() -> dict[str, RouterSpec]:
    return {s.name: s for s in load_routers([ROOT / "routers"]).specs}


def both(semantic: SemanticPredictor) -> list[Predictor]:
    return [LexicalPredictor(), semantic]


def test_both_predictors_follow_the_protocol_and_name_themselves(semantic):
    for p in both(semantic):
        assert isinstance(p, Predictor)
    assert LexicalPredictor().name == "lexical"
    assert semantic.name == "semantic:wordllama-l2_supercat-256"


def test_shipped_seed_cases_all_predicted(semantic, seeds):
    """Every test of the two seed routers, each predicted leave-one-out (without itself as
    an exemplar), by the semantic predictor."""
    for spec in seeds.values():
        for case in spec.tests:
            got = semantic.predict(spec, case.prompt, case.system)
            assert got.task == case.expect_task, (case.prompt, got)
            assert got.predictor == semantic.name


def test_off_topic_prompt_falls_back_with_the_nearest_task_as_runner_up(semantic, seeds):
    for p in both(semantic):
        got = p.predict(seeds["meeting-or-email"], "Who won the 1998 world cup final?")
        assert got.task == FALLBACK, (p.name, got)
        assert got.runner_up in {"write_email", "write_meeting_agenda"}


def test_leave_one_out_a_test_prompt_is_not_evidence_for_itself(semantic):
    """The only thing linking the query to `b` is an exemplar identical to the query: the
    prediction must not use it, while a different wording of it still counts."""
    prompt = "zebra quartz violin"
    table = RoutingTable(
        "r",
        "",
        (Route("alpha", "sort invoices"), Route("beta", "paint fences")),
        (Exemplar(prompt, None, "beta"),),
    )
    for p in both(semantic):
        scores = dict(p.scores(table, prompt))
        with_other = dict(p.scores(table, prompt + " trumpet"))
        assert with_other["beta"] > scores["beta"], p.name


def test_exemplars_move_a_prompt_the_description_alone_misses(semantic):
    table = RoutingTable(
        "r",
        "",
        (Route("alpha", "general questions"), Route("beta", "general requests")),
    )
    prompt = "my parcel never arrived at the depot"
    taught = RoutingTable(
        table.name,
        "",
        table.routes,
        (Exemplar("the parcel did not arrive at the depot yet", None, "beta"),),
    )
    for p in both(semantic):
        assert p.predict(taught, prompt).task == "beta", p.name


def test_fallback_exemplars_are_evidence_for_fallback(semantic):
    routes = (Route("write_email", "write an email to the team"),)
    table = RoutingTable(
        "r",
        "",
        routes,
        (Exemplar("what is the weather like in paris tomorrow", None, FALLBACK),),
    )
    got = semantic.predict(table, "what's the weather like in rome tomorrow?")
    assert got.task == FALLBACK
    assert got.runner_up == "write_email"


def test_preset_tasks_use_the_catalog_description():
    spec = RouterSpec.model_validate(
        {
            "name": "w",
            "presets": {"translation": {"models": ["m"]}},
            "fallback_models": ["m"],
        }
    )
    table = routing_table(spec)
    assert table.routes[0].description == predict.preset_descriptions()["translation"]
    assert table.routes[0].description.startswith("Translate")
    got = LexicalPredictor().predict(spec, "Please translate this into natural French")
    assert got.task == "translation"


def test_api_shape_and_spec_give_the_same_table(seeds):
    spec = seeds["triage-router"]
    from_api = table_from_api({"name": spec.name, "config": spec.api_payload()})
    flat = table_from_api(spec.api_payload())
    assert [r.key for r in from_api.routes] == [r.key for r in routing_table(spec).routes]
    assert from_api.routes == flat.routes
    assert from_api.exemplars == ()


def test_auto_falls_back_to_lexical_without_the_extra(monkeypatch):
    monkeypatch.setattr(predict, "_loaded", {})
    monkeypatch.setitem(sys.modules, "wordllama", None)  # import fails as if not installed
    assert load_predictor("auto").name == "lexical"
    with pytest.raises(SemanticUnavailable, match=r"routerctl\[semantic\]"):
        load_predictor("semantic")


def test_auto_prefers_semantic_when_installed(monkeypatch):
    monkeypatch.setattr(predict, "_loaded", {})
    assert load_predictor().name.startswith("semantic:")
    assert load_predictor("lexical").name == "lexical"


def test_prediction_to_dict_is_json_ready(semantic, seeds):
    got = semantic.predict(seeds["triage-router"], "How do I reset my password?").to_dict()
    assert set(got) == {"task", "score", "runner_up", "runner_up_score", "predictor"}
    assert isinstance(got["score"], float)


def test_a_router_without_tasks_always_falls_back(semantic):
    empty = RoutingTable("r", "", ())
    for p in both(semantic):
        assert p.predict(empty, "anything").task == FALLBACK


# --- validate's close-tasks warning --------------------------------------------------------

ROUTERCTL = str(Path(sys.executable).with_name("routerctl"))
CLOSE = """\
name: r
tasks:
  a:
    description: Summarize the support ticket for an agent.
    models: [openai-gpt-5-nano]
  b:
    description: Summarise the support tickets for an agent.
    models: [anthropic-claude-haiku-4.5]
  c:
    description: Write a reply to the customer.
    models: [anthropic-claude-sonnet-4.6]
fallback_models: [llama3.3-70b-instruct]
"""


BETWEEN = """\
name: r
tasks:
  billing_questions:
    description: Answer billing questions about invoices and refunds.
    models: [openai-gpt-5-nano]
  invoice_help:
    description: Handle questions about invoices, refunds and billing.
    models: [anthropic-claude-haiku-4.5]
  spam_filter:
    description: Detect spam and phishing messages.
    models: [anthropic-claude-sonnet-4.6]
fallback_models: [llama3.3-70b-instruct]
tests:
  - prompt: I have questions about billing, invoices and refunds.
    expect_task: billing_questions
  - prompt: Is this email a phishing attempt?
    expect_task: spam_filter
"""


def validate(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "routers").mkdir(exist_ok=True)
    (tmp_path / "routers" / "r.yaml").write_text(text)
    run = [ROUTERCTL, "validate", "routers", *args]
    return subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=False)


def test_validate_names_the_test_prompt_between_two_close_tasks(tmp_path):
    """Worded apart (difflib finds them 70% alike, under its 90% bar), meant alike: the
    predictor scores the first test prompt within 5% on both tasks."""
    result = validate(tmp_path, BETWEEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "routers/r.yaml:7:5: warning: tasks.invoice_help.description: 'invoice_help' is close to "
        "'billing_questions' for the routing predictor (semantic:wordllama-l2_supercat-256): test "
        'prompts "I have questions about billing, invoices and refunds." score within 5% on '
        "both; prompts between them may split unpredictably. Make the descriptions say what "
        "differs",
        "1 file valid: 1 router, 0 errors, 1 warning.",
    ]
    assert validate(tmp_path, BETWEEN, "--strict").returncode == 1


def test_validate_reports_near_identical_text_once(tmp_path):
    """Loading's similar-descriptions warning already covers it: no second, semantic one."""
    result = validate(tmp_path, CLOSE)
    assert result.returncode == 0, result.stderr
    assert [line.split(": warning: ")[1] for line in result.stdout.splitlines()[:-1]] == [
        "tasks.b.description: description is 96% similar to task 'a': the router cannot tell "
        "them apart reliably"
    ]


def test_close_tasks_names_the_test_prompts_between_them(tmp_path):
    """Word overlap makes the tie exact: "alpha gamma" shares one term with each task."""
    (tmp_path / "r.yaml").write_text(
        "name: r\n"
        "tasks:\n"
        "  a: {description: alpha beta, models: [m]}\n"
        "  b: {description: gamma delta, models: [n]}\n"
        "fallback_models: [p]\n"
        "tests:\n"
        "  - {prompt: alpha gamma, expect_task: a}\n"
        "  - {prompt: alpha beta please, expect_task: a}\n"
        "  - {prompt: gamma alpha zeta, expect_task: fallback}\n"  # a tie, but meant to fall back
    )
    (issue,) = close_task_issues(load_routers([tmp_path]).routers, LexicalPredictor())
    assert issue.code == "close-tasks"
    assert issue.severity == "warning"
    assert issue.format().endswith(
        "tasks.b.description: 'b' is close to 'a' for the routing predictor (lexical): test "
        'prompts "alpha gamma" score within 5% on both; prompts between them may split '
        "unpredictably. Make the descriptions say what differs"
    )


def test_shipped_and_corpus_routers_have_no_close_tasks(semantic):
    routers = load_routers([ROOT / "routers", ROOT / "bench" / "routing" / "routers"]).routers
    assert len(routers) == 7
    for predictor in both(semantic):
        assert close_task_issues(routers, predictor) == []


def test_close_tasks_loads_no_predictor_for_single_task_routers(tmp_path, monkeypatch):
    (tmp_path / "r.yaml").write_text(
        "name: r\ntasks: {a: {description: x, models: [m]}}\nfallback_models: [p]\n"
    )

    def refuse(choice: str = "auto") -> Predictor:
        raise AssertionError("no predictor needed for one task")

    monkeypatch.setattr(predict, "load_predictor", refuse)
    assert close_task_issues(load_routers([tmp_path]).routers) == []


def test_embedder_matches_wordllama_own_inference(semantic):
    """The direct loader must give wordllama's own vectors (it replaces WordLlama.load)."""
    import logging

    import numpy as np

    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:  # importing wordllama calls logging.basicConfig(INFO): keep other tests' logs as they were
        import wordllama
        from wordllama import WordLlama
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]

    reference = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    texts = ["How do I reset my password?", "Subject: Invoice\n\nCharged twice! INV-3382"]
    texts += [f"prompt number {i} about billing" for i in range(70)]  # more than one chunk
    ours = semantic._embedder.embed(texts)
    theirs = np.asarray(reference.embed(texts, norm=True), dtype=np.float32)
    assert ours.shape == (len(texts), 256)
    assert np.allclose(ours, theirs, atol=1e-5)
    blank = semantic._embedder.embed([""])  # wordllama itself divides by zero here
    assert not np.isnan(blank).any()


def test_close_tasks_flags_descriptions_that_say_the_same_in_other_words(tmp_path):
    """Same words in another order: difflib is below its bar, word overlap is total."""
    (tmp_path / "r.yaml").write_text(
        "name: r\n"
        "tasks:\n"
        "  a: {description: refunds invoices billing questions, models: [m]}\n"
        "  b: {description: questions billing invoices refunds, models: [n]}\n"
        "fallback_models: [p]\n"
    )
    loaded = load_routers([tmp_path])
    assert [i.code for i in loaded.issues] == []  # no similar-descriptions from loading
    (issue,) = close_task_issues(loaded.routers, LexicalPredictor())
    assert "their descriptions score alike on either task" in issue.message
