"""`routerctl fmt` and routerctl.fmt: canonical form, comments kept, idempotence, refusals,
and a round trip of every router file the project ships."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from routerctl.cli import cli
from routerctl.errors import SpecError
from routerctl.fmt import TOP_LEVEL_ORDER, format_paths, format_text
from routerctl.models import RouterSpec
from routerctl.spec import parse_document

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(
    [
        *ROOT.glob("routers/*.y*ml"),
        *ROOT.glob("environments/**/*.y*ml"),
        *ROOT.glob("tests/golden/**/desired/*.y*ml"),
    ]
)

CANONICAL = """\
# yaml-language-server: $schema=../schema/router.schema.json
name: triage
description: Support ticket triage.
tasks:
  classify:
    description: Categorize short support messages.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
    prefer: cheapest
fallback_models: [llama3.3-70b-instruct]
"""


def fmt(text: str) -> str:
    return format_text(text, "routers/x.yaml")


def data(text: str) -> object:
    return parse_document(text.encode(), "x", required_mapping=False).data


def comments(text: str) -> list[str]:
    """Comment texts, for files without `#` inside quoted strings (all the shipped ones)."""
    return sorted(m.group(1) for m in re.finditer(r"(?:^|\s)(#.*)$", text, flags=re.M))


# --- canonical form ----------------------------------------------------------------------------


def test_format_text_canonical_file_is_unchanged():
    assert fmt(CANONICAL) == CANONICAL


def test_format_text_orders_top_level_keys_and_task_bodies():
    text = """\
fallback_models: [llama3.3-70b-instruct]
tests:
  - prompt: Why was I charged twice?
    expect_task: classify
protect: true
tasks:
  classify:
    prefer: cheapest
    models: [openai-gpt-5-nano]
    description: Categorize short support messages.
presets:
  summarization:
    prefer: fastest
    models: [openai-gpt-oss-120b]
renamed_from: [old-triage]
description: Support ticket triage.
name: triage
"""
    assert (
        fmt(text)
        == """\
name: triage
description: Support ticket triage.
tasks:
  classify:
    description: Categorize short support messages.
    models: [openai-gpt-5-nano]
    prefer: cheapest
presets:
  summarization:
    models: [openai-gpt-oss-120b]
    prefer: fastest
fallback_models: [llama3.3-70b-instruct]
renamed_from: [old-triage]
protect: true
tests:
  - prompt: Why was I charged twice?
    expect_task: classify
"""
    )


def test_format_text_keeps_unknown_keys_last_in_their_order():
    text = "zebra: 1\nname: a\nalpha: 2\nfallback_models: [m]\n"
    assert fmt(text) == "name: a\nfallback_models: [m]\nzebra: 1\nalpha: 2\n"


def test_format_text_keeps_task_order_and_unknown_task_keys_last():
    text = """\
name: a
tasks:
  second:
    extra: x
    models: [m]
    description: Second.
  first:
    description: First.
    models: [m]
fallback_models: [m]
"""
    assert (
        fmt(text)
        == """\
name: a
tasks:
  second:
    description: Second.
    models: [m]
    extra: x
  first:
    description: First.
    models: [m]
fallback_models: [m]
"""
    )


def test_format_text_reorders_flow_style_task_bodies_and_keeps_them_flow():
    text = (
        "name: a\ntasks:\n  t: {models: [m], prefer: none, description: D.}\nfallback_models: [m]\n"
    )
    assert fmt(text) == (
        "name: a\ntasks:\n  t: {description: D., models: [m], prefer: none}\nfallback_models: [m]\n"
    )


def test_format_text_reindents_to_two_spaces_with_items_under_their_key():
    text = """\
name: a
tasks:
    t:
        description: D.
        models:
        - m1
        - m2
fallback_models:
- m1
tests:
-   prompt: hi
    expect_task: t
"""
    assert (
        fmt(text)
        == """\
name: a
tasks:
  t:
    description: D.
    models:
      - m1
      - m2
fallback_models:
  - m1
tests:
  - prompt: hi
    expect_task: t
"""
    )


def test_format_text_keeps_flow_lists_flow_and_block_lists_block():
    text = "name: a\nfallback_models: [m1, m2]\nrenamed_from:\n  - old\n"
    assert fmt(text) == text


def test_format_text_keeps_folded_and_literal_text_as_written():
    text = """\
name: a
description: >-
  Decide whether a request could be an email or
  needs a meeting.
tasks:
  t:
    description: |
      Line one.
        # indented, and not a comment
      Line three.
    models: [m]
