"""The MAS dashboard's pages: the scope (one of the MAS's own kommuner, an area or
organisation in it, a period), its tables with exports, and the cases behind every
figure. The figures come from ``oversight.dashboard``."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from coordination.exports import export_response, requested_format
from coordination.selectors import mas_kommuner

from . import dashboard
from .forms import DashboardFilterForm
from .views import dashboard_trend_panel


class DashboardView(LoginRequiredMixin, View):
    """The MAS's view of their kommun: open deviations, overdue answers, breached
    deadlines and the monthly indicators, with a CSV export of every table
    (``?export=<table>``). Only a MAS sees it, only for their own kommuner."""

    template_name = "oversight/dashboard.html"

    def get(self, request):
        scope, form = _dashboard_scope(request)
        export = request.GET.get("export")
        if export:
            table = dashboard.TABLES.get(export)
            if table is None:
                raise Http404
            header, rows = table(scope)
            return export_response(
                export_format=requested_format(request) or "csv",
                basename=export,
                header=header,
                rows=rows,
            )
        context = dashboard.build(scope)
        query = request.GET.copy()
        query.pop("export", None)
        context.update(
            {
                "filter_form": form,
                "scope": scope,
                "query_string": query.urlencode(),
                "panels": [dashboard_trend_panel(scope)],
            }
        )
        return render(request, self.template_name, context)


class DashboardCasesView(LoginRequiredMixin, View):
    """The cases behind a dashboard figure (case numbers and links; no names)."""

    template_name = "oversight/dashboard_cases.html"

    def get(self, request):
        scope, form = _dashboard_scope(request)
        figure = dashboard.figure_from_request(request.GET)
        if figure is None:
            raise Http404
        title, header, rows = dashboard.figure_rows(scope, figure)
        export_format = requested_format(request)
        if export_format:
            return export_response(
                export_format=export_format,
                basename="underlag",
                header=header,
                rows=(row[:-1] for row in rows),
            )
        query = request.GET.copy()
        query.pop("format", None)
        return render(
            request,
            self.template_name,
            {
                "title": title,
                "header": header,
                "rows": rows,
                "scope": scope,
                "query_string": query.urlencode(),
            },
        )


def _dashboard_scope(request):
    kommuner = mas_kommuner(user=request.user)
    if not kommuner:
        raise PermissionDenied
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, kommuner=kommuner, today=today)
    if form.is_bound and not form.is_valid():
        # A choice outside the MAS's kommuner (or a malformed one) shows nothing of it.
        raise PermissionDenied
    data = form.cleaned_data if form.is_bound else {}
    scope = dashboard.Scope.build(
        kommun=data.get("kommun") or kommuner[0],
        area=data.get("area"),
        organisation=data.get("organisation"),
        month_from=data.get("month_from") or "",
        month_to=data.get("month_to") or "",
        today=today,
    )
    if scope.organisation is not None and scope.organisation.pk not in set(
        scope.organisations().values_list("pk", flat=True)
    ):
        raise PermissionDenied
    return scope, form
