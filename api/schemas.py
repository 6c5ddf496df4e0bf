"""Request and response bodies. Requests forbid unknown fields; choice values are
the stable uppercase codes of the models, never labels."""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from coordination import personnummer
from workflows.deviations.models import Deviation
from workflows.discharge.models import CareType, DischargeUnit, Judgement, Stage, UnitRole

TEXT = 5000
#: The shape of a personnummer or samordningsnummer (the check digit is checked after).
PNR_PATTERN = r"^(\d{2})?\d{6}[-+]?\d{4}$"


class Input(Schema):
    """A request body: unknown fields are refused; times must carry their offset."""

    model_config = ConfigDict(extra="forbid")


def _personnummer(value: str) -> str:
    try:
        return personnummer.parse(value).formatted
    except DjangoValidationError as exc:
        raise ValueError(" ".join(str(m) for m in exc.messages)) from exc


# --- Shared -----------------------------------------------------------------------------


class OrganisationRef(Schema):
    id: int
    name: str


class IndividualOut(Schema):
    personal_identity_number: str
    protected_identity: bool
    # Empty for a protected identity (skyddad identitet).
    given_name: str
    family_name: str


class Page(Schema):
    count: int
    limit: int
    offset: int


# --- ADT events -------------------------------------------------------------------------


class AdmitEvent(Input):
    event_id: str = Field(min_length=1, max_length=100)
    personal_identity_number: str = Field(max_length=13, pattern=PNR_PATTERN)
    ward_id: int
    admitted_at: AwareDatetime
    care_type: CareType = CareType.SOMATIC
    judgement: Judgement = Judgement.PENDING
    leaves_for_open_compulsory_care: bool = False
    late_registration_reason: str = Field("", max_length=300)

    _pnr = field_validator("personal_identity_number")(_personnummer)


class TransferEvent(Input):
    event_id: str = Field(min_length=1, max_length=100)
    personal_identity_number: str = Field(max_length=13, pattern=PNR_PATTERN)
    ward_id: int
    note: str = Field("", max_length=300)

    _pnr = field_validator("personal_identity_number")(_personnummer)


class DischargeEventIn(Input):
    event_id: str = Field(min_length=1, max_length=100)
    personal_identity_number: str = Field(max_length=13, pattern=PNR_PATTERN)
    discharged_at: AwareDatetime
    information_sent_at: AwareDatetime
    individual_declined_interventions: bool = False

    _pnr = field_validator("personal_identity_number")(_personnummer)


class EventResult(Schema):
    event_id: str
    event_type: Literal["ADMIT", "TRANSFER", "DISCHARGE"]
    discharge_id: int
    stage: Stage
    replayed: bool = Field(
        description="True when this is the stored result of an earlier request with the "
        "same event id."
    )


# --- Discharge --------------------------------------------------------------------------


class UnitOut(Schema):
    role: UnitRole
    organisation: OrganisationRef
    notified_at: dt.datetime | None
    ack_state: DischargeUnit.AckState
    ack_reason: str
    ack_at: dt.datetime | None
    interventions_needed: bool | None
    planned_at: dt.datetime | None


class DeadlineOut(Schema):
    kind: str
    subject_key: str
    responsible_organisation: OrganisationRef | None
    due_at: dt.datetime
    status: Literal["OPEN", "MET", "BREACHED", "CANCELLED"]
    overdue: bool
    met_at: dt.datetime | None
    escalation_level: int


class ReadyNoticeOut(Schema):
    issued_at: dt.datetime
    recorded_at: dt.datetime
    acknowledged_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revocation_reason: str


class OpenStep(Schema):
    step: str
    organisation_id: int | None


class DischargeSummary(Schema):
    id: int
    stage: Stage
    personal_identity_number: str
    ward: OrganisationRef
    admitted_at: AwareDatetime
    estimated_discharge_date: dt.date | None
    ready_for_discharge_at: dt.datetime | None
    discharged_at: dt.datetime | None


