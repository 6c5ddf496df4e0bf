"""The only writers of SIP data. Flow views, the acknowledgement page and other apps
(the discharge flow, the reminders sweep) call these."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from coordination import clock
from coordination.models import Consent, Huvudman, Membership
from notifications.services import email_enqueue
from workflows import hooks
from workflows.deviations import services as deviations
from workflows.services import (
    deadline_cancel,
    deadline_meet,
    deadline_open,
    process_flow_cancel,
    process_withdrawn_cancel,
    withdrawal_reason_clean,
)

from .models import (
    Invitation,
    InvitationEvent,
    Meeting,
    PlanApproval,
    PlanIntervention,
    PlanVersion,
    SipEvent,
    SipProcess,
)
from .selectors import sip_may_withdraw

INVITATION_RESPONSE = "INVITATION_RESPONSE"
SIP_FOLLOW_UP = "SIP_FOLLOW_UP"
SIP_OWN_CONSENT = "SIP_OWN_CONSENT"
#: How long before the 18th birthday the individual may give their own consent in
#: place of the guardians' (the SIP_OWN_CONSENT deadline reminds from then).
OWN_CONSENT_WINDOW = dt.timedelta(days=30)
ACK_SALT = "sip.invitation.acknowledge"
# What the participant is asked to do within this many hours, never later than the meeting.
DEFAULT_RESPONSE_HOURS = 48
DEFAULT_ACK_LINK_DAYS = 14
FOLLOW_UP_DUE_TIME = dt.time(16, 0)


def response_hours() -> int:
    return int(getattr(settings, "SIP_INVITATION_RESPONSE_HOURS", DEFAULT_RESPONSE_HOURS))


def ack_link_max_age() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "SIP_ACK_LINK_DAYS", DEFAULT_ACK_LINK_DAYS)))


class SharingStopped(ValidationError):
    """Consent was declined or revoked: nothing more may be sent about this SIP."""


def _event(*, sip, kind, by=None, note="", at=None) -> SipEvent:
    return SipEvent.objects.create(sip=sip, kind=kind, by=by, note=note, at=at or timezone.now())


def _locked(sip: SipProcess) -> SipProcess:
    """Lock the SIP's row and refresh the caller's instance in place: flow activations
    hold that instance and save it again when the process ends."""
    list(SipProcess.objects.select_for_update().filter(pk=sip.pk).values_list("pk", flat=True))
    sip.refresh_from_db()
    return sip


def _refuse_unless(sip: SipProcess, transition_name: str) -> None:
    """A step that does not fit the stage the SIP is at is a clear refusal, checked
    before the step writes anything."""
    if not can_proceed(getattr(sip, transition_name)):
        raise ValidationError(
            _("This step cannot be done now: the SIP is at the stage “%(stage)s”.")
            % {"stage": sip.get_stage_display()}
        )


def _stage(sip: SipProcess, transition_name: str) -> None:
    """Move the SIP to its next stage through its FSM transition, never a silent jump."""
    _refuse_unless(sip, transition_name)
    getattr(sip, transition_name)()


def _ensure_sharing_allowed(sip: SipProcess) -> None:
    if sip.sharing_stopped:
        raise SharingStopped(
            _("The consent has been declined or revoked: nothing more may be shared.")
        )


# --- Initiation -----------------------------------------------------------------------


@transaction.atomic
def sip_initiate(
    *, activation, individual, initiating_organisation, reason, participants=(), by
) -> SipProcess:
    """Fill and start a SIP from the start view's activation (SoL 2 kap. 7 §: start
    "utan dröjsmål")."""
    sip = activation.process
    sip.individual = individual
    sip.initiating_organisation = initiating_organisation
    sip.reason = reason
    sip.created_by = by
    activation.execute()
    sip.participants.add(*[o for o in participants if o != initiating_organisation])
    _event(sip=sip, kind=SipEvent.Kind.INITIATED, by=by)
    return sip


def _fill_from_discharge(activation, *, discharge_process, by):
    """StartHandle body: the region's fast vårdkontakt calls the SIP at discharge
    (DOMAIN.md §1.3 step 4, §2.2)."""
    sip = activation.process
    sip.individual = discharge_process.individual
    sip.initiating_organisation = discharge_process.vardcentral
    sip.origin_discharge_id = discharge_process.pk
    sip.created_by = by
    sip.reason = _("Coordinated planning after discharge from inpatient care.")
    sip.save()
    organisations = [
        o
        for o in discharge_process.participating_organisations()
        if o != sip.initiating_organisation
    ]
    sip.participants.add(*organisations)
    lead = getattr(discharge_process, "fast_vardkontakt", None)
    if lead is not None:
        sip.lead_person = lead
        sip.save(update_fields=["lead_person"])
    _event(sip=sip, kind=SipEvent.Kind.INITIATED, by=by, note=_("Started from a discharge."))
    return sip


@transaction.atomic
def sip_start_from_discharge(*, discharge_process, by) -> SipProcess:
    """Start a SIP for the discharge's individual, initiated by its vårdcentral."""
    from .flows import SipFlow  # here: the flow imports this module

    existing = SipProcess.objects.filter(origin_discharge_id=discharge_process.pk).first()
    if existing is not None:
        return existing
    if discharge_process.vardcentral is None:
        raise ValidationError(_("The discharge has no vårdcentral to call the SIP."))
    return SipFlow.start_from_discharge.run(discharge_process=discharge_process, by=by)


