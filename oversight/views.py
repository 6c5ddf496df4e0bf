"""Pages of payment responsibility and the national indicators. Thin: the figures come
from ``oversight.selectors``, writes from the services; who may see which kommun is
``payment_kommuner_visible_to`` and which cases ``discharges_visible_to``."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View

from coordination.models import Area
from coordination.selectors import is_registry_admin
from coordination.services import access_log_record
from oversight.charts import line_chart
from workflows.discharge import services as discharge_services
from workflows.discharge.models import CareType, DischargeProcess, PaymentDayRate
from workflows.discharge.selectors import discharges_visible_to, payment_years_missing_rate

from . import exports, selectors, services
from .forms import (
    DisputeForm,
    EpisodesForm,
    PopulationForm,
    RateForm,
    ResolveForm,
    ScopeForm,
    parse_month,
)
from .models import KommunPopulation, PaymentDispute

CARE_LABELS = dict(CareType.choices)


def _default_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def _scope(request, form_class=ScopeForm):
    """(form, kommun, month, kommuner) from the query; PermissionDenied for a user who
    may see no kommun; an invalid form leaves kommun None."""
    kommuner = selectors.payment_kommuner_visible_to(user=request.user)
    if not kommuner:
        raise PermissionDenied
    data = request.GET.copy()
    data.setdefault("kommun", str(kommuner[0].pk))
    form = form_class(data, kommuner=kommuner)
    if not form.is_valid():
        return form, None, None, kommuner
    return (
        form,
        form.cleaned_data["kommun"],
        form.cleaned_data["month"] or _default_month(),
        kommuner,
    )


def _money(value) -> str:
    return "" if value is None else f"{value:,}".replace(",", " ")


def _basis_rows(basis):
    """One row per care type in the columns of the export and the PDF."""
    rows = []
    for section in basis.sections:
        settlement = section.settlement
        rows.append(
            [
                f"{basis.month:%Y-%m}",
                section.label,
                basis.agreement.get_model_display() if basis.agreement else "",
                len(section.episodes),
                settlement.days if settlement else sum(e.days for e in section.episodes),
                settlement.mean if settlement else None,
                section.level,
                settlement.days_above if settlement else section.payable_days,
                section.rate_sek,
                section.amount_sek
                if section.amount_sek is not None
                else ", ".join(
                    _("amount missing for %(year)s") % {"year": y}
                    for y in section.missing_rate_years
                ),
            ]
        )
    return rows


BASIS_HEADER = [
    "Månad",
    "Vårdform",
    "Modell",
    "Vårdtillfällen",
    "Dagar (dag 0 medräknad)",
    "Medel",
    "Överenskommen nivå / fristdagar",
    "Dagar över nivån / betalningsdagar",
    "Belopp per vårddygn (kr)",
    "Belopp (kr)",
]
EPISODE_HEADER = [
    "Ärende",
    "Vårdform",
    "Utskrivningsklar skickat",
    "Efterregistrerat",
    "Dag 0",
    "Utskriven",
    "Dagar",
    "Betalningsdagar",
    "Belopp (kr)",
    "Bestridande",
    "Ej med: skäl",
]


def _episode_row(episode):
    return [
        episode.process_id,
        CARE_LABELS.get(episode.care_type, episode.care_type),
        timezone.localtime(episode.sent_at).strftime("%Y-%m-%d %H:%M"),
        episode.backdate_reason,
        episode.day_zero,
        timezone.localtime(episode.discharged_at).strftime("%Y-%m-%d %H:%M"),
        episode.days,
        episode.payable_days,
        episode.amount_sek,
        episode.dispute.get_status_display() if episode.dispute else "",
        "; ".join(episode.unmet),
    ]


class InvoiceBasisView(LoginRequiredMixin, View):
    """The invoice basis of one kommun and month (``?export=csv|xlsx|pdf``)."""

    template_name = "oversight/invoice_basis.html"

    def get(self, request):
        form, kommun, month, kommuner = _scope(request)
        if kommun is None:
            return render(request, self.template_name, {"form": form}, status=400)
        basis = selectors.invoice_basis(kommun=kommun, month=month)
        export = request.GET.get("export")
        # Episode rows (case numbers, no names) only as far as the access rule allows.
        every = [e for section in basis.sections for e in section.episodes + section.excluded]
        visible, hidden = selectors.episodes_visible(user=request.user, episode_list=every)
        visible_ids = {e.process_id for e in visible}
        name = f"fakturaunderlag-{kommun.code or kommun.pk}-{month:%Y-%m}"
        if export == "csv":
            return exports.csv_response(f"{name}.csv", BASIS_HEADER, _basis_rows(basis))
        if export == "xlsx":
            return exports.xlsx_response(
                f"{name}.xlsx",
                [
                    (_("Invoice basis"), BASIS_HEADER, _basis_rows(basis)),
                    (
                        _("Episodes"),
                        EPISODE_HEADER,
                        [_episode_row(e) for e in visible],
                    ),
                ],
            )
        context = {
            "form": form,
            "basis": basis,
            "kommun": kommun,
            "month": month,
            "rows": _basis_rows(basis),
            "header": BASIS_HEADER,
            "query": urlencode({"kommun": kommun.pk, "month": f"{month:%Y-%m}"}),
            "disputes": PaymentDispute.objects.filter(kommun=kommun)
            .select_related("opened_by", "resolved_by")
            .order_by("status", "-opened_at")[:100],
            "generated_at": timezone.now(),
            "visible_ids": visible_ids,
            "hidden_episodes": hidden,
        }
        if export == "pdf":
            html = render_to_string("oversight/invoice_basis_pdf.html", context, request=request)
            return exports.pdf_response(f"{name}.pdf", html)
        return render(request, self.template_name, context)


class InvoiceEpisodesView(LoginRequiredMixin, View):
    """The episodes behind a figure of the invoice basis, as far as the user may see
    them (``discharges_visible_to``); every listed case is access-logged. Case numbers,
    dates and days only: no names."""

    template_name = "oversight/invoice_episodes.html"

    def get(self, request):
        form, kommun, month, _kommuner = _scope(request, EpisodesForm)
        if kommun is None:
            return render(request, self.template_name, {"form": form}, status=400)
        care_type = form.cleaned_data["care_type"]
        which = form.cleaned_data.get("which") or "counted"
        basis = selectors.invoice_basis(kommun=kommun, month=month)
        section = next(s for s in basis.sections if s.care_type == care_type)
        chosen = section.episodes if which == "counted" else section.excluded
        shown, hidden = selectors.episodes_visible(user=request.user, episode_list=chosen)
        processes = DischargeProcess.objects.in_bulk([e.process_id for e in shown])
        for episode in shown:
            process = processes[episode.process_id]
            access_log_record(
                user=request.user,
                action="VIEW",
                purpose="Fakturaunderlag betalningsansvar",
                individual=process.individual,
                process=process,
                request=request,
            )
        if request.GET.get("export") == "csv":
            return exports.csv_response(
                f"underlag-{month:%Y-%m}.csv", EPISODE_HEADER, [_episode_row(e) for e in shown]
            )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "kommun": kommun,
                "month": month,
                "section": section,
                "which": which,
                "episodes": shown,
                "hidden": hidden,
                "can_dispute": selectors.is_kommun_side_of(user=request.user, kommun=kommun),
                "can_resolve": selectors.is_region_side(user=request.user),
                "query": request.GET.urlencode(),
            },
        )


def _back(request, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target or fallback)


class DisputeOpenView(LoginRequiredMixin, View):
    """POST: the kommun disputes one episode, with a reason."""

    def post(self, request):
        form = DisputeForm(request.POST)
        fallback = reverse("oversight:invoice_basis")
        if not form.is_valid():
            messages.error(request, _("Give a reason for the dispute."))
            return _back(request, fallback)
        kommun = get_object_or_404(
            Area,
            pk=form.cleaned_data["kommun"],
            pk__in=[k.pk for k in selectors.payment_kommuner_visible_to(user=request.user)],
        )
        process = get_object_or_404(
            discharges_visible_to(user=request.user), pk=form.cleaned_data["process"]
        )
        try:
            services.payment_dispute_open(
                process=process, kommun=kommun, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The episode is disputed."))
        return _back(request, fallback)


class DisputeResolveView(LoginRequiredMixin, View):
    """POST: the region side accepts or rejects a dispute, with a note."""

    def post(self, request):
        form = ResolveForm(request.POST)
        fallback = reverse("oversight:invoice_basis")
        if not form.is_valid():
            messages.error(request, _("Give a note on the resolution."))
            return _back(request, fallback)
        visible = [k.pk for k in selectors.payment_kommuner_visible_to(user=request.user)]
        dispute = get_object_or_404(
            PaymentDispute, pk=form.cleaned_data["dispute"], kommun_id__in=visible
        )
        try:
            services.payment_dispute_resolve(
                dispute=dispute,
                accepted=form.cleaned_data["decision"] == "ACCEPT",
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The dispute is resolved."))
        return _back(request, fallback)


class RatesView(LoginRequiredMixin, View):
    """Administrators: Socialstyrelsen's amount per vårddygn per year, the years with
    cases that have none, and the population figures."""

    template_name = "oversight/rates.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_registry_admin(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, rate_form=None, population_form=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "rates": PaymentDayRate.objects.select_related("recorded_by"),
                "missing_years": payment_years_missing_rate(),
                "rate_form": rate_form or RateForm(),
                "population_form": population_form or PopulationForm(prefix="pop"),
                "populations": KommunPopulation.objects.select_related("kommun")[:200],
            },
            status=status,
        )

    def post(self, request):
        if "pop-kommun" in request.POST:
            form = PopulationForm(request.POST, prefix="pop")
            if form.is_valid():
                try:
                    services.kommun_population_set(by=request.user, **form.cleaned_data)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, _("The population figure is saved."))
                    return HttpResponseRedirect(reverse("oversight:rates"))
            return self.get(request, population_form=form, status=400)
        form = RateForm(request.POST)
        if form.is_valid():
            try:
                discharge_services.payment_day_rate_set(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The amount is saved."))
                return HttpResponseRedirect(reverse("oversight:rates"))
        return self.get(request, rate_form=form, status=400)


INDICATOR_HEADER = [
    "Kommun",
    "Månad",
    "Vårdform",
    "Antal vårdtillfällen (≥ 1 dag)",
    "Summa dagar",
    "Medelvårdtid som utskrivningsklar (SKR, ≥ 1 dag)",
    "Andel utskrivna samma dag (%)",
    "Utskrivna totalt",
    "Medel inkl. dag 0 (överenskommelsen)",
    "Dagar per 1 000 inv 65+",
]


def _indicator_row(row):
    return [
        row.kommun.name,
        f"{row.month:%Y-%m}",
        CARE_LABELS.get(row.care_type, row.care_type),
        row.episodes,
        row.days,
        row.skr_mean,
        row.same_day_share,
        row.discharged,
        row.agreement_mean,
        row.days_per_1000_65,
    ]


def indicator_charts(*, months, rows) -> list:
    """The trend charts of the SKR indicators: per care type, the SKR mean (≥ 1 day)
    beside the agreement's mean (day 0 included), month by month."""
    labels = [f"{m:%Y-%m}" for m in months]
    charts = []
    for care_type, label in CareType.choices:
        of_type = [r for r in rows if r.care_type == care_type]
        charts.append(
            line_chart(
                title=_("%(care)s: mean days ready for discharge") % {"care": label},
                labels=labels,
                series=[
                    (
                        _("SKR mean (≥ 1 day)"),
                        [float(r.skr_mean) if r.skr_mean is not None else None for r in of_type],
                    ),
                    (
                        _("Agreement mean (day 0 included)"),
                        [
                            float(r.agreement_mean) if r.agreement_mean is not None else None
                            for r in of_type
                        ],
                    ),
                ],
            )
        )
    return charts


