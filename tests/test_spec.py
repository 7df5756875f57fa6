"""spec.py: reading YAML safely (every bad-input case gets one located message), the router
rules, cross-file checks, routing-test files, overlays, and project settings.

Files are written under tmp_path and read through relative paths, so the exact
`path:line:col: location: message` strings can be asserted.
"""

from __future__ import annotations

import difflib
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routerctl.errors import ConfigError, Issue, SpecError
from routerctl.models import ProjectSettings, matches_any
from routerctl.similarity import similarity as _similarity  # its shortcuts never change a result
from routerctl.spec import (
    MAX_FILE_BYTES,
    MAX_NODES,
    Overlay,
    collect_routers,
    deep_merge,
    dump_yaml,
    find_router_files,
    format_loc,
    load_routers,
    load_settings,
    parse_document,
    read_document,
    suggest,
)

VALID = """\
name: triage
description: Support ticket triage.
tasks:
  classify:
    description: Categorize short support messages into issue types.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
    prefer: cheapest
  reply:
    description: Write a short, professional reply to the customer.
    models: [anthropic-claude-sonnet-4.6]
presets:
  summarization:
    models: [openai-gpt-oss-120b, llama3.3-70b-instruct]
    prefer: fastest
fallback_models: [llama3.3-70b-instruct, anthropic-claude-haiku-4.5]
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(relpath: str, text: str) -> Path:
    path = Path(relpath)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def lines(
    relpath: str = "routers",
    *,
    known_presets: list[str] | None = None,
    overlay: Overlay | None = None,
) -> list[str]:
    """Every issue collect_routers finds under `relpath`, formatted."""
    result = collect_routers([relpath], known_presets=known_presets, overlay=overlay)
    return [i.format() for i in result.issues]


def parse_error(raw: bytes, *, required_mapping: bool = True) -> Issue:
    with pytest.raises(SpecError) as caught:
        parse_document(raw, "r.yaml", required_mapping=required_mapping)
    assert len(caught.value.issues) == 1
    return caught.value.issues[0]


# --- bad input: each case is one issue with a location and a stable code ---------------------


def test_parse_invalid_yaml_reports_the_parsers_line_and_column():
    issue = parse_error(b"name: a\n  bad: [\n")
    assert (
        issue.format() == "r.yaml:2:6: invalid YAML: mapping values are not allowed in this context"
    )
    assert issue.code == "yaml-syntax"


def test_parse_unclosed_flow_list_reports_where_the_parser_gave_up():
    issue = parse_error(b"name: a\nfallback_models: [m,\n")
    assert issue.format() == "r.yaml:3:1: invalid YAML: did not find expected node content"


def test_parse_tab_indentation_is_a_syntax_error():
    issue = parse_error(b"name: a\n\tfallback_models: [m]\n")
    assert issue.format() == (
        "r.yaml:2:1: invalid YAML: found a tab character that violates indentation"
    )


def test_parse_two_documents_in_one_file_is_an_error():
    issue = parse_error(b"name: a\n---\nname: b\n")
    assert issue.format() == "r.yaml:2:1: invalid YAML: but found another document"


@pytest.mark.parametrize("raw", [b"", b"\n\n", b"# only a comment\n", b"---\n"])
def test_parse_empty_file_says_what_a_router_needs(raw: bytes):
    issue = parse_error(raw)
    assert issue.format() == (
        "r.yaml:1:1: file is empty; a router file needs at least `name` and `fallback_models`"
    )
    assert issue.code == "empty"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"- a\n- b\n", "a list"),
        (b"hello\n", "a string"),
        (b"42\n", "a number (42)"),
        (b"true\n", "a boolean (true)"),
    ],
)
def test_parse_top_level_that_is_not_a_mapping_names_what_it_is(raw: bytes, kind: str):
    issue = parse_error(raw)
    assert issue.format() == (
        f"r.yaml:1:1: top level is {kind}; a router file is a mapping with `name:`, `tasks:`, "
        "`fallback_models:` …"
    )
    assert issue.code == "not-a-mapping"


def test_parse_top_level_list_is_allowed_when_a_mapping_is_not_required():
    doc = parse_document(b"- a\n- b\n", "r.yaml", required_mapping=False)
    assert doc.data == ["a", "b"]


def test_parse_duplicate_top_level_key_is_an_error_not_last_one_wins():
    issue = parse_error(b"name: a\nfallback_models: [m]\nname: b\n")
    assert issue.format() == (
        "r.yaml:3:1: name: duplicate key 'name' (first defined on line 1); "
        "YAML would silently keep only the last one"
    )
    assert issue.code == "duplicate-key"


def test_parse_duplicate_task_name_is_an_error():
    raw = b"name: a\ntasks:\n  t:\n    models: [m]\n  t:\n    models: [n]\n"
    assert parse_error(raw).format() == (
        "r.yaml:5:3: tasks.t: duplicate key 't' (first defined on line 3); "
        "YAML would silently keep only the last one"
    )


def test_parse_duplicate_key_in_flow_mapping_is_an_error():
    assert parse_error(b"a: {x: 1, x: 2}\n").format() == (
        "r.yaml:1:11: a.x: duplicate key 'x' (first defined on line 1); "
        "YAML would silently keep only the last one"
    )


def test_parse_non_utf8_bytes_report_the_byte_and_its_position():
    issue = parse_error(b"name: ok\ndescription: caf\xe9\n")
    assert issue.format() == ("r.yaml:2:17: file is not valid UTF-8 (byte 0xe9); save it as UTF-8")
    assert issue.code == "not-utf8"


def test_parse_utf16_file_is_not_utf8():
    issue = parse_error("name: a\n".encode("utf-16"))
    assert issue.format() == "r.yaml:1:1: file is not valid UTF-8 (byte 0xff); save it as UTF-8"


def test_parse_nul_bytes_are_refused_as_binary():
    assert parse_error(b"name: a\x00\n").format() == (
        "r.yaml:1:1: file contains NUL bytes; is it a binary file?"
    )


def test_parse_utf8_bom_is_accepted():
    doc = parse_document(b"\xef\xbb\xbfname: a\n", "r.yaml")
    assert doc.data == {"name": "a"}


def test_parse_file_over_one_mebibyte_is_refused_before_parsing():
    raw = b"name: a\n#" + b"x" * MAX_FILE_BYTES
    issue = parse_error(raw)
    assert issue.format() == (
        f"r.yaml:1:1: file is {len(raw):,} bytes; router files are limited to 1,048,576 bytes "
        "(split it, one router per file)"
    )
    assert issue.code == "file-too-large"


def test_parse_file_of_exactly_the_limit_is_accepted():
    head = b"name: a\n#"
    raw = head + b"x" * (MAX_FILE_BYTES - len(head))
    assert len(raw) == MAX_FILE_BYTES
    assert parse_document(raw, "r.yaml").data == {"name": "a"}


BOMB = b"""\
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def test_parse_alias_expansion_bomb_is_refused():
    issue = parse_error(BOMB)
    assert issue.message == (
        f"document expands to more than {MAX_NODES:,} values (YAML anchors/aliases?); "
        "refusing to expand it"
    )
    assert issue.code == "alias-bomb"
    assert (issue.line, issue.col, issue.location) == (5, 1, "e")  # the key that expands


