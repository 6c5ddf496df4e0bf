"""Pages of the discharge app inside the viewflow Site. The flow's own viewflow pages
are scoped by ``workflows.routing.OrganisationScopedFlowViewset`` (config/site.py)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class DischargeApp(Application):
    """Discharges (LUS): the list of the user's cases and the case pages."""

    app_name = "utskrivning"
    title = _("Discharges")
    icon = "local_hospital"
    menu_template_name = "discharge/menu.html"

    case_list_path = path("", views.DischargeListView.as_view(), name="case_list")
    case_detail_path = path("<int:pk>/", views.DischargeDetailView.as_view(), name="case_detail")
    case_summary_path = path(
        "<int:pk>/sammanfattning/", views.DischargeSummaryView.as_view(), name="case_summary"
    )
    estimated_date_path = path(
        "<int:pk>/berakat-utskrivningsdatum/",
        views.EstimatedDateChangeView.as_view(),
        name="estimated_date_change",
    )

    withdraw_path = path(
        "<int:pk>/makulera/", views.DischargeWithdrawView.as_view(), name="withdraw"
    )
    ward_change_path = path(
        "<int:pk>/byt-avdelning/", views.WardChangeView.as_view(), name="ward_change"
    )

    unit_add_path = path("<int:pk>/lagg-till-enhet/", views.UnitAddView.as_view(), name="unit_add")
    second_channel_path = path(
        "<int:pk>/andra-kanal/", views.SecondChannelView.as_view(), name="second_channel"
    )
    planning_basis_path = path(
        "<int:pk>/planeringsunderlag/",
        views.PlanningBasisView.as_view(),
        name="planning_basis",
    )
    planning_basis_ack_path = path(
        "<int:pk>/planeringsunderlag/kvittera/",
        views.PlanningBasisAckView.as_view(),
        name="planning_basis_ack",
    )
    information_path = path(
        "<int:pk>/information-vid-utskrivning/",
        views.DischargeInformationView.as_view(),
        name="discharge_information",
    )
    information_ack_path = path(
        "<int:pk>/information-vid-utskrivning/kvittera/",
        views.InformationAckView.as_view(),
        name="information_ack",
    )
    patient_letter_path = path(
        "<int:pk>/brev-till-den-enskilde/",
        views.PatientLetterView.as_view(),
        name="patient_letter",
    )
    compulsory_care_sip_path = path(
        "<int:pk>/samordnad-vardplan/",
        views.CompulsoryCareSipView.as_view(),
        name="compulsory_care_sip",
    )
    unit_replace_path = path(
        "<int:pk>/byt-enhet/", views.UnitReplaceView.as_view(), name="unit_replace"
    )

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself (see coordination.site).
        return True
