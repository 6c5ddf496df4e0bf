"""Exports: formula-escaped (OWASP CSV injection), streamed, UTF-8 with BOM; XLSX as text."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from coordination.exports import csv_response, csv_safe, xlsx_response
from coordination.services import access_log_record
from tests.factories import IndividualFactory, MembershipFactory, OrganisationFactory

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","klicka")', '\'=HYPERLINK("http://evil","klicka")'),
        ("+46 8 123 45", "'+46 8 123 45"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Astrid =1", "Astrid =1"),  # only the first character makes a formula
        ("", ""),
        (None, ""),
        (-3, -3),  # numbers are numbers
        (Decimal("-1.5"), Decimal("-1.5")),
        (True, "ja"),
        (datetime.date(2026, 3, 29), "2026-03-29"),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_csv_safe_shows_aware_times_in_stockholm():
    utc = datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC)  # just after the DST switch
    assert csv_safe(utc) == "2026-03-29 03:30"


def test_csv_is_streamed_row_by_row_with_a_bom():
    consumed = []

    def rows():
        for n in range(10_000):
            consumed.append(n)
            yield [n, f"=cmd{n}"]

    response = csv_response(filename="x.csv", header=["nr", "text"], rows=rows())
    assert isinstance(response, StreamingHttpResponse)
    assert consumed == []  # nothing is built before the client reads
    chunks = iter(response.streaming_content)
    assert next(chunks) == "\ufeff".encode()
    assert next(chunks) == b"nr;text\r\n"
    assert next(chunks) == b"0;'=cmd0\r\n"
    assert len(consumed) == 1  # one row in memory at a time
    rest = b"".join(chunks).decode()
    assert rest.count("\r\n") == 9_999 and len(consumed) == 10_000
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'


def test_xlsx_keeps_formula_text_as_text():
    response = xlsx_response(
        filename="x.xlsx",
        header=["namn", "antal", "när"],
        rows=[["=1+1", 3, datetime.datetime(2026, 7, 1, 10, 0, tzinfo=datetime.UTC)]],
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    assert [c.value for c in sheet[1]] == ["namn", "antal", "när"]
    name, count, when = sheet[2]
    assert (name.value, name.data_type) == ("=1+1", "s")  # shown, never computed
    assert count.value == 3
    assert when.value == datetime.datetime(2026, 7, 1, 12, 0)  # Stockholm wall-clock time


@pytest.mark.django_db
def test_access_log_export_escapes_what_a_user_could_write(client):
    unit = OrganisationFactory(name='=HYPERLINK("http://evil")')
    mas = MembershipFactory(organisation=unit, role="MAS").user
    officer = MembershipFactory(organisation=unit).user
    access_log_record(
        user=officer,
        action="READ",
        purpose="@SUM(1+1)",
        individual=IndividualFactory(),
        organisation=unit,
    )
    client.force_login(mas)
    url = reverse("coordination:access_log")
    csv_body = client.get(url, {"format": "csv"}).getvalue().decode("utf-8")
    assert csv_body.startswith("\ufefftid;användare;")
    assert ";'@SUM(1+1);" in csv_body
    assert ';"\'=HYPERLINK(""http://evil"")";' in csv_body
    assert ";=HYPERLINK" not in csv_body and ";@SUM" not in csv_body

    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("tid", "användare", "organisation")
    purposes = {row[6] for row in rows[1:]}
    assert "@SUM(1+1)" in purposes
    assert all(
        cell.data_type == "s"
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if isinstance(cell.value, str)
    )