def test_parse_small_aliases_are_expanded():
    doc = parse_document(b"a: &pool [m, n]\nb: *pool\n", "r.yaml")
    assert doc.data == {"a": ["m", "n"], "b": ["m", "n"]}


def test_parse_recursive_alias_is_refused():
    issue = parse_error(b"a: &a [*a]\n")
    assert issue.format() == (
        "r.yaml:1:4: a[0]: recursive YAML alias: this collection contains itself"
    )
    assert issue.code == "alias-recursive"


def test_parse_deep_nesting_in_a_short_file_is_refused():
    raw = b"a: " + b"[" * 100 + b"]" * 100 + b"\n"
    issue = parse_error(raw)
    assert issue.format() == (
        "r.yaml:1:35: values are nested more than 32 levels deep; a router file needs 4"
    )
    assert issue.code == "too-deep"


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 300_000 + b"]" * 300_000,  # would overflow libyaml's recursive composer
        b"- " * 100_000 + b"x",
        b"? " * 100_000 + b"x",
    ],
    ids=["flow", "block-sequence", "explicit-keys"],
)
def test_parse_very_deep_nesting_is_refused_without_crashing(raw: bytes):
    issue = parse_error(raw)
    assert issue.message == "values are nested more than 32 levels deep; a router file needs 4"
    assert (issue.line, issue.code) == (1, "too-deep")


def test_parse_merge_keys_are_refused():
    raw = b"base: &b {models: [m]}\ntasks:\n  t:\n    <<: *b\n"
    assert parse_error(raw).format() == (
        "r.yaml:4:5: tasks.t: YAML merge keys (<<) are not supported; write the keys out"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"1: a\n", "r.yaml:1:1: key '1' is read as a number, not a string; quote it: \"1\""),
        (
            b"yes: a\n",
            "r.yaml:1:1: key 'yes' is read as a boolean, not a string; quote it: \"yes\"",
        ),
        (b"~: a\n", "r.yaml:1:1: key '~' is read as null, not a string; quote it: \"~\""),
        (b"? [a]\n: b\n", "r.yaml:1:3: mapping keys must be plain strings"),
    ],
)
def test_parse_keys_must_be_strings(raw: bytes, expected: str):
    issue = parse_error(raw)
    assert issue.format() == expected
    assert issue.code == "bad-key"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"name: !custom x\n",
            "r.yaml:1:7: name: unsupported YAML tag '!custom'; router files use plain values",
        ),
        (
            b"name: !!python/object:os.system x\n",
            "r.yaml:1:7: name: unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'; "
            "router files use plain values",
        ),
        (
            b"fallback_models: !!set {a, b}\n",
            "r.yaml:1:18: fallback_models: unsupported YAML tag 'tag:yaml.org,2002:set'; "
            "router files use plain mappings and lists",
        ),
    ],
)
def test_parse_unsupported_tags_are_refused(raw: bytes, expected: str):
    issue = parse_error(raw)
    assert issue.format() == expected
    assert issue.code == "yaml-tag"


def test_parse_standard_tags_are_accepted():
    doc = parse_document(b"a: !!str 123\nb: !!map {c: !!seq [d]}\n", "r.yaml")
    assert doc.data == {"a": "123", "b": {"c": ["d"]}}


