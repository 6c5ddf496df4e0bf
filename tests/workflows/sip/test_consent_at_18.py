"""A guardians' consent lapses on the child's 18th birthday (föräldrabalken 6 kap. 2 §:
custody ends at 18); a deadline asks for the individual's own consent before it."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from viewflow.workflow.status import PROCESS

from coordination.personnummer import make_test_number
from notifications.models import OutboundEmail
from tests.factories import IndividualFactory
from workflows.models import Deadline
from workflows.sip import services
from workflows.sip.models import SipProcess
from workflows.tasks import deadlines_sweep

from .factories import RelatedPersonFactory
from .helpers import _urls_loaded, start_sip

pytestmark = pytest.mark.django_db

STOCKHOLM = dt.timezone(dt.timedelta(hours=1))
BIRTHDAY_18 = dt.date(2027, 3, 10)


def at(day: dt.date, hour=10):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=STOCKHOLM), tick=False
    )


@pytest.fixture
def teenager(world):
    individual = IndividualFactory(
        given_name="Nora",
        family_name="Lund",
        personal_identity_number=make_test_number(dt.date(2009, 3, 10), 985),
    )
    guardian = RelatedPersonFactory(
        individual=individual, kind="VARDNADSHAVARE", has_custody=True, name="Pia Lund"
    )
    with at(dt.date(2026, 12, 2)):
        sip = start_sip(
            _client(world.handlaggare),
            world.handlaggare,
            individual=individual,
            organisation=world.bistand,
        )
        services.sip_consent_record(
            sip=sip,
            decision="GIVEN",
            method="WRITTEN",
            guardians=[guardian],
            child_view="Jag vill ha hjälp med skolan.",
            by=world.handlaggare,
        )
    return SipProcess.objects.get(pk=sip.pk)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _page(world, sip):
    _urls_loaded()
    return _client(world.handlaggare).get(sip.get_absolute_url()).content.decode()


def test_the_guardians_consent_is_in_force_until_the_18th_birthday(world, teenager):
    sip = teenager
    assert sip.consent.valid_until == BIRTHDAY_18
    deadline = Deadline.objects.get(process_id=sip.pk, kind="SIP_OWN_CONSENT")
    assert deadline.responsible_organisation == world.bistand
    assert deadline.due_at == dt.datetime(2027, 3, 10, 0, 0, tzinfo=STOCKHOLM)
    with at(dt.date(2027, 3, 9), hour=23):
        assert SipProcess.objects.get(pk=sip.pk).consent_in_force
        page = _page(world, sip)
    assert "i kraft till 10 mars 2027" in page
    with at(BIRTHDAY_18, hour=0):
        sip = SipProcess.objects.get(pk=sip.pk)
        assert not sip.consent_in_force
        assert sip.sharing_stopped
        page = _page(world, sip)
    assert 'data-testid="consent-lapsed"' in page
    assert "Vårdnadshavarnas samtycke upphörde 10 mars 2027" in page


def test_the_deadline_reminds_a_month_before_and_the_lapse_is_escalated(world, teenager):
    deadline = Deadline.objects.get(process_id=teenager.pk, kind="SIP_OWN_CONSENT")
    with at(dt.date(2027, 2, 8), hour=9):  # 30 days before, Monday
        deadlines_sweep()
    reminded = set(OutboundEmail.objects.filter(deadline=deadline).values_list("to", flat=True))
    assert world.handlaggare.email in reminded


def test_own_consent_too_early_is_refused_and_writes_nothing(world, teenager):
    _urls_loaded()
    client = None
    with at(dt.date(2026, 12, 10)):
        client = _client(world.handlaggare)
        response = client.post(
            f"/sips/{teenager.pk}/samtycke/eget/",
            {"decision": "GIVEN", "method": "ORAL"},
            follow=True,
        )
    text = response.content.decode()
    assert "fyller 18 den 10 mars 2027" in text
    assert SipProcess.objects.get(pk=teenager.pk).consent_id == teenager.consent_id


def test_own_consent_after_the_lapse_lets_the_sip_go_on(world, teenager):
    with at(dt.date(2027, 3, 12)):
        assert SipProcess.objects.get(pk=teenager.pk).sharing_stopped
        client = _client(world.handlaggare)
        response = client.post(
            f"/sips/{teenager.pk}/samtycke/eget/",
            {"decision": "GIVEN", "method": "WRITTEN", "scope_note": "Hela planen"},
            follow=True,
        )
        assert "Den enskildes eget samtycke är registrerat" in response.content.decode()
        sip = SipProcess.objects.get(pk=teenager.pk)
        assert sip.consent_in_force and not sip.sharing_stopped
    assert sip.consent.given_by_role == "INDIVIDUAL"
    assert sip.consent.valid_until is None
    deadline = Deadline.objects.get(process_id=sip.pk, kind="SIP_OWN_CONSENT")
    assert deadline.status == Deadline.Status.MET


def test_the_individual_declining_at_18_ends_the_sip(world, teenager):
    with at(dt.date(2027, 3, 1)):  # within the month before the birthday
        client = _client(world.handlaggare)
        client.post(
            f"/sips/{teenager.pk}/samtycke/eget/", {"decision": "DECLINED", "method": "ORAL"}
        )
    sip = SipProcess.objects.get(pk=teenager.pk)
    assert sip.stage == SipProcess.Stage.CONSENT_REVOKED
    assert sip.status == PROCESS.CANCELED
    assert sip.sharing_stopped
    assert not Deadline.objects.filter(process_id=sip.pk, status=Deadline.Status.OPEN).exists()


def test_a_consent_given_by_an_adult_has_no_end(world):
    with at(dt.date(2026, 12, 2)):
        sip = start_sip(
            _client(world.handlaggare),
            world.handlaggare,
            individual=world.individual,
            organisation=world.bistand,
        )
        consent = services.sip_consent_record(
            sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare
        )
    assert consent.valid_until is None
    assert not Deadline.objects.filter(process_id=sip.pk, kind="SIP_OWN_CONSENT").exists()


@pytest.mark.parametrize(
    "birth, of_age",
    [
        (dt.date(2009, 3, 10), dt.date(2027, 3, 10)),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1)),  # a leap-day child
        (dt.date(2008, 12, 31), dt.date(2026, 12, 31)),
    ],
)
def test_eighteenth_birthday(birth, of_age):
    individual = IndividualFactory.build(personal_identity_number=make_test_number(birth, 986))
    assert services.eighteenth_birthday(individual) == of_age


def test_from_15_the_childs_own_view_is_recorded_with_the_guardians_consent(world, teenager):
    """Nora is 17: the guardians' decision needs her own view too (SoL 11 kap. 10 §)."""
    individual = teenager.individual
    guardian = individual.related_persons.get()
    with at(dt.date(2026, 12, 2)):
        sip = start_sip(
            _client(world.handlaggare),
            world.handlaggare,
            individual=individual,
            organisation=world.bistand,
        )
        with pytest.raises(ValidationError) as refused:
            services.sip_consent_record(
                sip=sip,
                decision="GIVEN",
                method="WRITTEN",
                guardians=[guardian],
                by=world.handlaggare,
            )
        assert "child_view" in refused.value.message_dict
        consent = services.sip_consent_record(
            sip=sip,
            decision="GIVEN",
            method="WRITTEN",
            guardians=[guardian],
            child_view="Jag vill att skolan är med.",
            by=world.handlaggare,
        )
        page = _page(world, sip)
    assert consent.child_view == "Jag vill att skolan är med."
    assert "Jag vill att skolan är med." in page
