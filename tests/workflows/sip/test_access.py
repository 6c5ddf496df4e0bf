"""Only organisations taking part (and the kommun's MAS) see or change a SIP."""

import datetime as dt

import pytest
from django.utils import timezone
from viewflow.workflow.status import STATUS

from workflows.sip import services
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation, PlanVersion
from workflows.sip.selectors import sips_visible_to

from .factories import SipProcessFactory
from .helpers import do_task, local_input, open_task, start_sip

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(client, world):
    """A SIP at the meeting step with one sent invitation and a plan version."""
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "given_by_individual": "on", "method": "ORAL"},
    )
    do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.invite,
        {
            "starts_at": local_input(timezone.now() + dt.timedelta(days=2)),
            "place": "Rum 3",
            "organisations": [world.vc.pk],
        },
    )
    PlanVersion.objects.create(
        sip=sip,
        number=1,
        overall_responsibility="KOMMUN",
        own_goals="Bo kvar hemma",
        follow_up_date=timezone.localdate() + dt.timedelta(days=30),
        created_by=world.handlaggare,
    )
    client.logout()
    return sip


def _urls(sip):
    task = open_task(sip, SipFlow.meeting)
    invitation = Invitation.objects.get(meeting__sip=sip)
    get_urls = [
        sip.get_absolute_url(),
        f"/sips/{sip.pk}/plan/1/utskrift/",
        SipFlow.instance.reverse("process_detail", args=[sip.pk]),
        SipFlow.instance.reverse("process_chart", args=[sip.pk]),
        SipFlow.meeting.reverse("detail", args=[sip.pk, task.pk]),
        SipFlow.meeting.reverse("execute", args=[sip.pk, task.pk]),
    ]
    post_urls = [
        SipFlow.meeting.reverse("assign", args=[sip.pk, task.pk]),
        SipFlow.meeting.reverse("execute", args=[sip.pk, task.pk]),
        f"/sips/{sip.pk}/kallelser/{invitation.pk}/status/",
        f"/sips/{sip.pk}/kallelser/{invitation.pk}/andra-kanal/",
        f"/sips/{sip.pk}/samtycke/aterkalla/",
    ]
    return task, get_urls, post_urls


def test_outsider_can_neither_see_nor_change(client, world, running):
    task, get_urls, post_urls = _urls(running)
    client.force_login(world.outsider)
    for url in get_urls:
        assert client.get(url).status_code in (403, 404), url
    for url in post_urls:
        response = client.post(url, {"action": "acknowledge", "reason": "x", "channel": "PHONE"})
        assert response.status_code in (403, 404), url
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner is None
    assert Invitation.objects.get(meeting__sip=running).state == "SENT"
    running.refresh_from_db()
    assert running.consent_in_force

    # Not in their queue, lists or viewflow's own process and task lists.
    for url in (
        "/workflow/queue/",
        "/sips/",
        "/workflow/flows/sip/flows/",
        "/workflow/flows/sip/tasks/",
    ):
        page = client.get(url).content.decode()
        assert f"/{running.pk}/meeting/" not in page, url
        assert f"/sips/{running.pk}/" not in page, url
    assert "0 SIP:ar" in client.get("/sips/", {"q": "Johansson"}).content.decode()


def test_participants_and_the_kommuns_mas_see_it(client, world, running):
    assert running in sips_visible_to(user=world.vardkontakt)  # invited vårdcentral
    assert running in sips_visible_to(user=world.mas)  # MAS of Stockholms stad
    assert running not in sips_visible_to(user=world.mas_huddinge)
    assert running not in sips_visible_to(user=world.outsider)

    client.force_login(world.vardkontakt)
    page = client.get(running.get_absolute_url()).content.decode()
    assert "Rosenlunds vårdcentral" in page
    assert "Den enskilde återkallar samtycket" not in page  # only the initiator may do that
    # The vårdcentral cannot take the initiator's task.
    task, _, _ = _urls(running)
    response = client.post(SipFlow.meeting.reverse("assign", args=[running.pk, task.pk]))
    assert response.status_code == 403

    client.force_login(world.mas)
    assert client.get(running.get_absolute_url()).status_code == 200
    assert client.get(f"/sips/{running.pk}/plan/1/utskrift/").status_code == 200
    response = client.post(f"/sips/{running.pk}/samtycke/aterkalla/", {"note": ""})
    assert response.status_code == 403


