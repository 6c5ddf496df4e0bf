"""The MAS dashboard: the scope (kommun, area, organisation, months), its tables and
the cases behind every figure. Every query here is limited by ``Scope``; the view
builds a scope only from the MAS's own kommuner."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
)
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process

from coordination import access, clock
from coordination.models import Area, Organisation, ProcessParty
from coordination.selectors import kommun_organisations
from workflows.deviations.models import Deviation
from workflows.discharge.models import DischargeProcess, DischargeUnit
from workflows.escalation import kind_label
from workflows.models import Deadline
from workflows.sip.models import (
    Invitation,
    Meeting,
    PlanApproval,
    PlanIntervention,
    PlanVersion,
    SipProcess,
)

from . import charts
from . import deviation_indicators as indicators
from .models import CaseKommun, DeadlineFigure, DischargeFigure, InvitationFigure

OPEN_STATUSES = [
    Deviation.Status.DRAFT,
    Deviation.Status.REPORTED,
    Deviation.Status.REOPENED,
    Deviation.Status.ANSWERED,
]
AWAITING = [Deviation.Status.REPORTED, Deviation.Status.REOPENED]
MONTH_NAMES = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def month_label(month: dt.date) -> str:
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def _parse_month(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return None


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


@dataclass
class Scope:
    kommun: Area
    area: Area | None
    organisation: Organisation | None
    first_month: dt.date
    last_month: dt.date
    today: dt.date
    #: Count from the source rows even where kept figures exist (to check them).
    live: bool = False
    _figures: dict | None = field(default=None, repr=False)
    computed_at: dt.datetime | None = field(default=None, repr=False)
    _cases_url: str | None = field(default=None, repr=False)
    _deviation_orgs: tuple | None = field(default=None, repr=False)
    _names: dict | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        *,
        kommun,
        area=None,
        organisation=None,
        month_from="",
        month_to="",
        today,
        live=False,
    ):
        """Default period: the last twelve months, the current one included."""
        last = _parse_month(month_to) or today.replace(day=1)
        first = _parse_month(month_from)
        if first is None:
            first = last
            for _i in range(11):
                first = (first - dt.timedelta(days=1)).replace(day=1)
        return cls(kommun, area, organisation, first, last, today, live)

    # -- period

    @property
    def start(self) -> dt.datetime:
        return clock.start_of_local_day(self.first_month)

    @property
    def end(self) -> dt.datetime:
        return clock.start_of_local_day(_next_month(self.last_month))

    @property
    def months(self) -> list[dt.date]:
        return indicators.months_between(self.first_month, self.last_month)

    def params(self) -> dict:
        params = {
            "kommun": self.kommun.pk,
            "month_from": self.first_month.strftime("%Y-%m"),
            "month_to": self.last_month.strftime("%Y-%m"),
        }
        if self.area is not None:
            params["area"] = self.area.pk
        if self.organisation is not None:
            params["organisation"] = self.organisation.pk
        return params

    @property
    def query(self) -> str:
        return urlencode(self.params())

    def link(self, figure: str, **extra) -> str:
        """The cases behind a figure: the scope's own parameters (encoded once per
        request; a page has a few hundred links), then the figure's."""
        if self._cases_url is None:
            self._cases_url = reverse("oversight:dashboard_cases") + "?" + self.query + "&"
        own = {"figure": figure, **{k: v for k, v in extra.items() if v}}
        return self._cases_url + urlencode(own)

    # -- rows in scope

    def organisations(self):
        if self.organisation is not None:
            return Organisation.objects.filter(pk=self.organisation.pk) & kommun_organisations(
                kommun=self.kommun
            )
        if self.area is not None:
            return Organisation.objects.filter(area=self.area)
        return kommun_organisations(kommun=self.kommun)

    def kommun_side(self):
        """What the MAS oversees (``coordination.access``): the kommun's organisations
        whose effective huvudman is the kommun, not every unit that lies in it."""
        return kommun_organisations(kommun=self.kommun).filter(access.KOMMUN_SIDE)

    def case_organisations(self):
        """Whose cases the case figures count: the chosen organisation, else the
        kommun-side organisations of the area or kommun."""
        if self.organisation is not None:
            return self.organisations()
        return self.organisations().filter(access.KOMMUN_SIDE)

    @property
    def kept_figures(self) -> bool:
        """Whether this scope reads the figure tables kept current on change
        (``oversight.dashboard_sql``): the kommun's default view, on PostgreSQL."""
        return (
            not self.live
            and self.area is None
            and self.organisation is None
            and connection.vendor == "postgresql"
        )

    def cases(self):
        """The cases with a party in scope that the MAS oversees: a party on the
        kommun's side too (``coordination.ProcessParty``, the one access rule's table).
        A subquery: every query that counts cases joins it (a semi-join planned by
        PostgreSQL) instead of carrying tens of thousands of ids as a parameter. The
        kommun's default view reads the same set kept per kommun (``CaseKommun``)."""
        if self.kept_figures:
            return CaseKommun.objects.filter(kommun=self.kommun).values("process_id")
        parties = ProcessParty.objects.filter(
            organisation__in=self.case_organisations().values("pk")
        )
        if self.organisation is not None or self.area is not None:
            # The kommun's default scope counts the kommun side's own cases (its
            # case organisations are the kommun side): nothing more to check.
            overseen = ProcessParty.objects.filter(
                organisation__in=self.kommun_side().values("pk")
            ).values("process_id")
            parties = parties.filter(process_id__in=overseen)
        return (
            parties.exclude(process_id__in=withdrawn_process_ids()).order_by().values("process_id")
        )

    def in_scope(self, field: str = "process_id") -> Q:
        return Q(**{f"{field}__in": self.cases()})

    def deviations(self):
        """As ``deviations_visible_to`` for a MAS: drafts only on the reporting side.
        The organisations (a few dozen) are read once per request and given as ids, so
        that PostgreSQL can find a kommun's deviations through the organisation indexes
        instead of testing every deviation."""
        sent = ~Q(status__in=["DRAFT", "DISMISSED"])
        if self._deviation_orgs is None and self.area is None and self.organisation is None:
            # The kommun's organisations are the scope's: one read, the side marked.
            found = kommun_organisations(kommun=self.kommun).annotate(
                side=ExpressionWrapper(access.KOMMUN_SIDE, output_field=BooleanField())
            )
            found = list(found.values_list("pk", "side"))
            self._deviation_orgs = ([pk for pk, _s in found], [pk for pk, s in found if s])
        if self._deviation_orgs is None:
            self._deviation_orgs = (
                list(self.organisations().values_list("pk", flat=True)),
                list(self.kommun_side().values_list("pk", flat=True)),
            )
        orgs, side = self._deviation_orgs
        return Deviation.objects.filter(
            Q(reporting_organisation__in=orgs) | (Q(receiving_organisation__in=orgs) & sent)
        ).filter(Q(reporting_organisation__in=side) | (Q(receiving_organisation__in=side) & sent))

    def deadlines(self):
        return Deadline.objects.filter(self.in_scope())

    def deadlines_in_period(self):
        return self.deadlines().filter(due_at__gte=self.start, due_at__lt=self.end)

    @property
    def key(self) -> str:
        return ":".join(
            str(part or "")
            for part in (
                self.kommun.pk,
                self.area.pk if self.area else "",
                self.organisation.pk if self.organisation else "",
                self.first_month.isoformat(),
                self.last_month.isoformat(),
            )
        )

    def case_figures(self) -> dict:
        """The grouped case counts (deadlines, invitations, discharges) of this scope,
        counted when read so that they are current, and kept for the rest of the
        request."""
        if self._figures is None:
            self.computed_at = timezone.now()
            self._figures = decode(compute(self))
        return self._figures

    def organisation_names(self) -> dict[int, str]:
        """The names of the organisations in the breach and participation tables, read
        once for both."""
        if self._names is None:
            ids = {org for _kind, org in self.figure("breaches")} | set(
                self.figure("participation")
            )
            self._names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
        return self._names

    def figure(self, name: str):
        """One of the case figures: admission, kallelse, unreachable (month → Ratio),
        discharges (month → Spread), breaches ((kind, organisation) → count),
        participation (organisation → Ratio)."""
        return self.case_figures()[name]

    def discharges(self):
        return DischargeProcess.objects.filter(
            self.in_scope("pk"),
            discharged_at__gte=self.start,
            discharged_at__lt=self.end,
            ready_for_discharge_at__isnull=False,
        )

    def invitations(self):
        return Invitation.objects.filter(
            self.in_scope("meeting__sip_id"), kind="ORGANISATION", organisation__isnull=False
        )


