from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.views.generic import DetailView, ListView

from . import clock, selectors, services
from .exports import export_response, requested_format
from .forms import AccessLogFilterForm, OrganisationFilterForm
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
        return context


class AccessLogView(LoginRequiredMixin, ListView):
    """Log review (logguppföljning) for the MAS and administrators, with CSV export."""

    template_name = "coordination/access_log.html"
    context_object_name = "entries"
    paginate_by = 50

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
        context["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context
