"""Renderers for cost estimates: text for terminals, JSON for scripts, markdown for PR comments.

Pure functions from `routerctl.cost` results to strings; no I/O. Money is shown in USD: monthly
figures to the cent (`$518.10/month`), per-call costs to the millionth of a dollar
(`$0.000031`), with more digits only when a call costs less than that.

JSON (`render_cost_json`), `format_version` 1::

    {
      "format_version": 1,
      "currency": "USD",
      "monthly": 518.1,                 # all routers, priced rows only
      "complete": true,                 # false: some row has no price, `monthly` is a floor
      "warnings": ["..."],
      "routers": [{
        "router": "triage-router",
        "label": "routing policy",
        "requests_per_month": 100000,
        "price_source": "shipped price file (...)", "price_as_of": "2026-06-30",
        "monthly": 518.1, "complete": true, "per_request": 0.005181,
        "range_monthly": [203.8, 537.1],          # or null
        "rows": [{
          "task": "classify_ticket", "kind": "task|preset|fallback",
          "policy": "cheapest|fastest|none|fallback|compare",
          "model": "openai-gpt-5-nano", "assumption": "cheapest: lowest price in pool ...",
          "share": 1.0, "input_tokens": 300.0, "output_tokens": 40.0,
          "per_call": 3.1e-05, "per_request": 3.1e-05, "monthly": 3.1,   # null: unpriced
          "range_per_call": [min, max], "range_monthly": [min, max],      # or null
          "pool": [{"model": "...", "per_call": 3.1e-05}],
          "unpriced": ["model-id"], "price_source": "..."
        }],
        "unpriced": [{"model": "...", "reason": "...", "rows": ["task"], "chosen": true}],
        "warnings": ["..."],
        "comparisons": [{same keys as a router, "label": "every task on X", "model": "X",
                         "router_minus_this": -1256.9}]
      }]
    }

Money values are JSON numbers (USD); null means "no price", never 0.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from routerctl.cost import CostDelta, RouterCost, RouterReport, TaskCost, cost_delta_dict
from routerctl.redact import inert, md_code

__all__ = [
    "FORMAT_VERSION",
    "cost_delta_dict",
    "format_cost_delta",
    "format_cost_row",
    "format_money",
    "format_per_call",
    "render_cost_json",
    "render_cost_markdown",
    "render_cost_text",
]

FORMAT_VERSION = 1
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")

_BOLD, _YELLOW, _GREEN, _RED, _RESET = "\x1b[1m", "\x1b[33m", "\x1b[32m", "\x1b[31m", "\x1b[0m"


# --- money ---------------------------------------------------------------------------------


def format_money(amount: Decimal, *, sign: bool = False) -> str:
    """`$1,775.00`; with `sign`, `+$94.30` / `-$94.30`."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    prefix = "-" if cents < 0 else ("+" if sign else "")
    return f"{prefix}${abs(cents):,.2f}"


def format_per_call(amount: Decimal) -> str:
    """`$0.000031`: six decimals, or three significant digits for anything smaller."""
    micros = amount.quantize(MICRO, rounding=ROUND_HALF_UP)
    if micros == 0 and amount != 0:
        # A sub-micro-dollar call still costs something; printing $0.000000 would read as free.
        return f"${float(amount):.3g}"
    return f"${micros:.6f}"


def _monthly(amount: Decimal | None) -> str:
    return "unknown" if amount is None else format_money(amount)


def _range(bounds: tuple[Decimal, Decimal] | None, fmt: Any = format_money) -> str:
    if bounds is None:
        return ""
    return f"{fmt(bounds[0])}–{fmt(bounds[1])}"


def _share(share: Decimal) -> str:
    percent = (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).normalize()
    return f"{percent:f}%"


def _total_text(cost: RouterCost) -> str:
    total = f"{format_money(cost.monthly)}/month"
    if cost.complete:
        return total
    missing = sum(1 for r in cost.rows if r.monthly is None)
    return f"at least {total}, {missing} row{'s' if missing > 1 else ''} unpriced"


