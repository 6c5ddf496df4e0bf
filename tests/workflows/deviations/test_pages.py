"""The register pages: a deviation carried through every state by the two
organisations, the clear message for a step no longer allowed, and bad input."""

import pytest
from django.urls import reverse

from coordination.models import AccessLog
from workflows.deviations.models import Deviation

from .factories import DeviationFactory, case_with

pytestmark = pytest.mark.django_db


def _action(client, deviation, action, **data):
    return client.post(reverse("deviations:deviation_action", args=[deviation.pk, action]), data)


def test_a_deviation_through_every_state_by_the_two_organisations(w, login):
    process = case_with(w.bistand, w.ward)
    officer, nurse, mas = login(w.handlaggare), login(w.nurse), login(w.mas)

    create_url = reverse("deviations:deviation_create") + f"?process={process.pk}"
    page = officer.get(create_url)
    assert page.status_code == 200
    assert "Rapportera avvikelse" in page.content.decode()
    response = officer.post(
        create_url,
        {
            "process": process.pk,
            "reporting_organisation": w.bistand.pk,
            "receiving_organisation": w.ward.pk,
            "category": "MEDICATION_LIST_MISSING",
            "process_step": "UTSKRIVNING",
            "occurred_date": "2026-11-20",
            "description": "Läkemedelslistan saknades vid hemgång.",
            "harm": "",
            "level": "CASE",
        },
    )
    deviation = Deviation.objects.get()
    assert response.status_code == 302
    assert deviation.status == "DRAFT"

    # The draft is the reporting side's own: the receiver does not see it yet.
    assert nurse.get(deviation.get_absolute_url()).status_code == 404

    # Sending without a care-injury assessment is refused with a clear error.
    draft = {
        "category": "MEDICATION_LIST_MISSING",
        "process_step": "UTSKRIVNING",
        "description": "Läkemedelslistan saknades vid hemgång.",
        "level": "CASE",
        "send": "1",
    }
    response = _action(officer, deviation, "report", **draft, harm="")
    assert response.status_code == 400
    assert "Bedöm vårdskadan innan avvikelsen skickas." in response.content.decode()
    # A refused send changes nothing, not even the draft's text.
    response = _action(officer, deviation, "report", **{**draft, "description": "Ändrad"}, harm="")
    deviation.refresh_from_db()
    assert (deviation.status, deviation.description) == (
        "DRAFT",
        "Läkemedelslistan saknades vid hemgång.",
    )
    response = _action(officer, deviation, "report", **draft, harm="RISK")
    assert response.status_code == 302
    page = officer.get(deviation.get_absolute_url()).content.decode()
    assert "Avvikelsen skickades till den mottagande organisationen." in page
    assert "Rapporterad" in page

    # The receiver sees it, with the answer form and no close button.
    page = nurse.get(deviation.get_absolute_url()).content.decode()
    assert "Besvara avvikelsen" in page
    assert "Bedöm och avsluta" not in page
    response = _action(
        nurse,
        deviation,
        "answer",
        explanation="Missades vid överrapporteringen.",
        measures="Checklista införd.",
    )
    assert response.status_code == 302

    page = mas.get(deviation.get_absolute_url()).content.decode()
    assert "Checklista införd." in page
    assert "Bedöm och avsluta" in page
    assert _action(mas, deviation, "close", assessment="Åtgärden räcker.").status_code == 302
    assert (
        _action(officer, deviation, "reopen", **{"reopen-reason": "Hände igen."}).status_code == 302
    )
    assert _action(nurse, deviation, "answer", explanation="Ny genomgång.").status_code == 302
    assert _action(officer, deviation, "close", assessment="Godtas.").status_code == 302

    deviation.refresh_from_db()
    assert deviation.status == "CLOSED"
    page = officer.get(deviation.get_absolute_url()).content.decode()
    for text in ("Skapad", "Rapporterad", "Besvarad", "Avslutad", "Återöppnad", "Hände igen."):
        assert text in page
    # Reading a deviation about a case is access-logged.
    assert AccessLog.objects.filter(process_id=process.pk, username="nurse.sos").exists()


def test_a_step_no_longer_allowed_gives_a_clear_message(w, login):
    deviation = DeviationFactory(
        status="ANSWERED",
        reporting_organisation=w.bistand,
        receiving_organisation=w.ward,
        answer_explanation="x",
    )
    nurse = login(w.nurse)
    response = _action(nurse, deviation, "answer", explanation="Igen")
    assert response.status_code == 302
    page = nurse.get(deviation.get_absolute_url()).content.decode()
    assert "Åtgärden kunde inte utföras: avvikelsen är nu ”Besvarad”" in page
    deviation.refresh_from_db()
    assert deviation.answer_explanation == "x"


def test_the_wrong_side_gets_403_and_bad_actions_404(w, login):
    deviation = DeviationFactory(
        status="REPORTED", reporting_organisation=w.bistand, receiving_organisation=w.ward
    )
    assert _action(login(w.handlaggare), deviation, "answer", explanation="x").status_code == 403
    answered = DeviationFactory(
        status="ANSWERED", reporting_organisation=w.bistand, receiving_organisation=w.ward
    )
    assert _action(login(w.nurse), answered, "close", assessment="x").status_code == 403
    assert _action(login(w.h_mas), answered, "close", assessment="x").status_code == 404
    assert _action(login(w.nurse), deviation, "explode").status_code == 404
    assert (
        login(w.nurse)
        .get(reverse("deviations:deviation_action", args=[deviation.pk, "answer"]))
        .status_code
        == 405
    )


def test_create_page_refuses_non_participants_and_unknown_cases(w, login):
    process = case_with(w.bistand, w.ward)
    url = reverse("deviations:deviation_create")
    assert login(w.h_handlaggare).get(f"{url}?process={process.pk}").status_code == 404
    assert login(w.handlaggare).get(f"{url}?process=999999").status_code == 404
    assert login(w.handlaggare).get(f"{url}?process=abc").status_code == 404
    response = login(w.handlaggare).post(
        f"{url}?process={process.pk}",
        {
            "process": process.pk,
            "reporting_organisation": w.bistand.pk,
            "receiving_organisation": w.bistand.pk,
            "category": "OTHER",
            "process_step": "OTHER",
            "occurred_date": "2099-01-01",
            "description": "",
            "level": "CASE",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "En organisation kan inte rapportera en avvikelse till sig själv." in page
    assert "Datumet kan inte ligga i framtiden." in page
    assert not Deviation.objects.exists()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("deviations:deviation_list"))
    assert response.status_code == 302
    assert "/konto/login/" in response["Location"]