def test_parse_records_line_and_column_of_keys_and_items():
    doc = parse_document(VALID.encode(), "r.yaml")
    assert doc.mark(("name",)) == (1, 1)
    assert doc.mark(("tasks", "classify", "prefer")) == (7, 5)
    assert doc.mark(("tasks", "classify", "models", 1)) == (6, 33)
    assert doc.mark(("fallback_models", 1)) == (15, 42)


def test_document_mark_falls_back_to_the_deepest_known_prefix():
    doc = parse_document(VALID.encode(), "r.yaml")
    assert doc.mark(("tasks", "classify", "no-such-key")) == (4, 3)
    assert doc.mark(()) == (1, 1)


def test_read_document_missing_file_is_one_issue():
    with pytest.raises(SpecError) as caught:
        read_document("nope.yaml")
    assert [i.format() for i in caught.value.issues] == [
        "nope.yaml:1:1: cannot read router file: No such file or directory"
    ]


def test_read_document_reads_a_file():
    write("r.yaml", VALID)
    assert read_document("r.yaml").data["name"] == "triage"


# --- finding files ------------------------------------------------------------------------


def test_find_accepts_yml_and_yaml_and_separates_test_files():
    for name in ("a.yaml", "b.yml", "a.tests.yaml", "b.tests.yml", "notes.txt", "sub/c.yaml"):
        write(f"routers/{name}", "x: 1\n")
    routers, tests = find_router_files(["routers"])
    assert [str(p) for p in routers] == ["routers/a.yaml", "routers/b.yml", "routers/sub/c.yaml"]
    assert [str(p) for p in tests] == ["routers/a.tests.yaml", "routers/b.tests.yml"]


def test_find_skips_hidden_files_and_directories():
    for name in ("a.yaml", ".hidden.yaml", ".github/workflows/ci.yaml"):
        write(f"routers/{name}", "x: 1\n")
    routers, _ = find_router_files(["routers"])
    assert [str(p) for p in routers] == ["routers/a.yaml"]


def test_find_explicit_files_and_directories_are_merged_without_duplicates():
    write("routers/a.yaml", "x: 1\n")
    write("routers/b.yaml", "x: 1\n")
    routers, _ = find_router_files(["routers/b.yaml", "routers", "routers/a.yaml"])
    assert [str(p) for p in routers] == ["routers/a.yaml", "routers/b.yaml"]


def test_find_directory_without_router_files_is_a_config_error():
    write("routers/README.md", "hi\n")
    with pytest.raises(ConfigError) as caught:
        find_router_files(["routers"])
    assert str(caught.value) == (
        "routers: no router files (*.yaml or *.yml) in this directory; create one or pass --dir"
    )


def test_find_directory_with_only_tests_files_has_no_router_files():
    write("routers/a.tests.yaml", "[]\n")
    with pytest.raises(ConfigError, match=r"^routers: no router files"):
        find_router_files(["routers"])


def test_find_missing_path_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        find_router_files(["nope"])
    assert str(caught.value) == "nope: no such file or directory"


# --- the router rules ---------------------------------------------------------------------


def test_valid_router_loads_with_no_issues_and_prefer_defaults_to_none():
    write("routers/triage.yaml", VALID)
    result = collect_routers(["routers"])
    assert result.issues == []
    assert result.files == 1
    assert [r.path for r in result.routers] == ["routers/triage.yaml"]
    spec = result.routers[0].spec
    assert spec.tasks["reply"].prefer == "none"
    assert spec.presets["summarization"].prefer == "fastest"
    assert result.specs == [spec]


def test_custom_task_names_are_free_text():
    write(
        "routers/r.yaml",
        """\
        name: r
        tasks:
          Code reviewer:
            description: Review a diff and point out bugs.
            models: [a, b]
        fallback_models: [c]
        """,
    )
    result = collect_routers(["routers"])
    assert result.issues == []
    assert list(result.specs[0].tasks) == ["Code reviewer"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "Triage_Router",
            "name 'Triage_Router' may only contain lowercase a-z, 0-9 and '-' "
            '(try "triage-router")',
        ),
        ('"é"', "name 'é' may only contain lowercase a-z, 0-9 and '-'"),
        ('""', "name must not be empty"),
        ("a" * 256, "name is 256 characters; the API allows at most 255"),
    ],
    ids=["uppercase", "no-suggestion", "empty", "too-long"],
)
def test_router_name_rules(name: str, message: str):
    write(
        "routers/r.yaml",
        f"name: {name}\ntasks: {{t: {{description: d, models: [m]}}}}\nfallback_models: [n]\n",
    )
    assert lines() == [f"routers/r.yaml:1:1: name: {message}"]
    assert collect_routers(["routers"]).routers[0].spec.name == name.strip('"')


def test_router_name_of_255_characters_is_valid():
    write(
        "routers/r.yaml",
        f"name: {'a' * 255}\npresets: {{s: {{models: [m]}}}}\nfallback_models: [n]\n",
    )
    assert lines() == []


def test_missing_required_keys_are_reported_at_the_mapping():
    write("routers/r.yaml", "# header\ndescription: x\n")
    assert lines() == [
        "routers/r.yaml:2:1: missing required key 'fallback_models'",
        "routers/r.yaml:2:1: missing required key 'name'",
    ]