def withdrawn_process_ids():
    """Cases withdrawn as registered in error (makulering): they count in no figure."""
    discharges = DischargeProcess.objects.filter(withdrawn_at__isnull=False).order_by().values("pk")
    sips = SipProcess.objects.filter(withdrawn_at__isnull=False).order_by().values("pk")
    return discharges.union(sips)


# --- The case figures ---------------------------------------------------------------------


def compute(scope: Scope) -> dict:
    """The case figures of a scope, aggregated and JSON-ready (months as ISO dates):
    a few hundred numbers, not the grouped rows behind them; ``decode`` reads them."""
    if scope.kept_figures:
        return _kept_case_figures(scope)
    deadlines = indicators.deadline_rows(scope.deadlines_in_period(), now=timezone.now())
    invitations = indicators.invitation_rows(scope.invitations(), start=scope.start, end=scope.end)
    return {
        "admission": _ratios_by_month(
            indicators.timeliness(deadlines, kind="INSKRIVNINGSMEDDELANDE")
        ),
        "kallelse": _ratios_by_month(indicators.timeliness(deadlines, kind="SIP_KALLELSE")),
        "breaches": [[k, org, n] for (k, org), n in indicators.breaches(deadlines).items()],
        "unreachable": _ratios_by_month(indicators.unreachable(invitations)),
        "participation": [
            [org, r.part, r.whole]
            for org, r in indicators.participation_from_rows(invitations).items()
        ],
        "discharges": _spreads(scope.discharges()),
    }


