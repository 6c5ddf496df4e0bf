"""The LUS discharge carried from admission to discharge through its pages, by the
ward, the kommun and the vårdcentral, with time travel."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from viewflow.workflow.status import PROCESS, STATUS

from coordination.clock import STOCKHOLM
from notifications.services import outbox_deliver_pending
from workflows.discharge import selectors
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess, Stage
from workflows.sip import services as sip_services
from workflows.sip.models import SipProcess

from .helpers import client_for, deadline, do, fresh, open_task, start

pytestmark = pytest.mark.django_db(transaction=False)


def local(*args):
    return dt.datetime(*args, tzinfo=STOCKHOLM)


def end_of(*args):
    return dt.datetime(*args, 23, 59, 59, 999999, tzinfo=STOCKHOLM)


def register(world, *, admitted, judgement="MAY_NEED", care_type="SOMATIC"):
    ward = client_for(world.nurse)
    response = start(
        ward,
        personal_identity_number=world.individual.personal_identity_number,
        ward=world.ward.pk,
        admitted_at=admitted.strftime("%Y-%m-%dT%H:%M"),
        care_type=care_type,
        judgement=judgement,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return DischargeProcess.objects.latest("pk")


def test_discharge_end_to_end_with_revocation(world):
    ward = client_for(world.nurse)
    kommun = client_for(world.handlaggare)
    vc = client_for(world.vardkontakt)

    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        assert process.stage == Stage.PLANNING or process.stage == Stage.ADMITTED
        notice_deadline = deadline(process, "INSKRIVNINGSMEDDELANDE")
        assert notice_deadline.due_at == local(2022, 11, 15, 8, 0)
        assert notice_deadline.responsible_organisation == world.ward

        # The kommun sees nothing yet: the notice has not gone out.
        assert kommun.get(process.get_absolute_url()).status_code == 404

        clock.move_to(local(2022, 11, 14, 10, 0))
        response = do(
            ward,
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
        assert response.status_code == 302
        process = fresh(process)
        assert process.stage == Stage.PLANNING
        assert deadline(process, "INSKRIVNINGSMEDDELANDE").display_state == "MET"
        ack_social = deadline(process, "INSKRIVNING_ACK", subject_key="SOCIALTJANST")
        assert ack_social.due_at == local(2022, 11, 15, 10, 0)
        assert ack_social.responsible_organisation == world.social
        assert deadline(process, "FAST_VARDKONTAKT").due_at == end_of(2022, 11, 18)

        outbox_deliver_pending()
        to_social = [m for m in mail.outbox if world.social.functional_mailbox in m.to]
        assert len(to_social) == 1
        body = to_social[0].body
        assert "inskrivningsmeddelande" in to_social[0].subject.lower()
        assert world.individual.personal_identity_number not in body
        assert "Astrid" not in body and "Testsson" not in body
        assert process.get_absolute_url() in body

        # The estimate moves: kept, emailed, and the appointment deadline moves too.
        clock.move_to(local(2022, 11, 14, 12, 0))
        response = ward.post(
            f"{process.get_absolute_url()}berakat-utskrivningsdatum/",
            {"estimated_date": "2022-11-21", "note": "Infektion"},
            follow=True,
        )
        assert "Beräknat utskrivningsdatum är ändrat" in response.content.decode(), (
            response.redirect_chain
        )
        process = fresh(process)
        assert process.estimated_dates.count() == 2
        assert deadline(process, "FAST_VARDKONTAKT").due_at == end_of(2022, 11, 21)
        outbox_deliver_pending()
        assert any("beräknade utskrivningsdatumet" in m.subject.lower() for m in mail.outbox)

        clock.move_to(local(2022, 11, 14, 13, 0))
        assert (
            do(
                kommun, process, DischargeFlow.ack_socialtjanst, {"ack_state": "ACKNOWLEDGED"}
            ).status_code
            == 302
        )
        assert (
            deadline(process, "INSKRIVNING_ACK", subject_key="SOCIALTJANST").display_state == "MET"
        )

        # The vårdcentral answers late: met late.
        clock.move_to(local(2022, 11, 15, 11, 0))
        do(vc, process, DischargeFlow.ack_vardcentral, {"ack_state": "ACKNOWLEDGED"})
        assert (
            deadline(process, "INSKRIVNING_ACK", subject_key="VARDCENTRAL").display_state
            == "MET_LATE"
        )
        do(vc, process, DischargeFlow.appoint_fast_vardkontakt, {"person": world.vardkontakt.pk})
        assert fresh(process).fast_vardkontakt == world.vardkontakt
        assert deadline(process, "FAST_VARDKONTAKT").display_state == "MET"
        do(
            kommun,
            process,
            DischargeFlow.plan_socialtjanst,
            {
                "interventions_needed": "yes",
                "planned_interventions": "Hemtjänst två gånger dagligen",
            },
        )
        do(vc, process, DischargeFlow.plan_vardcentral, {"interventions_needed": "no"})

        # Utskrivningsklar Wednesday 10:30.
        clock.move_to(local(2022, 11, 16, 10, 30))
        do(
            ward,
            process,
            DischargeFlow.issue_ready_notice,
            {"issued_at": "2022-11-16T10:30"},
        )
        process = fresh(process)
        assert process.stage == Stage.READY
        assert deadline(process, "UTSKRIVNINGSKLAR_ACK").due_at == end_of(2022, 11, 16)
        assert deadline(process, "SIP_KALLELSE").due_at == end_of(2022, 11, 19)
        assert deadline(process, "DISCHARGE_INFORMATION").due_at == end_of(2022, 11, 21)

        # Thursday: no longer utskrivningsklar. The clocks stop; the old tasks go.
        clock.move_to(local(2022, 11, 17, 9, 0))
        response = do(
            ward,
            process,
            DischargeFlow.discharge,
            {"action": "REVOKE", "revocation_reason": "Feber igen"},
        )
        assert response.status_code == 302
        process = fresh(process)
        assert process.stage == Stage.PLANNING
        assert process.ready_for_discharge_at is None
        for kind in ("UTSKRIVNINGSKLAR_ACK", "SIP_KALLELSE", "DISCHARGE_INFORMATION"):
            assert not process.deadlines.filter(kind=kind, status="OPEN").exists()
        assert not process.task_set.filter(
            flow_task=DischargeFlow.ack_ready, status__in=[STATUS.NEW, STATUS.ASSIGNED]
        ).exists()
        open_task(process, DischargeFlow.issue_ready_notice)  # a new notice is owed

        # Reissued Thursday 11:00: the kallelse clock restarts from the new notice.
        clock.move_to(local(2022, 11, 17, 11, 0))
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-17T11:00"})
        process = fresh(process)
        assert deadline(process, "SIP_KALLELSE").due_at == end_of(2022, 11, 20)
        assert deadline(process, "UTSKRIVNINGSKLAR_ACK").due_at == end_of(2022, 11, 17)
        assert process.ready_notices.count() == 2

        # Discharge refused before the vårdcentral acknowledged the notice.
        clock.move_to(local(2022, 11, 17, 11, 15))
        response = do(
            ward,
            process,
            DischargeFlow.discharge,
            {
                "action": "DISCHARGE",
                "discharged_at": "2022-11-17T11:15",
                "information_sent_at": "2022-11-17T11:15",
            },
        )
        assert response.status_code == 200
        assert "har inte kvitterat" in response.content.decode()
        assert fresh(process).stage == Stage.READY

        clock.move_to(local(2022, 11, 17, 11, 30))
        do(vc, process, DischargeFlow.ack_ready, {"confirm": "on"})
        assert deadline(process, "UTSKRIVNINGSKLAR_ACK").display_state == "MET"

        clock.move_to(local(2022, 11, 18, 10, 0))
        do(vc, process, DischargeFlow.sip_kallelse, {"action": "SENT"})
        # The click starts the SIP; the kallelse has not gone out until its invitations have.
        assert deadline(process, "SIP_KALLELSE").display_state == "OPEN"
        sip = SipProcess.objects.get(origin_discharge_id=process.pk)
        sip_services.sip_consent_record(
            sip=sip, decision="GIVEN", method="ORAL", by=world.vardkontakt
        )
        reachable = [o for o in sip.participating_organisations() if not o.needs_second_channel]
        sip_services.sip_invite(
            sip=sip,
            starts_at=local(2022, 11, 24, 10, 0),
            place="Hemma hos patienten",
            organisations=reachable,
            by=world.vardkontakt,
        )
        if any(o.needs_second_channel for o in sip.participating_organisations()):
            pytest.fail("the world's participants are expected to be reachable")
        met = deadline(process, "SIP_KALLELSE")
        assert met.display_state == "MET" and met.met_at == local(2022, 11, 18, 10, 0)
        assert fresh(process).sip_kallelse_sent_at == local(2022, 11, 18, 10, 0)

        # Discharged Monday 10:00, information the same day.
        clock.move_to(local(2022, 11, 21, 10, 0))
        task = open_task(process, DischargeFlow.discharge)
        response = ward.post(
            DischargeFlow.discharge.reverse("execute", args=[process.pk, task.pk]),
            {
                "action": "DISCHARGE",
                "discharged_at": "2022-11-21T10:00",
                "information_sent_at": "2022-11-21T10:00",
            },
        )
        assert response.status_code == 302
        process = fresh(process)
        assert process.stage == Stage.DISCHARGED
        assert process.status == PROCESS.DONE
        info = deadline(process, "DISCHARGE_INFORMATION")
        assert info.due_at == end_of(2022, 11, 21) and info.display_state == "MET"

        # Payment: notice Thursday 11:00 (before noon) → day 0 Thursday; discharged
        # Monday: 4 days towards the kommun's mean under the 2020 average model.
        payment = selectors.discharge_payment(process=process)
        assert payment.applies
        assert payment.day_zero == dt.date(2022, 11, 17)
        assert payment.is_average_model and payment.episode_days == 4

        page = ward.get(process.get_absolute_url()).content.decode()
        for text in (
            "Utskriven",
            "Meddelande om utskrivningsklar återkallat",
            "Feber igen",
            "Uppfylld sent",
            "Avräknas per kommun och period",
            "21 nov 2022",
        ):
            assert text in page, text
        # The kommun sees the same case; the vårdcentral too.
        assert kommun.get(process.get_absolute_url()).status_code == 200
        assert vc.get(process.get_absolute_url()).status_code == 200


def test_no_interventions_needed_closes_as_no_lus_planning(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0), judgement="NO_NEED")
        process = fresh(process)
        assert process.stage == Stage.NO_LUS_PLANNING
        assert process.status == PROCESS.DONE
        assert not process.deadlines.exists()


def test_later_judgement_moves_the_admission_notice_deadline(world):
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        process = register(world, admitted=local(2022, 11, 14, 8, 0), judgement="PENDING")
        assert not process.deadlines.exists()
        clock.move_to(local(2022, 11, 15, 14, 0))
        do(ward, process, DischargeFlow.judge, {"judgement": "MAY_NEED"})
        assert deadline(process, "INSKRIVNINGSMEDDELANDE").due_at == local(2022, 11, 16, 14, 0)


@pytest.mark.parametrize(
    ("care_type", "notice_time", "discharged", "days", "episode_days"),
    [
        ("SOMATIC", "11:59", dt.date(2022, 11, 20), 1, 3),  # day 0 = 17th; paid from the 20th
        ("SOMATIC", "12:00", dt.date(2022, 11, 20), 0, 2),  # day 0 = 18th; paid from the 21st
        ("PSYCHIATRIC", "11:00", dt.date(2022, 11, 23), 1, 6),  # five free days
        ("PSYCHIATRIC", "13:00", dt.date(2022, 11, 23), 0, 5),
    ],
)
@pytest.mark.parametrize("model", ["PER_PATIENT", "AVERAGE"])
def test_payment_days_around_the_noon_cut_off(
    world, care_type, notice_time, discharged, days, episode_days, model
):
    """The Stockholm agreement's levels (2 somatic, 5 psychiatric, noon cut-off) read
    per patient and as the average model: per patient the case has payable days and an
    amount; under the average model the case only contributes its days (day 0
    included) to the municipality's mean, settled in the invoice basis."""
    from workflows.discharge.models import PaymentAgreement

    PaymentAgreement.objects.filter(name="Region Stockholm och Storsthlm").update(model=model)
    ward = client_for(world.nurse)
    vc = client_for(world.vardkontakt)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        process = register(world, admitted=local(2022, 11, 14, 8, 0), care_type=care_type)
        do(
            ward,
            process,
            DischargeFlow.send_admission_notice,
            {"vardcentral": world.vc.pk, "estimated_discharge_date": "2022-11-18"},
        )
        hour, minute = map(int, notice_time.split(":"))
        clock.move_to(local(2022, 11, 17, hour, minute))
        do(
            ward,
            process,
            DischargeFlow.issue_ready_notice,
            {"issued_at": f"2022-11-17T{notice_time}"},
        )
        do(vc, process, DischargeFlow.ack_ready, {"confirm": "on"})
        clock.move_to(local(discharged.year, discharged.month, discharged.day, 15, 0))
        response = do(
            ward,
            process,
            DischargeFlow.discharge,
            {
                "action": "DISCHARGE",
                "discharged_at": f"{discharged:%Y-%m-%d}T15:00",
                "information_sent_at": f"{discharged:%Y-%m-%d}T15:00",
            },
        )
        assert response.status_code == 302
        payment = selectors.discharge_payment(process=fresh(process))
        assert payment.episode_days == episode_days
        if model == "PER_PATIENT":
            assert payment.days == days
            assert payment.amount_sek == days * 9300
        else:
            assert payment.days == 0 and payment.amount_sek is None
            assert payment.is_average_model


