"""RFC 9457 problem details: every refusal of the API is ``application/problem+json``
with a stable ``type`` (a URN, independent of the language of ``detail``), ``title``,
``status``, ``detail`` and, for bad input, ``errors``: each offending field with the
reason."""

import json

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:kardborre:problem:"

TITLES = {
    "malformed-request": "The request body is not valid JSON",
    "invalid-input": "The request has invalid fields",
    "unauthenticated": "A valid API key is needed",
    "insufficient-scope": "The API key lacks the scope for this operation",
    "forbidden": "The client's organisation may not do this",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "rate-limited": "Too many requests",
    "event-id-reused": "The event id was used with a different body",
    "already-open": "The person already has an open discharge",
    "step-not-open": "This step is not open in the process",
    "refused": "The process refused the step",
}


class Problem(Exception):
    """Raised by an endpoint; rendered by ``problem_response``."""

    def __init__(self, status: int, code: str, detail: str = "", *, errors=None, headers=None):
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail or TITLES.get(code, code)
        self.errors = errors or []
        self.headers = headers or {}


def problem_body(*, status: int, code: str, detail: str, errors=None) -> dict:
    body = {
        "type": TYPE_PREFIX + code,
        "title": TITLES.get(code, code),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(problem: Problem) -> HttpResponse:
    body = problem_body(
        status=problem.status, code=problem.code, detail=problem.detail, errors=problem.errors
    )
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def field_error(field: str, reason: str, code: str = "invalid") -> dict:
    return {"field": field, "reason": reason, "code": code}
