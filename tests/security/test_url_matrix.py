"""The authorisation matrix: every URL of the URLconf × every actor, on the demo world.

``REGISTRY`` classifies every URL pattern by name. A pattern the registry does not know
fails ``test_every_url_is_classified``, so a new page cannot ship unclassified. Kinds:

- ``public``: no login (login page, language switch, the signed acknowledgement link);
- ``login``: any signed-in user; lists are filtered, so a page must not show another
  side's individuals (checked by personnummer, in pages and the access log CSV);
- ``object``: takes the id of a case object; the other side's object (IDOR) and
  users outside both sides get 404 (never 403, which would tell that it exists, nor 200
  or 500), and no name or personnummer;
- ``task``: a viewflow task URL ``<process_pk>/<node>/<task_pk>/<action>/``: the same;

A logged-out visitor is sent to ``/konto/login/?next=<the page>`` from every URL except
the public ones. Actors (``world.ACTORS``): a ward nurse, kommun handläggare and a
vårdcentral of each side, the MAS of each kommun, the MAS of another region, a former
member (inactive membership), the membership-less administrator and the logged-out
visitor.
- ``outbox_admin``: administrators only;
- ``admin``: the Django admin, staff only (anyone else is sent to the admin login);
- ``api``: the REST API for systems (``/api/v1/``): a bearer key, never a session;
  every actor, signed in or not, gets 401 problem+json (not a login redirect), and a
  key of one side's organisation gets 404 for the other side's ids. Its schema and
  documentation page are ``public`` (no personal data).
- ``fhir``: the FHIR R4 facade (``/fhir/``), the same keys: 401 OperationOutcome for
  every session, 404 OperationOutcome for the other side's ids, and a search for the
  other side's person finds nobody. Its CapabilityStatement (``/fhir/metadata``) is
  ``public`` (no personal data).
- ``riv``: the GetCarePlans SOAP producer (``/api/riv/``), the same keys: a SOAP fault
  401 for every session, and the other side's person has no plans for a key.
"""

import json
import re

import pytest
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver, reverse
from viewflow.workflow.models import Task

from workflows.discharge.models import DischargeProcess

from .world import ACTORS, SIDE_OF_ACTOR, DemoWorld, _discharge_orgs, _sip_orgs

# --- The registry -------------------------------------------------------------------------

