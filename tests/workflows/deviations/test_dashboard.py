"""The MAS dashboard page on hand-built data: figures, charts, CSV and drill-down."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from workflows.deviations.models import Deviation
from workflows.discharge.models import DischargeProcess

from .factories import DeviationFactory, case_with, deadline_for, discharge, sip_meeting

pytestmark = pytest.mark.django_db

STHLM = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=STHLM)
DASHBOARD = reverse("oversight:dashboard")


def at(m, d, h=12):
    return dt.datetime(2026, m, d, h, tzinfo=STHLM)


@pytest.fixture
def data(w):
    process = case_with(w.bistand, w.ward)
    deadline_for(process, w.ward, due_at=at(11, 2), status="MET", met_at=at(11, 2, 9))
    deadline_for(process, w.ward, due_at=at(11, 3))  # breached
    deadline_for(
        process,
        w.vardcentral,
        kind="SIP_KALLELSE",
        due_at=at(10, 5),
        status="MET",
        met_at=at(10, 4),
    )
    stay = discharge(
        w.ward, units=[("SOCIALTJANST", w.bistand)], ready_at=at(11, 2), discharged_at=at(11, 6)
    )
    sip = sip_meeting(
        w.bistand,
        held_at=at(11, 10),
        invited=[(w.vardcentral, "ABSENT", at(11, 4)), (w.ward, "ATTENDED", at(11, 4))],
    )
    deviation = DeviationFactory(
        status="ANSWERED",
        category="SIP_PARTICIPANT_ABSENT",
        reporting_organisation=w.bistand,
        receiving_organisation=w.vardcentral,
        process=sip,
    )
    return {"process": process, "stay": stay, "sip": sip, "deviation": deviation}


def test_dashboard_shows_real_numbers_and_links_to_the_cases(w, data, login):
    with time_machine.travel(NOW, tick=False):
        mas = login(w.mas)
        page = mas.get(DASHBOARD).content.decode()
        assert "MAS-översikt" in page
        assert "<svg" in page and "Andel i tid per månad" in page
        assert "50,0 % (1/2)" in page  # admission notices in November
        assert "100,0 % (1/1)" in page  # SIP invitations in October
        assert "Kallad part uteblev från SIP" in page
        assert "Rosenlunds vårdcentral" in page  # participation 0 of 1
        # Follow the November admission-notice figure to its cases.
        link = reverse("oversight:dashboard_cases")
        cases = mas.get(
            link, {"figure": "deadlines", "kind": "INSKRIVNINGSMEDDELANDE", "month": "2026-11"}
        ).content.decode()
        # Two admission-notice deadlines were due in November, both in this case.
        assert cases.count(f"<td>{data['process'].pk}</td>") == 2
        assert "Tidsfrister bakom siffran" in cases
        stays = mas.get(link, {"figure": "discharges", "month": "2026-11"}).content.decode()
        assert f'href="{data["stay"].get_absolute_url()}"' in stays
        assert "<td>4</td>" in stays  # 2 Nov → 6 Nov
        sips = mas.get(link, {"figure": "participation", "org": w.vardcentral.pk}).content.decode()
        assert f'href="{reverse("sips:sip_detail", args=[data["sip"].pk])}"' in sips
        csv = mas.get(link, {"figure": "discharges", "month": "2026-11", "format": "csv"})
        assert csv["Content-Type"].startswith("text/csv")
        monthly = mas.get(DASHBOARD, {"export": "manad"}).getvalue().decode("utf-8-sig")
        assert "2026-11;1;2;50;0;0;;1;4;4;1;2" in monthly


def test_filters_narrow_to_an_organisation_and_period(w, data, login):
    with time_machine.travel(NOW, tick=False):
        mas = login(w.mas)
        page = mas.get(
            DASHBOARD,
            {"organisation": w.vardcentral.pk, "month_from": "2026-10", "month_to": "2026-10"},
        ).content.decode()
        assert '<th scope="row">okt 2026</th>' in page
        assert '<th scope="row">nov 2026</th>' not in page
        body = mas.get(DASHBOARD, {"organisation": w.vardcentral.pk, "export": "oppna"})
        assert "Kallad part uteblev från SIP" in body.getvalue().decode("utf-8-sig")
        assert (
            mas.get(DASHBOARD, {"month_from": "2026-11", "month_to": "2026-10"}).status_code == 403
        )


def test_case_figures_are_current_on_every_view(w, data, login):
    """Issue 19: no figure lags behind. A breach recorded a second after a view shows on
    the next view, and the page says when the figures were counted."""
    with time_machine.travel(NOW, tick=False):
        mas = login(w.mas)
        monthly = mas.get(DASHBOARD, {"export": "manad"}).getvalue().decode("utf-8-sig")
        assert "2026-11;1;2;50;" in monthly
    with time_machine.travel(NOW + dt.timedelta(seconds=1), tick=False):
        deadline_for(data["process"], w.ward, due_at=at(11, 4))
        monthly = mas.get(DASHBOARD, {"export": "manad"}).getvalue().decode("utf-8-sig")
        assert "2026-11;1;3;33,3;" in monthly
        page = mas.get(DASHBOARD).content.decode()
    assert "Ärendesiffrorna räknades när sidan öppnades, 23 nov 2026 10:00." in page


def test_region_only_cases_and_deviations_stay_out_of_the_kommun_dashboard(w, data, login):
    """Issue 12: a case whose parties are all the region's (a ward and a vårdcentral
    lying in the kommun) is not the kommun MAS's, in figures, drill-downs or exports."""
    region_case = case_with(w.ward, w.vardcentral)
    deadline_for(region_case, w.ward, due_at=at(11, 5))  # breached
    region_deviation = DeviationFactory(
        status="REPORTED",
        category="OTHER",
        reporting_organisation=w.ward,
        receiving_organisation=w.vardcentral,
        process=region_case,
    )
    with time_machine.travel(NOW, tick=False):
        mas = login(w.mas)
        monthly = mas.get(DASHBOARD, {"export": "manad"}).getvalue().decode("utf-8-sig")
        assert "2026-11;1;2;50;0;0;;1;4;4;1;2" in monthly  # unchanged by the region case
        link = reverse("oversight:dashboard_cases")
        cases = mas.get(
            link, {"figure": "deadlines", "kind": "INSKRIVNINGSMEDDELANDE", "month": "2026-11"}
        ).content.decode()
        assert cases.count(f"<td>{data['process'].pk}</td>") == 2
        assert f"<td>{region_case.pk}</td>" not in cases
        opened = mas.get(DASHBOARD, {"organisation": w.vardcentral.pk, "export": "oppna"})
        with translation.override("sv"):
            other = str(Deviation.Category.OTHER.label)
        categories = [
            line.split(";")[0] for line in opened.getvalue().decode("utf-8-sig").splitlines()
        ]
        assert "Kallad part uteblev från SIP" in categories
        assert other not in categories, region_deviation


