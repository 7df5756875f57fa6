"""Find and read router files: safe YAML with line numbers, schema and semantic checks,
cross-file checks. Every problem in every file is collected into one report.

This is the only module that imports yaml. It never touches the network.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from routerctl.errors import ConfigError, Issue, Severity, SpecError
from routerctl.models import (
    FALLBACK_ROUTE,
    PREFER_VALUES,
    PresetSpec,
    ProjectSettings,
    RouterSpec,
    RoutingCase,
    TaskSpec,
)

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000  # a router file has ~100 nodes; more means alias/anchor expansion abuse
MAX_MODELS_PER_TASK = 3  # "Each task has up to 3 models" (DO blog); not enforced by the spec
NAME_RE = re.compile(r"^[a-z0-9-]+$")
MAX_NAME_LEN = 255
SIMILAR_DESCRIPTION_RATIO = 0.9
ROUTER_SUFFIXES = (".yaml", ".yml")
TESTS_SUFFIXES = (".tests.yaml", ".tests.yml")

try:  # libyaml is ~10x faster; validate on 1,000 files depends on it when available
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,misc,unused-ignore]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed YAML file: plain data plus the line/column of every key and item."""

    path: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    overlay: Document | None = None  # an environment overlay merged over this document

    def mark(self, loc: Sequence[str | int]) -> tuple[int, int]:
        """Line/col of the deepest known prefix of `loc` (1-based); (1, 1) for the file."""
        key = tuple(loc)
        while key:
            if key in self.marks:
                return self.marks[key]
            key = key[:-1]
        return self.marks.get((), (1, 1))

    def issue(
        self,
        loc: Sequence[str | int],
        message: str,
        *,
        severity: Severity = "error",
        code: str = "",
    ) -> Issue:
        # A value that came from the overlay is reported at the overlay's line.
        source: Document = self
        if self.overlay is not None:
            key = tuple(loc)
            while key:
                if key in self.overlay.marks:
                    source = self.overlay
                    break
                key = key[:-1]
        line, col = source.mark(loc)
        return Issue(source.path, line, col, format_loc(loc), message, severity, code)


@dataclass(frozen=True)
class RouterFile:
    """A router spec and where it came from."""

    spec: RouterSpec
    doc: Document

    @property
    def path(self) -> str:
        return self.doc.path


@dataclass
class LoadResult:
    routers: list[RouterFile]
    issues: list[Issue]
    files: int

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def specs(self) -> list[RouterSpec]:
        return [r.spec for r in self.routers]


def format_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_.-]+", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


# --- reading YAML ---------------------------------------------------------------------------


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


class _Problem(Exception):
    def __init__(self, line: int, col: int, loc: Path_, message: str, code: str) -> None:
        super().__init__(message)
        self.line, self.col, self.loc, self.message, self.code = line, col, loc, message, code