# --- Consent --------------------------------------------------------------------------


def custodial_guardians(*, sip: SipProcess):
    return sip.individual.related_persons.filter(kind="VARDNADSHAVARE", has_custody=True)


@transaction.atomic
def child_view_age() -> int:
    """From this age a child's own view is recorded with the guardians' decision
    (``KARDBORRE_CHILD_VIEW_AGE``; 15 by default, the age SoL 11 kap. 10 § gives a
    child its own say)."""
    return int(getattr(settings, "KARDBORRE_CHILD_VIEW_AGE", 15))


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def sip_consent_record(
    *,
    sip,
    decision,
    method,
    given_by_individual=True,
    guardians=(),
    scope_note="",
    child_view="",
    by,
) -> Consent:
    """Record the consent that the plan needs (SoL 2 kap. 7 §; for a child the
    vårdnadshavare, both where both have custody, DOMAIN.md §2.6): who decided (the
    individual, a guardian, a god man or förvaltare), how (in writing or orally) and
    who recorded it. A declined consent ends the SIP with that reason."""
    sip = _locked(sip)
    _refuse_unless(sip, "give_consent")
    if decision not in Consent.Decision.values:
        raise ValidationError(_("Choose a decision."))
    if method not in Consent.Method.values:
        raise ValidationError(_("Say how the consent was given or declined."))
    guardians = list(guardians)
    if any(person.individual_id != sip.individual_id for person in guardians):
        raise ValidationError(_("Choose only persons related to this individual."))
    if sip.is_child:
        required = set(custodial_guardians(sip=sip))
        if not required:
            raise ValidationError(
                _("The individual is a child: register the guardians with custody first.")
            )
        if not required.issubset(set(guardians)):
            raise ValidationError(
                _("For a child, every guardian with custody must take part in the decision.")
            )
        age = age_on(sip.individual.birth_date, clock.today())
        if age >= child_view_age() and not (child_view or "").strip():
            raise ValidationError(
                {
                    "child_view": _(
                        "The child is %(age)s: write the child's own view of the SIP too."
                    )
                    % {"age": age}
                }
            )
    elif not given_by_individual and not guardians:
        raise ValidationError(_("Say who gave or declined the consent."))
    by_individual = given_by_individual and not sip.is_child
    if by_individual:
        role = Consent.GiverRole.INDIVIDUAL
    elif any(person.kind in ("GOD_MAN", "FORVALTARE") for person in guardians):
        role = Consent.GiverRole.GOD_MAN
    else:
        role = Consent.GiverRole.GUARDIAN
    consent = Consent.objects.create(
        individual=sip.individual,
        scope=Consent.Scope.SIP,
        decision=decision,
        given_by_individual=by_individual,
        given_by_role=role,
        method=method,
        scope_note=scope_note,
        child_view=(child_view or "").strip() if sip.is_child else "",
        recorded_by=by,
    )
    consent.given_by.set(guardians)
    sip.consent = consent
    if decision == Consent.Decision.GIVEN:
        _stage(sip, "give_consent")
        _event(sip=sip, kind=SipEvent.Kind.CONSENT_GIVEN, by=by, note=scope_note)
        if role == Consent.GiverRole.GUARDIAN and sip.is_child:
            _guardians_consent_lapses_at_18(sip, consent, by=by)
    else:
        _stage(sip, "decline_consent")
        sip.closed_reason = scope_note or _("Consent declined.")
        _event(sip=sip, kind=SipEvent.Kind.CONSENT_DECLINED, by=by, note=scope_note)
    sip.save(update_fields=["consent", "stage", "closed_reason"])
    return consent


def eighteenth_birthday(individual) -> dt.date:
    birth = individual.birth_date
    try:
        return birth.replace(year=birth.year + 18)
    except ValueError:  # born 29 February: of age on 1 March
        return dt.date(birth.year + 18, 3, 1)


def _guardians_consent_lapses_at_18(sip, consent, *, by) -> None:
    """Custody ends on the 18th birthday (FB 6 kap. 2 §) and the guardians' consent
    with it: the consent is in force until that day, and a deadline asks the
    initiating organisation for the individual's own consent before it."""
    birthday = eighteenth_birthday(sip.individual)
    consent.valid_until = birthday
    consent.save(update_fields=["valid_until"])
    deadline_open(
        process=sip,
        kind=SIP_OWN_CONSENT,
        responsible_organisation=sip.initiating_organisation,
        due_at=clock.start_of_local_day(birthday),
        by=by,
    )


#: The stages in which the individual's own consent replaces the guardians'.
RENEWABLE_STAGES = ("INVITATION", "MEETING", "PLAN", "FOLLOW_UP")