def test_unknown_keys_get_did_you_mean_at_every_level():
    write(
        "routers/r.yaml",
        """\
        name: r
        descripton: x
        tasks:
          t:
            description: d
            models: [m]
            prefr: none
        presets:
          summarization:
            modles: [m]
        fallback_models: [n]
        """,
    )
    assert lines() == [
        "routers/r.yaml:2:1: descripton: unknown key 'descripton' (did you mean \"description\"?)",
        "routers/r.yaml:7:5: tasks.t.prefr: unknown key 'prefr' (did you mean \"prefer\"?)",
        "routers/r.yaml:9:3: presets.summarization: missing required key 'models'",
        "routers/r.yaml:10:5: presets.summarization.modles: unknown key 'modles' "
        '(did you mean "models"?)',
    ]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys():
    write("routers/r.yaml", "name: r\nfallback_models: [n]\nzzz: 1\npresets: {s: {models: [m]}}\n")
    assert lines() == [
        "routers/r.yaml:3:1: zzz: unknown key 'zzz'; allowed: description, fallback_models, "
        "name, presets, protect, renamed_from, tasks, tests"
    ]


def test_prefer_must_be_one_of_the_policies():
    write(
        "routers/r.yaml",
        "name: r\ntasks:\n  t:\n    description: d\n    models: [m, n]\n    prefer: cheepest\n"
        "fallback_models: [o]\n",
    )
    issues = collect_routers(["routers"]).issues
    assert [i.format() for i in issues] == [
        "routers/r.yaml:6:5: tasks.t.prefer: 'cheepest' is not a valid value; use one of none, "
        'cheapest, fastest (did you mean "cheapest"?)'
    ]
    assert issues[0].code == "bad-enum"


def test_custom_task_without_description_is_an_error():
    write("routers/r.yaml", "name: r\ntasks:\n  t:\n    models: [m]\nfallback_models: [o]\n")
    assert lines() == ["routers/r.yaml:3:3: tasks.t: missing required key 'description'"]


def test_custom_task_with_blank_description_is_an_error():
    write(
        "routers/r.yaml",
        "name: r\ntasks:\n  t:\n    description: '  '\n    models: [m]\nfallback_models: [o]\n",
    )
    assert lines() == [
        "routers/r.yaml:4:5: tasks.t.description: custom tasks need a description: it is what "
        "the router matches prompts against"
    ]


def test_model_pool_rules():
    write(
        "routers/r.yaml",
        """\
        name: r
        tasks:
          empty:
            description: Nothing to route to.
            models: []
          twice:
            description: Listed the same model twice.
            models: [m, n, m, " "]
        presets:
          summarization:
            models: []
        fallback_models: [o, o]
        """,
    )
    assert lines() == [
        "routers/r.yaml:5:5: tasks.empty.models: task 'empty' has an empty model pool",
        "routers/r.yaml:8:5: warning: tasks.twice.models: 4 models in the pool; DigitalOcean "
        "documents up to 3 per task and may reject more",
        "routers/r.yaml:8:20: tasks.twice.models[2]: model 'm' is listed twice in the pool "
        "(also at [0])",
        "routers/r.yaml:8:23: tasks.twice.models[3]: blank model id",
        "routers/r.yaml:11:5: presets.summarization.models: preset 'summarization' has an empty "
        "model pool",
        "routers/r.yaml:12:22: fallback_models[1]: model 'o' is listed twice in fallback_models",
    ]


def test_three_models_per_task_is_not_a_warning():
    write(
        "routers/r.yaml",
        "name: r\npresets: {s: {models: [a, b, c]}}\nfallback_models: [d]\n",
    )
    assert lines() == []


def test_empty_fallback_models_is_an_error():
    write("routers/r.yaml", "name: r\npresets: {s: {models: [a]}}\nfallback_models: []\n")
    assert lines() == [
        "routers/r.yaml:3:1: fallback_models: fallback_models must list at least one model "
        "(the API requires it)"
    ]


@pytest.mark.parametrize("prefer", ["cheapest", "fastest"])
def test_warn_on_a_policy_with_a_one_model_pool(prefer: str):
    write(
        "routers/r.yaml",
        f"name: r\npresets:\n  s:\n    models: [a]\n    prefer: {prefer}\nfallback_models: [b]\n",
    )
    result = collect_routers(["routers"])
    assert [i.format() for i in result.warnings] == [
        f"routers/r.yaml:5:5: warning: presets.s.prefer: prefer: {prefer} with a one-model pool "
        "has nothing to choose between"
    ]
    assert result.errors == []
    assert result.warnings[0].code == "one-model-policy"


@pytest.mark.parametrize("fallback", ["[a, b]", "[b, a]"], ids=["same-order", "reordered"])
def test_warn_when_fallback_has_the_same_models_as_a_pool(fallback: str):
    write(
        "routers/r.yaml",
        f"name: r\ntasks:\n  t:\n    description: d\n    models: [a, b]\n"
        f"fallback_models: {fallback}\n",
    )
    assert lines() == [
        "routers/r.yaml:6:1: warning: fallback_models: same models as the pool of task 't': "
        "when that pool is unavailable the fallback is too; add a model it does not use"
    ]


def test_fallback_sharing_some_models_with_a_pool_is_fine():
    write("routers/r.yaml", "name: r\npresets: {s: {models: [a, b]}}\nfallback_models: [a, c]\n")
    assert lines() == []


