"""Journey: a kommun answers "not our resident" and forwards the admission notice to
the right kommun, which acknowledges it; the ward and both kommuner see the chain."""

import datetime as dt

import pytest
from django.utils import timezone

from coordination.models import Individual
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess, DischargeUnit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_not_our_resident_is_rerouted_and_acknowledged_by_the_right_kommun(session):
    astrid = Individual.objects.get(given_name="Astrid", family_name="Johansson")
    now = timezone.localtime().replace(second=0, microsecond=0)

    ward = session("avd53.sos")
    ward.goto("/workflow/flows/discharge/start/")
    ward.fill_form(
        {
            "personal_identity_number": astrid.personal_identity_number,
            "admitted_at": _local(now - dt.timedelta(hours=2)),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        }
    )
    ward.click_submit("Spara")
    process = DischargeProcess.objects.get(individual=astrid)
    ward.do_task(
        process,
        DischargeFlow.send_admission_notice,
        lambda page: ward.fill_form(
            {
                "socialtjanst": "Södermalm biståndsenhet äldre",
                "estimated_discharge_date": (now + dt.timedelta(days=3)).date().isoformat(),
            }
        ),
    )

    # Södermalm: not our resident, the right kommun is Huddinge.
    sodermalm = session("handlaggare.sodermalm")
    sodermalm.do_task(
        process,
        DischargeFlow.ack_socialtjanst,
        lambda page: sodermalm.fill_form(
            {
                "ack_state": "REJECTED_NOT_RESIDENT",
                "reason": "Folkbokförd i Huddinge",
                "forward_to": "Huddinge biståndsenhet äldre",
            }
        ),
    )
    forwarded = DischargeUnit.objects.get(
        process=process, organisation__name="Huddinge biståndsenhet äldre"
    )
    assert forwarded.origin == DischargeUnit.Origin.FORWARDED

    # Huddinge finds it in its queue and acknowledges.
    huddinge = session("handlaggare.huddinge")
    huddinge.goto("/workflow/queue/")
    huddinge.see("Astrid")
    huddinge.do_task(
        process,
        DischargeFlow.ack_socialtjanst,
        lambda page: huddinge.fill_form({"ack_state": "ACKNOWLEDGED"}),
    )
    forwarded.refresh_from_db()
    assert forwarded.ack_state == "ACKNOWLEDGED"

    for party in (ward, sodermalm, huddinge):
        party.goto(process.get_absolute_url())
        party.see(
            "Vidarebefordrade, tillagda och utbytta enheter",
            "vidarebefordrat till Huddinge biståndsenhet äldre",
            "Folkbokförd i Huddinge",
        )
    ward.check_accessibility("case-rerouted")
    ward.shot("case-rerouted")
