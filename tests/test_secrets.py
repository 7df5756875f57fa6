"""The test token and model access key never appear in anything routerctl prints or writes:
every main command, run as a real subprocess against the emulator with --debug, on success and
on 401/403/500 failures (where --debug shows a traceback), and every file it leaves behind
(saved plans, imported router files, JUnit reports, the catalog cache).

tests/secrets_plugin.py does the same for everything pytest captures in the whole suite; its
self-test is at the end of this file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes import routing_matcher
from routerctl.emulator import Emulator, FaultPlan

pytestmark = pytest.mark.e2e

ROUTERS = "/v2/gen-ai/models/routers"
ROUTER = """\
name: {name}
description: Support triage for {name}.
tasks:
  classify_ticket:
    description: Categorize short support messages into billing, bug, how-to or account.
    models: [openai-gpt-5-nano, llama3.3-70b-instruct]
    prefer: cheapest
  Draft a reply:
    description: Write a short, professional customer-facing reply.
    models: [anthropic-claude-sonnet-4.6, anthropic-claude-haiku-4.5]
presets:
  summarization:
    models: [openai-gpt-oss-120b, deepseek-v3.2]
fallback_models: [llama3.3-70b-instruct, deepseek-v3.2]
tests:
  - prompt: I was charged twice for my subscription this month.
    expect_task: classify_ticket
  - prompt: Summarize this long email thread for me.
    expect_task: summarization
"""
SETTINGS = """\
prune:
  scope: ['app-*']
traffic:
  routers:
    app-a:
      requests_per_month: 1000
      input_tokens: 300
      output_tokens: 100