@transaction.atomic
def sip_consent_renew(*, sip, decision, method, scope_note="", by) -> Consent:
    """The individual's own decision in place of the guardians' consent, which lapses
    on the 18th birthday: from 30 days before it. Given, the SIP goes on under the new
    consent (the SIP_OWN_CONSENT deadline is met); declined, the SIP ends and nothing
    more is shared, as when a consent is revoked."""
    SipFlow = sip.flow_class

    sip = _locked(sip)
    current = sip.consent
    if current is None or current.valid_until is None or sip.stage not in RENEWABLE_STAGES:
        raise ValidationError(
            _("Only a consent the guardians gave for a child is replaced by the individual's own.")
        )
    if decision not in Consent.Decision.values:
        raise ValidationError(_("Choose a decision."))
    if method not in Consent.Method.values:
        raise ValidationError(_("Say how the consent was given or declined."))
    earliest = current.valid_until - OWN_CONSENT_WINDOW
    if clock.today() < earliest:
        raise ValidationError(
            _(
                "The individual turns 18 on %(birthday)s: their own consent is recorded "
                "from %(earliest)s."
            )
            % {
                "birthday": formats.date_format(current.valid_until, "j F Y"),
                "earliest": formats.date_format(earliest, "j F Y"),
            }
        )
    consent = Consent.objects.create(
        individual=sip.individual,
        scope=Consent.Scope.SIP,
        decision=decision,
        given_by_individual=True,
        given_by_role=Consent.GiverRole.INDIVIDUAL,
        method=method,
        scope_note=scope_note,
        recorded_by=by,
    )
    sip.consent = consent
    now = timezone.now()
    if decision == Consent.Decision.GIVEN:
        sip.save(update_fields=["consent"])
        deadline_meet(process=sip, kind=SIP_OWN_CONSENT, by=by, at=now)
        _event(
            sip=sip,
            kind=SipEvent.Kind.CONSENT_GIVEN,
            by=by,
            note=scope_note or _("The individual's own consent (18 years)."),
            at=now,
        )
        return consent
    _stage(sip, "revoke_consent")
    sip.closed_reason = scope_note or _("The individual declined at 18.")
    sip.save(update_fields=["consent", "stage", "closed_reason"])
    process_flow_cancel(
        process=sip,
        flow=SipFlow.instance,
        by=by,
        note="consent declined at 18",
        busy_message=_("A step of this SIP is being saved right now. Try again."),
    )
    _event(sip=sip, kind=SipEvent.Kind.CONSENT_DECLINED, by=by, note=scope_note, at=now)
    return consent


@transaction.atomic
def sip_consent_revoke(*, sip, by, note="") -> SipProcess:
    """The person withdraws: sharing stops at once and the SIP ends (DOMAIN.md §2.3).

    The SIP ends through its flow, like a withdrawal: viewflow's ``Flow.cancel``
    cancels every open step, and every open deadline is cancelled
    (``workflows.services.process_flow_cancel``). A SIP already closed keeps its
    finished flow; its consent is revoked all the same.
    """
    SipFlow = sip.flow_class

    sip = _locked(sip)
    if sip.consent is None or not sip.consent.is_in_force:
        raise ValidationError(_("There is no consent in force to revoke."))
    now = timezone.now()
    consent = sip.consent
    consent.revoked_at = now
    consent.revoked_by = by
    consent.save(update_fields=["revoked_at", "revoked_by"])
    _stage(sip, "revoke_consent")
    sip.closed_reason = note or _("Consent revoked.")
    process_flow_cancel(
        process=sip,
        flow=SipFlow.instance,
        by=by,
        note="consent revoked",
        busy_message=_("A step of this SIP is being saved right now. Try again."),
    )
    _event(sip=sip, kind=SipEvent.Kind.CONSENT_REVOKED, by=by, note=note, at=now)
    return sip


# --- Invitations ----------------------------------------------------------------------


def acknowledgement_token(invitation: Invitation) -> str:
    return signing.dumps({"invitation": invitation.pk}, salt=ACK_SALT)


def acknowledgement_url(invitation: Invitation) -> str:
    path = reverse("sip_public:acknowledge", args=[acknowledgement_token(invitation)])
    return settings.SITE_URL.rstrip("/") + path


def invitation_from_token(token: str) -> Invitation:
    """Raises ``signing.SignatureExpired`` or ``signing.BadSignature``, or
    ``Invitation.DoesNotExist``."""
    data = signing.loads(token, salt=ACK_SALT, max_age=ack_link_max_age())
    return Invitation.objects.select_related("meeting__sip").get(pk=data["invitation"])


def invitation_recipient(*, invitation_id) -> tuple[str, str]:
    """Where to remind about an invitation, and its one-click acknowledgement link.

    The address is "" when there is none or when consent no longer allows sharing.
    """
    invitation = Invitation.objects.select_related(
        "meeting__sip__consent", "organisation", "staff_user", "related_person"
    ).get(pk=invitation_id)
    url = acknowledgement_url(invitation)
    if invitation.meeting.sip.sharing_stopped:
        return "", url
    return invitation.email, url


def _response_due_at(meeting: Meeting, now) -> dt.datetime:
    return min(now + dt.timedelta(hours=response_hours()), meeting.starts_at)


def _local(value) -> str:
    # Emails are read outside any request: always the site language (Swedish).
    with translation.override(settings.LANGUAGE_CODE):
        return formats.date_format(timezone.localtime(value), "j b Y H:i")


#: A SIP meeting in the participants' calendars lasts this long unless they change it.
MEETING_LENGTH = dt.timedelta(hours=1)


def meeting_calendar_event(meeting: Meeting, *, ack_url="", cancelled=False) -> dict:
    """The meeting as a calendar event for the invitation email (``notifications.
    calendar``): where and when, the answer link; no name or health data. The same uid
    with a higher sequence withdraws it. In the site's language, like the email."""
    with translation.override(settings.LANGUAGE_CODE):
        return _meeting_calendar_event(meeting, ack_url=ack_url, cancelled=cancelled)


