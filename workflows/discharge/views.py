"""Thin views: the task forms of the flow, the case page and the list page.

Every read goes through ``selectors.discharges_visible_to``; every write through one
service. The task views are ``workflows.taskviews.FlowTaskView`` pages: they run inside
viewflow's lock and transaction, and a refused step rolls back with a message on the
form.
"""

import abc

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import generic
from viewflow.workflow.flow.views import mixins as flow_mixins
from viewflow.workflow.status import STATUS

from coordination.models import AccessLog
from coordination.printing import pdf_response
from coordination.services import access_log_record
from workflows.taskviews import FlowTaskView, PersonFromRegisterMixin

from . import forms, selectors, services
from .models import DischargeProcess, MessageSecondChannel

STATE_LABELS = {
    "OPEN": _("Open"),
    "OVERDUE": _("Overdue"),
    "MET": _("Met"),
    "MET_LATE": _("Met late"),
    "BREACHED": pgettext_lazy("LUS", "Breached"),
    "CANCELLED": _("Cancelled"),
}


class DischargeTaskView(flow_mixins.TaskViewTemplateNames, FlowTaskView):
    """A step of the discharge flow: its form takes the user and the case (and the
    unit's role where the step belongs to a unit) and saves itself through its
    service."""

    template_filename = "task.html"
    access_purpose = "Utskrivningsärende (LUS)"
    role = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["process"] = self.process
        if self.role is not None:
            kwargs["role"] = self.role
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["preconditions"] = form.preconditions() if hasattr(form, "preconditions") else []
        return context

    def perform(self, form):
        form.save(process=self.process, by=self.request.user)


class RegisterAdmissionView(PersonFromRegisterMixin, DischargeTaskView):
    form_class = forms.RegisterAdmissionForm
    template_filename = "start.html"


class JudgeView(DischargeTaskView):
    form_class = forms.JudgeForm


class AdmissionNoticeView(DischargeTaskView):
    form_class = forms.AdmissionNoticeForm


