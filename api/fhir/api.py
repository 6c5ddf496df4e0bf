"""The FHIR R4 facade at ``/fhir/``: the same data as the REST API, read-only, as base
R4 resources (no national profile is claimed). The same API keys, scopes, rate limit,
access rule and access log as ``/api/v1/``; every answer is ``application/fhir+json``
and every refusal an ``OperationOutcome``.

Which scope reads what: ``Patient`` — ``discharge:read`` or ``sip:read``; ``Task`` —
the deadlines of the discharges (``discharge:read``) and of the SIPs (``sip:read``);
``Communication`` — ``discharge:read``; ``CarePlan``, ``Appointment`` — ``sip:read``;
``Organization`` — ``directory:read``. ``GET /fhir/metadata`` is public.
"""

import datetime as dt
import json
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from coordination import personnummer
from coordination.clock import STOCKHOLM
from coordination.models import Consent, Individual
from coordination.selectors import organisations_search
from workflows.discharge.models import DischargeProcess, DischargeUnit, ReadyForDischargeNotice
from workflows.discharge.selectors import discharges_visible_to
from workflows.models import Deadline
from workflows.sip.models import Meeting, SipProcess
from workflows.sip.selectors import sips_visible_to

from ..auth import ApiKeyAuth
from ..common import MAX_LIMIT, log_access
from ..models import ApiClient, Scope
from ..problems import Problem
from . import resources as r

CONTENT_TYPE = "application/fhir+json"
PURPOSE = "FHIR, API"

fhir_api = NinjaAPI(
    title="Kardborre FHIR R4",
    version="1",
    urls_namespace="fhir",
    auth=ApiKeyAuth(),
    # A FHIR server describes itself by its CapabilityStatement, not by OpenAPI.
    docs_url=None,
    openapi_url=None,
)

# --- Responses and refusals ------------------------------------------------------------------

#: HTTP status → OperationOutcome issue type.
ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    422: "invalid",
    429: "throttled",
}


def fhir_response(resource: dict, status: int = 200, headers=None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(resource, ensure_ascii=False),
        status=status,
        content_type=f"{CONTENT_TYPE}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome_response(status: int, diagnostics: str, headers=None) -> HttpResponse:
    code = ISSUE_CODE.get(status, "processing")
    outcome = r.operation_outcome(code=code, diagnostics=diagnostics)
    return fhir_response(outcome, status, headers)


@fhir_api.exception_handler(Problem)
def _problem(request, exc: Problem):
    return outcome_response(exc.status, exc.detail, exc.headers)


@fhir_api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return outcome_response(
        401,
        "Missing, unknown or revoked API key.",
        {"WWW-Authenticate": 'Bearer realm="kardborre"'},
    )


@fhir_api.exception_handler(Http404)
def _not_found(request, exc):
    return outcome_response(404, "No such resource for this client.")


@fhir_api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return outcome_response(403, str(exc) or "The client's organisation may not do this.")


@fhir_api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return outcome_response(exc.status_code, str(exc))


@fhir_api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    return outcome_response(400, "; ".join(str(e.get("msg", "")) for e in exc.errors))


def require_any_scope(request, *scopes: str) -> ApiClient:
    client: ApiClient = request.auth
    if not any(client.has_scope(scope) for scope in scopes):
        raise Problem(
            403, "insufficient-scope", f"This operation needs the scope {' or '.join(scopes)}."
        )
    return client


# --- Search parameters --------------------------------------------------------------------

PAGING = ("_count", "_offset", "_format")

#: A SIP at one of these stages shares nothing more (``SipProcess.sharing_stopped``).
SHARING_STOPPED_STAGES = (
    SipProcess.Stage.CONSENT_DECLINED,
    SipProcess.Stage.CONSENT_REVOKED,
    SipProcess.Stage.WITHDRAWN,
)


def _only(request, allowed: tuple[str, ...]):
    """Unknown search parameters are refused, never silently ignored (the client
    would take an unfiltered answer for a filtered one)."""
    unknown = sorted(set(request.GET) - set(allowed) - set(PAGING))
    if unknown:
        raise Problem(400, "invalid-input", f"Unsupported search parameter: {', '.join(unknown)}.")


def _int(request, name, default, *, low, high) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Problem(400, "invalid-input", f"{name} must be a whole number.") from None
    return max(low, min(high, value))


def _moment(raw: str) -> tuple[dt.datetime, dt.datetime]:
    """The start and the end of what ``raw`` names: a day (Stockholm) or an instant."""
    day = parse_date(raw) if len(raw) == 10 else None
    if day is not None:
        start = dt.datetime.combine(day, dt.time(), tzinfo=STOCKHOLM)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=STOCKHOLM)
        return start, end
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise Problem(
            400,
            "invalid-input",
            f"_lastUpdated: {raw!r} is neither a date nor a date and time with a time zone.",
        )
    return moment, moment


