"""The validator setup for the contract tests (see README.md here): DigitalOcean's description,
loaded once, with its one known slip corrected and every object schema closed
(`additionalProperties: false`), so a key the description does not name fails validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

HERE = Path(__file__).resolve().parent
DESCRIPTION = HERE / "model-routers.openapi.json"
SERVER = "https://api.digitalocean.com"  # the description's `servers` entry
ROUTERS = "/v2/gen-ai/models/routers"

# Paths routerctl uses that this subset of the description does not cover: skipped by name.
UNDESCRIBED = (
    "/v2/gen-ai/models",
    "/v2/gen-ai/agents",  # the agents list (dependencies before deletes)
    "/v1/chat/completions",
    "/chat/completions",
)


def _update_fallback_items(spec: dict[str, Any]) -> dict[str, Any]:
    body = spec["paths"][f"{ROUTERS}/{{uuid}}"]["put"]["requestBody"]
    items: dict[str, Any] = body["content"]["application/json"]["schema"]["properties"][
        "fallback_models"
    ]["items"]
    return items


def close_objects(schema: Any) -> None:
    """Add `additionalProperties: false` to every object schema that lists its properties
    and says nothing about others, recursively."""
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            close_objects(value)
    elif isinstance(schema, list):
        for value in schema:
            close_objects(value)


def load_description() -> dict[str, Any]:
    """The vendored description, corrected and closed, in memory (the file is never changed)."""
    spec: dict[str, Any] = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    items = _update_fallback_items(spec)
    # The slip (README.md): update's fallback_models items are typed as objects; the create
    # body, the response, godo and the prose reference all make them model-id strings.
    assert items == {"type": "object"}, (
        "the update body's fallback_models items are no longer {'type': 'object'}: the "
        "upstream slip is fixed, so drop this correction (and its note in README.md)"
    )
    items.clear()
    items["type"] = "string"
    close_objects(spec["paths"])
    return spec


def is_undescribed(path: str) -> bool:
    return path in UNDESCRIBED


def check_exchange(
    openapi: OpenAPI, entry: dict[str, Any], *, request_too: bool = True
) -> list[str]:
    """Problems with one request-log entry: its request against the operation (unless
    `request_too` is false), its reply against the operation's response. Empty when both
    conform."""
    body = entry["request_body"].encode("utf-8")
    request = MockRequest(
        SERVER,
        entry["method"],
        entry["path"],
        args=entry["query"],
        # The log keeps no request headers (no token in it); the emulator answered 401 to any
        # request without a bearer token, so a placeholder stands for the one that was sent.
        headers={"Authorization": "Bearer contract-test"},
        data=body or None,
        content_type=entry["request_content_type"] or "application/json",
    )
    where = f"{entry['method']} {entry['path']} → {entry['status']}"
    problems: list[str] = []
    if request_too:
        try:
            openapi.validate_request(request)
        except Exception as exc:  # openapi-core raises one of many validation error types
            problems.append(f"{where}: request: {_explain(exc)}")
    headers = entry["response_headers"]
    if not _described(openapi, request):
        # A method or path the description has no operation for (schemathesis probes them):
        # the reply must still be DigitalOcean's error shape, with the rate-limit headers.
        return problems + _check_undescribed_reply(entry, where)
    response = MockResponse(
        entry["response_body"].encode("utf-8"),
        status_code=entry["status"],
        headers=headers,
        content_type="application/json",
    )
    try:
        openapi.validate_response(request, response)
    except Exception as exc:
        problems.append(f"{where}: reply: {_explain(exc)}")
    return problems


def _described(openapi: OpenAPI, request: MockRequest) -> bool:
    try:
        openapi.request_validator.path_finder.find(request.method, request.host_url + request.path)
    except (PathNotFound, OperationNotFound):
        return False
    return True


def error_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """The description's error body (the `default` response of create), closed."""
    default = spec["paths"][ROUTERS]["post"]["responses"]["default"]
    schema: dict[str, Any] = copy.deepcopy(default["content"]["application/json"]["schema"])
    close_objects(schema)
    return schema


_ERROR_VALIDATOR: OAS30Validator | None = None


def _check_undescribed_reply(entry: dict[str, Any], where: str) -> list[str]:
    global _ERROR_VALIDATOR
    if _ERROR_VALIDATOR is None:
        spec = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
        _ERROR_VALIDATOR = OAS30Validator(error_schema(spec))
    problems = []
    if not 400 <= entry["status"] < 500:
        problems.append(f"{where}: reply: an undescribed operation answered {entry['status']}")
    try:
        body = json.loads(entry["response_body"])
    except ValueError:
        return [*problems, f"{where}: reply: body is not JSON"]
    problems.extend(f"{where}: reply: {e.message}" for e in _ERROR_VALIDATOR.iter_errors(body))
    for header in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        if not entry["response_headers"].get(header, "").isdigit():
            problems.append(f"{where}: reply: no integer {header} header")
    return problems


def _explain(exc: BaseException) -> str:
    """The validation error and its schema errors, on one line."""
    parts = [f"{type(exc).__name__}: {exc}"]
    cause: BaseException | None = exc.__cause__ or exc.__context__
    for _ in range(3):
        if cause is None:
            break
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts.extend(str(getattr(e, "message", e)) for e in schema_errors)
            break
        parts.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    return " | ".join(" ".join(p.split()) for p in parts)
