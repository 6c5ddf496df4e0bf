"""Journeys from the start page "/" (issue #19): the ward nurse, the kommun handläggare and
the MAS each begin where they land after logging in, use only the pages (never the admin),
and every count they are shown matches the rows of the list it opens."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from coordination.models import Individual
from coordination.personnummer import make_test_number
from workflows.deviations.models import Deviation
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.services import deadlines_fast_forward
from workflows.tasks import deadlines_sweep

from .conftest import submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: The start page's summary (data-count) and the rows of the list each one opens.
START_LISTS = {
    "tasks": "#tasks-table tbody tr.kb-start-task",
    "overdue": "#tasks-table tbody tr.kb-start-task.kb-overdue",
    "messages": "tbody tr.kb-start-message",
    "second-channel": "tbody tr.kb-start-second, tbody tr.kb-start-second-lus",
}
#: Where each summary link leads on the page.
START_ANCHORS = {"tasks": "uppgifter", "messages": "meddelanden", "second-channel": "andra-kanal"}


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _number(text):
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())


def start_counts(user):
    """The start page's counts as shown, checked against the rows of the lists they open
    (each summary link leads to its list on the page). Returns the counts."""
    page = user.page
    user.see("Mina ärenden")
    counts = {}
    for name, rows in START_LISTS.items():
        badge = page.locator(f"main [data-count='{name}']")
        counts[name] = _number(badge.inner_text()) if badge.count() else 0
        listed = page.locator("main").locator(rows).count()
        assert counts[name] == listed, (name, counts[name], listed, user.text()[:3000])
    for name, anchor in START_ANCHORS.items():
        link = page.locator(f"main a[data-count='{name}']")
        assert link.get_attribute("href") == f"#{anchor}", name
        assert page.locator(f"main #{anchor}").count() == 1, anchor
    return counts


def list_total(user, path):
    """The number of rows of a task list (queue or inbox) as its table says, checked
    against the rows shown (one page: the journeys stay under the page size)."""
    user.goto(path)
    table = user.page.locator("main table.vf-list__table")
    total = table.get_attribute("data-total-items-count")
    rows = user.page.locator("main table.vf-list__table tbody tr").filter(
        has=user.page.locator("a")
    )
    total = int(total) if total else 0
    assert rows.count() == total, (path, rows.count(), total)
    return total


def assert_tasks_match_queue_and_inbox(user, counts):
    """The start page's tasks are the user's inbox and their organisations' queue."""
    inbox = list_total(user, "/workflow/inbox/")
    queue = list_total(user, "/workflow/queue/")
    assert counts["tasks"] == inbox + queue, (counts, inbox, queue)


def home(user):
    user.goto("/")
    return start_counts(user)