def last_updated_filter(request, field: str) -> dict:
    """``_lastUpdated=ge2026-03-01`` (prefixes ge, gt, le, lt; may be repeated for a
    range) as queryset filters on ``field``."""
    filters = {}
    for value in request.GET.getlist("_lastUpdated"):
        prefix, raw = value[:2], value[2:]
        if prefix not in ("ge", "gt", "le", "lt"):
            raise Problem(
                400,
                "invalid-input",
                "_lastUpdated takes the prefix ge, gt, le or lt (e.g. ge2026-03-01).",
            )
        start, end = _moment(raw.replace(" ", "+"))
        if prefix == "ge":
            filters[f"{field}__gte"] = start
        elif prefix == "gt":
            filters[f"{field}__gte" if end > start else f"{field}__gt"] = end
        elif prefix == "le":
            filters[f"{field}__lt" if end > start else f"{field}__lte"] = end
        else:
            filters[f"{field}__lt"] = start
    return filters


def _base(request) -> str:
    return request.build_absolute_uri("/fhir/")


def bundle_response(request, *, resource_type: str, total: int, entries: list[dict], count, offset):
    """A searchset Bundle with ``self`` and, where there are more, ``next`` and
    ``previous`` links (``_count`` per page, ``_offset`` into the matches)."""
    params = [
        (name, value)
        for name, values in request.GET.lists()
        if name not in ("_count", "_offset")
        for value in values
    ]
    url = f"{_base(request)}{resource_type}"

    def page(at):
        return f"{url}?{urlencode([*params, ('_count', count), ('_offset', at)])}"

    links = [{"relation": "self", "url": page(offset)}]
    if offset + count < total:
        links.append({"relation": "next", "url": page(offset + count)})
    if offset > 0:
        links.append({"relation": "previous", "url": page(max(0, offset - count))})
    return fhir_response(
        r.searchset(total=total, entries=entries, links=links, base=_base(request))
    )


def _paging(request) -> tuple[int, int]:
    count = _int(request, "_count", 50, low=1, high=MAX_LIMIT)
    offset = _int(request, "_offset", 0, low=0, high=10**9)
    return count, offset


# --- What the client may see ----------------------------------------------------------------


def _discharges(request) -> QuerySet[DischargeProcess]:
    if not request.auth.has_scope(Scope.DISCHARGE_READ):
        return DischargeProcess.objects.none()
    return discharges_visible_to(user=request.user)


def _sips(request) -> QuerySet[SipProcess]:
    if not request.auth.has_scope(Scope.SIP_READ):
        return SipProcess.objects.none()
    return sips_visible_to(user=request.user)


def _individual_visible(request, individual_id) -> Individual | None:
    for cases in (_discharges(request), _sips(request)):
        case = (
            cases.filter(individual_id=individual_id)
            .select_related("individual")
            .order_by("-pk")
            .first()
        )
        if case is not None:
            return case
    return None


def _log(request, case) -> None:
    """One access-log row per case and request, however many of its resources a
    search returns."""
    logged = request.__dict__.setdefault("_fhir_logged", set())
    if case.pk not in logged:
        logged.add(case.pk)
        log_access(request, process=case, individual=case.individual, purpose=PURPOSE)


def _read_patient(request, individual_id) -> dict | None:
    case = _individual_visible(request, individual_id)
    if case is None:
        return None
    _log(request, case)
    return r.patient(case.individual)


