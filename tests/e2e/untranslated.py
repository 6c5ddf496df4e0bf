"""Untranslated text on a page the browser journeys visit: a text node that is the
English source of a message the catalogues translate (ours, viewflow's, Django's), shown
as it is instead of in Swedish — a template or view that forgot to translate it."""

import re
from html.parser import HTMLParser

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language_info

SKIP = {"script", "style", "code", "pre", "textarea"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts, self._skip, self._stack = [], 0, []

    def handle_starttag(self, tag, attrs):
        # An icon's ligature name ("notes") is not text: the icon font draws it.
        if tag in SKIP or "material-icons" in (dict(attrs).get("class") or ""):
            self._skip += 1
            self._stack.append(tag)
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def _own_names() -> set[str]:
    """The language switcher names each language in that language ("English")."""
    return {get_language_info(code)["name_local"] for code, _ in settings.LANGUAGES} | {
        str(name) for _, name in settings.LANGUAGES
    }


def untranslated(html: str) -> list[str]:
    allowed = _own_names()
    parser = _Text()
    parser.feed(html)
    found = []
    with translation.override("sv"):
        for raw in parser.texts:
            text = re.sub(r"\s+", " ", raw).strip()
            if len(text) < 3 or not re.search(r"[A-Za-z]{3}", text) or text in allowed:
                continue
            if translation.gettext(text) != text:
                found.append(text)
    return sorted(set(found))
