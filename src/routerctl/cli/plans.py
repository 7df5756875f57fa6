"""`plan`, `show` and `apply`: the pipeline's output, saved plans, consent, the apply report."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from routerctl.cli.group import cli
from routerctl.cli.options import (
    FORMATS,
    _client,
    _display,
    _err,
    _plan_project,
    _project,
    _use_color,
    api_options,
    project_options,
    target_option,
)
from routerctl.errors import ExitCode

if TYPE_CHECKING:
    from routerctl.client import RouterClient
    from routerctl.plan import Plan


@cli.command()
@project_options
@target_option
@click.option("--prune", is_flag=True, help="Plan deletes of in-scope routers with no file.")
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan for `apply FILE`.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes (0 none, 1 error)."
)
@click.option("--no-color", is_flag=True, help="No ANSI colours (also: NO_COLOR).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--changed-since", metavar="REF", help="Only routers changed since git REF.")
@click.option("--max-requests", type=click.IntRange(1), help="Refuse a plan needing more.")
@click.option("-v", "--verbose", is_flag=True, help="Name every unchanged/unmanaged router.")
@click.option("--no-routing-preview", "no_preview", is_flag=True, help="Skip predicted routing.")
@api_options
def plan(
    directory: str | None,
    env: str | None,
    config: str | None,
    targets: tuple[str, ...],
    prune: bool,
    out: str | None,
    fmt: str,
    detailed_exitcode: bool,
    no_color: bool,
    parallelism: int,
    verbose: bool,
    no_preview: bool,
    api_url: str | None,
    token_file: str | None,
    timeout: float,
    **reads: Any,  # --changed-since, --max-requests: what to read, straight to plan_project
) -> int:
    """Show what apply would change on the live routers.

    \b
    Example:
      routerctl plan
      routerctl plan --format markdown --detailed-exitcode   # PR comment / drift check
      routerctl plan --out plan.json && routerctl apply plan.json
    """
    from routerctl.plan import save_plan
    from routerctl.render import render_plan_as

    project = _project(directory, env, config)
    with _client(project, api_url, token_file, parallelism, timeout) as client:
        result = _plan_project(
            project, client, targets=targets, prune=prune, preview=not no_preview, **reads
        )
    click.echo(render_plan_as(result, fmt, color=_use_color(no_color), verbose=verbose), nl=False)
    if out:
        save_plan(result, out)
        _err(f"Saved plan to {out}; apply it with: routerctl apply {out}")
    if detailed_exitcode and not result.in_sync:  # an orphan is drift too
        return ExitCode.CHANGES
    return ExitCode.OK


# Piped `yes` is refused on purpose: a confirmation nobody read is not one (see README).
APPLY_NEEDS_TTY = (
    "refusing to apply without confirmation: stdin is not a terminal, so nobody can answer "
    "(piped input is not accepted). Either pass --auto-approve, or review a saved plan and "
    "apply it: routerctl plan --out plan.json, then routerctl apply plan.json"
)


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


@cli.command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@project_options
@target_option
@click.option("--prune", is_flag=True, help="Also delete in-scope routers with no file.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-mass-delete", is_flag=True, help="Allow >10 deletes, or over half.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--no-color", is_flag=True, help="No ANSI colours (also: NO_COLOR).")
@click.option("--allow-unknown-models", is_flag=True, help="Apply model ids the catalog lacks.")
@click.option("--force-in-use", is_flag=True, help="Delete/rename routers that agents use.")
@api_options
def apply(
    planfile: str | None,
    directory: str | None,
    env: str | None,
    config: str | None,
    targets: tuple[str, ...],
    prune: bool,
    auto_approve: bool,
    allow_mass_delete: bool,
    parallelism: int,
    fmt: str,
    no_color: bool,
    allow_unknown_models: bool,
    force_in_use: bool,
    api_url: str | None,
    token_file: str | None,
    timeout: float,
) -> int:
    """Make the live routers match the files (or apply a reviewed, saved plan).

    Without PLANFILE: computes a fresh plan, shows it, asks for `yes` (or --auto-approve).
    With PLANFILE: no prompt; environment, targets and --prune are the plan's; it is re-judged
    against live routers and today's routerctl.yaml and refused if edited, stale or disallowed.

    \b
    Example:
      routerctl apply --auto-approve --prune
      routerctl apply plan.json
    """
    from routerctl import apply as run
    from routerctl.outcome import ApplyResult
    from routerctl.plan import load_plan
    from routerctl.render import render_plan
    from routerctl.savedplan import environment_for, rejudge

    if planfile and (targets or prune):
        raise click.UsageError("--target and --prune cannot be used with PLANFILE (see `plan`)")
    saved = load_plan(planfile) if planfile else None
    if saved is not None:
        env = environment_for(saved, env, str(planfile))
    project = _project(directory, env, config)
    color = _use_color(no_color)
    show = (lambda text: _err(text.rstrip("\n"))) if fmt == "json" else click.echo
    with _client(project, api_url, token_file, max(parallelism, 8), timeout) as client:
        if saved is not None:
            the_plan = rejudge(saved, project, client, source=str(planfile))
        else:
            the_plan = _plan_project(project, client, targets=targets, prune=prune)
        show(render_plan(the_plan, color=color, title="routerctl apply").rstrip("\n"))
        if the_plan.is_empty:
            if fmt == "json":
                _emit_apply(ApplyResult(()), fmt, color)
            return ExitCode.OK
        run.refuse_mass_delete(the_plan, allow_mass_delete)
        run.check_before_apply(the_plan, client, allow_unknown_models, force_in_use)
        if saved is None and not auto_approve and not _confirmed():
            return ExitCode.ERROR
        _execute(the_plan, client, parallelism, fmt, color)
    return ExitCode.OK


def _execute(the_plan: Plan, client: RouterClient, parallelism: int, fmt: str, color: bool) -> None:
    """Run the plan (SIGTERM as Ctrl-C), check each created name exists once, and print the
    report — also when the run stopped part-way, before the error propagates."""
    from routerctl import apply as run
    from routerctl.errors import ApplyError
    from routerctl.settle import verify_created

    try:
        with run.terminate_as_interrupt(), _applying(len(the_plan.changes)):
            result = run.apply_plan(the_plan, client, parallelism=parallelism, on_outcome=_tick)
        verify_created(result, client.list_router_summaries, on_event=_err)
    except ApplyError as exc:
        _emit_apply(exc.result, fmt, color)
        raise
    _emit_apply(result, fmt, color)


def _confirmed() -> bool:
    from routerctl.errors import ConfigError

    if not _stdin_is_tty():
        raise ConfigError(APPLY_NEEDS_TTY)
    answer = click.prompt(
        "\nApply these changes? Only 'yes' is accepted",
        default="",
        show_default=False,
        err=True,  # stdout carries only the plan and the report
    )
    if answer.strip() != "yes":
        _err("Apply cancelled; nothing was changed.")
    return answer.strip() == "yes"


def _applying(total: int) -> Any:  # the live `applying N/M routers` counter
    return _display().phase("applying", total=total)


def _tick(outcome: Any) -> None:
    mark = {"failed": "✗", "skipped": "·"}.get(outcome.status, "✓")
    _err(f"{mark} {outcome.name}: {outcome.status}{f': {outcome.error}' if outcome.error else ''}")
    _display().step(outcome.name)


def _emit_apply(result: Any, fmt: str, color: bool) -> None:
    import json

    from routerctl.render import render_apply_result

    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(render_apply_result(result, color=color), nl=False)


@cli.command()
@click.argument("planfile", type=click.Path(dir_okay=False, exists=True))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--no-color", is_flag=True, help="No ANSI colours (also: NO_COLOR).")
@click.option("-v", "--verbose", is_flag=True, help="Name every unchanged/unmanaged router.")
def show(planfile: str, fmt: str, no_color: bool, verbose: bool) -> int:
    """Render a saved plan without applying it (no API call).

    PLANFILE is a plan saved with `routerctl plan --out FILE`.

    \b
    Example:
      routerctl show plan.json --format markdown > comment.md
    """
    from routerctl.plan import load_plan
    from routerctl.render import render_plan_as

    the_plan = load_plan(planfile)
    click.echo(render_plan_as(the_plan, fmt, color=_use_color(no_color), verbose=verbose), nl=False)
    return ExitCode.OK
