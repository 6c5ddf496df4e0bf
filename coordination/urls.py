"""Addresses of registry pages that other apps link to."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.urls import reverse


def individual_register_url(*, pnr: str = "", next_url: str = "") -> str:
    """The page to find or register a person; ``next_url`` is where the person found or
    registered is handed back (as ``?personal_identity_number=``)."""
    params = {key: value for key, value in (("pnr", pnr), ("next", next_url)) if value}
    url = reverse("coordination:individual_register")
    return f"{url}?{urlencode(params)}" if params else url


def with_query(url: str, **params) -> str:
    """``url`` with ``params`` added to its query string (replacing any of the same name).

    >>> with_query("/utskrivning/start/?a=1", personal_identity_number="19121212-1212")
    '/utskrivning/start/?a=1&personal_identity_number=19121212-1212'
    >>> with_query("/sips/start/?pnr=x", pnr="y")
    '/sips/start/?pnr=y'
    """
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))
