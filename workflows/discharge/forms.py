"""Forms of the discharge steps. Each ``save`` calls one service; the services do
the checks that need the database and raise ``ValidationError``."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from coordination import access, personnummer
from coordination.models import Individual, Membership, Organisation
from coordination.urls import individual_register_url
from coordination.widgets import OrganisationChoicePickerField, OrganisationChoicePickerMixin

from . import selectors, services
from .models import (
    KOMMUN_ROLES,
    CareType,
    DischargeUnit,
    Judgement,
    MessageSecondChannel,
    Stage,
    UnitRole,
)

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Free text is bounded (bad input never reaches the database unchecked).
TEXT_MAX_LENGTH = 5000


def not_registered_message(number: str, *, next_url: str = ""):
    """ "Not registered", with a link to register the person and come back."""
    return format_html(
        '{} <a href="{}">{}</a>',
        _("No person with this number is in the register."),
        individual_register_url(pnr=number, next_url=next_url),
        _("Register the person"),
    )


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


class RegisterAdmissionForm(forms.Form):
    personal_identity_number = forms.CharField(
        label=_("Personal identity number"), max_length=13, help_text=_("YYYYMMDD-NNNN")
    )
    ward = forms.ModelChoiceField(label=_("Admitting ward"), queryset=Organisation.objects.none())
    admitted_at = forms.DateTimeField(label=_("Admitted"), widget=DATETIME_WIDGET)
    care_type = forms.ChoiceField(label=_("Care type"), choices=CareType.choices)
    leaves_for_open_compulsory_care = forms.BooleanField(
        label=_("LPT/LRV care that will continue as ÖPT/ÖRV"), required=False
    )
    judgement = forms.ChoiceField(label=_("Judgement of needs"), choices=Judgement.choices)
    late_registration_reason = forms.CharField(
        label=_("Reason for late registration"),
        max_length=300,
        required=False,
        help_text=_("Needed only when the admission was more than %(days)s days ago.")
        % {"days": settings.DISCHARGE_ADMISSION_MAX_AGE_DAYS},
    )

    def __init__(self, *args, user, process=None, register_next="", **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.register_next = register_next
        self.fields["ward"].queryset = selectors.user_wards(user=user)
        self.fields["admitted_at"].initial = _now_local()
        wards = list(self.fields["ward"].queryset[:2])
        if len(wards) == 1:
            self.fields["ward"].initial = wards[0]

    def clean_personal_identity_number(self):
        value = self.cleaned_data["personal_identity_number"]
        formatted = personnummer.parse(value).formatted  # raises a ValidationError
        individual = Individual.objects.filter(personal_identity_number=formatted).first()
        if individual is None:
            raise forms.ValidationError(
                not_registered_message(formatted, next_url=self.register_next),
                code="not_registered",
            )
        self.individual = individual
        self._refuse_second_admission(individual)
        return formatted

    def _refuse_second_admission(self, individual):
        """Same person with an open discharge: say so, with a link when the user may
        see it. A move between wards is a change of ward on that discharge."""
        existing = selectors.open_discharge_of(individual=individual)
        if existing is None:
            return
        visible = selectors.discharges_visible_to(user=self.user).filter(pk=existing.pk).exists()
        if visible:
            raise forms.ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _(
                        "This person already has an open discharge. A move between wards "
                        "is recorded as a change of ward on that discharge, not as a new "
                        "admission."
                    ),
                    existing.get_absolute_url(),
                    _("Open discharge #%(pk)s") % {"pk": existing.pk},
                ),
                code="already_open",
            )
        raise forms.ValidationError(
            _(
                "This person already has an open discharge at another ward. A move between "
                "wards is recorded by that ward as a change of ward, not as a new admission."
            ),
            code="already_open",
        )

    def clean(self):
        data = super().clean()
        admitted_at = data.get("admitted_at")
        if admitted_at is not None:
            try:
                services.check_admission_time(
                    admitted_at,
                    late_registration_reason=data.get("late_registration_reason", ""),
                )
            except forms.ValidationError as exc:
                field = (
                    "late_registration_reason" if exc.code == "admission_late" else "admitted_at"
                )
                self.add_error(field, exc)
        return data

    def save(self, *, process, by):
        data = self.cleaned_data
        return services.discharge_register(
            process=process,
            individual=self.individual,
            ward=data["ward"],
            admitted_at=data["admitted_at"],
            care_type=data["care_type"],
            leaves_for_open_compulsory_care=data["leaves_for_open_compulsory_care"],
            judgement=data["judgement"],
            late_registration_reason=data["late_registration_reason"],
            by=by,
        )


class WithdrawForm(forms.Form):
    """Makulering: a case registered in error, with the reason the parties are told."""

    reason = forms.CharField(
        label=_("Reason for the withdrawal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: wrong person, registered twice, or never admitted."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for the withdrawal."))
        return reason


class ChangeWardForm(forms.Form):
    ward = forms.ModelChoiceField(label=_("New ward"), queryset=Organisation.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, process=None, **kwargs):
        # The case page shows this form beside others: ids of its own, not id_note.
        kwargs.setdefault("auto_id", "id_ward_change_%s")
        super().__init__(*args, **kwargs)
        wards = Organisation.objects.filter(
            kind__in=selectors.WARD_KINDS, is_active=True
        ).select_related("area")
        if process is not None:
            wards = wards.exclude(pk=process.ward_id)
        self.fields["ward"].queryset = wards.order_by("name")


class JudgeForm(forms.Form):
    judgement = forms.ChoiceField(
        label=_("Judgement of needs"),
        choices=[
            (Judgement.MAY_NEED, Judgement.MAY_NEED.label),
            (Judgement.NO_NEED, Judgement.NO_NEED.label),
        ],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user=None, process=None, **kwargs):
        super().__init__(*args, **kwargs)

    def save(self, *, process, by):
        return services.discharge_judge(
            process=process, judgement=self.cleaned_data["judgement"], by=by
        )


def _units_of(*kinds):
    return Organisation.objects.filter(kind__in=kinds, is_active=True).select_related("area")


class AdmissionNoticeForm(forms.Form):
    socialtjanst = OrganisationChoicePickerField(
        label=_("Municipal social services"), queryset=Organisation.objects.none(), required=False
    )
    kommunal_hsv = OrganisationChoicePickerField(
        label=_("Municipal health care"), queryset=Organisation.objects.none(), required=False
    )
    vardcentral = OrganisationChoicePickerField(
        label=_("Primary care centre"), queryset=Organisation.objects.none(), required=False
    )
    estimated_discharge_date = forms.DateField(
        label=_("Estimated discharge date"), widget=DATE_WIDGET
    )

    def __init__(self, *args, user=None, process=None, **kwargs):
        super().__init__(*args, **kwargs)
        kind = Organisation.Kind
        for name, kinds in (
            ("socialtjanst", (kind.SOCIALTJANST, kind.STADSDELSFORVALTNING)),
            ("kommunal_hsv", (kind.KOMMUNAL_HSV,)),
            ("vardcentral", (kind.VARDCENTRAL, kind.PSYKIATRI_OPPENVARD)),
        ):
            self.fields[name].offer(_units_of(*kinds), kinds=kinds)

    def save(self, *, process, by):
        return services.admission_notice_send(process=process, by=by, **self.cleaned_data)


class OrganisationChoiceField(forms.ModelChoiceField):
    """Offers ``queryset`` but accepts any organisation, so that the service explains a
    wrong choice (the same kommun, an inactive unit, the wrong side) in words rather
    than "not one of the available choices"."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return Organisation.objects.select_related("area__parent").get(pk=value)
        except (ValueError, TypeError, Organisation.DoesNotExist):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class OrganisationPickerChoiceField(OrganisationChoicePickerMixin, OrganisationChoiceField):
    """``OrganisationChoiceField`` through the organisation picker."""


