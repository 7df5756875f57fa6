"""Routing regression tests (`routerctl test`): send labelled prompts to a router and check
that each reaches the expected task. Runs cases concurrently through an injected `send`
function (client.InferenceClient in production), and renders text, JSON and JUnit reports.

A custom task is a natural-language description, so one edited word can move traffic with no
structural diff at all; these tests are what catches that in a pull request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from routerctl.cost import PriceBook
from routerctl.errors import RouterctlError
from routerctl.models import FALLBACK_ROUTE, RouteReply, RouterSpec, RoutingCase
from routerctl.redact import scrub

NO_HEADER = "(no route header)"
EMPTY_HEADER = "(empty route header)"
ERROR = "(error)"


Send = Callable[[str, RoutingCase], RouteReply]


def select_cases(
    specs: Sequence[RouterSpec],
    names: Sequence[str] = (),
    *,
    rename: Callable[[str], str] | None = None,
    router_name: str | None = None,
) -> list[tuple[str, RouterSpec]]:
    """Which routers to test, as (the name to send to, spec) pairs.

    `names` may be the files' names or the environment's live names (`rename` maps the
    first to the second); a name no file declares is an error, never a silent skip, and so is
    a selection with no test cases. `router_name` redirects one router's cases elsewhere
    (e.g. a staging copy)."""
    from routerctl.errors import ConfigError

    live_names = {s.name for s in specs}

    def live_name(name: str) -> str:
        if rename is None or name in live_names:
            return name
        return rename(name)

    unknown = sorted(n for n in names if live_name(n) not in live_names)
    if unknown:
        raise ConfigError(f"no router file declares {', '.join(unknown)}")
    wanted = {live_name(n) for n in names}
    chosen = [s for s in specs if (not wanted or s.name in wanted) and s.tests]
    if not chosen:
        raise ConfigError(
            "no routing tests: add `tests:` to a router file or a routers/<name>.tests.yaml"
        )
    if router_name and len(chosen) != 1:
        raise ConfigError("--router-name needs exactly one router with tests; name it")
    return [(router_name or s.name, s) for s in chosen]


def same_route(expected: str, got: str | None) -> bool:
    """Header values may be a task key, a preset slug or a display name ("Code Generation"
    for `code-generation`, per the Plano source), so compare ignoring case and separators.

    Task names are free text in any script, so letters and digits are Unicode ones; a header
    cannot carry most of them, so a percent-encoded value is also compared decoded."""
    if got is None:
        return False
    want = _norm(expected)
    if not want:  # a name made only of punctuation: nothing to normalise away
        return expected.strip().casefold() == got.strip().casefold()
    return want == _norm(got) or ("%" in got and want == _norm(unquote(got)))


def _norm(text: str) -> str:
    return re.sub(r"[\W_]", "", text.casefold())


def is_fallback(route: str | None) -> bool:
    """`fallback` in any spelling, or a header that is present but empty (no task matched)."""
    return route is not None and (not route.strip() or same_route(FALLBACK_ROUTE, route))


def route_matches(expected: str, got: str | None, aliases: Sequence[str] = ()) -> bool:
    """Whether a header value names `expected`: its key or slug, or one of its `aliases`
    (a preset's display name from the presets endpoint, e.g. "Long Document Q&A"), compared
    ignoring case and punctuation; `fallback` also matches an empty header."""
    if same_route(FALLBACK_ROUTE, expected) and is_fallback(got):
        return True
    return any(same_route(name, got) for name in (expected, *aliases) if name)


@dataclass(frozen=True)
class CaseResult:
    router: str  # the router name the request was sent to
    index: int
    case: RoutingCase
    route: str | None = None
    model: str | None = None
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    aliases: tuple[str, ...] = ()  # other names of the expected task (preset display names)

    @property
    def got(self) -> str:
        """The header as the router sent it (not normalised), or why there is none."""
        if self.error is not None:
            return ERROR
        if self.route is None:
            return NO_HEADER
        return self.route if self.route.strip() else EMPTY_HEADER

    @property
    def route_ok(self) -> bool:
        return self.error is None and route_matches(self.case.expect_task, self.route, self.aliases)

    @property
    def model_ok(self) -> bool:
        allowed = self.case.expect_model_in
        return allowed is None or (self.model is not None and self.model in allowed)

    @property
    def passed(self) -> bool:
        return self.route_ok and self.model_ok

    def failure(self) -> str:
        if self.error is not None:
            return self.error
        if not self.route_ok:
            return f"expected task {self.case.expect_task!r}, got {self.got!r}"
        return f"served by {self.model!r}, expected one of {self.case.expect_model_in}"


@dataclass(frozen=True)
class RouterTestReport:
    router: str
    results: tuple[CaseResult, ...]
    # The router's task keys, preset slugs and `fallback`: the confusion matrix folds other
    # spellings of these (display names) onto them.
    routes: tuple[str, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # route -> names

    @property
    def errors(self) -> int:
        return sum(1 for r in self.results if r.error is not None)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def match_rate(self) -> float:
        return self.passed / self.total if self.total else 1.0

    @property
    def fallback_rate(self) -> float:
        hits = sum(1 for r in self.results if r.error is None and is_fallback(r.route))
        return hits / self.total if self.total else 0.0

    @property
    def tokens(self) -> tuple[int, int]:
        return (
            sum(r.prompt_tokens for r in self.results),
            sum(r.completion_tokens for r in self.results),
        )

    def confusion(self) -> dict[str, dict[str, int]]:
        """expected task → what the router answered → count. A header spelling a task
        differently ("Write Email") is counted under the key the files use (`write_email`)."""
        matrix: dict[str, dict[str, int]] = {}
        for result in self.results:
            got = result.got
            if result.error is None and result.route is not None:
                candidates = (result.case.expect_task, *self.routes)
                got = next(
                    (
                        k
                        for k in candidates
                        if route_matches(k, result.route, self.aliases.get(k, ()))
                    ),
                    got,
                )
            row = matrix.setdefault(result.case.expect_task, {})
            row[got] = row.get(got, 0) + 1
        return {k: dict(sorted(v.items())) for k, v in sorted(matrix.items())}


def run_routing_tests(
    routers: Sequence[tuple[str, RouterSpec]],
    send: Send,
    *,
    parallelism: int = 4,
    names: Mapping[str, str] | None = None,
) -> list[RouterTestReport]:
    """Run every case of every (target name, spec) pair. A failed request is a failed case
    (with its error), never an aborted run: one flaky call must not hide the other results.
    `names` (task_slug -> display name, from the presets endpoint or the catalog) lets a
    header that carries a preset's display name match its slug."""
    names = dict(names or {})

    def aliases(spec: RouterSpec) -> dict[str, tuple[str, ...]]:
        return {slug: (names[slug],) for slug in spec.presets if names.get(slug)}

    def one(job: tuple[str, int, RoutingCase, dict[str, tuple[str, ...]]]) -> CaseResult:
        target, index, case, known = job
        also = known.get(case.expect_task, ())
        try:
            reply = send(target, case)
        except RouterctlError as exc:
            return CaseResult(target, index, case, error=str(exc), aliases=also)
        return CaseResult(
            target,
            index,
            case,
            route=reply.route,
            model=reply.model,
            latency_ms=reply.latency_ms,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            aliases=also,
        )

    jobs = [
        (target, i, case, aliases(spec))
        for target, spec in routers
        for i, case in enumerate(spec.tests)
    ]
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="test") as pool:
        results = iter(list(pool.map(one, jobs)))
    # Slice by position, not by name: two entries may target the same router name.
    return [
        RouterTestReport(
            target,
            tuple(next(results) for _ in spec.tests),
            routes=(*spec.tasks, *spec.presets, FALLBACK_ROUTE),
            aliases=aliases(spec),
        )
        for target, spec in routers
    ]


