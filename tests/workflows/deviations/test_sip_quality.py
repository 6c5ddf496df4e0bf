"""The MAS dashboard's figures on what the SIPs contain: plans with both principals'
interventions, meetings where the individual took part, follow-ups held on time."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from workflows.sip.models import Invitation, PlanApproval, PlanIntervention, PlanVersion

from .factories import deadline_for, sip_meeting

pytestmark = pytest.mark.django_db

STHLM = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=STHLM)


def at(m, d, h=12):
    return dt.datetime(2026, m, d, h, tzinfo=STHLM)


def _plan(sip, organisations, *, saved_at, by):
    plan = PlanVersion.objects.create(
        sip=sip,
        number=sip.plan_versions.count() + 1,
        overall_responsibility="KOMMUN",
        own_goals="Bo kvar hemma",
        follow_up_date=saved_at.date() + dt.timedelta(days=30),
        created_at=saved_at,
        created_by=by,
        one_huvudman_reason="" if len(organisations) > 1 else "Bara kommunen",
    )
    for organisation in organisations:
        PlanIntervention.objects.create(
            plan=plan, description="Insats", organisation=organisation, start_date=saved_at.date()
        )
    return plan


def test_sip_quality_figures(w, login):
    both = sip_meeting(
        w.bistand, held_at=at(11, 10), invited=[(w.vardcentral, "ATTENDED", at(11, 4))]
    )
    one_side = sip_meeting(
        w.bistand, held_at=at(11, 12), invited=[(w.vardcentral, "ABSENT", at(11, 4))]
    )
    _plan(both, [w.bistand, w.vardcentral], saved_at=at(11, 10, 14), by=w.mas)
    plan = _plan(one_side, [w.bistand], saved_at=at(11, 12, 14), by=w.mas)
    # The individual came to the first meeting; in the second they approved the plan.
    Invitation.objects.create(
        meeting=both.meetings.get(),
        kind="INDIVIDUAL",
        email="person@example.se",
        channel="EMAIL",
        attendance="ATTENDED",
    )
    PlanApproval.objects.create(
        plan=plan, by_individual=True, approved_by=w.mas, approved_at=at(11, 12, 15)
    )
    third = sip_meeting(
        w.bistand, held_at=at(11, 14), invited=[(w.vardcentral, "ATTENDED", at(11, 4))]
    )
    # Follow-ups due in November: one met on time, one met late, one breached.
    deadline_for(
        both, w.bistand, kind="SIP_FOLLOW_UP", due_at=at(11, 5), status="MET", met_at=at(11, 4)
    )
    deadline_for(
        one_side, w.bistand, kind="SIP_FOLLOW_UP", due_at=at(11, 6), status="MET", met_at=at(11, 8)
    )
    deadline_for(third, w.bistand, kind="SIP_FOLLOW_UP", due_at=at(11, 7))

    with time_machine.travel(NOW, tick=False):
        page = login(w.mas).get(reverse("oversight:dashboard")).content.decode()
    table = page.split('data-testid="sip-quality"')[1].split("</table>")[0]
    rows = table.split("<tbody>")[1].split("<tr>")
    both_row = next(r for r in rows if "både kommunen och regionen" in r)
    took_part_row = next(r for r in rows if "den enskilde deltog" in r)
    on_time_row = next(r for r in rows if "Uppföljningar i tid" in r)
    assert "50,0 % (1/2)" in both_row  # two SIPs with a plan in the period, one with both
    assert "66,7 % (2/3)" in took_part_row  # three meetings held, the individual in two
    assert "33,3 % (1/3)" in on_time_row