def _ratios_by_month(ratios):
    return [[m.isoformat(), r.part, r.whole] for m, r in sorted(ratios.items())]


def _spreads(discharges):
    return [
        [month.isoformat(), spread.count, spread.median, spread.p90]
        for month, spread in indicators.discharge_spread_in_db(discharges).items()
    ]


# The kommun's default view: the same figures from the rows kept per kommun
# (``oversight.dashboard_sql``), each table grouped once by month and once by organisation
# (GROUPING SETS), so that a few dozen rows come back instead of a row per kind,
# organisation and month. The rules are ``deviation_indicators``' (``deadline_rows``,
# ``timeliness``, ``breaches``, ``invitation_rows``, ``unreachable``,
# ``participation_from_rows``); a test holds both equal.
_KEPT_DEADLINES = f"""
    SELECT kind, responsible_organisation_id,
           (date_trunc('month', due_at AT TIME ZONE %(zone)s))::date,
           GROUPING(responsible_organisation_id) = 1,
           count(*) FILTER (WHERE status <> 'OPEN' OR due_at < %(now)s),
           count(*) FILTER (WHERE status = 'MET' AND met_at <= due_at),
           count(*) FILTER (WHERE status = 'BREACHED' OR breached_at IS NOT NULL)
    FROM {DeadlineFigure._meta.db_table}
    WHERE kommun_id = %(kommun)s AND due_at >= %(start)s AND due_at < %(end)s
      AND status <> 'CANCELLED'
    GROUP BY GROUPING SETS (
        (kind, (date_trunc('month', due_at AT TIME ZONE %(zone)s))::date),
        (kind, responsible_organisation_id))
"""  # noqa: S608 (table name from the model; every value is a parameter)

