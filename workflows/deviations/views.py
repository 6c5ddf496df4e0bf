"""Pages of the deviation register. Every read goes through
``selectors.deviations_visible_to`` or the dashboard's kommun scope; every write
through one service."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView
from django_fsm import TransitionNotAllowed, can_proceed

from coordination import clock
from coordination.exports import export_response, requested_format
from coordination.models import AccessLog, Organisation
from coordination.services import access_log_record
from workflows.deviations.models import Deviation

from . import rules, selectors, services
from .forms import (
    AnswerForm,
    CloseForm,
    DeviationCreateForm,
    DeviationFilterForm,
    DraftForm,
    ReasonForm,
)


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


class DeviationListView(LoginRequiredMixin, ListView):
    """The register: search, filters by status, category, organisation and period."""

    template_name = "deviations/deviation_list.html"
    context_object_name = "deviations"
    paginate_by = 25

    def get_queryset(self):
        user = self.request.user
        visible = selectors.deviations_visible_to(user=user)
        organisations = Organisation.objects.filter(
            Q(pk__in=visible.values("reporting_organisation"))
            | Q(pk__in=visible.values("receiving_organisation"))
        ).order_by("name")
        self.filter_form = DeviationFilterForm(
            self.request.GET or None, organisations=organisations
        )
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            return Deviation.objects.none()
        data = self.filter_form.cleaned_data if self.filter_form.is_bound else {}
        return selectors.deviations_search(
            user=user,
            query=data.get("q", ""),
            status=data.get("status", ""),
            category=data.get("category", ""),
            organisation=data.get("organisation"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            overdue_on=timezone.localdate() if data.get("overdue") else None,
            ids=self._ids(),
        )

    def _ids(self):
        # A dashboard figure links here with the ids behind it (still row-scoped above).
        raw = self.request.GET.get("ids", "")
        if not raw:
            return None
        try:
            return [int(part) for part in raw.split(",") if part][:5000]
        except ValueError:
            return []

    def get(self, request, *args, **kwargs):
        export_format = requested_format(request)
        if export_format:
            return self._export(export_format)
        return super().get(request, *args, **kwargs)

    def _export(self, export_format):
        rows = (
            [
                d.pk,
                d.get_status_display(),
                d.get_category_display(),
                d.get_process_step_display(),
                d.process_id or "",
                d.reporting_organisation.name,
                d.receiving_organisation.name,
                d.get_harm_display() if d.harm else "",
                d.get_level_display(),
                "ja" if d.lex_maria_assessment else "nej",
                _local(d.occurred_at),
                _local(d.reported_at),
                d.answer_due_date.isoformat() if d.answer_due_date else "",
                _local(d.answered_at),
                _local(d.closed_at),
            ]
            for d in self.get_queryset().iterator(chunk_size=2000)
        )
        return export_response(
            export_format=export_format,
            basename="avvikelser",
            header=[
                "nummer",
                "status",
                "kategori",
                "steg",
                "ärende",
                "rapporterande organisation",
                "mottagande organisation",
                "vårdskada",
                "nivå",
                "lex maria-bedömning",
                "inträffade",
                "rapporterad",
                "svar senast",
                "besvarad",
                "avslutad",
            ],
            rows=rows,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("format", None)
        context["query_string"] = query.urlencode()
        context["today"] = timezone.localdate()
        return context


ACTIONS = {
    "save": DraftForm,
    "report": DraftForm,
    "dismiss": ReasonForm,
    "answer": AnswerForm,
    "close": CloseForm,
    "reopen": ReasonForm,
}


def _visible_or_404(request, pk) -> Deviation:
    return get_object_or_404(
        selectors.deviations_visible_to(user=request.user).select_related(
            "reporting_organisation__area__parent",
            "receiving_organisation__area__parent",
            "process",
            "deadline",
        ),
        pk=pk,
    )


def _detail_context(request, deviation, forms=None) -> dict:
    user = request.user
    # An action is offered when the state and the user's side allow it; what the
    # transition's conditions need (a reason, an answer) is what its form asks for.
    actions = {
        name
        for name in ("report", "dismiss", "answer", "close", "reopen")
        if can_proceed(getattr(deviation, name), check_conditions=False)
        and getattr(deviation, name)
        ._django_fsm.get_transition(deviation.status)
        .has_perm(deviation, user)
    }
    may_edit = deviation.status == Deviation.Status.DRAFT and rules.may_act_for_reporter(
        deviation, user
    )
    forms = forms or {}
    draft_initial = {
        "category": deviation.category,
        "process_step": deviation.process_step,
        "description": deviation.description,
        "harm": deviation.harm,
        "level": deviation.level,
        "lex_maria_assessment": deviation.lex_maria_assessment,
        "lex_sarah_assessment": deviation.lex_sarah_assessment,
    }
    context = {
        "deviation": deviation,
        "events": selectors.deviation_history(deviation=deviation),
        "may_edit": may_edit,
        "actions": actions,
        "draft_form": forms.get("draft") or DraftForm(initial=draft_initial),
        "dismiss_form": forms.get("dismiss") or ReasonForm(prefix="dismiss"),
        "answer_form": forms.get("answer") or AnswerForm(),
        "close_form": forms.get("close")
        or CloseForm(initial={"lex_maria_assessment": deviation.lex_maria_assessment}),
        "reopen_form": forms.get("reopen") or ReasonForm(prefix="reopen"),
        "today": timezone.localdate(),
        "case_url": _case_path(deviation.process),
    }
    return context


def _case_path(process):
    if process is None:
        return ""
    concrete = selectors.concrete_process(process)
    get_url = getattr(concrete, "get_absolute_url", None)
    if get_url is None:
        return ""
    try:
        return get_url()
    except NoReverseMatch:  # a flow without a case page
        return ""


def _log_read(request, deviation, action=AccessLog.Action.READ):
    """A deviation about a case is case data: its reads are access-logged."""
    if deviation.process_id is None:
        return
    concrete = selectors.concrete_process(deviation.process)
    access_log_record(
        user=request.user,
        action=action,
        purpose=f"Avvikelse #{deviation.pk}",
        individual=getattr(concrete, "individual", None),
        process=deviation.process,
        request=request,
    )


class DeviationDetailView(LoginRequiredMixin, View):
    template_name = "deviations/deviation_detail.html"

    def get(self, request, pk):
        deviation = _visible_or_404(request, pk)
        _log_read(request, deviation)
        return render(request, self.template_name, _detail_context(request, deviation))


class DeviationActionView(LoginRequiredMixin, View):
    """One action on one deviation (POST only); the service decides if it is allowed."""

    def post(self, request, pk, action):
        if action not in ACTIONS:
            raise Http404
        deviation = _visible_or_404(request, pk)
        prefix = action if action in ("dismiss", "reopen") else None
        form = ACTIONS[action](request.POST, prefix=prefix)
        form_key = "draft" if action in ("save", "report") else action
        if not form.is_valid():
            messages.error(request, _("Please correct the errors below."))
            return render(
                request,
                "deviations/deviation_detail.html",
                _detail_context(request, deviation, forms={form_key: form}),
                status=400,
            )
        try:
            # Saving a draft and sending it is one step: a refused send keeps nothing.
            with transaction.atomic():
                self._run(action, deviation, form.cleaned_data, request.user)
        except TransitionNotAllowed:
            deviation.refresh_from_db()
            messages.error(
                request,
                _(
                    "The action could not be taken: the deviation is now “%(status)s”, "
                    "where it is not allowed. Reload the page to see what has changed."
                )
                % {"status": deviation.get_status_display()},
            )
            return redirect(deviation)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                if field in form.fields:
                    form.add_error(field, errors)
                else:
                    form.add_error(None, errors)
            return render(
                request,
                "deviations/deviation_detail.html",
                _detail_context(request, deviation, forms={form_key: form}),
                status=400,
            )
        messages.success(request, SUCCESS[action]())
        return redirect(deviation)

    def _run(self, action, deviation, data, user):
        if action in ("save", "report"):
            services.deviation_update_draft(
                deviation=deviation,
                by=user,
                category=data["category"],
                process_step=data["process_step"],
                description=data["description"],
                harm=data["harm"],
                level=data["level"],
                lex_maria_assessment=data["lex_maria_assessment"],
                lex_sarah_assessment=data["lex_sarah_assessment"],
            )
            if action == "report":
                services.deviation_report(deviation=deviation, by=user)
        elif action == "dismiss":
            services.deviation_dismiss(deviation=deviation, by=user, reason=data["reason"])
        elif action == "answer":
            services.deviation_answer(
                deviation=deviation,
                by=user,
                explanation=data["explanation"],
                measures=data["measures"],
            )
        elif action == "close":
            services.deviation_close(
                deviation=deviation,
                by=user,
                assessment=data["assessment"],
                lex_maria_assessment=data["lex_maria_assessment"],
            )
        elif action == "reopen":
            services.deviation_reopen(deviation=deviation, by=user, reason=data["reason"])


SUCCESS = {
    "save": lambda: _("The draft was saved."),
    "report": lambda: _("The deviation was sent to the receiving organisation."),
    "dismiss": lambda: _("The draft was dismissed."),
    "answer": lambda: _("Your answer was sent to the reporting organisation."),
    "close": lambda: _("The deviation was closed."),
    "reopen": lambda: _(
        "The deviation was reopened; the receiving organisation must answer again."
    ),
}


class DeviationCreateView(LoginRequiredMixin, View):
    """Report a deviation from a case page: ``?process=<id>``. Only members of an
    organisation taking part in the case may report, for that organisation."""

    template_name = "deviations/deviation_create.html"

    def _setup(self, request):
        try:
            process_id = int(request.GET.get("process") or request.POST.get("process") or "")
        except ValueError:
            raise Http404 from None
        process, mine = selectors.process_for_user(user=request.user, process_id=process_id)
        if process is None:
            raise Http404
        if not mine:
            raise PermissionDenied
        participants = selectors.process_participants(process)
        reporters = Organisation.objects.filter(pk__in=[o.pk for o in mine]).order_by("name")
        receivers = Organisation.objects.filter(pk__in=[o.pk for o in participants]).order_by(
            "name"
        )
        return process, reporters, receivers

    def get(self, request):
        process, reporters, receivers = self._setup(request)
        form = DeviationCreateForm(reporters=reporters, receivers=receivers)
        return render(request, self.template_name, self._context(process, form))

    def post(self, request):
        process, reporters, receivers = self._setup(request)
        form = DeviationCreateForm(request.POST, reporters=reporters, receivers=receivers)
        if form.is_valid():
            data = form.cleaned_data

            try:
                deviation = services.deviation_create(
                    by=request.user,
                    process=process,
                    reporting_organisation=data["reporting_organisation"],
                    receiving_organisation=data["receiving_organisation"],
                    category=data["category"],
                    process_step=data["process_step"],
                    description=data["description"],
                    harm=data["harm"],
                    level=data["level"],
                    lex_maria_assessment=data["lex_maria_assessment"],
                    lex_sarah_assessment=data["lex_sarah_assessment"],
                    occurred_at=min(
                        timezone.now(),
                        clock.start_of_local_day(data["occurred_date"])
                        + timezone.timedelta(hours=12),
                    ),
                    report_now="send" in request.POST,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("The deviation was sent to the receiving organisation.")
                    if "send" in request.POST
                    else _("The deviation was saved as a draft."),
                )
                return redirect(deviation)
        return render(request, self.template_name, self._context(process, form), status=400)

    def _context(self, process, form):
        return {"process": process, "form": form, "case_url": _case_path(process)}
