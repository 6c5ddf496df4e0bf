"""SIP pages: the flow's task forms, the overview, the list, the print view and the
public acknowledgement page. Views stay thin: each write is one service call."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView
from django_fsm import TransitionNotAllowed
from viewflow.workflow.status import STATUS

from coordination import access
from coordination.models import AccessLog, Consent, Membership, Organisation
from coordination.printing import pdf_response
from coordination.selectors import user_organisations
from coordination.services import access_log_record
from workflows.taskviews import FlowTaskView, PersonFromRegisterMixin

from . import selectors, services
from .forms import (
    ConsentForm,
    DeclineViaLinkForm,
    FollowUpForm,
    FollowUpMeetingForm,
    InitiateForm,
    InterventionFormSet,
    InvitationStateForm,
    InviteForm,
    MeetingForm,
    PlanForm,
    RenewConsentForm,
    RevokeConsentForm,
    SecondChannelForm,
    SipFilterForm,
    SipWithdrawForm,
)
from .models import Invitation, InvitationEvent, PlanVersion, SipProcess


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _log(request, sip, action):
    """Every read or change of the individual's SIP is access-logged (PDL 4 kap. 3 §)."""
    access_log_record(
        user=request.user,
        action=action,
        purpose="SIP",
        individual=sip.individual,
        process=sip,
        request=request,
    )


# --- Flow task views ----------------------------------------------------------------------


class SipTaskView(FlowTaskView):
    """A human step of SipFlow (``workflows.taskviews.FlowTaskView``)."""

    template_name = "sip/task_form.html"
    access_purpose = "SIP"
    success_message = gettext_lazy("Saved.")

    @property
    def sip(self) -> SipProcess:
        return self.process

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "sip": self.sip}

    def get_context_data(self, **kwargs):
        return super().get_context_data(sip=self.sip, **kwargs)


class InitiateView(PersonFromRegisterMixin, LoginRequiredMixin, FormView):
    form_class = InitiateForm
    template_name = "sip/task_form.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "organisations": selectors.initiating_organisations_of(user=self.request.user),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(task_title=_("Initiate a SIP"), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        sip = services.sip_initiate(
            activation=self.request.activation,
            individual=form.individual,
            initiating_organisation=data["initiating_organisation"],
            reason=data["reason"],
            participants=data["participants"],
            by=self.request.user,
        )
        messages.success(self.request, _("The SIP was started. Record the consent next."))
        return redirect(sip.get_absolute_url())