def test_warn_on_near_identical_task_descriptions():
    write(
        "routers/r.yaml",
        """\
        name: r
        tasks:
          a:
            description: Summarize the support ticket for an agent.
            models: [m]
          b:
            description: Summarise the support tickets for an agent.
            models: [n]
          c:
            description: Write a reply to the customer.
            models: [o]
        fallback_models: [p]
        """,
    )
    result = collect_routers(["routers"])
    assert [i.format() for i in result.issues] == [
        "routers/r.yaml:7:5: warning: tasks.b.description: description is 96% similar to task "
        "'a': the router cannot tell them apart reliably"
    ]
    assert result.issues[0].code == "similar-descriptions"


def test_router_with_no_tasks_and_no_presets_is_valid_with_a_warning():
    write("routers/r.yaml", "name: r\nfallback_models: [m]\n")
    result = collect_routers(["routers"])
    assert [i.format() for i in result.issues] == [
        "routers/r.yaml:1:1: warning: router has no tasks and no presets: every request goes to "
        "the fallback models"
    ]
    assert [r.spec.name for r in result.routers] == ["r"]


def test_unknown_preset_slug_is_a_warning_when_presets_are_known():
    write(
        "routers/r.yaml", "name: r\npresets: {sumarization: {models: [m]}}\nfallback_models: [n]\n"
    )
    assert lines(known_presets=["summarization", "translation"]) == [
        "routers/r.yaml:2:11: warning: presets.sumarization: unknown preset task_slug "
        "'sumarization' (did you mean \"summarization\"?)"
    ]
    assert lines() == []  # offline: the catalog of presets is unknown


@pytest.mark.parametrize(
    ("yaml_line", "expected"),
    [
        (
            "name: yes",
            "routers/r.yaml:1:1: name: expected a string, got a boolean (true); quote it "
            "(YAML reads yes/no/on/off/true/false as booleans)",
        ),
        (
            "name: 2024-01-01",
            "routers/r.yaml:1:1: name: expected a string, got a date (2024-01-01); quote it",
        ),
        ("name: 12", "routers/r.yaml:1:1: name: expected a string, got a number (12); quote it"),
        ("name: [a]", "routers/r.yaml:1:1: name: expected a string, got a list"),
        ("name:", "routers/r.yaml:1:1: name: expected a string, got null (an empty value)"),
    ],
)
def test_type_errors_use_yaml_words(yaml_line: str, expected: str):
    write("routers/r.yaml", f"{yaml_line}\nfallback_models: [m]\n")
    assert lines() == [expected]


def test_a_string_where_a_list_is_expected_suggests_the_list():
    write("routers/r.yaml", "name: r\nfallback_models: m\n")
    assert lines() == [
        "routers/r.yaml:2:1: fallback_models: expected a list, got a string ('m'); write [m]"
    ]


def test_an_empty_task_block_suggests_indentation():
    write("routers/r.yaml", "name: r\ntasks:\n  t:\nfallback_models: [m]\n")
    assert lines() == [
        "routers/r.yaml:3:3: tasks.t: expected a mapping, got an empty value "
        "(is the block below it mis-indented?)"
    ]


def test_protect_must_be_a_boolean():
    write("routers/r.yaml", "name: r\nfallback_models: [m]\nprotect: 'yes'\n")
    assert "routers/r.yaml:3:1: protect: expected true or false, got a string ('yes')" in lines()


def test_rules_still_run_on_the_valid_parts_of_a_router_with_schema_errors():
    write(
        "routers/r.yaml",
        """\
        name: Bad_Name
        descripton: typo
        tasks:
          a:
            description: Classify the ticket.
            models: []
            prefer: cheepest
          b:
            models: 3
        fallback_models: [m]
        """,
    )
    result = collect_routers(["routers"])
    assert [i.format() for i in result.issues] == [
        "routers/r.yaml:1:1: name: name 'Bad_Name' may only contain lowercase a-z, 0-9 and '-' "
        '(try "bad-name")',
        "routers/r.yaml:2:1: descripton: unknown key 'descripton' (did you mean \"description\"?)",
        "routers/r.yaml:6:5: tasks.a.models: task 'a' has an empty model pool",
        "routers/r.yaml:7:5: tasks.a.prefer: 'cheepest' is not a valid value; use one of none, "
        'cheapest, fastest (did you mean "cheapest"?)',
        "routers/r.yaml:8:3: tasks.b: missing required key 'description'",
        "routers/r.yaml:9:5: tasks.b.models: expected a list, got a number (3)",
    ]
    assert result.routers == []  # a router with errors is never handed to plan/apply


def test_salvaged_router_without_its_tasks_does_not_warn_about_having_none():
    write("routers/r.yaml", "name: r\ntasks:\n  t:\n    models: [m]\nfallback_models: [n]\n")
    assert lines() == ["routers/r.yaml:3:3: tasks.t: missing required key 'description'"]


def test_every_problem_in_every_file_is_reported_in_one_run():
    write("routers/a.yaml", "name: A\nfallback_models: [m, m]\n")
    write("routers/b.yml", "name: b\nfallback_models: [m]\nnme: x\n")
    write("routers/c.yaml", "[")
    result = collect_routers(["routers"])
    assert [i.format() for i in result.errors] == [
        "routers/a.yaml:1:1: name: name 'A' may only contain lowercase a-z, 0-9 and '-' "
        '(try "a")',
        "routers/a.yaml:2:22: fallback_models[1]: model 'm' is listed twice in fallback_models",
        "routers/b.yml:3:1: nme: unknown key 'nme' (did you mean \"name\"?)",
        "routers/c.yaml:2:1: invalid YAML: did not find expected node content",
    ]
    assert result.files == 3


