"""The JSON Schema of the router file format, generated from the pydantic models so the
editor schema, the docs and the validator cannot disagree."""

from __future__ import annotations

import json
from typing import Any

from routerctl.models import RouterSpec

SCHEMA_ID = "https://routerctl.dev/schema/router.schema.json"


def router_schema() -> dict[str, Any]:
    schema = RouterSpec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "routerctl router file"
    schema["description"] = (
        "One DigitalOcean Inference Router per file. See README.md, 'The file format'."
    )
    return schema


def router_schema_json() -> str:
    return json.dumps(router_schema(), indent=2, sort_keys=True) + "\n"
