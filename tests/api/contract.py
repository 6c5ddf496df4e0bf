"""Contract check: a response must match what the generated OpenAPI schema declares
for its operation and status (JSON Schema validation of the body, with the schema's
components), and every refusal is ``application/problem+json``."""

import json
import re
from functools import cache

from jsonschema import Draft202012Validator

from api.api import api

PREFIX = "/api/v1"


@cache
def schema() -> dict:
    # As served at /api/v1/openapi.json (status codes become strings).
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix=PREFIX), default=str))


@cache
def _routes():
    return [
        (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"), operations)
        for template, operations in schema()["paths"].items()
    ]


def operation_for(method: str, path: str) -> dict:
    path = path.split("?", 1)[0]
    for pattern, operations in _routes():
        if pattern.match(path) and method in operations:
            return operations[method]
    raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI schema")


def validate(body, body_schema: dict) -> list[str]:
    # "#/components/schemas/…" references resolve against the root of this document.
    document = {**body_schema, "components": schema()["components"]}
    validator = Draft202012Validator(document)
    return [
        f"{list(error.path)}: {error.message}"
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    ]


def assert_matches_schema(method: str, path: str, response) -> None:
    operation = operation_for(method, path)
    status = str(response.status_code)
    responses = operation["responses"]
    assert status in responses, f"{method.upper()} {path}: status {status} not declared"
    body = response.json()
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
        assert body["status"] == response.status_code
        assert body["type"].startswith("urn:kardborre:problem:")
    else:
        assert response["Content-Type"].startswith("application/json")
    media_type = "application/problem+json" if response.status_code >= 400 else "application/json"
    declared = responses[status].get("content", {}).get(media_type, {}).get("schema")
    assert declared is not None, f"{method.upper()} {path} {status}: no body schema"
    errors = validate(body, declared)
    assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(errors[:5])
