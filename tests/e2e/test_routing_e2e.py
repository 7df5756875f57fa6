"""`routerctl test` end to end: apply routers to the emulator, then send their routing cases
to its inference route (`/v1/chat/completions`) and check the report and the exit code."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result

from routerctl.cli import cli
from routerctl.emulator import Emulator, FaultPlan

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

BILLING = "Why was I charged twice on my invoice?"
CRASH = "The app crashes with an error when I open settings."
PICNIC = "What a lovely sunny afternoon for a picnic by the lake."


def support_router(name: str = "app-support", *cases: tuple[str, str]) -> str:
    """A router the emulator's matcher routes predictably: billing words to billing_question,
    crash words to bug_report, anything else to the fallback model."""
    tests = cases or ((BILLING, "billing_question"), (CRASH, "bug_report"))
    lines = [
        f"name: {name}",
        "description: Support desk.",
        "tasks:",
        "  billing_question:",
        "    description: Answer billing questions about invoices, charges and refunds.",
        "    models: [openai-gpt-5-nano]",
        "  bug_report:",
        "    description: Triage bug reports about crashes and errors in the app.",
        "    models: [anthropic-claude-haiku-4.5]",
        "fallback_models: [llama3.3-70b-instruct]",
        "tests:",
    ]
    for prompt, expect in tests:
        lines += [f"  - prompt: {json.dumps(prompt)}", f"    expect_task: {expect}"]
    return "\n".join(lines) + "\n"


class Run:
    """Runs the CLI in-process and checks that no secret reaches its output."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets

    def __call__(self, *args: str) -> Result:
        result = CliRunner().invoke(cli, list(args))
        for secret in self.secrets:
            assert secret not in result.stdout + result.stderr
        return result


@pytest.fixture
def project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    api_token: str,
    model_key: str,
) -> Path:
    """A project directory pointing at the emulator for both the API and inference."""
    (tmp_path / "routers").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", api_token)
    monkeypatch.setenv("DIGITALOCEAN_INFERENCE_URL", emulator.url + "/v1")
    monkeypatch.setenv("MODEL_ACCESS_KEY", model_key)
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
    # The inference route then refuses any other bearer: the key really is what gets sent.
    monkeypatch.setattr(emulator, "model_access_key", model_key)
    return tmp_path


@pytest.fixture
def run(api_token: str, model_key: str) -> Run:
    return Run([api_token, model_key])


def write(project: Path, name: str, text: str) -> None:
    (project / "routers" / f"{name}.yaml").write_text(text)


def applied(run: Run, *args: str) -> None:
    result = run("apply", "--auto-approve", *args)
    assert result.exit_code == 0, result.stdout + result.stderr


def live_names(emulator: Emulator) -> list[str]:
    return sorted(r["name"] for r in emulator.routers())


# --- the shipped examples ---------------------------------------------------------------------


def test_shipped_example_cases_all_pass_on_the_emulator(project: Path, run: Run) -> None:
    shutil.copytree(ROOT / "routers", project / "routers", dirs_exist_ok=True)
    applied(run)
    result = run("test")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "router:meeting-or-email  5/5 passed\n" in result.stdout
    assert "router:triage-router  7/7 passed\n" in result.stdout
    assert "FAIL" not in result.stdout
    assert result.stdout.endswith("\nRouting tests passed: 12 of 12 cases matched.\n")


# --- pass, fail, fallback -----------------------------------------------------------------------


def test_matching_cases_pass_with_model_tokens_and_cost(project: Path, run: Run) -> None:
    write(project, "app-support", support_router())
    applied(run)
    result = run("test")
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "router:app-support  2/2 passed"
    assert lines[2].split()[-4:-1] == ["billing_question", "billing_question", "openai-gpt-5-nano"]
    assert lines[3].split()[-4:-1] == ["bug_report", "bug_report", "anthropic-claude-haiku-4.5"]
    assert lines[4].startswith("  match rate 100%, fallback rate 0%, tokens ")
    assert ", cost $" in lines[4]
    assert lines[5:8] == [
        "  confusion (expected → got):",
        "    billing_question: billing_question ×1",
        "    bug_report: bug_report ×1",
    ]
    assert lines[-1] == "Routing tests passed: 2 of 2 cases matched."
    assert result.stderr == ""