def _meeting_calendar_event(meeting: Meeting, *, ack_url, cancelled) -> dict:
    sip = meeting.sip
    where = meeting.place or (
        _("Digital meeting")
        if meeting.meeting_link
        else _("Phone %(phone)s") % {"phone": meeting.phone}
    )
    lines = []
    if meeting.meeting_link:
        lines.append(_("Digital meeting: %(link)s") % {"link": meeting.meeting_link})
    if ack_url:
        lines.append(_("Answer the invitation: %(url)s") % {"url": ack_url})
    return {
        "uid": f"sip-meeting-{meeting.pk}@{settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN}",
        "start": meeting.starts_at.isoformat(),
        "end": (meeting.starts_at + MEETING_LENGTH).isoformat(),
        "summary": str(_("SIP meeting (SIP #%(pk)s)") % {"pk": sip.pk}),
        "location": str(where),
        "description": "\n".join(str(line) for line in lines),
        "url": ack_url,
        "sequence": 1 if cancelled else 0,
        "cancelled": cancelled,
    }


def _enqueue_invitation_email(invitation: Invitation) -> None:
    meeting = invitation.meeting
    sip = meeting.sip
    email_enqueue(
        idempotency_key=f"sips:invitation:{invitation.pk}:sent",
        to=invitation.email,
        template="sip/emails/invitation",
        context={
            "case_reference": f"SIP #{sip.pk}",
            "initiator": str(sip.initiating_organisation),
            "meeting_at": _local(meeting.starts_at),
            "place": meeting.place,
            "meeting_link": meeting.meeting_link,
            "phone": meeting.phone,
            "respond_by": _local(_response_due_at(meeting, invitation.sent_at)),
            "acknowledge_url": acknowledgement_url(invitation),
            "calendar_event": meeting_calendar_event(
                meeting, ack_url=acknowledgement_url(invitation)
            ),
        },
        process=sip,
    )


def _transition(invitation, name, *, by=None, via_link=False, reason="", channel="", args=()):
    source = invitation.state
    getattr(invitation, name)(*args)
    invitation.save()
    InvitationEvent.objects.create(
        invitation=invitation,
        from_state=source,
        to_state=invitation.state,
        by=by,
        via_link=via_link,
        reason=reason,
        channel=channel,
    )


def _kallelse_check(sip: SipProcess, *, by) -> None:
    """A SIP called at a discharge: once every invitation of its meeting has gone out
    (none left as a draft waiting for a second channel), the discharge's kallelse is
    sent (``workflows.hooks.KALLELSE_SENT``, provided by the discharge app)."""
    if sip.origin_discharge_id is None:
        return
    invitations = Invitation.objects.filter(meeting__sip=sip).exclude(
        state=Invitation.State.WITHDRAWN
    )
    if not invitations.exists() or invitations.filter(state=Invitation.State.DRAFT).exists():
        return
    kallelse_sent = hooks.provided(hooks.KALLELSE_SENT)
    if kallelse_sent is not None:
        kallelse_sent(process_id=sip.origin_discharge_id, by=by, at=timezone.now())


def _responsible_organisation(invitation: Invitation):
    return invitation.organisation or invitation.meeting.sip.initiating_organisation


@transaction.atomic
def invitation_send(*, invitation, by) -> Invitation:
    """DRAFT → SENT: email the participant and open the answer deadline.

    Raises ``TransitionNotAllowed`` when a required second channel is missing or the
    invitation is not a draft, ``SharingStopped`` when consent no longer allows it.
    """
    invitation = (
        Invitation.objects.select_for_update().select_related("meeting__sip").get(pk=invitation.pk)
    )
    sip = invitation.meeting.sip
    _ensure_sharing_allowed(sip)
    _transition(invitation, "send", by=by, channel=invitation.channel)
    deadline_open(
        process=sip,
        kind=INVITATION_RESPONSE,
        responsible_organisation=_responsible_organisation(invitation),
        due_at=_response_due_at(invitation.meeting, invitation.sent_at),
        subject_key=f"invitation:{invitation.pk}",
        by=by,
    )
    if invitation.email:
        _enqueue_invitation_email(invitation)
    _kallelse_check(sip, by=by)
    return invitation