fallback_models: [m]
"""
    assert fmt(text) == text


def test_format_text_keeps_long_lines_and_quoting():
    long = "word " * 40
    text = f"name: a\ndescription: {long.strip()}\nfallback_models: ['m', \"n\"]\n"
    assert fmt(text) == text


def test_format_text_adds_the_final_newline_and_collapses_blank_lines():
    text = "\n\nname: a\n\n\n\nfallback_models: [m]\n\n\n"
    assert fmt(text) == "name: a\n\nfallback_models: [m]\n"
    assert fmt("name: a\nfallback_models: [m]") == "name: a\nfallback_models: [m]\n"


def test_format_text_normalises_crlf_and_byte_order_mark():
    assert fmt("\ufeffname: a\r\nfallback_models: [m]\r\n") == "name: a\nfallback_models: [m]\n"


def test_format_text_keeps_an_explicit_document_start():
    text = "# header\n---\nname: a\nfallback_models: [m]\n"
    assert fmt(text) == text


def test_format_text_handles_a_tests_file_that_is_a_list():
    text = "- prompt: hi\n  expect_task: t\n-   prompt: bye\n    expect_task: fallback\n"
    assert fmt(text) == "- prompt: hi\n  expect_task: t\n- prompt: bye\n  expect_task: fallback\n"


# --- comments ------------------------------------------------------------------------------


def test_format_text_keeps_inline_and_full_line_comments():
    text = """\
# yaml-language-server: $schema=../schema/router.schema.json
# The file's own comment.
name: a   # the handle
tasks:
  # the only task
  t:
    description: D.
    models: [m1, m2]      # ranked
    prefer: none          # listed order
fallback_models: [m]
# trailing comment
"""
    assert fmt(text) == text


def test_format_text_moves_comments_with_the_key_they_precede():
    text = """\
# yaml-language-server: $schema=../schema/router.schema.json
fallback_models: [m]   # last resort
# Why this router exists.
name: a
tasks:
  t:
    # ranked by hand
    models: [m1, m2]
    description: D.
"""
    assert (
        fmt(text)
        == """\
# yaml-language-server: $schema=../schema/router.schema.json
# Why this router exists.
name: a
tasks:
  t:
    description: D.
    # ranked by hand
    models: [m1, m2]
fallback_models: [m]   # last resort
"""
    )


def test_format_text_keeps_the_schema_header_first_when_the_first_key_moves():
    header = "# yaml-language-server: $schema=../schema/router.schema.json"
    out = fmt(f"{header}\nfallback_models: [m]\nname: a\n")
    assert out.splitlines()[0] == header
    assert out.splitlines()[1:] == ["name: a", "fallback_models: [m]"]


def test_format_text_indents_full_line_comments_like_the_line_they_precede():
    text = """\
name: a
tasks:
    # about t
    t:
        description: D.
# about the pool
        models: [m]
fallback_models: [m]
"""
    assert (
        fmt(text)
        == """\
name: a
tasks:
  # about t
  t:
    description: D.
    # about the pool
    models: [m]
fallback_models: [m]
"""
    )


def test_format_text_does_not_treat_hashes_in_strings_as_comments():
    text = """\
name: a
description: "issue #12: see 'notes' # not a comment"
tasks:
  t:
    description: 'it''s # not a comment either'
    models: [m]