def test_case_expecting_the_wrong_task_fails_with_a_fail_line_and_confusion_row(
    project: Path, run: Run
) -> None:
    write(
        project,
        "app-support",
        support_router("app-support", (BILLING, "bug_report"), (CRASH, "bug_report")),
    )
    applied(run)
    result = run("test")
    assert result.exit_code == 1
    assert "router:app-support  1/2 passed\n" in result.stdout
    assert "  FAIL #1: expected task 'bug_report', got 'billing_question'\n" in result.stdout
    assert (
        "  confusion (expected → got):\n    bug_report: billing_question ×1, bug_report ×1\n"
    ) in result.stdout
    assert result.stdout.endswith("\nRouting tests FAILED: 1 of 2 cases matched.\n")


def test_unrelated_prompt_routes_to_fallback_and_counts_in_the_fallback_rate(
    project: Path, run: Run
) -> None:
    write(
        project,
        "app-support",
        support_router("app-support", (BILLING, "billing_question"), (PICNIC, "fallback")),
    )
    applied(run)
    result = run("test")
    assert result.exit_code == 0, result.stdout + result.stderr
    picnic_row = next(line for line in result.stdout.splitlines() if "picnic" in line)
    assert picnic_row.split()[-4:-1] == ["fallback", "fallback", "llama3.3-70b-instruct"]
    assert "  match rate 100%, fallback rate 50%, tokens " in result.stdout
    assert "    fallback: fallback ×1\n" in result.stdout


def test_prompt_expected_on_a_task_that_falls_back_is_a_failure(project: Path, run: Run) -> None:
    write(project, "app-support", support_router("app-support", (PICNIC, "billing_question")))
    applied(run)
    result = run("test")
    assert result.exit_code == 1
    assert "  FAIL #1: expected task 'billing_question', got 'fallback'\n" in result.stdout
    assert "  match rate 0%, fallback rate 100%, tokens " in result.stdout
    assert "    billing_question: fallback ×1\n" in result.stdout


@pytest.mark.parametrize(
    ("threshold", "exit_code", "verdict"),
    [
        ("0.5", 0, "Routing tests passed: 1 of 2 cases matched (min match rate 50%)."),
        ("0.75", 1, "Routing tests FAILED: 1 of 2 cases matched (min match rate 75%)."),
    ],
)
def test_min_match_rate_decides_whether_a_miss_fails_the_run(
    project: Path, run: Run, threshold: str, exit_code: int, verdict: str
) -> None:
    write(
        project,
        "app-support",
        support_router("app-support", (BILLING, "bug_report"), (CRASH, "bug_report")),
    )
    applied(run)
    result = run("test", "--min-match-rate", threshold)
    assert result.exit_code == exit_code
    assert "  FAIL #1: expected task 'bug_report', got 'billing_question'\n" in result.stdout
    assert result.stdout.endswith(f"\n{verdict}\n")


# --- machine-readable reports -----------------------------------------------------------------


def test_format_json_reports_cases_rates_and_confusion(project: Path, run: Run) -> None:
    write(
        project,
        "app-support",
        support_router("app-support", (BILLING, "bug_report"), (PICNIC, "fallback")),
    )
    applied(run)
    result = run("test", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["format_version"], data["passed"], data["min_match_rate"]) == ("1.0", False, None)
    [router] = data["routers"]
    assert (router["router"], router["total"], router["passed"]) == ("app-support", 2, 1)
    assert (router["match_rate"], router["fallback_rate"]) == (0.5, 0.5)
    assert router["confusion"] == {
        "bug_report": {"billing_question": 1},
        "fallback": {"fallback": 1},
    }
    assert [(c["route"], c["model"], c["passed"], c["error"]) for c in router["cases"]] == [
        ("billing_question", "openai-gpt-5-nano", False, None),
        ("fallback", "llama3.3-70b-instruct", True, None),
    ]
    assert router["tokens"]["prompt"] > 0
    assert router["tokens"]["completion"] > 0
    assert router["cost_usd"] > 0