PUBLIC = {
    "login": "konto/login/",
    "logout": "konto/logout/",
    "set_language": "i18n/setlang/",
    "sip_public:acknowledge": "kallelse/<str:token>/",
    # For load balancers and Prometheus: no personal data (tests/config/test_health_and_metrics.py).
    "health_live": "health/live",
    "health_ready": "health/ready",
    "metrics": "metrics",
    # SITHS sign-in: 404 unless configured; tests/config/test_oidc.py drives the journey.
    "oidc_authentication_init": "oidc/authenticate/",
    "oidc_authentication_callback": "oidc/callback/",
    # The API's schema and documentation page, and its root (404: it only anchors the URLs).
    "api:openapi-json": "api/v1/openapi.json",
    "api:openapi-view": "api/v1/docs",
    "api:api-root": "api/v1/",
    # Any other path under /api/v1/ (or a non-numeric id): 404 problem+json, naming nothing.
    "api:not_found": "api/v1/^.*$",
    # The FHIR facade's CapabilityStatement, and its root (404: it only anchors the URLs).
    "fhir:metadata": "fhir/metadata",
    "fhir:api-root": "fhir/",
}
LOGIN = {
    "home",  # the start page "Mina ärenden" (a MAS is redirected to oversight:dashboard)
    "index",
    "coordination:index",
    "coordination:organisation_list",
    "coordination:organisation_detail",  # the directory is open to every signed-in user
    "coordination:escalation_chain",  # administrators only (403 for others); no persons
    "coordination:individual_register",  # roles that start cases; shows one number asked for
    "coordination:organisation_search",  # the pickers' type-ahead: the directory, no persons
    "coordination:access_log",  # MAS and administrators; filtered by access_log_visible_to
    "deviations:index",
    "deviations:deviation_list",
    "deviations:deviation_create",
    "deviations:dashboard_moved",  # redirects to oversight:dashboard (old bookmarks)
    "deviations:dashboard_cases_moved",
    "notifications:index",
    "notifications:outbox_list",
    # Payment and indicators: filtered by payment_kommuner_visible_to; the episodes by
    # discharges_visible_to; the dispute endpoints are POST only (GET 405).
    "oversight:index",
    "oversight:dashboard",  # a MAS only, for their own kommuner (oversight.dashboard.Scope)
    "oversight:dashboard_cases",
    "oversight:invoice_basis",
    "oversight:invoice_episodes",
    "oversight:dispute_open",
    "oversight:dispute_resolve",
    "oversight:rates",
    "oversight:indicators",
    "oversight:region",
    "notifications:preferences",
    "sips:index",
    "sips:sip_list",
    "utskrivning:index",
    "utskrivning:case_list",
    "workflow:index",
    "workflow:tasks_assign",
    "workflow:tasks_unassign",
    "workflow:inbox",
    "workflow:queue",
    "workflow:archive",
    "workflow:flows:index",
    "workflow:flows:sip:index",
    "workflow:flows:sip:process_list",
    "workflow:flows:sip:task_list",
    "workflow:flows:sip:chart",
    "workflow:flows:sip:start:execute",
    "workflow:flows:discharge:index",
    "workflow:flows:discharge:process_list",
    "workflow:flows:discharge:task_list",
    "workflow:flows:discharge:chart",
    "workflow:flows:discharge:start:execute",
}
# name -> (object kind, accepts POST)
POST_ONLY = {
    "deviations:deviation_action",
    "sips:invitation_state",
    "sips:second_channel",
    "sips:revoke_consent",
    "sips:renew_consent",
    "sips:follow_up_meeting",
    "sips:plan_approve",
    "utskrivning:estimated_date_change",
    "utskrivning:ward_change",
    "utskrivning:unit_add",
    "utskrivning:unit_replace",
    "utskrivning:second_channel",
    "utskrivning:planning_basis_ack",
    "utskrivning:compulsory_care_sip",
    "utskrivning:information_ack",
}
OBJECT = {
    "deviations:deviation_detail": ("deviation", False),
    "deviations:deviation_action": ("deviation_action", True),
    "sips:sip_detail": ("sip", False),
    "sips:plan_print": ("plan", False),
    "sips:invitation_state": ("invitation", True),
    "sips:second_channel": ("invitation", True),
    "sips:revoke_consent": ("sip", True),
    "sips:renew_consent": ("sip", True),
    "sips:follow_up_meeting": ("sip", True),
    "sips:plan_approve": ("plan", True),
    "utskrivning:case_detail": ("discharge", False),
    "utskrivning:case_summary": ("discharge", False),
    "utskrivning:estimated_date_change": ("discharge", True),
    "utskrivning:withdraw": ("discharge", True),
    "utskrivning:ward_change": ("discharge", True),
    "utskrivning:unit_add": ("discharge", True),
    "utskrivning:unit_replace": ("discharge", True),
    "utskrivning:second_channel": ("discharge", True),
    "utskrivning:planning_basis": ("discharge", True),
    "utskrivning:planning_basis_ack": ("discharge", True),
    "utskrivning:discharge_information": ("discharge", True),
    "utskrivning:patient_letter": ("discharge", False),
    "utskrivning:compulsory_care_sip": ("discharge", True),
    "utskrivning:information_ack": ("discharge", True),
    "sips:withdraw": ("sip", True),
    "workflow:flows:sip:process_detail": ("sip", False),
    "workflow:flows:sip:process_cancel": ("sip", True),
    "workflow:flows:sip:process_chart": ("sip", False),
    "workflow:flows:discharge:process_detail": ("discharge", False),
    "workflow:flows:discharge:process_cancel": ("discharge", True),
    "workflow:flows:discharge:process_chart": ("discharge", False),
}
OUTBOX_ADMIN = {"notifications:outbox_resend"}
# name -> (object kind or None, a write). Bearer keys only (api/urls.py).
API = {
    "api:me": (None, False),
    "api:discharge_list": (None, False),
    "api:discharge_detail": ("discharge", False),
    "api:adt_admit": (None, True),
    "api:adt_transfer": (None, True),
    "api:adt_discharge": (None, True),
    "api:discharge_judgement": ("discharge", True),
    "api:discharge_admission_notice": ("discharge", True),
    "api:discharge_unit_answer": ("discharge_unit", True),
    "api:discharge_ready_notice": ("discharge", True),
    "api:discharge_ready_acknowledge": ("discharge", True),
    "api:discharge_ready_revoke": ("discharge", True),
    "api:discharge_fast_vardkontakt": ("discharge", True),
    "api:discharge_unit_plan": ("discharge_unit", True),
    "api:discharge_sip_kallelse": ("discharge", True),
    "api:sip_list": (None, False),
    "api:sip_detail": ("sip", False),
    "api:sip_start": (None, True),
    "api:sip_consent": ("sip", True),
    "api:sip_invite": ("sip", True),
    "api:sip_invitation_answer": ("invitation", True),
    "api:sip_invitation_second_channel": ("invitation", True),
    "api:sip_meeting": ("sip", True),
    "api:sip_plan": ("sip", True),
    "api:sip_plan_approve": ("plan", True),
    "api:sip_follow_up": ("sip", True),
    "api:sip_consent_revoke": ("sip", True),
    "api:sip_consent_renew": ("sip", True),
    "api:sip_withdraw": ("sip", True),
    "api:deviation_list": (None, False),
    "api:deviation_report": (None, True),
    "api:deviation_detail": ("deviation", False),
    "api:deviation_answer": ("deviation", True),
    "api:organisation_list": (None, False),
    "api:organisation_detail": ("organisation", False),
}
# name -> object kind or None (a search). Bearer keys only, reads only (api/fhir/api.py).
FHIR = {
    "fhir:patient_read": "patient",
    "fhir:patient_search": None,
    "fhir:task_read": "task",
    "fhir:task_search": None,
    "fhir:communication_read": "communication",
    "fhir:communication_search": None,
    "fhir:careplan_read": "careplan",
    "fhir:careplan_search": None,
    "fhir:appointment_read": "appointment",
    "fhir:appointment_search": None,
    "fhir:organization_read": "organisation",
    "fhir:organization_search": None,
}
# Bearer keys only, SOAP POST (api/getcareplans.py).
RIV = {"riv:getcareplans"}

