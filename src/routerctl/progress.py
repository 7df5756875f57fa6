"""What a person watching a long refresh or apply sees: a live counter on a terminal, one plain
line per event anywhere else.

This is rich's one home. It is imported only when stderr is a terminal and a phase starts, so
`routerctl --help`, piped runs and CI logs never load it (bench/bench_startup.py).

Everything routerctl prints to stderr while a phase runs (a router finished, a retry, a wait
and why) still goes through click.echo: on a terminal, rich's stderr redirect puts those lines
above the counter, so nothing is lost and nothing is drawn twice. Off a terminal there is no
counter at all: no spinners, no carriage returns, one line per event, as CI logs want.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from routerctl.term import is_tty


class Display:
    """The progress display of one command run (stderr)."""

    def __init__(self, *, live: bool, color: bool = True, stream: TextIO | None = None) -> None:
        self.live = live
        self.color = color
        self._stream = stream
        self._progress: Any = None  # rich.progress.Progress while a live phase runs
        self._task: Any = None
        self._counts_requests = False
        self.completed: list[str] = []  # what finished, in order (for an interrupted run)

    @contextmanager
    def phase(self, label: str, total: int | None = None) -> Iterator[Display]:
        """A stretch of work with a counter: `applying 3/40 routers · 0:00:05`. Without a
        total (a refresh, where the count is unknown until the pages are read) it counts
        API requests instead. The counter disappears when the phase ends, also on Ctrl-C."""
        if not self.live:
            yield self
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=self._stream or sys.stderr, no_color=not self.color, highlight=False)
        columns: list[Any] = [TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(bar_width=24), MofNCompleteColumn(), TextColumn("routers")]
        else:
            columns += [TextColumn("{task.completed} requests")]
        columns += [TextColumn("·"), TimeElapsedColumn(), TextColumn("{task.fields[note]}")]
        progress = Progress(
            *columns,
            console=console,
            transient=True,  # the counter is not a record; the lines above it are
            redirect_stdout=False,  # stdout carries the plan and the report, never the counter
            redirect_stderr=True,
            refresh_per_second=8,
        )
        self._progress = progress
        self._counts_requests = total is None
        self._task = progress.add_task(label, total=total, note="")
        try:
            with progress:
                yield self
        finally:
            self._progress = None
            self._task = None

    def step(self, name: str) -> None:
        """One router done."""
        self.completed.append(name)
        if self._progress is not None and not self._counts_requests:
            self._progress.advance(self._task)

    def request(self) -> None:
        """One API request answered: the counter of a phase with no known total."""
        if self._progress is not None and self._counts_requests:
            self._progress.advance(self._task)

    def status(self, note: str) -> None:
        """Why the counter is not moving (a wait), shown beside it until the next note."""
        if self._progress is not None:
            self._progress.update(self._task, note=f"· {note}" if note else "")


SHOW_WAITS_FROM = 2.0  # seconds: a shorter wait is not worth a line (issue 15: "> 2 s says why")
_WAIT = re.compile(r"\b(?:in|waiting|wait)\s+(\d+(?:\.\d+)?)\s*s\b")


def worth_a_line(event: str) -> bool:
    """Whether a client event gets its own line: any event that is not a wait (a router
    deleted meanwhile, a create found to have happened) and any wait of 2 s or more. Shorter
    waits only show beside the live counter; `--debug` prints every event."""
    waits = [float(m) for m in _WAIT.findall(event)]
    return not waits or max(waits) >= SHOW_WAITS_FROM


def is_wait(event: str) -> bool:
    """Whether a client event reports a wait (`retrying in 0.4 s`): those show beside the live
    counter; the client announces each one over 2 s itself, as a WaitNotice with its reason."""
    return bool(_WAIT.search(event))


def open_display(*, color: bool, stream: TextIO | None = None, enabled: bool = True) -> Display:
    """A live display when `stream` (stderr) is a terminal that is not `TERM=dumb`."""
    import os

    target = stream or sys.stderr
    live = enabled and is_tty(target) and os.environ.get("TERM") != "dumb"
    return Display(live=live, color=color, stream=target)