def read_document(path: str | Path, *, required_mapping: bool = True) -> Document:
    """Read one YAML file safely. Raises SpecError (one issue) on anything unreadable."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SpecError([Issue(name, 1, 1, "", f"cannot read file: {exc.strerror}")]) from None
    return parse_document(raw, name, required_mapping=required_mapping)


def parse_document(raw: bytes, name: str, *, required_mapping: bool = True) -> Document:
    """Parse bytes as one YAML document; see read_document."""

    def fail(line: int, col: int, message: str, code: str) -> SpecError:
        return SpecError([Issue(name, line, col, "", message, "error", code)])

    if len(raw) > MAX_FILE_BYTES:
        raise fail(
            1,
            1,
            f"file is {len(raw):,} bytes; router files are limited to {MAX_FILE_BYTES:,} bytes "
            "(split it, one router per file)",
            "file-too-large",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(
            line,
            col,
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            "not-utf8",
        ) from None
    if "\x00" in text:
        raise fail(1, 1, "file contains NUL bytes; is it a binary file?", "not-utf8")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "cannot parse"
        raise fail(line, col, f"invalid YAML: {problem}", "yaml-syntax") from None
    except yaml.YAMLError as exc:
        raise fail(1, 1, f"invalid YAML: {exc}", "yaml-syntax") from None
    if node is None:
        raise fail(
            1,
            1,
            "file is empty; a router file needs at least `name` and `fallback_models`",
            "empty",
        )
    doc = Document(name, None)
    constructor = _Loader("")
    try:
        doc.data = _construct(node, (), doc.marks, constructor, _Budget())
    except _Problem as problem:
        raise SpecError(
            [
                Issue(
                    name,
                    problem.line,
                    problem.col,
                    format_loc(problem.loc),
                    problem.message,
                    "error",
                    problem.code,
                )
            ]
        ) from None
    finally:
        constructor.dispose()
    if required_mapping and not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a {type(doc.data).__name__} scalar"
        raise fail(
            1,
            1,
            f"top level is {kind}; a router file is a mapping with `name:`, `tasks:`, "
            "`fallback_models:` …",
            "not-a-mapping",
        )
    return doc


def _construct(
    node: yaml.Node,
    loc: Path_,
    marks: dict[Path_, tuple[int, int]],
    constructor: yaml.SafeLoader,
    budget: _Budget,
) -> Any:
    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        raise _Problem(
            node.start_mark.line + 1,
            node.start_mark.column + 1,
            loc,
            f"document expands to more than {MAX_NODES:,} values (YAML anchors/aliases?); "
            "refusing to expand it",
            "alias-bomb",
        )
    marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Problem(
                    line,
                    col,
                    loc,
                    "YAML merge keys (<<) are not supported; write keys out",
                    "merge",
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Problem(line, col, loc, "mapping keys must be plain strings", "bad-key")
            key = constructor.construct_object(key_node)
            if not isinstance(key, str):
                raise _Problem(
                    line,
                    col,
                    loc,
                    f"key {key_node.value!r} is read as a {type(key).__name__}, not a string; "
                    f'quote it: "{key_node.value}"',
                    "bad-key",
                )
            child = (*loc, key)
            if key in result:
                first_line = marks[child][0]
                raise _Problem(
                    line,
                    col,
                    child,
                    f"duplicate key {key!r} (first defined on line {first_line}); "
                    "YAML would silently keep only the last one",
                    "duplicate-key",
                )
            marks[child] = (line, col)
            result[key] = _construct(value_node, child, marks, constructor, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*loc, index), marks, constructor, budget)
            for index, item in enumerate(node.value)
        ]
    return constructor.construct_object(node)


# --- finding files --------------------------------------------------------------------------


def find_router_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Router files and routing-test files (`*.tests.yaml`) under the given paths, sorted.

    Raises ConfigError for a path that does not exist or a directory with no router files.
    """
    routers: set[Path] = set()
    tests: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and p.name.endswith(ROUTER_SUFFIXES)]
            found = [p for p in found if not any(part.startswith(".") for part in p.parts[-1:])]
            if not any(not p.name.endswith(TESTS_SUFFIXES) for p in found):
                raise ConfigError(
                    f"{path}: no router files (*.yaml or *.yml) in this directory; "
                    "create one or pass --dir"
                )
            for p in found:
                (tests if p.name.endswith(TESTS_SUFFIXES) else routers).add(p)
        elif path.is_file():
            (tests if path.name.endswith(TESTS_SUFFIXES) else routers).add(path)
        else:
            raise ConfigError(f"{path}: no such file or directory")
    return sorted(routers), sorted(tests)


