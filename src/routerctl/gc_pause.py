"""Cyclic garbage collection off while routerctl builds many small objects at once.

Parsing 5,000 router files (YAML nodes, dicts, pydantic models) or a list of 1,000 routers
allocates millions of objects and no reference cycles: `gc.collect()` afterwards finds nothing
to free. Yet the collector runs a pass every 700 allocations, and full passes over everything
alive, the freshly parsed routers included (also once more when the interpreter exits).
Measured on validate of 5,000 files (CPU time, bench/README.md "gc"): collector as before
2.17 s, paused while parsing 1.74 s, paused then frozen 1.56 s (-28%).

So the block runs with the collector off (reference counting frees everything as usual), and
is switched back on after it. In the CLI (`FREEZE`, set by cli.main) what exists then is also
moved to the permanent generation (`gc.freeze()`), where later passes, and the one at exit, do
not walk it again; a cycle among those objects would then not be collected, which does not
matter to a process that is about to end, but would to a library caller, so the Python API
leaves it off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: False runs with the collector untouched: how bench/bench_validate.py measures "before".
ENABLED = True
#: Freeze what exists at the end of a block (the CLI only; see the module doc).
FREEZE = False


@contextmanager
def paused() -> Iterator[None]:
    """The block runs without cyclic collection (nested blocks are fine)."""
    if not ENABLED or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if FREEZE:
            gc.freeze()
        gc.enable()
