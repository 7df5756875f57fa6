"""The click commands: parse options, call the library, render, map errors to exit codes.

Glue only. Heavy modules (pydantic, httpx) are imported inside the commands that
need them so `routerctl --help` stays fast. The one place errors become exit codes is
`RouterctlGroup.main`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from routerctl import gc_pause  # stdlib only: start-up stays fast
from routerctl.errors import ExitCode, RouterctlError

if TYPE_CHECKING:
    from routerctl.client import RouterClient
    from routerctl.errors import Issue
    from routerctl.plan import Plan
    from routerctl.progress import Display
    from routerctl.project import Project
    from routerctl.spec import LoadResult

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
FORMATS = click.Choice(["text", "json", "markdown"])
DEBUG_KEY = "routerctl.debug"
DISPLAY_KEY = "routerctl.display"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("routerctl")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def _print_version(ctx: click.Context, value: bool) -> None:
    # Read from package metadata only when asked: doing it while declaring the option cost
    # every command ~24 ms of start-up.
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"routerctl, version {_version()}")
    ctx.exit()


class RouterctlGroup(click.Group):
    """Maps every outcome to the documented exit codes (see README): usage errors are 64,
    never 2, so a typo cannot look like "changes present" to a CI script."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Global options before or after the command (routerctl.globalopts says how).
        from routerctl.globalopts import hoist

        def accepts(name: str) -> set[str] | None:
            command = self.commands.get(name)
            return None if command is None else {o for p in command.params for o in p.opts}

        try:
            args = hoist(args, accepts)
        except RouterctlError:
            if not ctx.resilient_parsing:  # shell completion never prints an error
                raise
        return super().parse_args(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        from routerctl.redact import guarded_stdio

        with guarded_stdio():  # all output: secrets scrubbed, control characters spelled out
            self._main(*args, **kwargs)

    def _main(self, *args: Any, **kwargs: Any) -> NoReturn:
        from routerctl.errors import report_lines
        from routerctl.redact import format_exception

        kwargs["standalone_mode"] = False
        argv = kwargs.get("args", args[0] if args else None)
        debug = "--debug" in (sys.argv[1:] if argv is None else argv)
        debug = debug or os.environ.get("ROUTERCTL_DEBUG") == "1"
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            exc.show()
            sys.exit(ExitCode.USAGE)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(ExitCode.ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(ExitCode.ERROR)
        except KeyboardInterrupt as exc:
            click.echo("Interrupted.", err=True)
            sys.exit(getattr(exc, "exit_code", ExitCode.INTERRUPTED))
        except Exception as exc:  # RouterctlError, or a bug: scrubbed lines either way
            # --debug prints the traceback here: Python's hook would print it past the boundary.
            lines = [format_exception(exc).rstrip("\n")] if debug else report_lines(exc)
            for line in lines:
                click.echo(line, err=True)
            sys.exit(exc.exit_code if isinstance(exc, RouterctlError) else ExitCode.ERROR)
        sys.exit(code if isinstance(code, int) else 0)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _err(message: str) -> None:
    click.echo(message, err=True)


def _use_color(no_color: bool) -> bool:
    from routerctl.term import use_color

    color = use_color(no_color=no_color)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.color = color  # click.echo strips ANSI off a terminal unless told; FORCE_COLOR tells
    return color


@click.group(cls=RouterctlGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "-V",
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, _param, value: _print_version(ctx, value),
    help="Show the version and exit.",
)
@click.option(
    "--debug",
    is_flag=True,
    envvar="ROUTERCTL_DEBUG",
    help="Log API calls (never the token) and show tracebacks. [env: ROUTERCTL_DEBUG=1]",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Infrastructure as code for DigitalOcean Inference Routers.

    Router files (routers/*.yaml) are the source of truth; `plan` shows what would change on
    the live routers, `apply` makes the calls.

    \b
    Exit codes: 0 ok / no changes, 1 error, 2 changes present (--detailed-exitcode),
                3 apply partly done, 64 command-line usage error.

    \b
    Global options, before or after the command (the one after it wins):
      --debug, --no-color, --api-url URL, --token-file FILE, --timeout S, --env NAME,
      --config FILE. [env: ROUTERCTL_DEBUG=1, NO_COLOR, FORCE_COLOR]
    """
    # Through the context, not os.environ: a library caller's process is not ours to change.
    ctx.meta[DEBUG_KEY] = debug


# --- shared options -------------------------------------------------------------------------


def project_options(func: F) -> F:
    """--dir, --env and --config: every command that reads router files takes them."""
    func = click.option(
        "--config",
        "config",
        type=click.Path(dir_okay=False, exists=True),
        help="Project settings file. [default: ./routerctl.yaml if present]",
    )(func)
    func = click.option(
        "--env",
        "env",
        envvar="ROUTERCTL_ENV",
        shell_complete=lambda ctx, _param, text: _complete(ctx, "env", text),
        help="Environment from routerctl.yaml (name prefix/suffix, overlays, API URL).",
    )(func)
    return click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False),
        help="Directory of router files. [default: routers/ or `dir:` in routerctl.yaml]",
    )(func)


def target_option(func: F) -> F:
    """--target NAME (repeatable), completed from the router files."""
    return click.option(
        "--target",
        "targets",
        multiple=True,
        help="Only this router (repeatable).",
        shell_complete=lambda ctx, _param, text: _complete(ctx, "targets", text),
    )(func)


def api_options(func: F) -> F:
    """Where the API is and how to authenticate (flags override the environment)."""
    func = click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        envvar="ROUTERCTL_TIMEOUT",
        default=30.0,
        show_default=True,
        help="Total seconds for each API request, headers and body. [env: ROUTERCTL_TIMEOUT]",
    )(func)
    func = click.option(
        "--token-file",
        type=click.Path(dir_okay=False),
        help="Read the API token from this file instead of DIGITALOCEAN_TOKEN.",
    )(func)
    return click.option(
        "--api-url",
        envvar="DIGITALOCEAN_API_URL",
        help="API base URL. [env: DIGITALOCEAN_API_URL; default: https://api.digitalocean.com]",
    )(func)


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(DEBUG_KEY))


def _project(directory: str | None, env: str | None, config: str | None) -> Project:
    from routerctl.project import load_project

    return load_project(config=config, environment=env, directory=directory)


@contextmanager
def _client(
    project: Project,
    api_url: str | None,
    token_file: str | None,
    parallelism: int = 8,
    timeout: float = 30.0,
) -> Iterator[RouterClient]:
    from routerctl.client import RouterClient, resolve_api_url, resolve_token

    environ: dict[str, str] = dict(os.environ)
    token_env = project.token_env()
    if token_env:
        if not environ.get(token_env):
            from routerctl.errors import ConfigError

            raise ConfigError(
                f"environment {project.environment!r} reads its token from ${token_env}, "
                "which is not set"
            )
        environ["DIGITALOCEAN_TOKEN"] = environ[token_env]
    token = resolve_token(token_file=token_file, environ=environ)
    url = resolve_api_url(project.api_url(api_url), environ)
    debug = _debug()
    display = _display()
    with RouterClient(
        token=token,
        base_url=url,
        parallelism=parallelism,
        timeout=timeout,
        # Waits of 2 s or more get a line; every wait shows beside the live counter.
        on_event=_event_sink(),
        on_request=lambda line: _request(line, debug, display),
    ) as client:
        yield client


def _display() -> Display:
    """This run's progress display (live counter on a terminal, plain lines elsewhere)."""
    from routerctl.progress import open_display
    from routerctl.term import use_color

    ctx = click.get_current_context()
    root = ctx.find_root()
    if DISPLAY_KEY not in root.meta:
        no_color = bool(ctx.params.get("no_color"))
        color = use_color(no_color=no_color, stream=sys.stderr)
        root.meta[DISPLAY_KEY] = open_display(color=color, enabled=not _debug())
    display: Display = root.meta[DISPLAY_KEY]
    return display


def _event(line: str, debug: bool, display: Display) -> None:
    from routerctl.pacing import WaitNotice
    from routerctl.progress import is_wait

    if debug:
        _err(f"debug: {line}")
    elif isinstance(line, WaitNotice):
        _err(f"routerctl: {line}")  # a wait over 2 s, with its reason
    elif not is_wait(line):
        _err(line)  # not a wait: e.g. a router deleted meanwhile
    display.status(line)


def _event_sink() -> Callable[[str], None]:
    # Resolved now: events arrive on worker threads, where there is no click context.
    debug, display = _debug(), _display()
    return lambda line: _event(line, debug, display)


def _request(line: str, debug: bool, display: Display) -> None:
    if debug:
        _err(f"debug: {line}")
    display.request()


def _complete(ctx: click.Context, what: str, incomplete: str) -> list[str]:
    from routerctl.completion import environment_names, router_names

    config, directory = ctx.params.get("config"), ctx.params.get("directory")
    if what == "env":
        return environment_names(incomplete, config=config)
    return router_names(incomplete, directory=directory, config=config)


def _load_desired(project: Project) -> LoadResult:
    from routerctl.workflow import load_desired

    result = load_desired(project)
    for issue in result.warnings:
        _err(issue.format())
    return result


def _plan_project(project: Project, client: RouterClient, **options: Any) -> Plan:
    from routerctl.workflow import plan_project

    with _display().phase("reading live routers"):
        result = plan_project(project, client, **options)
    for line in result.warning_lines():
        _err(line)
    return result.plan


# --- validate --------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@project_options
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--online", is_flag=True, help="Also check model ids and task slugs against the live catalog."
)
@api_options
def validate(
    paths: tuple[str, ...],
    directory: str | None,
    env: str | None,
    config: str | None,
    strict: bool,
    fmt: str,
    online: bool,
    api_url: str | None,
    token_file: str | None,
    timeout: float,
) -> int:
    """Check router files offline: schema, rules, cross-file checks.

    Reports every problem in every file as `path:line:col: location: message`.

    \b
    Example:
      routerctl validate                 # routers/
      routerctl validate routers/triage-router.yaml --strict
    """
    import json

    from routerctl.catalog import check_catalog, live_catalog, offline_catalog

    project = _project(directory, env, config)
    result = project.load(list(paths))
    issues: list[Issue] = list(result.issues)
    catalog = offline_catalog()  # the shipped snapshot, or the cache of a newer live fetch
    if online and not result.errors:
        with _client(project, api_url, token_file, timeout=timeout) as client:
            catalog = live_catalog(client.list_models, client.list_task_presets, strict=True)
    issues += check_catalog(result.routers, catalog)
    issues.sort()
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    failed = bool(errors) or (strict and bool(warnings))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "valid": not failed,
                    "files": result.files,
                    "routers": [r.spec.name for r in result.routers],
                    "errors": len(errors),
                    "warnings": len(warnings),
                    "issues": [i.as_dict() for i in issues],
                },
                indent=2,
            )
        )
    else:
        for issue in issues:
            click.echo(issue.format())
        verdict = "invalid" if failed else "valid"
        click.echo(
            f"{_n(result.files, 'file')} {verdict}: {_n(len(result.routers), 'router')}, "
            f"{_n(len(errors), 'error')}, {_n(len(warnings), 'warning')}."
        )
    return ExitCode.ERROR if failed else ExitCode.OK


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the router file format (for editor autocomplete).

    \b
    Add this first line to a router file to use it with the YAML language server:
      # yaml-language-server: $schema=../schema/router.schema.json
    """
    from routerctl.schema import router_schema_json

    click.echo(router_schema_json(), nl=False)


# --- plan ------------------------------------------------------------------------------------


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
        result = _plan_project(project, client, targets=targets, prune=prune, **reads)
    click.echo(render_plan_as(result, fmt, color=_use_color(no_color), verbose=verbose), nl=False)
    if out:
        save_plan(result, out)
        _err(f"Saved plan to {out}; apply it with: routerctl apply {out}")
    if detailed_exitcode and not result.in_sync:  # an orphan is drift too
        return ExitCode.CHANGES
    return ExitCode.OK


# --- apply -----------------------------------------------------------------------------------


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
    from routerctl.errors import ApplyError
    from routerctl.outcome import ApplyResult
    from routerctl.plan import load_plan
    from routerctl.render import render_plan
    from routerctl.savedplan import environment_for, rejudge
    from routerctl.settle import verify_created

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
        try:
            with run.terminate_as_interrupt(), _applying(len(the_plan.changes)):
                result = run.apply_plan(the_plan, client, parallelism=parallelism, on_outcome=_tick)
            verify_created(result, client.list_router_summaries, on_event=_err)
        except ApplyError as exc:
            _emit_apply(exc.result, fmt, color)
            raise
    _emit_apply(result, fmt, color)
    return ExitCode.OK


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


# --- cost ------------------------------------------------------------------------------------


@cli.command()
@click.argument("names", nargs=-1)
@project_options
@click.option("--profile", type=click.Path(dir_okay=False), help="Traffic profile YAML.")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Price overrides.")
@click.option("--compare", multiple=True, metavar="MODEL", help="Also cost every task on MODEL.")
@click.option(
    "--compare-every-task",
    is_flag=True,
    help="Comparisons run every task on every request (a hardcoded app), ignoring shares.",
)
@click.option("--offline", is_flag=True, help="Do not fetch the live catalog; cached/shipped.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--no-color", is_flag=True, help="No ANSI colours (also: NO_COLOR).")
@api_options
def cost(
    names: tuple[str, ...],
    directory: str | None,
    env: str | None,
    config: str | None,
    profile: str | None,
    prices_file: str | None,
    compare: tuple[str, ...],
    compare_every_task: bool,
    offline: bool,
    fmt: str,
    no_color: bool,
    api_url: str | None,
    token_file: str | None,
    timeout: float,
) -> int:
    """Estimate each router's monthly cost from a traffic profile.

    Prices: the live model catalog when a token is set (cached for offline use), else the
    cache or the price file shipped with routerctl; --prices FILE overrides. A model without a
    known price is reported, never priced at 0.

    \b
    Example:
      routerctl cost --compare llama3.3-70b-instruct --compare anthropic-claude-opus-4.7
    """
    from routerctl.render_cost import render_cost_json, render_cost_markdown, render_cost_text
    from routerctl.workflow import CostResult, cost_project

    project = _project(directory, env, config)
    has_token = bool(
        token_file
        or os.environ.get("DIGITALOCEAN_TOKEN")
        or os.environ.get("DIGITALOCEAN_ACCESS_TOKEN")
    )

    def run(fetch: Callable[[], list[dict[str, Any]]] | None) -> CostResult:
        return cost_project(
            project,
            names=names,
            profile_file=profile,
            prices_file=prices_file,
            compare=compare,
            every_task=compare_every_task,
            fetch_models=fetch,
        )

    if has_token and not offline:
        with _client(project, api_url, token_file, timeout=timeout) as client:
            outcome = run(client.list_models)
    else:
        outcome = run(None)
    for line in [i.format() for i in outcome.spec_warnings] + list(outcome.notes):
        _err(line)
    reports, warnings = outcome.reports, outcome.warnings
    if fmt == "json":
        click.echo(render_cost_json(reports, warnings=warnings), nl=False)
    elif fmt == "markdown":
        click.echo(render_cost_markdown(reports, warnings=warnings), nl=False)
    else:
        text = render_cost_text(reports, warnings=warnings, color=_use_color(no_color))
        click.echo(text, nl=False)
    return ExitCode.OK


# --- test ------------------------------------------------------------------------------------


@cli.command("test")
@click.argument("names", nargs=-1)
@project_options
@click.option(
    "--router-name",
    metavar="NAME",
    help="Send the cases to router:NAME instead (e.g. a staging copy); needs exactly one router.",
)
@click.option(
    "--min-match-rate",
    type=click.FloatRange(0, 1),
    help="Pass when each router matches at least this share (default: every case must pass).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--junit", type=click.Path(dir_okay=False), help="Also write a JUnit XML report.")
@click.option("--parallelism", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--max-tokens", type=click.IntRange(1), help="Reply token cap; overrides files.")
@click.option(
    "--inference-url",
    envvar="DIGITALOCEAN_INFERENCE_URL",
    help="[env: DIGITALOCEAN_INFERENCE_URL; default: https://inference.do-ai.run/v1]",
)
@click.option("--key-file", type=click.Path(dir_okay=False), help="Read the model access key.")
def test_(
    names: tuple[str, ...],
    directory: str | None,
    env: str | None,
    config: str | None,
    router_name: str | None,
    min_match_rate: float | None,
    fmt: str,
    junit: str | None,
    parallelism: int,
    max_tokens: int | None,
    inference_url: str | None,
    key_file: str | None,
) -> int:
    """Routing regression tests: labelled prompts must reach the expected task.

    Sends each case in a router's `tests:` (or routers/<name>.tests.yaml) to the inference
    endpoint as model router:<name>, reads the matched task from the
    x-model-router-selected-route header, and reports match rate, fallback rate and a
    confusion matrix. Exit 1 when a case fails (or a router is under --min-match-rate).

    \b
    Example:
      routerctl test triage-router
      routerctl test --env staging --junit routing.xml      # the staging copies
    """
    from pathlib import Path

    from routerctl.catalog import offline_catalog
    from routerctl.client import InferenceClient, resolve_inference_url, resolve_model_key
    from routerctl.costplan import resolve_prices
    from routerctl.errors import ConfigError
    from routerctl.routing_tests import (
        failed,
        render_junit,
        render_tests_json,
        render_tests_text,
        run_routing_tests,
        select_cases,
        spend,
    )

    project = _project(directory, env, config)
    overlay = project.overlay
    targets = select_cases(
        _load_desired(project).specs,
        names,
        rename=overlay.rename if overlay is not None else None,
        router_name=router_name,
    )
    key = resolve_model_key(key_file=key_file)
    with InferenceClient(
        key=key,
        base_url=resolve_inference_url(inference_url),
        max_tokens=max_tokens,
        parallelism=parallelism,
        on_event=_event_sink(),
    ) as client:
        labels = offline_catalog().preset_names()  # a header may carry a display name
        reports = run_routing_tests(targets, client.route, parallelism=parallelism, names=labels)
    # What the run spent, priced offline (cache or shipped file): no extra API call.
    costs = spend(reports, resolve_prices(fetch_models=None, prices_file=None))
    if fmt == "json":
        click.echo(render_tests_json(reports, costs=costs, min_match_rate=min_match_rate), nl=False)
    else:
        text = render_tests_text(reports, costs=costs, min_match_rate=min_match_rate)
        click.echo(text, nl=False)
    if junit:
        try:
            Path(junit).parent.mkdir(parents=True, exist_ok=True)
            Path(junit).write_text(render_junit(reports), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write JUnit report {junit}: {exc.strerror}") from None
        _err(f"wrote JUnit report {junit}")
    return ExitCode.ERROR if failed(reports, min_match_rate) else ExitCode.OK


# --- import ----------------------------------------------------------------------------------


@cli.command("import")
@click.argument("names", nargs=-1)
@click.option("--all", "all_routers", is_flag=True, help="Every live router not yet in the files.")
@click.option("--force", is_flag=True, help="Rewrite the files of the routers named.")
@project_options
@api_options
def import_(
    names: tuple[str, ...],
    all_routers: bool,
    force: bool,
    directory: str | None,
    env: str | None,
    config: str | None,
    api_url: str | None,
    token_file: str | None,
    timeout: float,
) -> int:
    """Write router files for live routers (adopt routers made in the control panel).

    One file per router, `<name>.yaml`, deterministic and schema-annotated. --all adopts only
    live routers no file declares (exit 0 if none); --force rewrites only a router's own file,
    and only when that router is named. Afterwards `routerctl plan` shows no changes for them.

    \b
    Example:
      routerctl import triage-router
      routerctl import --all && routerctl plan
    """
    from routerctl.importer import import_project, require_selection, summary, write_files

    require_selection(names, all_routers)
    project = _project(directory, env, config)
    with _client(project, api_url, token_file, timeout=timeout) as client:
        live = client.list_routers()
    files = import_project(project, live, names=names, all_routers=all_routers, force=force)
    write_files(files, root=project.root)
    for item in files:
        click.echo(f"wrote {item.path}")
        for warning in item.warnings:
            _err(warning)
    _err(summary(files, all_routers))
    return ExitCode.OK


# --- fmt -------------------------------------------------------------------------------------


@cli.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@project_options
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file is not formatted.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the changes as a diff (implies --check)."
)
def fmt_(
    paths: tuple[str, ...],
    directory: str | None,
    env: str | None,
    config: str | None,
    check: bool,
    show_diff: bool,
) -> int:
    """Rewrite router files in canonical form, keeping every comment.

    Keys in the order of the file format (name, description, tasks, presets, fallback_models,
    renamed_from, protect, tests; in a task: description, models, prefer), 2-space indentation,
    one trailing newline. Flow lists like [a, b] stay flow lists. Lists the files it changed;
    with --check, the files it would change, and exits 1 if there are any (for CI). Also
    formats the environment's overlay files with --env.

    \b
    Example:
      routerctl fmt                   # every file under routers/
      routerctl fmt --check --diff    # CI: show what is not formatted, exit 1
    """
    from routerctl.fmt import format_paths

    project = _project(directory, env, config)
    targets = list(paths) or [str(project.router_dir)]
    overlay = project.overlay
    if not paths and overlay is not None and overlay.directory is not None:
        targets.append(str(overlay.directory))
    check = check or show_diff
    result = format_paths(targets, check=check, root=project.root)
    for item in result.files:
        if item.changed:
            click.echo(item.diff() if show_diff else item.path, nl=not show_diff)
    changed, total = len(result.changed), len(result.files)
    if check:
        _err(f"{_n(changed, 'file')} of {total} would be reformatted.")
        return ExitCode.ERROR if changed else ExitCode.OK
    _err(f"{_n(changed, 'file')} of {total} reformatted.")
    return ExitCode.OK


# --- emulator --------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--state", "state_file", type=click.Path(dir_okay=False), help="Persist here.")
@click.option("--rate-limit", "rate_limit_per_minute", type=click.IntRange(1), help="Burst/min.")
@click.option("--hourly-limit", "rate_limit_per_hour", type=click.IntRange(1), help="Quota/hour.")
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, help="Added latency.")
@click.option("--summary-list", is_flag=True, help="List responses carry summaries only.")
# Behaviour the API does not document; defaults are the reading hardest on a client (README).
@click.option("--unique-names", is_flag=True, help="409 on a duplicate name.")
@click.option("--regions-check/--no-regions-check", default=True, help='Only ["all"] regions.')
@click.option("--put", "put_semantics", type=click.Choice(["full", "merge", "replace"]))
@click.option("--default-prefer", type=click.Choice(["none", "cheapest", "fastest"]))
@click.option("--list-lag", "list_lag_seconds", type=click.FloatRange(0, 86400), default=0.0)
def emulator(host: str, **options: Any) -> None:
    """Run a local stand-in for the DigitalOcean router API (and the inference route).

    \b
    Example:
      routerctl emulator --port 8080 --state /tmp/routers.json &
      DIGITALOCEAN_API_URL=http://127.0.0.1:8080 DIGITALOCEAN_TOKEN=dev-token routerctl plan
    """
    import logging

    from routerctl.emulator import Emulator, EmulatorError

    # The emulator logs one line per request; show them to the person running it.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        server = Emulator(host=host, **{k: v for k, v in options.items() if v is not None})
        server.start()
    except EmulatorError as exc:
        raise RouterctlError(f"emulator: {exc}") from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        _err(f"warning: binding {host}: the emulator accepts any token; keep it off networks")
    _err(f"routerctl emulator listening on {server.url} (Ctrl-C to stop)")
    click.echo(server.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        _err("emulator stopped")
    finally:
        server.stop()


# --- completion, init, show, list, get -------------------------------------------------------


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script.

    Completes commands, options, and the values of --target (router names from the files) and
    --env (environments in routerctl.yaml).

    \b
    Example:
      routerctl completion bash > ~/.local/share/bash-completion/completions/routerctl
      routerctl completion zsh > "${fpath[1]}/_routerctl"
      routerctl completion fish > ~/.config/fish/completions/routerctl.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # click ships all three
    click.echo(completer(cli, {}, "routerctl", "_ROUTERCTL_COMPLETE").source())


@cli.command()
@click.option("--ci", type=click.Choice(["github", "gitlab"]), help="Also write CI workflows.")
def init(ci: str | None) -> int:
    """Start a project in this directory. Never overwrites a file.

    Writes routers/ with a commented example router, routerctl.yaml, the JSON Schema the
    example's $schema header points to, a .gitignore, and with --ci the CI workflow files.

    \b
    Example:
      routerctl init --ci github && routerctl validate && routerctl plan
    """
    from routerctl.scaffold import init_project

    for path in init_project(".", ci=ci):
        click.echo(f"wrote {path}")
    _err("Next: edit routers/example-router.yaml, then `routerctl validate` and `routerctl plan`.")
    return ExitCode.OK


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


@cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@project_options
@api_options
def list_(
    fmt: str,
    directory: str | None,
    env: str | None,
    config: str | None,
    api_url: str | None,
    token_file: str | None,
    timeout: float,
) -> int:
    """List the live routers.

    Name, uuid and last update of each, from the list pages only (one request per 200 routers).

    \b
    Example:
      routerctl list
      routerctl list --format json | jq -r '.routers[].name'
    """
    from routerctl.render_live import render_list_json, render_list_text

    with _client(_project(directory, env, config), api_url, token_file, timeout=timeout) as client:
        routers = client.list_router_summaries()
    click.echo((render_list_json if fmt == "json" else render_list_text)(routers), nl=False)
    return ExitCode.OK


@cli.command()
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
@project_options
@api_options
def get(
    name: str,
    fmt: str,
    directory: str | None,
    env: str | None,
    config: str | None,
    api_url: str | None,
    token_file: str | None,
    timeout: float,
) -> int:
    """Print one live router, as a router file or as JSON.

    `--format yaml` is exactly the file `routerctl import` would write; `--format json` is the
    router as the API returns it. NAME is the live name (with an environment's prefix/suffix).

    \b
    Example:
      routerctl get triage-router
      routerctl get triage-router --format json
    """
    from routerctl.errors import ConfigError
    from routerctl.render_live import render_router

    project = _project(directory, env, config)
    with _client(project, api_url, token_file, timeout=timeout) as client:
        router = client.find_router_by_name(name)
    if router is None:
        raise ConfigError(f"no live router named {name!r} (see `routerctl list`)")
    overlay = project.overlay
    base = overlay.base_name if overlay is not None else (lambda n: n)
    click.echo(render_router(router, fmt, base_name=base), nl=False)
    return ExitCode.OK


def main() -> None:
    """Console-script entry point."""
    gc_pause.FREEZE = True  # the process ends soon: parsed data need never be walked again
    cli.main(prog_name="routerctl")
