"""The `routerctl` group: global options, version, and the one place outcomes become exit
codes (`RouterctlGroup.main`).
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

from routerctl import gc_pause  # stdlib only: start-up stays fast
from routerctl.cli.options import DEBUG_KEY
from routerctl.errors import ExitCode, RouterctlError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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


def main() -> None:
    """Console-script entry point."""
    gc_pause.FREEZE = True  # the process ends soon: parsed data need never be walked again
    cli.main(prog_name="routerctl")
