"""Commands that read live routers: `import`, `list`, `get`."""

from __future__ import annotations

import click

from routerctl.cli.group import cli
from routerctl.cli.options import _client, _err, _project, api_options, project_options
from routerctl.errors import ExitCode


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
