"""The only writers of discharge facts. Flow task views and the case page call these;
each is one transaction, checks who acts, writes an event row and opens, meets or
cancels the Deadline rows through ``workflows.services``.

Bad input raises ``ValidationError`` (shown on the form, nothing written); acting
for an organisation one is not a member of raises ``PermissionDenied``.
"""

import contextlib
import datetime as dt
import json
import logging
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from coordination import access, clock
from coordination.models import Huvudman, Individual, Organisation, ProcessParty
from coordination.services import process_party_add
from notifications import catalogue
from notifications.services import outbox_enqueue_many
from workflows import deadlines, escalation, hooks
from workflows.services import (
    deadline_cancel,
    deadline_meet,
    deadline_open,
    process_withdrawn_cancel,
    withdrawal_reason_clean,
)

from .models import (
    BACKDATE_TOLERANCE,
    KOMMUN_ROLES,
    DischargeEvent,
    DischargeInformation,
    DischargeInformationAck,
    DischargeProcess,
    DischargeUnit,
    EstimatedDischargeDate,
    Judgement,
    MessageSecondChannel,
    PaymentAgreement,
    PaymentAgreementLevel,
    PaymentDayRate,
    PlanningBasis,
    PlanningBasisAck,
    ReadyForDischargeNotice,
    Stage,
    UnitRole,
)
from .selectors import WARD_KINDS, discharge_may_withdraw, open_discharge_of

logger = logging.getLogger(__name__)

INSKRIVNINGSMEDDELANDE = "INSKRIVNINGSMEDDELANDE"
INSKRIVNING_ACK = "INSKRIVNING_ACK"
FAST_VARDKONTAKT = "FAST_VARDKONTAKT"
UTSKRIVNINGSKLAR_ACK = "UTSKRIVNINGSKLAR_ACK"
SIP_KALLELSE = "SIP_KALLELSE"
DISCHARGE_INFORMATION = "DISCHARGE_INFORMATION"
COMPULSORY_CARE_PLAN = "COMPULSORY_CARE_PLAN"

# No rule sets a time for the units' answer to the admission notice; the Stockholm
# routine expects planning to start on receipt, so a day is asked for.
UNIT_ANSWER_HOURS = 24


# --- Helpers --------------------------------------------------------------------------


def flow_of(process):
    """The flow a process runs (``Process.flow_class``): the services use its nodes
    and lock without importing the flow module, which imports them."""
    flow = process.flow_class
    if not isinstance(flow, type):
        raise ValueError(f"process {process.pk} has no flow")
    return flow


def is_member(user, organisation) -> bool:
    if user is None or organisation is None or not user.is_authenticated:
        return False
    return access.acting_organisations(user=user).filter(pk=organisation.pk).exists()


def _require_member_of(process, field: str, by) -> None:
    """``by`` acts for the case's organisation in ``field`` (the ward, the
    vårdcentral). One query that also reads that organisation, kept on the process:
    the step uses it for its events, deadlines and emails."""
    descriptor = getattr(DischargeProcess, field)
    organisation_id = getattr(process, descriptor.field.attname)
    found = None
    if by is not None and by.is_authenticated and organisation_id is not None:
        found = access.acting_organisations(user=by).filter(pk=organisation_id).first()
    if found is None:
        _require_member(by, getattr(process, field), known=False)
    if not descriptor.is_cached(process):
        descriptor.field.set_cached_value(process, found)


def _require_ward_member(process, by) -> None:
    _require_member_of(process, "ward", by)


def _require_member(user, organisation, *, known: bool | None = None) -> None:
    """``known``: membership already checked in this step (``_unit_of``), not asked
    again."""
    if not (is_member(user, organisation) if known is None else known):
        raise PermissionDenied(
            _("Only %(organisation)s can do this step.") % {"organisation": organisation}
        )


def _event(*, process, kind, by, organisation=None, at=None, note="", from_stage="", to_stage=""):
    return DischargeEvent.objects.create(
        process=process,
        kind=kind,
        by=by,
        organisation=organisation,
        at=at or timezone.now(),
        note=note[:500],
        from_stage=from_stage,
        to_stage=to_stage,
    )


def _transition(process, method_name, *, kind, by, organisation=None, at=None, note=""):
    """Run an FSM transition and record it; a wrong stage is a clear refusal."""
    source = process.stage
    method = getattr(process, method_name)
    if not can_proceed(method):
        raise ValidationError(
            _("This step cannot be done now: the discharge is at the stage “%(stage)s”.")
            % {"stage": process.get_stage_display()}
        )
    method()
    process.save()
    return _event(
        process=process,
        kind=kind,
        by=by,
        organisation=organisation,
        at=at,
        note=note,
        from_stage=source,
        to_stage=process.stage,
    )


def _not_in_future(value, label):
    if value > timezone.now() + dt.timedelta(minutes=1):
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": label})


def _active_units(process):
    if "unit_rows" in getattr(process, "_prefetched_objects_cache", {}):
        rows = process.unit_rows.all()
    else:
        rows = process.unit_rows.select_related("organisation")
    return [unit for unit in rows if unit.is_active]


@contextlib.contextmanager
def _units_read_once(process):
    """A step that changes none of the case's units reads them once: the checks, the
    deadlines and the emails then use the same rows. Dropped after the step, so that
    a later step on the same object reads them afresh."""
    if "unit_rows" in getattr(process, "_prefetched_objects_cache", {}):
        yield
        return
    models.prefetch_related_objects(
        [process],
        models.Prefetch("unit_rows", queryset=DischargeUnit.objects.select_related("organisation")),
    )
    try:
        yield
    finally:
        process._prefetched_objects_cache.pop("unit_rows", None)


def _active_vardcentral(process):
    unit = process.unit(UnitRole.VARDCENTRAL)
    if unit is None or not unit.is_active:
        return None
    return unit.organisation


def _unit_of(process, role, *, by, organisation=None, lock=True):
    """The current unit of ``role`` that ``by`` answers for (``organisation`` when the
    task names it): a role may have several units, each answering for itself."""
    rows = DischargeUnit.objects.filter(process=process, role=role, superseded_at__isnull=True)
    if lock:
        rows = rows.select_for_update()
    if organisation is not None:
        rows = rows.filter(organisation=organisation)
    if by is not None and by.is_authenticated:
        # Kept on the row, read with it: the step checks it once (_require_member).
        acting = access.acting_organisations(user=by).filter(pk=models.OuterRef("organisation_id"))
        rows = rows.annotate(by_is_member=models.Exists(acting))
    rows = list(rows.select_related("organisation").order_by("notified_at", "pk"))
    if not rows:
        return None
    for row in rows:
        row.by_is_member = getattr(row, "by_is_member", False)
    own = [row for row in rows if row.by_is_member]
    candidates = own or rows
    pending = [row for row in candidates if row.ack_state == DischargeUnit.AckState.PENDING]
    return (pending or candidates)[0]


#: The units' emails (``_notify_units``), named in the case's list of messages until
#: they are rendered at delivery.
UNIT_EMAILS = {
    "admission_notice": gettext_lazy("Admission notice"),
    "estimated_date_changed": gettext_lazy("New estimated discharge date"),
    "ready_notice": gettext_lazy("Ready for discharge"),
    "ready_notice_revoked": gettext_lazy("Ready-for-discharge notice revoked"),
    "discharged": gettext_lazy("Discharged"),
    "planning_basis": gettext_lazy("Planning basis"),
    "discharge_information": gettext_lazy("Information at discharge"),
    "withdrawn": gettext_lazy("Discharge withdrawn"),
}
catalogue.register_labels(
    {f"discharge/emails/{name}": label for name, label in UNIT_EMAILS.items()}
)


def _notify_units(*, process, template, key, context, units=None):
    """Email each unit's functional mailbox after commit. No personnummer, name or
    health data: what to do, by when, and the link to the case page.

    One INSERT for all the units; the rows hold plain data and are rendered at
    delivery (as the sweep's reminders), so the step's transaction renders nothing."""
    now = timezone.now()
    emails = []
    # Times and dates as ISO text (read back at delivery: ``…_at`` and ``…_date`` keys).
    plain_context = json.loads(json.dumps(context, cls=DjangoJSONEncoder))
    with translation.override(settings.LANGUAGE_CODE):  # the role label is lazy
        for unit in units if units is not None else _active_units(process):
            mailbox = unit.organisation.functional_mailbox
            if not mailbox:
                continue
            # A unit that came in later has a key of its own, so it gets its own message.
            unit_key = (
                unit.role
                if unit.origin == DischargeUnit.Origin.ADMISSION_NOTICE
                else f"{unit.role}:{unit.pk}"
            )
            emails.append(
                {
                    "idempotency_key": f"discharge:{process.pk}:{key}:{unit_key}",
                    "to": mailbox,
                    "template": f"discharge/emails/{template}",
                    "context": {
                        "unit_name": unit.organisation.name,
                        "role_label": str(unit.get_role_display()),
                        "ward_name": process.ward.name,
                        "case_reference": process.pk,
                        **plain_context,
                    },
                    "process_id": process.pk,
                    "deadline_id": None,
                    "organisation_id": unit.organisation_id,
                    "created_at": now,
                }
            )
    outbox_enqueue_many(emails=emails)


