"""Exports of oversight tables: CSV with decimal commas, XLSX workbooks of several
sheets (openpyxl) and PDF (WeasyPrint). Cells are escaped by the project's one rule
against formula injection, ``coordination.exports.csv_safe`` (OWASP "CSV Injection").
"""

import csv
import datetime as dt
import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.styles import Font

from coordination.exports import csv_safe


def escape_cell(value):
    """A cell value safe for a spreadsheet (``coordination.exports.csv_safe``, the one
    escaping rule of every export); lazy translations become text first.

    >>> escape_cell("=HYPERLINK(\\"x\\")"), escape_cell("-3"), escape_cell(-3)
    ('\\'=HYPERLINK("x")', "'-3", -3)
    """
    if isinstance(value, Promise):  # a lazy translation
        value = str(value)
    if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
        return csv_safe(value)
    return value


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_response(filename: str, header, rows) -> HttpResponse:
    """A semicolon-separated UTF-8 CSV with a BOM (Excel in Swedish opens it as is)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow([escape_cell(str(cell)) for cell in header])
    for row in rows:
        writer.writerow([escape_cell(_plain(cell)) for cell in row])
    return response


def xlsx_bytes(sheets) -> bytes:
    """``sheets``: (title, header, rows) triples → an .xlsx workbook."""

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([escape_cell(str(cell)) for cell in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            values = []
            for cell in row:
                if isinstance(cell, Decimal):
                    cell = float(cell)
                values.append(escape_cell(cell))
            sheet.append(values)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(sheets),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError("the PDF export loads no external resources")


def pdf_response(filename: str, html: str, *, base_url: str | None = None) -> HttpResponse:
    """A PDF rendered from ``html`` by WeasyPrint (needs Pango; scripts/test.sh
    installs it). No network: only inline styles are used."""
    from weasyprint import HTML  # imported here: it loads pango at import time

    pdf = HTML(string=html, base_url=base_url, url_fetcher=_refuse_fetch).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
