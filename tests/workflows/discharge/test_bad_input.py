"""Refusals: each with a clear message and nothing written."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from viewflow.workflow.status import STATUS

from workflows.discharge import services
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeEvent, DischargeUnit, Stage

from .helpers import assign, client_for, do, fresh, open_task
from .test_flow import local, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def notified(world):
    """A case whose admission notice went to the kommun and the vårdcentral."""
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
    return fresh(process)


def _ready(world, process, issued="2022-11-16T08:30"):
    do(
        client_for(world.nurse),
        process,
        DischargeFlow.issue_ready_notice,
        {"issued_at": issued, "backdate_reason": "Registrerat efter ronden"},
    )
    do(client_for(world.vardkontakt), process, DischargeFlow.ack_ready, {"confirm": "on"})


def test_unknown_person_and_future_admission_are_refused(world):
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        response = ward.post(
            DischargeFlow.start.reverse("execute"),
            {
                "personal_identity_number": "19121212-1212",
                "ward": world.ward.pk,
                "admitted_at": "2022-11-14T08:00",
                "care_type": "SOMATIC",
                "judgement": "MAY_NEED",
            },
        )
        assert response.status_code == 200
        assert "Ingen person med detta personnummer finns i registret" in response.content.decode()
        response = ward.post(
            DischargeFlow.start.reverse("execute"),
            {
                "personal_identity_number": world.individual.personal_identity_number,
                "ward": world.ward.pk,
                "admitted_at": "2022-11-15T08:00",
                "care_type": "SOMATIC",
                "judgement": "MAY_NEED",
            },
        )
        assert response.status_code == 200
        assert "Inskrivningen kan inte ligga i framtiden" in response.content.decode()
    assert not DischargeEvent.objects.exists()


def test_ready_for_discharge_before_admission_is_refused(world, notified):
    with time_machine.travel(local(2022, 11, 16, 9, 0), tick=False):
        response = do(
            client_for(world.nurse),
            notified,
            DischargeFlow.issue_ready_notice,
            {"issued_at": "2022-11-13T10:00"},
        )
        assert response.status_code == 200
        assert (
            "Patienten kan inte vara utskrivningsklar före inskrivningen"
            in response.content.decode()
        )
        process = fresh(notified)
        assert process.stage == Stage.PLANNING
        assert not process.ready_notices.exists()
        assert not process.deadlines.filter(kind="UTSKRIVNINGSKLAR_ACK").exists()
        assert open_task(process, DischargeFlow.issue_ready_notice).status == STATUS.ASSIGNED


def test_discharge_before_admission_is_refused(world, notified):
    with time_machine.travel(local(2022, 11, 16, 9, 0), tick=False) as clock:
        _ready(world, notified)
        clock.move_to(local(2022, 11, 17, 9, 0))
        response = do(
            client_for(world.nurse),
            notified,
            DischargeFlow.discharge,
            {
                "action": "DISCHARGE",
                "discharged_at": "2022-11-13T09:00",
                "information_sent_at": "2022-11-17T09:00",
            },
        )
        assert response.status_code == 200
        assert "Utskrivningen kan inte vara före inskrivningen" in response.content.decode()
        process = fresh(notified)
        assert process.stage == Stage.READY and process.discharged_at is None
        assert not process.events.filter(kind=DischargeEvent.Kind.DISCHARGED).exists()
        assert process.deadlines.get(kind="DISCHARGE_INFORMATION", status="OPEN")


def test_a_step_done_twice_is_refused_with_a_message(world, notified):
    ward = client_for(world.nurse)
    task = notified.task_set.get(flow_task=DischargeFlow.send_admission_notice)
    assert task.status == STATUS.DONE
    response = ward.post(
        DischargeFlow.send_admission_notice.reverse("execute", args=[notified.pk, task.pk]),
        {"socialtjanst": world.social.pk, "estimated_discharge_date": "2022-11-19"},
        follow=True,
    )
    page = response.content.decode()
    assert "Steget är redan utfört av Sara Lind (14 nov 2022 09:00)" in page
    assert DischargeUnit.objects.filter(process=notified).count() == 2
    assert fresh(notified).estimated_discharge_date == dt.date(2022, 11, 18)
    # The service refuses a repeat too, whoever calls it.
    with pytest.raises(ValidationError):
        services.admission_notice_send(
            process=fresh(notified),
            socialtjanst=world.social,
            estimated_discharge_date=dt.date(2022, 11, 19),
            by=world.nurse,
        )


def test_two_users_taking_the_same_task_one_wins(world, notified):
    sara, per = client_for(world.nurse), client_for(world.nurse2)
    response, task = assign(sara, notified, DischargeFlow.issue_ready_notice)
    assert response.status_code == 302
    response = per.post(
        DischargeFlow.issue_ready_notice.reverse("assign", args=[notified.pk, task.pk]),
        follow=True,
    )
    assert "Steget har redan tagits av Sara Lind" in response.content.decode()
    response = per.post(
        DischargeFlow.issue_ready_notice.reverse("execute", args=[notified.pk, task.pk]),
        {"issued_at": "2022-11-14T10:00"},
        follow=True,
    )
    assert "Steget har redan tagits av Sara Lind" in response.content.decode()
    task.refresh_from_db()
    assert task.owner == world.nurse and task.status == STATUS.ASSIGNED
    assert not fresh(notified).ready_notices.exists()


def test_an_organisation_cannot_act_on_a_step_that_is_not_its_own(world, notified):
    kommun = client_for(world.handlaggare)
    task = open_task(notified, DischargeFlow.issue_ready_notice)
    url = DischargeFlow.issue_ready_notice.reverse("assign", args=[notified.pk, task.pk])
    assert kommun.post(url).status_code == 403
    execute = DischargeFlow.issue_ready_notice.reverse("execute", args=[notified.pk, task.pk])
    assert kommun.post(execute, {"issued_at": "2022-11-14T10:00"}).status_code == 403
    task.refresh_from_db()
    assert task.owner is None and task.status == STATUS.NEW
    # The ward's estimate is the ward's: the kommun gets a message, nothing changes.
    with time_machine.travel(local(2022, 11, 14, 12, 0), tick=False):
        response = kommun.post(
            f"{notified.get_absolute_url()}berakat-utskrivningsdatum/",
            {"estimated_date": "2022-11-25"},
            follow=True,
        )
    assert "Endast Testsjukhuset avd 1 kan utföra detta steg" in response.content.decode()
    assert fresh(notified).estimated_dates.count() == 1
    # A service called directly refuses too.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.unit_answer(
            process=notified, role="VARDCENTRAL", ack_state="ACKNOWLEDGED", by=world.handlaggare
        )
    assert DischargeUnit.objects.get(process=notified, role="VARDCENTRAL").ack_state == "PENDING"


def test_rejection_needs_a_reason_and_ends_the_units_branch(world, notified):
    kommun = client_for(world.handlaggare)
    with time_machine.travel(local(2022, 11, 14, 11, 0), tick=False):
        response = do(
            kommun, notified, DischargeFlow.ack_socialtjanst, {"ack_state": "REJECTED_NOT_RESIDENT"}
        )
        assert response.status_code == 200
        assert "Ange skälet till att inskrivningsmeddelandet avvisas" in response.content.decode()
        task = open_task(notified, DischargeFlow.ack_socialtjanst)
        response = kommun.post(
            DischargeFlow.ack_socialtjanst.reverse("execute", args=[notified.pk, task.pk]),
            {"ack_state": "REJECTED_NOT_RESIDENT", "reason": "Folkbokförd i Solna"},
        )
        assert response.status_code == 302
    unit = DischargeUnit.objects.get(process=notified, role="SOCIALTJANST")
    assert unit.is_rejected and unit.ack_reason == "Folkbokförd i Solna"
    assert not notified.task_set.filter(flow_task=DischargeFlow.plan_socialtjanst).exists()
    process = fresh(notified)
    assert not process.sip_kallelse_needed
    assert process.participating_organisations() == [world.ward, world.vc]
    # It still sees its answer.
    assert client_for(world.handlaggare).get(process.get_absolute_url()).status_code == 200