_KEPT_INVITATIONS = f"""
    WITH i AS (
        SELECT i.organisation_id, o.reachability <> 'YES' AS unreachable,
               CASE WHEN i.sent_at >= %(start)s AND i.sent_at < %(end)s
                    THEN (date_trunc('month', i.sent_at AT TIME ZONE %(zone)s))::date END
                   AS sent_month,
               coalesce(i.held_at >= %(start)s AND i.held_at < %(end)s, FALSE) AS held,
               i.attendance = ANY(%(attended)s) AS attended
        FROM {InvitationFigure._meta.db_table} i
        JOIN {Organisation._meta.db_table} o ON o.id = i.organisation_id
        WHERE i.kommun_id = %(kommun)s
          AND ((i.sent_at >= %(start)s AND i.sent_at < %(end)s)
               OR (i.held_at >= %(start)s AND i.held_at < %(end)s))
    )
    SELECT organisation_id, sent_month, GROUPING(organisation_id) = 1,
           count(*) FILTER (WHERE sent_month IS NOT NULL),
           count(*) FILTER (WHERE sent_month IS NOT NULL AND unreachable),
           count(*) FILTER (WHERE held),
           count(*) FILTER (WHERE held AND attended)
    FROM i
    GROUP BY GROUPING SETS ((sent_month), (organisation_id))
"""  # noqa: S608 (table names from the models; every value is a parameter)


def _kept_case_figures(scope: Scope) -> dict:
    params = {
        "zone": clock.STOCKHOLM.key,
        "now": timezone.now(),
        "kommun": scope.kommun.pk,
        "start": scope.start,
        "end": scope.end,
        "attended": list(indicators.ATTENDED),
    }
    timeliness = {"INSKRIVNINGSMEDDELANDE": [], "SIP_KALLELSE": []}
    breaches, unreachable, participation = [], [], []
    with connection.cursor() as cursor:
        cursor.execute(_KEPT_DEADLINES, params)
        for kind, org, month, by_month, whole, part, breached in cursor.fetchall():
            if by_month:
                if kind in timeliness and whole:
                    timeliness[kind].append([month.isoformat(), part, whole])
            elif breached:
                breaches.append([kind, org, breached])
        cursor.execute(_KEPT_INVITATIONS, params)
        for org, month, by_month, sent, unreachable_n, invited, attended in cursor.fetchall():
            if by_month:
                if month is not None:
                    unreachable.append([month.isoformat(), unreachable_n, sent])
            elif invited:
                participation.append([org, attended, invited])
    discharges = DischargeFigure.objects.filter(
        kommun=scope.kommun, discharged_at__gte=scope.start, discharged_at__lt=scope.end
    )
    return {
        "admission": sorted(timeliness["INSKRIVNINGSMEDDELANDE"]),
        "kallelse": sorted(timeliness["SIP_KALLELSE"]),
        "breaches": breaches,
        "unreachable": sorted(unreachable),
        "participation": participation,
        "discharges": _spreads(discharges),
    }


def decode(data: dict) -> dict:
    day = dt.date.fromisoformat
    Ratio, Spread = indicators.Ratio, indicators.Spread
    result = {
        name: {day(month): Ratio(part, whole) for month, part, whole in data[name]}
        for name in ("admission", "kallelse", "unreachable")
    }
    result["breaches"] = {(kind, org): n for kind, org, n in data["breaches"]}
    result["participation"] = {
        org: Ratio(part, whole) for org, part, whole in data["participation"]
    }
    result["discharges"] = {
        day(month): Spread(count, median, p90) for month, count, median, p90 in data["discharges"]
    }
    return result


# --- Tables -------------------------------------------------------------------------------


def open_deviations(scope: Scope) -> list[dict]:
    """Open deviations (whatever the period: they are work still to do) by category
    and status."""
    counts = defaultdict(dict)
    for row in (
        scope.deviations()
        .filter(status__in=OPEN_STATUSES)
        .values("category", "status")
        .annotate(n=Count("pk"))
    ):
        counts[row["category"]][row["status"]] = row["n"]
    labels = dict(Deviation.Category.choices)
    rows = []
    for category in sorted(counts, key=lambda c: str(labels.get(c, c))):
        cells = [
            (
                counts[category].get(status, 0),
                scope.link("deviations", status=status, category=category),
            )
            for status in OPEN_STATUSES
        ]
        rows.append(
            {
                "label": labels.get(category, category),
                "cells": cells,
                "total": (
                    sum(n for n, _l in cells),
                    scope.link("deviations", category=category, open=1),
                ),
            }
        )
    return rows