"""


@pytest.fixture
def server(api_token: str, model_key: str) -> Iterator[Emulator]:
    """An emulator that accepts only the test token (API) and the test key (inference)."""
    with Emulator(
        port=0, token=api_token, model_access_key=model_key, **routing_matcher()
    ) as emulator:
        yield emulator


class Project:
    """A project directory and the commands run in it, with everything they printed."""

    def __init__(self, root: Path, url: str, token: str, key: str) -> None:
        self.root = root
        self.outputs: list[tuple[str, str]] = []  # (command, stdout + stderr)
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DIGITALOCEAN_", "ROUTERCTL_", "MODEL_ACCESS_KEY", "GRADIENT_"))
        }
        self.env.update(
            DIGITALOCEAN_API_URL=url,
            DIGITALOCEAN_TOKEN=token,
            DIGITALOCEAN_INFERENCE_URL=f"{url}/v1",
            MODEL_ACCESS_KEY=key,
            ROUTERCTL_CACHE_DIR=str(root / ".cache"),
            NO_COLOR="1",
        )

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "routerctl", *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=60,
            check=False,
        )
        self.outputs.append((" ".join(args), done.stdout + done.stderr))
        return done


def test_no_command_prints_or_writes_a_secret(tmp_path, server, api_token, model_key):
    (tmp_path / "routers").mkdir()
    for name in ("app-a", "app-b"):
        (tmp_path / "routers" / f"{name}.yaml").write_text(ROUTER.format(name=name))
    (tmp_path / "routerctl.yaml").write_text(SETTINGS)
    (tmp_path / "token.txt").write_text(api_token + "\n")
    project = Project(tmp_path, server.url, api_token, model_key)
    run = project.run

    # The happy path, with --debug everywhere.
    assert run("--debug", "validate", "--online").returncode == 0
    planned = run("--debug", "plan", "--out", "plan.json", "--detailed-exitcode")
    assert planned.returncode == 2
    assert run("plan", "--format", "json").returncode == 0
    assert run("plan", "--format", "markdown").returncode == 0
    assert run("--debug", "apply", "plan.json", "--format", "json").returncode == 0
    assert run("--debug", "cost", "--format", "markdown").returncode == 0
    assert run("--debug", "import", "--all", "--dir", "imported").returncode == 0
    tested = run("--debug", "test", "--junit", "routing.xml", "--format", "json")
    assert tested.returncode in (0, 1)  # the emulator's matcher may disagree; not the point
    env_without_token = {"DIGITALOCEAN_TOKEN": ""}
    from_file = run("--debug", "plan", "--token-file", "token.txt", env=env_without_token)
    assert from_file.returncode == 0

    # Failures: with --debug our own errors are re-raised, so a traceback is printed.
    server.set_faults(FaultPlan(script=[{"match": f"GET {ROUTERS}", "status": 401}]))
    unauthorized = run("--debug", "plan")
    assert unauthorized.returncode == 1
    assert "Traceback" in unauthorized.stderr
    server.set_faults(FaultPlan(script=[{"match": f"GET {ROUTERS}", "status": 401}]))
    assert run("plan").returncode == 1
    (tmp_path / "routers" / "app-c.yaml").write_text(ROUTER.format(name="app-c"))
    server.set_faults(FaultPlan(script=[{"match": f"POST {ROUTERS}", "status": 403}]))
    forbidden = run("--debug", "apply", "--auto-approve")
    assert forbidden.returncode == 1
    assert "403" in forbidden.stdout + forbidden.stderr
    five_hundred = {"match": f"GET {ROUTERS}", "status": 500, "retry_after": 0, "times": 6}
    server.set_faults(FaultPlan(script=[five_hundred]))
    failed = run("--debug", "apply", "--auto-approve")
    assert failed.returncode == 1
    assert "Gave up after 6 attempts" in failed.stderr
    assert "debug: GET /v2/gen-ai/models/routers?page=1: 500" in failed.stderr  # retries logged
    server.set_faults(FaultPlan(script=[{"match": "POST /v1/chat/completions", "status": 401}]))
    assert run("--debug", "test", "app-a").returncode == 1
    server.set_faults(FaultPlan())
    # A token the API rejects that starts with the real one: a partial echo would show.
    assert run("--debug", "plan", env={"DIGITALOCEAN_TOKEN": api_token + "x"}).returncode == 1
    assert run("test", "app-a", env={"MODEL_ACCESS_KEY": model_key + "x"}).returncode == 1

    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("token.txt",)]
    assert {"plan.json", "routing.xml", "app-a.yaml", "catalog-cache.json"} <= {
        p.name for p in written
    }
    leaks = [
        f"{where}: {secret_name}"
        for where, text in [
            *project.outputs,
            *((str(p.relative_to(tmp_path)), p.read_text("utf-8", "replace")) for p in written),
        ]
        for secret_name, secret in (("token", api_token), ("model key", model_key))
        if secret in text
    ]
    assert leaks == []


def test_secrets_plugin_fails_a_run_that_prints_a_secret(tmp_path, api_token, model_key):
    """The plugin, registered the way tests/conftest.py does it, fails an otherwise green run
    and names the tests; a clean run still passes."""
    plugin = Path(__file__).with_name("secrets_plugin.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --import-mode=importlib\n")
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            f"""\
            import importlib.util

            TEST_TOKEN = {api_token!r}
            TEST_MODEL_KEY = {model_key!r}


            def pytest_configure(config):
                spec = importlib.util.spec_from_file_location("secrets_plugin", {str(plugin)!r})
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                config.pluginmanager.register(module, "routerctl_secrets_plugin")
            """
        )
    )
    (tmp_path / "test_leaky.py").write_text(
        textwrap.dedent(
            f"""\
            import logging


            def test_prints_token():
                print("Authorization: Bearer " + {api_token!r})


            def test_logs_key():
                logging.getLogger("x").warning("key=" + {model_key!r})


            def test_clean():
                print("nothing to see")
            """
        )
    )

    def pytest(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    leaky = pytest()
    assert leaky.returncode == 1, leaky.stdout + leaky.stderr
    assert "3 passed" in leaky.stdout
    assert "test_leaky.py::test_prints_token: TEST_TOKEN in Captured stdout call" in leaky.stdout
    assert "test_leaky.py::test_logs_key: TEST_MODEL_KEY in Captured log call" in leaky.stdout
    assert "test_clean" not in leaky.stdout.split("test secrets in captured output")[1]
    clean = pytest("test_leaky.py::test_clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
