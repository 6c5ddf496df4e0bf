"""An adult's discharge with its content: the planning basis (versions, each unit's
acknowledgement) and the information at discharge with the letter to the individual,
printable and as PDF (DOMAIN.md §1.3 steps 3 and 6)."""

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from notifications.services import outbox_deliver_pending
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeEvent, PlanningBasis
from workflows.models import Deadline

from .helpers import client_for, do, fresh
from .test_flow import local
from .test_second_channel import _notify

pytestmark = pytest.mark.django_db

BASIS = {
    "medical_state": "Höftfraktur opererad, stabil.",
    "functional_ability": "Går med rollator, behöver hjälp vid dusch.",
    "care_needs": "Hemtjänst morgon och kväll, trygghetslarm.",
    "other": "",
}
INFORMATION = {
    "status_at_discharge": "Stabil, smärtlindrad.",
    "medication_list": "Alvedon 1 g x 3, Oxynorm vid behov till och med fredag.",
    "aids": "Rollator utlånad av avdelningen.",
    "letter_to_individual": "Du har opererats för en höftfraktur. Ring vårdcentralen vid feber.",
}


def _url(name, process):
    return reverse(f"utskrivning:{name}", args=[process.pk])


def test_planning_basis_versions_and_each_units_acknowledgement(world):
    process = _notify(world)
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        # Bad input: a required part left blank, everything typed kept, nothing written.
        response = ward.post(_url("planning_basis", process), {**BASIS, "medical_state": " "})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Detta fält måste fyllas i" in page or "Fältet måste fyllas i" in page
        assert "Går med rollator" in page
        assert not PlanningBasis.objects.exists()

        response = ward.post(_url("planning_basis", process), BASIS)
        assert response.status_code == 302
        outbox_deliver_pending()
    basis = PlanningBasis.objects.get()
    assert basis.number == 1
    told = {m.to[0] for m in mail.outbox if "planeringsunderlag" in m.subject.lower()}
    assert {world.social.functional_mailbox, world.vc.functional_mailbox} <= told
    for message in mail.outbox:
        assert world.individual.family_name not in message.body
        assert "rollator" not in message.body.lower()

    kommun = client_for(world.handlaggare)
    with time_machine.travel(local(2022, 11, 14, 11, 0), tick=False):
        page = kommun.get(process.get_absolute_url()).content.decode()
        assert "Höftfraktur opererad" in page
        assert "Kvittera planeringsunderlaget" in page
        kommun.post(_url("planning_basis_ack", process))
        page = kommun.get(process.get_absolute_url()).content.decode()
    acks = page.split('data-testid="planning-basis-acks"')[1].split("</ul>")[0]
    assert f"{world.social.name}: kvitterad" in acks
    assert f"{world.vc.name}: <strong>inte kvitterat än" in acks
    assert "Kvittera planeringsunderlaget" not in page
    assert DischargeEvent.objects.filter(
        process=process, kind="PLANNING_BASIS_ACKNOWLEDGED", organisation=world.social
    ).exists()

    # A new version asks every unit again; the first is kept. The form starts from it.
    with time_machine.travel(local(2022, 11, 15, 9, 0), tick=False):
        assert "Höftfraktur opererad" in ward.get(_url("planning_basis", process)).content.decode()
        ward.post(_url("planning_basis", process), {**BASIS, "care_needs": "Hemtjänst tre gånger"})
        page = kommun.get(process.get_absolute_url()).content.decode()
        # Only the ward writes it.
        assert kommun.get(_url("planning_basis", process)).status_code == 403
    assert list(process.planning_bases.values_list("number", flat=True)) == [2, 1]
    assert "Kvittera planeringsunderlaget" in page


def test_information_at_discharge_and_the_letter_to_the_individual(world):
    process = _notify(world)
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 15, 9, 0), tick=False):
        # Before the patient is ready for discharge: refused, nothing written.
        response = ward.post(_url("discharge_information", process), INFORMATION)
        assert response.status_code == 200
        assert "när patienten är utskrivningsklar" in response.content.decode()
        assert not hasattr(fresh(process), "information") or fresh(process).information is None
    with time_machine.travel(local(2022, 11, 16, 10, 30), tick=False):
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-16T10:30"})
    deadline = Deadline.objects.get(process_id=process.pk, kind="DISCHARGE_INFORMATION")
    assert deadline.status == Deadline.Status.OPEN
    with time_machine.travel(local(2022, 11, 17, 14, 0), tick=False):
        response = ward.post(_url("discharge_information", process), INFORMATION)
        assert response.status_code == 302
        outbox_deliver_pending()
    process = fresh(process)
    assert process.discharge_information_sent_at == local(2022, 11, 17, 14, 0)
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.MET
    subjects = [m.subject for m in mail.outbox if m.to[0] == world.social.functional_mailbox]
    assert any("Informationen vid utskrivning" in s for s in subjects), subjects
    assert all("Alvedon" not in m.body for m in mail.outbox)

    # The units read the content on the case page; the letter prints and is a PDF.
    with time_machine.travel(local(2022, 11, 17, 15, 0), tick=False):
        kommun = client_for(world.handlaggare)
        page = kommun.get(process.get_absolute_url()).content.decode()
        assert "Alvedon 1 g x 3" in page and "Rollator utlånad" in page
        response = ward.get(_url("patient_letter", process))
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        letter = response.content.decode()
        assert "Du har opererats för en höftfraktur" in letter
        assert "Alvedon 1 g x 3" in letter
        assert world.individual.given_name in letter
        # Each unit acknowledges the information, as the other LUS messages.
        assert "Kvittera informationen vid utskrivning" in page
        kommun.post(_url("information_ack", process))
        page = kommun.get(process.get_absolute_url()).content.decode()
        acks = page.split('data-testid="information-acks"')[1].split("</ul>")[0]
        assert f"{world.social.name}: kvitterad" in acks
        assert f"{world.vc.name}: <strong>inte kvitterat än" in acks
        assert "Kvittera informationen vid utskrivning" not in page
        pdf = ward.get(_url("patient_letter", process) + "?format=pdf")
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


def test_the_letter_is_not_there_before_the_information_is_written(world):
    process = _notify(world)
    assert client_for(world.nurse).get(_url("patient_letter", process)).status_code == 404