def overdue_answers(scope: Scope) -> list[dict]:
    """Deviations whose answer is overdue, per receiving organisation."""
    rows = (
        scope.deviations()
        .filter(status__in=AWAITING, answer_due_date__lt=scope.today)
        .values("receiving_organisation", "receiving_organisation__name")
        .annotate(n=Count("pk"), oldest=Min("answer_due_date"))
        .order_by("-n", "receiving_organisation__name")
    )
    return [
        {
            "label": row["receiving_organisation__name"],
            "count": row["n"],
            "oldest": row["oldest"],
            "link": scope.link("deviations", overdue=1, receiver=row["receiving_organisation"]),
        }
        for row in rows
    ]


def breached_deadlines(scope: Scope) -> list[dict]:
    """Breached deadlines due in the period, by kind and responsible organisation."""
    counts = scope.figure("breaches")
    names = scope.organisation_names()
    rows = [
        {
            "kind": kind_label(kind),
            "label": names.get(org, ""),
            "count": n,
            "link": scope.link("deadlines", kind=kind, org=org, breached=1),
        }
        for (kind, org), n in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["kind"], r["label"]))


def monthly(scope: Scope) -> list[dict]:
    admission = scope.figure("admission")
    kallelse = scope.figure("kallelse")
    days = scope.figure("discharges")
    unreachable = scope.figure("unreachable")
    empty_ratio, empty_spread = indicators.Ratio(0, 0), indicators.Spread(0, None, None)
    rows = []
    for month in scope.months:
        key = month.strftime("%Y-%m")
        rows.append(
            {
                "month": month,
                "label": month_label(month),
                "admission": admission.get(month, empty_ratio),
                "admission_link": scope.link("deadlines", kind="INSKRIVNINGSMEDDELANDE", month=key),
                "kallelse": kallelse.get(month, empty_ratio),
                "kallelse_link": scope.link("deadlines", kind="SIP_KALLELSE", month=key),
                "days": days.get(month, empty_spread),
                "days_link": scope.link("discharges", month=key),
                "unreachable": unreachable.get(month, empty_ratio),
                "unreachable_link": scope.link("unreachable", month=key),
            }
        )
    return rows


def reroutes(scope: Scope) -> dict:
    """Admission notices a kommun answered with "not our resident" in the period:
    forwarded to the right kommun's unit, or with the right kommun unknown."""
    period = {"ack_at__gte": scope.start, "ack_at__lt": scope.end}
    return DischargeUnit.objects.filter(
        scope.in_scope(), ack_state=DischargeUnit.AckState.REJECTED_NOT_RESIDENT, **period
    ).aggregate(
        forwarded=Count("pk", filter=Q(superseded_at__isnull=False)),
        unknown=Count("pk", filter=Q(superseded_at__isnull=True)),
    )


