"""Indicator arithmetic: pure rules, and each query on hand-built rows."""

import datetime as dt

import pytest
from django.utils import timezone

from oversight import deviation_indicators as indicators
from oversight.dashboard import Scope
from workflows.models import Deadline

from .factories import case_with, deadline_for, discharge, sip_meeting

STHLM = dt.timezone(dt.timedelta(hours=1))  # CET (October–March)


def at(y, m, d, h=12, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=STHLM)


def test_share_is_none_without_a_denominator():
    assert indicators.share(0, 0) is None
    assert indicators.share(1, 3) == 33.3
    assert indicators.share(3, 3) == 100.0


def test_percentile_interpolates_like_percentile_cont():
    assert indicators.percentile([], 50) is None
    assert indicators.percentile([4], 90) == 4.0
    assert indicators.median([0, 1, 2, 10]) == 1.5
    assert indicators.median([3, 1, 2]) == 2.0
    # ten values 0..9: rank 0.9 * 9 = 8.1 → 8 + 0.1 * (9 - 8)
    assert indicators.percentile(list(range(10)), 90) == 8.1


def test_days_count_the_notice_day_as_day_zero_in_stockholm_time():
    # Ready 23:30 on 1 Dec and discharged 00:30 on 2 Dec, Stockholm time: one day.
    ready = dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC)
    assert indicators.days_ready_to_discharge(ready, ready + dt.timedelta(hours=2)) == 1
    assert indicators.days_ready_to_discharge(at(2026, 12, 1, 9), at(2026, 12, 1, 15)) == 0


def test_discharge_spread_groups_by_month_of_discharge():
    pairs = [
        (at(2026, 10, 28), at(2026, 11, 2)),  # 5 days, November
        (at(2026, 11, 3), at(2026, 11, 3)),  # 0 days
        (at(2026, 11, 4), at(2026, 11, 6)),  # 2 days
        (at(2026, 10, 1), at(2026, 10, 11)),  # 10 days, October
        (None, at(2026, 10, 11)),  # never utskrivningsklar: not counted
    ]
    result = indicators.discharge_spread(pairs)
    assert result[dt.date(2026, 11, 1)] == indicators.Spread(3, 2.0, 4.4)
    assert result[dt.date(2026, 10, 1)] == indicators.Spread(1, 10.0, 10.0)


def test_participation_counts_a_replacement_as_attended():
    rows = [(1, "ATTENDED"), (1, "ABSENT"), (1, "REPLACED"), (2, "ABSENT"), (2, "")]
    result = indicators.participation(rows)
    assert result[1] == indicators.Ratio(2, 3)
    assert result[2].percent == 0.0


def test_months_between_crosses_the_year():
    assert indicators.months_between(dt.date(2026, 11, 5), dt.date(2027, 1, 1)) == [
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 1),
    ]


@pytest.mark.django_db
def test_deadline_timeliness_per_month(w):
    process = case_with(w.bistand, w.ward)
    due = at(2026, 11, 10)
    deadline_for(process, w.ward, due_at=due, status="MET", met_at=due - dt.timedelta(hours=2))
    deadline_for(
        process,
        w.ward,
        due_at=due + dt.timedelta(days=1),
        status="MET",
        met_at=due + dt.timedelta(days=1, hours=1),
    )  # met late
    deadline_for(process, w.ward, due_at=due + dt.timedelta(days=2))  # breached
    deadline_for(process, w.ward, due_at=due + dt.timedelta(days=3), status="CANCELLED")
    deadline_for(process, w.ward, due_at=at(2026, 11, 30), status="OPEN")  # not yet due
    deadline_for(
        process, w.ward, due_at=at(2026, 10, 31, 23, 30), status="MET", met_at=at(2026, 10, 31, 22)
    )  # October in Stockholm time
    deadline_for(process, w.ward, kind="SIP_KALLELSE", due_at=due)  # another kind
    result = indicators.deadline_timeliness(
        Deadline.objects.all(), kind="INSKRIVNINGSMEDDELANDE", now=at(2026, 11, 20)
    )
    assert result == {
        dt.date(2026, 10, 1): indicators.Ratio(1, 1),
        dt.date(2026, 11, 1): indicators.Ratio(1, 3),
    }