def dashboard_trend_panel(scope) -> dict:
    """The MAS dashboard's panel of payment-responsibility trends (registered in
    ``OversightConfig.ready``): twelve months up to the scope's last month."""
    months = selectors.months_back(scope.last_month, 12)
    rows = selectors.indicator_rows(kommuner=[scope.kommun], months=months)
    return {
        "title": _("Ready for discharge: trend of the SKR indicators"),
        "charts": indicator_charts(months=months, rows=rows),
        "link": reverse("oversight:indicators")
        + "?"
        + urlencode({"kommun": scope.kommun.pk, "month": f"{scope.last_month:%Y-%m}"}),
    }


class IndicatorsView(LoginRequiredMixin, View):
    """The national indicators (SKR shape) for one kommun, twelve months up to the
    chosen one, with trend charts and an Excel export in the same columns."""

    template_name = "oversight/indicators.html"

    def get(self, request):
        form, kommun, month, _kommuner = _scope(request)
        if kommun is None:
            return render(request, self.template_name, {"form": form}, status=400)
        months = selectors.months_back(month, 12)
        rows = selectors.indicator_rows(kommuner=[kommun], months=months)
        if request.GET.get("export") == "xlsx":
            return exports.xlsx_response(
                f"utskrivningsklara-{kommun.code or kommun.pk}-{month:%Y-%m}.xlsx",
                [(_("Ready for discharge"), INDICATOR_HEADER, [_indicator_row(r) for r in rows])],
            )
        charts = indicator_charts(months=months, rows=rows)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "kommun": kommun,
                "month": month,
                "rows": rows,
                "charts": charts,
                "query": urlencode({"kommun": kommun.pk, "month": f"{month:%Y-%m}"}),
            },
        )