def sip_quality(scope: Scope) -> dict:
    """What the SIPs in scope contain, not only that they happened (SoL 2 kap. 7 §,
    HSL 16 kap. 4 §): of the SIPs with a plan version saved in the period, those whose
    plan has both principals' interventions; of the SIPs with a meeting held in the
    period, those where the individual took part (attended, or approved the plan); of
    the follow-up deadlines due in the period, those met on time. Three grouped counts."""
    sips = SipProcess.objects.filter(scope.in_scope("pk"))
    period = {"created_at__gte": scope.start, "created_at__lt": scope.end}
    kommun_side = Organisation.objects.filter(access.KOMMUN_SIDE).values("pk")
    region_side = Organisation.objects.filter(access.REGION_SIDE).values("pk")
    interventions = PlanIntervention.objects.filter(plan=OuterRef("pk"))
    both_plan = PlanVersion.objects.filter(sip=OuterRef("pk"), **period).filter(
        Exists(interventions.filter(organisation__in=kommun_side)),
        Exists(interventions.filter(organisation__in=region_side)),
    )
    planned = sips.filter(
        pk__in=PlanVersion.objects.filter(**period).order_by().values("sip_id")
    ).aggregate(whole=Count("pk"), part=Count("pk", filter=Exists(both_plan)))
    held_in_period = {"held_at__gte": scope.start, "held_at__lt": scope.end}
    # The SIPs where the individual took part, as sets (hashed by PostgreSQL), not a
    # check per SIP.
    took_part = Q(
        sip_id__in=Invitation.objects.filter(
            meeting__held_at__gte=scope.start,
            meeting__held_at__lt=scope.end,
            kind=Invitation.Kind.INDIVIDUAL,
            attendance__in=indicators.ATTENDED,
        )
        .order_by()
        .values("meeting__sip_id")
    ) | Q(
        sip_id__in=PlanApproval.objects.filter(
            by_individual=True, approved_at__gte=scope.start, approved_at__lt=scope.end
        )
        .order_by()
        .values("plan__sip_id")
    )
    # Meetings belong to SIPs only: the SIPs met are the distinct SIPs of the meetings
    # held in the period, read from the cases in scope through (sip, held_at).
    met = Meeting.objects.filter(scope.in_scope("sip_id"), **held_in_period).aggregate(
        whole=Count("sip_id", distinct=True),
        part=Count("sip_id", distinct=True, filter=took_part),
    )
    if scope.kept_figures:
        follow_ups = DeadlineFigure.objects.filter(kommun=scope.kommun)
    else:
        follow_ups = Deadline.objects.filter(scope.in_scope())
    follow_ups = (
        follow_ups.filter(
            kind="SIP_FOLLOW_UP",
            due_at__gte=scope.start,
            due_at__lt=scope.end,
            due_at__lte=timezone.now(),
        )
        .exclude(status=Deadline.Status.CANCELLED)
        .aggregate(
            whole=Count("pk"),
            part=Count("pk", filter=Q(status=Deadline.Status.MET, met_at__lte=F("due_at"))),
        )
    )
    return {
        "both_principals": indicators.Ratio(planned["part"], planned["whole"]),
        "individual_took_part": indicators.Ratio(met["part"], met["whole"]),
        "follow_ups_on_time": indicators.Ratio(follow_ups["part"], follow_ups["whole"]),
    }


def participation(scope: Scope) -> list[dict]:
    """SIP participation per invited organisation, meetings held in the period."""
    ratios = scope.figure("participation")
    names = scope.organisation_names()
    result = [
        {
            "label": names.get(org, ""),
            "ratio": ratio,
            "link": scope.link("participation", org=org),
        }
        for org, ratio in ratios.items()
    ]
    return sorted(result, key=lambda r: (r["ratio"].percent or 0, r["label"]))


def _fmt(value) -> str:
    if value is None:
        return ""
    return f"{value:g}".replace(".", ",")


def _export_open(scope):
    header = (
        [_("Category")] + [str(Deviation.Status(s).label) for s in OPEN_STATUSES] + [_("Total")]
    )
    return header, [
        [str(r["label"])] + [n for n, _l in r["cells"]] + [r["total"][0]]
        for r in open_deviations(scope)
    ]


def _export_overdue(scope):
    return [_("Receiving organisation"), _("Overdue answers"), _("Oldest due date")], [
        [r["label"], r["count"], r["oldest"].isoformat()] for r in overdue_answers(scope)
    ]


def _export_breached(scope):
    return [_("Deadline"), _("Responsible organisation"), _("Breached")], [
        [r["kind"], r["label"], r["count"]] for r in breached_deadlines(scope)
    ]


