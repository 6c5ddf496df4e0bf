from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from coordination import personnummer
from coordination.models import Consent, Individual, Membership, Organisation, RelatedPerson
from coordination.urls import individual_register_url
from coordination.widgets import OrganisationPickerField

from .models import LEAD_CHOICES, Invitation, SipProcess

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Free text is bounded (bad input never reaches the database unchecked).
TEXT_MAX_LENGTH = 5000


def _active_organisations():
    return Organisation.objects.filter(is_active=True).select_related("area").order_by("name")


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.area})"


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class InitiateForm(forms.Form):
    personal_identity_number = forms.CharField(
        label=_("Personal identity number of the individual"),
        help_text=_("YYYYMMDD-NNNN"),
        max_length=13,
    )
    initiating_organisation = OrganisationChoiceField(
        label=_("Initiating organisation"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(
        label=_("Reason and questions for the meeting"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    participants = OrganisationPickerField(
        label=_("Organisations to take part"),
        queryset=Organisation.objects.none(),
        required=False,
    )

    def __init__(self, *args, organisations, register_next="", **kwargs):
        super().__init__(*args, **kwargs)
        self.register_next = register_next
        self.fields["initiating_organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["initiating_organisation"].initial = organisations.first()
        self.fields["participants"].queryset = _active_organisations()

    def clean_personal_identity_number(self):
        value = self.cleaned_data["personal_identity_number"]
        try:
            formatted = personnummer.parse(value).formatted
        except (ValueError, ValidationError):
            raise ValidationError(_("Not a valid personal identity number.")) from None
        individual = Individual.objects.filter(personal_identity_number=formatted).first()
        if individual is None:
            raise ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("No individual with this number is registered."),
                    individual_register_url(pnr=formatted, next_url=self.register_next),
                    _("Register the person"),
                ),
                code="not_registered",
            )
        self.individual = individual
        return formatted


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Consent.Decision.choices, widget=forms.RadioSelect
    )
    given_by_individual = forms.BooleanField(
        label=_("The individual decided themself"), required=False, initial=True
    )
    guardians = forms.ModelMultipleChoiceField(
        label=_("Decided by (guardians, trustee)"),
        queryset=RelatedPerson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    method = forms.ChoiceField(
        label=_("Given how"), choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    scope_note = forms.CharField(
        label=_("What the consent covers and does not cover, or why it was declined"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    child_view = forms.CharField(
        label=_("The child's own view, in the child's words"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed for a child of the age set for it (15 by default)."),
    )

    def __init__(self, *args, sip: SipProcess, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardians"].queryset = sip.individual.related_persons.exclude(
            kind=RelatedPerson.Kind.NARSTAENDE
        )
        if not sip.is_child:
            del self.fields["child_view"]
        if sip.is_child:
            self.fields["given_by_individual"].initial = False
            self.fields["guardians"].initial = list(
                sip.individual.related_persons.filter(kind="VARDNADSHAVARE", has_custody=True)
            )


class InviteForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Meeting time"), widget=DATETIME_WIDGET)
    place = forms.CharField(label=_("Place"), required=False, max_length=300)
    meeting_link = forms.URLField(
        label=_("Secure digital meeting link"),
        required=False,
        max_length=200,  # the model's URLField
        assume_scheme="https",
        help_text=_("Only a meeting service with strong e-identification."),
    )
    phone = forms.CharField(label=_("Phone for the meeting"), required=False, max_length=40)
    interpreter_language = forms.CharField(
        label=_("Interpreter needed (language)"),
        required=False,
        max_length=100,
        help_text=_("Leave empty when no interpreter is needed. Not written in any email."),
    )
    organisations = OrganisationPickerField(
        label=_("Organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_(
            "An organisation that is not reachable in the planning IT support, or whose "
            "reachability is unknown, must also be reached by a second channel."
        ),
    )
    staff_users = StaffChoiceField(
        label=_("Named staff"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    include_individual = forms.BooleanField(
        label=_("Invite the individual"), required=False, initial=True
    )
    related_persons = forms.ModelMultipleChoiceField(
        label=_("Next of kin chosen by the individual"),
        queryset=RelatedPerson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, sip: SipProcess, **kwargs):
        super().__init__(*args, **kwargs)
        self.sip = sip
        self.fields["organisations"].queryset = _active_organisations()
        # The initiating organisation convenes the meeting; the others are called.
        self.fields["organisations"].initial = [
            o.pk for o in sip.participating_organisations() if o != sip.initiating_organisation
        ]
        self.fields["staff_users"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, memberships__is_active=True)
            .exclude(memberships__role=Membership.Role.SYSTEM)  # API clients are not people
            .distinct()
            .order_by("last_name", "first_name")
        )
        self.fields["related_persons"].queryset = sip.individual.related_persons.all()

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if value <= timezone.now():
            raise ValidationError(_("The meeting must be in the future."))
        return value

    def clean(self):
        data = super().clean()
        if not (data.get("place") or data.get("meeting_link") or data.get("phone")):
            raise ValidationError(_("Give a place, a secure meeting link or a phone number."))
        organisations = set(data.get("organisations") or []) | {self.sip.initiating_organisation}
        for user in data.get("staff_users") or []:
            if not Membership.objects.filter(
                user=user, organisation__in=organisations, is_active=True
            ).exists():
                self.add_error(
                    "staff_users",
                    _("%(name)s does not work at any of the invited organisations.")
                    % {"name": user.get_full_name() or user.get_username()},
                )
        if not (
            data.get("organisations")
            or data.get("staff_users")
            or data.get("include_individual")
            or data.get("related_persons")
        ):
            raise ValidationError(_("Invite at least one participant."))
        return data


class MeetingForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes from the meeting"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, invitations, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitations = list(invitations)
        for invitation in self.invitations:
            self.fields[f"attendance_{invitation.pk}"] = forms.ChoiceField(
                label=invitation.participant_label,
                choices=[("", "—")] + list(Invitation.Attendance.choices),
            )
            self.fields[f"note_{invitation.pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=300
            )

    def rows(self):
        return [
            (invitation, self[f"attendance_{invitation.pk}"], self[f"note_{invitation.pk}"])
            for invitation in self.invitations
        ]

    def attendance(self) -> dict:
        return {
            invitation.pk: (
                self.cleaned_data[f"attendance_{invitation.pk}"],
                self.cleaned_data[f"note_{invitation.pk}"],
            )
            for invitation in self.invitations
        }


class PlanForm(forms.Form):
    overall_responsibility = forms.ChoiceField(
        label=_("Principal with overall responsibility"), choices=LEAD_CHOICES
    )
    lead_person = forms.ModelChoiceField(
        label=_("Lead person"), queryset=get_user_model().objects.none(), required=False
    )
    own_goals = forms.CharField(
        label=_("The individual's own goals, in their own words"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    others_actions = forms.CharField(
        label=_("Actions by others than the principals (e.g. next of kin)"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_date = forms.DateField(label=_("Follow-up date"), widget=DATE_WIDGET)
    one_huvudman_reason = forms.CharField(
        label=_("Why only one principal has interventions"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Needed when every intervention comes from the kommun, or every one from the "
            "region: a SIP coordinates both."
        ),
    )

    def __init__(self, *args, sip: SipProcess, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_person"].queryset = (
            get_user_model()
            .objects.filter(
                memberships__organisation__in=sip.participating_organisations(),
                memberships__is_active=True,
                is_active=True,
            )
            .exclude(memberships__role=Membership.Role.SYSTEM)  # API clients are not people
            .distinct()
            .order_by("last_name", "first_name")
        )
        self.fields["lead_person"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )

    def clean_follow_up_date(self):
        value = self.cleaned_data["follow_up_date"]
        if value <= timezone.localdate():
            raise ValidationError(_("The follow-up date must be in the future."))
        return value


class InterventionForm(forms.Form):
    description = forms.CharField(label=_("Intervention"), max_length=300)
    organisation = OrganisationChoiceField(
        label=_("By organisation"), queryset=Organisation.objects.none()
    )
    start_date = forms.DateField(label=_("From"), widget=DATE_WIDGET)
    responsible = forms.CharField(
        label=_("Responsible (name or role)"), max_length=200, required=False
    )

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


InterventionFormSet = forms.formset_factory(
    InterventionForm,
    extra=2,
    min_num=1,
    validate_min=True,
    max_num=30,
    validate_max=True,
    can_delete=True,
)


class FollowUpForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("REVISE", _("Revise the plan (new version)")), ("CLOSE", _("Close the SIP"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Notes from the follow-up"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InvitationStateForm(forms.Form):
    action = forms.ChoiceField(
        label=_("New state"),
        choices=[
            ("acknowledge", _("Acknowledged")),
            ("accept", _("Accepted")),
            ("decline", _("Declined")),
            ("mark_undeliverable", _("Undeliverable")),
        ],
    )
    reason = forms.CharField(label=_("Reason (logged)"), max_length=300)


class SecondChannelForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Second channel"),
        choices=[
            (Invitation.Channel.FUNCTIONAL_MAILBOX, _("Email to the functional mailbox")),
            (Invitation.Channel.PHONE, _("Phone call")),
        ],
    )
    note = forms.CharField(
        label=_("Whom you spoke to, what was agreed"), required=False, max_length=300
    )


class RevokeConsentForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class FollowUpMeetingForm(forms.Form):
    """The follow-up meeting of the plan in force (SIP page)."""

    starts_at = forms.DateTimeField(label=_("Meeting time"), widget=DATETIME_WIDGET)
    place = forms.CharField(label=_("Place"), required=False, max_length=300)
    meeting_link = forms.URLField(
        label=_("Secure digital meeting link"),
        required=False,
        max_length=200,
        assume_scheme="https",
    )
    phone = forms.CharField(label=_("Phone for the meeting"), required=False, max_length=40)
    include_individual = forms.BooleanField(
        label=_("Invite the individual"), required=False, initial=True
    )


class RenewConsentForm(forms.Form):
    """The individual's own decision when the guardians' consent lapses at 18."""

    decision = forms.ChoiceField(label=_("Decision"), choices=Consent.Decision.choices)
    method = forms.ChoiceField(label=_("Given how"), choices=Consent.Method.choices)
    scope_note = forms.CharField(
        label=_("What the consent covers and does not cover"), required=False, max_length=500
    )


class SipWithdrawForm(forms.Form):
    """Makulering: a SIP registered in error, with the reason the parties are told."""

    reason = forms.CharField(
        label=_("Reason for the withdrawal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: wrong person, registered twice, or never agreed."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for the withdrawal."))
        return reason


class SipFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    stage = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + SipProcess.Stage.choices
    )


class DeclineViaLinkForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
