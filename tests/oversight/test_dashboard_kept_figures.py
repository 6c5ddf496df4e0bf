"""The MAS dashboard's figures kept on every change (``oversight.dashboard_sql``) equal a
full recount from the source rows, after a random mix of what happens to cases:
deadlines opened, met, breached, cancelled, moved and deleted; discharges registered,
made ready and discharged; SIP meetings held and invitations answered; cases withdrawn;
parties added and removed; an organisation moving kommun or changing huvudman; and
deviations. Times are picked at the day edges in Europe/Stockholm: midnight at the turn
of a month, and the days the clocks change (29 March and 25 October 2026)."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from coordination.models import Organisation, ProcessParty
from coordination.services import process_party_add
from oversight import dashboard
from oversight.models import (
    CaseKommun,
    DeadlineFigure,
    DischargeFigure,
    EpisodeFigure,
    InvitationFigure,
)
from tests.workflows.deviations.factories import (
    DeviationFactory,
    build_world,
    case_with,
    deadline_for,
    discharge,
    member,
    sip_meeting,
)
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.sip.models import Invitation, Meeting, SipProcess

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="kept by PostgreSQL triggers only"
    ),
]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)


def local(y, m, d, h=0, minute=0, second=0, fold=0):
    return dt.datetime(y, m, d, h, minute, second, tzinfo=STOCKHOLM, fold=fold)


# Instants either side of local midnight at month ends (CET and CEST), and around the
# clock changes (02:00 → 03:00 on 29 March; 03:00 → 02:00 on 25 October).
EDGES = [
    local(2026, 3, 31, 23, 59, 59),
    local(2026, 4, 1),
    local(2026, 3, 29, 1, 59, 59),
    local(2026, 3, 29, 3),
    local(2026, 10, 25, 2, 30),
    local(2026, 10, 25, 2, 30, fold=1),
    local(2026, 10, 31, 23, 59, 59),
    local(2026, 11, 1),
    local(2025, 11, 30, 23, 59, 59),
    local(2025, 12, 1),
    local(2026, 11, 23, 9, 59),  # open and due an instant before now
    local(2026, 11, 23, 10, 1),  # open, not yet due
]
PERIODS = [("", ""), ("2026-03", "2026-03"), ("2026-04", "2026-04"), ("2026-10", "2026-11")]


def at_edge(rng):
    return rng.choice(EDGES) + dt.timedelta(seconds=rng.choice([0, 0, 1, -1]))


def kept_rows():
    return {
        "cases": sorted(CaseKommun.objects.values_list("kommun_id", "process_id")),
        "deadlines": sorted(
            DeadlineFigure.objects.values_list(
                "kommun_id", "deadline_id", "process_id", "kind", "status", "due_at", "met_at"
            )
        ),
        "invitations": sorted(
            InvitationFigure.objects.values_list(
                "kommun_id", "invitation_id", "sent_at", "held_at", "attendance"
            )
        ),
        "discharges": sorted(
            DischargeFigure.objects.values_list(
                "kommun_id", "process_id", "ready_for_discharge_at", "discharged_at"
            )
        ),
        "episodes": sorted(
            EpisodeFigure.objects.values_list(
                "process_id", "paying_organisation_id", "discharged_at", "recorded_at"
            )
        ),
    }


def figures(scope):
    return (
        dashboard.decode(dashboard.compute(scope)),
        dashboard.sip_quality(scope),
        dashboard.reroutes(scope),
    )


def assert_kept_equal_recount(w, today):
    """Every figure of both kommuner's default views, for several periods; returns
    which figures had something to count (the data must give them something)."""
    counted = set()
    for kommun in (w.stockholm, w.huddinge):
        for month_from, month_to in PERIODS:
            args = {
                "kommun": kommun,
                "month_from": month_from,
                "month_to": month_to,
                "today": today,
            }
            kept = dashboard.Scope.build(**args)
            assert kept.kept_figures
            live = dashboard.Scope.build(**args, live=True)
            assert not live.kept_figures
            assert figures(kept) == figures(live), (kommun.name, month_from, month_to)
            counted |= {name for name, values in figures(kept)[0].items() if values}
    return counted


def random_operations(w, rng, steps):
    kommun_units = [w.bistand, w.sdf, w.h_bistand]
    region_units = [w.ward, w.vardcentral, w.h_ward]
    cases, discharges, sips = [], [], []
    for _step in range(steps):
        op = rng.choice(
            [
                "case",
                "deadline",
                "deadline",
                "meet",
                "breach",
                "cancel",
                "move",
                "delete",
                "discharge",
                "discharge",
                "ready",
                "sip",
                "sip",
                "attend",
                "held",
                "withdraw",
                "party",
                "unparty",
                "deviation",
            ]
        )
        open_deadlines = list(Deadline.objects.filter(status="OPEN").order_by("pk"))
        if op == "case" or not cases:
            cases.append(case_with(rng.choice(kommun_units), rng.choice(region_units)))
        elif op == "deadline":
            due = at_edge(rng)
            status = rng.choice(["OPEN", "OPEN", "MET", "BREACHED"])
            met = due + dt.timedelta(hours=rng.choice([-3, 5])) if status == "MET" else None
            deadline_for(
                rng.choice(cases + discharges + sips),
                rng.choice(region_units),
                kind=rng.choice(["INSKRIVNINGSMEDDELANDE", "SIP_KALLELSE", "SIP_FOLLOW_UP"]),
                due_at=due,
                status=status,
                met_at=met,
            )
        elif op == "meet" and open_deadlines:
            deadline = rng.choice(open_deadlines)
            deadline.status = "MET"
            deadline.met_at = deadline.due_at + dt.timedelta(seconds=rng.choice([-1, 0, 1]))
            deadline.save()
        elif op == "breach" and open_deadlines:
            deadline = rng.choice(open_deadlines)
            deadline.status, deadline.breached_at = "BREACHED", deadline.due_at
            deadline.save()
        elif op == "cancel" and open_deadlines:
            deadline = rng.choice(open_deadlines)
            deadline.status, deadline.cancelled_at = "CANCELLED", NOW
            deadline.save()
        elif op == "move" and open_deadlines:
            Deadline.objects.filter(pk=rng.choice(open_deadlines).pk).update(due_at=at_edge(rng))
        elif op == "delete" and open_deadlines:
            rng.choice(open_deadlines).delete()
        elif op == "discharge":
            ready = at_edge(rng) if rng.random() < 0.8 else None
            out = ready + dt.timedelta(days=rng.choice([0, 1, 3])) if ready else None
            process = discharge(
                rng.choice(region_units[:1] + region_units[2:]),
                units=[("SOCIALTJANST", rng.choice(kommun_units))],
                ready_at=ready,
                discharged_at=out if rng.random() < 0.7 else None,
                admitted_at=local(2025, 11, 1),
            )
            process_party_add(
                process=process,
                organisations=[process.ward] + list(process.units.all()),
                reason=ProcessParty.Reason.ADMISSION_NOTICE,
            )
            discharges.append(process)
        elif op == "ready" and discharges:
            process = DischargeProcess.objects.get(pk=rng.choice(discharges).pk)
            process.ready_for_discharge_at = at_edge(rng)
            process.discharged_at = process.ready_for_discharge_at + dt.timedelta(
                days=rng.choice([0, 2])
            )
            process.save()
        elif op == "sip":
            initiator = rng.choice(kommun_units)
            sip = sip_meeting(
                initiator,
                held_at=at_edge(rng),
                invited=[
                    (org, rng.choice(["ATTENDED", "ABSENT", ""]), at_edge(rng))
                    for org in rng.sample(region_units, 2)
                ],
            )
            process_party_add(
                process=sip,
                organisations=[initiator],
                reason=ProcessParty.Reason.SIP_INITIATOR,
            )
            sips.append(sip)
        elif op == "attend" and sips:
            invitation = Invitation.objects.filter(meeting__sip__in=sips).order_by("?").first()
            invitation.attendance = rng.choice(["ATTENDED", "ATTENDED_LATE", "ABSENT"])
            invitation.sent_at = at_edge(rng)
            invitation.save()
        elif op == "held" and sips:
            meeting = Meeting.objects.filter(sip=rng.choice(sips)).first()
            meeting.held_at = rng.choice([None, at_edge(rng), at_edge(rng)])
            meeting.save()
        elif op == "withdraw" and (discharges or sips):
            process = rng.choice(discharges + sips)
            model = DischargeProcess if process in discharges else SipProcess
            model.objects.filter(pk=process.pk).update(withdrawn_at=rng.choice([NOW, None, NOW]))
        elif op == "party":
            process_party_add(
                process=rng.choice(cases + discharges + sips),
                organisations=[rng.choice(kommun_units + region_units)],
                reason=ProcessParty.Reason.DEVIATION,
            )
        elif op == "unparty":
            party = ProcessParty.objects.order_by("?").first()
            if party is not None:
                party.delete()
        elif op == "deviation":
            DeviationFactory(
                status=rng.choice(["DRAFT", "REPORTED", "ANSWERED", "REOPENED", "CLOSED"]),
                reporting_organisation=rng.choice(kommun_units),
                receiving_organisation=rng.choice(region_units),
                answer_due_date=(NOW - dt.timedelta(days=rng.choice([-3, 3]))).date(),
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_figures_equal_a_full_recount_after_random_operations(seed):
    rng = random.Random(seed)
    with time_machine.travel(NOW, tick=False):
        w = build_world()
        random_operations(w, rng, 60)
        assert CaseKommun.objects.exists() and DeadlineFigure.objects.exists()
        counted = assert_kept_equal_recount(w, NOW.date())
        assert {"discharges", "unreachable", "participation"} <= counted
        assert counted & {"admission", "kallelse", "breaches"}

        # An organisation changes kommun, then huvudman: its cases follow.
        Organisation.objects.filter(pk=w.bistand.pk).update(area=w.huddinge)
        assert_kept_equal_recount(w, NOW.date())
        Organisation.objects.filter(pk=w.h_bistand.pk).update(huvudman="REGION")
        random_operations(w, rng, 30)
        assert_kept_equal_recount(w, NOW.date())

        # What the triggers kept is what a rebuild from scratch finds.
        kept = kept_rows()
        call_command("rebuild_dashboard_figures", verbosity=0)
        assert kept_rows() == kept

    # Later, open deadlines fall due: counted as they pass, without any change.
    with time_machine.travel(NOW + dt.timedelta(days=40), tick=False):
        assert_kept_equal_recount(w, (NOW + dt.timedelta(days=40)).date())


def test_the_page_counts_a_breach_and_a_withdrawal_at_once(client):
    """Through the page a MAS sees: a deadline breached a second before midnight at the
    end of March (CEST) counts in March; withdrawing the case takes it out."""
    with time_machine.travel(NOW, tick=False):
        w = build_world()
        mas = member(w.sdf, "MAS", username="mas.kept")
        process = case_with(w.bistand, w.ward)
        deadline = deadline_for(process, w.ward, due_at=local(2026, 3, 31, 23, 59, 59))
        deadline_for(process, w.ward, due_at=local(2026, 4, 1), status="MET", met_at=NOW)
        client.force_login(mas)
        url = reverse("oversight:dashboard")
        query = {"month_from": "2026-03", "month_to": "2026-04", "export": "manad"}
        rows = client.get(url, query).getvalue().decode("utf-8-sig").splitlines()
        assert rows[1].startswith("2026-03;0;1;0;")
        assert rows[2].startswith("2026-04;0;1;0;")  # met, but late
        Deadline.objects.filter(pk=deadline.pk).update(status="MET", met_at=deadline.due_at)
        rows = client.get(url, query).getvalue().decode("utf-8-sig").splitlines()
        assert rows[1].startswith("2026-03;1;1;100;")
        discharged = discharge(
            w.ward,
            units=[("SOCIALTJANST", w.bistand)],
            ready_at=local(2026, 3, 31, 23, 0),
            discharged_at=local(2026, 4, 1, 0, 30),
        )
        process_party_add(
            process=discharged,
            organisations=[w.bistand],
            reason=ProcessParty.Reason.ADMISSION_NOTICE,
        )
        rows = client.get(url, query).getvalue().decode("utf-8-sig").splitlines()
        assert rows[2].split(";")[7:10] == ["1", "1", "1"]  # one discharge, day 1
        DischargeProcess.objects.filter(pk=discharged.pk).update(withdrawn_at=NOW)
        rows = client.get(url, query).getvalue().decode("utf-8-sig").splitlines()
        assert rows[2].split(";")[7] == "0"