# --- cross-file checks ----------------------------------------------------------------------


def test_router_names_must_be_unique_across_files_of_both_suffixes():
    write("routers/a.yaml", "name: r\npresets: {s: {models: [m]}}\nfallback_models: [n]\n")
    write(
        "routers/b.yml", "# same name\nname: r\npresets: {s: {models: [m]}}\nfallback_models: [n]\n"
    )
    result = collect_routers(["routers"])
    assert [i.format() for i in result.issues] == [
        "routers/b.yml:2:1: name: router name 'r' is already used by routers/a.yaml:1; "
        "names must be unique"
    ]
    assert result.issues[0].code == "duplicate-name"
    assert [r.path for r in result.routers] == ["routers/a.yaml", "routers/b.yml"]


def test_duplicate_name_is_reported_even_when_one_file_has_schema_errors():
    write("routers/a.yaml", "name: r\nfallback_models: 3\n")
    write("routers/b.yaml", "name: r\npresets: {s: {models: [m]}}\nfallback_models: [n]\n")
    assert lines() == [
        "routers/a.yaml:2:1: fallback_models: expected a list, got a number (3)",
        "routers/b.yaml:1:1: name: router name 'r' is already used by routers/a.yaml:1; "
        "names must be unique",
    ]


def test_renamed_from_accepts_one_name_or_a_list():
    write("routers/a.yaml", "name: new\nrenamed_from: old\nfallback_models: [m]\n")
    write("routers/b.yaml", "name: b\nrenamed_from: [x, y]\nfallback_models: [m]\n")
    specs = collect_routers(["routers"]).specs
    assert [s.renamed_from for s in specs] == [["old"], ["x", "y"]]


def test_renamed_from_rules_within_one_router():
    write(
        "routers/a.yaml",
        "name: a\nrenamed_from: [a, old, old, Bad_Old]\npresets: {s: {models: [m]}}\n"
        "fallback_models: [n]\n",
    )
    assert lines() == [
        "routers/a.yaml:2:16: renamed_from[0]: renamed_from lists the router's own name",
        "routers/a.yaml:2:24: renamed_from[2]: 'old' is listed twice in renamed_from",
        "routers/a.yaml:2:29: renamed_from[3]: 'Bad_Old' is not a valid router name",
    ]


def test_renamed_from_a_name_another_file_still_declares_is_an_error():
    write("routers/a.yaml", "name: a\npresets: {s: {models: [m]}}\nfallback_models: [n]\n")
    write(
        "routers/b.yaml",
        "name: b\nrenamed_from: a\npresets: {s: {models: [m]}}\nfallback_models: [n]\n",
    )
    assert lines() == [
        "routers/b.yaml:2:1: renamed_from[0]: 'a' is still declared by routers/a.yaml; a "
        "router cannot be renamed from a name that still exists in the files"
    ]


def test_two_routers_renamed_from_the_same_name_is_an_error():
    write(
        "routers/a.yaml",
        "name: a\nrenamed_from: old\npresets: {s: {models: [m]}}\nfallback_models: [n]\n",
    )
    write(
        "routers/b.yaml",
        "name: b\nrenamed_from: [old]\npresets: {s: {models: [m]}}\nfallback_models: [n]\n",
    )
    issues = collect_routers(["routers"]).issues
    assert [i.format() for i in issues] == [
        "routers/b.yaml:2:16: renamed_from[0]: 'old' is also in renamed_from of routers/a.yaml: "
        "only one router can take over a live router"
    ]
    assert issues[0].code == "rename-conflict"


# --- routing tests ------------------------------------------------------------------------

WITH_TESTS = """\
name: triage
tasks:
  classify:
    description: Categorize short support messages into issue types.
    models: [a, b]
presets:
  summarization:
    models: [c]
fallback_models: [d]
tests:
  - prompt: My card was charged twice.
    expect_task: classify
  - prompt: Summarize this thread.
    expect_task: summarization
  - prompt: Tell me a joke.
    expect_task: fallback
"""


def test_in_file_routing_tests_may_expect_a_task_a_preset_or_fallback():
    write("routers/triage.yaml", WITH_TESTS)
    result = collect_routers(["routers"])
    assert result.issues == []
    assert [c.expect_task for c in result.specs[0].tests] == [
        "classify",
        "summarization",
        "fallback",
    ]


def test_in_file_routing_test_expecting_an_unknown_task_is_an_error():
    write("routers/triage.yaml", WITH_TESTS + "  - prompt: ' '\n    expect_task: clasify\n")
    assert lines() == [
        "routers/triage.yaml:17:5: tests[3].prompt: prompt is blank",
        "routers/triage.yaml:18:5: tests[3].expect_task: expect_task 'clasify' is not a task, "
        "preset or 'fallback' of this router (did you mean \"classify\"?)",
    ]


@pytest.mark.parametrize(
    "body",
    [
        "- prompt: Refund please\n  expect_task: classify\n",
        "tests:\n  - prompt: Refund please\n    expect_task: classify\n",
    ],
    ids=["list", "mapping"],
)
def test_tests_file_is_attached_to_the_router_of_that_name(body: str):
    write("routers/triage.yaml", WITH_TESTS)
    write("routers/triage.tests.yaml", body)
    result = collect_routers(["routers"])
    assert result.issues == []
    assert result.files == 2
    assert [c.prompt for c in result.specs[0].tests][-1] == "Refund please"
    assert len(result.specs[0].tests) == 4


