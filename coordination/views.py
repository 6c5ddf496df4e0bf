from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, ListView

from . import selectors
from .forms import OrganisationFilterForm
from .models import Organisation


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
