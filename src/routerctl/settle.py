"""Creates on an API that may allow duplicate names and may list new routers late.

The API reference does not say that router names are unique, nor that the list endpoint
shows a router as soon as its POST returns. With both weak, "the create's answer was lost;
the name is not listed; send it again" makes a second router with the same name, and a
third, and so on (3 files became 11 live routers that way). So:

- after a create whose outcome is unknown, the name is looked up until it is listed or the
  list has had `window` seconds to catch up (bounded, with backoff, every wait said), and
  only then is the POST sent again;
- after apply, every created router is looked for in the list (again bounded) and a name
  listed more than once is an error naming every uuid.

`ROUTERCTL_LIST_SETTLE` sets the window in seconds (default 10, 0 to 300; 0 = look once).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from routerctl.errors import ApplyError, ConfigError, ExitCode
from routerctl.models import LiveRouter

if TYPE_CHECKING:
    from routerctl.outcome import ApplyResult

ENV_VAR = "ROUTERCTL_LIST_SETTLE"
DEFAULT_WINDOW = 10.0
MAX_WINDOW = 300.0
FIRST_WAIT = 0.25

Lister = Callable[[], Sequence[LiveRouter]]


def window_from_env(environ: Mapping[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    raw = env.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_WINDOW
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_WINDOW:
        raise ConfigError(f"${ENV_VAR} must be a number of seconds from 0 to {MAX_WINDOW:g}")
    return value


def find_settled(
    list_summaries: Lister,
    name: str,
    get: Callable[[str], LiveRouter | None],
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    emit: Callable[[str], None],
    window: float | None = None,
) -> LiveRouter | None:
    """The router named `name` (the oldest, with its config) once the list shows it, or None
    when `window` seconds (default: $ROUTERCTL_LIST_SETTLE or 10) of looking did not find it."""
    window = window_from_env() if window is None else window
    started = clock()
    wait = FIRST_WAIT
    while True:
        found = sorted(
            (r for r in list_summaries() if r.name == name),
            key=lambda r: (r.created_at or "", r.uuid),
        )
        if found:
            return found[0] if found[0].has_config else get(found[0].uuid)
        elapsed = clock() - started
        if elapsed >= window:
            if window > 0:
                emit(f"router {name!r} is still not listed after {elapsed:.1f} s: not created")
            return None
        step = min(wait, window - elapsed)
        emit(
            f"router {name!r} is not listed (yet?): the list may lag; looking again in "
            f"{step:.2f} s ({elapsed:.1f} of at most {window:g} s)"
        )
        sleep(step)
        wait *= 2


def duplicates_after_apply(
    created: Mapping[str, str],
    list_summaries: Lister,
    *,
    window: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    emit: Callable[[str], None],
) -> list[str]:
    """Problems with the routers apply created ({name: uuid}): a name listed more than once
    (every uuid named). Waits up to `window` for the list to show every created uuid."""
    if not created:
        return []
    started = clock()
    wait = FIRST_WAIT
    while True:
        listed = list(list_summaries())
        missing = set(created.values()) - {r.uuid for r in listed}
        elapsed = clock() - started
        if not missing or elapsed >= window:
            break
        step = min(wait, window - elapsed)
        emit(
            f"checking for duplicates: {len(missing)} created router(s) not listed yet; "
            f"looking again in {step:.2f} s ({elapsed:.1f} of at most {window:g} s)"
        )
        sleep(step)
        wait *= 2
    problems = []
    for name in sorted(created):
        same = sorted((r for r in listed if r.name == name), key=lambda r: r.uuid)
        if len(same) > 1:
            problems.append(
                f"{len(same)} live routers are named {name!r} after apply: "
                f"{', '.join(r.uuid for r in same)} (apply created {created[name]})"
            )
    if missing:
        emit(
            f"could not confirm {len(missing)} created router(s) in the list after "
            f"{window:g} s; run `routerctl plan` to check for duplicates"
        )
    return problems


def verify_created(
    result: ApplyResult,
    list_summaries: Lister,
    *,
    on_event: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """ApplyError (exit 3, carrying `result`) if a router apply created is listed twice."""
    created = {o.name: o.uuid for o in result.outcomes if o.status == "created" and o.uuid}
    problems = duplicates_after_apply(
        created, list_summaries, window=window_from_env(), sleep=sleep, clock=clock, emit=on_event
    )
    if problems:
        raise ApplyError(
            "; ".join(problems) + ". Delete the extra ones (control panel or API); clients "
            "may reach either",
            result,
            ExitCode.PARTIAL,
        )