def _open_admission_notice_deadline(process, *, by):
    deadline_open(
        process=process,
        kind=INSKRIVNINGSMEDDELANDE,
        responsible_organisation=process.ward,
        due_at=deadlines.admission_notice_due_at(
            admitted_at=process.admitted_at, judged_at=process.judged_at
        ),
        by=by,
        late_registration=bool(process.late_registration_reason),
    )


def admission_max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.DISCHARGE_ADMISSION_MAX_AGE_DAYS)


def admission_is_late(admitted_at, *, now=None) -> bool:
    """Registered more than the allowed window after the admission."""
    return admitted_at < (now or timezone.now()) - admission_max_age()


def check_admission_time(admitted_at, *, late_registration_reason="", now=None) -> None:
    """An admission time is plausible: not in the future (a few minutes of clock skew
    between the ward's clock and ours allowed) and, without a reason for the late
    registration, not more than ``DISCHARGE_ADMISSION_MAX_AGE_DAYS`` back."""
    now = now or timezone.now()
    skew = dt.timedelta(minutes=settings.DISCHARGE_CLOCK_SKEW_MINUTES)
    if admitted_at > now + skew:
        raise ValidationError(
            _("The admission cannot be in the future."), code="admission_in_future"
        )
    if admission_is_late(admitted_at, now=now) and not late_registration_reason.strip():
        raise ValidationError(
            _(
                "The admission is more than %(days)s days ago. Check the date, or give the "
                "reason for the late registration."
            )
            % {"days": settings.DISCHARGE_ADMISSION_MAX_AGE_DAYS},
            code="admission_late",
        )


def _apply_judgement(process, *, judgement, by, at):
    process.judgement = judgement
    process.judged_at = at
    process.judged_by = by
    process.save()
    _event(
        process=process,
        kind=DischargeEvent.Kind.JUDGED,
        by=by,
        organisation=process.ward,
        at=at,
        note=Judgement(judgement).label,
    )
    if judgement == Judgement.NO_NEED:
        _transition(
            process,
            "close_without_planning",
            kind=DischargeEvent.Kind.NO_LUS_PLANNING,
            by=by,
            organisation=process.ward,
        )
    elif judgement == Judgement.MAY_NEED:
        _open_admission_notice_deadline(process, by=by)


# --- Step 1: admission and judgement ------------------------------------------------


@transaction.atomic
def discharge_register(
    *,
    process: DischargeProcess,
    individual,
    ward,
    admitted_at,
    care_type,
    leaves_for_open_compulsory_care=False,
    judgement,
    late_registration_reason="",
    by,
) -> DischargeProcess:
    """Register an admission (step 1) on the new, unsaved process of the start task.

    A judgement made at admission counts from the admission; "no interventions
    needed" closes the case as "no LUS planning" (DOMAIN §1.5). The admission time
    must be plausible (``check_admission_time``); a late registration keeps its reason
    and records deadlines already past their breach as breached at registration. A
    person with an open discharge is not admitted twice: a move between wards is a
    change of ward on that discharge (``discharge_change_ward``).
    """
    _require_member(by, ward)
    if ward.kind not in WARD_KINDS:
        raise ValidationError(_("Only an inpatient ward can register an admission."))
    late_registration_reason = late_registration_reason.strip()
    check_admission_time(admitted_at, late_registration_reason=late_registration_reason)
    # Serialise registrations of one person so that two wards cannot both open one.
    Individual.objects.select_for_update().filter(pk=individual.pk).first()
    if open_discharge_of(individual=individual) is not None:
        raise ValidationError(
            _(
                "This person already has an open discharge. A move between wards is "
                "recorded as a change of ward on that discharge."
            ),
            code="already_open",
        )
    if not admission_is_late(admitted_at):
        late_registration_reason = ""
    process.late_registration_reason = late_registration_reason[:300]
    process.individual = individual
    process.ward = ward
    process.admitted_at = admitted_at
    process.care_type = care_type
    process.leaves_for_open_compulsory_care = leaves_for_open_compulsory_care
    process.judgement = Judgement.PENDING
    process.registered_by = by
    if judgement != Judgement.PENDING:  # written with the row; recorded below
        process.judgement, process.judged_at, process.judged_by = judgement, admitted_at, by
    process.save()
    _event(
        process=process,
        kind=DischargeEvent.Kind.REGISTERED,
        by=by,
        organisation=ward,
        to_stage=process.stage,
        note=late_registration_reason,
    )
    if judgement != Judgement.PENDING:
        _apply_judgement(process, judgement=judgement, by=by, at=admitted_at)
    return process


@transaction.atomic
def discharge_judge(*, process: DischargeProcess, judgement, by) -> DischargeProcess:
    """A later judgement (LUS 4 kap. 1 §): the admission notice is then due 24 hours
    after this judgement."""
    _require_ward_member(process, by)
    if process.judgement != Judgement.PENDING or process.stage != Stage.ADMITTED:
        raise ValidationError(_("The needs have already been judged."))
    if judgement == Judgement.PENDING:
        raise ValidationError(_("Choose a judgement."))
    _apply_judgement(process, judgement=judgement, by=by, at=timezone.now())
    return process


# --- Step 2: admission notice and the units' answers -------------------------------


@transaction.atomic
def admission_notice_send(
    *,
    process: DischargeProcess,
    socialtjanst=None,
    kommunal_hsv=None,
    vardcentral=None,
    estimated_discharge_date: dt.date,
    by,
) -> DischargeProcess:
    """Send the inskrivningsmeddelande to the units concerned (LUS 4 kap. 1 §)."""
    _require_ward_member(process, by)
    if process.admission_notice_sent_at is not None:
        raise ValidationError(_("The admission notice has already been sent."))
    chosen = [
        (UnitRole.SOCIALTJANST, socialtjanst),
        (UnitRole.KOMMUNAL_HSV, kommunal_hsv),
        (UnitRole.VARDCENTRAL, vardcentral),
    ]
    chosen = [(role, organisation) for role, organisation in chosen if organisation is not None]
    if not chosen:
        raise ValidationError(_("Choose at least one unit to send the admission notice to."))
    if estimated_discharge_date < clock.local_date(process.admitted_at):
        raise ValidationError(_("The estimated discharge date cannot be before the admission."))
    now = timezone.now()
    process.admission_notice_sent_at = now
    process.admission_notice_sent_by = by
    process.vardcentral = vardcentral
    process.estimated_discharge_date = estimated_discharge_date
    _transition(
        process,
        "start_planning",
        kind=DischargeEvent.Kind.ADMISSION_NOTICE_SENT,
        by=by,
        organisation=process.ward,
        note=", ".join(str(organisation) for _role, organisation in chosen),
    )
    EstimatedDischargeDate.objects.create(
        process=process, estimated_date=estimated_discharge_date, changed_at=now, changed_by=by
    )
    if not any(organisation.needs_second_channel for _role, organisation in chosen):
        # LUS 4 kap. 1 §: sent to every unit. A unit the planning IT support may not
        # reach counts only once its second channel is recorded (second_channel_record).
        deadline_meet(process=process, kind=INSKRIVNINGSMEDDELANDE, by=by, at=now)
    # One INSERT for the units and one for their parties (bulk_create sends no
    # post_save, so the parties are added here as ``parties._unit_is_party`` would).
    DischargeUnit.objects.bulk_create(
        [
            DischargeUnit(
                process=process,
                role=role,
                organisation=organisation,
                notified_at=now,
                needs_second_channel=organisation.needs_second_channel,
            )
            for role, organisation in chosen
        ]
    )
    process_party_add(
        process=process,
        organisations=[organisation for _role, organisation in chosen],
        reason=ProcessParty.Reason.ADMISSION_NOTICE,
        at=now,
    )
    for role, organisation in chosen:
        if organisation.needs_second_channel:
            continue  # the answer deadline starts when the second channel is recorded
        deadline_open(
            process=process,
            kind=INSKRIVNING_ACK,
            subject_key=role,
            responsible_organisation=organisation,
            due_at=deadlines.hours_after(now, hours=UNIT_ANSWER_HOURS),
            by=by,
        )
    if vardcentral is not None:
        _open_fast_vardkontakt_deadline(process, by=by)
    if process.leaves_for_open_compulsory_care:
        _open_compulsory_care_plan_deadline(process, by=by)
    _notify_units(
        process=process,
        template="admission_notice",
        key="admission_notice",
        context={
            "answer_due_at": _answer_due_at(now),
            "estimated_discharge_date": estimated_discharge_date,
        },
    )
    return process


def _answer_due_at(now):
    """The answer time the admission notice states: only when the local 24-hour rule
    (INSKRIVNING_ACK, ``KARDBORRE_LOCAL_DEADLINES``) is on; neither LUS nor the
    agreement sets one."""
    if not escalation.is_enabled(INSKRIVNING_ACK):
        return None
    return deadlines.hours_after(now, hours=UNIT_ANSWER_HOURS)


