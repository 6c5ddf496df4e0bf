"""axe-core on the pages a user meets before any case exists: the login page, the inbox,
the start forms and the lists. The journeys check the case pages."""

import pytest

from .conftest import LAPTOP, check_accessibility

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("avd53.sos", "/workflow/inbox/"),
    ("avd53.sos", "/workflow/queue/"),
    ("avd53.sos", "/workflow/flows/discharge/start/"),
    ("avd53.sos", "/utskrivning/"),
    ("handlaggare.sodermalm", "/sips/"),
    ("handlaggare.sodermalm", "/workflow/flows/sip/start/"),
    ("mas.sodermalm", "/deviations/"),
    ("mas.sodermalm", "/oversikt/mas/"),
    ("admin", "/notifications/utkorg/"),
]


def test_pages_without_cases_have_no_serious_accessibility_violations(
    browser, session, demo, html_pages
):
    context = browser.new_context(viewport=LAPTOP, locale="sv-SE")
    html_pages.watch(context)
    try:
        page = context.new_page()
        page.goto(demo.url + "/konto/login/")
        assert "Logga in i Kardborre" in page.inner_text("main")
        check_accessibility(page, "login")
    finally:
        context.close()
    users = {}
    for username, path in PAGES:
        if username not in users:
            users[username] = session(username)
        users[username].goto(path)
        users[username].check_accessibility(path.strip("/").replace("/", "-"))
