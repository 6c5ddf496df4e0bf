"""Writes to the deviation register: the only code that creates or moves a Deviation.

Every function is atomic and may be called inside a caller's transaction (the deadline
sweep, the SIP attendance service): drafting takes a savepoint and, when the same cause
was drafted already (by this or a concurrent transaction), returns the existing row.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm

from coordination import clock
from coordination.models import Huvudman, Membership, Organisation, ProcessParty
from notifications.services import email_enqueue
from workflows import escalation
from workflows.deviations.models import Deviation, DeviationEvent
from workflows.models import Deadline

from . import rules, selectors

logger = logging.getLogger(__name__)

DEFAULT_ANSWER_DAYS = 60  # Göteborg's routine (DOMAIN §3.3); Stockholm has no figure.

ABSENT = "ABSENT"
NOT_ANSWERED = "NOT_ANSWERED"


def answer_days() -> int | None:
    """Days the receiver has to answer, or None for no answer deadline."""
    days = getattr(settings, "DEVIATION_ANSWER_DAYS", DEFAULT_ANSWER_DAYS)
    return int(days) if days else None


def answer_due_date(*, reported_at: dt.datetime) -> dt.date | None:
    days = answer_days()
    if days is None:
        return None
    return clock.local_date(reported_at) + dt.timedelta(days=days)


# --- Drafting --------------------------------------------------------------------------


def _draft(*, cause_key: str, **fields) -> Deviation | None:
    """Insert one automatic draft for a cause, or return the deviation already made for
    it (by us earlier or by a concurrent transaction: the unique index decides)."""
    existing = Deviation.objects.filter(cause_key=cause_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            deviation = Deviation.objects.create(cause_key=cause_key, **fields)
            DeviationEvent.objects.create(
                deviation=deviation,
                kind=DeviationEvent.Kind.CREATED,
                to_status=deviation.status,
                at=deviation.created_at,
                comment=deviation.get_source_display(),
            )
    except IntegrityError:
        return Deviation.objects.filter(cause_key=cause_key).first()
    return deviation


def _other_party(participants, *, receiver) -> Organisation | None:
    """The party that reports a missed commitment of ``receiver``: the kommun side when
    the receiver is on the region side and the other way round; failing that any other
    participant."""
    others = [org for org in participants if org.pk != receiver.pk]
    opposite = [org for org in others if org.effective_huvudman != receiver.effective_huvudman]
    if receiver.effective_huvudman != Huvudman.KOMMUN:
        kommun_side = [org for org in opposite if org.effective_huvudman == Huvudman.KOMMUN]
        if kommun_side:
            return kommun_side[0]
    if opposite:
        return opposite[0]
    return others[0] if others else None


@transaction.atomic
def deviation_draft_from_deadline(*, deadline, now: dt.datetime | None = None):
    """Draft a deviation for a breached (or late) ``workflows.models.Deadline``.

    The receiving organisation is the one responsible for the deadline; the reporting
    one is the other side of the case (``_other_party``). One deviation per deadline,
    ever: a second call returns the first draft, also after it was sent or dismissed.
    Returns None when the deadline was met on time or cancelled, or when the case has
    no other party to report it.
    """
    now = now or timezone.now()
    if deadline.status == Deadline.Status.CANCELLED:
        return None
    if deadline.status == Deadline.Status.MET and deadline.met_at <= deadline.due_at:
        return None
    if deadline.status == Deadline.Status.OPEN and deadline.due_at > now:
        return None
    cause_key = f"deadline:{deadline.pk}"
    existing = Deviation.objects.filter(cause_key=cause_key).first()
    if existing is not None:
        return existing
    receiver = deadline.responsible_organisation
    participants = selectors.process_participants(deadline.process)
    reporter = _other_party(participants, receiver=receiver)
    if reporter is None:
        logger.info("deadline %s: no other party to report a deviation", deadline.pk)
        return None
    kind = escalation.KINDS.get(deadline.kind)
    category, step = (kind and kind.deviation) or (Deviation.Category.OTHER, Deviation.Step.OTHER)
    description = _breach_description(kind=deadline.kind, receiver=receiver, due_at=deadline.due_at)
    return _draft(
        cause_key=cause_key,
        source=Deviation.Source.DEADLINE,
        category=category,
        process_step=step,
        process_id=deadline.process_id,
        deadline=deadline,
        reporting_organisation=reporter,
        receiving_organisation=receiver,
        description=description,
        occurred_at=deadline.breached_at or deadline.due_at,
        created_at=now,
    )


@dataclass(frozen=True)
class Breach:
    """What the sweep knows of one breached deadline, to draft its deviation in bulk."""

    deadline_id: int
    process_id: int
    kind: str
    due_at: dt.datetime
    receiver: Organisation
    participants: list


def _breach_description(*, kind: str, receiver: Organisation, due_at: dt.datetime) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "The deadline “%(kind)s” for %(organisation)s was due %(due)s and was not met "
            "in time. Drafted automatically when the deadline was breached."
        ) % {
            "kind": escalation.kind_label(kind),
            "organisation": receiver.name,
            "due": formats.date_format(timezone.localtime(due_at), "j b Y H:i"),
        }


def deviations_draft_from_breaches(breaches: list[Breach], *, now: dt.datetime) -> int:
    """Draft the deviations of many deadlines breached in one sweep batch, in a fixed
    number of statements whatever their number (the rule is
    ``deviation_draft_from_deadline``'s: one per deadline, reported by the other side of
    the case, category and step from the deadline kind's declaration).

    Runs inside the sweep's transaction. A cause drafted meanwhile by someone else (the
    unique index on ``cause_key``) sends this batch down the one-by-one path, which
    finds the existing draft. Returns how many were drafted."""
    if not breaches:
        return 0
    keys = {f"deadline:{b.deadline_id}": b for b in breaches}
    done = set(Deviation.objects.filter(cause_key__in=keys).values_list("cause_key", flat=True))
    drafts = []
    for key, breach in keys.items():
        if key in done:
            continue
        reporter = _other_party(breach.participants, receiver=breach.receiver)
        if reporter is None:
            logger.info("deadline %s: no other party to report a deviation", breach.deadline_id)
            continue
        declared = escalation.KINDS.get(breach.kind)
        category, step = (declared and declared.deviation) or (
            Deviation.Category.OTHER,
            Deviation.Step.OTHER,
        )
        drafts.append(
            Deviation(
                cause_key=key,
                source=Deviation.Source.DEADLINE,
                category=category,
                process_step=step,
                process_id=breach.process_id,
                deadline_id=breach.deadline_id,
                reporting_organisation=reporter,
                receiving_organisation=breach.receiver,
                description=_breach_description(
                    kind=breach.kind, receiver=breach.receiver, due_at=breach.due_at
                ),
                occurred_at=breach.due_at,  # as the one-by-one path: when it was due
                created_at=now,
            )
        )
    if not drafts:
        return 0
    try:
        with transaction.atomic():
            created = Deviation.objects.bulk_create(drafts)
            with translation.override(settings.LANGUAGE_CODE):
                comment = str(Deviation.Source.DEADLINE.label)
            DeviationEvent.objects.bulk_create(
                DeviationEvent(
                    deviation=deviation,
                    kind=DeviationEvent.Kind.CREATED,
                    to_status=deviation.status,
                    at=now,
                    comment=comment,
                )
                for deviation in created
            )
            # A draft makes its reporter a party of the case (the post_save receiver of
            # one-by-one drafts does the same, workflows.deviations.parties).
            ProcessParty.objects.bulk_create(
                [
                    ProcessParty(
                        process_id=deviation.process_id,
                        organisation_id=deviation.reporting_organisation_id,
                        reason=ProcessParty.Reason.DEVIATION,
                        since_at=now,
                    )
                    for deviation in created
                ],
                ignore_conflicts=True,
            )
    except IntegrityError:
        for breach in keys.values():
            deviation_draft_from_deadline(
                deadline=Deadline.objects.select_related("process", "responsible_organisation").get(
                    pk=breach.deadline_id
                ),
                now=now,
            )
        return 0
    return len(created)


@transaction.atomic
def deviation_draft_from_absence(
    *,
    process,
    organisation: Organisation,
    kind: str = ABSENT,
    subject_key: str = "",
    occurred_at: dt.datetime | None = None,
    reporting_organisation: Organisation | None = None,
):
    """Draft a deviation for an organisation absent from a SIP meeting (``ABSENT``)
    or that never answered its invitation (``NOT_ANSWERED``); DOMAIN §2.8.

    ``subject_key`` names the meeting or invitation (e.g. ``"meeting:12"``), so each
    absence is one cause. The reporter defaults to the case's first participant other
    than the absent organisation (for a SIP the initiating organisation).
    """
    if kind not in (ABSENT, NOT_ANSWERED):
        raise ValueError(f"unknown absence kind {kind!r}")
    prefix = "sip-absent" if kind == ABSENT else "sip-unanswered"
    cause_key = f"{prefix}:{process.pk}:{subject_key}:{organisation.pk}"[:120]
    existing = Deviation.objects.filter(cause_key=cause_key).first()
    if existing is not None:
        return existing
    reporter = reporting_organisation
    if reporter is None:
        others = [
            org for org in selectors.process_participants(process) if org.pk != organisation.pk
        ]
        reporter = others[0] if others else None
    if reporter is None or reporter.pk == organisation.pk:
        logger.info("process %s: no other party to report an absence", process.pk)
        return None
    if kind == ABSENT:
        category, step = Deviation.Category.SIP_PARTICIPANT_ABSENT, Deviation.Step.SIP_MOTE
        text = _("%(organisation)s was invited to the SIP meeting but did not take part.")
    else:
        category = Deviation.Category.INVITATION_NOT_ANSWERED
        step = Deviation.Step.SIP_KALLELSE
        text = _("%(organisation)s did not answer the invitation to SIP.")
    with translation.override(settings.LANGUAGE_CODE):
        description = (text + " " + _("Drafted automatically.")) % {
            "organisation": organisation.name
        }
    return _draft(
        cause_key=cause_key,
        source=Deviation.Source.SIP_ABSENCE,
        category=category,
        process_step=step,
        process_id=process.pk,
        reporting_organisation=reporter,
        receiving_organisation=organisation,
        description=description,
        occurred_at=occurred_at or timezone.now(),
    )


def _acting_organisation(user, organisation):
    """The organisation recorded on an event: ``organisation`` when the user is its
    member, else None (a MAS acting for the kommun)."""
    if Membership.objects.filter(user=user, organisation=organisation, is_active=True).exists():
        return organisation
    return None


@transaction.atomic
def deviation_create(
    *,
    by,
    process,
    reporting_organisation: Organisation,
    receiving_organisation: Organisation,
    category: str,
    description: str,
    harm: str = "",
    process_step: str = Deviation.Step.OTHER,
    level: str = Deviation.Level.CASE,
    lex_maria_assessment: bool = False,
    lex_sarah_assessment: bool = False,
    occurred_at: dt.datetime | None = None,
    report_now: bool = False,
) -> Deviation:
    """A deviation registered by hand from a case page.

    Only a member of an organisation taking part in the case may create one, for that
    organisation; the receiver must be another participant. With ``report_now`` it is
    sent at once (``deviation_report``), else it stays a draft.
    """
    participants = selectors.process_participants(process)
    participant_ids = {org.pk for org in participants}
    if (
        reporting_organisation.pk not in participant_ids
        or not Membership.objects.filter(
            user=by, organisation=reporting_organisation, is_active=True
        ).exists()
    ):
        raise PermissionDenied("only a participating organisation's member may report")
    if receiving_organisation.pk not in participant_ids:
        raise ValidationError(
            {"receiving_organisation": _("The organisation does not take part in the case.")}
        )
    if receiving_organisation.pk == reporting_organisation.pk:
        raise ValidationError(
            {"receiving_organisation": _("An organisation cannot report a deviation to itself.")}
        )
    if category not in Deviation.Category.values:
        raise ValidationError({"category": _("Choose a category.")})
    now = timezone.now()
    deviation = Deviation.objects.create(
        source=Deviation.Source.MANUAL,
        category=category,
        process_step=process_step,
        process_id=process.pk,
        reporting_organisation=reporting_organisation,
        receiving_organisation=receiving_organisation,
        description=description.strip(),
        harm=harm,
        level=level,
        lex_maria_assessment=lex_maria_assessment,
        lex_sarah_assessment=lex_sarah_assessment,
        occurred_at=occurred_at or now,
        created_at=now,
        created_by=by,
    )
    DeviationEvent.objects.create(
        deviation=deviation,
        kind=DeviationEvent.Kind.CREATED,
        to_status=deviation.status,
        at=now,
        by=by,
        organisation=reporting_organisation,
    )
    if report_now:
        deviation = deviation_report(deviation=deviation, by=by)
    return deviation


# --- Transitions -----------------------------------------------------------------------


def _locked(deviation) -> Deviation:
    return (
        Deviation.objects.select_for_update(of=("self",))
        .select_related(
            "reporting_organisation__area__parent", "receiving_organisation__area__parent"
        )
        .get(pk=deviation.pk)
    )


def _apply(deviation, name: str, *, by, comment: str = "", event_kind: str, organisation=None):
    """Run transition ``name`` on the locked ``deviation`` for ``by`` and record it.

    Raises TransitionNotAllowed when the deviation's state does not allow it and
    PermissionDenied when the user may not take it.
    """
    method = getattr(deviation, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(
            f"{name} is not allowed from {deviation.status}", object=deviation, method=method
        )
    if not has_transition_perm(method, by):
        raise PermissionDenied(f"{by} may not {name} deviation {deviation.pk}")
    from_status = deviation.status
    method()
    deviation.save()
    return DeviationEvent.objects.create(
        deviation=deviation,
        kind=event_kind,
        from_status=from_status,
        to_status=deviation.status,
        at=timezone.now(),
        by=by,
        organisation=organisation,
        comment=comment,
    )


def _required(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    return value


@transaction.atomic
def deviation_update_draft(
    *,
    deviation,
    by,
    category: str,
    process_step: str,
    description: str,
    harm: str,
    level: str,
    lex_maria_assessment: bool,
    lex_sarah_assessment: bool,
) -> Deviation:
    """Change a draft before it is sent (reporting side only)."""
    deviation = _locked(deviation)
    if deviation.status != Deviation.Status.DRAFT:
        raise TransitionNotAllowed("only a draft can be changed", object=deviation, method=None)
    if not rules.may_act_for_reporter(deviation, by):
        raise PermissionDenied
    deviation.category = category
    deviation.process_step = process_step
    deviation.description = description.strip()
    deviation.harm = harm
    deviation.level = level
    deviation.lex_maria_assessment = lex_maria_assessment
    deviation.lex_sarah_assessment = lex_sarah_assessment
    deviation.save()
    DeviationEvent.objects.create(
        deviation=deviation,
        kind=DeviationEvent.Kind.EDITED,
        from_status=deviation.status,
        to_status=deviation.status,
        by=by,
        organisation=_acting_organisation(by, deviation.reporting_organisation),
    )
    return deviation


@transaction.atomic
def deviation_report(*, deviation, by, comment: str = "") -> Deviation:
    """Send a draft to the receiving organisation, which is emailed and must answer by
    the answer due date."""
    deviation = _locked(deviation)
    if deviation.status == Deviation.Status.DRAFT:
        if not deviation.harm:
            raise ValidationError({"harm": _("Assess the care injury before sending.")})
        if not deviation.description.strip():
            raise ValidationError({"description": _("Describe what happened before sending.")})
    now = timezone.now()
    deviation.reported_at = now
    deviation.answer_due_date = answer_due_date(reported_at=now)
    event = _apply(
        deviation,
        "report",
        by=by,
        comment=comment,
        event_kind=DeviationEvent.Kind.REPORTED,
        organisation=_acting_organisation(by, deviation.reporting_organisation),
    )
    _notify(deviation, event, to=deviation.receiving_organisation, template="reported")
    return deviation


@transaction.atomic
def deviation_dismiss(*, deviation, by, reason: str) -> Deviation:
    deviation = _locked(deviation)
    deviation.dismissal_reason = _required(reason, "reason")
    _apply(
        deviation,
        "dismiss",
        by=by,
        comment=deviation.dismissal_reason,
        event_kind=DeviationEvent.Kind.DISMISSED,
        organisation=_acting_organisation(by, deviation.reporting_organisation),
    )
    return deviation


@transaction.atomic
def deviation_answer(*, deviation, by, explanation: str, measures: str = "") -> Deviation:
    """The receiving organisation's explanation and measures; the reporter is told."""
    deviation = _locked(deviation)
    deviation.answer_explanation = _required(explanation, "explanation")
    deviation.answer_measures = (measures or "").strip()
    deviation.answered_at = timezone.now()
    event = _apply(
        deviation,
        "answer",
        by=by,
        comment=deviation.answer_explanation,
        event_kind=DeviationEvent.Kind.ANSWERED,
        organisation=deviation.receiving_organisation,
    )
    _notify(deviation, event, to=deviation.reporting_organisation, template="answered")
    return deviation


