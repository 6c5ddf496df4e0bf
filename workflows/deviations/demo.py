"""Demo deviations in every state, so that the demo MAS (``mas.sodermalm``) sees real
numbers. Driven through the services with the demo users, then moved back in time so
that the dashboard has months to show and some answers are overdue. Breached
deadlines of the other demo loaders get their automatic drafts too. Idempotent: each
demo deviation has its own cause key and is made once."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Process

from coordination.models import Organisation
from workflows.deviations.models import Deviation, DeviationEvent
from workflows.models import Deadline

from . import selectors, services

# (key, reporter user, reporting org, receiving org, category, step, days ago, steps)
# steps: the transitions after the draft, each (service name, username, text)
BISTAND = "Södermalm biståndsenhet äldre"
HSV = "Södermalm kommunal hälso- och sjukvård"
WARD = "Södersjukhuset avd 53 medicin"
VC = "Rosenlunds vårdcentral"

DEMO = [
    (
        "demo:1",
        BISTAND,
        WARD,
        "MEDICATION_LIST_MISSING",
        "UTSKRIVNING",
        "Läkemedelslistan saknades när patienten kom hem; hemsjukvården fick ringa avdelningen.",
        5,
        [("report", "handlaggare.sodermalm", "")],
    ),
    (
        "demo:2",
        BISTAND,
        WARD,
        "INSKRIVNINGSMEDDELANDE_LATE",
        "INSKRIVNING",
        "Inskrivningsmeddelandet kom tre dygn efter inskrivningen.",
        75,
        [("report", "handlaggare.sodermalm", "")],
    ),
    (
        "demo:3",
        BISTAND,
        VC,
        "SIP_PARTICIPANT_ABSENT",
        "SIP_MOTE",
        "Vårdcentralen var kallad till SIP-mötet men kom inte och meddelade inte förhinder.",
        40,
        [
            ("report", "handlaggare.sodermalm", ""),
            (
                "answer",
                "vardkontakt.rosenlund",
                "Kallelsen nådde inte fast vårdkontakt; funktionsbrevlådan bevakades inte.",
            ),
        ],
    ),
    (
        "demo:4",
        HSV,
        WARD,
        "AIDS_MISSING",
        "UTSKRIVNING",
        "Patienten skrevs ut utan rollator trots att behovet var känt.",
        120,
        [
            ("report", "mas.sodermalm", ""),
            ("answer", "avd53.sos", "Arbetsterapeuten var sjuk; ingen ersättare."),
            ("close", "mas.sodermalm", "Svaret godtas. Följs upp i nästa samverkansmöte."),
        ],
    ),
    (
        "demo:5",
        BISTAND,
        WARD,
        "INSKRIVNINGSMEDDELANDE_LATE",
        "INSKRIVNING",
        "Meddelandet kom sent.",
        20,
        [("dismiss", "handlaggare.sodermalm", "Patienten var inte folkbokförd i Södermalm.")],
    ),
    (
        "demo:6",
        BISTAND,
        VC,
        "FAST_VARDKONTAKT_MISSING",
        "FAST_VARDKONTAKT",
        "Ingen fast vårdkontakt utsågs före utskrivningen.",
        150,
        [
            ("report", "handlaggare.sodermalm", ""),
            ("answer", "vardkontakt.rosenlund", "Ny rutin: fast vårdkontakt utses samma dag."),
            ("close", "mas.sodermalm", "Åtgärden är rimlig."),
            ("reopen", "mas.sodermalm", "Samma sak hände igen i oktober."),
        ],
    ),
    (
        "demo:7",
        BISTAND,
        WARD,
        "OTHER",
        "PLANERING",
        "Planeringsunderlaget uppdaterades inte efter ändrat utskrivningsdatum.",
        2,
        [],
    ),
    (
        "demo:8",
        "Huddinge biståndsenhet äldre",
        "Karolinska Huddinge avd M44 medicin",
        "DISCHARGE_INFORMATION_MISSING",
        "UTSKRIVNING",
        "Ingen information om omvårdnadsbehov vid utskrivningen.",
        30,
        [("report", "handlaggare.huddinge", "")],
    ),
]

SERVICES = {
    "report": lambda d, by, text: services.deviation_report(deviation=d, by=by),
    "answer": lambda d, by, text: services.deviation_answer(
        deviation=d, by=by, explanation=text, measures=""
    ),
    "close": lambda d, by, text: services.deviation_close(deviation=d, by=by, assessment=text),
    "dismiss": lambda d, by, text: services.deviation_dismiss(deviation=d, by=by, reason=text),
    "reopen": lambda d, by, text: services.deviation_reopen(deviation=d, by=by, reason=text),
}


def _case_for(reporter, receiver):
    """A demo case in which both organisations take part, if the other loaders made one."""
    for process_id in (
        Deadline.objects.filter(responsible_organisation__in=[reporter, receiver])
        .values_list("process_id", flat=True)
        .distinct()[:50]
    ):
        process = Process.objects.get(pk=process_id)
        ids = {org.pk for org in selectors.process_participants(process)}
        if reporter.pk in ids and receiver.pk in ids:
            return process
    return None


def _backdate(deviation, days_ago: int) -> None:
    """Move a demo deviation and its history ``days_ago`` back, keeping their order."""
    shift = dt.timedelta(days=days_ago)
    fields = {
        "occurred_at": deviation.occurred_at - shift,
        "created_at": deviation.created_at - shift,
    }
    for name in ("reported_at", "answered_at", "closed_at"):
        value = getattr(deviation, name)
        if value is not None:
            fields[name] = value - shift + dt.timedelta(days=min(days_ago, 3))
    if deviation.answer_due_date is not None:
        fields["answer_due_date"] = deviation.answer_due_date - shift
    Deviation.objects.filter(pk=deviation.pk).update(**fields)
    for index, event in enumerate(deviation.events.order_by("at", "pk")):
        DeviationEvent.objects.filter(pk=event.pk).update(
            at=event.at - shift + dt.timedelta(days=min(days_ago, 3) * bool(index), hours=index)
        )


@transaction.atomic
def load() -> None:
    users = {u.username: u for u in get_user_model().objects.all()}
    for key, reporter_name, receiver_name, category, step, text, days_ago, steps in DEMO:
        if Deviation.objects.filter(cause_key=key).exists():
            continue
        reporter = Organisation.objects.filter(name=reporter_name).first()
        receiver = Organisation.objects.filter(name=receiver_name).first()
        if reporter is None or receiver is None:
            continue
        process = _case_for(reporter, receiver)
        deviation = services._draft(
            cause_key=key,
            source=Deviation.Source.MANUAL,
            category=category,
            process_step=step,
            process_id=process.pk if process else None,
            reporting_organisation=reporter,
            receiving_organisation=receiver,
            description=text,
            harm=Deviation.Harm.RISK if days_ago % 2 else Deviation.Harm.NO,
            lex_maria_assessment=category == "AIDS_MISSING",
            occurred_at=timezone.now(),
            created_by=users.get(steps[0][1]) if steps else None,
        )
        for name, username, comment in steps:
            SERVICES[name](deviation, users[username], comment)
        deviation.refresh_from_db()
        _backdate(deviation, days_ago)
    # The automatic drafts the sweep's breach hook makes, for the demo's breached deadlines.
    for deadline in Deadline.objects.filter(status=Deadline.Status.BREACHED).select_related(
        "responsible_organisation", "process"
    ):
        services.deviation_draft_from_deadline(deadline=deadline)
