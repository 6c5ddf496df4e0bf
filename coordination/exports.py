"""Exports to spreadsheets: CSV (streamed, UTF-8 with BOM, formula-escaped) and XLSX.

Every export of the project goes through here so that the rules hold everywhere:

- **CSV injection** (OWASP "CSV Injection"): a cell that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is run as a formula by Excel and LibreOffice; such text
  gets a leading apostrophe. Numbers, dates and booleans are written as they are.
- **Constant memory**: rows are an iterable (a queryset ``.iterator()`` or a generator);
  the CSV is streamed row by row, the XLSX is written with openpyxl's write-only workbook
  to a temporary file and streamed from there.
- **Excel-friendly**: UTF-8 with a byte-order mark and ``;`` as the separator (the Swedish
  Excel default, where ``,`` is the decimal comma).
"""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def csv_safe(value) -> str | int | float | Decimal:
    """A cell value that a spreadsheet will show as text, never run as a formula.

    >>> csv_safe("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> csv_safe("Astrid"), csv_safe(-3), csv_safe(None)
    ('Astrid', -3, '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose ``write`` hands the line back (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def _csv_lines(header: Sequence, rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff"  # Excel reads UTF-8 only with a byte-order mark
    yield writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def csv_response(*, filename: str, header: Sequence, rows: Iterable[Sequence]):
    """A streamed CSV download; ``rows`` is consumed lazily, one row at a time."""
    response = StreamingHttpResponse(_csv_lines(header, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_cell(sheet, value, *, bold: bool = False) -> WriteOnlyCell:
    if value is None:
        value = ""
    elif isinstance(value, bool):
        value = "ja" if value else "nej"
    elif isinstance(value, datetime.datetime):
        # Excel has no time zones: the wall-clock time in Stockholm.
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
    elif not isinstance(value, int | float | Decimal | datetime.date):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl makes text that starts with "=" a formula; here text stays text.
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_response(*, filename: str, header: Sequence, rows: Iterable[Sequence], title: str = ""):
    """An XLSX download written with openpyxl's write-only workbook (constant memory)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or "Export")[:31])
    sheet.append([_xlsx_cell(sheet, cell, bold=True) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


def requested_format(request: HttpRequest, *, key: str = "format") -> str | None:
    """``csv`` or ``xlsx`` when the request asks for an export, else ``None``."""
    value = request.GET.get(key, "")
    return value if value in FORMATS else None


def export_response(*, export_format: str, basename: str, header: Sequence, rows: Iterable):
    """The export in the asked format; ``basename`` without extension."""
    if export_format == "xlsx":
        return xlsx_response(filename=f"{basename}.xlsx", header=header, rows=rows, title=basename)
    return csv_response(filename=f"{basename}.csv", header=header, rows=rows)