class DischargePage(Page):
    items: list[DischargeSummary]


class DischargeOut(Schema):
    id: int
    stage: Stage
    individual: IndividualOut
    ward: OrganisationRef
    admitted_at: AwareDatetime
    care_type: CareType
    judgement: Judgement
    judged_at: dt.datetime | None
    late_registration_reason: str
    estimated_discharge_date: dt.date | None
    admission_notice_sent_at: dt.datetime | None
    vardcentral: OrganisationRef | None
    fast_vardkontakt_appointed_at: dt.datetime | None
    ready_for_discharge_at: dt.datetime | None
    ready_notices: list[ReadyNoticeOut]
    sip_kallelse_sent_at: dt.datetime | None
    discharged_at: dt.datetime | None
    discharge_information_sent_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    units: list[UnitOut]
    deadlines: list[DeadlineOut]
    open_steps: list[OpenStep]


class JudgementIn(Input):
    judgement: Literal["MAY_NEED", "NO_NEED"]


class AdmissionNoticeIn(Input):
    socialtjanst_id: int | None = None
    kommunal_hsv_id: int | None = None
    vardcentral_id: int | None = None
    estimated_discharge_date: dt.date


class UnitAnswerIn(Input):
    answer: Literal["ACKNOWLEDGED", "REJECTED_NOT_RESIDENT", "NOT_KNOWN"]
    reason: str = Field("", max_length=300)
    forward_to: int | Literal["unknown"] | None = Field(
        None,
        description=(
            "Only with `REJECTED_NOT_RESIDENT` from a kommun unit: the organisation id of "
            "the right kommun's receiving unit for the same role (the notice is forwarded "
            'to it at once), or `"unknown"` when the right kommun is not known (the '
            "reason says why). Omitted means unknown."
        ),
    )

    @field_validator("forward_to", mode="before")
    @classmethod
    def _unit_or_unknown(cls, value):
        # One error for the field rather than one per member of the union.
        if value is None or value == "unknown":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise ValueError('an organisation id or "unknown"')


class ReadyNoticeIn(Input):
    issued_at: AwareDatetime | None = Field(
        None, description="When the patient was judged ready; default now."
    )
    backdate_reason: str = Field("", max_length=300)


class RevocationIn(Input):
    reason: str = Field(min_length=1, max_length=300)


class FastVardkontaktIn(Input):
    person_username: str = Field(
        min_length=1,
        max_length=150,
        description="The sign-in name of the vårdcentral's member appointed as fast "
        "vårdkontakt (a person, not a system).",
    )


class UnitPlanIn(Input):
    interventions_needed: bool
    planned_interventions: str = Field(
        "", max_length=TEXT, description="Required when interventions are needed."
    )


class SipKallelseIn(Input):
    action: Literal["SENT", "SKIPPED"] = Field(
        description="`SENT`: the kallelse to SIP is sent (a SIP linked to the discharge "
        "starts); `SKIPPED`: none, the person already has a valid SIP (give the reason)."
    )
    skipped_reason: str = Field("", max_length=300)


# --- SIP --------------------------------------------------------------------------------


class SipStartIn(Input):
    personal_identity_number: str = Field(max_length=13, pattern=PNR_PATTERN)
    initiated_by: str = Field(
        min_length=1,
        max_length=150,
        description="The HSA id (the user name) of the staff member who found the need and "
        "initiates: an active member of the client's organisation in a role that calls SIPs "
        "(case officer, designated care contact, nurse, physician, KSA), as on the page.",
    )
    reason: str = Field(min_length=1, max_length=TEXT)
    participant_ids: list[int] = Field(
        [], max_length=50, description="Organisations to take part (besides the client's)."
    )

    _pnr = field_validator("personal_identity_number")(_personnummer)


