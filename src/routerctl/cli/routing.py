"""`test`: routing regression tests against the inference endpoint (or offline)."""

from __future__ import annotations

import click

from routerctl.cli.group import cli
from routerctl.cli.options import _err, _event_sink, _load_desired, _project, project_options
from routerctl.errors import ExitCode


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
@click.option("--offline", is_flag=True, help="Predict the cases locally (no server, no key).")
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
    offline: bool,
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
    from routerctl.fsio import atomic_write
    from routerctl.routing_tests import (
        failed,
        render_junit,
        render_tests_json,
        render_tests_text,
        select_cases,
    )
    from routerctl.workflow import run_tests

    project = _project(directory, env, config)
    overlay = project.overlay
    targets = select_cases(
        _load_desired(project).specs,
        names,
        rename=overlay.rename if overlay is not None else None,
        router_name=router_name,
    )
    run = run_tests(
        targets, offline, key_file, inference_url, max_tokens, parallelism, _event_sink()
    )
    reports = run.reports
    if fmt == "json":
        click.echo(render_tests_json(reports, min_match_rate=min_match_rate, **run.shown), nl=False)
    else:
        click.echo(render_tests_text(reports, min_match_rate=min_match_rate, **run.shown), nl=False)
    if junit:  # atomically, never through a symlink, parents made as before
        atomic_write(junit, render_junit(reports), what="JUnit report", make_parents=True)
        _err(f"wrote JUnit report {junit}")
    return ExitCode.ERROR if failed(reports, min_match_rate) else ExitCode.OK