def _pk(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise Http404
    return int(value)


# --- CapabilityStatement ----------------------------------------------------------------------

PATIENT_IDENTIFIER = (
    "identifier",
    "token",
    "The patient's personnummer (urn:oid:1.2.752.129.2.1.3.1) or samordningsnummer "
    "(urn:oid:1.2.752.129.2.1.3.3), as system|value or the value alone.",
)


def _last_updated(what: str) -> tuple[str, str, str]:
    return (
        "_lastUpdated",
        "date",
        f"meta.lastUpdated: {what}. Prefixes ge, gt, le, lt; a date (Stockholm) or an "
        "instant with its offset; repeat for a range.",
    )


SEARCH = ["read", "search-type"]

#: What the facade implements: resource type → (scope(s), interactions, search
#: parameters as (name, type, documentation)). Each listed parameter is served by the
#: search of its type; any other is refused (400), never ignored.
IMPLEMENTED = {
    "Patient": (
        "discharge:read | sip:read",
        SEARCH,
        [PATIENT_IDENTIFIER, _last_updated("when the person was registered")],
    ),
    "Task": (
        "discharge:read (discharges), sip:read (SIPs)",
        SEARCH,
        [PATIENT_IDENTIFIER, _last_updated("the deadline's last event")],
    ),
    "Communication": (
        "discharge:read",
        SEARCH,
        [PATIENT_IDENTIFIER, _last_updated("sent, or last answered or revoked")],
    ),
    "CarePlan": (
        "sip:read",
        SEARCH,
        [PATIENT_IDENTIFIER, _last_updated("the latest plan version saved")],
    ),
    "Appointment": (
        "sip:read",
        SEARCH,
        [PATIENT_IDENTIFIER, _last_updated("held, else called")],
    ),
    "Organization": (
        "directory:read",
        SEARCH,
        [
            (
                "identifier",
                "token",
                "The HSA id (urn:oid:1.2.752.129.2.1.4.1), as system|value or the value alone.",
            ),
            _last_updated("the directory entry last changed"),
        ],
    ),
}


def capability_statement(request) -> dict:
    resources = []
    for resource_type, (scope, interactions, params) in IMPLEMENTED.items():
        resource = {
            "type": resource_type,
            "documentation": f"Scope: {scope}.",
            "interaction": [{"code": code} for code in interactions],
        }
        if params:
            resource["searchParam"] = [
                {"name": name, "type": kind, "documentation": documentation}
                for name, kind, documentation in params
            ]
        resources.append(resource)
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": r.instant(timezone.now()),
        "publisher": "Kardborre",
        "kind": "instance",
        "software": {"name": "Kardborre"},
        "implementation": {
            "description": "Kardborre: discharge (LUS) and SIP coordination",
            "url": _base(request),
        },
        "fhirVersion": "4.0.1",
        "format": [CONTENT_TYPE],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Base R4 resources; no national profile is claimed. Search results are "
                    "searchset Bundles paged by _count (at most 100) and _offset."
                ),
                "security": {
                    "description": (
                        "Authorization: Bearer <API key>, issued per organisation with scopes. "
                        "Another organisation's case answers 404."
                    )
                },
                "resource": resources,
            }
        ],
    }
    return r.validated(statement)


@fhir_api.get("/metadata", auth=None, url_name="metadata")
def metadata(request):
    """Public: names no individual."""
    return fhir_response(capability_statement(request))


# --- Patient ---------------------------------------------------------------------------------


@fhir_api.get("/Patient/{resource_id}", url_name="patient_read")
def patient_read(request, resource_id: str):
    require_any_scope(request, Scope.DISCHARGE_READ, Scope.SIP_READ)
    resource = _read_patient(request, _pk(resource_id))
    if resource is None:
        raise Http404
    return fhir_response(resource)


def identifier_individual_ids(request) -> list[int] | None:
    """``identifier=[<system>|]<value>``: the patient's personnummer or
    samordningsnummer (with or without the hyphen). None when the search does not
    name one; else the matching individuals (none when the number is not known, not
    valid or of the other kind than its system says)."""
    token = request.GET.get("identifier")
    if token is None:
        return None
    system, _bar, value = token.rpartition("|")
    if system and system not in (*r.PERSONNUMMER_ALIASES, *r.SAMORDNINGSNUMMER_ALIASES):
        raise Problem(400, "invalid-input", f"Unknown identifier system {system}.")
    try:
        number = personnummer.parse(value)
    except Exception:  # noqa: BLE001 - any unparseable number matches nobody
        return []
    if system and (system in r.SAMORDNINGSNUMMER_ALIASES) != number.is_coordination_number:
        return []
    return list(
        Individual.objects.filter(personal_identity_number=number.formatted).values_list(
            "pk", flat=True
        )
    )