@transaction.atomic
def deviation_close(
    *, deviation, by, assessment: str, lex_maria_assessment: bool | None = None
) -> Deviation:
    """The reporter's or the MAS's assessment of the answer closes the deviation."""
    deviation = _locked(deviation)
    deviation.assessment = _required(assessment, "assessment")
    if lex_maria_assessment is not None:
        deviation.lex_maria_assessment = lex_maria_assessment
    deviation.closed_at = timezone.now()
    _apply(
        deviation,
        "close",
        by=by,
        comment=deviation.assessment,
        event_kind=DeviationEvent.Kind.CLOSED,
        organisation=_acting_organisation(by, deviation.reporting_organisation),
    )
    return deviation


@transaction.atomic
def deviation_reopen(*, deviation, by, reason: str) -> Deviation:
    """The measures did not hold: the receiver must answer again, with a new due date."""
    deviation = _locked(deviation)
    reason = _required(reason, "reason")
    now = timezone.now()
    deviation.answer_due_date = answer_due_date(reported_at=now)
    deviation.closed_at = None
    event = _apply(
        deviation,
        "reopen",
        by=by,
        comment=reason,
        event_kind=DeviationEvent.Kind.REOPENED,
        organisation=_acting_organisation(by, deviation.reporting_organisation),
    )
    _notify(deviation, event, to=deviation.receiving_organisation, template="reopened")
    return deviation


