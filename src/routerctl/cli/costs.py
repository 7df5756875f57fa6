"""`cost`: the monthly estimate per router and task."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from routerctl.cli.group import cli
from routerctl.cli.options import (
    FORMATS,
    _client,
    _err,
    _project,
    _use_color,
    api_options,
    project_options,
)
from routerctl.errors import ExitCode


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
    has_token = bool(token_file or os.environ.get("DIGITALOCEAN_TOKEN"))
    has_token = has_token or bool(os.environ.get("DIGITALOCEAN_ACCESS_TOKEN"))

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
    if fmt == "text":
        color = _use_color(no_color)
        text = render_cost_text(outcome.reports, warnings=outcome.warnings, color=color)
    else:
        render = render_cost_json if fmt == "json" else render_cost_markdown
        text = render(outcome.reports, warnings=outcome.warnings)
    click.echo(text, nl=False)
    return ExitCode.OK