# A valid body for each write on an object, so that the refusal comes from the lookup.
API_BODIES = {
    "api:discharge_judgement": {"judgement": "MAY_NEED"},
    "api:discharge_admission_notice": {"estimated_discharge_date": "2030-01-01"},
    "api:discharge_unit_answer": {"answer": "ACKNOWLEDGED"},
    "api:discharge_ready_revoke": {"reason": "Feber"},
    "api:deviation_answer": {"explanation": "Svar"},
    "api:discharge_fast_vardkontakt": {"person_username": "someone"},
    "api:discharge_unit_plan": {"interventions_needed": False},
    "api:discharge_sip_kallelse": {"action": "SKIPPED", "skipped_reason": "Giltig SIP"},
    "api:sip_consent": {"decision": "GIVEN", "method": "ORAL"},
    "api:sip_invite": {"starts_at": "2030-01-07T10:00:00+01:00", "place": "Rum 2"},
    "api:sip_invitation_answer": {"answer": "ACCEPT"},
    "api:sip_invitation_second_channel": {"channel": "PHONE", "note": "Ringt"},
    "api:sip_follow_up": {"decision": "CLOSE"},
    "api:sip_consent_renew": {"decision": "GIVEN", "method": "ORAL"},
    "api:sip_withdraw": {"reason": "Fel person"},
    "api:sip_plan": {
        "overall_responsibility": "KOMMUN",
        "own_goals": "Bo kvar hemma",
        "follow_up_date": "2030-02-01",
        "interventions": [
            {"description": "Hemtjänst", "organisation_id": 1, "start_date": "2030-01-08"}
        ],
    },
}

# Every node of each flow with the task actions viewflow gives it.
HUMAN = ("index", "detail", "execute", "assign", "unassign", "revive", "undo", "cancel")
GATE = ("index", "detail", "revive", "undo", "cancel")
END = ("index", "detail", "revive", "undo")
START = ("index", "detail", "undo")
FLOW_NODES = {
    "sip": {
        "start": START,
        "start_from_discharge": START,
        "consent": HUMAN,
        "consent_given": GATE,
        "declined": END,
        "end": END,
        "invite": HUMAN,
        "meeting": HUMAN,
        "plan": HUMAN,
        "follow_up": HUMAN,
        "closed_or_revised": GATE,
    },
    "discharge": {
        "start": START,
        "route_judgement": GATE,
        "judge": HUMAN,
        "route_after_judgement": GATE,
        "send_admission_notice": HUMAN,
        "split_units": END,
        "route_socialtjanst": GATE,
        "route_kommunal_hsv": GATE,
        "route_vardcentral": GATE,
        "ack_socialtjanst": HUMAN,
        "ack_kommunal_hsv": HUMAN,
        "ack_vardcentral": HUMAN,
        "appoint_fast_vardkontakt": HUMAN,
        "plan_socialtjanst": HUMAN,
        "plan_kommunal_hsv": HUMAN,
        "plan_vardcentral": HUMAN,
        "issue_ready_notice": HUMAN,
        "split_ready": END,
        "ack_ready": HUMAN,
        "sip_kallelse": HUMAN,
        "route_discharge": GATE,
        "discharge": HUMAN,
        "end": END,
        "end_no_planning": END,
    },
}
TASK = {
    f"workflow:flows:{flow}:{node}:{action}": (flow, node)
    for flow, nodes in FLOW_NODES.items()
    for node, actions in nodes.items()
    for action in actions
}

# The Django admin: model admins (each with changelist/add/change/delete/history) and
# the admin's own pages.
ADMIN_MODELS = [
    "auth_group",
    "auth_user",
    "axes_accessattempt",
    "axes_accessfailurelog",
    "axes_accesslog",
    "coordination_area",
    "coordination_consent",
    "coordination_escalationchain",
    "deviations_deviation",
    "coordination_individual",
    "coordination_membership",
    "coordination_organisation",
    "discharge_dischargeprocess",
    "discharge_paymentagreement",
    "discharge_paymentdayrate",
    "notifications_notificationpreference",
    "notifications_outboundemail",
    "sip_invitation",
    "sip_meeting",
    "sip_planversion",
    "sip_sipevent",
    "viewflow_process",
    "viewflow_task",
    "workflows_deadline",
    "api_apiclient",
    "api_apievent",
    "api_webhooksubscription",
    "api_webhookdelivery",
]
ADMIN = (
    {
        f"admin:{model}_{action}"
        for model in ADMIN_MODELS
        for action in ("changelist", "add", "change", "delete", "history")
    }
    | {
        "admin:index",
        "admin:login",
        "admin:logout",
        "admin:password_change",
        "admin:password_change_done",
        "admin:jsi18n",
        "admin:view_on_site",
        "admin:autocomplete",
        "admin:app_list",
        "admin:auth_user_password_change",
        "admin/(?P<url>.*)$",  # the catch-all (unnamed): redirects to the admin login
    }
    | {  # unnamed: object_id alone redirects to the change page
        "admin/{}/{}/<path:object_id>/".format(*model.split("_", 1)) for model in ADMIN_MODELS
    }
)