class ConsentView(SipTaskView):
    form_class = ConsentForm

    def get_context_data(self, **kwargs):
        guardians = services.custodial_guardians(sip=self.sip) if self.sip.is_child else []
        return super().get_context_data(is_child=self.sip.is_child, guardians=guardians, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        services.sip_consent_record(
            sip=self.sip,
            decision=data["decision"],
            given_by_individual=data["given_by_individual"],
            guardians=data["guardians"],
            method=data["method"],
            scope_note=data["scope_note"],
            child_view=data.get("child_view", ""),
            by=self.request.user,
        )


class InviteView(SipTaskView):
    form_class = InviteForm

    def perform(self, form):
        data = form.cleaned_data
        services.sip_invite(
            sip=self.sip,
            starts_at=data["starts_at"],
            place=data["place"],
            meeting_link=data["meeting_link"],
            phone=data["phone"],
            interpreter_language=data["interpreter_language"],
            organisations=data["organisations"],
            staff_users=data["staff_users"],
            include_individual=data["include_individual"],
            related_persons=data["related_persons"],
            by=self.request.user,
        )


class MeetingView(SipTaskView):
    form_class = MeetingForm
    template_name = "sip/task_meeting.html"

    @property
    def meeting(self):
        meeting = self.sip.meetings.order_by("-starts_at", "-pk").first()
        if meeting is None:
            raise Http404
        return meeting

    def get_form_kwargs(self):
        kwargs = FormView.get_form_kwargs(self)
        kwargs["invitations"] = self.meeting.invitations.select_related(
            "organisation", "staff_user", "related_person"
        )
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(meeting=self.meeting, **kwargs)

    def perform(self, form):
        services.sip_meeting_record(
            sip=self.sip,
            meeting=self.meeting,
            attendance=form.attendance(),
            notes=form.cleaned_data["notes"],
            by=self.request.user,
        )


class PlanView(SipTaskView):
    form_class = PlanForm
    template_name = "sip/task_plan.html"

    def latest_plan(self):
        return self.sip.plan_versions.order_by("-number").first()

    def get_initial(self):
        plan = self.latest_plan()
        if plan is None:
            return {
                "overall_responsibility": self.sip.lead_huvudman,
                "lead_person": self.sip.lead_person,
            }
        return {
            "overall_responsibility": plan.overall_responsibility,
            "lead_person": plan.lead_person,
            "own_goals": plan.own_goals,
            "others_actions": plan.others_actions,
        }

    def get_formset(self):
        plan = self.latest_plan()
        initial = []
        if plan is not None:
            initial = [
                {
                    "description": item.description,
                    "organisation": item.organisation,
                    "start_date": item.start_date,
                    "responsible": item.responsible,
                }
                for item in plan.interventions.all()
            ]
        return InterventionFormSet(
            self.request.POST or None,
            prefix="interventions",
            initial=initial,
            form_kwargs={"organisations": self._organisations()},
        )

    def _organisations(self):
        return Organisation.objects.filter(
            pk__in=[o.pk for o in self.sip.participating_organisations()]
        ).order_by("name")

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.get_formset())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        formset = self.get_formset()
        if form.is_valid() and formset.is_valid():
            self.formset = formset
            return self.form_valid(form)
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def perform(self, form):
        data = form.cleaned_data
        interventions = [
            f.cleaned_data
            for f in self.formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        services.sip_plan_save(
            sip=self.sip,
            overall_responsibility=data["overall_responsibility"],
            lead_person=data["lead_person"],
            own_goals=data["own_goals"],
            others_actions=data["others_actions"],
            follow_up_date=data["follow_up_date"],
            interventions=interventions,
            one_huvudman_reason=data["one_huvudman_reason"],
            by=self.request.user,
        )


class FollowUpView(SipTaskView):
    form_class = FollowUpForm

    def get_form_kwargs(self):
        return FormView.get_form_kwargs(self)

    def perform(self, form):
        services.sip_follow_up_record(
            sip=self.sip,
            close=form.cleaned_data["decision"] == "CLOSE",
            note=form.cleaned_data["note"],
            by=self.request.user,
        )


# --- Overview, list, print ------------------------------------------------------------------


class VisibleSipMixin(LoginRequiredMixin):
    """A SIP the user may see, else 404 (no hint that it exists)."""

    def get_sip(self) -> SipProcess:
        if not hasattr(self, "_sip"):
            self._sip = get_object_or_404(
                selectors.sips_visible_to(user=self.request.user), pk=self.kwargs["pk"]
            )
        return self._sip


def _acts_for_initiator(user, sip) -> bool:
    return Membership.objects.filter(
        user=user,
        organisation=sip.initiating_organisation,
        is_active=True,
        organisation__is_active=True,
    ).exists()


def _can_change_invitation(user, invitation) -> bool:
    if _acts_for_initiator(user, invitation.meeting.sip):
        return True
    return (
        invitation.organisation_id is not None
        and Membership.objects.filter(
            user=user, organisation_id=invitation.organisation_id, is_active=True
        ).exists()
    )


class SipListView(LoginRequiredMixin, ListView):
    template_name = "sip/sip_list.html"
    context_object_name = "sips"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = SipFilterForm(self.request.GET or None)
        if self.filter_form.is_bound and self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            return selectors.sip_search(
                user=self.request.user, query=data["q"], stage=data["stage"]
            )
        return selectors.sip_search(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        if selectors.user_can_initiate_sip(user=self.request.user):
            from .flows import SipFlow  # here: the flow imports this module

            context["start_url"] = SipFlow.start.reverse("execute")
        return context


class SipDetailView(VisibleSipMixin, DetailView):
    template_name = "sip/sip_detail.html"
    context_object_name = "sip"

    def get_object(self, queryset=None):
        return self.get_sip()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sip = self.object
        user = self.request.user
        _log(self.request, sip, AccessLog.Action.READ)
        invitations = list(selectors.sip_invitations(sip=sip))
        unanswered = [i for i in invitations if i.is_unanswered]
        context.update(
            invitations=invitations,
            unanswered=unanswered,
            flagged=[i for i in invitations if i.second_channel_missing],
            meetings=sip.meetings.all(),
            plans=sip.plan_versions.select_related("created_by", "lead_person").prefetch_related(
                "interventions__organisation", "approvals__organisation", "approvals__approved_by"
            ),
            approval=self._approval(sip, user),
            history=self._history(sip),
            deadlines=sip.deadlines.select_related("responsible_organisation").order_by("due_at"),
            acts_for_initiator=_acts_for_initiator(user, sip),
            changeable={i.pk for i in invitations if _can_change_invitation(user, i)},
            state_form=InvitationStateForm(),
            second_channel_form=SecondChannelForm(),
            revoke_form=RevokeConsentForm(),
            renewable_stages=services.RENEWABLE_STAGES,
            follow_up_meeting_form=FollowUpMeetingForm(),
            consent_decisions=Consent.Decision.choices,
            consent_methods=Consent.Method.choices,
            open_tasks=self._open_tasks(sip),
            participating=sip.participating_organisations(),
            can_withdraw=(not sip.is_withdrawn and selectors.sip_may_withdraw(user=user, sip=sip)),
        )
        return context

    def _approval(self, sip, user) -> dict | None:
        """Who approved the current plan version, who has not, and for whom the user
        may approve."""
        plan = sip.plan_versions.prefetch_related("interventions__organisation").first()
        if plan is None:
            return None
        approvals = list(plan.approvals.select_related("organisation", "approved_by"))
        done = {approval.organisation_id for approval in approvals if approval.organisation_id}
        asked = services.plan_approvers(plan)
        mine = set(user_organisations(user=user).values_list("pk", flat=True))
        return {
            "plan": plan,
            "approvals": approvals,
            "waiting": [o for o in asked if o.pk not in done],
            "may_approve": [o for o in asked if o.pk not in done and o.pk in mine],
            "individual_done": any(approval.by_individual for approval in approvals),
            "may_record_individual": sip.initiating_organisation_id in mine
            and not any(approval.by_individual for approval in approvals),
        }

    def _history(self, sip):
        """SIP events and invitation transitions on one time line."""
        rows = [
            {
                "at": e.at,
                "what": e.get_kind_display(),
                "by": e.by,
                "via_link": False,
                "note": e.note,
            }
            for e in sip.events.select_related("by")
        ]
        for event in InvitationEvent.objects.filter(invitation__meeting__sip=sip).select_related(
            "invitation__organisation",
            "invitation__staff_user",
            "invitation__related_person",
            "by",
        ):
            rows.append(
                {
                    "at": event.at,
                    "what": f"{event.invitation.participant_label}: "
                    f"{event.get_from_state_display()} → {event.get_to_state_display()}",
                    "by": event.by,
                    "via_link": event.via_link,
                    "note": event.reason,
                }
            )
        return sorted(rows, key=lambda row: row["at"])

    def _open_tasks(self, sip):
        user_org_pks = {
            str(pk)
            for pk in user_organisations(user=self.request.user).values_list("pk", flat=True)
        }
        tasks = []
        for task in sip.task_set.filter(
            flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
        ):
            url = None
            if task.owner_permission_obj_pk in user_org_pks:
                url = task.flow_task.reverse("index", args=[sip.pk, task.pk])
            tasks.append({"task": task, "url": url})
        return tasks


class _InvitationActionView(VisibleSipMixin, View):
    form_class = None

    def post(self, request, pk, invitation_pk):
        sip = self.get_sip()
        invitation = get_object_or_404(Invitation, pk=invitation_pk, meeting__sip=sip)
        if not _can_change_invitation(request.user, invitation):
            raise PermissionDenied
        form = self.form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect(sip.get_absolute_url())
        try:
            self.perform(invitation, form.cleaned_data)
        except TransitionNotAllowed:
            messages.error(
                request,
                _("%(participant)s: that change is not possible from the state “%(state)s”.")
                % {
                    "participant": invitation.participant_label,
                    "state": invitation.get_state_display(),
                },
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The invitation was updated."))
        return redirect(sip.get_absolute_url())


class InvitationStateView(_InvitationActionView):
    form_class = InvitationStateForm

    def perform(self, invitation, data):
        services.invitation_set_state(
            invitation=invitation,
            action=data["action"],
            reason=data["reason"],
            by=self.request.user,
        )


class SecondChannelView(_InvitationActionView):
    form_class = SecondChannelForm

    def perform(self, invitation, data):
        if not _acts_for_initiator(self.request.user, invitation.meeting.sip):
            raise PermissionDenied
        services.invitation_record_second_channel(
            invitation=invitation, channel=data["channel"], note=data["note"], by=self.request.user
        )


class RevokeConsentView(VisibleSipMixin, View):
    def post(self, request, pk):
        sip = self.get_sip()
        if not _acts_for_initiator(request.user, sip):
            raise PermissionDenied
        form = RevokeConsentForm(request.POST)
        form.is_valid()
        try:
            services.sip_consent_revoke(
                sip=sip, by=request.user, note=form.cleaned_data.get("note", "")
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.warning(
                request, _("The consent was revoked. Nothing more is shared in this SIP.")
            )
        return redirect(sip.get_absolute_url())


class PlanApproveView(VisibleSipMixin, View):
    """A participant approves the current plan version: for one of the user's
    organisations that the plan asks, or the individual's approval recorded by the
    initiating organisation."""

    def post(self, request, pk, number):
        sip = self.get_sip()
        plan = get_object_or_404(sip.plan_versions, number=number)
        party = request.POST.get("party", "")
        note = request.POST.get("note", "")[:300]
        try:
            if party == "individual":
                services.sip_plan_approve(
                    sip=sip, plan=plan, by=request.user, by_individual=True, note=note
                )
            else:
                organisation = Organisation.objects.filter(
                    pk=int(party) if party.isdigit() else None
                ).first()
                services.sip_plan_approve(
                    sip=sip, plan=plan, by=request.user, organisation=organisation, note=note
                )
        except (ValidationError, PermissionDenied) as error:
            text = _error_text(error) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
        else:
            _log(request, sip, AccessLog.Action.UPDATE)
            messages.success(request, _("The approval of the plan is recorded."))
        return redirect(sip.get_absolute_url() + "#plan")


class FollowUpMeetingView(VisibleSipMixin, View):
    """The initiating organisation calls the follow-up meeting of the plan."""

    def post(self, request, pk):
        sip = self.get_sip()
        if not _acts_for_initiator(request.user, sip):
            raise PermissionDenied
        form = FollowUpMeetingForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}: {error}" if label else error)
            return redirect(sip.get_absolute_url() + "#uppfoljningsmote")
        try:
            services.sip_follow_up_meeting_schedule(sip=sip, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            _log(request, sip, AccessLog.Action.UPDATE)
            messages.success(request, _("The follow-up meeting is called."))
        return redirect(sip.get_absolute_url())


class RenewConsentView(VisibleSipMixin, View):
    """The individual's own consent in place of the guardians', which lapses at 18."""

    def post(self, request, pk):
        sip = self.get_sip()
        if not _acts_for_initiator(request.user, sip):
            raise PermissionDenied
        form = RenewConsentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the decision and how it was given."))
            return redirect(sip.get_absolute_url())
        try:
            consent = services.sip_consent_renew(
                sip=sip,
                decision=form.cleaned_data["decision"],
                method=form.cleaned_data["method"],
                scope_note=form.cleaned_data["scope_note"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            _log(request, sip, AccessLog.Action.UPDATE)
            if consent.is_in_force:
                messages.success(request, _("The individual's own consent is recorded."))
            else:
                messages.warning(
                    request, _("The individual declined. Nothing more is shared in this SIP.")
                )
        return redirect(sip.get_absolute_url())


class SipWithdrawView(VisibleSipMixin, FormView):
    """Makulering from the SIP page: the reason, then the invited are told."""

    form_class = SipWithdrawForm
    template_name = "sip/withdraw.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        sip = self.get_sip()
        if sip.is_withdrawn:
            messages.info(request, _("This SIP has already been withdrawn."))
            return redirect(sip.get_absolute_url())
        if not selectors.sip_may_withdraw(user=request.user, sip=sip):
            raise PermissionDenied(_("Only the initiating organisation can withdraw this SIP."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        sip = self.get_sip()
        _log(self.request, sip, AccessLog.Action.READ)
        notified = [
            invitation
            for invitation in selectors.sip_invitations(sip=sip)
            if invitation.sent_at is not None and invitation.email
        ]
        return super().get_context_data(sip=sip, notified=notified, **kwargs)

    def form_valid(self, form):
        sip = self.get_sip()
        try:
            services.sip_withdraw(sip=sip, reason=form.cleaned_data["reason"], by=self.request.user)
        except ValidationError as error:
            form.add_error(None, _error_text(error))
            return self.form_invalid(form)
        _log(self.request, sip, AccessLog.Action.UPDATE)
        messages.success(self.request, _("The SIP has been withdrawn."))
        return redirect(sip.get_absolute_url())


class PlanPrintView(VisibleSipMixin, TemplateView):
    """The plan to print, or with ``?format=pdf`` the same page as a PDF."""

    template_name = "sip/plan_print.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "pdf":
            context = self.get_context_data(**kwargs)
            return pdf_response(
                request=request,
                template_name=self.template_name,
                context=context,
                filename=f"sip-{context['sip'].pk}-plan-{context['plan'].number}.pdf",
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        sip = self.get_sip()
        plan = get_object_or_404(
            PlanVersion.objects.select_related("created_by", "lead_person"),
            sip=sip,
            number=self.kwargs["number"],
        )
        _log(self.request, sip, AccessLog.Action.PRINT)
        return super().get_context_data(
            sip=sip,
            plan=plan,
            interventions=plan.interventions.select_related("organisation"),
            **kwargs,
        )


# --- Public acknowledgement link --------------------------------------------------------------


class AcknowledgeView(TemplateView):
    """The participant's one-click link: no login, no personal data shown.

    GET only shows a button (mail scanners prefetch links); POST acknowledges. A second
    click says "already acknowledged" and writes nothing.
    """

    template_name = "sip/acknowledge.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            self.invitation = services.invitation_from_token(kwargs["token"])
        except signing.SignatureExpired:
            return self.error(_("The link has expired. Contact the one who invited you."))
        except (signing.BadSignature, Invitation.DoesNotExist, KeyError, TypeError):
            return self.error(_("The link is not valid."))
        organisation_id = self.invitation.organisation_id
        if organisation_id is not None and not access.organisation_is_party(
            organisation_id=organisation_id, process_id=self.invitation.meeting.sip_id
        ):
            return self.error(_("The link is not valid."))
        return super().dispatch(request, *args, **kwargs)

    def error(self, message):
        response = self.render_to_response({"error": message})
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        meeting = self.invitation.meeting
        return super().get_context_data(
            invitation=self.invitation,
            meeting=meeting,
            sharing_stopped=meeting.sip.sharing_stopped,
            decline_form=DeclineViaLinkForm(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "acknowledge")
        if action not in ("acknowledge", "accept", "decline"):
            return self.error(_("The link is not valid."))
        form = DeclineViaLinkForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        self.invitation, changed = services.invitation_answer_via_link(
            invitation=self.invitation, action=action, reason=reason
        )
        return self.render_to_response(self.get_context_data(changed=changed, done_action=action))