class UnitTaskView(DischargeTaskView):
    """A step of one unit's branch: the form acts for the unit the task is routed to
    (a role may have several units)."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organisation"] = self.request.activation.task.owner_permission_obj
        return kwargs


class UnitAnswerView(UnitTaskView):
    form_class = forms.UnitAnswerForm


class AppointFastVardkontaktView(DischargeTaskView):
    form_class = forms.AppointFastVardkontaktForm


class PlanView(UnitTaskView):
    form_class = forms.PlanForm


class ReadyNoticeView(DischargeTaskView):
    form_class = forms.ReadyNoticeForm


class AcknowledgeReadyView(DischargeTaskView):
    form_class = forms.AcknowledgeReadyForm


class SipKallelseView(DischargeTaskView):
    form_class = forms.SipKallelseForm


class DischargeView(DischargeTaskView):
    form_class = forms.DischargeForm


# --- Case pages ---------------------------------------------------------------------


def _flow():
    from .flows import DischargeFlow  # here: the flow imports this module

    return DischargeFlow


class DischargeListView(LoginRequiredMixin, generic.ListView):
    """The user's discharges: search by name or personnummer, filter by stage."""

    template_name = "discharge/discharge_list.html"
    context_object_name = "discharges"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = forms.DischargeFilterForm(self.request.GET or None)
        query, stage = "", ""
        if self.filter_form.is_bound and self.filter_form.is_valid():
            query = self.filter_form.cleaned_data["q"]
            stage = self.filter_form.cleaned_data["stage"]
        return selectors.discharges_search(
            user=self.request.user, query=query, stage=stage
        ).annotate(open_deadlines=Count("deadlines", filter=Q(deadlines__status="OPEN")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        flow = _flow()
        if flow.start.can_execute(self.request.user):
            context["start_url"] = flow.instance.reverse("start:execute")
        return context


def _visible_or_404(request, pk) -> DischargeProcess:
    process = (
        selectors.discharges_visible_to(user=request.user)
        .select_related("individual", "ward", "vardcentral", "fast_vardkontakt")
        .filter(pk=pk)
        .first()
    )
    if process is None:
        raise Http404
    return process


class DischargeDetailView(LoginRequiredMixin, generic.TemplateView):
    """The case page: the whole chain as a timeline with every deadline."""

    template_name = "discharge/discharge_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        process = _visible_or_404(self.request, kwargs["pk"])
        access_log_record(
            user=self.request.user,
            action=AccessLog.Action.READ,
            purpose="Utskrivningsärende (LUS)",
            individual=process.individual,
            process=process,
            request=self.request,
        )
        deadlines = list(selectors.discharge_deadlines(process=process))
        for deadline in deadlines:
            deadline.state_label = STATE_LABELS[deadline.display_state]
        context.update(
            process=process,
            events=process.events.select_related("by", "organisation"),
            deadlines=[d for d in deadlines if d.status != "CANCELLED"],
            cancelled_deadlines=[d for d in deadlines if d.status == "CANCELLED"],
            estimates=process.estimated_dates.select_related("changed_by"),
            notices=process.ready_notices.select_related(
                "issued_by", "revoked_by", "acknowledged_by"
            ),
            payment=selectors.discharge_payment(process=process),
            open_tasks=self._open_tasks(process),
            can_change_estimate=(
                process.stage in ("PLANNING", "READY")
                and services.is_member(self.request.user, process.ward)
            ),
            estimate_form=forms.EstimatedDateForm(),
            can_withdraw=(
                not process.is_withdrawn
                and selectors.discharge_may_withdraw(user=self.request.user, process=process)
            ),
            can_change_ward=(
                process.is_open and services.is_member(self.request.user, process.ward)
            ),
            ward_form=forms.ChangeWardForm(process=process),
            unit_chain=[
                unit
                for unit in context_units(process)
                if unit.origin != unit.Origin.ADMISSION_NOTICE
                or unit.superseded_at
                or unit.is_rejected
            ],
            can_change_units=services.may_change_units(user=self.request.user, process=process),
            unit_add_form=forms.UnitAddForm(),
            unit_replace_form=forms.UnitReplaceForm(process=process),
            second_channel_pending=services.second_channel_pending(process),
            second_channels=MessageSecondChannel.objects.filter(unit__process=process)
            .select_related("unit__organisation", "by")
            .order_by("at", "pk"),
            can_record_second_channel=(
                not process.is_withdrawn
                and services.may_record_second_channel(user=self.request.user, process=process)
            ),
            second_channel_channels=MessageSecondChannel.Channel.choices,
            **self._content(process),
        )
        context["units"] = context_units(process)
        return context

    def _content(self, process) -> dict:
        """The planning basis in force with each unit's acknowledgement, and the
        information at discharge."""
        user = self.request.user
        is_ward = services.is_member(user, process.ward)
        basis_units = services.planning_basis_units(process)
        return {
            "planning_basis": process.planning_bases.select_related("written_by").first(),
            "basis_units": basis_units,
            "may_write_basis": is_ward and process.stage in ("PLANNING", "READY"),
            "may_ack_basis": any(
                row["ack"] is None and services.is_member(user, row["unit"].organisation)
                for row in basis_units
            ),
            "information": getattr(process, "information", None),
            "information_units": (information_units := services.information_units(process)),
            "may_ack_information": any(
                row["ack"] is None and services.is_member(user, row["unit"].organisation)
                for row in information_units
            ),
            "compulsory_care_plan_missing": services.compulsory_care_plan_missing(process),
            "may_start_compulsory_care_sip": is_ward
            and process.is_open
            and process.leaves_for_open_compulsory_care,
            "may_write_information": is_ward and process.stage in ("READY", "DISCHARGED"),
        }

    def _open_tasks(self, process):
        tasks = process.task_set.filter(
            flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]
        ).select_related("owner")
        return [
            {
                "task": task,
                "title": task.flow_task.task_title,
                "url": task.flow_task.reverse("index", args=[process.pk, task.pk]),
            }
            for task in tasks
        ]


def context_units(process):
    """The units of a case with what the case page shows of their history."""
    return list(
        process.unit_rows.select_related(
            "organisation", "ack_by", "planned_by", "added_by", "replaces__organisation"
        ).prefetch_related("successors__organisation")
    )


class _CaseActionView(LoginRequiredMixin, generic.FormView, metaclass=abc.ABCMeta):
    """POST only, from the case page: one service call; refusals and the result as
    messages, an access-log row on success, back to the case page."""

    http_method_names = ["post"]
    success_message = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        self.process = _visible_or_404(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    form_takes_process = False  # True: the form's choices depend on the case

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.form_takes_process:
            kwargs["process"] = self.process
        return kwargs

    @abc.abstractmethod
    def call_service(self, data):
        """The one service call of the action (add, replace a unit; change ward)."""

    def form_valid(self, form):
        try:
            self.call_service(form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
        except PermissionDenied as exc:
            messages.error(self.request, str(exc) or _("You cannot change this case."))
        else:
            access_log_record(
                user=self.request.user,
                action=AccessLog.Action.UPDATE,
                purpose="Utskrivningsärende (LUS)",
                individual=self.process.individual,
                process=self.process,
                request=self.request,
            )
            messages.success(self.request, self.success_message)
        return redirect(self.process.get_absolute_url())

    def form_invalid(self, form):
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(self.request, f"{label}: {error}" if label else error)
        return redirect(self.process.get_absolute_url())


class UnitAddView(_CaseActionView):
    form_class = forms.UnitAddForm
    success_message = _("The unit has been added and sent the admission notice.")

    def call_service(self, data):
        services.unit_add(
            process=self.process,
            role=data["role"],
            organisation=data["organisation"],
            reason=data["reason"],
            by=self.request.user,
        )


class SecondChannelView(_CaseActionView):
    form_takes_process = True
    form_class = forms.SecondChannelForm
    success_message = _("The second channel has been recorded: the message counts as sent.")

    def call_service(self, data):
        services.second_channel_record(
            process=self.process,
            unit=data["unit"],
            message=data["message"],
            channel=data["channel"],
            note=data["note"],
            by=self.request.user,
        )


class CompulsoryCareSipView(_CaseActionView):
    """ÖPT/ÖRV: the ward starts the SIP for the coordinated care plan."""

    form_class = forms.EmptyForm
    success_message = _("The SIP for the coordinated care plan has been started.")

    def call_service(self, data):
        services.compulsory_care_sip_start(process=self.process, by=self.request.user)


class UnitReplaceView(_CaseActionView):
    form_takes_process = True
    form_class = forms.UnitReplaceForm
    success_message = _("The unit has been replaced and the new unit sent the admission notice.")

    def call_service(self, data):
        services.unit_replace(
            process=self.process,
            unit=data["unit"],
            organisation=data["organisation"],
            reason=data["reason"],
            by=self.request.user,
        )


class _ContentView(LoginRequiredMixin, generic.FormView, metaclass=abc.ABCMeta):
    """A page of its own for a content message the ward writes (long text: an error
    shows on the page with everything typed kept)."""

    template_name = "discharge/content_form.html"
    title = ""
    success_message = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.process = _visible_or_404(request, kwargs["pk"])
        if not services.is_member(request.user, self.process.ward):
            raise PermissionDenied(_("Only the ward writes this."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        access_log_record(
            user=self.request.user,
            action=AccessLog.Action.READ,
            purpose="Utskrivningsärende (LUS)",
            individual=self.process.individual,
            process=self.process,
            request=self.request,
        )
        return super().get_context_data(process=self.process, title=self.title, **kwargs)

    @abc.abstractmethod
    def current(self):
        """The content written so far (the form starts from it), or None."""

    def get_initial(self):
        current = self.current()
        if current is None:
            return {}
        return {name: getattr(current, name) for name in self.form_class.base_fields}

    @abc.abstractmethod
    def call_service(self, data):
        """Write the content (a service of ``discharge.services``)."""

    def form_valid(self, form):
        try:
            self.call_service(form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        access_log_record(
            user=self.request.user,
            action=AccessLog.Action.UPDATE,
            purpose="Utskrivningsärende (LUS)",
            individual=self.process.individual,
            process=self.process,
            request=self.request,
        )
        messages.success(self.request, self.success_message)
        return redirect(self.process.get_absolute_url())


class PlanningBasisView(_ContentView):
    form_class = forms.PlanningBasisForm
    title = _("Planning basis")
    success_message = _("The planning basis has been sent to the units.")

    def current(self):
        return self.process.planning_bases.first()

    def call_service(self, data):
        services.planning_basis_record(process=self.process, by=self.request.user, **data)


class DischargeInformationView(_ContentView):
    form_class = forms.DischargeInformationForm
    title = _("Information at discharge")
    success_message = _("The information at discharge has been written.")

    def current(self):
        return getattr(self.process, "information", None)

    def call_service(self, data):
        services.discharge_information_record(process=self.process, by=self.request.user, **data)


class PlanningBasisAckView(_CaseActionView):
    """POST from the case page: the user's unit acknowledges the planning basis."""

    form_class = forms.EmptyForm
    success_message = _("The planning basis is acknowledged.")

    def call_service(self, data):
        services.planning_basis_acknowledge(process=self.process, by=self.request.user)


class InformationAckView(_CaseActionView):
    """POST from the case page: the user's unit acknowledges the information at
    discharge."""

    form_class = forms.EmptyForm
    success_message = _("The information at discharge is acknowledged.")

    def call_service(self, data):
        services.discharge_information_acknowledge(process=self.process, by=self.request.user)


class PatientLetterView(LoginRequiredMixin, generic.TemplateView):
    """The letter to the individual, to print or (``?format=pdf``) as a PDF: the
    information at discharge in plain words, the fast vårdkontakt, the medicines and
    the aids."""

    template_name = "discharge/patient_letter.html"

    def get(self, request, *args, **kwargs):
        process = _visible_or_404(request, kwargs["pk"])
        information = getattr(process, "information", None)
        if information is None:
            raise Http404(_("The information at discharge has not been written."))
        access_log_record(
            user=request.user,
            action=AccessLog.Action.PRINT,
            purpose="Utskrivningsärende (LUS), brev till den enskilde",
            individual=process.individual,
            process=process,
            request=request,
        )
        context = self.get_context_data(process=process, information=information, **kwargs)
        if request.GET.get("format") == "pdf":
            return pdf_response(
                request=request,
                template_name=self.template_name,
                context=context,
                filename=f"brev-utskrivning-{process.pk}.pdf",
            )
        return self.render_to_response(context)


class DischargeSummaryView(LoginRequiredMixin, generic.TemplateView):
    """A discharge summary to print, or with ``?format=pdf`` the same page as a PDF."""

    template_name = "discharge/discharge_print.html"

    def get(self, request, *args, **kwargs):
        process = _visible_or_404(request, kwargs["pk"])
        access_log_record(
            user=request.user,
            action=AccessLog.Action.PRINT,
            purpose="Utskrivningsärende (LUS), sammanfattning",
            individual=process.individual,
            process=process,
            request=request,
        )
        deadlines = [
            d for d in selectors.discharge_deadlines(process=process) if d.status != "CANCELLED"
        ]
        for deadline in deadlines:
            deadline.state_label = STATE_LABELS[deadline.display_state]
        context = self.get_context_data(
            process=process,
            units=process.unit_rows.select_related("organisation"),
            deadlines=deadlines,
            **kwargs,
        )
        if request.GET.get("format") == "pdf":
            return pdf_response(
                request=request,
                template_name=self.template_name,
                context=context,
                filename=f"utskrivning-{process.pk}.pdf",
            )
        return self.render_to_response(context)


class EstimatedDateChangeView(LoginRequiredMixin, generic.FormView):
    """POST only, from the case page: a new estimated discharge date."""

    form_class = forms.EstimatedDateForm
    http_method_names = ["post"]

    def form_valid(self, form):
        process = get_object_or_404(
            selectors.discharges_visible_to(user=self.request.user), pk=self.kwargs["pk"]
        )
        try:
            services.estimated_discharge_date_change(
                process=process,
                estimated_date=form.cleaned_data["estimated_date"],
                note=form.cleaned_data["note"],
                by=self.request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
        except PermissionDenied as exc:
            messages.error(self.request, str(exc) or _("You cannot change this case."))
        else:
            messages.success(self.request, _("The estimated discharge date has been changed."))
        return redirect(process.get_absolute_url())

    def form_invalid(self, form):
        process = get_object_or_404(
            selectors.discharges_visible_to(user=self.request.user), pk=self.kwargs["pk"]
        )
        messages.error(self.request, _("Give a valid date."))
        return redirect(process.get_absolute_url())


class DischargeWithdrawView(LoginRequiredMixin, generic.FormView):
    """Makulering from the case page: the reason, then the parties are told."""

    form_class = forms.WithdrawForm
    template_name = "discharge/withdraw.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.process = _visible_or_404(request, kwargs["pk"])
        if self.process.is_withdrawn:
            messages.info(request, _("This discharge has already been withdrawn."))
            return redirect(self.process.get_absolute_url())
        if not selectors.discharge_may_withdraw(user=request.user, process=self.process):
            raise PermissionDenied(_("Only the registering ward can withdraw this discharge."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["process"] = self.process
        context["notified_units"] = [
            unit
            for unit in self.process.unit_rows.select_related("organisation")
            if unit.notified_at is not None
        ]
        access_log_record(
            user=self.request.user,
            action=AccessLog.Action.READ,
            purpose="Utskrivningsärende (LUS)",
            individual=self.process.individual,
            process=self.process,
            request=self.request,
        )
        return context

    def form_valid(self, form):
        try:
            services.discharge_withdraw(
                process=self.process, reason=form.cleaned_data["reason"], by=self.request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        access_log_record(
            user=self.request.user,
            action=AccessLog.Action.UPDATE,
            purpose="Utskrivningsärende (LUS)",
            individual=self.process.individual,
            process=self.process,
            request=self.request,
        )
        messages.success(self.request, _("The discharge has been withdrawn."))
        return redirect(self.process.get_absolute_url())


class WardChangeView(_CaseActionView):
    """POST only, from the case page: the patient moved to another ward."""

    form_takes_process = True
    form_class = forms.ChangeWardForm
    success_message = _("The patient has been moved to the new ward.")

    def call_service(self, data):
        services.discharge_change_ward(
            process=self.process, ward=data["ward"], note=data["note"], by=self.request.user
        )

    def form_invalid(self, form):
        messages.error(self.request, _("Choose an active inpatient ward."))
        return redirect(self.process.get_absolute_url())
