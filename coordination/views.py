import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView

from . import access, chains, clock, selectors, services
from .exports import export_response, requested_format
from .forms import AccessLogFilterForm, EscalationChainForm, OrganisationFilterForm
from .models import AccessLog, Individual, Organisation


class OrganisationListView(LoginRequiredMixin, ListView):
    """The directory, with search and filters by area, kind, reachability, principal."""

    template_name = "coordination/organisation_list.html"
    context_object_name = "organisations"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = OrganisationFilterForm(self.request.GET or None)
        if self.filter_form.is_bound and self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            return selectors.organisations_search(
                query=data["q"],
                area=data["area"],
                kind=data["kind"],
                reachability=data["reachability"],
                huvudman=data["huvudman"],
            )
        return selectors.organisations_search()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context


class OrganisationDetailView(LoginRequiredMixin, DetailView):
    template_name = "coordination/organisation_detail.html"
    context_object_name = "organisation"

    def get_queryset(self):
        return Organisation.objects.select_related("area", "area__parent", "parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        context["contacts"] = selectors.organisation_contacts(organisation=organisation)
        context["units"] = organisation.units.filter(is_active=True).order_by("name")
        context["ksa_for"] = organisation.ksa_for_areas.all()
        context["gsa_for"] = organisation.gsa_for_areas.all()
        context["chain"] = chain_rungs(organisation)
        context["may_edit_chain"] = access.is_administrator(user=self.request.user)
        return context


def chain_rungs(organisation) -> dict:
    """The organisation's escalation chain for its page: who each rung reaches."""
    resolver = chains.ChainResolver()
    chain = resolver.chain(organisation)
    coordinator_people = {email for email, _pk in resolver.coordinator_people(chain)}
    coordinator_names = []
    if chain.coordinator is not None:
        coordinator_names = [
            person.name
            for person in resolver.members(chain.coordinator.pk)
            if person.email in coordinator_people
        ]
        if chain.coordinator.functional_mailbox in coordinator_people:
            coordinator_names.append(chain.coordinator.functional_mailbox)
    return {
        "chain": chain,
        "coordinator_names": coordinator_names,
        "overseer_names": [person.name for person in chain.overseers],
    }


class EscalationChainView(LoginRequiredMixin, FormView):
    """``/organisationer/<pk>/eskaleringskedja/``: an administrator sets rungs 2 and 3
    of an organisation's chain; an edit that leaves it without a MAS or chefläkare is
    refused with the reason (``coordination.chains.escalation_chain_check``)."""

    template_name = "coordination/escalation_chain.html"
    form_class = EscalationChainForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.is_administrator(user=request.user):
            raise PermissionDenied
        self.organisation = get_object_or_404(
            Organisation.objects.select_related("area", "area__parent", "parent"),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organisation"] = self.organisation
        return kwargs

    def get_initial(self):
        explicit = getattr(self.organisation, "escalation_chain", None)
        if explicit is None:
            return {}
        return {"coordinator": explicit.coordinator, "overseer": explicit.overseer}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisation"] = self.organisation
        context["chain"] = chain_rungs(self.organisation)
        return context

    def form_valid(self, form):
        try:
            chains.escalation_chain_save(
                organisation=self.organisation,
                coordinator=form.cleaned_data["coordinator"],
                overseer=form.cleaned_data["overseer"],
                by=self.request.user,
            )
        except ValidationError as error:  # changed meanwhile (a MAS left, say)
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field, message)
            return self.form_invalid(form)
        messages.success(self.request, _("The escalation chain was saved."))
        return redirect(self.organisation.get_absolute_url())


class AccessLogView(LoginRequiredMixin, ListView):
    """Log review (logguppföljning) for the MAS and administrators, with CSV export.

    The access log is the biggest table (every read of a case). Pages go by keyset
    (``?before=`` / ``?after=`` a row's time and id, on the ``at`` index) instead of
    OFFSET, and the number of rows is counted up to ``COUNT_CAP``, so a page costs the
    same at ten million rows as at a hundred (bench/access_log_bench.py)."""

    template_name = "coordination/access_log.html"
    context_object_name = "entries"
    paginate_by = None
    PAGE_SIZE = 50
    COUNT_CAP = 10_000

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not (
            selectors.is_registry_admin(user=request.user)
            or selectors.mas_kommuner(user=request.user)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        self.filter_form = AccessLogFilterForm(self.request.GET or None)
        qs = selectors.access_log_visible_to(user=self.request.user).select_related(
            "organisation", "individual"
        )
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            return qs.none()
        data = self.filter_form.cleaned_data if self.filter_form.is_bound else {}
        if data.get("individual"):
            qs = qs.filter(individual__personal_identity_number=data["individual"])
        if data.get("user"):
            qs = qs.filter(username__iexact=data["user"])
        if data.get("date_from"):
            qs = qs.filter(at__gte=clock.start_of_local_day(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(at__lte=clock.end_of_local_day(data["date_to"]))
        return qs

    def get(self, request, *args, **kwargs):
        export_format = requested_format(request)
        if export_format:
            return self._export(export_format)
        return super().get(request, *args, **kwargs)

    def _export(self, export_format):
        qs = self.get_queryset()
        header = [
            "tid",
            "användare",
            "organisation",
            "personnummer",
            "ärende",
            "åtgärd",
            "ändamål",
            "sida",
            "adress",
        ]
        rows = (
            [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.username,
                entry.organisation.name if entry.organisation else "",
                entry.individual.personal_identity_number if entry.individual else "",
                entry.process_id or "",
                entry.get_action_display(),
                entry.purpose,
                entry.path,
                entry.ip_address or "",
            ]
            for entry in qs.iterator(chunk_size=2000)
        )
        response = export_response(
            export_format=export_format, basename="atkomstlogg", header=header, rows=rows
        )
        services.access_log_record(
            user=self.request.user,
            action=AccessLog.Action.EXPORT,
            purpose="Export av åtkomstlogg",
            request=self.request,
            individual=Individual.objects.filter(
                personal_identity_number=self.filter_form.cleaned_data.get("individual")
            ).first()
            if self.filter_form.is_bound and self.filter_form.is_valid()
            else None,
        )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = context["object_list"]
        page, has_newer, has_older = self._page(qs)
        total = qs.order_by().values("pk")[: self.COUNT_CAP + 1].count()
        query = self.request.GET.copy()
        for key in ("page", "before", "after"):
            query.pop(key, None)
        context.update(
            {
                "entries": page,
                "object_list": page,
                "filter_form": self.filter_form,
                "query_string": query.urlencode(),
                "total": min(total, self.COUNT_CAP),
                "total_capped": total > self.COUNT_CAP,
                "newer_cursor": _cursor(page[0]) if page and has_newer else "",
                "older_cursor": _cursor(page[-1]) if page and has_older else "",
            }
        )
        return context

    def _page(self, qs) -> tuple[list, bool, bool]:
        """One page of rows, newest first, and whether there are newer and older rows."""
        size = self.PAGE_SIZE
        after = _parse_cursor(self.request.GET.get("after", ""))
        before = _parse_cursor(self.request.GET.get("before", ""))
        if after is not None:
            at, pk = after
            # ``at >= …`` first: a range the ``at`` index can seek to (the OR alone is not).
            newer = qs.filter(at__gte=at).filter(Q(at__gt=at) | Q(at=at, pk__gt=pk))
            rows = list(newer.order_by("at", "pk")[: size + 1])
            has_newer = len(rows) > size
            return list(reversed(rows[:size])), has_newer, True
        if before is not None:
            at, pk = before
            qs = qs.filter(at__lte=at).filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
        rows = list(qs.order_by("-at", "-pk")[: size + 1])
        return rows[:size], before is not None, len(rows) > size


def _cursor(entry) -> str:
    """A row's place in the log: its time (µs since the epoch) and id."""
    return f"{int(entry.at.timestamp() * 1_000_000)}-{entry.pk}"


def _parse_cursor(value: str):
    """``(at, pk)`` from ``_cursor``; None for no or a malformed cursor (first page)."""
    try:
        micros, pk = value.split("-", 1)
        at = dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC)
        return at, int(pk)
    except (ValueError, OverflowError, OSError):
        return None
