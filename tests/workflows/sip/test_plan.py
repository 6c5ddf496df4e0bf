"""Plan versions and the print view."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from workflows.models import Deadline
from workflows.sip import services

from .factories import SipProcessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sip(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    sip.participants.add(world.vc)
    services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
    # The meeting has been held: the plan is written next.
    sip.schedule_meeting()
    sip.hold_meeting()
    sip.save()
    return sip


def _save(
    world,
    sip,
    goals,
    follow_up_days=30,
    interventions=None,
    reason="Kommunens insatser är redan beviljade och oförändrade.",
):
    today = timezone.localdate()
    return services.sip_plan_save(
        sip=sip,
        overall_responsibility="REGION",
        lead_person=world.vardkontakt,
        own_goals=goals,
        others_actions="Sonen kör till vårdcentralen.",
        follow_up_date=today + dt.timedelta(days=follow_up_days),
        interventions=interventions
        if interventions is not None
        else [{"description": "Fysioterapi", "organisation": world.vc, "start_date": today}],
        one_huvudman_reason=reason,
        by=world.handlaggare,
    )


def test_versions_are_kept_and_the_follow_up_deadline_moves(world, sip):
    first = _save(world, sip, "Gå utan rollator")
    second = _save(world, sip, "Gå till parken", follow_up_days=60)
    assert (first.number, second.number) == (1, 2)
    first.refresh_from_db()
    assert first.own_goals == "Gå utan rollator"
    deadlines = Deadline.objects.filter(process=sip, kind="SIP_FOLLOW_UP")
    assert [d.status for d in deadlines.order_by("pk")] == ["CANCELLED", "OPEN"]
    open_deadline = deadlines.get(status="OPEN")
    # The lead person works at the vårdcentral, which answers for the follow-up.
    assert open_deadline.responsible_organisation == world.vc
    assert open_deadline.responsible_user == world.vardkontakt


def test_a_plan_needs_an_intervention(world, sip):
    with pytest.raises(ValidationError):
        _save(world, sip, "Mål", interventions=[])
    assert not sip.plan_versions.exists()


def test_print_view(client, world, sip):
    _save(world, sip, "Gå utan rollator")
    _save(world, sip, "Gå till parken")
    client.force_login(world.vardkontakt)
    page = client.get(f"/sips/{sip.pk}/plan/1/utskrift/").content.decode()
    assert "Samordnad individuell plan (SIP)" in page
    assert "Version 1" in page and "Gå utan rollator" in page and "Gå till parken" not in page
    assert "Fysioterapi" in page and "Rosenlunds vårdcentral" in page
    assert "Region" in page and "Sonen kör till vårdcentralen." in page
    assert "Skriv ut" in page
    assert client.get(f"/sips/{sip.pk}/plan/3/utskrift/").status_code == 404
    overview = client.get(sip.get_absolute_url()).content.decode()
    assert "Gå till parken" in overview and "Tidigare versioner" in overview


def test_plan_as_pdf_from_the_print_template(client, world, sip):
    import io

    from pypdf import PdfReader

    from coordination.models import AccessLog

    _save(world, sip, "Gå utan rollator")
    client.force_login(world.vardkontakt)
    page = client.get(f"/sips/{sip.pk}/plan/1/utskrift/").content.decode()
    assert "javascript:" not in page  # the print button works under the CSP
    assert "data-kb-print" in page and "kardborre/print.js" in page
    assert 'href="?format=pdf"' in page
    printed_before = AccessLog.objects.filter(action="PRINT", process=sip).count()
    response = client.get(f"/sips/{sip.pk}/plan/1/utskrift/", {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Samordnad individuell plan (SIP)" in text
    assert "Gå utan rollator" in text and "Fysioterapi" in text
    assert "Skriv ut" not in text  # the buttons are not in the document
    assert AccessLog.objects.filter(action="PRINT", process=sip).count() == printed_before + 1
    # Someone outside the SIP gets no PDF either.
    client.force_login(world.outsider)
    assert client.get(f"/sips/{sip.pk}/plan/1/utskrift/", {"format": "pdf"}).status_code == 404


def test_a_plan_from_one_principal_needs_the_reason(world, sip):
    """SoL 2 kap. 7 § / HSL 16 kap. 4 §: the SIP coordinates both principals. Every
    intervention from the region and no reason: refused, nothing written."""
    with pytest.raises(ValidationError) as refused:
        _save(world, sip, "Gå utan rollator", reason="  ")
    assert "one_huvudman_reason" in refused.value.message_dict
    assert "regionen" in refused.value.message_dict["one_huvudman_reason"][0]
    assert not sip.plan_versions.exists()
    # Both principals: no reason needed, and none is kept.
    today = timezone.localdate()
    plan = _save(
        world,
        sip,
        "Gå utan rollator",
        interventions=[
            {"description": "Fysioterapi", "organisation": world.vc, "start_date": today},
            {"description": "Hemtjänst", "organisation": world.bistand, "start_date": today},
        ],
        reason="",
    )
    assert plan.one_huvudman_reason == ""
    # One principal with the reason: saved, the reason kept and shown on the plan.
    plan = _save(world, sip, "Gå till parken")
    assert plan.one_huvudman_reason.startswith("Kommunens insatser")


def test_the_follow_up_date_comes_after_the_meeting(world, sip):
    meeting = sip.meetings.create(
        starts_at=timezone.now() + dt.timedelta(days=10),
        held_at=timezone.now(),
        place="Biståndsenheten",
    )
    with pytest.raises(ValidationError) as refused:
        _save(world, sip, "Gå utan rollator", follow_up_days=5)
    assert "follow_up_date" in refused.value.message_dict
    assert not sip.plan_versions.exists()
    assert meeting.pk


def test_each_intervention_names_who_answers_for_it(client, world, sip):
    today = timezone.localdate()
    plan = _save(
        world,
        sip,
        "Gå utan rollator",
        interventions=[
            {
                "description": "Fysioterapi",
                "organisation": world.vc,
                "start_date": today,
                "responsible": "Fysioterapeut Ali",
            },
            {"description": "Hemtjänst", "organisation": world.bistand, "start_date": today},
        ],
        reason="",
    )
    assert [i.responsible for i in plan.interventions.order_by("description")] == [
        "Fysioterapeut Ali",
        "",
    ]
    client.force_login(world.handlaggare)
    assert "Fysioterapi – Rosenlunds vårdcentral, Fysioterapeut Ali" in (
        client.get(sip.get_absolute_url()).content.decode()
    )
    printed = client.get(f"/sips/{sip.pk}/plan/{plan.number}/utskrift/").content.decode()
    assert "<td>Fysioterapeut Ali</td>" in printed
