"""The click commands: parse options, call the library, render, map errors to exit codes.

Glue only, one module per command family (see docs/architecture.md). Heavy modules (pydantic,
httpx, rich) are imported inside the commands that need them so `routerctl --help` stays fast.
Importing the family modules registers their commands on the group.
"""

from routerctl.cli import check, costs, emulator, live, plans, routing, setup  # noqa: F401
from routerctl.cli.group import cli, main

__all__ = ["cli", "main"]