def test_junit_file_has_one_testcase_per_prompt_and_no_secret(
    project: Path, run: Run, model_key: str, api_token: str
) -> None:
    write(
        project,
        "app-support",
        support_router("app-support", (BILLING, "bug_report"), (CRASH, "bug_report")),
    )
    applied(run)
    result = run("test", "--junit", "routing.xml")
    assert result.exit_code == 1
    assert result.stderr == "wrote JUnit report routing.xml\n"
    text = (project / "routing.xml").read_text(encoding="utf-8")
    assert model_key not in text
    assert api_token not in text
    suite = ElementTree.fromstring(text).find("testsuite")
    assert suite is not None
    assert suite.attrib == {
        "name": "router:app-support",
        "tests": "2",
        "failures": "1",
        "errors": "0",
    }
    failing, passing = suite.findall("testcase")
    assert failing.get("name") == f"#1 {BILLING} → bug_report"
    failure = failing.find("failure")
    assert failure is not None
    assert failure.get("message") == "expected task 'bug_report', got 'billing_question'"
    assert list(passing) == []
    # The human report still goes to stdout alongside the file.
    assert result.stdout.endswith("\nRouting tests FAILED: 1 of 2 cases matched.\n")


# --- which router is tested ----------------------------------------------------------------------


def test_router_name_sends_the_cases_to_a_differently_named_live_copy(
    project: Path, run: Run, emulator: Emulator
) -> None:
    write(project, "app-support", support_router())
    applied(run)
    [stored] = emulator.routers()
    emulator.put_router(
        {
            "name": "app-support-canary",
            "description": stored["description"],
            "policies": stored["config"]["policies"],
            "fallback_models": stored["config"]["fallback_models"],
        }
    )
    emulator.delete_router(stored["uuid"])  # only the copy is left to answer
    result = run("test", "app-support", "--router-name", "app-support-canary")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("router:app-support-canary  2/2 passed\n")
    assert result.stdout.endswith("\nRouting tests passed: 2 of 2 cases matched.\n")


def test_env_with_a_name_suffix_tests_the_suffixed_router(
    project: Path, run: Run, emulator: Emulator
) -> None:
    (project / "routerctl.yaml").write_text(
        "environments:\n  staging:\n    name_suffix: -staging\n"
    )
    write(project, "app-support", support_router())
    applied(run, "--env", "staging")
    assert live_names(emulator) == ["app-support-staging"]
    result = run("test", "--env", "staging")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("router:app-support-staging  2/2 passed\n")
    assert result.stdout.endswith("\nRouting tests passed: 2 of 2 cases matched.\n")


@pytest.mark.parametrize("extra", [[], ["--min-match-rate", "0"]])
def test_router_not_applied_live_reports_each_case_as_an_error(
    project: Path, run: Run, extra: list[str]
) -> None:
    write(project, "app-support", support_router())
    result = run("test", *extra)
    assert result.exit_code == 1  # an unreachable router fails even with a zero threshold
    not_found = re.escape(
        "POST /chat/completions → 404 model_not_found: "
        "The model 'router:app-support' does not exist. (request id "
    )
    fail_lines = [line for line in result.stdout.splitlines() if line.startswith("  FAIL #")]
    assert len(fail_lines) == 2
    for number, line in enumerate(fail_lines, 1):
        assert re.fullmatch(f"  FAIL #{number}: {not_found}[0-9a-f-]+\\)", line), line
    assert "    billing_question: (error) ×1\n    bug_report: (error) ×1\n" in result.stdout
    assert "Routing tests FAILED: 0 of 2 cases matched" in result.stdout


def test_cli_runs_only_the_named_router(project: Path, run: Run) -> None:
    write(project, "app-support", support_router())
    write(project, "app-other", support_router("app-other"))
    applied(run)
    result = run("test", "app-other")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("router:app-other  2/2 passed\n")
    assert "router:app-support" not in result.stdout