fallback_models: [m]   # a comment
"""
    assert fmt(text) == text


def test_format_text_refuses_to_drop_a_comment_inside_a_multiline_flow_list():
    text = "name: a\nfallback_models: [\n  m1,   # primary\n  m2,\n]\n"
    with pytest.raises(SpecError) as caught:
        fmt(text)
    assert caught.value.issues[0].format() == (
        "routers/x.yaml:3:1: fmt would lose the comment '# primary' (comments inside a flow "
        "list or mapping that spans lines cannot be kept); move it onto its own line"
    )


# --- idempotence and round trips -------------------------------------------------------------

TRICKY = {
    "shuffled": "tasks:\n  t: {models: [m], description: D.}\nfallback_models: [m]\nname: a\n",
    "anchors": (
        "name: a\ntasks:\n  t1: &pool\n    models: [m]\n    description: D.\n"
        "presets:\n  summarization: {models: [m]}\nfallback_models: [m]\n"
    ),
    "keep_chomping": "name: a\ndescription: |+\n  text\n\nfallback_models: [m]\n",
    "four_spaces": (
        "name: a\ntasks:\n    t:\n        models:\n        - m\n        description: D.\n"
    ),
    "comments_everywhere": ("# h\n\n# about b\nb: 1 # eol\n  # deeper\nname: a # n\n\n\n# end\n"),
    "multiline_plain": "name: a\ndescription: one\n  two\n  three\nfallback_models: [m]\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_format_text_is_idempotent_and_keeps_values(name):
    text = TRICKY[name]
    once = fmt(text)
    assert fmt(once) == once
    assert data(once) == data(text)
    assert comments(once) == comments(text)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_files_round_trip(path):
    text = path.read_text(encoding="utf-8")
    once = format_text(text, str(path))
    assert format_text(once, str(path)) == once
    assert data(once) == data(text)
    assert comments(once) == comments(text)
    if "name" in data(text):  # a router file (not a tests file or an overlay)
        before = RouterSpec.model_validate(data(text), strict=False)
        after = RouterSpec.model_validate(data(once), strict=False)
        assert after.state() == before.state()
        assert after.model_dump() == before.model_dump()


def test_shipped_router_files_are_already_canonical():
    for path in ROOT.glob("routers/*.y*ml"):
        text = path.read_text(encoding="utf-8")
        assert format_text(text, str(path)) == text, path


def test_format_text_reports_invalid_yaml_with_its_location():
    with pytest.raises(SpecError) as caught:
        fmt("name: a\ntasks: [unclosed\n")
    (issue,) = caught.value.issues
    assert (issue.path, issue.code) == ("routers/x.yaml", "yaml-syntax")


def test_format_text_refuses_duplicate_keys():
    with pytest.raises(SpecError) as caught:
        fmt("name: a\nname: b\nfallback_models: [m]\n")
    assert caught.value.issues[0].format() == (
        "routers/x.yaml:2:1: name: duplicate key 'name' (first defined on line 1); "
        "YAML would silently keep only the last one"
    )


# --- files -----------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_format_paths_check_writes_nothing(tmp_path):
    messy = write(tmp_path / "routers" / "a.yaml", "fallback_models: [m]\nname: a\n")
    clean = write(tmp_path / "routers" / "b.yaml", "name: b\nfallback_models: [m]\n")
    result = format_paths([tmp_path / "routers"], check=True)
    assert result.changed == [str(messy)]
    assert result.unchanged == [str(clean)]
    assert not result.written
    assert messy.read_text() == "fallback_models: [m]\nname: a\n"


def test_format_paths_writes_atomically_and_keeps_permissions(tmp_path):
    path = write(tmp_path / "routers" / "a.yaml", "fallback_models: [m]\nname: a\n")
    path.chmod(0o640)
    result = format_paths([path], check=False)
    assert result.changed == [str(path)]
    assert path.read_text() == "name: a\nfallback_models: [m]\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(path.parent)) == ["a.yaml"]  # no temporary file left behind


def test_format_paths_writes_nothing_when_any_file_is_invalid(tmp_path):
    messy = write(tmp_path / "routers" / "a.yaml", "fallback_models: [m]\nname: a\n")
    write(tmp_path / "routers" / "b.yaml", "name: b\nname: c\n")
    with pytest.raises(SpecError):
        format_paths([tmp_path / "routers"], check=False)
    assert messy.read_text() == "fallback_models: [m]\nname: a\n"


def test_format_paths_includes_tests_files(tmp_path):
    write(tmp_path / "routers" / "a.yaml", "name: a\nfallback_models: [m]\n")
    tests = write(
        tmp_path / "routers" / "a.tests.yaml", "tests:\n- prompt: hi\n  expect_task: fallback\n"
    )
    format_paths([tmp_path / "routers"], check=False)
    assert tests.read_text() == "tests:\n  - prompt: hi\n    expect_task: fallback\n"


# --- the command -----------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "routers" / "a.yaml", "fallback_models: [m]\nname: a\n")
    write(tmp_path / "routers" / "b.yaml", "name: b\nfallback_models: [m]\n")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["fmt", *args])


def test_fmt_check_lists_files_to_reformat_and_exits_1(project):
    result = run("--check")
    assert (result.exit_code, result.stdout) == (1, "routers/a.yaml\n")
    assert result.stderr == "1 file of 2 would be reformatted.\n"
    assert (project / "routers" / "a.yaml").read_text() == "fallback_models: [m]\nname: a\n"


def test_fmt_rewrites_in_place_then_check_passes(project):
    result = run()
    assert (result.exit_code, result.stdout) == (0, "routers/a.yaml\n")
    assert result.stderr == "1 file of 2 reformatted.\n"
    assert (project / "routers" / "a.yaml").read_text() == "name: a\nfallback_models: [m]\n"
    again = run("--check")
    assert (again.exit_code, again.stdout) == (0, "")
    assert again.stderr == "0 files of 2 would be reformatted.\n"


def test_fmt_diff_prints_a_unified_diff_and_writes_nothing(project):
    result = run("--diff")
    assert result.exit_code == 1
    assert result.stdout == (
        "--- routers/a.yaml (current)\n"
        "+++ routers/a.yaml (formatted)\n"
        "@@ -1,2 +1,2 @@\n"
        "+name: a\n"
        " fallback_models: [m]\n"
        "-name: a\n"
    )
    assert (project / "routers" / "a.yaml").read_text() == "fallback_models: [m]\nname: a\n"


def test_fmt_takes_paths(project):
    result = run("--check", "routers/b.yaml")
    assert (result.exit_code, result.stdout) == (0, "")


def test_fmt_invalid_yaml_is_a_one_line_error_and_exit_1(project):
    write(project / "routers" / "c.yaml", "name: c\ntasks: [unclosed\n")
    result = run()
    assert result.exit_code == 1
    assert result.stdout == ""
    first, summary = result.stderr.splitlines()
    assert first.startswith("routers/c.yaml:3:1: invalid YAML: ")
    assert summary == "routerctl: 1 error, 0 warnings"
    assert (project / "routers" / "a.yaml").read_text() == "fallback_models: [m]\nname: a\n"


def test_fmt_unknown_flag_is_a_usage_error(project):
    assert run("--chek").exit_code == 64


def test_fmt_with_env_also_formats_the_overlays(project):
    write(
        project / "routerctl.yaml",
        "environments:\n  staging:\n    name_suffix: -staging\n    overlays: env/staging\n",
    )
    overlay = write(project / "env" / "staging" / "a.yaml", "tasks:\n    t:\n        models: [m]\n")
    result = run("--env", "staging")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["env/staging/a.yaml", "routers/a.yaml"]
    assert overlay.read_text() == "tasks:\n  t:\n    models: [m]\n"


# --- any router-shaped document --------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    | st.sampled_from(list("#:'\"-[]{} \n\t|>&*!%@`")),
    max_size=30,
)
_body = st.fixed_dictionaries(
    {"description": _text, "models": st.lists(_text, min_size=1, max_size=3)},
    optional={"prefer": st.sampled_from(["none", "cheapest", "fastest"]), "extra": _text},
)
_router = st.fixed_dictionaries(
    {"name": _text, "fallback_models": st.lists(_text, min_size=1, max_size=3)},
    optional={
        "description": _text,
        "tasks": st.dictionaries(_text, _body, max_size=3),
        "presets": st.dictionaries(_text, _body, max_size=2),
        "protect": st.booleans(),
        "unknown": _text,
    },
)


@settings(max_examples=60, deadline=None)
@given(
    router=_router,
    order=st.randoms(use_true_random=False),
    indent=st.sampled_from([2, 3, 4]),
    flow=st.sampled_from([False, None]),
    width=st.sampled_from([40, 100, 1000]),
)
def test_format_text_on_any_router_shaped_document(router, order, indent, flow, width):
    def shuffled(mapping):
        items = list(mapping.items())
        order.shuffle(items)
        return {k: shuffled(v) if isinstance(v, dict) else v for k, v in items}

    text = yaml.safe_dump(
        shuffled(router), sort_keys=False, indent=indent, default_flow_style=flow, width=width
    )
    once = fmt(text)
    assert fmt(once) == once
    assert data(once) == data(text)
    keys = list(yaml.safe_load(once))
    assert keys == sorted(
        keys, key=lambda k: TOP_LEVEL_ORDER.index(k) if k in TOP_LEVEL_ORDER else 99
    )


def test_fmt_diff_marks_a_missing_final_newline(project):
    (project / "routers" / "b.yaml").write_text("name: b\nfallback_models: [m]", encoding="utf-8")
    result = run("--diff", "routers/b.yaml")
    assert result.stdout == (
        "--- routers/b.yaml (current)\n"
        "+++ routers/b.yaml (formatted)\n"
        "@@ -1,2 +1,2 @@\n"
        " name: b\n"
        "-fallback_models: [m]\n"
        "\\ No newline at end of file\n"
        "+fallback_models: [m]\n"
    )
