"""A patient leaving LPT/LRV for öppen tvångsvård (ÖPT/ÖRV): a samordnad vårdplan must
exist before discharge (LPT 7 a §, LRV 12 a §; HFD 2021:20, DOMAIN.md §1.5). It is drawn
up in a SIP the ward starts from the discharge; its deadline is met when the SIP saves
its plan, and the discharge is refused until then."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from workflows.discharge import services
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.sip import services as sip_services
from workflows.sip.models import SipProcess

from .helpers import client_for, do, fresh, start
from .test_flow import end_of, local

pytestmark = pytest.mark.django_db


def _flagged(world):
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        response = start(
            ward,
            personal_identity_number=world.individual.personal_identity_number,
            ward=world.ward.pk,
            admitted_at="2022-11-14T08:00",
            care_type="PSYCHIATRIC",
            leaves_for_open_compulsory_care="on",
            judgement="MAY_NEED",
        )
        assert response.status_code == 302
        process = DischargeProcess.objects.latest("pk")
        do(
            ward,
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
    return fresh(process), ward


def test_the_coordinated_care_plan_is_due_before_discharge_and_met_by_the_sips_plan(world):
    process, ward = _flagged(world)
    deadline = Deadline.objects.get(process_id=process.pk, kind="COMPULSORY_CARE_PLAN")
    assert deadline.responsible_organisation == world.ward
    assert deadline.due_at == end_of(2022, 11, 18)

    with time_machine.travel(local(2022, 11, 16, 10, 0), tick=False):
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-16T10:00"})
        page = ward.get(process.get_absolute_url()).content.decode()
        assert "en samordnad vårdplan ska finnas före utskrivningen" in page
        # Discharge is refused while no plan exists.
        with pytest.raises(ValidationError, match="samordnad vårdplan"):
            services.discharge_record(
                process=fresh(process),
                discharged_at=local(2022, 11, 16, 10, 0),
                information_sent_at=local(2022, 11, 16, 10, 0),
                by=world.nurse,
            )
        # The ward starts the SIP from the case page.
        response = ward.post(reverse("utskrivning:compulsory_care_sip", args=[process.pk]))
        assert response.status_code == 302
    sip = SipProcess.objects.get(origin_discharge_id=process.pk)
    assert sip.initiating_organisation == world.vc

    with time_machine.travel(local(2022, 11, 16, 14, 0), tick=False):
        sip_services.sip_consent_record(
            sip=sip, decision="GIVEN", method="ORAL", by=world.vardkontakt
        )
        sip = SipProcess.objects.get(pk=sip.pk)
        sip.schedule_meeting()
        sip.hold_meeting()
        sip.save()
        today = dt.date(2022, 11, 16)
        sip_services.sip_plan_save(
            sip=sip,
            overall_responsibility="REGION",
            own_goals="Bo kvar i lägenheten",
            follow_up_date=today + dt.timedelta(days=30),
            interventions=[
                {"description": "Boendestöd", "organisation": world.social, "start_date": today},
                {"description": "Läkemedel", "organisation": world.vc, "start_date": today},
            ],
            by=world.vardkontakt,
        )
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.MET
    assert not services.compulsory_care_plan_missing(fresh(process))


def test_an_ordinary_discharge_has_no_coordinated_care_plan_deadline(world):
    process, _ward = _flagged(world)
    process.leaves_for_open_compulsory_care = False
    assert not services.compulsory_care_plan_missing(process)
    assert (
        client_for(world.handlaggare)
        .post(reverse("utskrivning:compulsory_care_sip", args=[process.pk]))
        .status_code
        == 302
    )
    assert not SipProcess.objects.exists()  # only the ward starts it