def test_kallelse_skipped_with_a_reason_when_a_valid_sip_exists(world):
    ward, vc = client_for(world.nurse), client_for(world.vardkontakt)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
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
        clock.move_to(local(2022, 11, 16, 13, 0))
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-16T13:00"})
        assert deadline(process, "SIP_KALLELSE").due_at == end_of(2022, 11, 19)
        response = do(vc, process, DischargeFlow.sip_kallelse, {"action": "SKIPPED"})
        assert response.status_code == 200
        assert "Ange skälet till att ingen kallelse till SIP skickas" in response.content.decode()
        task = open_task(process, DischargeFlow.sip_kallelse)
        response = vc.post(
            DischargeFlow.sip_kallelse.reverse("execute", args=[process.pk, task.pk]),
            {"action": "SKIPPED", "skipped_reason": "Giltig SIP från september finns"},
        )
        assert response.status_code == 302
        process = fresh(process)
        assert process.sip_kallelse_skipped_reason == "Giltig SIP från september finns"
        assert process.deadlines.get(kind="SIP_KALLELSE").status == "CANCELLED"
        assert not SipProcess.objects.filter(origin_discharge_id=process.pk).exists()
        page = vc.get(process.get_absolute_url()).content.decode()
        assert "Kallelse till SIP behövs inte" in page and "Giltig SIP från september" in page


def test_lpt_leaving_for_opt_follows_a_coordinated_care_plan(world):
    ward, vc = client_for(world.nurse), client_for(world.vardkontakt)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
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
        clock.move_to(local(2022, 11, 16, 10, 0))
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-16T10:00"})
        process = fresh(process)
        assert not process.deadlines.filter(kind="SIP_KALLELSE").exists()
        assert not process.task_set.filter(flow_task=DischargeFlow.sip_kallelse).exists()
        assert not selectors.discharge_payment(process=process).applies
        page = vc.get(process.get_absolute_url()).content.decode()
        assert "samordnad vårdplan" in page