def _open_compulsory_care_plan_deadline(process, *, by, due_at=None):
    """A patient leaving for öppen tvångsvård (ÖPT/ÖRV) needs a samordnad vårdplan
    before discharge (LPT 7 a §, LRV 12 a §; HFD 2021:20: always attached to the
    application). The ward's chefsöverläkare answers for it; due at the end of the
    estimated discharge day and moved with it; met when a SIP started from the
    discharge saves its plan (``compulsory_care_plan_recorded``)."""
    deadline_open(
        process=process,
        kind=COMPULSORY_CARE_PLAN,
        responsible_organisation=process.ward,
        due_at=due_at or clock.end_of_local_day(process.estimated_discharge_date),
        by=by,
    )


def compulsory_care_plan_recorded(*, process_id, by, at) -> None:
    """Hook ``SIP_PLAN_SAVED``: the SIP started from this discharge saved a plan."""
    process = DischargeProcess.objects.filter(pk=process_id).first()
    if process is not None and process.leaves_for_open_compulsory_care:
        deadline_meet(process=process, kind=COMPULSORY_CARE_PLAN, by=by, at=at)


@transaction.atomic
def compulsory_care_sip_start(*, process, by):
    """The ward starts the SIP in which the samordnad vårdplan is drawn up with the
    units of the kommun and the region (ÖPT/ÖRV: no LUS kallelse, DOMAIN.md §1.5)."""
    process = DischargeProcess.objects.select_for_update().get(pk=process.pk)
    _require_ward_member(process, by)
    if not process.leaves_for_open_compulsory_care:
        raise ValidationError(_("The patient does not leave for öppen tvångsvård."))
    if not process.is_open:
        raise ValidationError(_("The discharge is no longer open."))
    if process.vardcentral is None:
        raise ValidationError(
            _("Send the admission notice to the outpatient unit that will coordinate first.")
        )
    return _start_sip(process, by=by)


def compulsory_care_plan_missing(process) -> bool:
    """For ÖPT/ÖRV: no coordinated care plan yet (its deadline not met)."""
    if not process.leaves_for_open_compulsory_care:
        return False
    return not process.deadlines.filter(kind=COMPULSORY_CARE_PLAN, status="MET").exists()


def _open_fast_vardkontakt_deadline(process, *, by, due_at=None):
    """Due before discharge (LUS 4 kap. 3 §): the end of the estimated discharge day,
    moved with every new estimate."""
    deadline_open(
        process=process,
        kind=FAST_VARDKONTAKT,
        responsible_organisation=process.vardcentral,
        due_at=due_at or clock.end_of_local_day(process.estimated_discharge_date),
        by=by,
    )


@transaction.atomic
def unit_answer(
    *,
    process: DischargeProcess,
    role,
    ack_state,
    reason="",
    forward_to=None,
    organisation=None,
    by,
) -> DischargeUnit:
    """A unit acknowledges the admission notice, or rejects it ("not our resident",
    with a reason), or answers "not known to us" (DOMAIN §1.3 step 1).

    A kommun unit that rejects names the right kommun's receiving unit
    (``forward_to``), or leaves it empty when the right kommun is unknown, the reason
    saying why. With a named unit the notice is forwarded to it at once
    (``_unit_send``): its own answer deadline from now, the email, the party and the
    answer task. ``organisation``: the unit the answer task was routed to (a role may
    have several units)."""
    unit = _unit_of(process, role, by=by, organisation=organisation)
    if unit is None:
        raise ValidationError(_("The admission notice was not sent to this unit."))
    _require_member(by, unit.organisation, known=unit.by_is_member)
    if unit.ack_state != DischargeUnit.AckState.PENDING:
        raise ValidationError(_("The admission notice has already been answered."))
    if (
        ack_state not in DischargeUnit.AckState.values
        or ack_state == DischargeUnit.AckState.PENDING
    ):
        raise ValidationError(_("Choose an answer."))
    reason = reason.strip()
    rejected = ack_state == DischargeUnit.AckState.REJECTED_NOT_RESIDENT
    if rejected and not reason:
        raise ValidationError(_("Give the reason for rejecting the admission notice."))
    if forward_to is not None:
        if not rejected:
            raise ValidationError(
                _("The notice is forwarded only when the person is not your resident.")
            )
        check_forward_target(unit=unit, organisation=forward_to)
        if not process.is_open:
            raise ValidationError(_("The discharge is closed: the notice cannot be forwarded."))
        if any(
            other.is_active and other.organisation_id == forward_to.pk
            for other in process.unit_rows.filter(role=role)
        ):
            raise ValidationError(
                _("%(unit)s already takes part in this role.") % {"unit": forward_to}
            )
    now = timezone.now()
    unit.ack_state = ack_state
    unit.ack_reason = reason
    unit.ack_at = now
    unit.ack_by = by
    if forward_to is not None:
        unit.superseded_at = now
    unit.save()
    note = [unit.get_ack_state_display(), reason]
    if rejected and forward_to is None:
        note.append(_("The right municipality is unknown."))
    _event(
        process=process,
        kind=DischargeEvent.Kind.UNIT_ANSWERED,
        by=by,
        organisation=unit.organisation,
        at=now,
        note=" – ".join(filter(None, note)),
    )
    deadline_meet(
        process=process,
        kind=INSKRIVNING_ACK,
        subject_key=role,
        responsible_organisation=unit.organisation,
        by=by,
        at=now,
    )
    if rejected and role == UnitRole.VARDCENTRAL:
        deadline_cancel(
            process=process,
            kind=FAST_VARDKONTAKT,
            by=by,
            note="admission notice rejected by the unit",
        )
    if forward_to is not None:
        successor = DischargeUnit.objects.create(
            process=process,
            role=role,
            organisation=forward_to,
            notified_at=now,
            needs_second_channel=forward_to.needs_second_channel,
            origin=DischargeUnit.Origin.FORWARDED,
            replaces=unit,
            added_by=by,
        )
        _event(
            process=process,
            kind=DischargeEvent.Kind.UNIT_FORWARDED,
            by=by,
            organisation=unit.organisation,
            at=now,
            note=f"{unit.organisation} → {forward_to} – {reason}",
        )
        _unit_send(process, successor, by=by, now=now)
    return unit


# --- Units that come in later: forwarded, added, replacing ----------------------------

#: The organisations that can take each role (the admission notice's choices, plus the
#: providers a kommun may add, such as a second hemtjänst).
ROLE_KINDS = {
    UnitRole.SOCIALTJANST: (
        Organisation.Kind.SOCIALTJANST,
        Organisation.Kind.STADSDELSFORVALTNING,
        Organisation.Kind.HEMTJANST,
        Organisation.Kind.SABO,
    ),
    UnitRole.KOMMUNAL_HSV: (Organisation.Kind.KOMMUNAL_HSV,),
    UnitRole.VARDCENTRAL: (Organisation.Kind.VARDCENTRAL, Organisation.Kind.PSYKIATRI_OPPENVARD),
}


def _kommun_of(organisation):
    return organisation.area.kommun if organisation.area_id else None


def check_unit_target(*, role, organisation) -> None:
    """A unit that can take ``role``: active, and on the kommun's side for a kommun
    role, on the region's side for the vårdcentral."""
    if organisation is None or not organisation.is_active:
        raise ValidationError(
            _("%(unit)s is not an active organisation.") % {"unit": organisation or "–"}
        )
    side = organisation.effective_huvudman
    if role in KOMMUN_ROLES and side != Huvudman.KOMMUN:
        raise ValidationError(
            _("%(unit)s is not a municipal unit and cannot take the role “%(role)s”.")
            % {"unit": organisation, "role": UnitRole(role).label}
        )
    if role == UnitRole.VARDCENTRAL and side != Huvudman.REGION:
        raise ValidationError(
            _("%(unit)s is not on the region's side and cannot be the primary care centre.")
            % {"unit": organisation}
        )


def check_forward_target(*, unit, organisation) -> None:
    """Where a kommun unit that answers "not our resident" may forward the notice: the
    receiving unit of another kommun, for the same role."""
    if unit.role not in KOMMUN_ROLES:
        raise ValidationError(
            _("Only a municipal unit forwards the notice to another municipality.")
        )
    check_unit_target(role=unit.role, organisation=organisation)
    own, other = _kommun_of(unit.organisation), _kommun_of(organisation)
    if other is None or own is None or other.pk == own.pk:
        raise ValidationError(
            _(
                "%(unit)s belongs to the same municipality (%(kommun)s). Forward the notice "
                "to a unit of the right municipality, or answer that it is unknown."
            )
            % {"unit": organisation, "kommun": own or "–"}
        )


def may_change_units(*, user, process) -> bool:
    """Any party taking part (the ward or a unit that has not rejected) may add or
    replace a unit while the discharge is planned."""
    if process.stage not in (Stage.PLANNING, Stage.READY):
        return False
    acting = set(access.acting_organisations(user=user).values_list("pk", flat=True))
    return any(org.pk in acting for org in process.participating_organisations())


def _require_may_change_units(user, process):
    if process.stage not in (Stage.PLANNING, Stage.READY):
        raise ValidationError(_("Units can be added only while the discharge is planned."))
    if not may_change_units(user=user, process=process):
        raise PermissionDenied(_("Only a party of the discharge can add or replace a unit."))


