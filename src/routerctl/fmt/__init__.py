"""`routerctl fmt`: rewrite router files in canonical form without losing a comment.

Canonical form: top-level keys in the order of the file format (unknown keys last, in their
order), task and preset bodies as description, models, prefer; 2-space mapping indentation with
`- ` items indented under their key; flow lists such as `[a, b]` kept as flow lists; folded
(`>-`) and literal (`|`) text kept as written; every comment kept (full-line comments indented
like the line they precede); at most one blank line in a row; one trailing newline.

Only fmt.text imports ruamel.yaml, whose round-trip mode re-emits YAML with comments. Key
order is changed on the text instead, before ruamel sees it, because ruamel stores a full-line
comment on the key *before* it, so moving keys in its tree would move comments away from the
keys they describe. Two checks guard every rewrite: the result must parse (with spec, the
same reader validate uses) to exactly the same data, and must keep every comment; a file
either check fails for is refused with a message, never rewritten.
"""

from routerctl.fmt.files import FmtResult, FormattedFile, format_paths
from routerctl.fmt.text import BODY_ORDER, BODY_SECTIONS, TOP_LEVEL_ORDER, format_text

__all__ = [
    "BODY_ORDER",
    "BODY_SECTIONS",
    "TOP_LEVEL_ORDER",
    "FmtResult",
    "FormattedFile",
    "format_paths",
    "format_text",
]
