"""What every command shares: project/API options, the client, the progress display,
and the pipeline calls (glue over routerctl.workflow).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from routerctl.client import RouterClient
    from routerctl.errors import Issue
    from routerctl.plan import Plan
    from routerctl.progress import Display
    from routerctl.project import Project
    from routerctl.spec import LoadResult


F = TypeVar("F", bound=Callable[..., Any])


FORMATS = click.Choice(["text", "json", "markdown"])


DEBUG_KEY = "routerctl.debug"


DISPLAY_KEY = "routerctl.display"


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


def _close_tasks(result: LoadResult) -> list[Issue]:
    from routerctl.predict.overlap import close_task_issues  # loads the model only if needed

    return close_task_issues(result.routers)