class SipConsentIn(Input):
    decision: Literal["GIVEN", "DECLINED"]
    method: Literal["WRITTEN", "ORAL"]
    given_by_individual: bool = True
    guardian_ids: list[int] = Field(
        [],
        max_length=10,
        description="Related persons (guardians with custody, god man, förvaltare) who "
        "decided; for a child every guardian with custody.",
    )
    scope_note: str = Field("", max_length=TEXT)
    child_view: str = Field(
        "",
        max_length=TEXT,
        description="A child's own view, in the child's words; required from the age "
        "KARDBORRE_CHILD_VIEW_AGE (15 by default).",
    )


class SipFollowUpIn(Input):
    decision: Literal["REVISE", "CLOSE"] = Field(
        description="`REVISE`: the plan needs a new version (the plan step opens again); "
        "`CLOSE`: the SIP is closed."
    )
    note: str = Field("", max_length=TEXT)


class SipConsentRevokeIn(Input):
    note: str = Field("", max_length=300)


class SipConsentRenewIn(Input):
    decision: Literal["GIVEN", "DECLINED"]
    method: Literal["WRITTEN", "ORAL"]
    scope_note: str = Field("", max_length=500)


class SipWithdrawIn(Input):
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why the SIP was registered in error; the invited are told that it "
        "was withdrawn (not the reason).",
    )


class SipPlanApproveIn(Input):
    party: Literal["ORGANISATION", "INDIVIDUAL"] = Field(
        "ORGANISATION",
        description="`ORGANISATION`: the client's organisation approves (one the plan asks: "
        "the initiating one or one with an intervention); `INDIVIDUAL`: the individual's "
        "approval, recorded by the initiating organisation's client.",
    )
    note: str = Field("", max_length=300)


class SipInviteIn(Input):
    starts_at: AwareDatetime
    place: str = Field("", max_length=300)
    meeting_link: str = Field("", max_length=200, pattern=r"^(https://\S+)?$")
    phone: str = Field("", max_length=40)
    organisation_ids: list[int] = Field([], max_length=50)
    include_individual: bool = False


class InvitationAnswerIn(Input):
    answer: Literal["ACKNOWLEDGE", "ACCEPT", "DECLINE"]
    reason: str = Field(
        "", max_length=300, description="Required when declining; logged with the answer."
    )


class SecondChannelIn(Input):
    channel: Literal["FUNCTIONAL_MAILBOX", "PHONE"] = Field(
        description="`FUNCTIONAL_MAILBOX`: emailed to the unit's functional mailbox; "
        "`PHONE`: told by phone (the note says whom and what was agreed)."
    )
    note: str = Field("", max_length=300)


class AttendanceIn(Input):
    invitation_id: int
    attendance: Literal["ATTENDED", "ABSENT", "ATTENDED_LATE", "REPLACED"]
    note: str = Field("", max_length=300)


class SipMeetingIn(Input):
    attendance: list[AttendanceIn] = Field([], max_length=100)
    notes: str = Field("", max_length=TEXT)


class PlanInterventionIn(Input):
    description: str = Field(min_length=1, max_length=TEXT)
    organisation_id: int
    start_date: dt.date
    responsible: str = Field("", max_length=200, description="Who answers for it (name or role)")


class SipPlanIn(Input):
    overall_responsibility: Literal["KOMMUN", "REGION"]
    own_goals: str = Field(min_length=1, max_length=TEXT)
    others_actions: str = Field("", max_length=TEXT)
    follow_up_date: dt.date
    interventions: list[PlanInterventionIn] = Field(min_length=1, max_length=50)
    #: Required when every intervention comes from one principal (SoL 2 kap. 7 §,
    #: HSL 16 kap. 4 §: a SIP coordinates both).
    one_huvudman_reason: str = Field("", max_length=TEXT)


class InvitationOut(Schema):
    id: int
    kind: str
    organisation: OrganisationRef | None
    state: str
    channel: str
    needs_second_channel: bool
    second_channel: str
    sent_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    answered_at: dt.datetime | None
    decline_reason: str
    attendance: str


