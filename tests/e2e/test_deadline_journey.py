"""Journey 3: nobody acts and the clock moves on. Reminders and escalations reach the
outbox; at the breach a deviation is drafted; the MAS finds it on the dashboard, reports
it, and the receiving organisation answers."""

import datetime as dt

import pytest
from django.utils import timezone

from coordination.models import Individual, Organisation
from workflows.deviations.models import Deviation
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.services import deadlines_fast_forward
from workflows.tasks import deadlines_sweep

from .conftest import submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _let_hours_pass(hours, deadlines):
    """What `demo_fast_forward` does: move the open deadlines back an hour at a time and
    sweep after each step, as Celery beat would."""
    for _ in range(hours):
        deadlines_fast_forward(hours=1, deadlines=deadlines)
        deadlines_sweep()


def test_missed_deadline_escalates_and_becomes_a_deviation(session, settings):
    # The fast-forward moves the deadlines, not the clock: office hours (held reminders,
    # tests/workflows/test_office_hours.py) would make the journey depend on the time
    # of day it runs.
    settings.KARDBORRE_OFFICE_HOURS = None
    rolf = Individual.objects.get(given_name="Rolf", family_name="Andersson")
    rosenlund = Organisation.objects.get(name="Rosenlunds vårdcentral")
    now = timezone.localtime().replace(second=0, microsecond=0)

    ward = session("avd53.sos")
    ward.goto("/workflow/flows/discharge/start/")
    ward.fill_form(
        {
            "personal_identity_number": rolf.personal_identity_number,
            "admitted_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "judgement": "MAY_NEED",
        }
    )
    ward.click_submit("Spara")
    process = DischargeProcess.objects.get(individual=rolf)
    ward.do_task(
        process,
        DischargeFlow.send_admission_notice,
        lambda page: ward.fill_form(
            {
                "socialtjanst": "Södermalm biståndsenhet äldre",
                "vardcentral": "Rosenlunds vårdcentral",
                "estimated_discharge_date": (now + dt.timedelta(days=10)).date().isoformat(),
            }
        ),
    )
    # The kommun answers in time; the vårdcentral does not.
    kommun = session("handlaggare.sodermalm")
    kommun.do_task(
        process,
        DischargeFlow.ack_socialtjanst,
        lambda page: kommun.fill_form({"ack_state": "ACKNOWLEDGED"}),
    )
    vc_ack = process.deadlines.get(kind="INSKRIVNING_ACK", subject_key="VARDCENTRAL")
    assert vc_ack.responsible_organisation == rosenlund

    _let_hours_pass(50, Deadline.objects.filter(process=process))
    vc_ack.refresh_from_db()
    assert vc_ack.breached_at is not None, (vc_ack.status, vc_ack.escalation_level)

    # The case page and the outbox show the reminders, the escalation and the breach notice.
    ward.goto(process.get_absolute_url())
    ward.see("Påminnelser och e-post", "Rosenlunds vårdcentral")
    ward.shot("j3-case-after-breach")
    admin = session("admin")
    admin.goto("/notifications/utkorg/")
    admin.see(
        "Påminnelse", "Eskalering", "Tidsgräns överskriden", "mas.sodermalm@demo.kardborre.se"
    )
    admin.shot("j3-outbox")
    admin.check_accessibility("outbox")

    # The MAS sees the breach and the drafted deviation on the dashboard.
    deviation = Deviation.objects.get(deadline=vc_ack)
    assert deviation.status == "DRAFT"
    assert deviation.receiving_organisation == rosenlund
    mas = session("mas.sodermalm")
    mas.goto("/oversikt/mas/")
    mas.see("MAS-översikt", "Inskrivningsmeddelande inte kvitterat")
    mas.shot("mas-dashboard", readme=True)
    mas.check_accessibility("mas-dashboard")
    mas.shot_widths("j3-mas-dashboard")
    row = mas.page.locator("tr", has_text="Inskrivningsmeddelande inte kvitterat").first
    with mas.page.expect_navigation():
        row.get_by_role("link").first.click()
    mas.see("Inskrivningsmeddelande inte kvitterat")
    mas.shot("j3-deviation-list")

    # ... opens the draft, assesses it and reports it to the vårdcentral.
    mas.goto(deviation.get_absolute_url())
    mas.see("Utkast", "Kvittera inskrivningsmeddelandet", "Rosenlunds vårdcentral")
    mas.check_accessibility("deviation-draft")
    mas.fill_form({"harm": "RISK"})
    mas.click_submit("Skicka till den mottagande organisationen")
    mas.see("Avvikelsen skickades till den mottagande organisationen.", "Rapporterad")
    deviation.refresh_from_db()
    assert deviation.status == "REPORTED"
    mas.shot("j3-deviation-reported")

    # The receiving organisation answers.
    vc = session("vardkontakt.rosenlund")
    vc.goto(deviation.get_absolute_url())
    vc.see("Besvara avvikelsen")
    vc.check_accessibility("deviation-to-answer")
    vc.fill_form(
        {
            "explanation": "Meddelandet kom under en helg utan bemanning.",
            "measures": "Funktionsbrevlådan bevakas nu även helger.",
        }
    )
    form = vc.page.locator("main form", has=vc.page.locator("[name=explanation]"))
    submit(vc.page, form.get_by_role("button").last)
    deviation.refresh_from_db()
    assert deviation.status == "ANSWERED"
    vc.goto(deviation.get_absolute_url())
    vc.see("Besvarad", "Funktionsbrevlådan bevakas nu även helger.")
    vc.shot("j3-deviation-answered")
    mas.goto(deviation.get_absolute_url())
    mas.see("Funktionsbrevlådan bevakas nu även helger.", "Bedöm och avsluta")
