"""Printable documents: the same template as the print page, rendered to PDF by WeasyPrint.

The print templates are self-contained (inline styles, no images), so WeasyPrint is given a
URL fetcher that fetches nothing: a document can never make the server call out.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string


def _fetch_nothing(url, *args, **kwargs):
    raise ValueError("Printable documents load no external resources")


def pdf_bytes(*, request, template_name: str, context: dict) -> bytes:
    """``template_name`` rendered with ``context`` as PDF (WeasyPrint)."""
    from weasyprint import HTML  # imported here: it loads pango at import time

    html = render_to_string(template_name, {**context, "as_pdf": True}, request=request)
    document = HTML(
        string=html, base_url=request.build_absolute_uri("/"), url_fetcher=_fetch_nothing
    )
    return document.write_pdf()


def pdf_response(*, request, template_name: str, context: dict, filename: str) -> HttpResponse:
    """``template_name`` rendered with ``context`` as a PDF download (WeasyPrint)."""
    pdf = pdf_bytes(request=request, template_name=template_name, context=context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