# --- the model access key -----------------------------------------------------------------------


def test_missing_model_access_key_is_a_one_line_error(
    project: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "app-support", support_router())
    monkeypatch.delenv("MODEL_ACCESS_KEY")
    result = run("test")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "routerctl: error: no model access key: set MODEL_ACCESS_KEY (or "
        "GRADIENT_MODEL_ACCESS_KEY), or pass --key-file. Create one under Serverless "
        "Inference → Model Access Keys\n"
    )


def test_key_file_is_used_instead_of_the_environment(
    project: Path, run: Run, monkeypatch: pytest.MonkeyPatch, model_key: str
) -> None:
    write(project, "app-support", support_router())
    applied(run)
    monkeypatch.delenv("MODEL_ACCESS_KEY")
    (project / "key.txt").write_text(model_key + "\n")
    result = run("test", "--key-file", "key.txt")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.endswith("\nRouting tests passed: 2 of 2 cases matched.\n")


def test_rejected_model_access_key_is_named_and_never_printed(
    project: Path, run: Run, monkeypatch: pytest.MonkeyPatch, api_token: str, model_key: str
) -> None:
    write(project, "app-support", support_router())
    applied(run)
    wrong = "sk-do-wr0ngkey0000000000000000000000000"
    monkeypatch.setenv("MODEL_ACCESS_KEY", wrong)
    result = Run([api_token, model_key, wrong])("test", "--junit", "routing.xml")
    assert result.exit_code == 1
    assert "  FAIL #1: POST /chat/completions → 401 invalid_api_key: " in result.stdout
    assert (
        "The inference endpoint rejected the model access key (from --key-file, "
        "MODEL_ACCESS_KEY or GRADIENT_MODEL_ACCESS_KEY)"
    ) in result.stdout
    assert "genai:" not in result.stdout
    assert wrong not in (project / "routing.xml").read_text(encoding="utf-8")


def test_a_transient_503_on_inference_is_retried(
    project: Path, run: Run, emulator: Emulator
) -> None:
    write(project, "app-support", support_router())
    applied(run)
    emulator.set_faults(
        FaultPlan(
            script=[
                {"match": "POST /v1/chat/completions", "status": 503, "retry_after": 0, "times": 2}
            ]
        )
    )
    result = run("test", "--parallelism", "1")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.endswith("\nRouting tests passed: 2 of 2 cases matched.\n")
    stats = emulator.stats
    assert stats["requests"]["POST /v1/chat/completions"] == 4  # two cases, two retries
    assert stats["faults_fired"] == 2


def test_env_accepts_the_file_name_or_the_live_name_of_a_router(
    project: Path, run: Run, emulator: Emulator
) -> None:
    (project / "routerctl.yaml").write_text(
        "environments:\n  staging:\n    name_suffix: -staging\n"
    )
    write(project, "app-support", support_router())
    applied(run, "--env", "staging")
    for name in ("app-support", "app-support-staging"):
        result = run("test", "--env", "staging", name)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert result.stdout.startswith("router:app-support-staging  2/2 passed\n")
    unknown = run("test", "--env", "staging", "nope")
    assert unknown.exit_code == 1
    assert "no router file declares nope" in unknown.stderr


def test_junit_report_into_a_new_directory_and_an_unwritable_path(
    project: Path, run: Run, emulator: Emulator
) -> None:
    write(project, "app-support", support_router())
    applied(run)
    made = run("test", "--junit", "reports/nested/routing.xml")
    assert made.exit_code == 0, made.stderr
    assert (project / "reports" / "nested" / "routing.xml").read_text().startswith("<?xml")
    (project / "blocked").write_text("a file, not a directory")
    failed = run("test", "--junit", "blocked/routing.xml")
    assert failed.exit_code == 1
    # one writer for every file (fsio.atomic_write): names the file and what is in the way
    assert "blocked/routing.xml: cannot create directory blocked" in failed.stderr
    assert "Traceback" not in failed.stderr
