"""The nesting-depth check wins on every PyYAML >= 6.0.

PyYAML 6.0.4's bundled libyaml refuses more than 1,000 levels with its own message ("exceeded
maximum nesting depth"), raised by its scanner, which for flow collections looks that far ahead
before the parser yields a single event; 6.0.3 has no limit and its C composer overflows the
stack near 20,000 levels. routerctl counts depth on the event stream before composing, so its
own message, at the line and column of the deep value, is what a person sees on either. The
tests below run against the installed PyYAML, and simulate the other release's behaviour.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from routerctl.errors import Issue, SpecError
from routerctl.spec import MAX_DEPTH, parse_document
from routerctl.spec import document as spec_document  # where the reader (and its yaml) lives

TOO_DEEP = "values are nested more than 32 levels deep; a router file needs 4"
ROUTERCTL = Path(sys.executable).parent / "routerctl"


def parse_error(raw: bytes) -> Issue:
    with pytest.raises(SpecError) as caught:
        parse_document(raw, "r.yaml")
    (issue,) = caught.value.issues
    return issue


def flow(levels: int) -> bytes:
    return b"a: " + b"[" * levels + b"]" * levels + b"\n"


def block(levels: int) -> bytes:
    return b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(levels)) + b"  " * levels + b"x\n"


def mapping(levels: int) -> bytes:
    return b"".join(b"  " * i + b"k%d:\n" % i for i in range(levels)) + b"  " * levels + b"x\n"


# Where routerctl reports each shape: line and column of the 33rd open collection. (The event
# stream gives no path; line:col is where to look.)
SHAPES = {
    "flow": (flow, (1, 4 + MAX_DEPTH - 1)),
    "block": (block, (MAX_DEPTH + 1, 2 * MAX_DEPTH - 1)),
    "mapping": (mapping, (MAX_DEPTH + 1, 2 * MAX_DEPTH + 1)),
}


def test_validate_reports_routerctl_depth_message_from_the_installed_cli(tmp_path: Path):
    # 2,000 levels: past 6.0.4's limit of 1,000, in a file short enough that nothing else trips.
    (tmp_path / "routers").mkdir()
    (tmp_path / "routers" / "deep.yaml").write_bytes(flow(2000))
    result = subprocess.run(
        [str(ROUTERCTL), "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == f"routers/deep.yaml:1:35: {TOO_DEEP}"
    assert "nesting depth" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# Past 6.0.4's limit of 1,000 and below it; indented shapes past ~1,020 levels exceed 1 MiB.
CASES = [(shape, n) for shape in sorted(SHAPES) for n in (MAX_DEPTH + 1, 999, 1001)]


@pytest.mark.parametrize(("shape", "levels"), [*CASES, ("flow", 5000), ("flow", 300_000)])
def test_deep_documents_get_routerctl_message_on_the_installed_pyyaml(shape: str, levels: int):
    make, where = SHAPES[shape]
    issue = parse_error(make(levels))
    assert (issue.line, issue.col, issue.message) == (*where, TOO_DEEP)
    assert issue.code == "too-deep"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_max_depth_itself_is_accepted_and_one_more_is_not(shape: str):
    make, _ = SHAPES[shape]
    # MAX_DEPTH collections in all, the shape's outer mapping included.
    levels = MAX_DEPTH if shape == "mapping" else MAX_DEPTH - 1
    assert isinstance(parse_document(make(levels), "r.yaml").data, dict)
    assert parse_error(make(levels + 1)).code == "too-deep"


def test_depth_reached_through_an_alias_is_caught_when_expanded():
    # Aliases add depth only once expanded, so the event stream passes this one and the
    # builder refuses it, at the alias's place and path.
    anchored = b"x: &x " + b"[" * 31 + b"]" * 31 + b"\ny: [*x]\n"
    issue = parse_error(anchored)
    assert (issue.line, issue.location, issue.message) == (1, "y[0]" + "[0]" * 30, TOO_DEEP)
    assert parse_document(b"x: &x " + b"[" * 30 + b"]" * 30 + b"\ny: [*x]\n", "r.yaml").data


# --- the other PyYAML release's behaviour, simulated -------------------------------------------


def nesting_error(text: str, index: int, kind: type[yaml.MarkedYAMLError]) -> Any:
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    mark = yaml.Mark("<unicode string>", index, line, column, None, None)
    return kind("while increasing flow level", mark, "exceeded maximum nesting depth", mark)


def test_a_composer_that_refuses_deep_documents_is_never_reached(monkeypatch):
    # As if PyYAML's composer had its own limit, below any depth the scanner checks.
    composed: list[str] = []

    def refusing_compose(text: str, Loader: Any) -> Any:
        composed.append(text)
        raise nesting_error(text, len(text) // 2, yaml.composer.ComposerError)

    monkeypatch.setattr(spec_document.yaml, "compose", refusing_compose)
    for make in (flow, block, mapping):
        issue = parse_error(make(40))
        assert (issue.message, issue.code) == (TOO_DEEP, "too-deep")
    assert composed == []


def test_libyaml_scanner_limit_falls_back_to_the_python_parser(monkeypatch):
    # 6.0.4's C scanner on `[[[…` past 1,000 levels: one event, then its own error. Simulated so
    # that this runs on 6.0.3 too (where the real one never raises).
    real_parse = yaml.parse
    calls: list[str] = []

    def limited_parse(text: str, Loader: Any) -> Iterator[yaml.Event]:
        calls.append(Loader.__name__)
        if Loader is not spec_document._Loader:
            yield from real_parse(text, Loader=Loader)
            return
        events = real_parse(text, Loader=Loader)
        yield next(iter(events))
        raise nesting_error(text, 3 + 1001, yaml.scanner.ScannerError)

    monkeypatch.setattr(spec_document.yaml, "parse", limited_parse)
    issue = parse_error(flow(5000))
    assert (issue.line, issue.col, issue.message) == (*SHAPES["flow"][1], TOO_DEEP)
    assert calls == [spec_document._Loader.__name__, "SafeLoader"]


def test_other_yaml_errors_still_get_the_parsers_message():
    issue = parse_error(b"a: [b\nc: d\n")
    assert issue.code == "yaml-syntax"
    assert issue.message.startswith("invalid YAML: ")
