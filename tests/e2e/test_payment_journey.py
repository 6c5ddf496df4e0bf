"""Journey: the kommun's MAS checks the invoice basis of a month, opens the episodes
behind it, disputes one and downloads the exports; the administrator resolves the
dispute; the indicators page exports the SKR columns to Excel."""

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from coordination.models import Individual, Organisation
from oversight.models import PaymentDispute
from tests.oversight.conftest import local, make_episode

from .conftest import submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _november():
    social = Organisation.objects.get(name="Södermalm biståndsenhet äldre")
    world = SimpleNamespace(
        individual=Individual.objects.filter(protected_identity=False).first(),
        ward=Organisation.objects.get(name="Södersjukhuset avd 53 medicin"),
        social=social,
        nurse=get_user_model().objects.get(username="avd53.sos"),
    )
    # 0, 4 and 7 days from day 0 (the 10 November notice came after noon).
    make_episode(world, sent_at=local(2022, 11, 7, 10, 0), discharged_at=local(2022, 11, 7, 15, 0))
    make_episode(world, sent_at=local(2022, 11, 10, 13, 0), discharged_at=local(2022, 11, 15, 9, 0))
    disputed = make_episode(
        world, sent_at=local(2022, 11, 14, 9, 0), discharged_at=local(2022, 11, 21, 9, 0)
    )
    return social.area.kommun, disputed


def _download(session, locator):
    with session.page.expect_download() as info:
        locator.click()
    return info.value


def test_invoice_basis_dispute_and_exports(session):
    kommun, disputed = _november()
    mas = session("mas.sodermalm")
    page = mas.goto(f"/oversikt/betalningsansvar/?kommun={kommun.pk}&month=2022-11")
    somatic = page.locator("table[data-care-type='SOMATIC']")
    # 11 days over 3 episodes, level 2: 5 days above × 9 300 kr.
    assert somatic.locator("[data-figure='episodes']").inner_text().strip() == "3"
    assert somatic.locator("[data-figure='days']").inner_text().strip() == "11"
    assert somatic.locator("[data-figure='mean']").inner_text().strip() == "3,67"
    assert somatic.locator("[data-figure='days_above']").inner_text().strip() == "5"
    assert "46" in somatic.locator("[data-figure='amount']").inner_text()
    assert "500 kr" in somatic.locator("[data-figure='amount']").inner_text()
    mas.see("Genomsnittsmodell", "ej bekräftat")
    mas.check_accessibility("invoice-basis")
    mas.shot("invoice-basis", readme=True)

    download = _download(mas, page.get_by_role("link", name="Exportera till Excel"))
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert [c.value for c in workbook.worksheets[0][2]][3:8] == [3, 11, 3.67, 2.0, 5]
    csv_file = _download(mas, page.get_by_role("link", name="Exportera CSV"))
    assert "3;11;3,67;2,00;5" in Path(csv_file.path()).read_text(encoding="utf-8-sig")
    pdf = mas.context.request.get(
        mas.base_url + f"/oversikt/betalningsansvar/?kommun={kommun.pk}&month=2022-11&export=pdf"
    )
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # The episodes behind the figure; the MAS disputes the seven-day one.
    page = mas.goto(somatic.locator("[data-figure='episodes'] a").get_attribute("href"))
    mas.see(f"#{disputed.pk}")
    mas.check_accessibility("invoice-episodes")
    row = page.locator("tr", has_text=f"#{disputed.pk}")
    submit(page, row.get_by_role("button", name="Bestrid"))
    assert not PaymentDispute.objects.exists()  # no reason: refused, nothing written
    row = page.locator("tr", has_text=f"#{disputed.pk}")
    row.get_by_label("Skäl till bestridandet").fill("Patienten avböjde hemtjänst")
    submit(page, row.get_by_role("button", name="Bestrid"))
    assert PaymentDispute.objects.get().status == "OPEN"
    row = page.locator("tr", has_text=f"#{disputed.pk}")
    assert "Bestridd: Patienten avböjde hemtjänst" in row.inner_text()

    # The administrator (the region's side) accepts it: the episode leaves the basis.
    admin = session("admin")
    page = admin.goto(
        f"/oversikt/betalningsansvar/underlag/?kommun={kommun.pk}&month=2022-11&care_type=SOMATIC"
    )
    # The administrator sees no case (the one access rule) and is told how many.
    admin.see("Ytterligare 3 vårdtillfällen räknas men listas inte")
    from oversight.services import payment_dispute_resolve

    payment_dispute_resolve(
        dispute=PaymentDispute.objects.get(),
        accepted=True,
        note="Godtas",
        by=get_user_model().objects.get(username="admin"),
    )
    page = mas.goto(f"/oversikt/betalningsansvar/?kommun={kommun.pk}&month=2022-11")
    somatic = page.locator("table[data-care-type='SOMATIC']")
    assert somatic.locator("[data-figure='days']").inner_text().strip() == "4"
    assert somatic.locator("[data-figure='days_above']").inner_text().strip() == "0"
    mas.see("Patienten avböjde hemtjänst", "Godtas")


def test_indicator_export(session):
    kommun, _disputed = _november()
    mas = session("mas.sodermalm")
    page = mas.goto(f"/oversikt/indikatorer/?kommun={kommun.pk}&month=2022-11")
    row = page.locator("tr[data-month='2022-11'][data-care-type='SOMATIC']")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    # SKR: 2 episodes with ≥ 1 day (5 and 7 days from the notice's day), one same-day.
    assert cells[2:9] == ["2", "12", "6,00", "33,3", "3", "3,67", "–"]
    mas.see("SKR-medel (≥ 1 dag)", "Medel inkl. dag 0 (överenskommelsen)")
    assert page.locator("svg.kb-chart").count() == 2
    mas.check_accessibility("indicators")
    mas.shot("indicators")
    download = _download(mas, page.get_by_role("link", name="Exportera till Excel"))
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    header = [c.value for c in sheet[1]]
    assert header[3] == "Antal vårdtillfällen (≥ 1 dag)"
    assert header[5] == "Medelvårdtid som utskrivningsklar (SKR, ≥ 1 dag)"
    values = next(
        r
        for r in sheet.iter_rows(min_row=2, values_only=True)
        if r[1] == "2022-11" and r[2] == "Somatisk vård"
    )
    assert values[3:9] == (2, 12, 6.0, 33.3, 3, 3.67)
