"""The SKR indicators on the same hand-computed November as the invoice basis."""

import datetime as dt
import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from oversight import selectors
from oversight.models import KommunPopulation

from .test_invoice_basis import client_for, november  # noqa: F401 (fixture)


def row(rows, care_type, month=dt.date(2022, 11, 1)):
    return next(r for r in rows if r.care_type == care_type and r.month == month)


def test_skr_and_agreement_means_side_by_side(world, november):  # noqa: F811
    KommunPopulation.objects.create(
        kommun=world.kommun, year=2022, inhabitants_65_plus=20_000, source="SCB"
    )
    rows = selectors.indicator_rows(kommuner=[world.kommun], months=[dt.date(2022, 11, 1)])
    somatic = row(rows, "SOMATIC")
    # SKR days from the notice's day: 0, 1, 4, 7, 3 and the declined patient's 2.
    assert somatic.discharged == 6
    assert somatic.episodes == 5  # ≥ 1 day
    assert somatic.days == 17
    assert somatic.skr_mean == Decimal("3.40")
    assert somatic.same_day_share == Decimal("16.7")
    # The agreement counts from day 0 after the noon cut-off: 0, 0, 4, 7, 3, 2.
    assert somatic.agreement_mean == Decimal("2.67")
    assert somatic.days_per_1000_65 == Decimal("0.85")
    psychiatric = row(rows, "PSYCHIATRIC")
    assert (psychiatric.episodes, psychiatric.days, psychiatric.skr_mean) == (
        2,
        12,
        Decimal("6.00"),
    )
    assert psychiatric.same_day_share == Decimal("0.0")
    assert psychiatric.agreement_mean == Decimal("5.50")


def test_indicator_page_chart_and_excel_export(world, november):  # noqa: F811
    mas = client_for(world.mas)
    query = {"kommun": world.kommun.pk, "month": "2022-11"}
    page = mas.get(reverse("oversight:indicators"), query)
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "SKR" in text
    assert len(page.context["rows"]) == 24  # twelve months × two care types
    export = mas.get(reverse("oversight:indicators"), {**query, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == [
        "Kommun",
        "Månad",
        "Vårdform",
        "Antal vårdtillfällen (≥ 1 dag)",
        "Summa dagar",
    ]
    november_rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "2022-11"]
    somatic = next(r for r in november_rows if r[2] == "Somatisk vård")
    assert somatic[3:9] == (5, 17, 3.4, 16.7, 6, 2.67)
    assert client_for(world.outsider).get(reverse("oversight:indicators"), query).status_code == 403
