"""Who sees what: the case page, viewflow's own pages, the task URLs and the queue."""

import pytest
import time_machine
from django.urls import reverse

from coordination.models import AccessLog, Area
from tests.factories import AreaFactory, IndividualFactory, OrganisationFactory
from workflows.discharge.flows import DischargeFlow

from .factories import SocialtjanstFactory, member
from .helpers import client_for, do, open_task
from .test_flow import local, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {"socialtjanst": world.social.pk, "estimated_discharge_date": "2022-11-18"},
        )
    return process


@pytest.fixture
def outsider(world):
    elsewhere = AreaFactory(name="Annan kommun", kind=Area.Kind.KOMMUN)
    return member(SocialtjanstFactory(area=elsewhere, name="Annan biståndsenhet"))


def test_outsider_sees_nothing(world, case, outsider):
    client = client_for(outsider)
    flow = DischargeFlow.instance
    assert client.get(case.get_absolute_url()).status_code == 404
    assert client.get(flow.reverse("process_detail", args=[case.pk])).status_code == 404
    assert client.get(flow.reverse("process_chart", args=[case.pk])).status_code == 404
    task = open_task(case, DischargeFlow.ack_socialtjanst)
    node = DischargeFlow.ack_socialtjanst
    assert client.get(node.reverse("detail", args=[case.pk, task.pk])).status_code == 404
    assert client.post(node.reverse("assign", args=[case.pk, task.pk])).status_code == 404
    assert client.post(node.reverse("execute", args=[case.pk, task.pk]), {}).status_code == 404
    for url in (
        reverse("workflow:queue"),
        flow.reverse("process_list"),
        flow.reverse("task_list"),
        reverse("utskrivning:case_list"),
    ):
        page = client.get(url, follow=True).content.decode()
        assert world.individual.family_name not in page, url
        assert f"/{case.pk}/ack_socialtjanst/{task.pk}/" not in page, url


def test_staff_without_membership_sees_nothing(case):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    client = client_for(admin)
    assert client.get(case.get_absolute_url()).status_code == 404
    page = client.get(reverse("utskrivning:case_list")).content.decode()
    assert "Testsson" not in page


def test_queues_are_scoped_to_the_organisation(world, case):
    task = open_task(case, DischargeFlow.ack_socialtjanst)
    kommun_queue = client_for(world.handlaggare).get(reverse("workflow:queue")).content.decode()
    assert f"/{case.pk}/ack_socialtjanst/{task.pk}/" in kommun_queue
    ward_queue = client_for(world.nurse).get(reverse("workflow:queue")).content.decode()
    assert f"/{case.pk}/ack_socialtjanst/{task.pk}/" not in ward_queue
    assert f"/{case.pk}/issue_ready_notice/" in ward_queue


def test_participants_and_the_kommuns_mas_see_the_case(world, case):
    kommun = client_for(world.handlaggare)
    page = kommun.get(case.get_absolute_url())
    assert page.status_code == 200
    assert "Besvara inskrivningsmeddelande (socialtjänst)" in page.content.decode()
    read = AccessLog.objects.get(user=world.handlaggare, process_id=case.pk)
    assert read.action == "READ" and read.organisation == world.social
    detail = DischargeFlow.instance.reverse("process_detail", args=[case.pk])
    assert kommun.get(detail).status_code == 200
    admin_unit = OrganisationFactory(area=world.kommun, name="Teststad socialförvaltning")
    mas = member(admin_unit, "MAS")
    page = client_for(mas).get(case.get_absolute_url())
    assert page.status_code == 200
    other_mas = member(OrganisationFactory(name="Annan förvaltning"), "MAS")
    assert client_for(other_mas).get(case.get_absolute_url()).status_code == 404


def test_list_searches_filters_and_paginates(world, case):
    ward = client_for(world.nurse)
    url = reverse("utskrivning:case_list")
    page = ward.get(url).content.decode()
    assert "Astrid Testsson" in page and "Mina utskrivningar" in page
    assert "Testsson" in ward.get(url, {"q": "astrid"}).content.decode()
    pnr = world.individual.personal_identity_number
    assert "Testsson" in ward.get(url, {"q": pnr}).content.decode()
    assert "Testsson" not in ward.get(url, {"q": "Nobody"}).content.decode()
    assert "Testsson" in ward.get(url, {"stage": "PLANNING"}).content.decode()
    assert "Testsson" not in ward.get(url, {"stage": "DISCHARGED"}).content.decode()
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        for _ in range(26):
            world.individual = IndividualFactory()
            register(world, admitted=local(2022, 11, 14, 8, 0))
    assert ward.get(url, {"page": 2}).status_code == 200
    assert ward.get(url, {"page": 9}).status_code == 404


def test_task_pages_log_the_read_and_the_change(world, case):
    """The nurse's admission-notice step both showed and changed the individual's case."""
    nurse_rows = AccessLog.objects.filter(user=world.nurse, process_id=case.pk)
    assert set(nurse_rows.values_list("action", flat=True)) >= {"READ", "UPDATE"}
    assert all(row.individual_id == case.individual_id for row in nurse_rows)


def test_the_queue_speaks_swedish_and_links_to_the_case_page(world, case):
    page = client_for(world.handlaggare).get(reverse("workflow:queue")).content.decode()
    for header in ("Uppgift", "Sammanfattning", "Ärende", "Skapad"):
        assert header in page
    assert "Process brief" not in page and "Brief" not in page
    assert f'href="{case.get_absolute_url()}"' in page
    assert "14 nov 2022" in page


def test_kommun_mas_does_not_see_a_region_admission_never_sent_to_the_kommun(world):
    """Issue 12: a region ward lying in the kommun's geography is not a party of the
    kommun. Until the admission notice goes to one of the kommun's units, its MAS
    gets 404 and never the name or personnummer; a notice to the region's own
    vårdcentral does not change that."""
    mas = member(OrganisationFactory(area=world.kommun, name="Teststad socialförvaltning"), "MAS")
    mas_client = client_for(mas)
    pnr = world.individual.personal_identity_number
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        response = mas_client.get(process.get_absolute_url())
        assert response.status_code == 404
        assert pnr not in response.content.decode()
        assert "Testsson" not in response.content.decode()
        listing = mas_client.get(reverse("utskrivning:case_list")).content.decode()
        assert pnr not in listing and "Testsson" not in listing
        detail = DischargeFlow.instance.reverse("process_detail", args=[process.pk])
        assert mas_client.get(detail).status_code in (403, 404)
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {"vardcentral": world.vc.pk, "estimated_discharge_date": "2022-11-18"},
        )
        assert mas_client.get(process.get_absolute_url()).status_code == 404
    assert not AccessLog.objects.filter(user=mas, process_id=process.pk).exists()


def test_kommun_mas_sees_the_admission_once_sent_to_a_kommun_unit(world, case):
    mas = member(OrganisationFactory(area=world.kommun, name="Teststad socialförvaltning"), "MAS")
    page = client_for(mas).get(case.get_absolute_url())
    assert page.status_code == 200
    assert world.individual.personal_identity_number in page.content.decode()


def test_logged_out_visitor_is_sent_to_the_login_page(case):
    from django.test import Client

    url = case.get_absolute_url()
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/konto/login/?next={url}"
