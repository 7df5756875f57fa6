"""schemathesis against a live emulator, generating requests from DigitalOcean's description
(with its slip corrected, see README.md here). Bounded: a few examples per operation, a fixed
seed, one worker, and a subprocess timeout. The emulator must never answer 5xx, and every
answer must conform: status code, content type, headers, body schema. Its replies are then
held once more against the closed schemas (no key the description does not name)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openapi_core import OpenAPI

from contract.validator import DESCRIPTION, _update_fallback_items, check_exchange, is_undescribed
from routerctl.emulator import Emulator

MAX_EXAMPLES = 8  # per operation and phase; ~400 requests, a few seconds
TIME_LIMIT = 180.0  # seconds: a run that takes longer fails instead of stalling the suite
SEED_UUID = "5eed0000-0000-4000-8000-000000000001"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    # Schema-invalid input must be refused. (Not positive_data_acceptance: the description
    # leaves out rules the API states in prose, e.g. the name pattern, so some schema-valid
    # bodies are rightly refused.)
    "negative_data_rejection",
)


def seeded_state(path: Path) -> None:
    """A state file with one router at a known uuid, so GET/PUT/DELETE reach real handlers."""
    router = {
        "uuid": SEED_UUID,
        "name": "seeded",
        "description": "",
        "created_at": "2026-06-01T12:00:00Z",
        "updated_at": "2026-06-01T12:00:00Z",
        "regions": ["all"],
        "config": {"fallback_models": ["llama3.3-70b-instruct"], "policies": []},
    }
    path.write_text(json.dumps({"version": 1, "routers": [router]}))


def test_schemathesis_finds_no_failure_in_the_emulator(
    tmp_path: Path, api_token: str, openapi: OpenAPI
) -> None:
    spec = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    _update_fallback_items(spec)["type"] = "string"  # the slip (README.md)
    description = tmp_path / "description.json"
    description.write_text(json.dumps(spec))
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\nuuid = "{SEED_UUID}"\n')
    state = tmp_path / "state.json"
    seeded_state(state)

    with Emulator(token=api_token, state_file=state) as emulator:
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(config),
            "run",
            str(description),
            "--url",
            emulator.url,
            "--header",
            f"Authorization: Bearer {api_token}",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "1",
            "--workers",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            "--checks",
            ",".join(CHECKS),
            "--output-sanitize",
            "true",
        ]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
        )
        stats = emulator.stats
        log = emulator.request_log()

    summary = result.stdout[-4000:]
    assert result.returncode == 0, summary + result.stderr[-2000:]
    assert " passed" in summary
    assert stats["requests_total"] >= 200, stats
    assert not [status for status in stats["statuses"] if status.startswith("5")], stats
    statuses = {int(status) for status in stats["statuses"]}
    assert statuses >= {200, 400, 404}, statuses  # the handlers were reached, not only refusals
    problems = [
        problem
        for entry in log
        if not is_undescribed(entry["path"])
        for problem in check_exchange(openapi, entry, request_too=False)
    ]
    assert problems == [], "\n".join(problems)
