"""Offline file commands: `validate`, `schema`, `fmt`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from routerctl.cli.group import cli
from routerctl.cli.options import (
    _client,
    _close_tasks,
    _err,
    _n,
    _project,
    api_options,
    project_options,
)
from routerctl.errors import ExitCode

if TYPE_CHECKING:
    from routerctl.errors import Issue


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
    issues: list[Issue] = [*result.issues, *_close_tasks(result)]
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