REGISTRY = {
    **dict.fromkeys(PUBLIC, "public"),
    **dict.fromkeys(LOGIN, "login"),
    **dict.fromkeys(OBJECT, "object"),
    **dict.fromkeys(TASK, "task"),
    **dict.fromkeys(OUTBOX_ADMIN, "outbox_admin"),
    **dict.fromkeys(ADMIN, "admin"),
    **dict.fromkeys(API, "api"),
    **dict.fromkeys(FHIR, "fhir"),
    **dict.fromkeys(RIV, "riv"),
}


def url_patterns():
    """(full name, route) of every pattern, viewflow's nested ones included."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or ""
                full = f"{namespace}:{name}" if namespace and name else name
                yield full or prefix + str(pattern.pattern), prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns, "", ""))


DENIED = {404}
LOGIN_URL = "/konto/login/"


def sent_to_login(response, url) -> bool:
    from urllib.parse import quote

    return response.status_code == 302 and response["Location"] == (
        f"{LOGIN_URL}?next={quote(url, safe='/')}"
    )


def test_every_url_is_classified():
    patterns = url_patterns()
    unclassified = sorted({name for name, _route in patterns} - set(REGISTRY))
    assert not unclassified, f"URL patterns missing from the security registry: {unclassified}"
    # And the registry lists nothing that no longer exists (it would hide a rename).
    stale = sorted(set(REGISTRY) - {name for name, _route in patterns})
    assert not stale, f"registry entries without a URL: {stale}"
    assert len(patterns) > 400  # viewflow's nested task URLs are walked too


def test_registry_walk_fails_on_an_unknown_url(monkeypatch):
    """The classification check is real: an extra pattern is reported."""
    from django.urls import path

    from config import urls

    monkeypatch.setattr(
        urls, "urlpatterns", [*urls.urlpatterns, path("x/", lambda r: None, name="new_page")]
    )
    clear_url_caches()
    try:
        names = {name for name, _route in url_patterns()}
        assert "new_page" in names and "new_page" not in REGISTRY
    finally:
        monkeypatch.undo()
        clear_url_caches()


# --- Building requests ---------------------------------------------------------------------


def _object_args(kind, side):
    if kind == "discharge":
        return [side.discharge.pk]
    if kind == "sip":
        return [side.sip.pk]
    if kind == "deviation":
        return [side.deviation.pk]
    if kind == "deviation_action":
        return [side.deviation.pk, "answer"]
    if kind == "plan":
        plan = side.sip.plan_versions.order_by("number").first()
        return [side.sip.pk, plan.number if plan else 1]
    if kind == "invitation":
        return [side.invitation.sip_pk, side.invitation.pk]
    if kind == "discharge_unit":
        return [side.discharge.pk, "SOCIALTJANST"]
    if kind == "organisation":
        return [side.discharge.ward_id]
    return [_fhir_id(kind, side)]


def _fhir_id(kind, side) -> str | None:
    """The FHIR id of one of the side's objects of ``kind`` (None: the side has none)."""
    from workflows.discharge.models import DischargeUnit
    from workflows.models import Deadline
    from workflows.sip.models import Meeting

    if kind == "patient":
        return str(side.discharge.individual_id)
    if kind == "task":
        return str(Deadline.objects.filter(process__in=side.discharges).order_by("pk")[0].pk)
    if kind == "communication":
        unit = DischargeUnit.objects.filter(process__in=side.discharges).order_by("pk")[0]
        return f"admission-notice-{unit.pk}"
    if kind == "careplan":
        with_plan = [sip for sip in side.sips if sip.plan_versions.exists()]
        return str((with_plan or [side.sip])[0].pk)
    if kind == "appointment":
        meeting = Meeting.objects.filter(sip__in=side.sips).order_by("pk").first()
        return None if meeting is None else str(meeting.pk)
    raise AssertionError(kind)


def _task_for(side, flow, node):
    """A task of ``node`` in one of the side's processes (the flow's richest case first)."""
    processes = side.discharges if flow == "discharge" else side.sips
    tasks = Task.objects.filter(process__in=processes)
    for task in tasks.order_by("-process_id", "pk"):
        if task.flow_task.name == node:
            return task
    return None