def test_tests_file_cases_are_checked_against_their_router():
    write("routers/triage.yaml", WITH_TESTS)
    write(
        "routers/triage.tests.yml",
        "- prompt: Refund please\n  expect_task: refunds\n- prompt: x\n  expect: classify\n",
    )
    assert lines() == [
        "routers/triage.tests.yml:2:3: [0].expect_task: expect_task 'refunds' is not a task, "
        "preset or 'fallback' of this router",
        "routers/triage.tests.yml:3:3: [1]: missing required key 'expect_task'",
        "routers/triage.tests.yml:4:3: [1].expect: unknown key 'expect' (did you mean "
        '"expect_task"?)',
    ]


def test_tests_file_for_no_router_is_an_orphan():
    write("routers/triage.yaml", WITH_TESTS)
    write("routers/triag.tests.yaml", "[]\n")
    issues = collect_routers(["routers"]).issues
    assert [i.format() for i in issues] == [
        "routers/triag.tests.yaml:1:1: no router named 'triag' for this tests file "
        '(did you mean "triage"?)'
    ]
    assert issues[0].code == "orphan-tests"


def test_tests_file_that_is_not_a_list_is_an_error():
    write("routers/triage.yaml", WITH_TESTS)
    write("routers/triage.tests.yaml", "tests: {prompt: x}\n")
    assert lines() == [
        "routers/triage.tests.yaml:1:1: tests: a tests file is a list of cases "
        "(or `tests:` with a list)"
    ]


def test_tests_file_of_a_router_with_errors_is_not_reported_as_an_orphan():
    write("routers/triage.yaml", "name: triage\nfallback_models: 3\n")
    write("routers/triage.tests.yaml", "- prompt: x\n  expect_task: anything\n")
    assert lines() == [
        "routers/triage.yaml:2:1: fallback_models: expected a list, got a number (3)"
    ]


# --- load_routers -------------------------------------------------------------------------


def test_load_routers_raises_with_every_issue_when_any_is_an_error():
    write("routers/a.yaml", "name: a\nfallback_models: []\n")
    write("routers/b.yaml", "name: b\nfallback_models: [m]\n")
    with pytest.raises(SpecError) as caught:
        load_routers(["routers"])
    assert [i.code for i in caught.value.issues] == ["no-tasks", "no-fallback", "no-tasks"]
    assert str(caught.value) == (
        "routers/a.yaml:2:1: fallback_models: fallback_models must list at least one model "
        "(the API requires it)"
    )


def test_load_routers_returns_warnings_unless_strict():
    write("routers/a.yaml", "name: a\nfallback_models: [m]\n")
    result = load_routers(["routers"])
    assert [i.code for i in result.warnings] == ["no-tasks"]
    with pytest.raises(SpecError) as caught:
        load_routers(["routers"], strict=True)
    assert [i.code for i in caught.value.issues] == ["no-tasks"]


# --- overlays -----------------------------------------------------------------------------


def test_deep_merge_merges_mappings_replaces_lists_and_null_removes():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": 2}
    over = {"a": {"y": [3], "z": 4}, "c": None}
    assert deep_merge(base, over) == {"a": {"x": 1, "y": [3], "z": 4}, "b": 1}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": 2}  # inputs are not modified


def test_deep_merge_replaces_a_mapping_with_a_scalar():
    assert deep_merge({"a": {"x": 1}}, {"a": "s"}) == {"a": "s"}


def test_overlay_renames_and_merges_over_the_router_file():
    write("routers/triage.yaml", VALID)
    write(
        "overlays/triage.yaml",
        "fallback_models: [cheap-model]\ntasks:\n  reply:\n    models: [m2]\n",
    )
    overlay = Overlay(Path("overlays"), name_prefix="stg-", name_suffix="-eu")
    result = collect_routers(["routers"], overlay=overlay)
    assert result.issues == []
    spec = result.specs[0]
    assert spec.name == "stg-triage-eu"
    assert spec.fallback_models == ["cheap-model"]
    assert spec.tasks["reply"].models == ["m2"]
    assert spec.tasks["reply"].description.startswith("Write a short")


def test_overlay_errors_are_reported_at_the_overlay_and_base_errors_at_the_base():
    write(
        "routers/triage.yaml",
        "name: triage\ntasks:\n  a:\n    description: d\n    models: [m, m]\n"
        "fallback_models: [n]\n",
    )
    write("overlays/triage.yaml", "tasks:\n  a:\n    prefer: fastet\n")
    assert lines(overlay=Overlay(Path("overlays"))) == [
        "overlays/triage.yaml:3:5: tasks.a.prefer: 'fastet' is not a valid value; use one of "
        'none, cheapest, fastest (did you mean "fastest"?)',
        "routers/triage.yaml:5:17: tasks.a.models[1]: model 'm' is listed twice in the pool "
        "(also at [0])",
    ]


def test_overlay_may_not_set_the_name_and_must_match_a_router():
    write("routers/triage.yaml", VALID)
    write("overlays/triage.yaml", "name: other\n")
    write("overlays/ghost.yml", "description: boo\n")
    issues = collect_routers(["routers"], overlay=Overlay(Path("overlays"))).issues
    assert [i.format() for i in issues] == [
        "overlays/ghost.yml:1:1: overlay for router 'ghost', which no file declares",
        "overlays/triage.yaml:1:1: name: key 'name' cannot be overlaid; overlays may set "
        "description, tasks, presets, fallback_models, protect, tests",
    ]
    assert [i.code for i in issues] == ["orphan-overlay", "overlay-key"]


