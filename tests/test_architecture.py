"""The shape of the code, enforced on itself (an `ast` scan of src/routerctl).

The pipeline runs one way, `spec → client → diff → plan → render → apply`, with `cli` as
glue: these tests fail when an import points against that flow, when a third-party library
leaves its one home, or when a module or a click command grows past its cap. The allowlists
only shrink: a module that got smaller is held to its new size by lowering its number here,
and one that fits under the cap must leave the list.

See docs/architecture.md for what each layer owns.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "routerctl"

# --- what the rules are --------------------------------------------------------------------

# Third-party library → the layers that may import it. A library not listed here may not be
# imported at all: adding one means giving it a home, on purpose.
LIBRARY_HOMES: dict[str, frozenset[str]] = {
    "httpx": frozenset({"client"}),
    "yaml": frozenset({"spec"}),
    "ruamel": frozenset({"fmt"}),
    "click": frozenset({"cli"}),
    "pydantic": frozenset({"models", "spec"}),
    # The routing preview's embedding model (the optional `semantic` extra), imported lazily:
    # wordllama's packaged files, read with its own dependencies.
    "numpy": frozenset({"predict"}),
    "safetensors": frozenset({"predict"}),
    "tokenizers": frozenset({"predict"}),
    # The live progress counter: one module, imported only when stderr is a terminal.
    "rich": frozenset({"progress"}),
    # Why a saved plan is stale, field by field: only apply refuses plans.
    "deepdiff": frozenset({"apply"}),
}
# Exceptions to LIBRARY_HOMES that exist today and are to go (only ever removed from).
HOME_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("client", "pydantic"),  # ValidationError of LiveRouter parsing; belongs in models
    }
)

# Layer → layers it must never import (at run time; `if TYPE_CHECKING:` imports are types).
_ABOVE_PLAN = frozenset({"render", "render_cost", "apply", "workflow", "cli"})
FORBIDDEN: dict[str, frozenset[str]] = {
    "errors": frozenset({"models", "spec", "client", "diff", "plan", "cost"}) | _ABOVE_PLAN,
    "models": frozenset({"spec", "client", "diff", "plan", "cost", "routing_tests"}) | _ABOVE_PLAN,
    "spec": frozenset({"client", "diff", "plan", "cost", "costplan", "routing_tests"})
    | _ABOVE_PLAN,
    "client": frozenset(
        {"spec", "diff", "plan", "cost", "costplan", "routing_tests", "importer", "fmt"}
    )
    | _ABOVE_PLAN,
    "diff": frozenset({"spec", "client", "cost", "costplan", "routing_tests"}) | _ABOVE_PLAN,
    "plan": frozenset({"spec", "client", "diff", "cost", "costplan"}) | _ABOVE_PLAN,
    "outcome": frozenset({"spec", "client", "diff"}) | _ABOVE_PLAN,
    "cost": frozenset({"spec", "client", "diff", "plan", "costplan", "routing_tests"})
    | _ABOVE_PLAN,
    "render": frozenset({"spec", "client", "diff", "apply", "workflow", "cli", "costplan"}),
    "render_cost": frozenset({"spec", "client", "diff", "apply", "workflow", "cli", "costplan"}),
    "apply": frozenset({"spec", "client", "diff", "render", "render_cost", "workflow", "cli"}),
    "workflow": frozenset({"render", "render_cost", "cli"}),
    "routing_tests": frozenset({"client", "diff", "apply", "workflow", "cli"}),
    # Predictors read specs and answer routes; plans and renderers call them, never back.
    "predict": frozenset({"spec", "client", "diff", "plan", "cost", "costplan"}) | _ABOVE_PLAN,
}
# Every layer but the entry points stays below the CLI.
CLI_IMPORTERS = frozenset({"__main__"})

MODULE_LINE_CAP = 500
# Modules over the cap today, with the most lines each may have. Only ever lowered or removed.
MODULE_LINE_ALLOWLIST: dict[str, int] = {
    "emulator.server": 700,  # handlers only; the HTTP plumbing is emulator/http.py
}

COMMAND_LINE_CAP = 60
# click commands over the cap today (lines of the function, decorators excluded).
COMMAND_LINE_ALLOWLIST: dict[str, int] = {}

# --- the scan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, relative to routerctl ("client", "emulator.server")
    target: str  # what it imports, absolute ("httpx", "routerctl.spec")
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for child in node.body:
                for inner in ast.walk(child):
                    if hasattr(inner, "lineno"):
                        lines.add(inner.lineno)
    return lines


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


@cache
def imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        typing_only = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in typing_only:
                continue
            if isinstance(node, ast.Import):
                found += [Import(name, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append(Import(name, node.module, node.lineno))
    return tuple(found)


def layer(module: str) -> str:
    """The layer a module belongs to: its first component (a package is one layer)."""
    return module.split(".")[0]


def internal_target(target: str) -> str | None:
    if target == "routerctl":
        return ""
    if target.startswith("routerctl."):
        return target.removeprefix("routerctl.")
    return None


def _where(item: Import) -> str:
    return f"src/routerctl/{modules()[item.module].relative_to(SRC)}:{item.line}"


# --- the tests -----------------------------------------------------------------------------


def test_the_scan_sees_the_code() -> None:
    # A scan that finds nothing passes every rule: make sure it is looking at the real tree.
    names = set(modules())
    assert {"cli", "client", "spec", "diff", "plan", "render", "apply", "workflow"} <= names
    assert any(layer(i.module) == "client" and i.target == "httpx" for i in imports())
    assert any(layer(i.module) == "cli" and i.target == "click" for i in imports())


def test_each_third_party_library_lives_in_its_one_home() -> None:
    stdlib = sys.stdlib_module_names
    problems = []
    for item in imports():
        top = item.target.split(".")[0]
        if top in stdlib or top == "routerctl" or top == "__future__":
            continue
        homes = LIBRARY_HOMES.get(top)
        if homes is None:
            problems.append(f"{_where(item)}: {top} has no home in LIBRARY_HOMES")
        elif layer(item.module) not in homes and (layer(item.module), top) not in HOME_EXCEPTIONS:
            problems.append(
                f"{_where(item)}: imports {top}, whose home is {', '.join(sorted(homes))}"
            )
    assert problems == []


def test_home_exceptions_are_still_needed() -> None:
    used = {(layer(i.module), i.target.split(".")[0]) for i in imports()}
    assert sorted(HOME_EXCEPTIONS - used) == [], "an exception is gone: remove it from the list"


def test_no_import_runs_against_the_pipeline() -> None:
    problems = []
    for item in imports():
        target = internal_target(item.target)
        if target is None:
            continue
        source, dest = layer(item.module), layer(target) if target else ""
        if source == "emulator":
            # The emulator stands in for the API: it must not share code with the client side.
            if dest != "emulator":
                problems.append(f"{_where(item)}: the emulator imports routerctl.{target}")
            continue
        if dest == "emulator" and source not in ("cli", ""):
            problems.append(f"{_where(item)}: only the CLI starts the emulator")
        if dest == "cli" and source != "cli" and item.module not in CLI_IMPORTERS:
            problems.append(f"{_where(item)}: imports the CLI (glue sits on top of everything)")
        if dest in FORBIDDEN.get(source, frozenset()):
            problems.append(f"{_where(item)}: {source} must not import {dest}")
    assert problems == []


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_modules_stay_under_the_line_cap() -> None:
    problems = []
    for name, path in modules().items():
        count = _lines(path)
        allowed = MODULE_LINE_ALLOWLIST.get(name, MODULE_LINE_CAP)
        if count > allowed:
            problems.append(f"{name}: {count} lines, over its cap of {allowed}")
    assert problems == []


def test_the_line_allowlist_only_shrinks() -> None:
    present = modules()
    stale = [
        f"{name}: {'gone' if name not in present else f'{_lines(present[name])} lines'}"
        for name in MODULE_LINE_ALLOWLIST
        if name not in present or _lines(present[name]) <= MODULE_LINE_CAP
    ]
    assert stale == [], "under the cap now: remove from MODULE_LINE_ALLOWLIST"


def _commands() -> dict[str, int]:
    found: dict[str, int] = {}
    for name, path in modules().items():
        if layer(name) != "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            if any(".command" in d for d in decorators):
                assert node.end_lineno is not None
                found[node.name] = node.end_lineno - node.lineno + 1
    return found


def test_click_commands_are_glue() -> None:
    commands = _commands()
    assert {"plan", "apply", "validate"} <= set(commands)
    over = {
        name: count
        for name, count in commands.items()
        if count > COMMAND_LINE_ALLOWLIST.get(name, COMMAND_LINE_CAP)
    }
    assert over == {}


def test_the_command_allowlist_only_shrinks() -> None:
    commands = _commands()
    stale = [n for n in COMMAND_LINE_ALLOWLIST if commands.get(n, 0) <= COMMAND_LINE_CAP]
    assert stale == [], "at or under the cap now: remove from COMMAND_LINE_ALLOWLIST"


@pytest.mark.parametrize(
    ("source", "target", "broken"),
    [
        ("client", "routerctl.routing_tests", True),  # the 0.1.0 edge this test was made for
        ("diff", "routerctl.spec", True),
        ("render", "routerctl.apply", True),
        ("emulator.server", "routerctl.models", True),
        ("spec", "routerctl.cli", True),
        ("cli", "routerctl.workflow", False),
        ("render", "routerctl.plan", False),
    ],
)
def test_the_rules_catch_a_wrong_edge(source: str, target: str, broken: bool) -> None:
    # The rule table itself, on edges we know the answer for (so an edit to the table that
    # quietly allows a known-bad edge fails here).
    dest = layer(internal_target(target) or "")
    src = layer(source)
    wrong = (
        (src == "emulator" and dest != "emulator")
        or (dest == "cli" and source not in CLI_IMPORTERS)
        or dest in FORBIDDEN.get(src, frozenset())
    )
    assert wrong is broken


def test_the_layer_table_in_docs_architecture_is_current() -> None:
    path = SRC.parents[1] / "scripts" / "gen_architecture.py"
    spec = importlib.util.spec_from_file_location("gen_architecture", path)
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    current = generator.DOC.read_text(encoding="utf-8")
    assert "| `workflow` |" in current  # the table is really there
    assert generator.render(current) == current, "run: make docs"