class Matrix(DemoWorld, TestCase):
    """One demo world for the whole matrix (loaded once, rolled back after)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Access-log rows about each side's cases, by that side's handläggare.
        from coordination.models import AccessLog
        from coordination.services import access_log_record

        for key, actor in (("a", "handlaggare_a"), ("b", "handlaggare_b")):
            user = cls.w.users[actor]
            for process in cls.w.sides[key].discharges:
                access_log_record(
                    user=user,
                    action=AccessLog.Action.READ,
                    purpose="matrix",
                    individual=process.individual,
                    process=process,
                    organisation=user.memberships.first().organisation,
                )

    def assert_denied(self, actor, response, url, failures):
        if actor == "anonymous":
            ok = sent_to_login(response, url)
        else:
            ok = response.status_code in DENIED
        if ok and response.status_code == 404:
            body = response.content.decode()
            leaked = [m for m in self.other_markers(actor) if m in body]
            if leaked:
                failures.append(f"{actor} {url}: 404 page shows {leaked}")
        if not ok:
            where = response.get("Location", "")
            failures.append(
                f"{actor} {response.request['REQUEST_METHOD']} {url}: "
                f"{response.status_code} {where}"
            )

    def other_markers(self, actor):
        """Personnummer this actor must never see: the other side's individuals."""
        own = SIDE_OF_ACTOR.get(actor)
        hidden = set()
        for key, markers in self.markers.items():
            if key != own:
                hidden |= markers
        if own:
            hidden -= self.markers[own]
        return hidden

    def test_pages_for_signed_in_users_leak_nothing(self):
        failures = []
        for actor in ACTORS:
            client = self.client_for(actor)
            hidden = self.other_markers(actor)
            for name in sorted(LOGIN):
                if name in ("workflow:tasks_assign", "workflow:tasks_unassign"):
                    url = reverse(name)
                    response = client.post(url, {"tasks": []})
                elif name in ("coordination:organisation_detail", "coordination:escalation_chain"):
                    url = reverse(name, args=[self.w.sides["a"].discharge.ward_id])
                    response = client.get(url)
                else:
                    url = reverse(name)
                    response = client.get(url)
                if actor == "anonymous":
                    if not sent_to_login(response, url):
                        failures.append(f"anonymous {url}: {response.status_code}")
                    continue
                if response.status_code >= 500:
                    failures.append(f"{actor} {url}: {response.status_code}")
                    continue
                if name == "coordination:access_log" and actor == "staff":
                    continue  # administrators review the whole log (issue 7), by design
                if response.status_code == 200:
                    page = response.content.decode()
                    leaked = [m for m in hidden if m in page]
                    if leaked:
                        failures.append(f"{actor} {url} shows {leaked}")
        # The access log's CSV export, too.
        for actor in ACTORS:
            response = self.client_for(actor).get(
                reverse("coordination:access_log"), {"format": "csv"}
            )
            if actor == "anonymous":
                if response.status_code != 302:
                    failures.append(f"anonymous csv: {response.status_code}")
                continue
            if actor == "staff":
                continue  # administrators review the whole log, by design
            if actor.startswith("mas_") and response.status_code != 200:
                failures.append(f"{actor} access log csv: {response.status_code}")
            body = response.getvalue().decode()  # streamed when it is the export
            if actor.startswith("mas_") and not any(m in body for m in self.markers[actor[-1]]):
                failures.append(f"{actor} access log csv lacks its own kommun's rows")
            leaked = [m for m in self.other_markers(actor) if m in body]
            if response.status_code >= 500 or leaked:
                failures.append(f"{actor} access log csv: {response.status_code} {leaked}")
        assert not failures, "\n".join(failures)

    def test_case_pages_own_side_and_idor(self):
        failures = []
        checked = 0
        for actor in ACTORS:
            client = self.client_for(actor)
            for name, (kind, accepts_post) in sorted(OBJECT.items()):
                for key, side in self.w.sides.items():
                    if kind == "invitation" and side.invitation is None:
                        continue  # asserted below for side a
                    url = reverse(name, args=_object_args(kind, side))
                    insider = SIDE_OF_ACTOR.get(actor) == key
                    responses = []
                    get = client.get(url)
                    if name in POST_ONLY and actor != "anonymous":
                        if get.status_code != 405:
                            failures.append(f"{actor} GET {url}: {get.status_code}, not 405")
                    else:
                        responses.append(get)
                    if accepts_post and not insider:
                        responses.append(client.post(url, {}))
                    for response in responses:
                        checked += 1
                        if response.status_code >= 500:
                            failures.append(f"{actor} {url}: {response.status_code}")
                        elif not insider:
                            self.assert_denied(actor, response, url, failures)
        # The people taking part read their own case.
        for actor in ("nurse_a", "handlaggare_a", "vardkontakt_a", "mas_a"):
            side = self.w.sides["a"]
            response = self.client_for(actor).get(
                reverse("utskrivning:case_detail", args=[side.discharge.pk])
            )
            if response.status_code != 200:
                failures.append(f"{actor} own discharge: {response.status_code}")
        for actor in ("handlaggare_b", "mas_b"):
            side = self.w.sides["b"]
            response = self.client_for(actor).get(
                reverse("utskrivning:case_detail", args=[side.discharge.pk])
            )
            if response.status_code != 200:
                failures.append(f"{actor} own discharge: {response.status_code}")
            response = self.client_for(actor).get(reverse("sips:sip_detail", args=[side.sip.pk]))
            if response.status_code != 200:
                failures.append(f"{actor} own SIP: {response.status_code}")
        for actor in ("handlaggare_a", "mas_a"):
            response = self.client_for(actor).get(
                reverse("sips:sip_detail", args=[self.w.sides["a"].sip.pk])
            )
            if response.status_code != 200:
                failures.append(f"{actor} own SIP: {response.status_code}")
        assert self.w.sides["a"].invitation is not None
        assert checked > 200
        assert not failures, "\n".join(failures)

    def test_task_urls_idor(self):
        """Every task URL of every node, with a real task of that node where the demo
        has one, requested from outside the side: 403/404 only, and nothing changes.

        To keep the suite fast each URL is requested by one outsider in turn (GET and
        POST by different ones) plus the membership-less administrator, so every
        outsider covers a share of every flow's URLs.
        """
        failures = []
        real = 0
        before = list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id"))
        clients = {actor: self.client_for(actor) for actor in ACTORS}
        outsiders = {
            key: [a for a in ACTORS if a != "staff" and SIDE_OF_ACTOR.get(a) != key]
            for key in self.w.sides
        }
        for i, (name, (flow, node)) in enumerate(sorted(TASK.items())):
            action = name.rsplit(":", 1)[1]
            for key, side in self.w.sides.items():
                task = _task_for(side, flow, node)
                if task is None:
                    # No such task on this side: the route with another node's task.
                    process = side.discharge if flow == "discharge" else side.sip
                    task = process.task_set.order_by("pk").first()
                else:
                    real += 1
                url = reverse(name, args=[task.process_id, task.pk])
                others = outsiders[key]
                getter = others[i % len(others)]
                for actor in (getter, "staff"):
                    response = clients[actor].get(url)
                    if action == "index" and actor != "anonymous":
                        # The index only redirects: to the task's pages for those who
                        # may see it, else home ("You have no rights to view this task").
                        # Non-human nodes redirect to their detail page unchecked: that
                        # page must refuse.
                        if response.status_code == 302 and response["Location"] != "/":
                            target = response["Location"]
                            self.assert_denied(actor, clients[actor].get(target), target, failures)
                        elif response.status_code != 302:
                            self.assert_denied(actor, response, url, failures)
                    else:
                        self.assert_denied(actor, response, url, failures)
                if action != "index":
                    poster = others[(i + 1) % len(others)]
                    response = clients[poster].post(url, {})
                    self.assert_denied(poster, response, url, failures)
        after = list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id"))
        assert before == after, "a refused request changed a task"
        assert real > 100, real
        assert not failures, "\n".join(failures[:80])

    def test_insiders_open_their_side_task_pages(self):
        """The other half of the matrix for task URLs: people taking part in a case open
        its task detail pages (every node with a task on side a), and the MAS too."""
        side = self.w.sides["a"]
        clients = {a: self.client_for(a) for a in ("nurse_a", "handlaggare_a", "mas_a")}
        failures, opened, region_only = [], 0, 0
        for flow, nodes in FLOW_NODES.items():
            for node in nodes:
                task = _task_for(side, flow, node)
                if task is None:
                    continue
                url = task.flow_task.reverse("detail", args=[task.process_id, task.pk])
                process = side.discharges if flow == "discharge" else side.sips
                assert task.process_id in {p.pk for p in process}
                actor = "nurse_a" if flow == "discharge" else "handlaggare_a"
                case = next(p for p in process if p.pk == task.process_id)
                # The kommun's MAS oversees the case only once something went to one of
                # the kommun's organisations: a region ward in Södermalm is not enough.
                orgs = _discharge_orgs(case) if flow == "discharge" else _sip_orgs(case)
                kommun_party = any(o.effective_huvudman == "KOMMUN" for o in orgs)
                for who in (actor, "mas_a"):
                    response = clients[who].get(url)
                    opened += 1
                    expected = 200 if who == actor or kommun_party else 404
                    if who == "mas_a" and not kommun_party:
                        region_only += 1
                    if response.status_code != expected:
                        failures.append(f"{who} {url}: {response.status_code}, not {expected}")
        assert opened > 40
        assert region_only > 0, "the demo should hold a case with no kommun party yet"
        assert not failures, "\n".join(failures)

    def test_superuser_without_membership_cannot_take_cancel_or_undo_tasks(self):
        """viewflow lets anyone with the model-wide permission (every superuser) take any
        task, and the flow's manage permission cancel, undo or revive it; here only
        members of the organisation a task is routed to may take it, and nobody uses
        viewflow's generic cancel/undo/revive."""
        from workflows.discharge.flows import DischargeFlow

        side = self.w.sides["a"]
        task = Task.objects.filter(
            process__in=side.discharges, flow_task_type="HUMAN", status="NEW"
        ).first()
        node = task.flow_task
        staff = self.client_for("staff")
        assert self.w.users["staff"].is_superuser
        for action in ("assign", "cancel"):
            url = node.reverse(action, args=[task.process_id, task.pk])
            assert staff.get(url).status_code == 404, action
            assert staff.post(url).status_code == 404, action
        done = Task.objects.filter(process__in=side.discharges, status="DONE").exclude(
            flow_task_type="START"
        )
        undo_task = next(
            t for t in done if "undo" in FLOW_NODES["discharge"].get(t.flow_task.name, ())
        )
        url = undo_task.flow_task.reverse("undo", args=[undo_task.process_id, undo_task.pk])
        assert staff.post(url).status_code == 404
        cancel_case = DischargeFlow.instance.reverse("process_cancel", args=[side.discharge.pk])
        assert staff.post(cancel_case).status_code in DENIED
        task.refresh_from_db()
        undo_task.refresh_from_db()
        assert (task.status, task.owner_id) == ("NEW", None)
        assert undo_task.status == "DONE"
        # The ward's own nurse may still take the ward's task.
        own = Task.objects.filter(
            process__in=side.discharges,
            flow_task_type="HUMAN",
            status="NEW",
            owner_permission_obj_pk=str(side.discharge.ward_id),
        ).first()
        response = self.client_for("nurse_a").post(
            own.flow_task.reverse("assign", args=[own.process_id, own.pk])
        )
        assert response.status_code == 302
        own.refresh_from_db()
        assert own.owner_id == self.w.users["nurse_a"].pk

    def test_outbox_resend_is_for_administrators_only(self):
        email = self.w.sides["a"].email or self.w.sides["b"].email
        assert email is not None
        url = reverse("notifications:outbox_resend", args=[email.pk])
        for actor in ACTORS:
            if actor == "staff":
                continue
            response = self.client_for(actor).post(url)
            failures = []
            self.assert_denied(actor, response, url, failures)
            assert not failures, failures

    def test_admin_is_for_staff_only(self):
        failures = []
        for actor in ACTORS:
            client = self.client_for(actor)
            for model in ADMIN_MODELS:
                url = reverse(f"admin:{model}_changelist")
                response = client.get(url)
                if actor == "staff":
                    if response.status_code != 200:
                        failures.append(f"staff {url}: {response.status_code}")
                elif actor == "anonymous":
                    if not sent_to_login(response, url):
                        failures.append(f"{actor} {url}: {response.status_code}")
                elif not (response.status_code == 302 and "/admin/login/" in response["Location"]):
                    failures.append(f"{actor} {url}: {response.status_code}")
                if actor == "staff":
                    continue
                for action in ("change", "delete", "history"):
                    url = reverse(f"admin:{model}_{action}", args=["1"])
                    response = client.get(url)
                    if actor == "anonymous":
                        if not sent_to_login(response, url):
                            failures.append(f"{actor} {url}: {response.status_code}")
                    elif actor != "staff" and not (
                        response.status_code == 302 and "/admin/login/" in response["Location"]
                    ):
                        failures.append(f"{actor} {url}: {response.status_code}")
                    if response.status_code >= 500:
                        failures.append(f"{actor} {url}: {response.status_code}")
        assert not failures, "\n".join(failures)

    def test_public_urls(self):
        client = Client()
        assert client.get(reverse("login")).status_code == 200
        assert (
            client.get(reverse("sip_public:acknowledge", args=["not-a-token"])).status_code == 400
        )
        invitation = self.w.sides["a"].invitation
        from workflows.sip.services import acknowledgement_url

        page = client.get(acknowledgement_url(invitation))
        assert page.status_code == 200
        # The public page names no individual.
        assert not any(m in page.content.decode() for m in self.markers["a"])
        assert not re.search(r"\d{8}-\d{4}", page.content.decode())
        # Health answers without login and names nothing; metrics are off unless configured.
        assert client.get(reverse("health_live")).status_code == 200
        ready = client.get(reverse("health_ready"))
        assert ready.status_code in (200, 503)
        assert not any(m in ready.content.decode() for m in self.markers["a"])
        assert client.get(reverse("metrics")).status_code == 404
        # The API's schema and documentation page: public, and they name no individual.
        for name in ("api:openapi-json", "api:openapi-view"):
            page = client.get(reverse(name))
            assert page.status_code == 200, name
            assert not any(m in page.content.decode() for m in self.markers["a"])
        assert client.get(reverse("api:api-root")).status_code == 404  # a marker only
        # The FHIR CapabilityStatement: public, names no individual.
        page = client.get(reverse("fhir:metadata"))
        assert page.status_code == 200
        assert page["Content-Type"].startswith("application/fhir+json")
        assert page.json()["resourceType"] == "CapabilityStatement"
        assert not any(m.replace("-", "") in page.content.decode() for m in self.markers["a"])
        assert client.get(reverse("fhir:api-root")).status_code == 404  # a marker only

    def test_api_takes_keys_not_sessions(self):
        """Every API URL, for every actor with a session (or none): 401 problem+json,
        never a login redirect, a page or a write."""
        failures = []
        before = DischargeProcess.objects.count()
        for actor in ACTORS:
            client = self.client_for(actor)
            for name, (kind, write) in sorted(API.items()):
                url = reverse(name, args=_object_args(kind, self.w.sides["a"]) if kind else [])
                response = client.post(url, {}) if write else client.get(url)
                if response.status_code != 401 or (
                    response["Content-Type"] != "application/problem+json"
                ):
                    failures.append(f"{actor} {url}: {response.status_code}")
        assert DischargeProcess.objects.count() == before
        assert not failures, "\n".join(failures)

    def test_api_keys_see_their_own_side_only(self):
        """A key of each side's ward: its own discharge 200, the other side's objects
        (discharge, SIP, deviation, with each step) 404 without a personnummer."""
        from api.models import Scope
        from api.services import api_client_create

        failures = []
        for key, other in (("a", "b"), ("b", "a")):
            side = self.w.sides[key]
            issued = api_client_create(
                organisation=side.discharge.ward, name=f"HIS {key}", scopes=Scope.values
            )
            client = Client(headers={"Authorization": f"Bearer {issued.key}"})
            own = client.get(reverse("api:discharge_detail", args=[side.discharge.pk]))
            if own.status_code != 200:
                failures.append(f"{key} own discharge: {own.status_code}")
            for name, (kind, write) in sorted(API.items()):
                if kind in (None, "organisation"):
                    continue
                if kind == "invitation" and self.w.sides[other].invitation is None:
                    continue  # the side has no invitation (side a has: the sessions test)
                url = reverse(name, args=_object_args(kind, self.w.sides[other]))
                body = json.dumps(API_BODIES.get(name, {}))
                response = (
                    client.post(url, body, content_type="application/json")
                    if write
                    else client.get(url)
                )
                leaked = [m for m in self.markers[other] if m in response.content.decode()]
                if response.status_code != 404 or leaked:
                    failures.append(f"{key} {url}: {response.status_code} {leaked}")
        assert not failures, "\n".join(failures)

    def test_fhir_takes_keys_not_sessions(self):
        """Every FHIR URL, for every actor with a session (or none): 401
        OperationOutcome, never a login redirect or a resource."""
        failures = []
        for actor in ACTORS:
            client = self.client_for(actor)
            for name, kind in sorted(FHIR.items()):
                url = reverse(name, args=_object_args(kind, self.w.sides["a"]) if kind else [])
                response = client.get(url)
                if (
                    response.status_code != 401
                    or not response["Content-Type"].startswith("application/fhir+json")
                    or response.json()["resourceType"] != "OperationOutcome"
                ):
                    failures.append(f"{actor} {url}: {response.status_code}")
        assert not failures, "\n".join(failures)

    def test_fhir_keys_see_their_own_side_only(self):
        """A key of each side's ward (every scope): its own patient, tasks and messages
        200; each of the other side's ids 404 OperationOutcome naming no one; the
        other side's person is not found by identifier, nor in any search."""
        from api.models import Scope
        from api.services import api_client_create

        failures = []
        assert _fhir_id("appointment", self.w.sides["a"]) is not None
        for key, other in (("a", "b"), ("b", "a")):
            side = self.w.sides[key]
            issued = api_client_create(
                organisation=side.discharge.ward, name=f"FHIR {key}", scopes=Scope.values
            )
            client = Client(headers={"Authorization": f"Bearer {issued.key}"})
            for kind in ("patient", "task", "communication"):
                name = f"fhir:{kind}_read"
                own = client.get(reverse(name, args=_object_args(kind, side)))
                if own.status_code != 200:
                    failures.append(f"{key} own {kind}: {own.status_code}")
            markers = self.markers[other] | {m.replace("-", "") for m in self.markers[other]}
            for name, kind in sorted(FHIR.items()):
                if kind in (None, "organisation"):
                    continue
                args = _object_args(kind, self.w.sides[other])
                if args == [None]:
                    continue  # the side has no such object (asserted for side a)
                url = reverse(name, args=args)
                response = client.get(url)
                leaked = [m for m in markers if m in response.content.decode()]
                if (
                    response.status_code != 404
                    or response.json()["resourceType"] != "OperationOutcome"
                    or leaked
                ):
                    failures.append(f"{key} {url}: {response.status_code} {leaked}")
            for name in (
                "fhir:task_search",
                "fhir:communication_search",
                "fhir:careplan_search",
                "fhir:appointment_search",
            ):
                body = client.get(reverse(name), {"_count": 100}).content.decode()
                leaked = [m for m in markers if m in body]
                if leaked:
                    failures.append(f"{key} {name} shows {leaked}")
            for marker in self.markers[other]:
                found = client.get(
                    reverse("fhir:patient_search"),
                    {"identifier": f"urn:oid:1.2.752.129.2.1.3.1|{marker}"},
                ).json()
                if found.get("total") != 0:
                    failures.append(f"{key} finds {marker}: {found.get('total')}")
        assert not failures, "\n".join(failures)

    def test_riv_takes_keys_not_sessions_and_keeps_to_its_side(self):
        """GetCarePlans: every session (or none) gets a 401 SOAP fault; a key of each
        side's ward finds no plan of the other side's people and names none of them."""
        from api.getcareplans import SOAP_NS
        from api.models import Scope
        from api.services import api_client_create
        from tests.api.test_getcareplans import soap_request

        failures = []
        url = reverse("riv:getcareplans")
        marker = next(iter(self.markers["a"])).replace("-", "")
        for actor in ACTORS:
            response = self.client_for(actor).post(
                url, soap_request(marker), content_type="text/xml"
            )
            if response.status_code != 401 or f"{SOAP_NS}" not in response.content.decode():
                failures.append(f"{actor} {url}: {response.status_code}")
        for key, other in (("a", "b"), ("b", "a")):
            issued = api_client_create(
                organisation=self.w.sides[key].discharge.ward,
                name=f"NPÖ {key}",
                scopes=Scope.values,
            )
            client = Client(headers={"Authorization": f"Bearer {issued.key}"})
            own = [
                client.post(url, soap_request(m.replace("-", "")), content_type="text/xml")
                for m in self.markers[key]
            ]
            if not any(b"carePlanHeader" in response.content for response in own):
                failures.append(f"{key} finds no plan of its own side")
            for marker in self.markers[other]:
                digits = marker.replace("-", "")
                body = client.post(url, soap_request(digits), content_type="text/xml")
                text = body.content.decode()
                if body.status_code != 200 or "carePlanHeader" in text or digits in text:
                    failures.append(f"{key} finds {marker}: {body.status_code}")
        assert not failures, "\n".join(failures)


pytestmark = pytest.mark.django_db