# --- validation -------------------------------------------------------------------------------


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model whose fields are allowed at `loc` (for did-you-mean)."""
    if len(loc) == 0:
        return RouterSpec
    if len(loc) == 2 and loc[0] == "tasks":
        return TaskSpec
    if len(loc) == 2 and loc[0] == "presets":
        return PresetSpec
    if len(loc) == 2 and loc[0] == "tests":
        return RoutingCase
    return None


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' or ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def _pydantic_issues(doc: Document, exc: ValidationError) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            model = _model_at(loc[:-1])
            allowed = sorted(model.model_fields) if model else []
            hint = suggest(key, allowed) or (f"; allowed: {', '.join(allowed)}" if allowed else "")
            issues.append(doc.issue(loc, f"unknown key {key!r}{hint}", code="unknown-key"))
        elif kind == "missing":
            key = str(loc[-1])
            issues.append(doc.issue(loc[:-1], f"missing required key {key!r}", code="missing"))
        elif kind == "literal_error":
            value = err.get("input")
            issues.append(
                doc.issue(
                    loc,
                    f"{value!r} is not a valid value; use one of {', '.join(PREFER_VALUES)}"
                    + suggest(str(value), PREFER_VALUES),
                    code="bad-enum",
                )
            )
        else:
            value = err.get("input")
            shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
            issues.append(doc.issue(loc, f"{err['msg']} (got {shown})", code="bad-type"))
    return issues


def _check_pool(
    doc: Document, loc: tuple[str | int, ...], models: list[str], prefer: str, label: str
) -> list[Issue]:
    issues = []
    if not models:
        issues.append(
            doc.issue((*loc, "models"), f"{label} has an empty model pool", code="empty-pool")
        )
    seen: dict[str, int] = {}
    for index, model in enumerate(models):
        if not model.strip():
            issues.append(doc.issue((*loc, "models", index), "blank model id", code="blank-model"))
        elif model in seen:
            issues.append(
                doc.issue(
                    (*loc, "models", index),
                    f"model {model!r} is listed twice in the pool (also at [{seen[model]}])",
                    code="duplicate-model",
                )
            )
        else:
            seen[model] = index
    if len(models) > MAX_MODELS_PER_TASK:
        issues.append(
            doc.issue(
                (*loc, "models"),
                f"{len(models)} models in the pool; DigitalOcean documents up to "
                f"{MAX_MODELS_PER_TASK} per task and may reject more",
                severity="warning",
                code="pool-size",
            )
        )
    if prefer in ("cheapest", "fastest") and len(models) == 1:
        issues.append(
            doc.issue(
                (*loc, "prefer"),
                f"prefer: {prefer} with a one-model pool has nothing to choose between",
                severity="warning",
                code="one-model-policy",
            )
        )
    return issues


def check_router(doc: Document, spec: RouterSpec, known_presets: set[str] | None) -> list[Issue]:
    """Semantic rules the schema alone cannot express."""
    issues: list[Issue] = []
    if not spec.name:
        issues.append(doc.issue(("name",), "name must not be empty", code="bad-name"))
    elif len(spec.name) > MAX_NAME_LEN:
        issues.append(
            doc.issue(
                ("name",),
                f"name is {len(spec.name)} characters; the API allows at most {MAX_NAME_LEN}",
                code="bad-name",
            )
        )
    elif not NAME_RE.match(spec.name):
        fixed = re.sub(r"[^a-z0-9-]+", "-", spec.name.lower()).strip("-")
        issues.append(
            doc.issue(
                ("name",),
                f"name {spec.name!r} may only contain lowercase a-z, 0-9 and '-'"
                + (f' (try "{fixed}")' if fixed else ""),
                code="bad-name",
            )
        )
    for index, old in enumerate(spec.renamed_from):
        if old == spec.name:
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    "renamed_from lists the router's own name",
                    code="rename",
                )
            )
        elif not NAME_RE.match(old):
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    f"{old!r} is not a valid router name",
                    code="bad-name",
                )
            )
    if not spec.tasks and not spec.presets:
        issues.append(
            doc.issue(
                (),
                "router has no tasks and no presets: every request goes to the fallback models",
                severity="warning",
                code="no-tasks",
            )
        )
    descriptions: list[tuple[str, str]] = []
    for key, task in spec.tasks.items():
        loc: tuple[str | int, ...] = ("tasks", key)
        if not key.strip():
            issues.append(doc.issue(loc, "task name must not be blank", code="blank-task"))
        if not task.description.strip():
            issues.append(
                doc.issue(
                    (*loc, "description"),
                    "custom tasks need a description: it is what the router matches prompts "
                    "against",
                    code="no-description",
                )
            )
        else:
            descriptions.append((key, task.description))
        issues += _check_pool(doc, loc, task.models, task.prefer, f"task {key!r}")
    for slug, preset in spec.presets.items():
        loc = ("presets", slug)
        if known_presets is not None and slug not in known_presets:
            issues.append(
                doc.issue(
                    loc,
                    f"unknown preset task_slug {slug!r}{suggest(slug, known_presets)}",
                    severity="warning",
                    code="unknown-preset",
                )
            )
        issues += _check_pool(doc, loc, preset.models, preset.prefer, f"preset {slug!r}")
    if not spec.fallback_models:
        issues.append(
            doc.issue(
                ("fallback_models",),
                "fallback_models must list at least one model (the API requires it)",
                code="no-fallback",
            )
        )
    seen: set[str] = set()
    for index, model in enumerate(spec.fallback_models):
        if not model.strip():
            issues.append(
                doc.issue(("fallback_models", index), "blank model id", code="blank-model")
            )
        elif model in seen:
            issues.append(
                doc.issue(
                    ("fallback_models", index),
                    f"model {model!r} is listed twice in fallback_models",
                    code="duplicate-model",
                )
            )
        seen.add(model)
    pools = [("tasks", k, t.models) for k, t in spec.tasks.items()]
    pools += [("presets", k, p.models) for k, p in spec.presets.items()]
    for section, key, models in pools:
        if models and models == spec.fallback_models:
            issues.append(
                doc.issue(
                    ("fallback_models",),
                    f"fallback_models is identical to the pool of {section[:-1]} {key!r}: "
                    "if that pool is down, so is the fallback",
                    severity="warning",
                    code="fallback-same-as-pool",
                )
            )
    for i, (key_a, text_a) in enumerate(descriptions):
        for key_b, text_b in descriptions[i + 1 :]:
            ratio = difflib.SequenceMatcher(None, text_a.lower(), text_b.lower()).ratio()
            if ratio >= SIMILAR_DESCRIPTION_RATIO:
                issues.append(
                    doc.issue(
                        ("tasks", key_b, "description"),
                        f"description is {ratio:.0%} similar to task {key_a!r}: the router "
                        "cannot tell them apart reliably",
                        severity="warning",
                        code="similar-descriptions",
                    )
                )
    issues += _check_tests(doc, spec, spec.tests, ("tests",))
    return issues


def _check_tests(
    doc: Document, spec: RouterSpec, cases: Sequence[RoutingCase], loc: tuple[str | int, ...]
) -> list[Issue]:
    routes = set(spec.tasks) | set(spec.presets) | {FALLBACK_ROUTE}
    issues = []
    for index, case in enumerate(cases):
        if case.expect_task not in routes:
            issues.append(
                doc.issue(
                    (*loc, index, "expect_task"),
                    f"expect_task {case.expect_task!r} is not a task, preset or 'fallback' of "
                    f"this router{suggest(case.expect_task, routes)}",
                    code="bad-expect-task",
                )
            )
        if not case.prompt.strip():
            issues.append(doc.issue((*loc, index, "prompt"), "prompt is blank", code="blank"))
    return issues


def load_routers(
    paths: Sequence[str | Path],
    *,
    known_presets: Iterable[str] | None = None,
    strict: bool = False,
) -> LoadResult:
    """Read, validate and cross-check router files. Raises SpecError if any error is found
    (or any warning, with strict=True); otherwise returns the routers and the warnings."""
    result = collect_routers(paths, known_presets=known_presets)
    if result.errors or (strict and result.warnings):
        raise SpecError(result.issues)
    return result


@dataclass(frozen=True)
class Overlay:
    """How one environment changes the shared router files."""

    directory: Path | None = None  # <name>.yaml files deep-merged over the router of that name
    name_prefix: str = ""
    name_suffix: str = ""

    def rename(self, name: str) -> str:
        return f"{self.name_prefix}{name}{self.name_suffix}"


OVERLAY_KEYS = ("description", "tasks", "presets", "fallback_models", "protect", "tests")


def collect_routers(
    paths: Sequence[str | Path],
    *,
    known_presets: Iterable[str] | None = None,
    overlay: Overlay | None = None,
) -> LoadResult:
    """Like load_routers, but returns errors in the result instead of raising (validate)."""
    router_paths, test_paths = find_router_files(paths)
    presets = set(known_presets) if known_presets is not None else None
    issues: list[Issue] = []
    routers: list[RouterFile] = []
    overlays = _read_overlays(overlay, issues)
    used_overlays: set[str] = set()
    for path in router_paths:
        try:
            doc = read_document(path)
        except SpecError as exc:
            issues += exc.issues
            continue
        base_name = doc.data.get("name")
        if overlay is not None:
            if isinstance(base_name, str) and base_name in overlays:
                used_overlays.add(base_name)
                doc = _merge_overlay(doc, overlays[base_name])
            doc.data = _rename_for_environment(doc.data, overlay)
        try:
            spec = RouterSpec.model_validate(doc.data)
        except ValidationError as exc:
            issues += _pydantic_issues(doc, exc)
            continue
        issues += check_router(doc, spec, presets)
        routers.append(RouterFile(spec, doc))
    for name, over in sorted(overlays.items()):
        if name not in used_overlays:
            issues.append(over.issue((), f"overlay for router {name!r}, which no file declares"))
    routers = _attach_test_files(routers, test_paths, issues, overlay)
    issues += _cross_file_issues(routers)
    return LoadResult(routers, sorted(set(issues)), len(router_paths) + len(test_paths))


def _read_overlays(overlay: Overlay | None, issues: list[Issue]) -> dict[str, Document]:
    if overlay is None or overlay.directory is None:
        return {}
    if not overlay.directory.is_dir():
        raise ConfigError(f"{overlay.directory}: overlay directory does not exist")
    found: dict[str, Document] = {}
    for path in sorted(overlay.directory.iterdir()):
        if not path.name.endswith(ROUTER_SUFFIXES):
            continue
        try:
            doc = read_document(path)
        except SpecError as exc:
            issues += exc.issues
            continue
        bad = [k for k in doc.data if k not in OVERLAY_KEYS]
        for key in bad:
            hint = suggest(key, OVERLAY_KEYS) or f"; overlays may set {', '.join(OVERLAY_KEYS)}"
            issues.append(doc.issue((key,), f"key {key!r} cannot be overlaid{hint}"))
        if not bad:
            found[path.name.rsplit(".", 1)[0]] = doc
    return found


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key, `null` removes a key, anything else replaces (lists too:
    a pool is an ordered ranking, so appending to it would be a surprise)."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = deep_merge(base.get(key), value)
        return merged
    return over


def _merge_overlay(doc: Document, over: Document) -> Document:
    return Document(doc.path, deep_merge(doc.data, over.data), doc.marks, overlay=over)


def _rename_for_environment(data: dict[str, Any], overlay: Overlay) -> dict[str, Any]:
    data = dict(data)
    if isinstance(data.get("name"), str):
        data["name"] = overlay.rename(data["name"])
    old = data.get("renamed_from")
    if isinstance(old, str):
        data["renamed_from"] = overlay.rename(old)
    elif isinstance(old, list):
        data["renamed_from"] = [overlay.rename(o) if isinstance(o, str) else o for o in old]
    return data


def _attach_test_files(
    routers: list[RouterFile],
    test_paths: list[Path],
    issues: list[Issue],
    overlay: Overlay | None = None,
) -> list[RouterFile]:
    """`<router-name>.tests.yaml` adds routing cases to the router of that name."""
    by_name = {r.spec.name: r for r in routers}
    for path in test_paths:
        try:
            doc = read_document(path, required_mapping=False)
        except SpecError as exc:
            issues += exc.issues
            continue
        router_name = path.name.rsplit(".tests.", 1)[0]
        if overlay is not None:
            router_name = overlay.rename(router_name)
        target = by_name.get(router_name)
        if target is None:
            issues.append(
                doc.issue(
                    (),
                    f"no router named {router_name!r} for this tests file"
                    + suggest(router_name, by_name),
                    code="orphan-tests",
                )
            )
            continue
        data = doc.data.get("tests") if isinstance(doc.data, dict) else doc.data
        loc: tuple[str | int, ...] = ("tests",) if isinstance(doc.data, dict) else ()
        if not isinstance(data, list):
            issues.append(
                doc.issue(loc, "a tests file is a list of cases (or `tests:` with a list)")
            )
            continue
        cases: list[RoutingCase] = []
        for index, item in enumerate(data):
            try:
                cases.append(RoutingCase.model_validate(item))
            except ValidationError as exc:
                for err in exc.errors():
                    issues.append(
                        doc.issue(
                            (*loc, index, *err["loc"]),
                            f"{err['msg']}"
                            + (
                                suggest(str(err["loc"][-1]), RoutingCase.model_fields)
                                if err["type"] == "extra_forbidden"
                                else ""
                            ),
                            code="bad-test",
                        )
                    )
        issues += _check_tests(doc, target.spec, cases, loc)
        merged = target.spec.model_copy(update={"tests": [*target.spec.tests, *cases]})
        by_name[router_name] = RouterFile(merged, target.doc)
    return [by_name.get(r.spec.name, r) for r in routers]


def _cross_file_issues(routers: list[RouterFile]) -> list[Issue]:
    issues: list[Issue] = []
    first: dict[str, RouterFile] = {}
    for router in routers:
        name = router.spec.name
        if name in first:
            other = first[name]
            line = other.doc.mark(("name",))[0]
            issues.append(
                router.doc.issue(
                    ("name",),
                    f"router name {name!r} is already used by {other.path}:{line}; "
                    "names must be unique",
                    code="duplicate-name",
                )
            )
        else:
            first[name] = router
    claimed: dict[str, RouterFile] = {}
    for router in routers:
        for index, old in enumerate(router.spec.renamed_from):
            if old in first and old != router.spec.name:
                issues.append(
                    router.doc.issue(
                        ("renamed_from", index),
                        f"{old!r} is still declared by {first[old].path}; a router cannot be "
                        "renamed from a name that still exists in the files",
                        code="rename-conflict",
                    )
                )
            if old in claimed and claimed[old] is not router:
                issues.append(
                    router.doc.issue(
                        ("renamed_from", index),
                        f"{old!r} is also in renamed_from of {claimed[old].path}",
                        code="rename-conflict",
                    )
                )
            claimed.setdefault(old, router)
    return issues


# --- project settings -------------------------------------------------------------------------


def load_settings(path: str | Path | None) -> tuple[ProjectSettings, Path | None]:
    """routerctl.yaml (or the file given with --config). A missing default file is fine."""
    if path is None:
        default = Path("routerctl.yaml")
        if not default.exists():
            return ProjectSettings(), None
        path = default
    doc = read_document(path)
    try:
        return ProjectSettings.model_validate(doc.data), Path(path)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            hint = ""
            if err["type"] == "extra_forbidden" and len(loc) == 1:
                hint = suggest(str(loc[-1]), ProjectSettings.model_fields)
            issues.append(doc.issue(loc, f"{err['msg']}{hint}", code="bad-settings"))
        raise SpecError(issues) from None


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Shell-style glob match of a router name (prune scope, protect lists)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def dump_yaml(data: Any) -> str:
    """Block-style YAML with keys in the given order (import, fmt)."""
    return yaml.dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
