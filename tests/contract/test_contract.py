"""routerctl's requests and the emulator's replies, held against DigitalOcean's description with
openapi-core (setup and the description's slip: conftest.py and README.md here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from openapi_core import OpenAPI

from contract import validator
from contract.validator import (
    DESCRIPTION,
    ROUTERS,
    _update_fallback_items,
    check_exchange,
    is_undescribed,
    load_description,
)
from routerctl.cli import cli
from routerctl.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]

# operationId by (method, path template), to show which operations a run covered.
OPERATIONS = {
    ("POST", ROUTERS): "genai_create_model_router",
    ("GET", ROUTERS): "genai_list_model_routers",
    ("GET", f"{ROUTERS}/{{uuid}}"): "genai_get_model_router",
    ("PUT", f"{ROUTERS}/{{uuid}}"): "genai_update_model_router",
    ("DELETE", f"{ROUTERS}/{{uuid}}"): "genai_delete_model_router",
    ("GET", f"{ROUTERS}/tasks/presets"): "genai_list_model_router_task_presets",
    ("GET", f"{ROUTERS}/presets"): "genai_list_model_router_presets",
}


def operation(entry: dict[str, Any]) -> str:
    path = entry["path"]
    if path.startswith(f"{ROUTERS}/") and path not in (
        f"{ROUTERS}/tasks/presets",
        f"{ROUTERS}/presets",
    ):
        path = f"{ROUTERS}/{{uuid}}"
    return OPERATIONS.get((entry["method"], path), f"{entry['method']} {entry['path']}")


def check_log(
    openapi: OpenAPI, log: list[dict[str, Any]], *, requests: bool = True
) -> tuple[list[str], set[str]]:
    """(problems, operations covered) over a request log; undescribed paths skipped by name."""
    problems: list[str] = []
    covered: set[str] = set()
    for entry in log:
        if is_undescribed(entry["path"]):
            continue
        covered.add(operation(entry))
        problems.extend(check_exchange(openapi, entry, request_too=requests))
    return problems, covered


def test_the_description_slip_is_corrected_in_memory_only(description: dict[str, Any]) -> None:
    assert _update_fallback_items(description) == {"type": "string"}
    raw = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    assert _update_fallback_items(raw) == {"type": "object"}  # the vendored copy is verbatim
    assert (DESCRIPTION.parent / "LICENSE").read_text().lstrip().startswith("Apache License")


def router_file(name: str, fallback: str = "llama3.3-70b-instruct", extra: str = "") -> str:
    return (
        f"name: {name}\n"
        f"description: Router {name}.\n"
        "tasks:\n"
        "  summarize:\n"
        "    description: Summarize long documents into short overviews.\n"
        "    models: [anthropic-claude-haiku-4.5, openai-gpt-5-nano]\n"
        "    prefer: cheapest\n"
        "presets:\n"
        "  translation:\n"
        "    models: [llama3.3-70b-instruct]\n"
        f"fallback_models: [{fallback}, openai-gpt-5-nano]\n" + extra
    )


@pytest.mark.parametrize("summary_list", [False, True], ids=["full-list", "summary-list"])
def test_every_request_of_the_core_journeys_and_every_reply_conform(
    openapi: OpenAPI,
    fresh_emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    api_token: str,
    summary_list: bool,
) -> None:
    fresh_emulator.configure(summary_list=summary_list)
    routers = tmp_path / "routers"
    shutil.copytree(ROOT / "routers", routers)
    (routers / "app-a.yaml").write_text(router_file("app-a"))
    (routers / "app-b.yaml").write_text(router_file("app-b"))
    (tmp_path / "routerctl.yaml").write_text("prune:\n  scope: ['app-*']\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", fresh_emulator.url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", api_token)
    monkeypatch.setenv("ROUTERCTL_CACHE_DIR", str(tmp_path / ".cache"))

    def run(*args: str, code: int = 0) -> None:
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == code, result.output + result.stderr

    run("validate", "--online")
    run("apply", "--auto-approve")  # creates
    run("plan", "--detailed-exitcode")  # no changes
    (routers / "app-a.yaml").write_text(router_file("app-a", fallback="deepseek-v3.2"))
    run("apply", "--auto-approve")  # update
    (routers / "app-a.yaml").unlink()
    (routers / "app-c.yaml").write_text(
        router_file("app-c", fallback="deepseek-v3.2", extra="renamed_from: app-a\n")
    )
    run("apply", "--auto-approve")  # rename
    (routers / "app-b.yaml").unlink()
    run("apply", "--auto-approve", "--prune")  # delete
    fresh_emulator.put_router(  # made in the control panel: no selection_policy
        {
            "name": "outside-made",
            "policies": [
                {
                    "custom_task": {"name": "review", "description": "Review code changes."},
                    "models": ["deepseek-v3.2"],
                }
            ],
            "fallback_models": ["llama3.3-70b-instruct"],
        }
    )
    (tmp_path / "imported").mkdir()
    run("import", "--all", "--dir", str(tmp_path / "imported"))
    run("plan", "--format", "markdown")

    problems, covered = check_log(openapi, fresh_emulator.request_log())
    assert problems == [], "\n".join(problems)
    expected = {
        "genai_create_model_router",
        "genai_list_model_routers",
        "genai_update_model_router",
        "genai_delete_model_router",
        "genai_list_model_router_task_presets",
    }
    if summary_list:  # list items without config: routerctl GETs each router
        expected.add("genai_get_model_router")
    assert covered >= expected


def test_error_replies_presets_and_modes_conform(
    openapi: OpenAPI, fresh_emulator: Emulator, api_token: str
) -> None:
    auth = {"Authorization": f"Bearer {api_token}"}
    body = {
        "name": "contract",
        "description": "",
        "policies": [
            {"task_slug": "summarization", "models": ["openai-gpt-oss-120b"]},
            {"custom_task": {"name": "Code reviewer"}, "models": ["deepseek-v3.2"]},
        ],
        "fallback_models": ["llama3.3-70b-instruct"],
    }
    with httpx.Client(base_url=fresh_emulator.url, headers=auth, timeout=10) as api:
        created = api.post(ROUTERS, json=body).json()["model_router"]  # prefer echoed: omitted
        uuid = created["uuid"]
        fresh_emulator.configure(default_prefer="none", unique_names=True)
        api.post(ROUTERS, json={**body, "name": "contract-2"})
        assert api.post(ROUTERS, json=body).status_code == 409
        assert api.post(ROUTERS, json={**body, "regions": ["tor1"]}).status_code == 400
        assert api.post(ROUTERS, content=b"{half", headers={"content-type": "application/json"})
        assert api.put(f"{ROUTERS}/{uuid}", json={"name": "contract"}).status_code == 400
        fresh_emulator.configure(put_semantics="merge")
        assert api.put(f"{ROUTERS}/{uuid}", json={"description": "merged"}).status_code == 200
        assert api.get(f"{ROUTERS}/no-such-uuid").status_code == 404
        assert api.delete(f"{ROUTERS}/no-such-uuid").status_code == 404
        assert api.get(f"{ROUTERS}?page=2&per_page=1").status_code == 200
        assert api.get(f"{ROUTERS}/tasks/presets?per_page=5").status_code == 200
        assert api.get(f"{ROUTERS}/presets").status_code == 200
        assert httpx.get(f"{fresh_emulator.url}{ROUTERS}").status_code == 401
        fresh_emulator.configure(rate_limit_per_minute=1, rate_limit_per_hour=100)
        api.get(ROUTERS)
        assert api.get(ROUTERS).status_code == 429
        fresh_emulator.configure(rate_limit_per_minute=None, rate_limit_per_hour=None)
        assert api.delete(f"{ROUTERS}/{uuid}").status_code == 200
    statuses = {entry["status"] for entry in fresh_emulator.request_log()}
    assert statuses >= {200, 400, 401, 404, 409, 429}
    # The requests here are deliberately wrong; only the replies must conform.
    problems, _ = check_log(openapi, fresh_emulator.request_log(), requests=False)
    assert problems == [], "\n".join(problems)


def entry(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "method": "POST",
        "path": ROUTERS,
        "query": {},
        "request_content_type": "application/json",
        "request_body": json.dumps(
            {"name": "a", "description": "", "policies": [], "fallback_models": ["m"]}
        ),
        "status": 200,
        "response_headers": {
            "ratelimit-limit": "5000",
            "ratelimit-remaining": "4999",
            "ratelimit-reset": "1700000000",
        },
        "response_body": json.dumps(
            {"model_router": {"uuid": "u", "name": "a", "config": {"policies": []}}}
        ),
    }
    base.update(overrides)
    return base


def test_the_checks_can_fail(openapi: OpenAPI) -> None:
    """The validator setup is strict: the conforming exchange passes, and each kind of slip is
    named (a key the description does not name, in a request or a reply; a wrong type)."""
    assert check_exchange(openapi, entry()) == []
    extra_key = entry(request_body=json.dumps({"name": "a", "colour": "red"}))
    assert any("colour" in p and "request" in p for p in check_exchange(openapi, extra_key))
    nested = entry(
        request_body=json.dumps(
            {"name": "a", "policies": [{"task_slug": "x", "models": ["m"], "weight": 2}]}
        )
    )
    assert any("weight" in p for p in check_exchange(openapi, nested))
    wrong_type = entry(request_body=json.dumps({"name": "a", "fallback_models": "m"}))
    assert any("request" in p for p in check_exchange(openapi, wrong_type))
    reply_key = entry(response_body=json.dumps({"model_router": {"uuid": "u", "owner": "x"}}))
    assert any("owner" in p and "reply" in p for p in check_exchange(openapi, reply_key))
    # Update bodies send model-id strings (the slip, corrected); objects would now fail.
    put = {"method": "PUT", "path": f"{ROUTERS}/u"}
    strings = entry(**put, request_body=json.dumps({"fallback_models": ["m"]}))
    assert check_exchange(openapi, strings) == []
    objects = entry(**put, request_body=json.dumps({"fallback_models": [{"id": "m"}]}))
    assert any("request" in p for p in check_exchange(openapi, objects))


def test_load_description_notices_when_the_slip_is_fixed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fixed = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    _update_fallback_items(fixed)["type"] = "string"
    copy = tmp_path / "fixed.json"
    copy.write_text(json.dumps(fixed))
    monkeypatch.setattr(validator, "DESCRIPTION", copy)
    with pytest.raises(AssertionError, match="upstream slip is fixed"):
        load_description()
