"""Skyddad identitet: name and address only to users with the explicit grant, never in email."""

from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.models import Permission
from django.template import VariableDoesNotExist
from django.template.loader import render_to_string
from django.test import TestCase
from django.urls import reverse

from coordination.models import Individual
from coordination.templatetags.kardborre import address_for, name_for
from notifications.models import OutboundEmail
from workflows.discharge.models import DischargeProcess
from workflows.sip.models import SipProcess

from .world import DemoWorld

NAME = ("Hemliga", "Skyddsdóttir")
ADDRESS = "Dolda vägen 7, 123 45 Ingenstans"


def grant(user):
    user.user_permissions.add(
        Permission.objects.get(
            codename="view_protected_identity", content_type__app_label="coordination"
        )
    )


class ProtectedIdentity(DemoWorld, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        side = cls.w.sides["a"]
        cls.individual = side.discharge.individual
        Individual.objects.filter(pk=cls.individual.pk).update(
            given_name=NAME[0], family_name=NAME[1], address=ADDRESS, protected_identity=True
        )
        # The SIP of the same side is about the same protected person.
        SipProcess.objects.filter(pk=side.sip.pk).update(individual=cls.individual)
        cls.individual.refresh_from_db()

    def pages(self):
        side = self.w.sides["a"]
        discharge, sip = side.discharge, side.sip
        urls = [
            reverse("utskrivning:case_detail", args=[discharge.pk]),
            reverse("utskrivning:case_list"),
            reverse("utskrivning:case_list") + "?q=" + self.individual.personal_identity_number,
            reverse("sips:sip_detail", args=[sip.pk]),
            reverse("sips:sip_list"),
            reverse("workflow:queue"),
            reverse("workflow:inbox"),
            reverse("workflow:archive"),
            reverse("workflow:flows:discharge:process_detail", args=[discharge.pk]),
            reverse("workflow:flows:discharge:process_list"),
            reverse("workflow:flows:sip:process_detail", args=[sip.pk]),
            reverse("deviations:deviation_list"),
            reverse("coordination:access_log"),
        ]
        plan = sip.plan_versions.order_by("number").first()
        if plan:
            urls.append(reverse("sips:plan_print", args=[sip.pk, plan.number]))
        for task in DischargeProcess.objects.get(pk=discharge.pk).task_set.all():
            node = task.flow_task
            urls.append(node.reverse("detail", args=[discharge.pk, task.pk]))
        return urls

    def assert_hidden_everywhere(self, actor):
        client = self.client_for(actor)
        shown = 0
        for url in self.pages():
            response = client.get(url)
            assert response.status_code < 500, url
            if response.status_code != 200:
                continue
            shown += 1
            page = response.content.decode()
            for secret in (*NAME, ADDRESS):
                assert secret not in page, (actor, url, secret)
        return shown

    def test_hidden_from_everyone_without_the_grant(self):
        for actor in ("nurse_a", "handlaggare_a", "vardkontakt_a", "mas_a"):
            assert self.assert_hidden_everywhere(actor) >= 8, actor
        page = self.client_for("handlaggare_a").get(
            reverse("utskrivning:case_detail", args=[self.w.sides["a"].discharge.pk])
        )
        assert f"#{self.individual.pk}" in page.content.decode()  # the placeholder

    def test_the_grant_shows_the_name_on_the_case_pages(self):
        user = self.w.users["handlaggare_a"]
        grant(user)
        client = self.client_for("handlaggare_a")
        side = self.w.sides["a"]
        for url in (
            reverse("utskrivning:case_detail", args=[side.discharge.pk]),
            reverse("sips:sip_detail", args=[side.sip.pk]),
            reverse("utskrivning:case_list"),
        ):
            page = client.get(url).content.decode()
            assert f"{NAME[0]} {NAME[1]}" in page, url
        # A colleague of the same unit without the grant still sees the placeholder.
        other = self.client_for("mas_a").get(
            reverse("utskrivning:case_detail", args=[side.discharge.pk])
        )
        assert NAME[1] not in other.content.decode()

    def test_the_grant_does_not_open_other_cases(self):
        user = self.w.users["handlaggare_b"]
        grant(user)
        response = self.client_for("handlaggare_b").get(
            reverse("utskrivning:case_detail", args=[self.w.sides["a"].discharge.pk])
        )
        assert response.status_code == 404

    def test_filters(self):
        anonymous = SimpleNamespace(is_authenticated=False)
        user = self.w.users["nurse_a"]
        assert name_for(self.individual, user) == str(self.individual)
        assert NAME[1] not in name_for(self.individual, user)
        assert address_for(self.individual, user) == ""
        assert address_for(self.individual, anonymous) == ""
        grant(user)
        user = type(user).objects.get(pk=user.pk)  # permission cache
        assert name_for(self.individual, user) == f"{NAME[0]} {NAME[1]}"
        assert address_for(self.individual, user) == ADDRESS
        open_person = Individual(given_name="Öppen", family_name="Person", address="Gatan 1")
        assert name_for(open_person, anonymous) == "Öppen Person"
        assert name_for(None, user) == ""

    def test_no_email_names_the_individual(self):
        """Every email the demo produced, and every email template rendered with the
        protected individual in every likely context variable: no name, address or
        personnummer."""
        side = self.w.sides["a"]
        secrets = (*NAME, ADDRESS, self.individual.personal_identity_number)
        everyone = Individual.objects.all()
        for email in OutboundEmail.objects.all():
            body = f"{email.subject}\n{email.body_text}\n{email.body_html}"
            for person in everyone:
                assert person.family_name not in body, email.pk
                assert person.personal_identity_number not in body, email.pk
        process = DischargeProcess.objects.get(pk=side.discharge.pk)
        sip = SipProcess.objects.get(pk=side.sip.pk)
        context = {
            "individual": self.individual,
            "process": process,
            "sip": sip,
            "case": process,
            "discharge": process,
            "deadline": SimpleNamespace(process=process, individual=self.individual),
            "site_url": "https://kardborre.example.se",
        }
        rendered = 0
        for app_dir in (
            Path(settings.BASE_DIR) / "notifications",
            Path(settings.BASE_DIR) / "workflows",
        ):
            for path in app_dir.rglob("templates/**/email*/*"):
                name = str(path).split("templates/", 1)[1]
                try:
                    text = render_to_string(name, context)
                except VariableDoesNotExist:
                    continue  # needs its own context (digest counts); covered above
                rendered += 1
                for secret in secrets:
                    assert secret not in text, (name, secret)
        assert rendered >= 15, rendered