def _unit_answer_task_open(process, unit):
    """The answer task of ``unit``: a new task of its role's answer node, routed to
    the unit, following the admission notice task (the flow has no join after the
    split, so the branch's token only names it)."""
    DischargeFlow = flow_of(process)
    node = {
        UnitRole.SOCIALTJANST: DischargeFlow.ack_socialtjanst,
        UnitRole.KOMMUNAL_HSV: DischargeFlow.ack_kommunal_hsv,
        UnitRole.VARDCENTRAL: DischargeFlow.ack_vardcentral,
    }[unit.role]
    notice_task = (
        process.task_set.filter(flow_task=DischargeFlow.send_admission_notice)
        .order_by("-pk")
        .first()
    )
    previous = SimpleNamespace(process=process, task=notice_task)
    base = notice_task.token.token if notice_task else "start"
    activation = node.activation_class.create(node, previous, Token(f"{base}/unit_{unit.pk}"))
    task = activation.task
    task.owner_permission_obj_pk = str(unit.organisation_id)
    task.save(update_fields=["owner_permission_obj_pk"])
    return task


def _unit_send(process, unit, *, by, now):
    """Send a unit that came in later what it has missed: the admission notice with
    a fresh answer deadline from now (the same kind as the first units'), and the
    utskrivningsklar notice if one is in force; it becomes a party
    (``parties``) and gets its answer task."""
    due_at = _answer_due_at(now)
    if not unit.needs_second_channel:  # else from the second channel on
        _open_unit_answer_deadline(process, unit, by=by, now=now)
    _notify_units(
        process=process,
        template="admission_notice",
        key="admission_notice",
        context={
            "answer_due_at": due_at,
            "estimated_discharge_date": process.estimated_discharge_date,
        },
        units=[unit],
    )
    notice = process.current_ready_notice
    if notice is not None:
        _notify_units(
            process=process,
            template="ready_notice",
            key=f"ready:{notice.pk}",
            context={
                "issued_at": notice.issued_at,
                "sip_kallelse_due_at": deadlines.end_of_calendar_day_after(
                    notice.issued_at, days=3
                ),
            },
            units=[unit],
        )
    _unit_answer_task_open(process, unit)


def _open_unit_answer_deadline(process, unit, *, by, now):
    deadline_open(
        process=process,
        kind=INSKRIVNING_ACK,
        subject_key=unit.role,
        responsible_organisation=unit.organisation,
        due_at=deadlines.hours_after(now, hours=UNIT_ANSWER_HOURS),
        by=by,
    )


# --- Second channel to units the planning IT support may not reach --------------------


def second_channel_pending(process) -> list[dict]:
    """The messages sent to a unit that needs a second channel, with none recorded
    yet: each is flagged on the case page and does not count as sent. Only units
    that take part now; the ready-for-discharge notice in force only."""
    units = [
        unit
        for unit in process.unit_rows.select_related("organisation").prefetch_related(
            "second_channels"
        )
        if unit.needs_second_channel and unit.is_active and unit.notified_at is not None
    ]
    if not units:
        return []
    notice = process.current_ready_notice
    Message = MessageSecondChannel.Message
    pending = []
    for unit in units:
        done = {(row.message, row.ready_notice_id) for row in unit.second_channels.all()}
        sent = [(Message.ADMISSION_NOTICE, None)]
        if notice is not None:
            sent.append((Message.READY_NOTICE, notice))
        if process.discharge_information_sent_at is not None:
            sent.append((Message.DISCHARGE_INFORMATION, None))
        for message, ready_notice in sent:
            if (message, ready_notice.pk if ready_notice else None) not in done:
                pending.append(
                    {
                        "unit": unit,
                        "message": message,
                        "message_label": Message(message).label,
                        "ready_notice": ready_notice,
                    }
                )
    return pending


def may_record_second_channel(*, user, process) -> bool:
    """The sender of the LUS messages: the ward."""
    return is_member(user, process.ward)


@transaction.atomic
def second_channel_record(
    *, process: DischargeProcess, unit, message, channel, note, by
) -> MessageSecondChannel:
    """Record that ``message`` also reached ``unit`` another way (phone, secure email,
    letter), by whom and when. The admission notice then counts as sent to the unit
    and the unit's answer deadline starts; the ready-for-discharge notice's
    acknowledgement deadline of a primary care centre runs at the earliest from now."""
    _require_ward_member(process, by)
    unit = DischargeUnit.objects.select_for_update().get(pk=unit.pk, process=process)
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Write whom you reached and what was agreed."))
    if channel not in MessageSecondChannel.Channel.values:
        raise ValidationError(_("Choose phone, secure email or letter."))
    pending = [
        row
        for row in second_channel_pending(process)
        if row["unit"].pk == unit.pk and row["message"] == message
    ]
    if not pending:
        raise ValidationError(_("This message does not need a second channel."))
    now = timezone.now()
    record = MessageSecondChannel.objects.create(
        unit=unit,
        message=message,
        ready_notice=pending[0]["ready_notice"],
        channel=channel,
        at=now,
        by=by,
        note=note[:300],
    )
    _event(
        process=process,
        kind=DischargeEvent.Kind.SECOND_CHANNEL,
        by=by,
        organisation=process.ward,
        at=now,
        note=(
            f"{record.get_message_display()} → {unit.organisation}: "
            f"{record.get_channel_display()}, {note}"
        )[:500],
    )
    if message == MessageSecondChannel.Message.ADMISSION_NOTICE and unit.ack_state == (
        DischargeUnit.AckState.PENDING
    ):
        _open_unit_answer_deadline(process, unit, by=by, now=now)
    if message == MessageSecondChannel.Message.ADMISSION_NOTICE and not any(
        row["message"] == MessageSecondChannel.Message.ADMISSION_NOTICE
        for row in second_channel_pending(process)
    ):
        # The last unit waiting has the notice: the ward's 24-hour duty is met now.
        deadline_meet(process=process, kind=INSKRIVNINGSMEDDELANDE, by=by, at=now)
    if (
        message == MessageSecondChannel.Message.READY_NOTICE
        and unit.role == UnitRole.VARDCENTRAL
        and record.ready_notice.acknowledged_at is None
    ):
        due_at = max(
            deadlines.end_of_calendar_day_after(record.ready_notice.issued_at, days=0),
            clock.end_of_local_day(clock.local_date(now)),
        )
        deadline_open(
            process=process,
            kind=UTSKRIVNINGSKLAR_ACK,
            responsible_organisation=unit.organisation,
            due_at=due_at,
            by=by,
        )
    return record


def _unit_tasks_cancel(process, unit):
    """Cancel the open tasks of a replaced unit's branch."""
    DischargeFlow = flow_of(process)
    nodes_of_role = {
        UnitRole.SOCIALTJANST: [DischargeFlow.ack_socialtjanst, DischargeFlow.plan_socialtjanst],
        UnitRole.KOMMUNAL_HSV: [DischargeFlow.ack_kommunal_hsv, DischargeFlow.plan_kommunal_hsv],
        UnitRole.VARDCENTRAL: [
            DischargeFlow.ack_vardcentral,
            DischargeFlow.appoint_fast_vardkontakt,
            DischargeFlow.plan_vardcentral,
        ],
    }[unit.role]
    for task in process.task_set.filter(
        flow_task__in=nodes_of_role,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
        owner_permission_obj_pk=str(unit.organisation_id),
    ):
        task.flow_task.activation_class(task).cancel()