def test_a_withdrawn_case_counts_in_no_figure(w, data, login):
    """Issue 12: a case withdrawn as registered in error (makulering) leaves the figures."""
    stay = discharge(
        w.ward, units=[("SOCIALTJANST", w.bistand)], ready_at=at(11, 3), discharged_at=at(11, 7)
    )
    deadline_for(stay, w.ward, due_at=at(11, 4))  # breached
    with time_machine.travel(NOW, tick=False):
        mas = login(w.mas)
        counted = mas.get(DASHBOARD, {"export": "manad"}).getvalue().decode("utf-8-sig")
        assert "2026-11;1;2;50;0;0;;1;4;4;1;2" not in counted  # the case counts while open
        DischargeProcess.objects.filter(pk=stay.pk).update(withdrawn_at=at(11, 8))
        monthly = mas.get(DASHBOARD, {"export": "manad"}).getvalue().decode("utf-8-sig")
        assert "2026-11;1;2;50;0;0;;1;4;4;1;2" in monthly


def test_dashboard_shows_the_payment_trend_charts_of_the_oversight_layer(w, data, login):
    """Issue 18: the MAS dashboard carries the SKR indicator trends (somatic and
    psychiatric), added by the oversight app through the dashboard's panel hook."""
    with time_machine.travel(NOW, tick=False):
        page = login(w.mas).get(DASHBOARD).content.decode()
    assert "Utskrivningsklara: trend för SKR-indikatorerna" in page
    panel = page.split("Utskrivningsklara: trend för SKR-indikatorerna", 1)[1]
    assert panel.count("<svg") >= 2
    assert "SKR-medel (≥ 1 dag)" in panel and "Medel inkl. dag 0 (överenskommelsen)" in panel
    assert f"/oversikt/indikatorer/?kommun={w.stockholm.pk}" in panel


def test_the_old_dashboard_address_redirects_with_its_scope(w, login):
    mas = login(w.mas)
    response = mas.get("/deviations/oversikt/", {"kommun": w.stockholm.pk})
    assert response.status_code in (301, 302)
    assert response["Location"] == f"{DASHBOARD}?kommun={w.stockholm.pk}"
    cases = mas.get("/deviations/oversikt/underlag/", {"figure": "deviations"})
    assert cases["Location"] == reverse("oversight:dashboard_cases") + "?figure=deviations"
    menu = mas.get(DASHBOARD).content.decode()
    assert f'href="{DASHBOARD}"' in menu  # the oversight menu links to it for a MAS