# --- Email -------------------------------------------------------------------------------


def organisation_addresses(organisation: Organisation) -> list[str]:
    """The functional mailbox and the active members of an organisation, deduplicated."""
    emails = []
    if organisation.functional_mailbox:
        emails.append(organisation.functional_mailbox)
    emails.extend(
        Membership.objects.filter(organisation=organisation, is_active=True, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    seen, result = set(), []
    for email in emails:
        if email.lower() not in seen:
            seen.add(email.lower())
            result.append(email)
    return result


def _email_context(deviation) -> dict:
    # Plain facts only: no personnummer, no names, no health data (the description
    # stays behind the login).
    return {
        "number": deviation.pk,
        # Lazy: rendered in the site language with the template.
        "category": Deviation.Category(deviation.category).label,
        "reporting_organisation": deviation.reporting_organisation.name,
        "receiving_organisation": deviation.receiving_organisation.name,
        "answer_due_date": deviation.answer_due_date,
        "deviation_url": settings.SITE_URL.rstrip("/")
        + reverse("deviations:deviation_detail", args=[deviation.pk]),
    }


def _notify(deviation, event, *, to: Organisation, template: str, key: str = "") -> int:
    context = _email_context(deviation)
    sent = 0
    for address in organisation_addresses(to):
        email_enqueue(
            idempotency_key=f"deviation:{deviation.pk}:{key or event.pk}:{address.lower()}",
            to=address,
            template=f"deviations/emails/{template}",
            context=context,
            process=deviation.process,
            organisation=to,
        )
        sent += 1
    return sent


REMINDER_INTERVAL_DAYS = 7


def deviations_remind_late_answers(*, now: dt.datetime | None = None) -> int:
    """Remind the receivers of deviations whose answer is overdue; the count reminded.

    Run daily. The first reminder goes the day after the due date, then one a week
    while the answer is awaited. Idempotent per deviation and day (the outbox key),
    and concurrent runs skip rows the other holds.
    """
    now = now or timezone.now()
    today = clock.local_date(now)
    last_allowed = now - dt.timedelta(days=REMINDER_INTERVAL_DAYS) + dt.timedelta(hours=1)
    reminded = 0
    candidates = list(
        Deviation.objects.filter(
            status__in=[Deviation.Status.REPORTED, Deviation.Status.REOPENED],
            answer_due_date__lt=today,
        )
        .order_by("answer_due_date", "pk")
        .values_list("pk", flat=True)
    )
    for pk in candidates:
        with transaction.atomic():
            deviation = (
                Deviation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("reporting_organisation", "receiving_organisation", "process")
                .filter(pk=pk)
                .first()
            )
            if deviation is None or not deviation.answer_overdue_on(today):
                continue
            if deviation.events.filter(
                kind=DeviationEvent.Kind.REMINDED, at__gt=last_allowed
            ).exists():
                continue
            event = DeviationEvent.objects.create(
                deviation=deviation,
                kind=DeviationEvent.Kind.REMINDED,
                from_status=deviation.status,
                to_status=deviation.status,
                at=now,
            )
            _notify(
                deviation,
                event,
                to=deviation.receiving_organisation,
                template="reminder",
                key=f"late:{today.isoformat()}",
            )
            reminded += 1
    return reminded
