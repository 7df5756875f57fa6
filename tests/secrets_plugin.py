"""A pytest plugin that fails the session if the test token or the test model access key appears
in anything the suite captured: each test's stdout, stderr and log records (setup, call and
teardown), and the text of every failure report, which often quotes a command's whole output.

Registered from tests/conftest.py. The secrets are read from that conftest's TEST_TOKEN and
TEST_MODEL_KEY when it is loaded, so there is one source of truth; the values below are the
fallback for a run without it (the plugin's self-test in test_secrets.py).
"""

from __future__ import annotations

from typing import Any

import pytest

FALLBACK_SECRETS = {
    "TEST_TOKEN": "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000",
    "TEST_MODEL_KEY": "sk-do-m0de1acce55key00000000000000000000",
}


class SecretsScan:
    """Collects (test id, where, secret name) for every captured text holding a secret."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.secrets: dict[str, str] | None = None
        self.leaks: dict[tuple[str, str, str], None] = {}  # ordered set

    def _find_secrets(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for plugin in self.config.pluginmanager.get_plugins():
            for name in FALLBACK_SECRETS:
                value = getattr(plugin, name, None)
                if isinstance(value, str) and value:
                    found.setdefault(name, value)
        return {name: found.get(name, value) for name, value in FALLBACK_SECRETS.items()}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.secrets is None:  # conftest modules are registered by the first report
            self.secrets = self._find_secrets()
        # `sections` holds every captured stdout, stderr and log text of the test so far
        # (report.capstdout, capstderr and caplog are joined from it).
        texts = list(report.sections)
        if report.longrepr is not None:
            texts.append((f"failure report ({report.when})", report.longreprtext))
        for where, text in texts:
            for name, value in self.secrets.items():
                if value in text:
                    self.leaks[(report.nodeid, where, name)] = None

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: Any) -> None:
        if self.leaks:
            # wrap_session returns session.exitstatus after this hook: the run fails.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.leaks:
            return
        terminalreporter.section("test secrets in captured output", sep="=", red=True, bold=True)
        for nodeid, where, name in self.leaks:
            terminalreporter.write_line(f"{nodeid}: {name} in {where}", red=True)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("routerctl-secrets-scan"):
        config.pluginmanager.register(SecretsScan(config), "routerctl-secrets-scan")
