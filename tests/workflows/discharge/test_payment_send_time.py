"""Day 0 from the time the system sent the notice; a backdated time needs a reason."""

import datetime as dt

import pytest
import time_machine

from coordination.clock import STOCKHOLM
from workflows.discharge import selectors
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import PaymentAgreement, PaymentDayRate

from .helpers import client_for, do, fresh, open_task
from .test_flow import register

pytestmark = pytest.mark.django_db(transaction=False)


def local(*args):
    return dt.datetime(*args, tzinfo=STOCKHOLM)


def _to_ready(world, clock):
    ward = client_for(world.nurse)
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
    return ward, process


def test_backdated_notice_needs_a_reason_and_payment_counts_from_sending(world):
    PaymentAgreement.objects.filter(name="Region Stockholm och Storsthlm").update(
        model="PER_PATIENT"
    )
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        ward, process = _to_ready(world, clock)
        # Thursday 13:30 the ward types 09:00 of the same morning.
        clock.move_to(local(2022, 11, 17, 13, 30))
        response = do(
            ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-17T09:00"}
        )
        assert response.status_code == 200
        assert "skäl" in response.content.decode()
        assert not fresh(process).ready_notices.exists()
        task = open_task(process, DischargeFlow.issue_ready_notice)
        response = ward.post(
            DischargeFlow.issue_ready_notice.reverse("execute", args=[process.pk, task.pk]),
            {"issued_at": "2022-11-17T09:00", "backdate_reason": "Journalen skrevs före ronden"},
        )
        assert response.status_code == 302
        notice = fresh(process).current_ready_notice
        assert notice.issued_at == local(2022, 11, 17, 9, 0)
        assert notice.sent_at == local(2022, 11, 17, 13, 30)
        assert notice.is_backdated
        payment = selectors.discharge_payment(
            process=fresh(process), now=local(2022, 11, 21, 10, 0)
        )
        # Sent after noon: day 0 is Friday the 18th, not the typed Thursday.
        assert payment.day_zero == dt.date(2022, 11, 18)
        assert payment.start_date == dt.date(2022, 11, 21)
        assert payment.days == 1
        page = client_for(world.handlaggare).get(process.get_absolute_url()).content.decode()
        assert "Efterregistrerad" in page and "Journalen skrevs före ronden" in page


def test_case_page_without_agreement_or_amount_does_not_crash(world):
    PaymentAgreement.objects.all().delete()
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        ward, process = _to_ready(world, clock)
        clock.move_to(local(2022, 11, 16, 10, 0))
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-16T10:00"})
        page = ward.get(process.get_absolute_url())
        assert page.status_code == 200
        assert (
            "Ingen överenskommelse eller nivå om betalningsansvar gäller 2022"
            in page.content.decode()
        )


def test_case_page_shows_a_missing_amount(world):
    PaymentAgreement.objects.filter(name="Region Stockholm och Storsthlm").update(
        model="PER_PATIENT"
    )
    PaymentDayRate.objects.filter(year=2022).delete()
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        ward, process = _to_ready(world, clock)
        clock.move_to(local(2022, 11, 16, 10, 0))
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-16T10:00"})
        clock.move_to(local(2022, 11, 25, 10, 0))
        page = ward.get(process.get_absolute_url()).content.decode()
        assert "belopp saknas för 2022" in page
