"""Access separation: a MAS sees their own kommun only; a unit sees what it reported or
received; nobody else sees anything (pages, CSV exports, figure links, ids)."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from .factories import DeviationFactory, case_with, deadline_for

pytestmark = pytest.mark.django_db

LIST = reverse("deviations:deviation_list")
DASHBOARD = reverse("oversight:dashboard")
CASES = reverse("oversight:dashboard_cases")


@pytest.fixture
def two(w):
    soder = DeviationFactory(
        status="REPORTED",
        category="MEDICATION_LIST_MISSING",
        reporting_organisation=w.bistand,
        receiving_organisation=w.ward,
        description="Södermalmsärendet",
        answer_due_date=dt.date(2020, 1, 1),
    )
    huddinge = DeviationFactory(
        status="REPORTED",
        category="AIDS_MISSING",
        reporting_organisation=w.h_bistand,
        receiving_organisation=w.h_ward,
        description="Huddingeärendet",
        answer_due_date=dt.date(2020, 1, 1),
    )
    draft = DeviationFactory(
        status="DRAFT",
        reporting_organisation=w.bistand,
        receiving_organisation=w.ward,
        description="Utkastet",
    )
    return soder, huddinge, draft


def test_register_list_is_row_scoped(w, two, login):
    soder, huddinge, draft = two
    page = login(w.mas).get(LIST).content.decode()
    assert (
        f">#{soder.pk}</a>" in page
        and f">#{draft.pk}</a>" in page
        and f">#{huddinge.pk}</a>" not in page
    )
    page = login(w.h_mas).get(LIST).content.decode()
    assert f">#{huddinge.pk}</a>" in page and f">#{soder.pk}</a>" not in page
    page = login(w.nurse).get(LIST).content.decode()  # the receiver: no draft
    assert f">#{soder.pk}</a>" in page and f">#{draft.pk}</a>" not in page
    page = login(w.outsider).get(LIST).content.decode()
    assert "Inga avvikelser matchar filtret." in page


def test_deviation_pages_of_another_kommun_are_404(w, two, login):
    soder, huddinge, draft = two
    for user in (w.h_mas, w.h_handlaggare, w.outsider):
        client = login(user)
        assert client.get(soder.get_absolute_url()).status_code == 404
        assert client.get(draft.get_absolute_url()).status_code == 404
        response = client.post(
            reverse("deviations:deviation_action", args=[soder.pk, "close"]), {"assessment": "x"}
        )
        assert response.status_code == 404
    assert login(w.mas).get(huddinge.get_absolute_url()).status_code == 404
    assert login(w.mas).get(soder.get_absolute_url()).status_code == 200


def test_csv_export_of_the_register_is_row_scoped(w, two, login):
    soder, huddinge, _draft = two
    response = login(w.mas).get(LIST + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    body = response.getvalue().decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("nummer;status;kategori")
    numbers = {line.split(";")[0] for line in lines[1:]}
    assert str(soder.pk) in numbers and str(huddinge.pk) not in numbers
    assert "Läkemedelslista saknas" in body


def test_dashboard_is_for_a_mas_of_their_own_kommun_only(w, two, login):
    soder, huddinge, _draft = two
    for user in (w.handlaggare, w.nurse, w.outsider):
        assert login(user).get(DASHBOARD).status_code == 403
    page = login(w.mas).get(DASHBOARD).content.decode()
    assert "Läkemedelslista saknas" in page
    assert "Hjälpmedel saknas vid utskrivning" not in page
    # Choosing the other kommun, an organisation or a district of it is refused.
    mas = login(w.mas)
    assert mas.get(DASHBOARD, {"kommun": w.huddinge.pk}).status_code == 403
    assert mas.get(DASHBOARD, {"organisation": w.h_bistand.pk}).status_code == 403
    assert (
        mas.get(DASHBOARD, {"organisation": w.h_bistand.pk, "export": "oppna"}).status_code == 403
    )
    assert mas.get(CASES, {"kommun": w.huddinge.pk, "figure": "deviations"}).status_code == 403


def test_dashboard_exports_and_figure_links_stay_in_the_kommun(w, two, login):
    soder, huddinge, _draft = two
    mas = login(w.mas)
    body = mas.get(DASHBOARD, {"export": "oppna"}).getvalue().decode("utf-8-sig")
    assert "Läkemedelslista saknas" in body and "Hjälpmedel" not in body
    body = mas.get(DASHBOARD, {"export": "forsenade-svar"}).getvalue().decode("utf-8-sig")
    assert "Södersjukhuset avd 53 medicin;1;2020-01-01" in body
    assert "Karolinska" not in body
    # The same table as Excel, for the same kommun only.
    xlsx = mas.get(DASHBOARD, {"export": "forsenade-svar", "format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(xlsx.getvalue())).active.values)
    assert any(row[:2] == ("Södersjukhuset avd 53 medicin", 1) for row in rows[1:])
    assert not any("Karolinska" in str(cell) for row in rows for cell in row)
    register = mas.get(LIST, {"format": "xlsx"})
    numbers = [row[0] for row in load_workbook(io.BytesIO(register.getvalue())).active.values]
    assert numbers[0] == "nummer" and soder.pk in numbers and huddinge.pk not in numbers
    # A figure link with the other kommun's organisation as a filter finds nothing.
    page = mas.get(
        CASES, {"figure": "deviations", "overdue": "1", "receiver": w.h_ward.pk}
    ).content.decode()
    assert "Inget bakom denna siffra." in page
    page = mas.get(CASES, {"figure": "deviations", "overdue": "1"}).content.decode()
    assert f">#{soder.pk}</a>" in page and f">#{huddinge.pk}</a>" not in page
    assert mas.get(CASES, {"figure": "nonsense"}).status_code == 404
    assert mas.get(DASHBOARD, {"export": "nonsense"}).status_code == 404


def test_breached_deadlines_of_another_kommuns_cases_are_not_counted(w, login):
    due = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    deadline_for(case_with(w.bistand, w.ward), w.ward, due_at=due)
    deadline_for(case_with(w.h_bistand, w.h_ward), w.h_ward, due_at=due)
    body = (
        login(w.mas)
        .get(DASHBOARD, {"export": "passerade-tidsfrister"})
        .getvalue()
        .decode("utf-8-sig")
    )
    assert "Södersjukhuset avd 53 medicin;1" in body
    assert "Karolinska" not in body
    body = (
        login(w.h_mas)
        .get(DASHBOARD, {"export": "passerade-tidsfrister"})
        .getvalue()
        .decode("utf-8-sig")
    )
    assert "Karolinska Huddinge avd M44;1" in body and "Södersjukhuset" not in body
