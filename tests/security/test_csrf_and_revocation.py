"""CSRF on every URL that accepts POST; revoked membership; the cross-flow selector."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max
from django.test import TestCase
from django.urls import URLPattern, get_resolver, reverse
from viewflow.workflow.models import Process, Task

from coordination.models import AccessLog, Membership, Organisation
from notifications.models import OutboundEmail
from workflows.deviations.models import Deviation
from workflows.discharge.models import DischargeProcess
from workflows.selectors import processes_visible_to
from workflows.sip.models import Invitation, SipProcess

from .test_url_matrix import (
    ADMIN_MODELS,
    OBJECT,
    TASK,
    _object_args,
    _task_for,
    url_patterns,
)
from .world import ACTORS, DemoWorld

# The POST endpoints outside the object and task registries.
POST_PAGES = [
    "login",
    "logout",
    "set_language",
    "workflow:tasks_assign",
    "workflow:tasks_unassign",
    "deviations:deviation_create",
    "notifications:preferences",
    "workflow:flows:sip:start:execute",
    "workflow:flows:discharge:start:execute",
]
TASK_POST_ACTIONS = ("execute", "assign", "unassign", "revive", "undo", "cancel")


def snapshot():
    """Enough of the database to see any write a refused POST could make."""
    return (
        list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        list(Process.objects.order_by("pk").values_list("pk", "status")),
        list(Deviation.objects.order_by("pk").values_list("pk", "status")),
        list(Invitation.objects.order_by("pk").values_list("pk", "state")),
        Membership.objects.aggregate(Max("pk")),
        OutboundEmail.objects.count(),
        AccessLog.objects.count(),
    )


def _member_for(w, organisation):
    """One of our actors acting for ``organisation`` (the one who may take the task)."""
    for actor, user in w.users.items():
        if Membership.objects.filter(user=user, organisation=organisation, is_active=True):
            return actor
    return "handlaggare_a"


API_PREFIXES = ("api/v1/", "api/riv/", "fhir/")  # bearer keys only, no session


class Csrf(DemoWorld, TestCase):
    def test_no_view_is_csrf_exempt(self):
        """Only the API for systems is exempt: it authenticates by a bearer key alone and
        never by the session cookie, so a cross-site request carries no credential
        (a signed-in browser gets 401 there: tests/security/test_url_matrix.py)."""

        def walk(patterns, prefix=""):
            for p in patterns:
                if isinstance(p, URLPattern):
                    yield prefix + str(p.pattern), p
                else:
                    yield from walk(p.url_patterns, prefix + str(p.pattern))

        exempt = [
            path
            for path, p in walk(get_resolver().url_patterns)
            if getattr(p.callback, "csrf_exempt", False)
        ]
        assert exempt, "the API's views are expected to be exempt"
        assert [path for path in exempt if not path.startswith(API_PREFIXES)] == []

    def test_every_post_url_refuses_a_post_without_token_and_writes_nothing(self):
        side = self.w.sides["a"]
        requests = []  # (actor, url)
        for name in POST_PAGES:
            requests.append(("handlaggare_a", reverse(name)))
            requests.append(("anonymous", reverse(name)))
        requests.append(("anonymous", reverse("sip_public:acknowledge", args=["x"])))
        from workflows.sip.services import acknowledgement_url

        requests.append(("anonymous", acknowledgement_url(side.invitation)))
        for name, (kind, accepts_post) in OBJECT.items():
            if accepts_post:
                actor = "mas_a" if "deviation" in kind else "handlaggare_a"
                requests.append((actor, reverse(name, args=_object_args(kind, side))))
        requests.append(("staff", reverse("notifications:outbox_resend", args=[1])))
        for model in ADMIN_MODELS:
            requests.append(("staff", reverse(f"admin:{model}_add")))
            requests.append(("staff", reverse(f"admin:{model}_delete", args=["1"])))
        for name, (flow, node) in TASK.items():
            if name.rsplit(":", 1)[1] not in TASK_POST_ACTIONS:
                continue
            task = _task_for(side, flow, node)
            if task is None:
                continue
            organisation = (
                Organisation.objects.filter(pk=task.owner_permission_obj_pk).first()
                if task.owner_permission_obj_pk
                else None
            )
            actor = _member_for(self.w, organisation) if organisation else "nurse_a"
            requests.append((actor, reverse(name, args=[task.process_id, task.pk])))

        clients = {a: self.client_for(a, enforce_csrf_checks=True) for a in ACTORS}
        before = snapshot()
        failures = [
            f"{actor} POST {url}: {response.status_code}"
            for actor, url in requests
            if (response := clients[actor].post(url, {"next": "/"})).status_code != 403
            or b"CSRF" not in response.content
        ]
        assert snapshot() == before, "a POST without a CSRF token wrote something"
        assert len(requests) > 150
        assert not failures, "\n".join(failures)

    def test_the_same_post_with_a_token_gets_past_csrf(self):
        """The refusal above is the CSRF check, not a permission: with a token the
        handläggare's POST reaches the view (a form with errors, not a 403)."""
        client = self.client_for("handlaggare_a", enforce_csrf_checks=True)
        url = reverse("deviations:deviation_create") + f"?process={self.w.sides['a'].discharge.pk}"
        page = client.get(url)
        assert page.status_code == 200
        token = client.cookies["csrftoken"].value
        without = client.post(url, {})
        with_token = client.post(url, {"csrfmiddlewaretoken": token})
        assert without.status_code == 403
        assert with_token.status_code in (200, 302, 400)  # the form answers, not CSRF


