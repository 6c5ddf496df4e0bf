"""Each participant's approval of the plan, and the individual's own view, recorded per
version (issue: SIP plan approvals)."""

import datetime as dt

import pytest
from django.utils import timezone

from workflows.sip import services
from workflows.sip.models import PlanApproval, SipEvent

from .factories import SipProcessFactory
from .helpers import _urls_loaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    sip.participants.add(world.vc)
    services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
    sip.schedule_meeting()
    sip.hold_meeting()
    sip.save()
    today = timezone.localdate()
    return services.sip_plan_save(
        sip=sip,
        overall_responsibility="KOMMUN",
        own_goals="Bo kvar hemma",
        follow_up_date=today + dt.timedelta(days=30),
        interventions=[
            {"description": "Hemtjänst", "organisation": world.bistand, "start_date": today},
            {"description": "Läkemedelsgenomgång", "organisation": world.vc, "start_date": today},
        ],
        by=world.handlaggare,
    )


def _post(client, user, plan, **data):
    _urls_loaded()
    client.force_login(user)
    return client.post(
        f"/sips/{plan.sip_id}/plan/{plan.number}/godkann/", data, follow=True
    ).content.decode()


def test_each_participant_and_the_individual_approve_the_plan(client, world, plan):
    client.force_login(world.handlaggare)
    page = client.get(plan.sip.get_absolute_url()).content.decode()
    approvals = page.split('data-testid="plan-approvals"')[1].split("</ul>")[0]
    assert approvals.count("inte godkänd än") == 3  # bistånd, vårdcentral, the individual
    assert "Godkänn planen för Södermalm biståndsenhet äldre" in page
    assert "Godkänn planen för Rosenlunds vårdcentral" not in page  # not the user's unit

    page = _post(client, world.handlaggare, plan, party=world.bistand.pk)
    assert "Godkännandet av planen är registrerat" in page
    page = _post(client, world.vardkontakt, plan, party=world.vc.pk)
    page = _post(
        client, world.handlaggare, plan, party="individual", note="Jag vill prova i tre månader"
    )
    approvals = page.split('data-testid="plan-approvals"')[1].split("</ul>")[0]
    assert "inte godkänd än" not in approvals
    assert "”Jag vill prova i tre månader”" in approvals or "Jag vill prova" in approvals
    assert PlanApproval.objects.filter(plan=plan).count() == 3
    assert SipEvent.objects.filter(sip=plan.sip, kind="PLAN_APPROVED").count() == 3


def test_approvals_are_refused_for_others_twice_or_for_an_old_version(client, world, plan):
    # The vårdcentral's staff cannot approve for the biståndsenhet.
    page = _post(client, world.vardkontakt, plan, party=world.bistand.pk)
    assert "Bara organisationens egen personal" in page
    # Nor record the individual's approval (the initiating organisation does).
    page = _post(client, world.vardkontakt, plan, party="individual")
    assert "Den initierande organisationen registrerar" in page
    # An organisation the plan does not ask.
    page = _post(client, world.outsider, plan, party=world.outside.pk)
    assert not PlanApproval.objects.exists()

    _post(client, world.handlaggare, plan, party=world.bistand.pk)
    page = _post(client, world.handlaggare, plan, party=world.bistand.pk)
    assert "har redan godkänt" in page
    assert PlanApproval.objects.count() == 1

    # A new version asks again; the old one cannot be approved any more.
    today = timezone.localdate()
    newer = services.sip_plan_save(
        sip=plan.sip,
        overall_responsibility="KOMMUN",
        own_goals="Bo kvar hemma, gå ut varje dag",
        follow_up_date=today + dt.timedelta(days=40),
        interventions=[
            {"description": "Hemtjänst", "organisation": world.bistand, "start_date": today},
            {"description": "Fysioterapi", "organisation": world.vc, "start_date": today},
        ],
        by=world.handlaggare,
    )
    page = _post(client, world.vardkontakt, plan, party=world.vc.pk)
    assert "Bara den aktuella versionen" in page
    assert not newer.approvals.exists()
