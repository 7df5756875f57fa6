"""routing_tests.py with a fake `send`: matching, failure kinds, rates, the confusion matrix,
the pass/fail verdict, and the exact text, JSON and JUnit reports. No HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest

from routerctl.cost import Price, PriceBook
from routerctl.errors import ApiStatusError
from routerctl.models import RouterSpec, RoutingCase
from routerctl.routing_tests import (
    CaseResult,
    RouteReply,
    RouterTestReport,
    failed,
    render_junit,
    render_tests_json,
    render_tests_text,
    run_routing_tests,
    same_route,
    spend,
)

Answer = RouteReply | Exception


def spec(name: str, *cases: dict[str, Any]) -> RouterSpec:
    return RouterSpec.model_validate(
        {
            "name": name,
            "tasks": {
                "classify_ticket": {"description": "Classify tickets.", "models": ["nano"]},
                "draft_customer_reply": {"description": "Write replies.", "models": ["sonnet"]},
            },
            "presets": {"summarization": {"models": ["oss-120b"]}},
            "fallback_models": ["llama"],
            "tests": list(cases),
        }
    )


def case(prompt: str, expect: str, **extra: Any) -> dict[str, Any]:
    return {"prompt": prompt, "expect_task": expect, **extra}


def fake_send(answers: dict[str, Answer]) -> tuple[Callable[..., RouteReply], list[str]]:
    """A send() answering by prompt; it records `router:prompt` of every call."""
    calls: list[str] = []
    lock = threading.Lock()

    def send(router: str, routing_case: RoutingCase) -> RouteReply:
        with lock:
            calls.append(f"{router}:{routing_case.prompt}")
        answer = answers[routing_case.prompt]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return send, calls


def reply(route: str | None, model: str | None = "nano", **extra: Any) -> RouteReply:
    return RouteReply(route=route, model=model, **extra)


def refused(status: int = 503, message: str = "Service Unavailable") -> ApiStatusError:
    return ApiStatusError("POST", "/chat/completions", status, message=message)


def run_one(router: RouterSpec, answers: dict[str, Answer], **kwargs: Any) -> RouterTestReport:
    send, _ = fake_send(answers)
    [report] = run_routing_tests([(router.name, router)], send, **kwargs)
    return report


# --- same_route ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("classify_ticket", "classify_ticket"),
        ("classify_ticket", "Classify Ticket"),
        ("code-generation", "Code Generation"),
        ("Code reviewer", "code_reviewer"),
        ("fallback", "FALLBACK"),
        ("Résumé writer", "résumé-writer"),
        ("分类", "分类"),
        ("分类", "%E5%88%86%E7%B1%BB"),  # what a header carries for a non-Latin-1 task name
        ("???", " ??? "),
    ],
)
def test_same_route_ignores_case_separators_and_percent_encoding(expected: str, got: str) -> None:
    assert same_route(expected, got)


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("classify_ticket", None),
        ("classify_ticket", ""),
        ("write_email", "write_meeting_agenda"),
        ("summarization", "summarization2"),
        ("分类", "总结"),  # before Unicode letters counted, both normalised to "" and matched
        ("???", "!!!"),
    ],
)
def test_same_route_different_or_missing_route_does_not_match(
    expected: str, got: str | None
) -> None:
    assert not same_route(expected, got)


# --- run_routing_tests ------------------------------------------------------------------------


def test_run_matching_case_passes_and_keeps_what_the_endpoint_said() -> None:
    router = spec("triage", case("Why was I charged twice?", "classify_ticket"))
    answer = reply(
        "Classify Ticket", "nano", prompt_tokens=21, completion_tokens=3, latency_ms=212.5
    )
    report = run_one(router, {"Why was I charged twice?": answer})
    assert report.results == (
        CaseResult(
            "triage",
            0,
            router.tests[0],
            route="Classify Ticket",
            model="nano",
            latency_ms=212.5,
            prompt_tokens=21,
            completion_tokens=3,
        ),
    )
    assert report.results[0].passed
    assert (report.passed, report.total, report.tokens) == (1, 1, (21, 3))


def test_run_sends_every_case_to_the_target_name_not_the_spec_name() -> None:
    router = spec("triage", case("a", "classify_ticket"), case("b", "summarization"))
    send, calls = fake_send({"a": reply("classify_ticket"), "b": reply("summarization")})
    [report] = run_routing_tests([("triage-canary", router)], send)
    assert sorted(calls) == ["triage-canary:a", "triage-canary:b"]
    assert report.router == "triage-canary"
    assert [r.router for r in report.results] == ["triage-canary", "triage-canary"]


def test_run_wrong_task_fails_with_expected_and_got() -> None:
    report = run_one(
        spec("triage", case("Reply kindly", "draft_customer_reply")),
        {"Reply kindly": reply("classify_ticket")},
    )
    [result] = report.results
    assert not result.passed
    assert result.got == "classify_ticket"
    assert result.failure() == "expected task 'draft_customer_reply', got 'classify_ticket'"


def test_run_missing_route_header_fails_as_no_route_header() -> None:
    report = run_one(spec("triage", case("hi", "classify_ticket")), {"hi": reply(None)})
    [result] = report.results
    assert (result.route, result.got, result.passed) == (None, "(no route header)", False)
    assert result.failure() == "expected task 'classify_ticket', got '(no route header)'"


def test_run_model_in_expected_pool_passes() -> None:
    report = run_one(
        spec("triage", case("x", "classify_ticket", expect_model_in=["nano", "llama"])),
        {"x": reply("classify_ticket", "llama")},
    )
    assert report.results[0].passed


def test_run_model_outside_expected_pool_fails_on_the_model() -> None:
    report = run_one(
        spec("triage", case("x", "classify_ticket", expect_model_in=["nano"])),
        {"x": reply("classify_ticket", "sonnet")},
    )
    [result] = report.results
    assert (result.route_ok, result.model_ok, result.passed) == (True, False, False)
    assert result.failure() == "served by 'sonnet', expected one of ['nano']"


def test_run_model_missing_from_body_fails_when_a_model_is_expected() -> None:
    report = run_one(
        spec("triage", case("x", "classify_ticket", expect_model_in=["nano"])),
        {"x": reply("classify_ticket", None)},
    )
    assert not report.results[0].model_ok
    assert report.results[0].failure() == "served by None, expected one of ['nano']"


def test_run_error_is_a_failed_case_and_the_other_cases_still_run() -> None:
    router = spec(
        "triage",
        case("a", "classify_ticket"),
        case("b", "classify_ticket"),
        case("c", "draft_customer_reply"),
    )
    answers: dict[str, Answer] = {
        "a": reply("classify_ticket"),
        "b": refused(),
        "c": reply("draft_customer_reply"),
    }
    report = run_one(router, answers)
    assert [r.passed for r in report.results] == [True, False, True]
    errored = report.results[1]
    assert errored.error == "POST /chat/completions → 503: Service Unavailable"
    assert (errored.got, errored.route, errored.model) == ("(error)", None, None)
    assert errored.failure() == "POST /chat/completions → 503: Service Unavailable"
    assert report.errors == 1


def test_run_a_bug_in_send_is_raised_not_recorded() -> None:
    with pytest.raises(KeyError):
        run_one(spec("triage", case("a", "classify_ticket")), {})


def test_run_keeps_case_order_and_splits_reports_by_position() -> None:
    first = spec("triage", *(case(f"p{i}", "classify_ticket") for i in range(5)))
    second = spec("triage", case("q", "summarization"))
    answers: dict[str, Answer] = {f"p{i}": reply("classify_ticket") for i in range(5)}
    answers["q"] = reply("summarization")
    send, _ = fake_send(answers)
    # Two entries with one target name (a staging copy tested twice) stay two reports.
    reports = run_routing_tests([("same", first), ("same", second)], send, parallelism=3)
    assert [[r.case.prompt for r in rep.results] for rep in reports] == [
        ["p0", "p1", "p2", "p3", "p4"],
        ["q"],
    ]
    assert [r.index for r in reports[0].results] == [0, 1, 2, 3, 4]


def test_run_sends_up_to_parallelism_requests_at_once() -> None:
    barrier = threading.Barrier(3, timeout=5)

    def send(router: str, routing_case: RoutingCase) -> RouteReply:
        barrier.wait()  # raises BrokenBarrierError unless three calls are in flight together
        return reply("classify_ticket")

    router = spec("triage", *(case(f"p{i}", "classify_ticket") for i in range(3)))
    [report] = run_routing_tests([("triage", router)], send, parallelism=3)
    assert report.passed == 3


def test_run_report_lists_the_routers_routes() -> None:
    report = run_one(spec("triage", case("a", "classify_ticket")), {"a": reply("classify_ticket")})
    assert report.routes == (
        "classify_ticket",
        "draft_customer_reply",
        "summarization",
        "fallback",
    )


# --- rates and the confusion matrix ---------------------------------------------------------


def test_match_and_fallback_rates() -> None:
    router = spec(
        "triage",
        case("a", "classify_ticket"),
        case("b", "fallback"),
        case("c", "classify_ticket"),
        case("d", "draft_customer_reply"),
    )
    answers: dict[str, Answer] = {
        "a": reply("classify_ticket"),
        "b": reply("Fallback", "llama"),
        "c": reply("fallback", "llama"),  # a miss that went to the fallback models
        "d": refused(),
    }
    report = run_one(router, answers)
    assert report.passed == 2
    assert report.match_rate == 0.5
    assert report.fallback_rate == 0.5


def test_rates_of_a_router_without_cases() -> None:
    report = RouterTestReport("empty", ())
    assert (report.match_rate, report.fallback_rate, report.tokens) == (1.0, 0.0, (0, 0))
    assert report.confusion() == {}


def test_confusion_folds_display_names_onto_task_keys() -> None:
    router = spec(
        "triage",
        case("a", "classify_ticket"),
        case("b", "classify_ticket"),
        case("c", "draft_customer_reply"),
        case("d", "draft_customer_reply"),
        case("e", "draft_customer_reply"),
        case("f", "summarization"),
        case("g", "summarization"),
    )
    answers: dict[str, Answer] = {
        "a": reply("Classify Ticket"),
        "b": reply("classify_ticket"),
        "c": reply("Classify Ticket"),  # another task's display name: folded onto its key
        "d": reply("FALLBACK"),
        "e": reply(None),
        "f": reply("Code Generation"),  # not a route of this router: shown as sent
        "g": refused(),
    }
    assert run_one(router, answers).confusion() == {
        "classify_ticket": {"classify_ticket": 2},
        "draft_customer_reply": {"(no route header)": 1, "classify_ticket": 1, "fallback": 1},
        "summarization": {"(error)": 1, "Code Generation": 1},
    }


# --- the verdict --------------------------------------------------------------------------------


def report_of(passed: int, failed_: int, errors: int = 0) -> RouterTestReport:
    ok = RoutingCase(prompt="ok", expect_task="t")
    results = [CaseResult("r", i, ok, route="t") for i in range(passed)]
    results += [CaseResult("r", i, ok, route="u") for i in range(failed_)]
    results += [CaseResult("r", i, ok, error="boom") for i in range(errors)]
    return RouterTestReport("r", tuple(results))


@pytest.mark.parametrize(
    ("reports", "min_match_rate", "expected"),
    [
        ([report_of(2, 0)], None, False),
        ([report_of(2, 1)], None, True),
        ([report_of(2, 0), report_of(0, 1)], None, True),
        ([report_of(1, 1)], 0.5, False),  # exactly at the threshold passes
        ([report_of(1, 2)], 0.5, True),
        ([report_of(3, 0), report_of(1, 1)], 0.6, True),  # each router must reach it
        ([report_of(0, 3)], 0.0, False),
        ([report_of(9, 0, errors=1)], 0.5, True),  # an unanswered case is never tolerated
        ([report_of(0, 0, errors=2)], 0.0, True),
        ([], None, False),
    ],
)
def test_failed(
    reports: list[RouterTestReport], min_match_rate: float | None, expected: bool
) -> None:
    assert failed(reports, min_match_rate) is expected


# --- rendering -----------------------------------------------------------------------------------


@pytest.fixture
def small_report() -> RouterTestReport:
    router = spec(
        "triage",
        case("Why was I charged twice\non invoice INV-3382?", "classify_ticket"),
        case("Write a short reply to an angry customer about the outage", "draft_customer_reply"),
        case("hello there", "fallback", expect_model_in=["llama"]),
    )
    c1, c2, c3 = router.tests
    return RouterTestReport(
        "triage",
        (
            CaseResult(
                "triage",
                0,
                c1,
                route="Classify Ticket",
                model="nano",
                latency_ms=212.4,
                prompt_tokens=20,
                completion_tokens=3,
            ),
            CaseResult(
                "triage",
                1,
                c2,
                route="classify_ticket",
                model="nano",
                latency_ms=198.6,
                prompt_tokens=30,
                completion_tokens=4,
            ),
            CaseResult("triage", 2, c3, error="POST /chat/completions → 503: Service Unavailable"),
        ),
        routes=("classify_ticket", "draft_customer_reply", "fallback"),
    )


def test_render_text_exact(small_report: RouterTestReport) -> None:
    text = render_tests_text([small_report], costs={"triage": Decimal("0.0001234")})
    assert text == (
        "router:triage  1/3 passed\n"
        "        prompt                                            expected              got              model  ms\n"  # noqa: E501
        "  ok    Why was I charged twice on invoice INV-3382?      classify_ticket       Classify Ticket  nano   212\n"  # noqa: E501
        "  FAIL  Write a short reply to an angry customer about …  draft_customer_reply  classify_ticket  nano   199\n"  # noqa: E501
        "  FAIL  hello there                                       fallback              (error)          -      -\n"  # noqa: E501
        "  FAIL #2: expected task 'draft_customer_reply', got 'classify_ticket'\n"
        "  FAIL #3: POST /chat/completions → 503: Service Unavailable\n"
        "  match rate 33%, fallback rate 0%, tokens 50 in / 7 out, cost $0.000123\n"
        "  confusion (expected → got):\n"
        "    classify_ticket: classify_ticket ×1\n"
        "    draft_customer_reply: classify_ticket ×1\n"
        "    fallback: (error) ×1\n"
        "\n"
        "Routing tests FAILED: 1 of 3 cases matched.\n"
    )


def test_render_text_unpriced_cost_threshold_and_passing_verdict() -> None:
    ok = RoutingCase(prompt="hi", expect_task="t")
    report = RouterTestReport("r", (CaseResult("r", 0, ok, route="t", model="x"),))
    text = render_tests_text([report], costs={"r": None}, min_match_rate=0.75)
    cost = "cost unknown (unpriced model)"
    assert f"  match rate 100%, fallback rate 0%, tokens 0 in / 0 out, {cost}\n" in text
    assert text.endswith("\nRouting tests passed: 1 of 1 cases matched (min match rate 75%).\n")


def test_render_text_without_costs_has_no_cost(small_report: RouterTestReport) -> None:
    text = render_tests_text([small_report])
    assert "  match rate 33%, fallback rate 0%, tokens 50 in / 7 out\n" in text
    assert "cost" not in text


def test_render_json_structure(small_report: RouterTestReport) -> None:
    data = json.loads(
        render_tests_json([small_report], costs={"triage": Decimal("0.25")}, min_match_rate=0.3)
    )
    router = data["routers"][0]
    assert {k: v for k, v in data.items() if k != "routers"} == {
        "format_version": "1.0",
        "passed": False,  # the errored case fails the run whatever the threshold
        "min_match_rate": 0.3,
    }
    assert {k: v for k, v in router.items() if k != "cases"} == {
        "router": "triage",
        "total": 3,
        "passed": 1,
        "match_rate": 0.3333,
        "fallback_rate": 0.0,
        "tokens": {"prompt": 50, "completion": 7},
        "cost_usd": 0.25,
        "confusion": {
            "classify_ticket": {"classify_ticket": 1},
            "draft_customer_reply": {"classify_ticket": 1},
            "fallback": {"(error)": 1},
        },
    }
    assert router["cases"][0] == {
        "index": 0,
        "prompt": "Why was I charged twice\non invoice INV-3382?",
        "expect_task": "classify_ticket",
        "expect_model_in": None,
        "route": "Classify Ticket",
        "model": "nano",
        "latency_ms": 212.4,
        "passed": True,
        "error": None,
    }
    assert router["cases"][2] == {
        "index": 2,
        "prompt": "hello there",
        "expect_task": "fallback",
        "expect_model_in": ["llama"],
        "route": None,
        "model": None,
        "latency_ms": 0.0,
        "passed": False,
        "error": "POST /chat/completions → 503: Service Unavailable",
    }


def test_render_json_without_costs_or_threshold() -> None:
    ok = RoutingCase(prompt="hi", expect_task="t")
    report = RouterTestReport("r", (CaseResult("r", 0, ok, route="t"),))
    data = json.loads(render_tests_json([report]))
    assert (data["passed"], data["min_match_rate"], data["routers"][0]["cost_usd"]) == (
        True,
        None,
        None,
    )


def test_render_junit_counts_failures_and_errors_separately(
    small_report: RouterTestReport,
) -> None:
    other = RouterTestReport(
        "meeting", (CaseResult("meeting", 0, RoutingCase(prompt="m", expect_task="t"), route="t"),)
    )
    root = ElementTree.fromstring(render_junit([small_report, other]))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.attrib for s in suites] == [
        {"name": "router:triage", "tests": "3", "failures": "1", "errors": "1"},
        {"name": "router:meeting", "tests": "1", "failures": "0", "errors": "0"},
    ]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [
        "#1 Why was I charged twice on invoice INV-3382? → classify_ticket",
        "#2 Write a short reply to an angry customer about the outage → draft_customer_reply",
        "#3 hello there → fallback",
    ]
    assert [c.get("time") for c in cases] == ["0.212", "0.199", "0.000"]
    assert [c.get("classname") for c in cases] == ["router:triage"] * 3
    assert list(cases[0]) == []
    [failure] = list(cases[1])
    assert (failure.tag, failure.get("message")) == (
        "failure",
        "expected task 'draft_customer_reply', got 'classify_ticket'",
    )
    [error] = list(cases[2])
    assert (error.tag, error.get("message")) == (
        "error",
        "POST /chat/completions → 503: Service Unavailable",
    )


def test_render_junit_prompt_with_control_characters_is_still_valid_xml() -> None:
    weird = RoutingCase(prompt="colour \x1b[31mred\x1b[0m & <b>", expect_task="t")
    report = RouterTestReport("r", (CaseResult("r", 0, weird, error="bad \x00 byte"),))
    root = ElementTree.fromstring(render_junit([report]))
    testcase = root.find("testsuite/testcase")
    assert testcase is not None
    assert testcase.get("name") == "#1 colour \ufffd[31mred\ufffd[0m & <b> → t"
    assert testcase.find("error").get("message") == "bad \ufffd byte"  # type: ignore[union-attr]


def test_spend_prices_each_served_call_and_never_prices_an_unknown_model_at_zero():
    ok = RoutingCase(prompt="p", expect_task="t")
    book = PriceBook(
        prices={"nano": Price(Decimal("0.05"), Decimal("0.40"), "test")},
        unpriced={},
        source="test",
        as_of=None,
    )
    priced = RouterTestReport(
        "a",
        (
            CaseResult(
                "a", 0, ok, route="t", model="nano", prompt_tokens=300, completion_tokens=40
            ),
            CaseResult("a", 1, ok, error="boom"),  # no model served it: costs nothing
        ),
    )
    unknown = RouterTestReport(
        "b", (CaseResult("b", 0, ok, route="t", model="mystery", prompt_tokens=10),)
    )
    assert spend([priced, unknown], book) == {"a": Decimal("0.000031"), "b": None}


# --- display names and the fallback route (issue 16) -------------------------------------------


def test_a_preset_display_name_from_the_presets_endpoint_matches_its_slug() -> None:
    router = spec("r", case("tl;dr please", "summarization"))
    # The display name shares no spelling with the slug: only the alias can match it.
    answers: dict[str, Answer] = {"tl;dr please": reply("Summaries & TL;DRs")}
    report = run_one(router, answers, names={"summarization": "Summaries & TL;DRs"})
    assert report.passed == 1
    assert report.results[0].got == "Summaries & TL;DRs"  # the raw header, as sent
    assert report.confusion() == {"summarization": {"summarization": 1}}
    assert run_one(router, answers).passed == 0  # without the presets' names, a miss


def test_an_empty_route_header_counts_as_fallback_and_is_shown_as_empty() -> None:
    router = spec("r", case("hello", "fallback"), case("hi", "fallback"))
    report = run_one(router, {"hello": reply(""), "hi": reply("Fallback")})
    assert report.passed == 2
    assert report.fallback_rate == 1.0
    assert [r.got for r in report.results] == ["(empty route header)", "Fallback"]
    assert json.loads(render_tests_json([report]))["routers"][0]["cases"][0]["route"] == ""


def test_a_missing_route_header_is_not_fallback() -> None:
    report = run_one(spec("r", case("hello", "fallback")), {"hello": reply(None)})
    assert report.passed == 0
    assert report.fallback_rate == 0.0
    assert report.results[0].got == "(no route header)"


def test_an_empty_header_does_not_match_a_task() -> None:
    report = run_one(spec("r", case("hello", "classify_ticket")), {"hello": reply("")})
    assert report.passed == 0
    assert report.confusion() == {"classify_ticket": {"fallback": 1}}