class RegionOverviewView(LoginRequiredMixin, View):
    """The region's side: every kommun's invoice basis of a month side by side, and the
    county's trend over twelve months."""

    template_name = "oversight/region.html"

    def get(self, request):
        if not selectors.is_region_side(user=request.user):
            raise PermissionDenied
        kommuner = selectors.payment_kommuner_visible_to(user=request.user)
        month = None
        error = ""
        if request.GET.get("month"):
            month = parse_month(request.GET["month"])
            if month is None:
                error = _("Give a month as YYYY-MM, from 2018 on.")
        if error:
            return render(request, self.template_name, {"error": error}, status=400)
        month = month or _default_month()
        months = selectors.months_back(month, 12)
        trend = selectors.county_trend(kommuner=kommuner, months=months)
        labels = [f"{m:%Y-%m}" for m in months]
        charts = [
            line_chart(
                title=_("%(care)s: mean days ready for discharge") % {"care": label},
                labels=labels,
                series=[
                    (_("Agreement mean (day 0 included)"), trend[care_type][0]),
                    (_("SKR mean (≥ 1 day)"), trend[care_type][1]),
                ],
            )
            for care_type, label in CareType.choices
        ]
        return render(
            request,
            self.template_name,
            {
                "month": month,
                "bases": selectors.region_overview(kommuner=kommuner, month=month),
                "charts": charts,
            },
        )
