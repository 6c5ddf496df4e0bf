"""Journey: a discharge registered in error is withdrawn (makulering) by the ward; the
units that were sent the admission notice find the notice in their inboxes and still
read the case, marked withdrawn."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from coordination.models import Individual, Organisation
from notifications.services import outbox_deliver_pending
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess, Stage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_ward_withdraws_a_discharge_registered_in_error(session):
    bengt = Individual.objects.get(given_name="Bengt")
    now = timezone.localtime().replace(second=0, microsecond=0)
    social = Organisation.objects.get(name="Södermalm biståndsenhet äldre")
    rosenlund = Organisation.objects.get(name="Rosenlunds vårdcentral")

    ward = session("avd53.sos")
    ward.goto("/workflow/flows/discharge/start/")
    ward.fill_form(
        {
            "personal_identity_number": bengt.personal_identity_number,
            "admitted_at": _local(now - dt.timedelta(hours=2)),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        }
    )
    ward.click_submit("Spara")
    process = DischargeProcess.objects.get(individual=bengt)
    ward.do_task(
        process,
        DischargeFlow.send_admission_notice,
        lambda page: ward.fill_form(
            {
                "socialtjanst": social.name,
                "vardcentral": rosenlund.name,
                "estimated_discharge_date": (now + dt.timedelta(days=3)).date().isoformat(),
            }
        ),
    )
    outbox_deliver_pending()
    mail.outbox.clear()

    # The kommun may read the case but is offered no withdrawal.
    kommun = session("handlaggare.sodermalm")
    kommun.goto(process.get_absolute_url())
    kommun.see("Bengt")
    assert "Makulera ärendet" not in kommun.text()

    # A second registration of the same person is refused with a link to the open case.
    ward.goto("/workflow/flows/discharge/start/")
    ward.fill_form(
        {
            "personal_identity_number": bengt.personal_identity_number,
            "admitted_at": _local(now - dt.timedelta(hours=1)),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        }
    )
    ward.click_submit("Spara")
    ward.see("redan ett öppet utskrivningsärende")
    assert ward.page.locator(f"main a[href='{process.get_absolute_url()}']").count() >= 1
    assert DischargeProcess.objects.filter(individual=bengt).count() == 1

    # The ward withdraws it from the case page, with a reason.
    ward.goto(process.get_absolute_url())
    ward.page.locator("main").get_by_role("link", name="Makulera ärendet").click()
    ward.page.wait_for_url(f"**/utskrivning/{process.pk}/makulera/")
    ward.page.wait_for_load_state()
    ward.see("Makulera utskrivningsärende", social.name, rosenlund.name)
    ward.click_submit("Makulera ärendet")  # no reason: refused, nothing written
    ward.see("Detta fält måste fyllas i")
    process.refresh_from_db()
    assert process.stage == Stage.PLANNING
    ward.fill_form({"reason": "Fel patient: förväxlad med rumsgranne"})
    ward.click_submit("Makulera ärendet")
    ward.see("Utskrivningsärendet har makulerats", "Makulerad", "förväxlad med rumsgranne")
    ward.shot("withdrawn-case")
    process.refresh_from_db()
    assert process.stage == Stage.WITHDRAWN

    # Each unit that was sent the admission notice gets the withdrawal notice.
    outbox_deliver_pending()
    withdrawn = [m for m in mail.outbox if "makulerat" in m.subject]
    assert sorted(m.to[0] for m in withdrawn) == sorted(
        [social.functional_mailbox, rosenlund.functional_mailbox]
    )
    for message in withdrawn:
        assert bengt.personal_identity_number not in message.body
        assert bengt.family_name not in message.body
        assert process.get_absolute_url() in message.body

    # The kommun still reads it, marked withdrawn; its task is gone from the queue.
    kommun.goto(process.get_absolute_url())
    kommun.see("Makulerad", "förväxlad med rumsgranne")
    kommun.goto("/workflow/queue/")
    assert f"/{process.pk}/" not in kommun.page.content()
