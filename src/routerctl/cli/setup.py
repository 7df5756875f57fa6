"""Getting started: `init` (scaffold a project) and `completion` (shell scripts)."""

from __future__ import annotations

import click

from routerctl.cli.group import cli
from routerctl.cli.options import _err
from routerctl.errors import ExitCode


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