@transaction.atomic
def invitation_record_second_channel(*, invitation, channel, note="", by) -> Invitation:
    """Log the second channel (who, when, how) for an organisation that the planning IT
    support may not reach, then send the invitation."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _ensure_sharing_allowed(invitation.meeting.sip)
    if invitation.state != Invitation.State.DRAFT or not invitation.needs_second_channel:
        raise ValidationError(_("This invitation does not need a second channel."))
    if channel == Invitation.Channel.FUNCTIONAL_MAILBOX:
        if not invitation.organisation.functional_mailbox:
            raise ValidationError(_("The organisation has no functional mailbox."))
        invitation.email = invitation.organisation.functional_mailbox
    elif channel == Invitation.Channel.PHONE:
        if not note.strip():
            raise ValidationError(_("Write whom you spoke to and what was agreed."))
    else:
        raise ValidationError(_("Choose the functional mailbox or a phone call."))
    invitation.second_channel = channel
    invitation.second_channel_at = timezone.now()
    invitation.second_channel_by = by
    invitation.second_channel_note = note
    invitation.save(
        update_fields=[
            "email",
            "second_channel",
            "second_channel_at",
            "second_channel_by",
            "second_channel_note",
        ]
    )
    _event(
        sip=invitation.meeting.sip,
        kind=SipEvent.Kind.SECOND_CHANNEL,
        by=by,
        note=f"{invitation.participant_label}: {invitation.get_second_channel_display()} {note}",
    )
    return invitation_send(invitation=invitation, by=by)


STAFF_ACTIONS = {
    "acknowledge": Invitation.State.ACKNOWLEDGED,
    "accept": Invitation.State.ACCEPTED,
    "decline": Invitation.State.DECLINED,
    "mark_undeliverable": Invitation.State.UNDELIVERABLE,
}


@transaction.atomic
def invitation_set_state(*, invitation, action, reason, by) -> Invitation:
    """Staff record an answer given outside the system (phone, mail), with a logged
    reason. Raises ``TransitionNotAllowed`` for a move the state machine forbids."""
    if action not in STAFF_ACTIONS:
        raise ValidationError(_("Unknown action."))
    if not reason.strip():
        raise ValidationError(_("Give a reason; it is logged."))
    invitation = (
        Invitation.objects.select_for_update().select_related("meeting__sip").get(pk=invitation.pk)
    )
    sip = invitation.meeting.sip
    args = (reason,) if action == "decline" else ()
    _transition(invitation, action, by=by, reason=reason, args=args)
    subject_key = f"invitation:{invitation.pk}"
    if action == "acknowledge":
        deadline_meet(process=sip, kind=INVITATION_RESPONSE, subject_key=subject_key, by=by)
    elif action == "mark_undeliverable":
        deadline_cancel(
            process=sip,
            kind=INVITATION_RESPONSE,
            subject_key=subject_key,
            by=by,
            note="undeliverable",
        )
    return invitation


@transaction.atomic
def invitation_answer_via_link(*, invitation, action, reason="") -> tuple[Invitation, bool]:
    """The participant's one-click answer. Returns (invitation, changed); a second click
    changes nothing and writes no event."""
    invitation = (
        Invitation.objects.select_for_update().select_related("meeting__sip").get(pk=invitation.pk)
    )
    sip = invitation.meeting.sip
    if action == "acknowledge":
        if invitation.state != Invitation.State.SENT:
            return invitation, False
        _transition(invitation, "acknowledge", via_link=True)
        deadline_meet(
            process=sip, kind=INVITATION_RESPONSE, subject_key=f"invitation:{invitation.pk}"
        )
        return invitation, True
    if action in ("accept", "decline"):
        if invitation.state != Invitation.State.ACKNOWLEDGED:
            return invitation, False
        args = (reason,) if action == "decline" else ()
        _transition(invitation, action, via_link=True, reason=reason, args=args)
        return invitation, True
    raise ValidationError(_("Unknown action."))


# --- Meeting --------------------------------------------------------------------------


def _accept_own_invitation(*, meeting: Meeting, organisation, by) -> Invitation:
    invitation = Invitation.objects.create(
        meeting=meeting,
        kind=Invitation.Kind.ORGANISATION,
        organisation=organisation,
        email="",
        channel=Invitation.Channel.SYSTEM,
        needs_second_channel=False,
    )
    reason = _("The initiating organisation calls the meeting.")
    for name in ("send", "acknowledge", "accept"):
        _transition(invitation, name, by=by, reason=reason, channel=invitation.channel)
    return invitation


def _meeting_with_invitations(
    sip,
    *,
    starts_at,
    place,
    meeting_link,
    phone,
    interpreter_language,
    organisations,
    staff_users,
    include_individual,
    related_persons,
    by,
):
    """A meeting and its invitations (drafts), the initiator's own place taken."""
    meeting = Meeting.objects.create(
        sip=sip,
        starts_at=starts_at,
        place=place,
        meeting_link=meeting_link,
        phone=phone,
        interpreter_language=(interpreter_language or "").strip(),
    )
    invitations = []
    for organisation in organisations:
        if organisation == sip.initiating_organisation:
            # The initiator calls the meeting: its own place is taken at once, with no
            # invitation to answer, no answer deadline and no email to itself.
            _accept_own_invitation(meeting=meeting, organisation=organisation, by=by)
            continue
        sip.participants.add(organisation)
        invitations.append(
            Invitation.objects.create(
                meeting=meeting,
                kind=Invitation.Kind.ORGANISATION,
                organisation=organisation,
                email=organisation.functional_mailbox,
                channel=Invitation.Channel.SYSTEM,
                needs_second_channel=organisation.needs_second_channel,
            )
        )
    for user in staff_users:
        invitations.append(
            Invitation.objects.create(
                meeting=meeting,
                kind=Invitation.Kind.STAFF,
                staff_user=user,
                email=user.email,
                channel=Invitation.Channel.EMAIL,
            )
        )
    if include_individual:
        individual = sip.individual
        invitations.append(
            Invitation.objects.create(
                meeting=meeting,
                kind=Invitation.Kind.INDIVIDUAL,
                email=individual.email,
                channel=Invitation.Channel.EMAIL if individual.email else Invitation.Channel.LETTER,
            )
        )
    for person in related_persons:
        invitations.append(
            Invitation.objects.create(
                meeting=meeting,
                kind=Invitation.Kind.RELATED_PERSON,
                related_person=person,
                email=person.email,
                channel=Invitation.Channel.EMAIL if person.email else Invitation.Channel.LETTER,
            )
        )
    return meeting, invitations


