"""Journey 1: a LUS discharge from admission to discharge, by the ward, the kommun and the
vårdcentral, each in their own browser."""

import datetime as dt

import pytest
from django.utils import timezone

from coordination.models import Individual
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess, Stage

from .conftest import DATE_TIME

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_ward_kommun_and_vardcentral_carry_a_discharge(session):
    astrid = Individual.objects.get(given_name="Astrid", family_name="Johansson")
    now = timezone.localtime().replace(second=0, microsecond=0)

    # The ward nurse registers the admission.
    ward = session("avd53.sos")
    ward.goto("/workflow/flows/discharge/start/")
    ward.see("Registrera inskrivning")
    ward.fill_form(
        {
            "personal_identity_number": astrid.personal_identity_number,
            "admitted_at": _local(now - dt.timedelta(hours=3)),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        }
    )
    ward.click_submit("Spara")
    process = DischargeProcess.objects.get(individual=astrid)
    assert process.stage == Stage.ADMITTED

    # ... and sends the inskrivningsmeddelande from the case.
    ward.do_task(
        process,
        DischargeFlow.send_admission_notice,
        lambda page: ward.fill_form(
            {
                "socialtjanst": "Södermalm biståndsenhet äldre",
                "vardcentral": "Rosenlunds vårdcentral",
                "estimated_discharge_date": (now + dt.timedelta(days=3)).date().isoformat(),
            }
        ),
    )
    process.refresh_from_db()
    assert process.stage == Stage.PLANNING
    ward.goto(process.get_absolute_url())
    ward.see("Astrid", "Inskrivningsmeddelande", "Södermalm biståndsenhet äldre")
    ward.shot("j1-case-after-admission-notice")

    # The kommun handläggare finds it in the organisation's queue, takes it and answers.
    kommun = session("handlaggare.sodermalm")
    kommun.goto("/workflow/queue/")
    kommun.see("Astrid")
    kommun.shot("j1-kommun-queue")
    kommun.check_accessibility("queue-with-task")
    kommun.take(process, DischargeFlow.ack_socialtjanst)
    kommun.goto("/workflow/inbox/")
    kommun.see("Astrid")
    kommun.shot("inbox", readme=True)
    kommun.check_accessibility("inbox-with-task")
    kommun.do_task(
        process,
        DischargeFlow.ack_socialtjanst,
        lambda page: kommun.fill_form({"ack_state": "ACKNOWLEDGED"}),
    )

    # The vårdcentral acknowledges, appoints the fast vårdkontakt, and both plan.
    vc = session("vardkontakt.rosenlund")
    vc.goto("/workflow/queue/")
    vc.see("Astrid")
    vc.do_task(
        process,
        DischargeFlow.ack_vardcentral,
        lambda page: vc.fill_form({"ack_state": "ACKNOWLEDGED"}),
    )
    vc.do_task(
        process,
        DischargeFlow.appoint_fast_vardkontakt,
        lambda page: page.locator("main select[name=person]").select_option(index=1),
    )
    process.refresh_from_db()
    assert process.fast_vardkontakt is not None
    kommun.do_task(
        process,
        DischargeFlow.plan_socialtjanst,
        lambda page: kommun.fill_form(
            {
                "interventions_needed": "yes",
                "planned_interventions": "Hemtjänst två gånger dagligen",
            }
        ),
    )
    vc.do_task(
        process,
        DischargeFlow.plan_vardcentral,
        lambda page: vc.fill_form({"interventions_needed": "no"}),
    )

    # Utskrivningsklar; the vårdcentral acknowledges it and sends the SIP kallelse.
    ward.do_task(process, DischargeFlow.issue_ready_notice, lambda page: None)
    process.refresh_from_db()
    assert process.stage == Stage.READY
    vc.do_task(process, DischargeFlow.ack_ready, lambda page: vc.fill_form({"confirm": True}))
    vc.do_task(process, DischargeFlow.sip_kallelse, lambda page: vc.fill_form({"action": "SENT"}))

    # Discharge with information the same day.
    at = _local(timezone.now())
    ward.do_task(
        process,
        DischargeFlow.discharge,
        lambda page: ward.fill_form(
            {"action": "DISCHARGE", "discharged_at": at, "information_sent_at": at}
        ),
    )
    process.refresh_from_db()
    assert process.stage == Stage.DISCHARGED

    # The case timeline, as each party sees it.
    ward.goto(process.get_absolute_url())
    ward.see("Utskriven", "Hemtjänst två gånger dagligen", "Rosenlunds vårdcentral")
    assert DATE_TIME.search(ward.text()), ward.text()[:3000]
    ward.shot("case-timeline", readme=True)
    ward.check_accessibility("case-timeline")
    ward.shot_widths("j1-case-timeline")
    kommun.goto(process.get_absolute_url())
    kommun.see("Utskriven")
    vc.goto("/utskrivning/")
    vc.see("Astrid")
    vc.shot_widths("j1-discharge-list")