def _of_patient(request, qs: QuerySet, field: str) -> QuerySet:
    """Narrow ``qs`` to the patient named by ``identifier``, if any (``field``: the
    path from a row to its individual's id)."""
    ids = identifier_individual_ids(request)
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


@fhir_api.get("/Patient", url_name="patient_search")
def patient_search(request):
    """``identifier=<system>|<value>``: the personnummer or samordningsnummer (with or
    without the hyphen); ``_lastUpdated``: when the person was registered. At least
    one of the two. A person the client may not see is simply not found."""
    require_any_scope(request, Scope.DISCHARGE_READ, Scope.SIP_READ)
    _only(request, ("identifier", "_lastUpdated"))
    count, offset = _paging(request)
    if "identifier" not in request.GET and "_lastUpdated" not in request.GET:
        raise Problem(
            400,
            "invalid-input",
            "Patient search needs identifier=<system>|<value> or _lastUpdated.",
        )
    visible = Individual.objects.filter(
        Q(pk__in=_discharges(request).values("individual_id"))
        | Q(pk__in=_sips(request).values("individual_id"))
    )
    qs = _of_patient(request, visible, "pk").filter(**last_updated_filter(request, "created_at"))
    total = qs.count()
    entries = [
        _read_patient(request, pk)
        for pk in qs.order_by("created_at", "pk").values_list("pk", flat=True)[
            offset : offset + count
        ]
    ]
    return bundle_response(
        request,
        resource_type="Patient",
        total=total,
        entries=entries,
        count=count,
        offset=offset,
    )


# --- Task ------------------------------------------------------------------------------------


def _deadlines(request) -> QuerySet[Deadline]:
    require_any_scope(request, Scope.DISCHARGE_READ, Scope.SIP_READ)
    visible = Deadline.objects.filter(process_id__in=_discharges(request).values("pk")).union(
        Deadline.objects.filter(process_id__in=_sips(request).values("pk"))
    )
    return (
        Deadline.objects.filter(pk__in=visible.values("pk"))
        .select_related("responsible_organisation")
        .annotate(last_updated=Coalesce(Max("events__at"), "created_at"))
    )


def _cases(process_ids) -> dict:
    cases = {
        p.pk: p
        for p in DischargeProcess.objects.filter(pk__in=process_ids).select_related("individual")
    }
    sips = SipProcess.objects.filter(pk__in=process_ids).select_related("individual")
    cases.update({p.pk: p for p in sips})
    return cases


def _tasks(request, deadlines) -> list[dict]:
    cases = _cases({d.process_id for d in deadlines})
    out = []
    for deadline in deadlines:
        case = cases[deadline.process_id]
        _log(request, case)
        out.append(r.task(deadline, case=case, last_updated=deadline.last_updated))
    return out


@fhir_api.get("/Task/{resource_id}", url_name="task_read")
def task_read(request, resource_id: str):
    deadline = _deadlines(request).filter(pk=_pk(resource_id)).first()
    if deadline is None:
        raise Http404
    return fhir_response(_tasks(request, [deadline])[0])


@fhir_api.get("/Task", url_name="task_search")
def task_search(request):
    """Each deadline of the client's cases; ``_lastUpdated``: its last event;
    ``identifier``: the deadlines of that patient's cases."""
    qs = _deadlines(request)
    _only(request, ("_lastUpdated", "identifier"))
    count, offset = _paging(request)
    ids = identifier_individual_ids(request)
    if ids is not None:
        qs = qs.filter(
            Q(process_id__in=DischargeProcess.objects.filter(individual_id__in=ids).values("pk"))
            | Q(process_id__in=SipProcess.objects.filter(individual_id__in=ids).values("pk"))
        )
    qs = qs.filter(**last_updated_filter(request, "last_updated")).order_by("last_updated", "pk")
    total = qs.count()
    return bundle_response(
        request,
        resource_type="Task",
        total=total,
        entries=_tasks(request, list(qs[offset : offset + count])),
        count=count,
        offset=offset,
    )