def _unit_kinds():
    return [kind for role in UnitRole for kind in services.ROLE_KINDS[role]]


def _units_for_role(role):
    return _units_of(*services.ROLE_KINDS[role]).order_by("name")


class UnitAnswerForm(forms.Form):
    ack_state = forms.ChoiceField(
        label=pgettext_lazy("LUS", "Answer"),
        choices=[
            (state.value, state.label)
            for state in DischargeUnit.AckState
            if state != DischargeUnit.AckState.PENDING
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (required when rejecting)"), max_length=300, required=False
    )
    forward_to = OrganisationChoiceField(
        label=_("Not our resident: the right municipality's unit"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("The right municipality is unknown (say why in the reason)"),
        help_text=_(
            "The admission notice is forwarded to this unit at once, with a new deadline to answer."
        ),
    )

    def __init__(self, *args, user=None, process=None, role=None, organisation=None, **kwargs):
        self.role = role
        self.organisation = organisation
        super().__init__(*args, **kwargs)
        if role in KOMMUN_ROLES:
            units = _units_for_role(role).filter(access.KOMMUN_SIDE)
            if organisation is not None and organisation.area_id:
                kommun = organisation.area.kommun
                if kommun is not None:
                    units = units.exclude(area=kommun).exclude(area__parent=kommun)
            self.fields["forward_to"].queryset = units
        else:
            del self.fields["forward_to"]

    def clean(self):
        data = super().clean()
        rejected = data.get("ack_state") == DischargeUnit.AckState.REJECTED_NOT_RESIDENT
        if data.get("forward_to") is not None and not rejected:
            self.add_error(
                "forward_to",
                _("The notice is forwarded only when the person is not your resident."),
            )
        return data

    def save(self, *, process, by):
        return services.unit_answer(
            process=process,
            role=self.role,
            ack_state=self.cleaned_data["ack_state"],
            reason=self.cleaned_data["reason"],
            forward_to=self.cleaned_data.get("forward_to"),
            organisation=self.organisation,
            by=by,
        )


class UnitAddForm(forms.Form):
    """A party adds a unit to the planning (case page)."""

    role = forms.ChoiceField(label=_("Role"), choices=UnitRole.choices)
    organisation = OrganisationPickerChoiceField(
        label=_("Unit"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(label=pgettext_lazy("LUS", "Reason"), max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_unit_add_%s")
        super().__init__(*args, **kwargs)
        kinds = _unit_kinds()
        self.fields["organisation"].offer(_units_of(*kinds), kinds=kinds)


class UnitReplaceForm(forms.Form):
    """A party replaces a unit, with a reason (case page)."""

    unit = forms.ModelChoiceField(label=_("Unit to replace"), queryset=DischargeUnit.objects.none())
    organisation = OrganisationPickerChoiceField(
        label=_("New unit"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(label=pgettext_lazy("LUS", "Reason"), max_length=300)

    def __init__(self, *args, process=None, **kwargs):
        kwargs.setdefault("auto_id", "id_unit_replace_%s")
        super().__init__(*args, **kwargs)
        if process is not None:
            self.fields["unit"].queryset = process.unit_rows.filter(
                superseded_at__isnull=True
            ).select_related("organisation")
        kinds = _unit_kinds()
        self.fields["organisation"].offer(_units_of(*kinds), kinds=kinds)


class SecondChannelForm(forms.Form):
    """The ward records that a message also reached an unreachable unit another way
    (case page)."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=DischargeUnit.objects.none())
    message = forms.ChoiceField(label=_("Message"), choices=MessageSecondChannel.Message.choices)
    channel = forms.ChoiceField(
        label=_("Second channel"), choices=MessageSecondChannel.Channel.choices
    )
    note = forms.CharField(label=_("Whom you reached, what was agreed"), max_length=300, strip=True)

    def __init__(self, *args, process=None, **kwargs):
        super().__init__(*args, **kwargs)
        if process is not None:
            self.fields["unit"].queryset = process.unit_rows.filter(needs_second_channel=True)


class EmptyForm(forms.Form):
    """A case-page button with nothing to fill in."""


TEXTAREA = forms.Textarea(attrs={"rows": 4})


class PlanningBasisForm(forms.Form):
    """The ward's planning basis for the units (a new version each time)."""

    medical_state = forms.CharField(label=_("Medical state"), max_length=4000, widget=TEXTAREA)
    functional_ability = forms.CharField(
        label=_("Functional ability"),
        max_length=4000,
        widget=TEXTAREA,
        help_text=_("ADL: what the patient manages alone and with help."),
    )
    care_needs = forms.CharField(
        label=_("Needs for care and support after discharge"), max_length=4000, widget=TEXTAREA
    )
    other = forms.CharField(
        label=_("Other information for the planning"),
        max_length=4000,
        required=False,
        widget=TEXTAREA,
    )


class DischargeInformationForm(forms.Form):
    """The information at discharge: for the units and, in the letter, for the
    individual."""

    status_at_discharge = forms.CharField(
        label=_("Status at discharge"),
        max_length=4000,
        widget=TEXTAREA,
        help_text=_("What the units need to give social services or health care."),
    )
    medication_list = forms.CharField(
        label=_("Medication list"),
        max_length=4000,
        widget=TEXTAREA,
        help_text=_("Including the medicines until the pharmacy or APO-dos takes over."),
    )
    aids = forms.CharField(
        label=_("Aids the ward answers for"), max_length=2000, required=False, widget=TEXTAREA
    )
    letter_to_individual = forms.CharField(
        label=_("Letter to the individual"),
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("In plain Swedish: what happened, what comes next, whom to call."),
    )


class AppointFastVardkontaktForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Designated care contact"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, user=None, process=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = (
            get_user_model()
            .objects.filter(
                memberships__organisation=process.vardcentral,
                memberships__is_active=True,
                is_active=True,
            )
            .exclude(memberships__role=Membership.Role.SYSTEM)  # API clients are not people
            .distinct()
            .order_by("last_name", "first_name")
        )
        self.fields["person"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        if user is not None and self.fields["person"].queryset.filter(pk=user.pk).exists():
            self.fields["person"].initial = user.pk

    def save(self, *, process, by):
        return services.fast_vardkontakt_appoint(
            process=process, person=self.cleaned_data["person"], by=by
        )


class PlanForm(forms.Form):
    interventions_needed = forms.TypedChoiceField(
        label=_("Interventions needed after discharge"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    planned_interventions = forms.CharField(
        label=_("Planned interventions"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=TEXT_MAX_LENGTH,
    )

    def __init__(self, *args, user=None, process=None, role=None, organisation=None, **kwargs):
        self.role = role
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def save(self, *, process, by):
        return services.interventions_plan(
            process=process,
            role=self.role,
            organisation=self.organisation,
            by=by,
            **self.cleaned_data,
        )


class ReadyNoticeForm(forms.Form):
    issued_at = forms.DateTimeField(
        label=_("Ready for discharge since"),
        widget=DATETIME_WIDGET,
        help_text=_(
            "Payment is counted from when the system sends the notice (now), not from this time."
        ),
    )
    backdate_reason = forms.CharField(
        label=_("Reason for an earlier time"),
        max_length=300,
        required=False,
        help_text=_("Needed when the time above is earlier than now; shown on the case."),
    )

    def __init__(self, *args, user=None, process=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issued_at"].initial = _now_local()

    def save(self, *, process, by):
        return services.ready_notice_issue(
            process=process,
            issued_at=self.cleaned_data["issued_at"],
            backdate_reason=self.cleaned_data["backdate_reason"],
            by=by,
        )


class AcknowledgeReadyForm(forms.Form):
    confirm = forms.BooleanField(label=_("We have received the ready-for-discharge notice"))

    def __init__(self, *args, user=None, process=None, **kwargs):
        super().__init__(*args, **kwargs)

    def save(self, *, process, by):
        return services.ready_notice_acknowledge(process=process, by=by)


class SipKallelseForm(forms.Form):
    SENT, SKIPPED = "SENT", "SKIPPED"
    action = forms.ChoiceField(
        label=_("Invitation to SIP"),
        choices=[
            (SENT, _("The invitation to SIP is sent")),
            (SKIPPED, _("No invitation: the person already has a valid SIP")),
        ],
        widget=forms.RadioSelect,
    )
    skipped_reason = forms.CharField(
        label=pgettext_lazy("LUS", "Reason"), max_length=300, required=False
    )

    def __init__(self, *args, user=None, process=None, **kwargs):
        super().__init__(*args, **kwargs)

    def save(self, *, process, by):
        return services.sip_kallelse_record(
            process=process,
            sent=self.cleaned_data["action"] == self.SENT,
            skipped_reason=self.cleaned_data["skipped_reason"],
            by=by,
        )


class DischargeForm(forms.Form):
    DISCHARGE, REVOKE = "DISCHARGE", "REVOKE"
    action = forms.ChoiceField(
        label=pgettext_lazy("LUS", "What happened"),
        choices=[
            (DISCHARGE, _("The patient is discharged")),
            (REVOKE, _("The patient is no longer ready for discharge")),
        ],
        widget=forms.RadioSelect,
    )
    discharged_at = forms.DateTimeField(
        label=_("Discharged"), widget=DATETIME_WIDGET, required=False
    )
    information_sent_at = forms.DateTimeField(
        label=_("Information at discharge sent"), widget=DATETIME_WIDGET, required=False
    )
    individual_declined_interventions = forms.BooleanField(
        label=_("The individual declined the interventions"), required=False
    )
    revocation_reason = forms.CharField(
        label=_("Reason for revoking"), max_length=300, required=False
    )

    def __init__(self, *args, user=None, process=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.process = process
        self.fields["discharged_at"].initial = _now_local()
        self.fields["information_sent_at"].initial = _now_local()

    def preconditions(self) -> list[str]:
        """What stops the discharge now, shown before the form is filled in."""
        return services.discharge_preconditions_unmet(process=self.process)

    def clean(self):
        data = super().clean()
        if data.get("action") == self.DISCHARGE:
            for name in ("discharged_at", "information_sent_at"):
                if not data.get(name):
                    self.add_error(name, _("This field is required."))
        elif data.get("action") == self.REVOKE and not data.get("revocation_reason", "").strip():
            self.add_error("revocation_reason", _("Give the reason for revoking the notice."))
        return data

    def save(self, *, process, by):
        data = self.cleaned_data
        if data["action"] == self.REVOKE:
            return services.ready_notice_revoke(
                process=process, reason=data["revocation_reason"], by=by
            )
        return services.discharge_record(
            process=process,
            discharged_at=data["discharged_at"],
            information_sent_at=data["information_sent_at"],
            individual_declined_interventions=data["individual_declined_interventions"],
            by=by,
        )


class EstimatedDateForm(forms.Form):
    estimated_date = forms.DateField(label=_("New estimated discharge date"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DischargeFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or personal identity number"), required=False, max_length=200)
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("All"))] + list(Stage.choices), required=False
    )