def admit_and_notify(ward, individual, *, vardcentral="Rosenlunds vårdcentral"):
    """The ward registers the admission and sends the admission notice, through the pages."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    ward.goto("/workflow/flows/discharge/start/")
    ward.fill_form(
        {
            "personal_identity_number": individual.personal_identity_number,
            "admitted_at": _local(now - dt.timedelta(hours=2)),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        }
    )
    ward.click_submit("Spara")
    process = DischargeProcess.objects.get(individual=individual)
    ward.do_task(
        process,
        DischargeFlow.send_admission_notice,
        lambda page: ward.fill_form(
            {
                "socialtjanst": "Södermalm biståndsenhet äldre",
                "vardcentral": vardcentral,
                "estimated_discharge_date": (now + dt.timedelta(days=4)).date().isoformat(),
            }
        ),
    )
    return process


def test_ward_nurse_starts_from_my_cases(session, settings):
    settings.KARDBORRE_POPULATION_REGISTER = "coordination.population.DemoPopulationRegister"
    number = make_test_number(dt.date(1939, 4, 12), 412)
    assert not Individual.objects.filter(personal_identity_number=number).exists()

    nurse = session("avd53.sos")
    nurse.goto("/")
    counts = start_counts(nurse)
    assert counts == {"tasks": 0, "overdue": 0, "messages": 0, "second-channel": 0}
    nurse.see("Inga öppna uppgifter.")
    nurse.check_accessibility("start-page-nurse-empty")
    assert_tasks_match_queue_and_inbox(nurse, counts)

    # A person not yet in Kardborre: found in the population register and registered from
    # the start of the discharge, then handed back to it.
    nurse.goto("/workflow/flows/discharge/start/")
    nurse.page.get_by_role("link", name="Sök eller registrera personen").click()
    nurse.page.wait_for_url("**/coordination/personer/**")
    nurse.fill_form({"pnr": number})
    nurse.page.locator("main").get_by_role("button", name="Sök", exact=True).click()
    nurse.page.wait_for_url("**/coordination/personer/?*pnr=*")
    nurse.see("Registrera personen")
    nurse.check_accessibility("individual-create")
    nurse.click_submit("Registrera personen")
    nurse.page.wait_for_url("**/workflow/flows/discharge/start/?personal_identity_number=*")
    individual = Individual.objects.get(personal_identity_number=number)
    assert nurse.page.locator("main [name=personal_identity_number]").input_value() == number
    now = timezone.localtime().replace(second=0, microsecond=0)
    nurse.fill_form(
        {
            "admitted_at": _local(now - dt.timedelta(hours=2)),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        }
    )
    nurse.click_submit("Spara")
    process = DischargeProcess.objects.get(individual=individual)

    # Back on the start page: the admission notice to send, with its time left in words.
    counts = home(nurse)
    assert counts["tasks"] == 1 and counts["overdue"] == 0, counts
    row = nurse.page.locator("#tasks-table tr.kb-start-task").first
    assert "Skicka inskrivningsmeddelande" in row.inner_text(), row.inner_text()
    assert re.search(r"\bom \d+ (min|h|dag|dagar)\b", row.inner_text()), row.inner_text()
    nurse.shot("start-page-nurse", readme=True)
    nurse.check_accessibility("start-page-nurse")
    assert_tasks_match_queue_and_inbox(nurse, counts)

    # The row leads to the case.
    home(nurse)
    with nurse.page.expect_navigation():
        row = nurse.page.locator("#tasks-table tr.kb-start-task").first
        row.get_by_role("link").first.click()
    assert nurse.page.url.endswith(process.get_absolute_url()), nurse.page.url
    nurse.see(individual.given_name)

    # The notice goes to the kommun and to a vårdcentral the planning IT support may not
    # reach: the start page lists that unit until it is reached another way.
    nurse.do_task(
        process,
        DischargeFlow.send_admission_notice,
        lambda page: nurse.fill_form(
            {
                "socialtjanst": "Södermalm biståndsenhet äldre",
                "vardcentral": "Skanstulls vårdcentral",
                "estimated_discharge_date": (now + dt.timedelta(days=4)).date().isoformat(),
            }
        ),
    )
    process.refresh_from_db()
    assert {unit.organisation.name for unit in process.unit_rows.all()} >= {
        "Södermalm biståndsenhet äldre",
        "Skanstulls vårdcentral",
    }
    counts = home(nurse)
    assert counts["second-channel"] == 1, counts
    nurse.see("Skanstulls vårdcentral")
    nurse.check_accessibility("start-page-nurse-second-channel")
    assert_tasks_match_queue_and_inbox(nurse, counts)

    # On the case page a unit is added through the organisation picker, which offers
    # only the kinds a discharge unit can be.
    nurse.goto(process.get_absolute_url())
    add = nurse.page.locator("main [data-testid=unit-add-form]")
    add.locator("select[name=role]").select_option("KOMMUNAL_HSV")
    picker = add.locator("select[name=organisation] + .kb-picker")
    picker.get_by_role("searchbox").fill("Södersjukhuset avd 53")
    picker.get_by_text("Ingen organisation hittades.").wait_for()  # a ward is no unit
    nurse.pick("organisation", "Södermalm kommunal hälso- och sjukvård", within=add)
    add.locator("[name=reason]").fill("Behöver hemsjukvård efter utskrivningen")
    nurse.check_accessibility("unit-add-picker")
    submit(nurse.page, add.get_by_role("button", name="Lägg till enheten"))
    assert process.unit_rows.filter(
        organisation__name="Södermalm kommunal hälso- och sjukvård", superseded_at__isnull=True
    ).exists()

    # A deviation names the organisation that did not meet its commitment with a picker
    # of the case's parties.
    nurse.page.get_by_role("link", name="Rapportera avvikelse").click()
    nurse.page.wait_for_url("**/ny/?process=*")
    nurse.pick("receiving_organisation", "Skanstulls vårdcentral", query="Skanstull")
    nurse.fill_form({"category": "OTHER", "description": "Ingen kvittens trots flera påminnelser."})
    nurse.check_accessibility("deviation-create-picker")
    nurse.click_submit("Spara utkast")
    deviation = Deviation.objects.get(process=process)
    assert deviation.receiving_organisation.name == "Skanstulls vårdcentral"


def test_kommun_handlaggare_starts_from_my_cases(session):
    astrid = Individual.objects.get(given_name="Astrid", family_name="Johansson")
    kommun = session("handlaggare.sodermalm")
    counts = home(kommun)
    assert counts["tasks"] == 0 and counts["messages"] == 0, counts
    kommun.check_accessibility("start-page-kommun-empty")

    ward = session("avd53.sos")
    process = admit_and_notify(ward, astrid)

    # The admission notice waits in the kommun's queue and as an unanswered message.
    counts = home(kommun)
    assert counts["tasks"] == 1 and counts["messages"] == 1, counts
    task_row = kommun.page.locator("#tasks-table tr.kb-start-task").first
    assert "Besvara inskrivningsmeddelande" in task_row.inner_text(), task_row.inner_text()
    assert task_row.locator("td").last.inner_text().strip() == "ej tagen"
    kommun.see("Södermalm biståndsenhet äldre")
    kommun.shot("start-page-kommun", readme=True)
    kommun.check_accessibility("start-page-kommun")
    assert_tasks_match_queue_and_inbox(kommun, counts)

    # The summary link leads to the list it counts.
    home(kommun)
    kommun.page.locator("main a[data-count='tasks']").click()
    # An in-page link: the address changes without a page load, so wait for it.
    kommun.page.wait_for_url(re.compile(r"#uppgifter$"), timeout=5000)

    # Taken: still on the start page, now as the handläggare's own.
    kommun.take(process, DischargeFlow.ack_socialtjanst)
    counts = home(kommun)
    assert counts["tasks"] == 1, counts
    mine = kommun.page.locator("#tasks-table tr.kb-start-task").first
    assert mine.locator("td").last.inner_text().strip() == "mig", mine.inner_text()
    assert_tasks_match_queue_and_inbox(kommun, counts)

    # Answered from the case: the message leaves the list; the planning task takes its place.
    kommun.do_task(
        process,
        DischargeFlow.ack_socialtjanst,
        lambda page: kommun.fill_form({"ack_state": "ACKNOWLEDGED"}),
    )
    counts = home(kommun)
    assert counts["messages"] == 0, counts
    assert "Besvara inskrivningsmeddelande" not in kommun.text()
    assert_tasks_match_queue_and_inbox(kommun, counts)


def test_mas_starts_on_the_dashboard_and_its_figures_match_their_cases(session, settings):
    # The fast-forward moves the deadlines, not the clock (as journey 3).
    settings.KARDBORRE_OFFICE_HOURS = None
    rolf = Individual.objects.get(given_name="Rolf", family_name="Andersson")
    ward = session("avd53.sos")
    process = admit_and_notify(ward, rolf)
    # Nobody at the kommun answers: the deadline passes and a deviation is drafted.
    kommun_ack = process.deadlines.get(kind="INSKRIVNING_ACK", subject_key="SOCIALTJANST")
    for _hour in range(96):
        deadlines_fast_forward(hours=1, deadlines=Deadline.objects.filter(process=process))
        deadlines_sweep()
        kommun_ack.refresh_from_db()
        if kommun_ack.breached_at is not None:
            break
    assert kommun_ack.breached_at is not None
    assert Deviation.objects.filter(deadline=kommun_ack).exists()

    mas = session("mas.sodermalm")
    mas.goto("/")
    assert mas.page.url.endswith("/oversikt/mas/"), mas.page.url
    mas.see("MAS-översikt", "Ärendesiffrorna räknades när sidan öppnades")
    mas.check_accessibility("mas-dashboard-from-start")

    # Every figure in the deviation and deadline tables opens the cases behind it, as many.
    links = mas.page.locator("main table.kb-table td.kb-num a")
    figures = [(link.inner_text(), link.get_attribute("href")) for link in links.all()]
    figures = [(text, href) for text, href in figures if "figure=" in href]
    kinds = {re.search(r"figure=(\w+)", href).group(1) for _text, href in figures}
    assert {"deviations", "deadlines"} <= kinds, figures
    for text, href in figures:
        if "%" in text or "/" in text:  # a ratio (part/whole) opens the whole
            continue
        mas.goto(href)
        rows = mas.page.locator("main table.kb-table tbody tr").filter(has=mas.page.locator("td a"))
        assert rows.count() == int(text), (href, text, rows.count())
        mas.see(f"{int(text)} rad")
    mas.check_accessibility("mas-figure-cases")

    # The link back to the start page: the MAS's own organisations have nothing to do.
    mas.goto("/oversikt/mas/")
    mas.page.locator("main").get_by_role("link", name="Mina ärenden", exact=True).click()
    mas.page.wait_for_url("**/?mina=1")
    counts = start_counts(mas)
    mas.check_accessibility("start-page-mas")
    assert_tasks_match_queue_and_inbox(mas, counts)