class MeetingOut(Schema):
    id: int
    starts_at: dt.datetime
    place: str
    held_at: dt.datetime | None
    invitations: list[InvitationOut]


class PlanInterventionOut(Schema):
    description: str
    organisation: OrganisationRef
    start_date: dt.date
    responsible: str


class PlanApprovalOut(Schema):
    organisation: OrganisationRef | None = Field(description="Null for the individual.")
    by_individual: bool
    approved_at: dt.datetime


class ConsentOut(Schema):
    decision: str
    in_force: bool
    given_by_individual: bool
    valid_until: dt.date | None = Field(
        description="A guardians' consent lapses on the child's 18th birthday."
    )
    revoked_at: dt.datetime | None


class PlanOut(Schema):
    number: int
    overall_responsibility: str
    own_goals: str
    others_actions: str
    one_huvudman_reason: str
    follow_up_date: dt.date
    created_at: dt.datetime
    interventions: list[PlanInterventionOut]
    approvals: list[PlanApprovalOut]


class SipSummary(Schema):
    id: int
    stage: str
    personal_identity_number: str
    initiating_organisation: OrganisationRef
    origin_discharge_id: int | None


class SipPage(Page):
    items: list[SipSummary]


class SipOut(Schema):
    id: int
    stage: str
    individual: IndividualOut
    initiating_organisation: OrganisationRef
    origin_discharge_id: int | None
    sharing_stopped: bool
    consent: ConsentOut | None
    withdrawn_at: dt.datetime | None
    participants: list[OrganisationRef]
    meetings: list[MeetingOut]
    open_steps: list[OpenStep]
    plan: PlanOut | None = Field(
        description="The latest plan version; null when none, or when consent no "
        "longer allows sharing."
    )


# --- Deviations -------------------------------------------------------------------------


class DeviationOut(Schema):
    id: int
    status: Deviation.Status
    category: Deviation.Category
    process_id: int | None
    process_step: str
    reporting_organisation: OrganisationRef
    receiving_organisation: OrganisationRef
    description: str
    harm: str
    level: str
    source: str
    occurred_at: dt.datetime
    reported_at: dt.datetime | None
    answer_due_date: dt.date | None
    answered_at: dt.datetime | None
    answer_explanation: str
    answer_measures: str


class DeviationPage(Page):
    items: list[DeviationOut]


class DeviationReportIn(Input):
    process_id: int
    receiving_organisation_id: int
    category: Deviation.Category
    description: str = Field(min_length=1, max_length=TEXT)
    harm: Deviation.Harm
    process_step: Deviation.Step = Deviation.Step.OTHER
    occurred_at: AwareDatetime | None = None


class DeviationAnswerIn(Input):
    explanation: str = Field(min_length=1, max_length=TEXT)
    measures: str = Field("", max_length=TEXT)


# --- Directory --------------------------------------------------------------------------


class AreaRef(Schema):
    id: int
    name: str
    kind: str


class OrganisationOut(Schema):
    id: int
    name: str
    hsa_id: str
    huvudman: str
    acting_for: str
    kind: str
    area: AreaRef
    parent_id: int | None
    reachability: Literal["YES", "NO", "UNKNOWN"]
    functional_mailbox: str
    phone: str
    opening_hours_note: str
    is_active: bool
    updated_at: dt.datetime


class OrganisationPage(Page):
    items: list[OrganisationOut]


class ClientOut(Schema):
    name: str
    organisation: OrganisationRef
    scopes: list[str]


class FieldProblem(Schema):
    field: str
    reason: str
    code: str


class ProblemOut(Schema):
    """RFC 9457 problem details (sent as ``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


#: The refusals every operation may answer (problem+json).
PROBLEM_CODES = frozenset({400, 401, 403, 404, 409, 422, 429})
