"""Control endpoints about the router store, for tests (the server mixes this in)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routerctl.emulator.http import _Reply
    from routerctl.emulator.state import RouterStore


class StoreControl:
    """`GET /_emulator/routers`: every stored router, whatever the list lag
    (`list_lag_seconds`), so a test over HTTP can assert the true state behind the list."""

    _store: RouterStore

    def _control_routers(self, req: Any, params: dict[str, str]) -> _Reply:
        from routerctl.emulator.http import _Reply

        return _Reply(200, {"model_routers": self._store.every()})