@pytest.mark.django_db
def test_scope_indicators_only_count_cases_involving_the_kommun(w):
    today = dt.date(2026, 11, 23)
    # A Södermalm discharge (its kommun unit was notified) and a Huddinge one.
    discharge(
        w.h_ward,
        units=[("SOCIALTJANST", w.bistand)],
        ready_at=at(2026, 11, 2),
        discharged_at=at(2026, 11, 5),
    )
    discharge(
        w.h_ward,
        units=[("SOCIALTJANST", w.h_bistand)],
        ready_at=at(2026, 11, 2),
        discharged_at=at(2026, 11, 20),
    )
    sip_meeting(
        w.bistand,
        held_at=at(2026, 11, 10),
        invited=[
            (w.vardcentral, "ABSENT", at(2026, 11, 3)),
            (w.ward, "ATTENDED", at(2026, 11, 3)),
        ],
    )
    sip_meeting(
        w.h_bistand,
        held_at=at(2026, 11, 10),
        invited=[
            (w.h_ward, "ABSENT", at(2026, 11, 3)),
        ],
    )
    scope = Scope.build(kommun=w.stockholm, today=today)
    pairs = scope.discharges().values_list("ready_for_discharge_at", "discharged_at")
    assert indicators.discharge_spread(pairs)[dt.date(2026, 11, 1)] == indicators.Spread(
        1, 3.0, 3.0
    )
    ratios = scope.figure("participation")
    assert ratios == {w.vardcentral.pk: indicators.Ratio(0, 1), w.ward.pk: indicators.Ratio(1, 1)}
    # The vårdcentral's reachability is UNKNOWN: one of two invitations.
    assert scope.figure("unreachable") == {dt.date(2026, 11, 1): indicators.Ratio(1, 2)}
    huddinge = Scope.build(kommun=w.huddinge, today=today)
    # Both stays were at a Huddinge ward, but only one concerned a Huddinge kommun
    # unit: a MAS follows the kommun's patients, not every patient of the hospital.
    assert huddinge.discharges().get().discharged_at == at(2026, 11, 20)
    assert timezone.is_aware(scope.start) and scope.months[0] == dt.date(2025, 12, 1)


@pytest.mark.django_db
def test_database_percentiles_match_the_python_rule(w):
    # Days 0, 1, 2, 5, 10 in November (Stockholm time; one crosses midnight).
    for ready, discharged in [
        (at(2026, 11, 2, 8), at(2026, 11, 2, 18)),
        (at(2026, 11, 3, 23, 30), at(2026, 11, 4, 0, 30)),
        (at(2026, 11, 3), at(2026, 11, 5)),
        (at(2026, 11, 1), at(2026, 11, 6)),
        (at(2026, 10, 29), at(2026, 11, 8)),
        (at(2026, 10, 1), at(2026, 10, 4)),
    ]:
        discharge(
            w.ward, units=[("SOCIALTJANST", w.bistand)], ready_at=ready, discharged_at=discharged
        )
    discharge(w.ward, ready_at=at(2026, 11, 9))  # not yet discharged
    from workflows.discharge.models import DischargeProcess

    in_db = indicators.discharge_spread_in_db(DischargeProcess.objects.all())
    in_python = indicators.discharge_spread(
        DischargeProcess.objects.values_list("ready_for_discharge_at", "discharged_at")
    )
    assert in_db == in_python
    assert in_db[dt.date(2026, 11, 1)] == indicators.Spread(5, 2.0, 8.0)
    assert in_db[dt.date(2026, 10, 1)] == indicators.Spread(1, 3.0, 3.0)


def test_rows_give_timeliness_breaches_and_participation():
    nov, dec = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    rows = [
        {
            "kind": "SIP_KALLELSE",
            "responsible_organisation": 1,
            "month": nov,
            "whole": 3,
            "part": 2,
            "breached": 1,
        },
        {
            "kind": "SIP_KALLELSE",
            "responsible_organisation": 2,
            "month": nov,
            "whole": 1,
            "part": 0,
            "breached": 0,
        },
        {
            "kind": "SIP_KALLELSE",
            "responsible_organisation": 2,
            "month": dec,
            "whole": 0,
            "part": 0,
            "breached": 0,
        },
        {
            "kind": "INSKRIVNINGSMEDDELANDE",
            "responsible_organisation": 1,
            "month": dec,
            "whole": 2,
            "part": 2,
            "breached": 2,
        },
    ]
    assert indicators.timeliness(rows, kind="SIP_KALLELSE") == {nov: indicators.Ratio(2, 4)}
    assert indicators.breaches(rows) == {("SIP_KALLELSE", 1): 1, ("INSKRIVNINGSMEDDELANDE", 1): 2}
    invitations = [
        {
            "organisation": 7,
            "organisation__reachability": "NO",
            "sent_month": nov,
            "held_in_period": True,
            "attended": True,
            "n": 2,
        },
        {
            "organisation": 7,
            "organisation__reachability": "NO",
            "sent_month": None,
            "held_in_period": True,
            "attended": False,
            "n": 1,
        },
        {
            "organisation": 8,
            "organisation__reachability": "YES",
            "sent_month": nov,
            "held_in_period": False,
            "attended": False,
            "n": 4,
        },
    ]
    assert indicators.participation_from_rows(invitations) == {7: indicators.Ratio(2, 3)}
    assert indicators.unreachable(invitations) == {nov: indicators.Ratio(2, 6)}