def test_staff_flag_gives_no_access(client, world, running):
    world.outsider.is_staff = True
    world.outsider.save()
    client.force_login(world.outsider)
    assert client.get(running.get_absolute_url()).status_code == 404


def test_sip_list_search_filter_and_pagination(client, world):
    for _ in range(27):
        SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    closed = SipProcessFactory(
        individual=world.child, initiating_organisation=world.bistand, stage="CLOSED"
    )
    SipProcessFactory(initiating_organisation=world.outside)
    client.force_login(world.handlaggare)
    page = client.get("/sips/").content.decode()
    assert "28 SIP:ar" in page and "Initiera en SIP" in page
    assert client.get("/sips/", {"page": 2}).status_code == 200
    page = client.get("/sips/", {"stage": "CLOSED"}).content.decode()
    assert "1 SIP" in page and f"/sips/{closed.pk}/" in page
    page = client.get("/sips/", {"q": "Lindqvist"}).content.decode()
    assert "1 SIP" in page
    assert client.get("/sips/", {"stage": "NOPE"}).status_code == 200


def test_protected_identity_is_hidden_in_the_list(client, world):
    world.individual.protected_identity = True
    world.individual.save()
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    client.force_login(world.handlaggare)
    page = client.get("/sips/").content.decode()
    assert f"/sips/{sip.pk}/" in page and "Johansson" not in page
    # Searching by the hidden name finds nothing either.
    assert "0 SIP:ar" in client.get("/sips/", {"q": "Johansson"}).content.decode()


def test_start_from_discharge_contract(world):
    from types import SimpleNamespace

    from viewflow.workflow.models import Process

    base = Process.objects.create(flow_class=SipFlow)  # stands in for the discharge's process
    discharge = SimpleNamespace(
        pk=base.pk,
        individual=world.individual,
        vardcentral=world.vc,
        fast_vardkontakt=world.vardkontakt,
        participating_organisations=lambda: [world.vc, world.bistand, world.hemtjanst],
    )
    sip = services.sip_start_from_discharge(discharge_process=discharge, by=world.vardkontakt)
    assert sip.initiating_organisation == world.vc
    assert sip.origin_discharge_id == base.pk
    assert sip.lead_person == world.vardkontakt
    assert set(sip.participating_organisations()) == {world.vc, world.bistand, world.hemtjanst}
    assert open_task(sip, SipFlow.consent).owner_permission_obj == world.vc
    # Calling it again for the same discharge returns the same SIP.
    again = services.sip_start_from_discharge(discharge_process=discharge, by=world.vardkontakt)
    assert again.pk == sip.pk


def test_only_case_handling_roles_may_initiate(client, world):
    from .helpers import _urls_loaded

    _urls_loaded()
    client.force_login(world.mas)  # a MAS supervises, she does not call SIPs
    assert client.get(SipFlow.start.reverse("execute")).status_code == 403
    client.force_login(world.handlaggare)
    response = client.post(
        SipFlow.start.reverse("execute"),
        {
            "personal_identity_number": "19000101-0000",
            "initiating_organisation": world.outside.pk,  # not the user's organisation
            "reason": "x",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Inte ett giltigt personnummer." in page
    assert "Välj ett giltigt alternativ" in page
    assert not SipProcessFactory._meta.model.objects.exists()


def test_reading_and_printing_a_sip_is_access_logged(client, world, running):
    from coordination.models import AccessLog

    before = AccessLog.objects.count()
    client.force_login(world.handlaggare)
    assert client.get(running.get_absolute_url()).status_code == 200
    entry = AccessLog.objects.order_by("-pk").first()
    assert AccessLog.objects.count() == before + 1
    assert (entry.action, entry.individual, entry.process_id, entry.organisation) == (
        "READ",
        world.individual,
        running.pk,
        world.bistand,
    )
    assert client.get(f"{running.get_absolute_url()}plan/1/utskrift/").status_code == 200
    assert AccessLog.objects.order_by("-pk").first().action == "PRINT"
