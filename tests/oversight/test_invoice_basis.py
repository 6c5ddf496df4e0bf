"""The invoice basis on hand-computed cases (Region Stockholm's agreement from 2020:
average model, levels 2 somatic / 5 psychiatric, noon cut-off, calendar days)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from coordination.models import AccessLog
from oversight import selectors
from oversight.models import PaymentDispute
from workflows.discharge.models import PaymentAgreement, PaymentDayRate
from workflows.discharge.selectors import discharge_payment
from workflows.discharge.services import payment_agreement_level_add

from .conftest import local, make_episode

NOVEMBER = dt.date(2022, 11, 1)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def november(world):
    """Somatic: 0 + 0 + 4 + 7 + 3 days (a day-0 discharge, a notice after noon, a
    revoked and reissued notice), one declined; psychiatric 10 + 1."""
    e = {}
    e["same_day"] = make_episode(
        world, sent_at=local(2022, 11, 7, 10, 0), discharged_at=local(2022, 11, 7, 15, 0)
    )
    e["after_noon"] = make_episode(
        world, sent_at=local(2022, 11, 8, 13, 0), discharged_at=local(2022, 11, 9, 16, 0)
    )
    e["four"] = make_episode(
        world, sent_at=local(2022, 11, 10, 9, 0), discharged_at=local(2022, 11, 14, 12, 0)
    )
    e["seven"] = make_episode(
        world, sent_at=local(2022, 11, 14, 11, 0), discharged_at=local(2022, 11, 21, 12, 0)
    )
    e["reissued"] = make_episode(
        world,
        sent_at=local(2022, 11, 15, 10, 0),
        revoked=[local(2022, 11, 1, 9, 0)],
        discharged_at=local(2022, 11, 18, 12, 0),
    )
    e["declined"] = make_episode(
        world,
        sent_at=local(2022, 11, 21, 9, 0),
        discharged_at=local(2022, 11, 23, 12, 0),
        declined=True,
    )
    e["psych_ten"] = make_episode(
        world,
        care_type="PSYCHIATRIC",
        sent_at=local(2022, 11, 2, 11, 0),
        discharged_at=local(2022, 11, 12, 12, 0),
    )
    e["psych_one"] = make_episode(
        world,
        care_type="PSYCHIATRIC",
        sent_at=local(2022, 11, 20, 12, 30),
        discharged_at=local(2022, 11, 22, 12, 0),
    )
    # Not in Teststad's November: another kommun; discharged after midnight on 1 December.
    make_episode(
        world,
        social=world.other_social,
        sent_at=local(2022, 11, 10, 9, 0),
        discharged_at=local(2022, 11, 20, 9, 0),
    )
    make_episode(world, sent_at=local(2022, 11, 29, 10, 0), discharged_at=local(2022, 12, 1, 0, 30))
    return e


def section(basis, care_type):
    return next(s for s in basis.sections if s.care_type == care_type)


def test_average_model_hand_computed(world, november):
    basis = selectors.invoice_basis(kommun=world.kommun, month=NOVEMBER)
    somatic = section(basis, "SOMATIC")
    assert sorted(e.days for e in somatic.episodes) == [0, 0, 3, 4, 7]
    assert somatic.settlement.episodes == 5
    assert somatic.settlement.days == 14
    assert somatic.settlement.mean == Decimal("2.80")
    assert somatic.level == Decimal("2.00")
    assert somatic.settlement.days_above == 4  # 14 - 2 × 5
    assert somatic.rate_sek == 9300
    assert somatic.amount_sek == 37_200
    assert [e.process_id for e in somatic.excluded] == [november["declined"].pk]

    psychiatric = section(basis, "PSYCHIATRIC")
    assert sorted(e.days for e in psychiatric.episodes) == [1, 10]  # after noon: day 0 the 21st
    assert psychiatric.settlement.mean == Decimal("5.50")
    assert psychiatric.settlement.days_above == 1
    assert psychiatric.amount_sek == 9300
    assert basis.total_sek == 46_500


def test_per_patient_model_hand_computed(world, november):
    PaymentAgreement.objects.filter(name="Region Stockholm och Storsthlm").update(
        model="PER_PATIENT"
    )
    basis = selectors.invoice_basis(kommun=world.kommun, month=NOVEMBER)
    somatic = section(basis, "SOMATIC")
    payable = {e.process_id: e.payable_days for e in somatic.episodes}
    # Days 0, 1, 2 free: paid from day 3 to the day of discharge.
    assert payable[november["four"].pk] == 2  # 13th, 14th
    assert payable[november["seven"].pk] == 5  # 17th–21st
    assert payable[november["reissued"].pk] == 1  # the clock restarted on the 15th: 18th
    assert payable[november["same_day"].pk] == 0
    assert somatic.payable_days == 8
    assert somatic.amount_sek == 8 * 9300
    psychiatric = section(basis, "PSYCHIATRIC")
    assert psychiatric.payable_days == 5  # day 0 the 2nd, paid 8th–12th
    assert psychiatric.amount_sek == 5 * 9300


def test_a_month_without_an_amount_shows_it_missing_never_zero(world):
    make_episode(world, sent_at=local(2026, 1, 12, 10, 0), discharged_at=local(2026, 1, 20, 10, 0))
    with time_machine.travel(local(2026, 2, 2, 9, 0), tick=False):
        basis = selectors.invoice_basis(kommun=world.kommun, month=dt.date(2026, 1, 1))
        somatic = section(basis, "SOMATIC")
        assert somatic.settlement.days_above == 6
        assert somatic.amount_sek is None and basis.total_sek is None
        assert basis.missing_rate_years == [2026]
        page = client_for(world.mas).get(
            reverse("oversight:invoice_basis"), {"kommun": world.kommun.pk, "month": "2026-01"}
        )
        text = page.content.decode()
        assert page.status_code == 200
        assert "belopp saknas för 2026" in text
        assert "0 kr" not in text.replace("9 300 kr", "")
        csv_text = (
            client_for(world.mas)
            .get(
                reverse("oversight:invoice_basis"),
                {"kommun": world.kommun.pk, "month": "2026-01", "export": "csv"},
            )
            .content.decode()
        )
        assert "belopp saknas för 2026" in csv_text


def test_page_exports_and_drill_down(world, november):
    november["four"].ready_notices.update(backdate_reason='=HYPERLINK("http://x")')
    mas = client_for(world.mas)
    query = {"kommun": world.kommun.pk, "month": "2022-11"}
    page = mas.get(reverse("oversight:invoice_basis"), query)
    assert page.status_code == 200
    assert page.context["basis"].sections[0].amount_sek == 37_200
    text = page.content.decode()
    assert "Astrid" not in text and world.individual.personal_identity_number not in text

    csv_response = mas.get(reverse("oversight:invoice_basis"), {**query, "export": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Månad;Vårdform;Modell;Vårdtillfällen")
    assert lines[1].split(";")[3:8] == ["5", "14", "2,80", "2,00", "4"]

    xlsx = mas.get(reverse("oversight:invoice_basis"), {**query, "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(xlsx.content))
    basis_sheet, episode_sheet = workbook.worksheets
    assert [c.value for c in basis_sheet[2]][3:8] == [5, 14, 2.8, 2.0, 4]
    reasons = [row[3] for row in episode_sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in reasons  # formula-escaped

    pdf = mas.get(reverse("oversight:invoice_basis"), {**query, "export": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    before = AccessLog.objects.count()
    drill = mas.get(reverse("oversight:invoice_episodes"), {**query, "care_type": "SOMATIC"})
    assert drill.status_code == 200
    assert [e.process_id for e in drill.context["episodes"]] == [
        november[k].pk for k in ("same_day", "after_noon", "four", "reissued", "seven")
    ]
    assert AccessLog.objects.count() == before + 5
    escaped = mas.get(
        reverse("oversight:invoice_episodes"), {**query, "care_type": "SOMATIC", "export": "csv"}
    ).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in escaped and ";=HYPERLINK" not in escaped


def test_who_sees_which_kommun(world, november):
    url = reverse("oversight:invoice_basis")
    query = {"kommun": world.kommun.pk, "month": "2022-11"}
    assert client_for(world.handlaggare).get(url, query).status_code == 200
    assert client_for(world.nurse).get(url, query).status_code == 200  # the region's side
    assert client_for(world.admin).get(url, query).status_code == 200
    # Another kommun's handläggare gets a refusal of the choice, and no figures.
    other = client_for(world.other_handlaggare).get(url, query)
    assert other.status_code == 400 and "basis" not in other.context
    assert client_for(world.outsider).get(url, query).status_code == 403
    assert Client().get(url, query).status_code == 302
    # The drill-down lists only the cases the user may open.
    drill = client_for(world.admin).get(
        reverse("oversight:invoice_episodes"), {**query, "care_type": "SOMATIC"}
    )
    assert drill.context["episodes"] == [] and drill.context["hidden"] == 5


def test_bad_month_is_refused_with_a_message(world):
    response = client_for(world.mas).get(
        reverse("oversight:invoice_basis"), {"kommun": world.kommun.pk, "month": "2022-13"}
    )
    assert response.status_code == 400
    assert "ÅÅÅÅ-MM" in response.content.decode() or "YYYY-MM" in response.content.decode()


def test_dispute_lifecycle(world, november):
    query = {"kommun": world.kommun.pk, "month": "2022-11"}
    kommun = client_for(world.handlaggare)
    url = reverse("oversight:dispute_open")
    process = november["four"]
    response = kommun.post(
        url, {"process": process.pk, "kommun": world.kommun.pk, "reason": " "}, follow=True
    )
    assert "Ange ett skäl" in response.content.decode() or "reason" in response.content.decode()
    assert not PaymentDispute.objects.exists()
    # Another kommun cannot dispute Teststad's episode.
    refused = client_for(world.other_handlaggare).post(
        url, {"process": process.pk, "kommun": world.kommun.pk, "reason": "Inte vår"}
    )
    assert refused.status_code == 404 and not PaymentDispute.objects.exists()

    kommun.post(
        url,
        {"process": process.pk, "kommun": world.kommun.pk, "reason": "Patienten vägrade insatser"},
    )
    dispute = PaymentDispute.objects.get()
    assert dispute.status == "OPEN" and dispute.opened_by == world.handlaggare
    # Still counted while open, marked as disputed.
    somatic = section(selectors.invoice_basis(kommun=world.kommun, month=NOVEMBER), "SOMATIC")
    assert somatic.settlement.days == 14
    assert any(e.disputed for e in somatic.episodes)
    # A second dispute of the same episode is refused.
    kommun.post(url, {"process": process.pk, "kommun": world.kommun.pk, "reason": "Igen"})
    assert PaymentDispute.objects.count() == 1

    resolve = reverse("oversight:dispute_resolve")
    # The kommun cannot resolve its own dispute; a note is required.
    assert (
        kommun.post(
            resolve, {"dispute": dispute.pk, "decision": "ACCEPT", "note": "ok"}
        ).status_code
        == 403
    )
    region = client_for(world.nurse)
    region.post(resolve, {"dispute": dispute.pk, "decision": "ACCEPT", "note": ""})
    assert PaymentDispute.objects.get().status == "OPEN"
    region.post(resolve, {"dispute": dispute.pk, "decision": "ACCEPT", "note": "Godtas"})
    dispute.refresh_from_db()
    assert dispute.status == "ACCEPTED" and dispute.resolved_by == world.nurse
    somatic = section(selectors.invoice_basis(kommun=world.kommun, month=NOVEMBER), "SOMATIC")
    assert somatic.settlement.days == 10 and somatic.settlement.episodes == 4
    assert somatic.settlement.days_above == 2 and somatic.amount_sek == 18_600
    page = client_for(world.mas).get(reverse("oversight:invoice_basis"), query).content.decode()
    assert "Patienten vägrade insatser" in page and "Godtas" in page


def test_quarterly_settlement_period(world, november):
    PaymentAgreement.objects.filter(name="Region Stockholm och Storsthlm").update(
        settlement_months=3
    )
    make_episode(world, sent_at=local(2022, 10, 3, 9, 0), discharged_at=local(2022, 10, 13, 9, 0))
    somatic = section(selectors.invoice_basis(kommun=world.kommun, month=NOVEMBER), "SOMATIC")
    assert somatic.period_label == "2022-10–2022-12"
    # October's 10 days join November's 14: 24 days over 6 episodes, level 2.
    assert somatic.period_settlement.days == 24 and somatic.period_settlement.episodes == 6
    assert somatic.period_settlement.days_above == 12
    assert somatic.period_amount_sek == 12 * 9300


def test_unconfirmed_amount_is_labelled(world, november):
    assert PaymentDayRate.objects.get(year=2022).confirmed is False
    page = client_for(world.mas).get(
        reverse("oversight:invoice_basis"), {"kommun": world.kommun.pk, "month": "2022-11"}
    )
    assert "ej bekräftat" in page.content.decode()


def test_a_stay_across_new_year_follows_the_agreement_of_its_settlement(world):
    """One rule for the case page and the invoice basis: the agreement in force in the
    year of discharge (the settlement period the episode falls in), not of the notice."""
    new = PaymentAgreement.objects.create(
        name="Ny överenskommelse",
        version="2023",
        valid_from_year=2023,
        model="PER_PATIENT",
        cutoff_time=dt.time(12, 0),
        source="test",
    )
    payment_agreement_level_add(
        agreement=new,
        care_type="SOMATIC",
        valid_from_date=dt.date(2023, 1, 1),
        valid_to_date=None,
        level=3,
    )
    stay = make_episode(
        world, sent_at=local(2022, 12, 28, 10, 0), discharged_at=local(2023, 1, 5, 10, 0)
    )
    assert discharge_payment(process=stay).agreement == new
    basis = selectors.invoice_basis(kommun=world.kommun, month=dt.date(2023, 1, 1))
    somatic = section(basis, "SOMATIC")
    assert [e.process_id for e in somatic.episodes] == [stay.pk]
    assert basis.agreement == new
