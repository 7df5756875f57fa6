"""Find and read router files: safe YAML with line numbers, schema and semantic checks,
cross-file checks. Every problem in every file is collected into one report.

This is the only package that imports yaml. It never touches the network.

  document  the safe YAML reader: positions, size/depth/alias/number limits
  messages  issues in the file's vocabulary, did-you-mean
  rules     semantic rules and warnings on one router
  loader    collect/load routers, tests files, overlays, project settings
  dump      YAML writing (import, fmt)

Every name below was importable from the single-module `routerctl.spec`; it stays so.
"""

from __future__ import annotations

from routerctl.discover import ROUTER_SUFFIXES, TESTS_SUFFIXES, find_router_files
from routerctl.overlay import Overlay, deep_merge
from routerctl.similarity import SIMILAR_DESCRIPTION_RATIO
from routerctl.spec.document import (
    MAX_ABS_NUMBER,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT_DIGITS,
    MAX_NODES,
    Document,
    Path_,
    _Loader,
    format_loc,
    parse_document,
    read_document,
)
from routerctl.spec.dump import dump_yaml
from routerctl.spec.loader import (
    LoadResult,
    RouterFile,
    collect_routers,
    load_routers,
    load_settings,
)
from routerctl.spec.messages import SUGGEST_MAX_CHARS, SUGGEST_MAX_CHOICES, suggest
from routerctl.spec.rules import (
    MAX_MODELS_PER_TASK,
    MAX_NAME_LEN,
    NAME_RE,
    check_router,
    similar_description_issues,
)

__all__ = [
    "MAX_ABS_NUMBER",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_INT_DIGITS",
    "MAX_MODELS_PER_TASK",
    "MAX_NAME_LEN",
    "MAX_NODES",
    "NAME_RE",
    "ROUTER_SUFFIXES",
    "SIMILAR_DESCRIPTION_RATIO",
    "SUGGEST_MAX_CHARS",
    "SUGGEST_MAX_CHOICES",
    "TESTS_SUFFIXES",
    "Document",
    "LoadResult",
    "Overlay",
    "Path_",
    "RouterFile",
    "_Loader",
    "check_router",
    "collect_routers",
    "deep_merge",
    "dump_yaml",
    "find_router_files",
    "format_loc",
    "load_routers",
    "load_settings",
    "parse_document",
    "read_document",
    "similar_description_issues",
    "suggest",
]
