"""Fixtures of the hostile suite: the malicious server (one per session) and, per case, a
project wired to it on fake time (see kit.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile.kit import ROUTER_FILE, Hostile, HostileServer
from routerctl import redact
from routerctl.client import RouterClient


@pytest.fixture(scope="session")
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def hostile(
    hostile_server: HostileServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    api_token: str,
    model_key: str,
) -> Iterator[Hostile]:
    """A project with one router file (and a routing test), the server reset to a good API,
    the client on fake time, and an empty secrets registry: each case proves that routerctl
    registers the secrets itself."""
    hostile_server.reset()
    routers = tmp_path / "routers"
    routers.mkdir()
    (routers / "hostile.yaml").write_text(ROUTER_FILE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    case = Hostile(hostile_server, tmp_path, api_token, model_key)
    defaults = RouterClient.__init__.__kwdefaults__
    monkeypatch.setitem(defaults, "sleep", case.time.sleep)
    monkeypatch.setitem(defaults, "clock", case.time.clock)
    monkeypatch.setitem(defaults, "wall_clock", case.time.wall)
    redact.forget_all()
    yield case
    redact.forget_all()