def _export_monthly(scope):
    header = [
        _("Month"),
        _("Admission notices on time"),
        _("Admission notices"),
        _("Share on time (%)"),
        _("SIP invitations on time"),
        _("SIP invitations"),
        _("Share on time (%)"),
        _("Discharges"),
        _("Median days"),
        _("90th percentile days"),
        _("Invitations to unreachable units"),
        _("Invitations to units"),
    ]
    rows = [
        [
            r["month"].strftime("%Y-%m"),
            r["admission"].part,
            r["admission"].whole,
            _fmt(r["admission"].percent),
            r["kallelse"].part,
            r["kallelse"].whole,
            _fmt(r["kallelse"].percent),
            r["days"].count,
            _fmt(r["days"].median),
            _fmt(r["days"].p90),
            r["unreachable"].part,
            r["unreachable"].whole,
        ]
        for r in monthly(scope)
    ]
    return header, rows


def _export_participation(scope):
    return [_("Organisation"), _("Invited"), _("Attended"), _("Participation (%)")], [
        [r["label"], r["ratio"].whole, r["ratio"].part, _fmt(r["ratio"].percent)]
        for r in participation(scope)
    ]


TABLES = {
    "oppna": _export_open,
    "forsenade-svar": _export_overdue,
    "passerade-tidsfrister": _export_breached,
    "manad": _export_monthly,
    "sip-deltagande": _export_participation,
}


def build(scope: Scope) -> dict:
    months = monthly(scope)
    labels = [month_label(r["month"]) for r in months]
    return {
        "open_statuses": [Deviation.Status(s).label for s in OPEN_STATUSES],
        "open_rows": open_deviations(scope),
        "overdue_rows": overdue_answers(scope),
        "breached_rows": breached_deadlines(scope),
        "monthly_rows": months,
        "participation_rows": participation(scope),
        "reroutes": reroutes(scope),
        "sip_quality": sip_quality(scope),
        "timeliness_chart": charts.line_chart(
            title=_("Share on time per month"),
            labels=labels,
            series=[
                (_("Admission notices within 24 h"), [r["admission"].percent for r in months]),
                (_("SIP invitations within 3 days"), [r["kallelse"].percent for r in months]),
            ],
            y_max=100,
            unit=" %",
        ),
        "days_chart": charts.line_chart(
            title=_("Days from ready for discharge to discharge"),
            labels=labels,
            series=[
                (_("Median"), [r["days"].median for r in months]),
                (_("90th percentile"), [r["days"].p90 for r in months]),
            ],
        ),
    }


# --- The cases behind a figure ---------------------------------------------------------

FIGURES = {"deviations", "deadlines", "discharges", "participation", "unreachable"}


def figure_from_request(params) -> dict | None:
    figure = params.get("figure")
    if figure not in FIGURES:
        return None
    result = {"figure": figure}
    for key in ("status", "category", "kind", "month"):
        result[key] = params.get(key, "")
    for key in ("receiver", "org"):
        try:
            result[key] = int(params.get(key) or 0) or None
        except ValueError:
            return None
    for key in ("overdue", "breached", "open"):
        result[key] = params.get(key) == "1"
    if result["month"] and _parse_month(result["month"]) is None:
        return None
    return result


def case_links(process_ids) -> dict[int, str]:
    """Case page paths for many processes in one query (the page checks access again)."""
    links = {}
    for pk, flow_class in Process.objects.filter(pk__in=set(process_ids)).values_list(
        "pk", "flow_class"
    ):
        process_class = getattr(flow_class, "process_class", None)
        try:
            links[pk] = process_class(pk=pk).get_absolute_url() if process_class else ""
        except NoReverseMatch:  # a flow without a case page
            links[pk] = ""
    return links


