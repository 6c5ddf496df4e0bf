"""Addresses of registry pages that other apps link to."""

from urllib.parse import urlencode

from django.urls import reverse


def individual_register_url(*, pnr: str = "", next_url: str = "") -> str:
    """The page to find or register a person; ``next_url`` is where the person found or
    registered is handed back (as ``?personal_identity_number=``)."""
    params = {key: value for key, value in (("pnr", pnr), ("next", next_url)) if value}
    url = reverse("coordination:individual_register")
    return f"{url}?{urlencode(params)}" if params else url