def _vardcentral_move(process, *, old, new, by):
    """The vårdcentral changes: its ready-notice steps and deadlines move to the new
    one, and the new one appoints the fast vårdkontakt."""
    DischargeFlow = flow_of(process)
    process.vardcentral = new
    process.fast_vardkontakt = None
    process.fast_vardkontakt_appointed_at = None
    process.fast_vardkontakt_appointed_by = None
    process.save(
        update_fields=[
            "vardcentral",
            "fast_vardkontakt",
            "fast_vardkontakt_appointed_at",
            "fast_vardkontakt_appointed_by",
        ]
    )
    if old is not None:
        for task in process.task_set.filter(
            flow_task__in=[DischargeFlow.ack_ready, DischargeFlow.sip_kallelse],
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        ):
            task.owner_permission_obj_pk = str(new.pk)
            task.owner = None
            task.status = STATUS.NEW
            task.save(update_fields=["owner_permission_obj_pk", "owner", "status"])
        for deadline in process.deadlines.select_for_update().filter(
            status="OPEN",
            responsible_organisation=old,
            kind__in=[UTSKRIVNINGSKLAR_ACK, SIP_KALLELSE],
        ):
            deadline.responsible_organisation = new
            deadline.responsible_user = None
            deadline.save(update_fields=["responsible_organisation", "responsible_user"])
    deadline_cancel(
        process=process, kind=FAST_VARDKONTAKT, by=by, note="primary care centre changed"
    )
    if process.discharged_at is None and process.estimated_discharge_date is not None:
        _open_fast_vardkontakt_deadline(process, by=by)
    notice = process.current_ready_notice
    open_ack = process.task_set.filter(
        flow_task=DischargeFlow.ack_ready, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()
    if notice is not None and notice.acknowledged_at is None and not open_ack:
        # The notice in force was sent while no vårdcentral took part: the new one
        # acknowledges it before the discharge, like the first would have.
        node = DischargeFlow.ack_ready
        issue_task = (
            process.task_set.filter(flow_task=DischargeFlow.issue_ready_notice)
            .order_by("-pk")
            .first()
        )
        previous = SimpleNamespace(process=process, task=issue_task)
        base = issue_task.token.token if issue_task else "start"
        task = node.activation_class.create(node, previous, Token(f"{base}/vc_{new.pk}")).task
        task.owner_permission_obj_pk = str(new.pk)
        task.save(update_fields=["owner_permission_obj_pk"])
        deadline_open(
            process=process,
            kind=UTSKRIVNINGSKLAR_ACK,
            responsible_organisation=new,
            due_at=deadlines.end_of_calendar_day_after(timezone.now(), days=0),
            by=by,
        )


@transaction.atomic
def unit_add(*, process: DischargeProcess, role, organisation, reason, by) -> DischargeUnit:
    """A party adds a unit to the planning (a second hemtjänst, the vårdcentral the
    person has moved to): it gets what it has missed (``_unit_send``). A process has
    one vårdcentral at a time: a new one replaces the old (``unit_replace``)."""
    DischargeFlow = flow_of(process)
    with DischargeFlow.lock(process.pk):
        process = DischargeProcess.objects.get(pk=process.pk)
        _require_may_change_units(by, process)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(_("Give the reason for adding the unit."))
        if role not in UnitRole.values:
            raise ValidationError(_("Choose a role."))
        check_unit_target(role=role, organisation=organisation)
        current = [u for u in process.unit_rows.filter(role=role) if u.is_active]
        if any(u.organisation_id == organisation.pk for u in current):
            raise ValidationError(
                _("%(unit)s already takes part in this role.") % {"unit": organisation}
            )
        if role == UnitRole.VARDCENTRAL and current:
            raise ValidationError(
                _("The discharge has a primary care centre: replace it instead, with a reason.")
            )
        now = timezone.now()
        unit = DischargeUnit.objects.create(
            process=process,
            role=role,
            organisation=organisation,
            notified_at=now,
            needs_second_channel=organisation.needs_second_channel,
            origin=DischargeUnit.Origin.ADDED,
            added_by=by,
            added_reason=reason[:300],
        )
        _event(
            process=process,
            kind=DischargeEvent.Kind.UNIT_ADDED,
            by=by,
            organisation=_acting_party(by, process),
            at=now,
            note=f"{unit.get_role_display()}: {organisation} – {reason}",
        )
        if role == UnitRole.VARDCENTRAL:
            _vardcentral_move(process, old=process.vardcentral, new=organisation, by=by)
        _unit_send(process, unit, by=by, now=now)
    return unit


@transaction.atomic
def unit_replace(*, process: DischargeProcess, unit, organisation, reason, by) -> DischargeUnit:
    """A party replaces a unit, with a reason: the old row stays as history (marked
    replaced), its open steps and answer deadline are cancelled, and the new unit gets
    what it has missed (``_unit_send``)."""
    DischargeFlow = flow_of(process)
    with DischargeFlow.lock(process.pk):
        process = DischargeProcess.objects.get(pk=process.pk)
        _require_may_change_units(by, process)
        old = (
            DischargeUnit.objects.select_for_update()
            .select_related("organisation")
            .filter(pk=getattr(unit, "pk", None), process=process, superseded_at__isnull=True)
            .first()
        )
        if old is None:
            raise ValidationError(_("Choose a unit that takes part."))
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(_("Give the reason for replacing the unit."))
        check_unit_target(role=old.role, organisation=organisation)
        if organisation.pk == old.organisation_id:
            raise ValidationError(_("Choose another unit than the one replaced."))
        if any(
            u.is_active and u.organisation_id == organisation.pk
            for u in process.unit_rows.filter(role=old.role)
        ):
            raise ValidationError(
                _("%(unit)s already takes part in this role.") % {"unit": organisation}
            )
        now = timezone.now()
        old.superseded_at = now
        old.superseded_reason = reason[:300]
        old.save(update_fields=["superseded_at", "superseded_reason"])
        _unit_tasks_cancel(process, old)
        deadline_cancel(
            process=process,
            kind=INSKRIVNING_ACK,
            subject_key=old.role,
            responsible_organisation=old.organisation,
            by=by,
            note="unit replaced",
        )
        new = DischargeUnit.objects.create(
            process=process,
            role=old.role,
            organisation=organisation,
            notified_at=now,
            needs_second_channel=organisation.needs_second_channel,
            origin=DischargeUnit.Origin.REPLACEMENT,
            replaces=old,
            added_by=by,
            added_reason=reason[:300],
        )
        _event(
            process=process,
            kind=DischargeEvent.Kind.UNIT_REPLACED,
            by=by,
            organisation=_acting_party(by, process),
            at=now,
            note=f"{old.organisation} → {organisation} – {reason}",
        )
        if old.role == UnitRole.VARDCENTRAL:
            _vardcentral_move(process, old=old.organisation, new=organisation, by=by)
        _unit_send(process, new, by=by, now=now)
    return new


def _acting_party(user, process):
    acting = set(access.acting_organisations(user=user).values_list("pk", flat=True))
    for organisation in process.participating_organisations():
        if organisation.pk in acting:
            return organisation
    return None


# --- Step 3: fast vårdkontakt ---------------------------------------------------------


@transaction.atomic
def fast_vardkontakt_appoint(*, process: DischargeProcess, person, by) -> DischargeProcess:
    """The vårdcentral appoints the fast vårdkontakt (LUS 4 kap. 3 §)."""
    _require_member_of(process, "vardcentral", by)
    if process.fast_vardkontakt_id is not None:
        raise ValidationError(_("The designated care contact has already been appointed."))
    if person != by and not is_member(person, process.vardcentral):  # by: checked above
        raise ValidationError(
            _("The designated care contact must work at %(unit)s.") % {"unit": process.vardcentral}
        )
    now = timezone.now()
    process.fast_vardkontakt = person
    process.fast_vardkontakt_appointed_at = now
    process.fast_vardkontakt_appointed_by = by
    process.save()
    _event(
        process=process,
        kind=DischargeEvent.Kind.FAST_VARDKONTAKT_APPOINTED,
        by=by,
        organisation=process.vardcentral,
        at=now,
        note=person.get_full_name() or person.get_username(),
    )
    deadline_meet(process=process, kind=FAST_VARDKONTAKT, by=by, at=now)
    return process


# --- Step 4: planning and the estimated discharge date -----------------------------


@transaction.atomic
def interventions_plan(
    *,
    process: DischargeProcess,
    role,
    interventions_needed: bool,
    planned_interventions="",
    organisation=None,
    by,
) -> DischargeUnit:
    unit = _unit_of(process, role, by=by, organisation=organisation)
    if unit is None or not unit.is_active:
        raise ValidationError(_("This unit does not take part in the planning."))
    _require_member(by, unit.organisation, known=unit.by_is_member)
    if unit.planned_at is not None:
        raise ValidationError(_("The interventions have already been planned."))
    planned_interventions = planned_interventions.strip()
    if interventions_needed and not planned_interventions:
        raise ValidationError(_("Describe the planned interventions."))
    now = timezone.now()
    unit.interventions_needed = interventions_needed
    unit.planned_interventions = planned_interventions
    unit.planned_at = now
    unit.planned_by = by
    unit.save()
    _event(
        process=process,
        kind=DischargeEvent.Kind.INTERVENTIONS_PLANNED,
        by=by,
        organisation=unit.organisation,
        at=now,
    )
    return unit


@transaction.atomic
def estimated_discharge_date_change(
    *, process: DischargeProcess, estimated_date: dt.date, note="", by
) -> EstimatedDischargeDate:
    """A new estimate (PUD), kept with the earlier ones and sent to the units "as soon
    as possible" (DOMAIN §1.3 step 1b). Deadlines tied to the estimate move with it."""
    DischargeFlow = flow_of(process)
    with DischargeFlow.lock(process.pk):
        process = DischargeProcess.objects.get(pk=process.pk)
        _require_ward_member(process, by)
        if process.stage not in (Stage.PLANNING, Stage.READY):
            raise ValidationError(
                _("The estimated discharge date can only be changed during planning.")
            )
        if estimated_date < clock.local_date(process.admitted_at):
            raise ValidationError(_("The estimated discharge date cannot be before the admission."))
        if estimated_date == process.estimated_discharge_date:
            raise ValidationError(_("That is already the estimated discharge date."))
        now = timezone.now()
        change = EstimatedDischargeDate.objects.create(
            process=process,
            estimated_date=estimated_date,
            previous_date=process.estimated_discharge_date,
            changed_at=now,
            changed_by=by,
            note=note,
        )
        process.estimated_discharge_date = estimated_date
        process.save(update_fields=["estimated_discharge_date"])
        _event(
            process=process,
            kind=DischargeEvent.Kind.ESTIMATED_DATE_CHANGED,
            by=by,
            organisation=process.ward,
            at=now,
            note=f"{change.previous_date:%Y-%m-%d} → {estimated_date:%Y-%m-%d}",
        )
        new_due = clock.end_of_local_day(estimated_date)
        if process.deadlines.filter(kind=FAST_VARDKONTAKT, status="OPEN").exists():
            _open_fast_vardkontakt_deadline(process, by=by, due_at=new_due)
        if process.deadlines.filter(kind=DISCHARGE_INFORMATION, status="OPEN").exists():
            _open_discharge_information_deadline(process, by=by, due_at=new_due)
        if process.deadlines.filter(kind=COMPULSORY_CARE_PLAN, status="OPEN").exists():
            _open_compulsory_care_plan_deadline(process, by=by, due_at=new_due)
        _notify_units(
            process=process,
            template="estimated_date_changed",
            key=f"estimate:{change.pk}",
            context={"estimated_discharge_date": estimated_date},
        )
    return change


def _open_discharge_information_deadline(process, *, by, due_at):
    deadline_open(
        process=process,
        kind=DISCHARGE_INFORMATION,
        responsible_organisation=process.ward,
        due_at=due_at,
        by=by,
    )


# --- Step 5: utskrivningsklar -------------------------------------------------------


@transaction.atomic
def ready_notice_issue(
    *, process: DischargeProcess, issued_at, by, backdate_reason: str = ""
) -> ReadyForDischargeNotice:
    """Send the utskrivningsklar notice (LUS 4 kap. 5 §). A reissue after a revocation
    restarts every clock counted from the notice.

    The system records when it sends the notice (``recorded_at``, shown as "sent"):
    that time is the basis of day 0 for payment (Stockholm routine, research P4). A
    typed time ``issued_at`` more than ``BACKDATE_TOLERANCE`` earlier is a backdating
    and needs a reason, which the case page shows beside it.
    """
    _require_ward_member(process, by)
    backdate_reason = (backdate_reason or "").strip()
    now = timezone.now()
    if issued_at < process.admitted_at:
        raise ValidationError(_("The patient cannot be ready for discharge before the admission."))
    _not_in_future(issued_at, _("The ready-for-discharge notice"))
    notices = list(process.ready_notices.all())  # newest first
    last_revoked = next((n for n in notices if n.revoked_at is not None), None)
    if last_revoked is not None and issued_at < last_revoked.revoked_at:
        raise ValidationError(
            _("A new notice cannot be earlier than the revocation of the last one.")
        )
    if any(n.revoked_at is None for n in notices):
        raise ValidationError(_("A ready-for-discharge notice is already in force."))
    if issued_at < now - BACKDATE_TOLERANCE and not backdate_reason:
        raise ValidationError(
            _(
                "The time is earlier than now: give a reason for the backdating. "
                "Payment is counted from when the notice is sent."
            )
        )
    notice = ReadyForDischargeNotice.objects.create(
        process=process,
        issued_at=issued_at,
        issued_by=by,
        recorded_at=now,
        backdate_reason=backdate_reason if issued_at < now - BACKDATE_TOLERANCE else "",
    )
    process.ready_for_discharge_at = issued_at
    _transition(
        process,
        "mark_ready",
        kind=DischargeEvent.Kind.READY_NOTICE_ISSUED,
        by=by,
        organisation=process.ward,
        at=issued_at,
    )
    with _units_read_once(process):
        _open_ready_deadlines(process, notice=notice, by=by)
        _notify_units(
            process=process,
            template="ready_notice",
            key=f"ready:{notice.pk}",
            context={
                "issued_at": issued_at,
                "sip_kallelse_due_at": deadlines.end_of_calendar_day_after(issued_at, days=3),
            },
        )
    return notice


def _open_ready_deadlines(process, *, notice, by):
    unit = process.unit(UnitRole.VARDCENTRAL)  # as _active_vardcentral, read once
    vardcentral = unit.organisation if unit is not None and unit.is_active else None
    if vardcentral is not None:
        # Stockholm: the vårdcentral must acknowledge before discharge, which may be
        # the same day (day 0). A vårdcentral the planning IT support may not reach has
        # the notice only once a second channel is recorded: its clock starts then
        # (second_channel_record).
        if not unit.needs_second_channel:
            deadline_open(
                process=process,
                kind=UTSKRIVNINGSKLAR_ACK,
                responsible_organisation=vardcentral,
                due_at=deadlines.end_of_calendar_day_after(notice.issued_at, days=0),
                by=by,
            )
        if process.sip_kallelse_needed and not process.sip_kallelse_recorded:
            deadline_open(
                process=process,
                kind=SIP_KALLELSE,
                responsible_organisation=vardcentral,
                responsible_user=process.fast_vardkontakt,
                due_at=deadlines.end_of_calendar_day_after(notice.issued_at, days=3),
                by=by,
            )
    estimated = max(process.estimated_discharge_date, clock.local_date(notice.issued_at))
    _open_discharge_information_deadline(process, by=by, due_at=clock.end_of_local_day(estimated))


@transaction.atomic
def ready_notice_acknowledge(*, process: DischargeProcess, by) -> ReadyForDischargeNotice:
    """The vårdcentral acknowledges ("kvitterar") the notice in force."""
    vardcentral = _active_vardcentral(process)
    _require_member(by, vardcentral)
    notice = process.ready_notices.select_for_update().filter(revoked_at__isnull=True).first()
    if notice is None:
        raise ValidationError(_("There is no ready-for-discharge notice in force."))
    if notice.acknowledged_at is not None:
        raise ValidationError(_("The notice has already been acknowledged."))
    now = timezone.now()
    notice.acknowledged_at = now
    notice.acknowledged_by = by
    notice.save(update_fields=["acknowledged_at", "acknowledged_by"])
    _event(
        process=process,
        kind=DischargeEvent.Kind.READY_NOTICE_ACKNOWLEDGED,
        by=by,
        organisation=vardcentral,
        at=now,
    )
    deadline_meet(process=process, kind=UTSKRIVNINGSKLAR_ACK, by=by, at=now)
    return notice


@transaction.atomic
def ready_notice_revoke(*, process: DischargeProcess, reason, by) -> ReadyForDischargeNotice:
    """The patient is no longer utskrivningsklar: the units are told at once and the
    clocks counted from the notice stop; a new notice restarts them (DOMAIN §1.3
    step 5). Open acknowledgement and kallelse tasks of the old notice are withdrawn."""
    _require_ward_member(process, by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for revoking the notice."))
    notice = process.ready_notices.select_for_update().filter(revoked_at__isnull=True).first()
    if notice is None:
        raise ValidationError(_("There is no ready-for-discharge notice in force."))
    now = timezone.now()
    notice.revoked_at = now
    notice.revoked_by = by
    notice.revocation_reason = reason
    notice.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    process.ready_for_discharge_at = None
    _transition(
        process,
        "revoke_ready",
        kind=DischargeEvent.Kind.READY_NOTICE_REVOKED,
        by=by,
        organisation=process.ward,
        at=now,
        note=reason,
    )
    for kind in (UTSKRIVNINGSKLAR_ACK, SIP_KALLELSE, DISCHARGE_INFORMATION):
        deadline_cancel(
            process=process, kind=kind, responsible_organisation=None, by=by, note="notice revoked"
        )
    _withdraw_notice_tasks(process)
    _notify_units(
        process=process,
        template="ready_notice_revoked",
        key=f"revoked:{notice.pk}",
        context={"revoked_at": now},
    )
    return notice


def _withdraw_notice_tasks(process):
    """Cancel the open viewflow tasks that answer the revoked notice."""
    DischargeFlow = flow_of(process)
    open_tasks = process.task_set.filter(
        flow_task__in=[DischargeFlow.ack_ready, DischargeFlow.sip_kallelse],
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )
    for task in open_tasks:
        task.flow_task.activation_class(task).cancel()


# --- Step 4 (LUS numbering) / 6 (issue): kallelse till SIP --------------------------


@transaction.atomic
def sip_kallelse_record(
    *, process: DischargeProcess, sent: bool, skipped_reason="", by
) -> DischargeProcess:
    """The fast vårdkontakt sends the kallelse to SIP, due three calendar days after
    the utskrivningsklar notice (LUS 4 kap. 6 §; Stockholm routine), which starts a
    SIP linked to this discharge; or records why none is sent (a valid SIP exists)."""
    _require_member_of(process, "vardcentral", by)
    if process.sip_kallelse_recorded:
        raise ValidationError(_("The invitation to SIP has already been recorded."))
    if process.current_ready_notice is None:
        raise ValidationError(_("There is no ready-for-discharge notice in force."))
    skipped_reason = skipped_reason.strip()
    if not sent and not skipped_reason:
        raise ValidationError(_("Give the reason no invitation to SIP is sent."))
    now = timezone.now()
    process.sip_kallelse_recorded_at = now
    process.sip_kallelse_recorded_by = by
    if sent:
        process.save()
        # The deadline is met when the SIP's invitations have actually gone out to every
        # participant (``sip_kallelse_sent``, called by the SIP app), not by this click.
        if _start_sip(process, by=by) is None:  # no SIP app: this click is the kallelse
            sip_kallelse_sent(process_id=process.pk, by=by, at=now)
    else:
        process.sip_kallelse_skipped_reason = skipped_reason
        process.save()
        _event(
            process=process,
            kind=DischargeEvent.Kind.SIP_KALLELSE_SKIPPED,
            by=by,
            organisation=process.vardcentral,
            at=now,
            note=skipped_reason,
        )
        deadline_cancel(process=process, kind=SIP_KALLELSE, by=by, note=skipped_reason[:300])
    return process


@transaction.atomic
def sip_kallelse_sent(*, process_id: int, by=None, at=None) -> DischargeProcess | None:
    """The kallelse to SIP went out: the SIP started from this discharge has sent its
    invitations to every participant (by the planning IT support, or by a second
    channel where a unit cannot be reached). Meets the SIP_KALLELSE deadline (LUS
    4 kap. 6 §) and records the time on the discharge's timeline. Once only."""
    process = DischargeProcess.objects.select_for_update().filter(pk=process_id).first()
    if process is None or process.sip_kallelse_sent_at is not None:
        return None
    at = at or timezone.now()
    process.sip_kallelse_sent_at = at
    process.save(update_fields=["sip_kallelse_sent_at"])
    _event(
        process=process,
        kind=DischargeEvent.Kind.SIP_KALLELSE_SENT,
        by=by,
        organisation=process.vardcentral,
        at=at,
    )
    deadline_meet(process=process, kind=SIP_KALLELSE, by=by, at=at)
    return process


def _start_sip(process, *, by):
    sip_start_from_discharge = hooks.provided(hooks.SIP_START_FROM_DISCHARGE)
    if sip_start_from_discharge is None:  # the SIP app may be absent from a deployment
        logger.warning(
            "SIP services unavailable; kallelse for discharge %s recorded only", process.pk
        )
        return None
    return sip_start_from_discharge(discharge_process=process, by=by)


# --- Step 7: discharge --------------------------------------------------------------


COMPULSORY_CARE_PLAN_MISSING = gettext_lazy(
    "The patient leaves for öppen tvångsvård: a coordinated care plan (the plan of a SIP "
    "started from this discharge) must exist before discharge (HFD 2021:20)."
)


def discharge_preconditions_unmet(*, process: DischargeProcess) -> list[str]:
    """Why the discharge cannot be recorded yet (the checks ``discharge_record``
    makes), so the task page can say so before the form is filled in."""
    if process is None or process.pk is None:
        return []
    notice = process.current_ready_notice
    if notice is None:
        return [_("There is no ready-for-discharge notice in force.")]
    if compulsory_care_plan_missing(process):
        return [COMPULSORY_CARE_PLAN_MISSING]
    if _active_vardcentral(process) is not None and notice.acknowledged_at is None:
        return [
            _(
                "The primary care centre has not yet acknowledged the ready-for-discharge "
                "notice: the discharge can be recorded once it has."
            )
        ]
    return []


@transaction.atomic
def discharge_record(
    *,
    process: DischargeProcess,
    discharged_at,
    information_sent_at,
    individual_declined_interventions=False,
    by,
) -> DischargeProcess:
    """Record the discharge and the information to the units and the individual, due
    no later than the day of discharge (LUS 4 kap. 7 §, patientlagen 3 kap. 2 b §)."""
    _require_ward_member(process, by)
    if discharged_at < process.admitted_at:
        raise ValidationError(_("The discharge cannot be before the admission."))
    _not_in_future(discharged_at, _("The discharge"))
    _not_in_future(information_sent_at, _("The information at discharge"))
    notice = process.current_ready_notice
    if notice is None:
        raise ValidationError(_("There is no ready-for-discharge notice in force."))
    if discharged_at < notice.issued_at:
        raise ValidationError(_("The discharge cannot be before the ready-for-discharge notice."))
    if compulsory_care_plan_missing(process):
        raise ValidationError(COMPULSORY_CARE_PLAN_MISSING)
    with _units_read_once(process):
        if _active_vardcentral(process) is not None and notice.acknowledged_at is None:
            raise ValidationError(
                _(
                    "The primary care centre has not yet acknowledged the ready-for-discharge notice."  # noqa: E501
                )
            )
        process.discharged_at = discharged_at
        process.discharged_by = by
        process.discharge_information_sent_at = information_sent_at
        process.individual_declined_interventions = individual_declined_interventions
        _transition(
            process,
            "discharge",
            kind=DischargeEvent.Kind.DISCHARGED,
            by=by,
            organisation=process.ward,
            at=discharged_at,
        )
        due = clock.end_of_local_day(clock.local_date(discharged_at))
        open_deadlines = {}  # one read for both checks below; the first due of each kind
        for deadline in process.deadlines.filter(
            kind__in=[DISCHARGE_INFORMATION, FAST_VARDKONTAKT], status="OPEN"
        ):
            open_deadlines.setdefault(deadline.kind, deadline)
        open_info = open_deadlines.get(DISCHARGE_INFORMATION)
        if open_info is None or open_info.due_at != due:
            _open_discharge_information_deadline(process, by=by, due_at=due)
        deadline_meet(process=process, kind=DISCHARGE_INFORMATION, by=by, at=information_sent_at)
        # "Before discharge": an appointment still missing is now due at the discharge.
        open_fvk = open_deadlines.get(FAST_VARDKONTAKT)
        if open_fvk is not None and open_fvk.due_at > discharged_at:
            _open_fast_vardkontakt_deadline(process, by=by, due_at=discharged_at)
        _notify_units(
            process=process,
            template="discharged",
            key="discharged",
            context={"discharged_at": discharged_at},
        )
    return process


# --- Content: the planning basis and the information at discharge ------------------------


def _required_text(values: dict) -> dict:
    """Each value stripped; a blank one is an error on its field (nothing written)."""
    cleaned = {name: (value or "").strip() for name, value in values.items()}
    missing = {name: _("This field is required.") for name, value in cleaned.items() if not value}
    if missing:
        raise ValidationError(missing)
    return cleaned


@transaction.atomic
def planning_basis_record(
    *, process, medical_state, functional_ability, care_needs, other="", by
) -> PlanningBasis:
    """The ward sends a new version of the planning basis to the units taking part;
    earlier versions are kept, and each unit acknowledges the new one."""
    process = DischargeProcess.objects.select_for_update().get(pk=process.pk)
    _require_ward_member(process, by)
    if process.stage not in (Stage.PLANNING, Stage.READY):
        raise ValidationError(
            _("The planning basis is sent once the admission notice has gone out, until discharge.")
        )
    text = _required_text(
        {
            "medical_state": medical_state,
            "functional_ability": functional_ability,
            "care_needs": care_needs,
        }
    )
    number = (process.planning_bases.aggregate(n=models.Max("number"))["n"] or 0) + 1
    basis = PlanningBasis.objects.create(
        process=process,
        number=number,
        other=(other or "").strip(),
        written_by=by,
        **text,
    )
    _event(
        process=process,
        kind=DischargeEvent.Kind.PLANNING_BASIS,
        by=by,
        organisation=process.ward,
        note=f"v{number}",
    )
    _notify_units(
        process=process,
        template="planning_basis",
        key=f"planning_basis:{number}",
        context={"version": number},
    )
    return basis


def planning_basis_units(process) -> list[dict]:
    """Each unit taking part and whether it acknowledged the planning basis in force."""
    basis = process.planning_bases.first()
    if basis is None:
        return []
    acks = {ack.unit_id: ack for ack in basis.acks.select_related("by")}
    return [{"unit": unit, "ack": acks.get(unit.pk)} for unit in _active_units(process)]


def _acknowledge_per_unit(process, *, by, done, create, kind, note="", already):
    """The user's units taking part acknowledge one content message: ``done`` the ids
    of the units that have, ``create(unit)`` writes one acknowledgement."""
    units = [unit for unit in _active_units(process) if is_member(by, unit.organisation)]
    if not units:
        raise PermissionDenied(_("Only a unit taking part acknowledges this message."))
    acks = [create(unit) for unit in units if unit.pk not in done]
    if not acks:
        raise ValidationError(already)
    for ack in acks:
        _event(process=process, kind=kind, by=by, organisation=ack.unit.organisation, note=note)
    return acks


@transaction.atomic
def planning_basis_acknowledge(*, process, by) -> list[PlanningBasisAck]:
    """The user's units taking part acknowledge the planning basis in force."""
    process = DischargeProcess.objects.select_for_update().get(pk=process.pk)
    basis = process.planning_bases.first()
    if basis is None:
        raise ValidationError(_("No planning basis has been sent."))
    return _acknowledge_per_unit(
        process,
        by=by,
        done=set(basis.acks.values_list("unit_id", flat=True)),
        create=lambda unit: PlanningBasisAck.objects.create(basis=basis, unit=unit, by=by),
        kind=DischargeEvent.Kind.PLANNING_BASIS_ACKNOWLEDGED,
        note=f"v{basis.number}",
        already=_("Your unit has already acknowledged this planning basis."),
    )


def information_units(process) -> list[dict]:
    """Each unit taking part and whether it acknowledged the information at discharge
    as now written."""
    information = getattr(process, "information", None)
    if information is None:
        return []
    acks = {
        ack.unit_id: ack
        for ack in information.acks.filter(written_at=information.written_at).select_related("by")
    }
    return [{"unit": unit, "ack": acks.get(unit.pk)} for unit in _active_units(process)]


@transaction.atomic
def discharge_information_acknowledge(*, process, by) -> list[DischargeInformationAck]:
    """The user's units taking part acknowledge the information at discharge as now
    written."""
    process = DischargeProcess.objects.select_for_update().get(pk=process.pk)
    information = getattr(process, "information", None)
    if information is None:
        raise ValidationError(_("The information at discharge has not been written."))
    current = information.acks.filter(written_at=information.written_at)
    return _acknowledge_per_unit(
        process,
        by=by,
        done=set(current.values_list("unit_id", flat=True)),
        create=lambda unit: DischargeInformationAck.objects.create(
            information=information, unit=unit, written_at=information.written_at, by=by
        ),
        kind=DischargeEvent.Kind.INFORMATION_ACKNOWLEDGED,
        already=_("Your unit has already acknowledged the information."),
    )


@transaction.atomic
def discharge_information_record(
    *, process, status_at_discharge, medication_list, letter_to_individual, aids="", by
) -> DischargeInformation:
    """The ward writes the information at discharge: for the units, the status at
    discharge, the medicines and the aids; for the individual, the letter. The first
    time it counts as the information sent (the DISCHARGE_INFORMATION deadline is met)
    and the units are told; a correction replaces the text and is recorded."""
    process = DischargeProcess.objects.select_for_update().get(pk=process.pk)
    _require_ward_member(process, by)
    if process.stage not in (Stage.READY, Stage.DISCHARGED):
        raise ValidationError(
            _("The information at discharge is written once the patient is ready for discharge.")
        )
    text = _required_text(
        {
            "status_at_discharge": status_at_discharge,
            "medication_list": medication_list,
            "letter_to_individual": letter_to_individual,
        }
    )
    now = timezone.now()
    information, created = DischargeInformation.objects.update_or_create(
        process=process,
        defaults={**text, "aids": (aids or "").strip(), "written_at": now, "written_by": by},
    )
    _event(
        process=process,
        kind=DischargeEvent.Kind.INFORMATION_WRITTEN,
        by=by,
        organisation=process.ward,
        at=now,
        note="" if created else "corrected",
    )
    if process.discharge_information_sent_at is None:
        process.discharge_information_sent_at = now
        process.save(update_fields=["discharge_information_sent_at"])
        deadline_meet(process=process, kind=DISCHARGE_INFORMATION, by=by, at=now)
    if created:
        _notify_units(
            process=process,
            template="discharge_information",
            key="discharge_information",
            context={},
        )
    return information


# --- Withdrawal (makulering) and change of ward ----------------------------------------


@transaction.atomic
def discharge_withdraw(*, process: DischargeProcess, reason: str, by) -> DischargeProcess:
    """Withdraw a discharge registered in error (makulering).

    Only the registering ward (or an administrator who may see the case) withdraws,
    with a reason. The flow is cancelled through viewflow's own ``Flow.cancel``, every
    open deadline is cancelled, and every unit that was sent the admission notice is
    told. The record stays, marked withdrawn; nothing is deleted. Withdrawing an
    already withdrawn case changes nothing and sends nothing (a double submission).
    """
    DischargeFlow = flow_of(process)
    process = DischargeProcess.objects.select_for_update().get(pk=process.pk)
    if not discharge_may_withdraw(user=by, process=process):
        raise PermissionDenied(_("Only the registering ward can withdraw this discharge."))
    if process.is_withdrawn:
        return process
    reason = withdrawal_reason_clean(reason)
    now = timezone.now()
    source = process.stage
    process.withdraw()
    process_withdrawn_cancel(
        process=process,
        flow=DischargeFlow.instance,
        reason=reason,
        by=by,
        now=now,
        busy_message=_("A step of this case is being saved right now. Try again."),
    )
    _event(
        process=process,
        kind=DischargeEvent.Kind.WITHDRAWN,
        by=by,
        organisation=process.ward,
        at=now,
        note=reason,
        from_stage=source,
        to_stage=process.stage,
    )
    notified = [
        unit
        for unit in process.unit_rows.select_related("organisation")
        if unit.notified_at is not None
    ]
    _notify_units(
        process=process,
        template="withdrawn",
        key="withdrawn",
        context={"withdrawn_at": now},
        units=notified,
    )
    return process


@transaction.atomic
def discharge_change_ward(*, process: DischargeProcess, ward, note="", by) -> DischargeProcess:
    """A transfer between wards during the stay: the open discharge moves to the new
    ward, with its open ward steps and deadlines; it is not a new admission."""
    DischargeFlow = flow_of(process)
    with DischargeFlow.lock(process.pk):
        process = DischargeProcess.objects.select_related("ward").get(pk=process.pk)
        _require_ward_member(process, by)
        if not process.is_open:
            raise ValidationError(_("Only an open discharge can move to another ward."))
        if ward is None or ward.kind not in WARD_KINDS or not ward.is_active:
            raise ValidationError(_("Choose an active inpatient ward."))
        if ward.pk == process.ward_id:
            raise ValidationError(_("The patient is already at this ward."))
        old_ward = process.ward
        process.ward = ward
        process.save(update_fields=["ward"])
        _event(
            process=process,
            kind=DischargeEvent.Kind.WARD_CHANGED,
            by=by,
            organisation=old_ward,
            note=" – ".join(filter(None, [f"{old_ward} → {ward}", (note or "").strip()])),
        )
        # Open ward steps move to the new ward's queue (and out of the old one's).
        for task in Task.objects.filter(
            process_id=process.pk,
            flow_task_type="HUMAN",
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
            owner_permission_obj_pk=str(old_ward.pk),
        ):
            task.owner_permission_obj_pk = str(ward.pk)
            task.owner = None
            task.status = STATUS.NEW
            task.save(update_fields=["owner_permission_obj_pk", "owner", "status"])
        for deadline in process.deadlines.select_for_update().filter(
            status="OPEN", responsible_organisation=old_ward
        ):
            deadline.responsible_organisation = ward
            deadline.save(update_fields=["responsible_organisation"])
    return process


# --- Payment responsibility: amounts and agreement levels ------------------------------


@transaction.atomic
def payment_day_rate_set(
    *, year: int, amount_sek: int, source: str, confirmed: bool, by, replace: bool = False
) -> PaymentDayRate:
    """Record Socialstyrelsen's amount per vårddygn for ``year`` (HSLF-FS under
    förordning 2017:617, research P1, P2). A year that has an amount is replaced only
    when asked for explicitly; the amount must be positive and have a source."""
    if year is None or not 2018 <= int(year) <= 2100:
        raise ValidationError(_("Give a year from 2018 on (LUS applies from 2018)."))
    if amount_sek is None or int(amount_sek) <= 0:
        raise ValidationError(_("The amount must be a positive number of kronor."))
    source = (source or "").strip()
    if not source:
        raise ValidationError(
            _("Give the source of the amount (the regulation, e.g. HSLF-FS 2018:67).")
        )
    existing = PaymentDayRate.objects.select_for_update().filter(year=year).first()
    if existing is not None and not replace:
        raise ValidationError(
            _(
                "%(year)s already has an amount (%(amount)s kr). Choose to replace it "
                "explicitly to change it."
            )
            % {"year": year, "amount": existing.amount_sek}
        )
    rate = existing or PaymentDayRate(year=year)
    rate.amount_sek = int(amount_sek)
    rate.source = source
    rate.confirmed = bool(confirmed)
    rate.recorded_at = timezone.now()
    rate.recorded_by = by if by is not None and by.is_authenticated else None
    rate.save()
    logger.info("payment day rate for %s set by user %s", year, getattr(by, "pk", None))
    return rate


def payment_level_periods_overlap(periods) -> list[str]:
    """The care types whose periods overlap, among ``periods`` of one agreement given
    as (care_type, valid_from_date, valid_to_date or None). Pure; used by the service
    and by the admin form before anything is written."""
    overlapping = []
    by_type: dict[str, list] = {}
    for care_type, start, end in periods:
        by_type.setdefault(care_type, []).append((start, end))
    for care_type, spans in sorted(by_type.items()):
        spans.sort(key=lambda span: span[0])
        for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
            if e1 is None or e1 >= s2:
                overlapping.append(care_type)
                break
    return overlapping


@transaction.atomic
def payment_agreement_level_add(
    *, agreement: PaymentAgreement, care_type: str, valid_from_date, valid_to_date, level
) -> PaymentAgreementLevel:
    """Add a stage of free days or of the average level to an agreement. Periods of
    one care type may not overlap; levels are not negative."""
    agreement = PaymentAgreement.objects.select_for_update().get(pk=agreement.pk)
    if level is None or level < 0:
        raise ValidationError(_("The level cannot be negative."))
    if valid_to_date is not None and valid_to_date < valid_from_date:
        raise ValidationError(_("The period ends before it starts."))
    periods = list(agreement.levels.values_list("care_type", "valid_from_date", "valid_to_date"))
    periods.append((care_type, valid_from_date, valid_to_date))
    if payment_level_periods_overlap(periods):
        raise ValidationError(_("The period overlaps another period of the same care type."))
    return PaymentAgreementLevel.objects.create(
        agreement=agreement,
        care_type=care_type,
        valid_from_date=valid_from_date,
        valid_to_date=valid_to_date,
        level=level,
    )