def spend(reports: Sequence[RouterTestReport], prices: PriceBook) -> dict[str, Decimal | None]:
    """What each router's test run cost in tokens, per `prices`; None when a serving model
    has no known price (a partial sum would understate it)."""
    costs: dict[str, Decimal | None] = {}
    for report in reports:
        total: Decimal | None = Decimal(0)
        for result in report.results:
            if result.model is None or total is None:
                continue
            price = prices.get(result.model)
            if price is None:
                total = None
                continue
            total += price.per_call(
                Decimal(result.prompt_tokens), Decimal(result.completion_tokens)
            )
        costs[report.router] = total
    return costs


def failed(reports: Sequence[RouterTestReport], min_match_rate: float | None) -> bool:
    """Without a threshold every case must pass; with one, each router's rate must reach it.
    A case that got no answer (an error) always fails the run: the threshold tolerates
    routing misses, not a router that cannot be reached (or `--min-match-rate 0` would pass
    a run in which every request was refused)."""
    if any(r.errors for r in reports):
        return True
    if min_match_rate is None:
        return any(r.passed < r.total for r in reports)
    return any(r.match_rate < min_match_rate for r in reports)


# Characters XML 1.0 cannot carry at all (C0 controls except tab/LF/CR, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text safe for an XML attribute: a prompt may hold an escape character (YAML "\\e")
    and one such character makes the whole JUnit file unreadable. Scrubbed before it is
    escaped, while a secret still looks like itself."""
    return _NOT_XML.sub("\ufffd", scrub(text))


def _excerpt(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _money(value: Decimal | None) -> str:
    return "unknown (unpriced model)" if value is None else f"${value:.6f}"


def render_tests_text(
    reports: Sequence[RouterTestReport],
    *,
    costs: dict[str, Decimal | None] | None = None,
    min_match_rate: float | None = None,
) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(f"router:{report.router}  {report.passed}/{report.total} passed")
        header = ("", "prompt", "expected", "got", "model", "ms")
        rows = [header]
        for r in report.results:
            mark = "ok" if r.passed else "FAIL"
            rows.append(
                (
                    mark,
                    _excerpt(r.case.prompt),
                    r.case.expect_task,
                    r.got,
                    r.model or "-",
                    "-" if r.error is not None else f"{r.latency_ms:.0f}",  # no answer, no time
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            lines.append(
                "  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            )
        for r in report.results:
            if not r.passed:
                lines.append(f"  FAIL #{r.index + 1}: {r.failure()}")
        prompt_tokens, completion_tokens = report.tokens
        lines.append(
            f"  match rate {report.match_rate:.0%}, fallback rate {report.fallback_rate:.0%}, "
            f"tokens {prompt_tokens} in / {completion_tokens} out"
            + (f", cost {_money(costs.get(report.router))}" if costs is not None else "")
        )
        lines.append("  confusion (expected → got):")
        for expected, counts in report.confusion().items():
            cells = ", ".join(f"{got} ×{count}" for got, count in counts.items())
            lines.append(f"    {expected}: {cells}")
        lines.append("")
    total = sum(r.total for r in reports)
    passed = sum(r.passed for r in reports)
    verdict = "FAILED" if failed(reports, min_match_rate) else "passed"
    threshold = f" (min match rate {min_match_rate:.0%})" if min_match_rate is not None else ""
    lines.append(f"Routing tests {verdict}: {passed} of {total} cases matched{threshold}.")
    return scrub("\n".join(lines)) + "\n"


def render_tests_json(
    reports: Sequence[RouterTestReport],
    *,
    costs: dict[str, Decimal | None] | None = None,
    min_match_rate: float | None = None,
) -> str:
    data: dict[str, Any] = {
        "format_version": "1.0",
        "passed": not failed(reports, min_match_rate),
        "min_match_rate": min_match_rate,
        "routers": [],
    }
    for report in reports:
        cost = costs.get(report.router) if costs is not None else None
        data["routers"].append(
            {
                "router": report.router,
                "total": report.total,
                "passed": report.passed,
                "match_rate": round(report.match_rate, 4),
                "fallback_rate": round(report.fallback_rate, 4),
                "tokens": {"prompt": report.tokens[0], "completion": report.tokens[1]},
                "cost_usd": None if cost is None else float(cost),
                "confusion": report.confusion(),
                "cases": [
                    {
                        "index": r.index,
                        "prompt": r.case.prompt,
                        "expect_task": r.case.expect_task,
                        "expect_model_in": r.case.expect_model_in,
                        "route": r.route,
                        "model": r.model,
                        "latency_ms": round(r.latency_ms, 1),
                        "passed": r.passed,
                        "error": r.error,
                    }
                    for r in report.results
                ],
            }
        )
    return scrub(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def render_junit(reports: Sequence[RouterTestReport]) -> str:
    """JUnit XML: one testsuite per router, one testcase per prompt (CI test tabs read it)."""
    root = ElementTree.Element("testsuites", name="routerctl routing tests")
    for report in reports:
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=f"router:{report.router}",
            tests=str(report.total),
            failures=str(sum(1 for r in report.results if not r.passed and r.error is None)),
            errors=str(report.errors),
        )
        for r in report.results:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"router:{report.router}",
                name=_xml_text(
                    f"#{r.index + 1} {_excerpt(r.case.prompt, 80)} → {r.case.expect_task}"
                ),
                time=f"{r.latency_ms / 1000:.3f}",
            )
            if r.error is not None:
                ElementTree.SubElement(case, "error", message=_xml_text(r.error))
            elif not r.passed:
                ElementTree.SubElement(case, "failure", message=_xml_text(r.failure()))
    ElementTree.indent(root)
    # And scrubbed again whole: the names and attributes built above are not all from _xml_text.
    return scrub(ElementTree.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"
