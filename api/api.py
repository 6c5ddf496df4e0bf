"""The REST API for systems under ``/api/v1/`` (django-ninja): the OpenAPI 3 schema at
``openapi.json``, the documentation page at ``docs`` (Swagger UI from ninja's own
static files, so it runs under the site's content security policy)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_fsm import TransitionNotAllowed
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from . import deviations, directory, discharges, sips
from .auth import ApiKeyAuth
from .problems import Problem, field_error, problem_response
from .schemas import PROBLEM_CODES, ClientOut, ProblemOut

DESCRIPTION = """\
Kardborre's API for hospital and kommun systems: admissions (ADT events, idempotent by
the sender's event id), the discharge process under LUS and its steps, SIPs, deviations
and the organisation directory.

Authenticate with `Authorization: Bearer <key>`; a region administrator issues keys per
organisation and scope. Every refusal is `application/problem+json` (RFC 9457) with a
stable `type` (`urn:kardborre:problem:…`) and, for bad input, `errors`: each field with
its reason.
"""

PROBLEM_JSON = "application/problem+json"


class KardborreApi(NinjaAPI):
    """The schema documents every refusal (4xx) under ``application/problem+json``,
    the media type it is served with (``problems.problem_response``)."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {PROBLEM_JSON: content["application/json"]}
        return schema


api = KardborreApi(
    title="Kardborre API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=ApiKeyAuth(),
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _field(loc) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in ("query", "path"):
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(Problem)
def _problem(request, exc: Problem):
    return problem_response(exc)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    errors = [
        field_error(_field(error.get("loc", ())), error.get("msg", ""), error.get("type", ""))
        for error in exc.errors
    ]
    fields = ", ".join(sorted({error["field"] for error in errors}))
    return problem_response(
        Problem(422, "invalid-input", f"Invalid or unknown fields: {fields}.", errors=errors)
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(
        Problem(
            401,
            "unauthenticated",
            "Missing, unknown or revoked API key.",
            headers={"WWW-Authenticate": 'Bearer realm="kardborre"'},
        )
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return problem_response(Problem(400, "malformed-request", str(exc)))
    code = {403: "forbidden", 404: "not-found", 405: "method-not-allowed"}.get(
        exc.status_code, "refused"
    )
    return problem_response(Problem(exc.status_code, code, str(exc)))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(Problem(404, "not-found", "No such object for this client."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem_response(
        Problem(403, "forbidden", str(exc) or "The client's organisation may not do this.")
    )


@api.exception_handler(TransitionNotAllowed)
def _not_allowed(request, exc):
    return problem_response(Problem(409, "step-not-open", "The step is not allowed now."))


#: The request field a service's error code is about.
FIELD_OF_CODE = {
    "admission_in_future": "admitted_at",
    "admission_late": "late_registration_reason",
    "already_open": "personal_identity_number",
}


@api.exception_handler(DjangoValidationError)
def _refused(request, exc: DjangoValidationError):
    """A service refused: its message, with the field when the service named one."""
    if hasattr(exc, "error_dict"):
        errors = [
            field_error(field, str(message), "refused")
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [
            field_error(FIELD_OF_CODE.get(exc.code, ""), message, exc.code or "refused")
            for message in exc.messages
        ]
    detail = " ".join(error["reason"] for error in errors)
    code = "already-open" if getattr(exc, "code", None) == "already_open" else "refused"
    status = 409 if code == "already-open" else 422
    return problem_response(Problem(status, code, detail, errors=errors))


@api.get(
    "/me",
    response={200: ClientOut, PROBLEM_CODES: ProblemOut},
    tags=["client"],
    summary="The calling client",
)
def me(request):
    client = request.auth
    return {
        "name": client.name,
        "organisation": client.organisation,
        "scopes": client.scopes,
    }


api.add_router("/", discharges.router)
api.add_router("/sips", sips.router)
api.add_router("/deviations", deviations.router)
api.add_router("/organisations", directory.router)