def _versus(router: RouterCost, other: RouterCost) -> tuple[str, Decimal | None]:
    """How the router compares with a baseline, in words, and router - baseline."""
    if not (router.complete and other.complete):
        return "not comparable (unpriced rows)", None
    diff = router.monthly - other.monthly
    if other.monthly == 0:
        return ("same" if diff == 0 else f"router costs {format_money(diff)} more"), diff
    percent = (abs(diff) / other.monthly * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if diff < 0:
        return f"router saves {format_money(-diff)} ({percent}%)", diff
    if diff > 0:
        return f"router costs {format_money(diff)} more (+{percent}%)", diff
    return "same", diff


def _price_lines(reports: Sequence[RouterReport]) -> list[str]:
    seen: list[str] = []
    for report in reports:
        source = report.estimate.price_source
        if source and source not in seen:
            seen.append(source)
    return seen


# --- text ----------------------------------------------------------------------------------


def render_cost_text(
    reports: Sequence[RouterReport],
    *,
    warnings: Sequence[str] = (),
    color: bool = False,
) -> str:
    """The terminal table: per router, per task, then comparisons, assumptions, problems."""

    def paint(text: str, code: str) -> str:
        # Data is made inert before the colour goes on: routerctl's codes stay the only ones.
        text = inert(text)
        return f"{code}{text}{_RESET}" if color and text else text

    out: list[str] = []
    for source in _price_lines(reports):
        out.append(f"Prices: {inert(source)}")
    if out:
        out.append("")
    for report in reports:
        est = report.estimate
        facts = [f"{_count(est.requests_per_month)} requests/month"]
        if est.range_monthly is not None:
            facts.insert(0, f"range {_range(est.range_monthly)}")
        header = f"{est.router}: {_total_text(est)} ({', '.join(facts)})"
        out.append(paint(header, _BOLD))
        out.extend(_text_table(est))
        if report.comparisons:
            out.append("  compared with:")
            width = max(len(c.label) for c in report.comparisons)
            for other in report.comparisons:
                words, diff = _versus(est, other)
                code = _GREEN if diff is not None and diff < 0 else _RED if diff else ""
                label = inert(other.label.ljust(width))
                out.append(f"    {label}  {_total_text(other)}  {paint(words, code)}")
        out.append("  assumptions:")
        for row in est.rows:
            out.append(f"    {inert(row.key)}: {inert(row.assumption)}")
        problems = _problems(report)
        if problems:
            out.append(paint("  unpriced (not costed, never counted as $0):", _YELLOW))
            out.extend(f"    {inert(line)}" for line in problems)
        for warning in _report_warnings(report):
            out.append(paint(f"  warning: {warning}", _YELLOW))
        out.append("")
    if len(reports) > 1:
        total = sum((r.estimate.monthly for r in reports), Decimal(0))
        complete = all(r.estimate.complete for r in reports)
        line = f"all routers: {format_money(total)}/month"
        out.append(paint(line if complete else f"{line} (at least; some rows unpriced)", _BOLD))
        out.append("")
    for warning in warnings:
        out.append(paint(f"warning: {warning}", _YELLOW))
    if not reports and not warnings:
        out.append("No routers to cost: the traffic profile covers none of the router files.")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _text_table(cost: RouterCost) -> list[str]:
    head = ("task", "policy", "model", "share", "per call", "monthly", "range/month")
    rows: list[tuple[str, ...]] = [head]
    for row in cost.rows:
        rows.append(
            (
                row.key,
                row.policy,
                row.model or "-",
                _share(row.share),
                "unknown" if row.per_call is None else format_per_call(row.per_call),
                _monthly(row.monthly),
                _range(row.range_monthly),
            )
        )
    rows.append(
        (
            "total (per request)",
            "",
            "",
            "",
            format_per_call(cost.per_request),
            format_money(cost.monthly),
            _range(cost.range_monthly),
        )
    )
    rows = [tuple(inert(cell) for cell in r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    right = {3, 4, 5}  # numbers line up on the right
    lines = []
    for r in rows:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _problems(report: RouterReport) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for cost in (report.estimate, *report.comparisons):
        for item in cost.unpriced:
            if item.model in seen:
                continue
            seen.add(item.model)
            where = ", ".join(item.rows)
            role = "chosen for" if item.chosen else "in the pool of"
            lines.append(f"{item.model}: {item.reason} ({role} {where})")
    return lines


def _report_warnings(report: RouterReport) -> list[str]:
    return list(dict.fromkeys(report.estimate.warnings))


def _count(value: Decimal) -> str:
    return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,}"


# --- JSON ----------------------------------------------------------------------------------


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _count_json(value: Decimal) -> int | float:
    """Requests, shares and tokens as the user wrote them: 100000, not 100000.0."""
    return int(value) if value == value.to_integral_value() else float(value)


def _pair(bounds: tuple[Decimal, Decimal] | None) -> list[float] | None:
    return None if bounds is None else [float(bounds[0]), float(bounds[1])]


def _row_dict(row: TaskCost) -> dict[str, Any]:
    return {
        "task": row.key,
        "kind": row.kind,
        "policy": row.policy,
        "model": row.model,
        "assumption": row.assumption,
        "share": _count_json(row.share),
        "input_tokens": _count_json(row.input_tokens),
        "output_tokens": _count_json(row.output_tokens),
        "per_call": _num(row.per_call),
        "per_request": _num(row.per_request),
        "monthly": _num(row.monthly),
        "range_per_call": _pair(row.range_per_call),
        "range_monthly": _pair(row.range_monthly),
        "pool": [{"model": o.model, "per_call": _num(o.per_call)} for o in row.pool],
        "unpriced": list(row.unpriced),
        "price_source": row.price_source,
    }


def _cost_dict(cost: RouterCost) -> dict[str, Any]:
    return {
        "router": cost.router,
        "label": cost.label,
        "requests_per_month": _count_json(cost.requests_per_month),
        "price_source": cost.price_source,
        "price_as_of": cost.price_as_of,
        "monthly": float(cost.monthly),
        "complete": cost.complete,
        "per_request": float(cost.per_request),
        "range_monthly": _pair(cost.range_monthly),
        "rows": [_row_dict(r) for r in cost.rows],
        "unpriced": [
            {"model": u.model, "reason": u.reason, "rows": list(u.rows), "chosen": u.chosen}
            for u in cost.unpriced
        ],
        "warnings": list(cost.warnings),
    }


def render_cost_json(reports: Sequence[RouterReport], *, warnings: Sequence[str] = ()) -> str:
    """The JSON document described in this module's docstring (format_version 1)."""
    routers = []
    for report in reports:
        entry = _cost_dict(report.estimate)
        comparisons = []
        for other in report.comparisons:
            item = _cost_dict(other)
            item["model"] = other.compare_model
            item["router_minus_this"] = _num(_versus(report.estimate, other)[1])
            comparisons.append(item)
        entry["comparisons"] = comparisons
        routers.append(entry)
    document = {
        "format_version": FORMAT_VERSION,
        "currency": "USD",
        "monthly": float(sum((r.estimate.monthly for r in reports), Decimal(0))),
        "complete": all(r.estimate.complete for r in reports),
        "warnings": list(warnings),
        "routers": routers,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- markdown ------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Table-cell safe: a pipe would end the cell, a newline the row; no HTML, no code span,
    no control character from a file or the catalog."""
    text = html.escape(inert(text.replace("\n", " ")), quote=False)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


def _code(text: str) -> str:
    return md_code(text.replace("|", "\\|"))  # a table cell: the fence outgrows any ` run


def render_cost_markdown(reports: Sequence[RouterReport], *, warnings: Sequence[str] = ()) -> str:
    """Markdown for a pull-request comment: one section and table per router."""
    out: list[str] = []
    for report in reports:
        est = report.estimate
        out.append(f"### {_code(est.router)}: {_total_text(est)}")
        out.append("")
        facts = [f"{_count(est.requests_per_month)} requests/month"]
        if est.range_monthly is not None:
            facts.append(f"range {_range(est.range_monthly)}/month")
        if est.price_source:
            facts.append(f"prices: {_md(est.price_source)}")
        out.append(" · ".join(facts))
        out.append("")
        out.append("| Task | Policy | Model | Share | Per call | Monthly | Range (monthly) |")
        out.append("|---|---|---|---:|---:|---:|---:|")
        for row in est.rows:
            per_call = "unknown" if row.per_call is None else format_per_call(row.per_call)
            cells = (
                _code(row.key),
                row.policy,
                _code(row.model) if row.model else "—",
                _share(row.share),
                per_call,
                _monthly(row.monthly),
                _range(row.range_monthly),
            )
            out.append("| " + " | ".join(cells) + " |")
        out.append(
            f"| **Total** | | | | {format_per_call(est.per_request)} | "
            f"**{format_money(est.monthly)}** | {_range(est.range_monthly)} |"
        )
        out.append("")
        if report.comparisons:
            out.append("| Strategy | Monthly | Router vs this |")
            out.append("|---|---:|---|")
            out.append(f"| Router ({est.label}) | {_total_text(est)} | |")
            for other in report.comparisons:
                words, _ = _versus(est, other)
                label = _md(other.label)
                if other.compare_model:
                    label = label.replace(_md(other.compare_model), _code(other.compare_model))
                out.append(f"| {label[0].upper()}{label[1:]} | {_total_text(other)} | {words} |")
            out.append("")
        out.append("Assumptions:")
        out.extend(f"- {_code(row.key)}: {_md(row.assumption)}" for row in est.rows)
        out.append("")
        problems = _problems(report)
        if problems:
            out.append("Unpriced (not costed, never counted as $0):")
            out.extend(f"- {_md(line)}" for line in problems)
            out.append("")
        for warning in _report_warnings(report):
            out.append(f"> warning: {_md(warning)}")
        if _report_warnings(report):
            out.append("")
    if len(reports) > 1:
        total = sum((r.estimate.monthly for r in reports), Decimal(0))
        out.append(f"**All routers: {format_money(total)}/month**")
        out.append("")
    for warning in warnings:
        out.append(f"> warning: {_md(warning)}")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


# --- plans: before -> after ----------------------------------------------------------------


def format_cost_delta(delta: CostDelta) -> str:
    """One line for a plan: `$518.10/month → $612.40/month (+$94.30/month)`."""
    before = "new router" if delta.before is None else _total_text(delta.before)
    after = "deleted" if delta.after is None else _total_text(delta.after)
    change = delta.delta
    if change is None:
        unpriced = sorted(
            {u.model for side in (delta.before, delta.after) if side for u in side.unpriced}
        )
        return f"{before} → {after} (change unknown: unpriced {', '.join(unpriced)})"
    if delta.before is not None and delta.after is not None and change == 0:
        return f"{after} (no change)"
    return f"{before} → {after} ({format_money(change, sign=True)}/month)"


def format_cost_row(row: dict[str, Any]) -> str:
    """The same line as `format_cost_delta`, from a plan's cost row (numbers only, as stored
    in plan JSON): plans carry data, and the words are made here."""

    def side(monthly: float | None, unpriced_rows: int, gone: str) -> str:
        if monthly is None:
            return gone
        total = f"{format_money(Decimal(repr(monthly)))}/month"
        if not unpriced_rows:
            return total
        return f"at least {total}, {unpriced_rows} row{'s' if unpriced_rows > 1 else ''} unpriced"

    before = side(
        row.get("before_monthly"), int(row.get("before_unpriced_rows") or 0), "new router"
    )
    after = side(row.get("after_monthly"), int(row.get("after_unpriced_rows") or 0), "deleted")
    change = row.get("delta_monthly")
    if change is None:
        unpriced = ", ".join(row.get("unpriced_models") or [])
        return f"{before} → {after} (change unknown: unpriced {unpriced})"
    if (
        row.get("before_monthly") is not None
        and row.get("after_monthly") is not None
        and change == 0
    ):
        return f"{after} (no change)"
    return f"{before} → {after} ({format_money(Decimal(repr(change)), sign=True)}/month)"