def _month_bounds(month: str):
    first = _parse_month(month)
    return clock.start_of_local_day(first), clock.start_of_local_day(_next_month(first))


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def figure_rows(scope: Scope, figure: dict) -> tuple[str, list[str], list[list]]:
    """Title, header and rows (the last cell of a row is its link) behind a figure."""
    kind = figure["figure"]
    if kind == "deviations":
        qs = scope.deviations().select_related("reporting_organisation", "receiving_organisation")
        if figure["status"]:
            qs = qs.filter(status=figure["status"])
        elif figure["open"]:
            qs = qs.filter(status__in=OPEN_STATUSES)
        if figure["category"]:
            qs = qs.filter(category=figure["category"])
        if figure["overdue"]:
            qs = qs.filter(status__in=AWAITING, answer_due_date__lt=scope.today)
        if figure["receiver"]:
            qs = qs.filter(receiving_organisation_id=figure["receiver"])
        header = [
            _("Deviation"),
            _("Status"),
            _("Category"),
            _("Case"),
            _("Reported by"),
            _("Receiving organisation"),
            _("Answer due"),
        ]
        rows = [
            [
                f"#{d.pk}",
                d.get_status_display(),
                d.get_category_display(),
                d.process_id or "",
                d.reporting_organisation.name,
                d.receiving_organisation.name,
                d.answer_due_date.isoformat() if d.answer_due_date else "",
                d.get_absolute_url(),
            ]
            for d in qs.order_by("-occurred_at", "-pk")[:1000]
        ]
        return _("Deviations behind the figure"), header, rows
    if kind == "deadlines":
        qs = scope.deadlines_in_period().select_related("responsible_organisation")
        if figure["kind"]:
            qs = qs.filter(kind=figure["kind"])
        if figure["org"]:
            qs = qs.filter(responsible_organisation_id=figure["org"])
        if figure["breached"]:
            qs = qs.filter(Q(status="BREACHED") | Q(breached_at__isnull=False))
        if figure["month"]:
            start, end = _month_bounds(figure["month"])
            qs = qs.filter(due_at__gte=start, due_at__lt=end)
        header = [
            _("Case"),
            _("Deadline"),
            _("Responsible organisation"),
            _("Due"),
            _("Met"),
            _("Status"),
        ]
        found = list(qs.order_by("due_at", "pk")[:1000])
        links = case_links(d.process_id for d in found)
        rows = [
            [
                d.process_id,
                d.kind_label,
                d.responsible_organisation.name,
                _local(d.due_at),
                _local(d.met_at),
                d.get_status_display(),
                links.get(d.process_id, ""),
            ]
            for d in found
        ]
        return _("Deadlines behind the figure"), header, rows
    if kind == "discharges":
        qs = scope.discharges()
        if figure["month"]:
            start, end = _month_bounds(figure["month"])
            qs = qs.filter(discharged_at__gte=start, discharged_at__lt=end)
        header = [_("Case"), _("Ready for discharge"), _("Discharged"), _("Days")]
        rows = [
            [
                p.pk,
                _local(p.ready_for_discharge_at),
                _local(p.discharged_at),
                indicators.days_ready_to_discharge(p.ready_for_discharge_at, p.discharged_at),
                p.get_absolute_url(),
            ]
            for p in qs.order_by("discharged_at", "pk")[:1000]
        ]
        return _("Discharges behind the figure"), header, rows
    qs = scope.invitations().select_related("organisation", "meeting")
    if kind == "participation":
        qs = qs.filter(meeting__held_at__gte=scope.start, meeting__held_at__lt=scope.end)
        title = _("SIP invitations behind the figure")
    else:  # unreachable
        qs = qs.filter(sent_at__gte=scope.start, sent_at__lt=scope.end).exclude(
            organisation__reachability="YES"
        )
        title = _("Invitations to units the IT support may not reach")
    if figure["org"]:
        qs = qs.filter(organisation_id=figure["org"])
    if figure["month"]:
        start, end = _month_bounds(figure["month"])
        qs = qs.filter(sent_at__gte=start, sent_at__lt=end)
    header = [
        _("Case"),
        _("Organisation"),
        _("Reachable"),
        _("Meeting"),
        _("Sent"),
        _("Attendance"),
    ]
    rows = [
        [
            i.meeting.sip_id,
            i.organisation.name,
            i.organisation.get_reachability_display(),
            _local(i.meeting.starts_at),
            _local(i.sent_at),
            i.get_attendance_display() if i.attendance else "",
            reverse("sips:sip_detail", args=[i.meeting.sip_id]),
        ]
        for i in qs.order_by("sent_at", "pk")[:1000]
    ]
    return title, header, rows