@transaction.atomic
def sip_invite(
    *,
    sip,
    starts_at,
    place="",
    meeting_link="",
    phone="",
    organisations=(),
    staff_users=(),
    include_individual=False,
    related_persons=(),
    interpreter_language="",
    by,
) -> Meeting:
    """Plan the meeting and invite every participant (DOMAIN.md §2.4).

    Invitations to organisations the planning IT support may not reach stay drafts,
    flagged, until a second channel is logged.
    """
    sip = _locked(sip)
    _ensure_sharing_allowed(sip)
    _refuse_unless(sip, "schedule_meeting")
    if not (place or meeting_link or phone):
        raise ValidationError(_("Give a place, a secure meeting link or a phone number."))
    meeting, invitations = _meeting_with_invitations(
        sip,
        starts_at=starts_at,
        place=place,
        meeting_link=meeting_link,
        phone=phone,
        interpreter_language=interpreter_language,
        organisations=organisations,
        staff_users=staff_users,
        include_individual=include_individual,
        related_persons=related_persons,
        by=by,
    )
    _stage(sip, "schedule_meeting")
    sip.save(update_fields=["stage"])
    _event(
        sip=sip,
        kind=SipEvent.Kind.MEETING_SCHEDULED,
        by=by,
        note=_local(starts_at),
    )
    for invitation in invitations:
        if not invitation.needs_second_channel:
            invitation_send(invitation=invitation, by=by)
    _kallelse_check(sip, by=by)
    return meeting


@transaction.atomic
def sip_follow_up_meeting_schedule(
    *, sip, starts_at, place="", meeting_link="", phone="", include_individual=True, by
) -> Meeting:
    """Call the follow-up meeting of the plan in force: the organisations with an
    intervention in it and (if wished) the individual are invited, each invitation
    with its own answer deadline, as at the first meeting; unreachable units wait for
    their second channel. Only while the plan is followed up, in the future, and on
    or before its follow-up date."""
    sip = _locked(sip)
    _ensure_sharing_allowed(sip)
    if sip.stage != SipProcess.Stage.FOLLOW_UP:
        raise ValidationError(_("A follow-up meeting is called once the plan is saved."))
    if not (place or meeting_link or phone):
        raise ValidationError(_("Give a place, a secure meeting link or a phone number."))
    plan = sip.plan_versions.prefetch_related("interventions__organisation").first()
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("The meeting must be in the future.")})
    if clock.local_date(starts_at) > plan.follow_up_date:
        raise ValidationError(
            {
                "starts_at": _("The plan is followed up by %(day)s: meet on or before it.")
                % {"day": formats.date_format(plan.follow_up_date, "j F Y")}
            }
        )
    organisations = []
    for item in plan.interventions.all():
        if item.organisation not in organisations:
            organisations.append(item.organisation)
    meeting, invitations = _meeting_with_invitations(
        sip,
        starts_at=starts_at,
        place=place,
        meeting_link=meeting_link,
        phone=phone,
        interpreter_language="",
        organisations=organisations,
        staff_users=(),
        include_individual=include_individual,
        related_persons=(),
        by=by,
    )
    _event(
        sip=sip,
        kind=SipEvent.Kind.MEETING_SCHEDULED,
        by=by,
        note=_("Follow-up meeting %(at)s") % {"at": _local(starts_at)},
    )
    for invitation in invitations:
        if not invitation.needs_second_channel:
            invitation_send(invitation=invitation, by=by)
    return meeting


@transaction.atomic
def sip_meeting_record(*, sip, meeting, attendance, notes="", by) -> Meeting:
    """Record who came. ``attendance`` maps invitation pk → (ATTENDED | ABSENT |
    ATTENDED_LATE | REPLACED, note). Invitations still unanswered at the meeting are
    recorded as such, for the deviation register."""
    sip = _locked(sip)
    _refuse_unless(sip, "hold_meeting")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk, sip=sip)
    meeting.held_at = timezone.now()
    meeting.notes = notes
    meeting.save(update_fields=["held_at", "notes"])
    for invitation in meeting.invitations.select_for_update():
        value, note = attendance.get(invitation.pk, ("", ""))
        if value and value not in Invitation.Attendance.values:
            raise ValidationError(_("Unknown attendance value."))
        invitation.attendance = value
        invitation.attendance_note = note
        invitation.unanswered_at_meeting = invitation.is_unanswered
        invitation.save(update_fields=["attendance", "attendance_note", "unanswered_at_meeting"])
        _draft_participation_deviation(sip=sip, meeting=meeting, invitation=invitation)
    _stage(sip, "hold_meeting")
    sip.save(update_fields=["stage"])
    _event(sip=sip, kind=SipEvent.Kind.MEETING_HELD, by=by, note=notes)
    return meeting


# --- Plan and follow-up -----------------------------------------------------------------


def follow_up_organisation(sip):
    """Who follows the plan up: the organisation of the plan's lead person (the one
    the follow-up deadline is opened for), else the initiating organisation. The
    follow-up task is routed to the same organisation (``SipFlow.follow_up``)."""
    return _lead_organisation(sip, sip.lead_person)


def _lead_organisation(sip, lead_person):
    if lead_person is not None:
        for organisation in sip.participating_organisations():
            if Membership.objects.filter(
                user=lead_person, organisation=organisation, is_active=True
            ).exists():
                return organisation
    return sip.initiating_organisation