# --- Communication ----------------------------------------------------------------------------


def _admission_notices(request) -> QuerySet[DischargeUnit]:
    return DischargeUnit.objects.filter(
        process__in=_discharges(request).values("pk"), notified_at__isnull=False
    ).annotate(
        last_updated=Greatest("notified_at", Coalesce("ack_at", "notified_at")),
    )


def _ready_notices(request) -> QuerySet[ReadyForDischargeNotice]:
    return ReadyForDischargeNotice.objects.filter(
        process__in=_discharges(request).values("pk")
    ).annotate(
        last_updated=Greatest(
            "recorded_at",
            Coalesce("acknowledged_at", "recorded_at"),
            Coalesce("revoked_at", "recorded_at"),
        ),
    )


def _communication(request, kind: str, pk: int, last_updated) -> dict:
    if kind == r.ADMISSION_NOTICE:
        unit = DischargeUnit.objects.select_related(
            "organisation", "process__individual", "process__ward"
        ).get(pk=pk)
        process = unit.process
        resource = r.admission_notice(unit, last_updated=last_updated)
    else:
        notice = ReadyForDischargeNotice.objects.select_related(
            "process__individual", "process__ward"
        ).get(pk=pk)
        process = notice.process
        units = process.unit_rows.select_related("organisation").order_by("role")
        resource = r.ready_notice(notice, units=units, last_updated=last_updated)
    _log(request, process)
    return resource


@fhir_api.get("/Communication/{resource_id}", url_name="communication_read")
def communication_read(request, resource_id: str):
    require_any_scope(request, Scope.DISCHARGE_READ)
    kind, _dash, pk = resource_id.rpartition("-")
    rows = {r.ADMISSION_NOTICE: _admission_notices, r.READY_NOTICE: _ready_notices}.get(kind)
    row = rows(request).filter(pk=_pk(pk)).first() if rows else None
    if row is None:
        raise Http404
    return fhir_response(_communication(request, kind, row.pk, row.last_updated))


@fhir_api.get("/Communication", url_name="communication_search")
def communication_search(request):
    """Each LUS message of the client's discharges: every admission notice (one per
    unit) and every ready-for-discharge notice; ``_lastUpdated``: when it was sent or
    last answered (or revoked); ``identifier``: the messages about that patient."""
    require_any_scope(request, Scope.DISCHARGE_READ)
    _only(request, ("_lastUpdated", "identifier"))
    count, offset = _paging(request)
    filters = last_updated_filter(request, "last_updated")
    admissions = _of_patient(request, _admission_notices(request), "process__individual_id")
    admissions = admissions.filter(**filters)
    readies = _of_patient(request, _ready_notices(request), "process__individual_id")
    readies = readies.filter(**filters)
    total = admissions.count() + readies.count()

    def rows(qs, kind):
        return qs.annotate(kind=Value(kind, output_field=CharField())).values_list(
            "kind", "pk", "last_updated"
        )

    page = (
        rows(admissions, r.ADMISSION_NOTICE)
        .union(rows(readies, r.READY_NOTICE))
        .order_by("last_updated", "kind", "pk")[offset : offset + count]
    )
    entries = [_communication(request, kind, pk, at) for kind, pk, at in page]
    return bundle_response(
        request,
        resource_type="Communication",
        total=total,
        entries=entries,
        count=count,
        offset=offset,
    )


# --- CarePlan, Appointment, Organization ------------------------------------------------------


@fhir_api.get("/CarePlan/{resource_id}", url_name="careplan_read")
def careplan_read(request, resource_id: str):
    """The SIP's latest plan; none while no plan is written or after sharing stopped."""
    require_any_scope(request, Scope.SIP_READ)
    sip = _sips(request).filter(pk=_pk(resource_id)).first()
    plan = None if sip is None else sip.plan_versions.order_by("-number").first()
    if plan is None or sip.sharing_stopped:
        raise Http404
    _log(request, sip)
    return fhir_response(r.careplan(sip, plan))


@fhir_api.get("/Appointment/{resource_id}", url_name="appointment_read")
def appointment_read(request, resource_id: str):
    require_any_scope(request, Scope.SIP_READ)
    meeting = (
        Meeting.objects.filter(sip__in=_sips(request).values("pk"), pk=_pk(resource_id))
        .select_related("sip__individual")
        .first()
    )
    if meeting is None:
        raise Http404
    _log(request, meeting.sip)
    return fhir_response(r.appointment(meeting))


