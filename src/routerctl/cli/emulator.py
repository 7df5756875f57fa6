"""`emulator`: run the local stand-in for the API."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from routerctl.cli.group import cli
from routerctl.cli.options import _err
from routerctl.errors import RouterctlError


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
    from routerctl.predict import emulator_routing

    # The emulator logs one line per request; show them to the person running it.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        given = {k: v for k, v in options.items() if v is not None}
        server = Emulator(host=host, **given, **emulator_routing())  # the predictor picks tasks
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