@transaction.atomic
def sip_plan_save(
    *,
    sip,
    overall_responsibility,
    own_goals,
    follow_up_date,
    interventions,
    others_actions="",
    lead_person=None,
    one_huvudman_reason="",
    by,
) -> PlanVersion:
    """Save a new plan version (earlier versions are kept) and open the follow-up
    deadline on its follow-up date.

    A SIP coordinates the kommun's and the region's interventions (SoL 2 kap. 7 §,
    HSL 16 kap. 4 §): a plan whose interventions all come from one principal needs the
    reason recorded. The follow-up comes after the last meeting held."""
    sip = _locked(sip)
    _ensure_sharing_allowed(sip)
    _refuse_unless(sip, "save_plan")
    if not interventions:
        raise ValidationError(_("The plan needs at least one intervention."))
    sides = {item["organisation"].effective_huvudman for item in interventions}
    one_huvudman_reason = (one_huvudman_reason or "").strip()
    if len(sides) < 2 and not one_huvudman_reason:
        side = _("the kommun") if Huvudman.KOMMUN in sides else _("the region")
        raise ValidationError(
            {
                "one_huvudman_reason": _(
                    "Every intervention comes from the %(side)s: add the other principal's "
                    "interventions, or write why only one principal takes part."
                )
                % {"side": side}
            }
        )
    last_meeting = sip.meetings.filter(held_at__isnull=False).order_by("-starts_at").first()
    if last_meeting is not None and follow_up_date <= clock.local_date(last_meeting.starts_at):
        raise ValidationError(
            {"follow_up_date": _("The follow-up date must be after the meeting it follows.")}
        )
    number = (sip.plan_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    plan = PlanVersion.objects.create(
        sip=sip,
        number=number,
        overall_responsibility=overall_responsibility,
        lead_person=lead_person,
        own_goals=own_goals,
        others_actions=others_actions,
        follow_up_date=follow_up_date,
        one_huvudman_reason=one_huvudman_reason if len(sides) < 2 else "",
        created_by=by,
    )
    for item in interventions:
        PlanIntervention.objects.create(
            plan=plan,
            description=item["description"],
            organisation=item["organisation"],
            start_date=item["start_date"],
            responsible=(item.get("responsible") or "").strip()[:200],
        )
        if item["organisation"] != sip.initiating_organisation:
            sip.participants.add(item["organisation"])
    sip.lead_huvudman = overall_responsibility
    sip.lead_person = lead_person
    _stage(sip, "save_plan")
    sip.save(update_fields=["lead_huvudman", "lead_person", "stage"])
    due_at = timezone.make_aware(dt.datetime.combine(follow_up_date, FOLLOW_UP_DUE_TIME))
    deadline_open(
        process=sip,
        kind=SIP_FOLLOW_UP,
        responsible_organisation=_lead_organisation(sip, lead_person),
        responsible_user=lead_person,
        due_at=due_at,
        by=by,
    )
    _event(sip=sip, kind=SipEvent.Kind.PLAN_VERSION, by=by, note=f"v{number}")
    plan_saved = hooks.provided(hooks.SIP_PLAN_SAVED)
    if sip.origin_discharge_id and plan_saved is not None:
        plan_saved(process_id=sip.origin_discharge_id, by=by, at=plan.created_at)
    return plan


def plan_approvers(plan) -> list:
    """The organisations whose approval a plan version asks for: the initiating one
    and every organisation with an intervention in it."""
    organisations = [plan.sip.initiating_organisation]
    for item in plan.interventions.all():
        if item.organisation not in organisations:
            organisations.append(item.organisation)
    return organisations


@transaction.atomic
def sip_plan_approve(*, sip, plan, by, organisation=None, by_individual=False, note=""):
    """Record one participant's approval of the current plan version: an organisation
    the plan asks (by one of its staff), or the individual (recorded by the initiating
    organisation's staff). Each once per version."""
    sip = _locked(sip)
    _ensure_sharing_allowed(sip)
    current = sip.plan_versions.order_by("-number").first()
    if current is None or plan.pk != current.pk:
        raise ValidationError(_("Only the current version of the plan can be approved."))
    if by_individual:
        if not Membership.objects.filter(
            user=by, organisation=sip.initiating_organisation, is_active=True
        ).exists():
            raise PermissionDenied(_("The initiating organisation records the individual's view."))
        if plan.approvals.filter(by_individual=True).exists():
            raise ValidationError(_("The individual's approval is already recorded."))
        organisation = None
    else:
        if organisation is None or organisation not in plan_approvers(plan):
            raise ValidationError(_("This organisation is not asked to approve the plan."))
        if not Membership.objects.filter(
            user=by, organisation=organisation, is_active=True
        ).exists():
            raise PermissionDenied(_("Only the organisation's own staff approve for it."))
        if plan.approvals.filter(organisation=organisation).exists():
            raise ValidationError(
                _("%(name)s has already approved this version.") % {"name": organisation.name}
            )
    approval = PlanApproval.objects.create(
        plan=plan,
        organisation=organisation,
        by_individual=by_individual,
        approved_by=by,
        note=(note or "").strip()[:300],
    )
    who = organisation.name if organisation else _("the individual")
    _event(
        sip=sip,
        kind=SipEvent.Kind.PLAN_APPROVED,
        by=by,
        note=f"v{plan.number}: {who}",
    )
    return approval


@transaction.atomic
def sip_follow_up_record(*, sip, close, note="", by) -> SipProcess:
    """The follow-up was done: either revise the plan (a new version) or close the SIP."""
    sip = _locked(sip)
    _stage(sip, "close" if close else "revise_plan")
    deadline_meet(process=sip, kind=SIP_FOLLOW_UP, by=by)
    if close:
        sip.closed_reason = note
        deadline_cancel(process=sip, kind=SIP_OWN_CONSENT, by=by, note="SIP closed")
        _event(sip=sip, kind=SipEvent.Kind.CLOSED, by=by, note=note)
    else:
        _event(sip=sip, kind=SipEvent.Kind.FOLLOW_UP_REVISE, by=by, note=note)
    sip.save(update_fields=["stage", "closed_reason"])
    return sip


@transaction.atomic
def invitations_record_unanswered_at_meeting(*, now=None) -> int:
    """Record, once the meeting time has come, every invitation still without an answer.

    Idempotent and cheap (only meetings that have started and whose unanswered
    invitations are not yet recorded): a periodic sweep may call it. The meeting
    step records the same fact when attendance is entered.
    """
    now = now or timezone.now()
    unanswered = (
        Invitation.objects.filter(
            meeting__starts_at__lte=now,
            unanswered_at_meeting=False,
            state__in=[
                Invitation.State.DRAFT,
                Invitation.State.SENT,
                Invitation.State.UNDELIVERABLE,
            ],
        )
        .exclude(meeting__sip__stage__in=[SipProcess.Stage.CONSENT_REVOKED])
        .select_related("meeting__sip__initiating_organisation", "organisation")
        .select_for_update(of=("self",), skip_locked=True)
    )
    count = 0
    for invitation in unanswered:
        invitation.unanswered_at_meeting = True
        invitation.save(update_fields=["unanswered_at_meeting"])
        _draft_participation_deviation(
            sip=invitation.meeting.sip, meeting=invitation.meeting, invitation=invitation
        )
        count += 1
    return count


def _draft_participation_deviation(*, sip, meeting, invitation) -> None:
    """An organisation absent from the meeting, or that never answered its invitation,
    gets a deviation drafted for the MAS to review (DOMAIN §2.8): one per cause."""
    if invitation.organisation_id is None:
        return  # persons are not organisations that can be asked to explain
    if invitation.attendance == Invitation.Attendance.ABSENT:
        deviations.deviation_draft_from_absence(
            process=sip,
            organisation=invitation.organisation,
            kind=deviations.ABSENT,
            subject_key=f"meeting:{meeting.pk}",
            occurred_at=meeting.held_at or meeting.starts_at,
            reporting_organisation=sip.initiating_organisation,
        )
    elif invitation.unanswered_at_meeting:
        deviations.deviation_draft_from_absence(
            process=sip,
            organisation=invitation.organisation,
            kind=deviations.NOT_ANSWERED,
            subject_key=f"invitation:{invitation.pk}",
            occurred_at=meeting.starts_at,
            reporting_organisation=sip.initiating_organisation,
        )


# --- Withdrawal (makulering) ------------------------------------------------------------


@transaction.atomic
def sip_withdraw(*, sip, reason: str, by) -> SipProcess:
    """Withdraw a SIP registered in error (makulering).

    Only the initiating organisation (or an administrator who may see the SIP)
    withdraws, with a reason. The flow is cancelled through viewflow's own
    ``Flow.cancel``; every open deadline and invitation is cancelled; every participant
    whose invitation was sent is told (no personal data in the email). The SIP is kept,
    marked withdrawn. A second withdrawal changes nothing and sends nothing.
    """
    SipFlow = sip.flow_class

    sip = _locked(sip)
    if not sip_may_withdraw(user=by, sip=sip):
        raise PermissionDenied(_("Only the initiating organisation can withdraw this SIP."))
    if sip.is_withdrawn:
        return sip
    reason = withdrawal_reason_clean(reason)
    now = timezone.now()
    _stage(sip, "withdraw")
    process_withdrawn_cancel(
        process=sip,
        flow=SipFlow.instance,
        reason=reason,
        by=by,
        now=now,
        busy_message=_("A step of this SIP is being saved right now. Try again."),
    )
    _event(sip=sip, kind=SipEvent.Kind.WITHDRAWN, by=by, note=reason, at=now)
    for invitation in (
        Invitation.objects.select_for_update()
        .filter(meeting__sip=sip)
        .exclude(state__in=[Invitation.State.DECLINED, Invitation.State.WITHDRAWN])
    ):
        was_sent = invitation.sent_at is not None
        _transition(invitation, "withdraw", by=by, reason=_("SIP withdrawn"))
        if was_sent and invitation.email:
            _enqueue_withdrawal_email(invitation, withdrawn_at=now)
    return sip


def _enqueue_withdrawal_email(invitation: Invitation, *, withdrawn_at) -> None:
    sip = invitation.meeting.sip
    email_enqueue(
        idempotency_key=f"sips:invitation:{invitation.pk}:withdrawn",
        to=invitation.email,
        template="sip/emails/withdrawn",
        context={
            "case_reference": f"SIP #{sip.pk}",
            "initiator": str(sip.initiating_organisation),
            "meeting_at": _local(invitation.meeting.starts_at),
            "withdrawn_at": _local(withdrawn_at),
            "calendar_event": meeting_calendar_event(invitation.meeting, cancelled=True),
        },
        process=sip,
        organisation=invitation.organisation,
    )
