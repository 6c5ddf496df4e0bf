import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from . import access, chains, clock, personnummer, population, selectors, services
from .exports import export_response, requested_format
from .forms import (
    AccessLogFilterForm,
    EscalationChainForm,
    IndividualCreateForm,
    IndividualFindForm,
    OrganisationFilterForm,
)
from .models import AccessLog, Individual, Organisation
from .urls import with_query


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


# --- Registration of individuals -----------------------------------------------------


def _safe_next(request, value: str) -> str:
    """``next`` when it is a path on this site, else ""."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


class IndividualRegisterView(LoginRequiredMixin, TemplateView):
    """Find a person by personnummer or samordningsnummer and register them when
    missing, pre-filled from the population register (``coordination.population``).

    Reached from the start of a discharge or SIP with ``?next=<that form>``: the person
    found or registered is handed back as ``?personal_identity_number=``. Reading a
    registered person is access-logged like every read of an individual."""

    template_name = "coordination/individual_register.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.may_register_individuals(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _next(self) -> str:
        return _safe_next(
            self.request, self.request.POST.get("next") or self.request.GET.get("next", "")
        )

    def get(self, request, *args, **kwargs):
        find_form = IndividualFindForm(request.GET if "pnr" in request.GET else None)
        context = {"find_form": find_form, "next": self._next()}
        if find_form.is_bound and find_form.is_valid():
            number = find_form.cleaned_data["pnr"]
            context["number"] = number
            individual = Individual.objects.filter(
                personal_identity_number=number.formatted
            ).first()
            if individual is not None:
                services.access_log_record(
                    user=request.user,
                    action=AccessLog.Action.READ,
                    purpose="Sökning av person",
                    individual=individual,
                    request=request,
                )
                context["individual"] = individual
                if context["next"]:
                    context["use_url"] = with_query(
                        context["next"],
                        personal_identity_number=individual.personal_identity_number,
                    )
            else:
                record = population.population_register().lookup(number)
                context["record"] = record
                context["create_form"] = IndividualCreateForm(
                    record=record, initial=self._initial(number, record)
                )
        return self.render_to_response(self.get_context_data(**context))

    @staticmethod
    def _initial(number, record) -> dict:
        initial = {"personal_identity_number": number.formatted}
        if record is not None and not record.protected_identity:
            initial.update(
                given_name=record.given_name,
                family_name=record.family_name,
                address=record.address,
            )
        return initial

    def post(self, request, *args, **kwargs):
        try:
            number = personnummer.parse(request.POST.get("personal_identity_number", ""))
        except ValidationError:
            return redirect(reverse("coordination:individual_register"))
        record = population.population_register().lookup(number)
        form = IndividualCreateForm(request.POST, record=record)
        if form.is_valid():
            data = form.cleaned_data
            try:
                individual = services.individual_register(
                    personal_identity_number=number.formatted,
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    address=data["address"],
                    protected_identity=data["protected_identity"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The person is registered."))
                next_url = self._next()
                if next_url:
                    return redirect(
                        with_query(
                            next_url, personal_identity_number=individual.personal_identity_number
                        )
                    )
                return redirect(
                    with_query(reverse("coordination:individual_register"), pnr=number.formatted)
                )
        context = {
            "find_form": IndividualFindForm(initial={"pnr": number.formatted}),
            "number": number,
            "record": record,
            "create_form": form,
            "next": self._next(),
        }
        return self.render_to_response(self.get_context_data(**context))


# --- Organisation picker ---------------------------------------------------------------


class OrganisationSearchView(LoginRequiredMixin, View):
    """The type-ahead of the organisation pickers: active organisations matching ``q``
    (name, HSA id, area), of the ``kind``s asked for if any, at most ``LIMIT``, with
    kind, area and reachability. The directory is open to every signed-in user; no
    personal data."""

    LIMIT = 20

    def get(self, request, *args, **kwargs):
        query = request.GET.get("q", "")[:100]
        # One kind or several (``?kind=A&kind=B``): a picker offers the kinds of its field.
        kinds = [kind for kind in request.GET.getlist("kind") if kind in Organisation.Kind.values]
        organisations = selectors.organisations_search(query=query).select_related("area")
        if kinds:
            organisations = organisations.filter(kind__in=kinds)
        organisations = organisations[: self.LIMIT]
        return JsonResponse(
            {
                "results": [
                    {
                        "id": organisation.pk,
                        "name": organisation.name,
                        "area": str(organisation.area),
                        "kind": organisation.get_kind_display(),
                        "reachability": organisation.reachability,
                        "reachability_label": organisation.get_reachability_display(),
                    }
                    for organisation in organisations
                ]
            }
        )