def test_overlay_directory_must_exist():
    write("routers/triage.yaml", VALID)
    with pytest.raises(ConfigError) as caught:
        collect_routers(["routers"], overlay=Overlay(Path("missing")))
    assert str(caught.value) == "missing: overlay directory does not exist"


def test_tests_file_follows_the_environment_rename():
    write("routers/triage.yaml", VALID)
    write("routers/triage.tests.yaml", "- prompt: x\n  expect_task: classify\n")
    result = collect_routers(["routers"], overlay=Overlay(name_prefix="stg-"))
    assert result.issues == []
    assert [(s.name, len(s.tests)) for s in result.specs] == [("stg-triage", 1)]


def test_environment_rename_applies_to_renamed_from():
    write("routers/a.yaml", "name: a\nrenamed_from: [old]\nfallback_models: [m]\n")
    result = collect_routers(["routers"], overlay=Overlay(name_suffix="-prod"))
    assert result.specs[0].renamed_from == ["old-prod"]


# --- project settings -----------------------------------------------------------------------


def test_settings_missing_default_file_gives_defaults():
    assert load_settings(None) == (ProjectSettings(), None)


def test_settings_empty_file_gives_defaults():
    write("routerctl.yaml", "# nothing yet\n")
    assert load_settings(None) == (ProjectSettings(), Path("routerctl.yaml"))


def test_settings_are_read_from_the_default_file():
    write("routerctl.yaml", "dir: specs\nprune: {scope: ['team-*']}\n")
    settings, path = load_settings(None)
    assert (settings.dir, settings.prune.scope, path) == (
        "specs",
        ["team-*"],
        Path("routerctl.yaml"),
    )


def test_settings_unknown_key_gets_did_you_mean():
    write("cfg.yaml", "dri: specs\nprune: {scope: 3}\n")
    with pytest.raises(SpecError) as caught:
        load_settings("cfg.yaml")
    assert [i.format() for i in caught.value.issues] == [
        "cfg.yaml:1:1: dri: unknown key 'dri' (did you mean \"dir\"?)",
        "cfg.yaml:2:9: prune.scope: expected a list, got a number (3)",
    ]


def test_settings_top_level_must_be_a_mapping():
    write("cfg.yaml", "- a\n")
    with pytest.raises(SpecError) as caught:
        load_settings("cfg.yaml")
    assert [i.format() for i in caught.value.issues] == [
        "cfg.yaml:1:1: top level is a list; project settings are a mapping "
        "(dir:, prune:, environments: …)"
    ]


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        ((), ""),
        (("name",), "name"),
        (("tasks", "classify", "models", 2), "tasks.classify.models[2]"),
        (("tasks", "Code reviewer", "prefer"), "tasks['Code reviewer'].prefer"),
        (("tasks", "v1.2"), "tasks['v1.2']"),
        ((0, "expect_task"), "[0].expect_task"),
    ],
)
def test_format_loc(loc: tuple[str | int, ...], expected: str):
    assert format_loc(loc) == expected


def test_suggest_only_close_matches():
    assert (
        suggest("fallback_model", ["fallback_models", "name"])
        == ' (did you mean "fallback_models"?)'
    )
    assert suggest("zzz", ["fallback_models", "name"]) == ""


def test_matches_any_is_a_shell_glob_on_the_whole_name():
    assert matches_any("team-a", ["other", "team-*"])
    assert not matches_any("my-team-a", ["team-*"])


def test_dump_yaml_keeps_key_order_and_round_trips():
    data = {"name": "r", "tasks": {"b": {"description": "two\nlines"}, "a": {"models": ["m"]}}}
    text = dump_yaml(data)
    assert text.startswith("name: r\ntasks:\n  b:\n")
    assert parse_document(text.encode(), "r.yaml").data == data


@settings(max_examples=300, deadline=None, database=None)
@given(
    a=st.text(alphabet="abcde ", max_size=40),
    b=st.text(alphabet="abcde ", max_size=40),
    cutoff=st.sampled_from([0.5, 0.8, 0.9]),
)
def test_similarity_shortcuts_never_change_the_verdict(a: str, b: str, cutoff: float):
    exact = difflib.SequenceMatcher(None, a, b).ratio() if a or b else 1.0
    fast = _similarity(a, b, cutoff)
    assert (fast >= cutoff) == (exact >= cutoff)
    if fast >= cutoff:
        assert fast == exact


@pytest.mark.parametrize(
    ("prefix", "suffix", "live", "base"),
    [
        ("", "-staging", "triage-router-staging", "triage-router"),
        ("stg-", "", "stg-triage", "triage"),
        ("stg-", "-x", "stg-triage-x", "triage"),
        ("", "-staging", "triage-router", None),
        ("stg-", "-x", "stg-x", None),  # prefix and suffix would overlap
        ("", "", "anything", "anything"),
    ],
)
def test_overlay_base_name_inverts_rename(prefix, suffix, live, base):
    overlay = Overlay(None, prefix, suffix)
    assert overlay.base_name(live) == base
    if base is not None:
        assert overlay.rename(base) == live