class Revocation(DemoWorld, TestCase):
    def test_revoked_membership_takes_effect_on_the_next_request(self):
        side = self.w.sides["a"]
        client = self.client_for("handlaggare_a")
        discharge_url = reverse("utskrivning:case_detail", args=[side.discharge.pk])
        sip_url = reverse("sips:sip_detail", args=[side.sip.pk])
        assert client.get(discharge_url).status_code == 200
        assert client.get(sip_url).status_code == 200
        individual = side.discharge.individual
        assert not individual.protected_identity
        list_page = client.get(reverse("utskrivning:case_list")).content.decode()
        assert individual.family_name in list_page

        Membership.objects.filter(user=self.w.users["handlaggare_a"]).update(is_active=False)

        # Same session, next request: nothing of the case is reachable.
        assert client.get(discharge_url).status_code == 404
        assert client.get(sip_url).status_code == 404
        assert not processes_visible_to(user=self.w.users["handlaggare_a"]).exists()
        for url in (
            reverse("utskrivning:case_list"),
            reverse("sips:sip_list"),
            reverse("workflow:queue"),
            reverse("workflow:inbox"),
            reverse("deviations:deviation_list"),
        ):
            page = client.get(url).content.decode()
            assert individual.family_name not in page, url
            for pnr in self.markers["a"]:
                assert pnr not in page, url


class ProcessesVisibleTo(DemoWorld, TestCase):
    def test_union_of_the_flow_selectors(self):
        from workflows.discharge.selectors import discharges_visible_to
        from workflows.sip.selectors import sips_visible_to

        for actor, user in self.w.users.items():
            expected = set(discharges_visible_to(user=user).values_list("pk", flat=True)) | set(
                sips_visible_to(user=user).values_list("pk", flat=True)
            )
            got = processes_visible_to(user=user)
            assert got.model is Process
            assert set(got.values_list("pk", flat=True)) == expected, actor

    def test_each_side_sees_its_own_cases_only(self):
        a, b = self.w.sides["a"], self.w.sides["b"]
        a_pks = {p.pk for p in [*a.discharges, *a.sips]}
        b_pks = {p.pk for p in [*b.discharges, *b.sips]}
        for actor in ("nurse_a", "handlaggare_a", "vardkontakt_a", "mas_a"):
            visible = set(
                processes_visible_to(user=self.w.users[actor]).values_list("pk", flat=True)
            )
            assert visible and visible <= a_pks | (visible - b_pks), actor
            assert not visible & b_pks, actor
        for actor in ("mas_b", "handlaggare_b"):
            visible = set(
                processes_visible_to(user=self.w.users[actor]).values_list("pk", flat=True)
            )
            assert visible and not visible & a_pks, actor
        mas_a = set(processes_visible_to(user=self.w.users["mas_a"]).values_list("pk", flat=True))
        assert a.discharge.pk in mas_a and a.sip.pk in mas_a
        assert DischargeProcess.objects.filter(pk__in=mas_a).exists()
        assert SipProcess.objects.filter(pk__in=mas_a).exists()

    def test_nobody_else(self):
        assert not processes_visible_to(user=AnonymousUser()).exists()
        assert not processes_visible_to(user=self.w.users["staff"]).exists()
        assert self.w.users["staff"].is_superuser
        inactive = self.w.users["mas_a"]
        inactive.is_active = False
        assert not processes_visible_to(user=inactive).exists()


def test_registry_covers_post_pages():
    names = {name for name, _ in url_patterns()}
    assert set(POST_PAGES) <= names