@fhir_api.get("/Organization/{resource_id}", url_name="organization_read")
def organization_read(request, resource_id: str):
    require_any_scope(request, Scope.DIRECTORY_READ)
    organisation = organisations_search(include_inactive=True).filter(pk=_pk(resource_id)).first()
    if organisation is None:
        raise Http404
    return fhir_response(r.organization(organisation))


def _careplan_sips(request) -> QuerySet[SipProcess]:
    """SIPs with a plan that may still be shared; ``last_updated``: the latest
    version (the CarePlan's ``meta.lastUpdated``)."""
    return (
        _sips(request)
        .exclude(stage__in=[*SHARING_STOPPED_STAGES])
        .exclude(consent__revoked_at__isnull=False)
        .exclude(consent__decision=Consent.Decision.DECLINED)
        .annotate(last_updated=Max("plan_versions__created_at"))
        .filter(last_updated__isnull=False)
    )


@fhir_api.get("/CarePlan", url_name="careplan_search")
def careplan_search(request):
    """The client's SIPs' latest plans; ``identifier``: the patient's;
    ``_lastUpdated``: when the latest version was saved."""
    require_any_scope(request, Scope.SIP_READ)
    _only(request, ("_lastUpdated", "identifier"))
    count, offset = _paging(request)
    qs = _of_patient(request, _careplan_sips(request), "individual_id")
    qs = qs.filter(**last_updated_filter(request, "last_updated")).order_by("last_updated", "pk")
    total = qs.count()
    entries = []
    for sip in qs.select_related("individual", "consent")[offset : offset + count]:
        if sip.sharing_stopped:  # the consent's own rule, beyond the filters above
            continue
        _log(request, sip)
        entries.append(r.careplan(sip, sip.plan_versions.order_by("-number").first()))
    return bundle_response(
        request,
        resource_type="CarePlan",
        total=total,
        entries=entries,
        count=count,
        offset=offset,
    )


@fhir_api.get("/Appointment", url_name="appointment_search")
def appointment_search(request):
    """The meetings of the client's SIPs; ``identifier``: the patient's;
    ``_lastUpdated``: when the meeting was held, else when it was called."""
    require_any_scope(request, Scope.SIP_READ)
    _only(request, ("_lastUpdated", "identifier"))
    count, offset = _paging(request)
    qs = Meeting.objects.filter(sip__in=_sips(request).values("pk")).annotate(
        last_updated=Coalesce("held_at", "created_at")
    )
    qs = _of_patient(request, qs, "sip__individual_id")
    qs = qs.filter(**last_updated_filter(request, "last_updated")).order_by("last_updated", "pk")
    total = qs.count()
    entries = []
    for meeting in qs.select_related("sip__individual")[offset : offset + count]:
        _log(request, meeting.sip)
        entries.append(r.appointment(meeting))
    return bundle_response(
        request,
        resource_type="Appointment",
        total=total,
        entries=entries,
        count=count,
        offset=offset,
    )


@fhir_api.get("/Organization", url_name="organization_search")
def organization_search(request):
    """The directory; ``identifier``: the HSA id (``urn:oid:1.2.752.129.2.1.4.1|<id>``
    or the id alone); ``_lastUpdated``: when the entry was last changed."""
    require_any_scope(request, Scope.DIRECTORY_READ)
    _only(request, ("_lastUpdated", "identifier"))
    count, offset = _paging(request)
    qs = organisations_search(include_inactive=True)
    token = request.GET.get("identifier")
    if token is not None:
        system, _bar, value = token.rpartition("|")
        if system and system != r.HSA_ID:
            raise Problem(400, "invalid-input", f"Unknown identifier system {system}.")
        qs = qs.filter(hsa_id=value) if value else qs.none()
    qs = qs.filter(**last_updated_filter(request, "updated_at")).order_by("updated_at", "pk")
    total = qs.count()
    return bundle_response(
        request,
        resource_type="Organization",
        total=total,
        entries=[r.organization(o) for o in qs[offset : offset + count]],
        count=count,
        offset=offset,
    )
