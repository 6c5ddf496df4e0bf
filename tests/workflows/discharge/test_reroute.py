"""Rerouting ("not our resident" → the right kommun), and units added to or replacing
others in an open discharge, through the pages as each party uses them."""

import pytest
import time_machine
from django.urls import reverse
from viewflow.workflow.status import STATUS

from coordination.models import Area, Organisation, ProcessParty
from notifications.models import OutboundEmail
from tests.factories import AreaFactory, OrganisationFactory
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeEvent, DischargeUnit
from workflows.models import Deadline

from .factories import SocialtjanstFactory, VardcentralFactory, member
from .helpers import assign, client_for, do, fresh, open_task
from .test_flow import local, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(world):
    """Another kommun with its biståndsenhet and one handläggare."""
    world.other_kommun = AreaFactory(name="Annanstad", kind=Area.Kind.KOMMUN)
    world.other_social = SocialtjanstFactory(
        area=world.other_kommun, name="Annanstad biståndsenhet"
    )
    world.other_handlaggare = member(
        world.other_social, "HANDLAGGARE", user__first_name="Olle", user__last_name="Ek"
    )
    return world


@pytest.fixture
def notified(world):
    """A case whose admission notice went to the kommun and the vårdcentral at 09:00."""
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
    return fresh(process)


def _reject(client, process, data):
    """Take the kommun's answer task and post the answer; the response is returned."""
    _response, task = assign(client, process, DischargeFlow.ack_socialtjanst)
    url = DischargeFlow.ack_socialtjanst.reverse("execute", args=[process.pk, task.pk])
    return client.post(url, data)


def _snapshot(process):
    return (
        DischargeUnit.objects.filter(process=process).count(),
        DischargeEvent.objects.filter(process=process).count(),
        Deadline.objects.filter(process_id=process.pk).count(),
        OutboundEmail.objects.count(),
        ProcessParty.objects.filter(process_id=process.pk).count(),
        process.task_set.count(),
    )


def test_not_our_resident_forwards_the_notice_to_the_right_kommun(other, notified):
    world = other
    kommun = client_for(world.handlaggare)
    with time_machine.travel(local(2022, 11, 14, 11, 0), tick=False):
        page = kommun.get(
            DischargeFlow.ack_socialtjanst.reverse(
                "execute",
                args=[notified.pk, assign(kommun, notified, DischargeFlow.ack_socialtjanst)[1].pk],
            )
        ).content.decode()
        # The form offers the other kommun's unit, not units of its own kommun.
        assert "Annanstad biståndsenhet" in page
        assert "Rätt kommun är okänd" in page
        task = open_task(notified, DischargeFlow.ack_socialtjanst)
        response = kommun.post(
            DischargeFlow.ack_socialtjanst.reverse("execute", args=[notified.pk, task.pk]),
            {
                "ack_state": "REJECTED_NOT_RESIDENT",
                "reason": "Folkbokförd i Annanstad sedan oktober",
                "forward_to": world.other_social.pk,
            },
        )
        assert response.status_code == 302

    process = fresh(notified)
    old = DischargeUnit.objects.get(process=process, organisation=world.social)
    assert old.is_rejected and old.superseded_at == local(2022, 11, 14, 11, 0)
    new = DischargeUnit.objects.get(process=process, organisation=world.other_social)
    assert new.origin == DischargeUnit.Origin.FORWARDED and new.replaces == old
    assert new.ack_state == "PENDING" and new.role == "SOCIALTJANST"
    # A fresh answer deadline of the same kind, from the time of forwarding.
    ack = process.deadlines.get(kind="INSKRIVNING_ACK", responsible_organisation=world.other_social)
    assert ack.status == "OPEN" and ack.due_at == local(2022, 11, 15, 11, 0)
    assert (
        process.deadlines.get(kind="INSKRIVNING_ACK", responsible_organisation=world.social).status
        == "MET"
    )
    # The email of the admission notice, through the outbox.
    email = OutboundEmail.objects.get(to=world.other_social.functional_mailbox)
    assert email.template == "discharge/emails/admission_notice"
    # The new unit is a party and has its answer task; the old kommun's branch ended.
    assert ProcessParty.objects.filter(
        process_id=process.pk, organisation=world.other_social
    ).exists()
    task = open_task(process, DischargeFlow.ack_socialtjanst)
    assert task.owner_permission_obj_pk == str(world.other_social.pk)
    assert set(process.participating_organisations()) == {world.ward, world.vc, world.other_social}

    # The old kommun can no longer take the step; the right one answers and plans.
    assert kommun.post(
        DischargeFlow.ack_socialtjanst.reverse("assign", args=[process.pk, task.pk])
    ).status_code in (302, 403)
    assert fresh(process).task_set.get(pk=task.pk).owner is None
    right = client_for(world.other_handlaggare)
    with time_machine.travel(local(2022, 11, 14, 15, 0), tick=False):
        assert (
            do(
                right, process, DischargeFlow.ack_socialtjanst, {"ack_state": "ACKNOWLEDGED"}
            ).status_code
            == 302
        )
        plan = open_task(process, DischargeFlow.plan_socialtjanst)
        assert plan.owner_permission_obj_pk == str(world.other_social.pk)
        assert (
            do(
                right,
                process,
                DischargeFlow.plan_socialtjanst,
                {"interventions_needed": "yes", "planned_interventions": "Hemtjänst 2 ggr/dag"},
            ).status_code
            == 302
        )
    new.refresh_from_db()
    assert new.ack_state == "ACKNOWLEDGED" and new.planned_interventions == "Hemtjänst 2 ggr/dag"
    assert ack.__class__.objects.get(pk=ack.pk).status == "MET"

    # Both kommuner and the ward see the chain: who rejected, to whom, when and why.
    for user in (world.nurse, world.handlaggare, world.other_handlaggare):
        page = client_for(user).get(process.get_absolute_url())
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-testid="unit-chain"' in html
        assert "Testdistrikt biståndsenhet" in html
        assert "vidarebefordrat till Annanstad biståndsenhet" in html
        assert "Folkbokförd i Annanstad sedan oktober" in html
        assert "14 nov 2022 11:00" in html
        assert "Karin Berg" in html


def test_not_our_resident_with_the_right_kommun_unknown(other, notified):
    world = other
    with time_machine.travel(local(2022, 11, 14, 11, 0), tick=False):
        response = _reject(
            client_for(world.handlaggare),
            notified,
            {"ack_state": "REJECTED_NOT_RESIDENT", "reason": "Utflyttad, ny adress saknas"},
        )
    assert response.status_code == 302
    process = fresh(notified)
    assert DischargeUnit.objects.filter(process=process, role="SOCIALTJANST").count() == 1
    assert not process.task_set.filter(
        flow_task=DischargeFlow.ack_socialtjanst, status=STATUS.NEW
    ).exists()
    html = client_for(world.nurse).get(process.get_absolute_url()).content.decode()
    assert "rätt kommun är okänd" in html
    assert "Utflyttad, ny adress saknas" in html


@pytest.mark.parametrize(
    "case",
    ["same_kommun", "inactive", "region_side", "no_reason", "not_rejected"],
)
def test_bad_forwarding_is_refused_and_writes_nothing(other, notified, case):
    world = other
    data = {
        "ack_state": "REJECTED_NOT_RESIDENT",
        "reason": "Folkbokförd annorstädes",
        "forward_to": world.other_social.pk,
    }
    if case == "same_kommun":
        data["forward_to"] = SocialtjanstFactory(
            area=world.district, name="Testdistrikt andra enheten"
        ).pk
        expected = "tillhör samma kommun (Teststad)"
    elif case == "inactive":
        data["forward_to"] = SocialtjanstFactory(
            area=world.other_kommun, name="Nedlagd enhet", is_active=False
        ).pk
        expected = "Nedlagd enhet är inte en aktiv organisation"
    elif case == "region_side":
        data["forward_to"] = VardcentralFactory(
            area=world.other_kommun, name="Annanstad vårdcentral"
        ).pk
        expected = "Annanstad vårdcentral är inte en kommunal enhet"
    elif case == "no_reason":
        data["reason"] = "  "
        expected = "Ange skälet till att inskrivningsmeddelandet avvisas"
    else:
        data["ack_state"] = "ACKNOWLEDGED"
        expected = "vidarebefordras bara när personen inte är er invånare"
    before = _snapshot(notified)
    with time_machine.travel(local(2022, 11, 14, 11, 0), tick=False):
        response = _reject(client_for(world.handlaggare), notified, data)
    assert response.status_code == 200
    assert expected in response.content.decode()
    after = _snapshot(notified)
    assert after == before
    unit = DischargeUnit.objects.get(process=notified, organisation=world.social)
    assert unit.ack_state == "PENDING" and unit.superseded_at is None


def test_a_party_adds_a_second_unit_which_gets_what_it_missed(world, notified):
    hemtjanst = OrganisationFactory(
        area=world.district, name="Testdistrikt hemtjänst", kind=Organisation.Kind.HEMTJANST
    )
    hemtjanst_user = member(hemtjanst, "HANDLAGGARE", user__first_name="Eva", user__last_name="Ås")
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 15, 9, 0), tick=False):
        do(
            ward,
            notified,
            DischargeFlow.issue_ready_notice,
            {"issued_at": "2022-11-15T09:00", "backdate_reason": ""},
        )
    with time_machine.travel(local(2022, 11, 15, 10, 0), tick=False):
        # The kommun (a party) adds the hemtjänst; without a reason nothing happens.
        kommun = client_for(world.handlaggare)
        before = _snapshot(notified)
        url = f"{notified.get_absolute_url()}lagg-till-enhet/"
        response = kommun.post(
            url, {"role": "SOCIALTJANST", "organisation": hemtjanst.pk, "reason": ""}, follow=True
        )
        assert "Skäl" in response.content.decode()
        assert _snapshot(notified) == before
        response = kommun.post(
            url,
            {"role": "SOCIALTJANST", "organisation": hemtjanst.pk, "reason": "Hemtjänst finns"},
            follow=True,
        )
        assert "Enheten är tillagd" in response.content.decode()
    process = fresh(notified)
    unit = DischargeUnit.objects.get(process=process, organisation=hemtjanst)
    assert unit.origin == DischargeUnit.Origin.ADDED and unit.added_by == world.handlaggare
    templates = set(
        OutboundEmail.objects.filter(to=hemtjanst.functional_mailbox).values_list(
            "template", flat=True
        )
    )
    assert templates == {"discharge/emails/admission_notice", "discharge/emails/ready_notice"}
    assert process.deadlines.get(
        kind="INSKRIVNING_ACK", responsible_organisation=hemtjanst
    ).due_at == local(2022, 11, 16, 10, 0)
    # Two answer tasks of the one role, each for its own unit.
    tasks = process.task_set.filter(
        flow_task=DischargeFlow.ack_socialtjanst, status=STATUS.NEW
    ).order_by("pk")
    assert [t.owner_permission_obj_pk for t in tasks] == [str(world.social.pk), str(hemtjanst.pk)]
    client = client_for(hemtjanst_user)
    task = tasks[1]
    assert (
        client.post(
            DischargeFlow.ack_socialtjanst.reverse("assign", args=[process.pk, task.pk])
        ).status_code
        == 302
    )
    response = client.post(
        DischargeFlow.ack_socialtjanst.reverse("execute", args=[process.pk, task.pk]),
        {"ack_state": "ACKNOWLEDGED"},
    )
    assert response.status_code == 302
    assert DischargeUnit.objects.get(pk=unit.pk).ack_state == "ACKNOWLEDGED"
    assert DischargeUnit.objects.get(process=process, organisation=world.social).ack_state == (
        "PENDING"
    )
    plan = open_task(process, DischargeFlow.plan_socialtjanst)
    assert plan.owner_permission_obj_pk == str(hemtjanst.pk)
    with time_machine.travel(local(2022, 11, 15, 11, 0), tick=False):
        html = client_for(world.nurse).get(process.get_absolute_url()).content.decode()
    assert "tillagd som Kommunens socialtjänst" in html
    assert "Hemtjänst finns" in html


def test_the_ward_replaces_the_vardcentral_after_a_move(other, notified):
    world = other
    new_vc = VardcentralFactory(area=world.other_kommun, name="Annanstad vårdcentral")
    new_vc_user = member(new_vc, "FAST_VARDKONTAKT", user__first_name="Lisa", user__last_name="Ny")
    old_unit = DischargeUnit.objects.get(process=notified, role="VARDCENTRAL")
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 12, 0), tick=False):
        response = ward.post(
            f"{notified.get_absolute_url()}byt-enhet/",
            {"unit": old_unit.pk, "organisation": new_vc.pk, "reason": "Har flyttat"},
            follow=True,
        )
        assert "Enheten är utbytt" in response.content.decode()
    process = fresh(notified)
    assert process.vardcentral == new_vc
    old_unit.refresh_from_db()
    assert old_unit.superseded_at is not None and old_unit.superseded_reason == "Har flyttat"
    assert (
        process.deadlines.get(kind="INSKRIVNING_ACK", responsible_organisation=world.vc).status
        == "CANCELLED"
    )
    assert process.deadlines.get(
        kind="FAST_VARDKONTAKT", status="OPEN"
    ).responsible_organisation == (new_vc)
    # The old vårdcentral's task is withdrawn; the new one answers and appoints.
    task = open_task(process, DischargeFlow.ack_vardcentral)
    assert task.owner_permission_obj_pk == str(new_vc.pk)
    client = client_for(new_vc_user)
    with time_machine.travel(local(2022, 11, 14, 13, 0), tick=False):
        assert (
            do(
                client, process, DischargeFlow.ack_vardcentral, {"ack_state": "ACKNOWLEDGED"}
            ).status_code
            == 302
        )
        assert (
            do(
                client,
                process,
                DischargeFlow.appoint_fast_vardkontakt,
                {"person": new_vc_user.pk},
            ).status_code
            == 302
        )
    assert fresh(process).fast_vardkontakt == new_vc_user
    with time_machine.travel(local(2022, 11, 14, 14, 0), tick=False):
        response = ward.get(process.get_absolute_url())
    assert response.status_code == 200, response
    html = response.content.decode()
    assert "ersatt av Annanstad vårdcentral" in html and "Har flyttat" in html


def test_units_cannot_be_changed_wrongly(other, notified):
    world = other
    ward = client_for(world.nurse)
    region_unit = VardcentralFactory(area=world.other_kommun, name="Region enhet")
    before = _snapshot(notified)
    url = f"{notified.get_absolute_url()}lagg-till-enhet/"
    with time_machine.travel(local(2022, 11, 14, 12, 0), tick=False):
        # A region unit in a kommun role.
        response = ward.post(
            url,
            {"role": "SOCIALTJANST", "organisation": region_unit.pk, "reason": "Fel"},
            follow=True,
        )
        assert "Region enhet är inte en kommunal enhet" in response.content.decode()
        # A second vårdcentral: replace instead.
        response = ward.post(
            url,
            {"role": "VARDCENTRAL", "organisation": region_unit.pk, "reason": "Två"},
            follow=True,
        )
        assert "Utskrivningen har en vårdcentral" in response.content.decode()
        # Someone who is no party does not see the case at all.
        response = client_for(world.other_handlaggare).post(
            url,
            {"role": "SOCIALTJANST", "organisation": world.other_social.pk, "reason": "X"},
        )
        assert response.status_code == 404
        # Replacing without a reason.
        old_unit = DischargeUnit.objects.get(process=notified, role="SOCIALTJANST")
        ward.post(
            f"{notified.get_absolute_url()}byt-enhet/",
            {"unit": old_unit.pk, "organisation": world.other_social.pk, "reason": ""},
        )
    assert _snapshot(notified) == before


def test_the_mas_dashboard_counts_the_reroutes(other, notified):
    world = other
    mas = member(
        OrganisationFactory(
            area=world.kommun, name="Teststad MAS", kind=Organisation.Kind.KOMMUNLEDNING
        ),
        "MAS",
    )
    with time_machine.travel(local(2022, 11, 14, 11, 0), tick=False):
        _reject(
            client_for(world.handlaggare),
            notified,
            {
                "ack_state": "REJECTED_NOT_RESIDENT",
                "reason": "Folkbokförd i Annanstad",
                "forward_to": world.other_social.pk,
            },
        )
    with time_machine.travel(local(2022, 11, 20, 11, 0), tick=False):
        response = client_for(mas).get(reverse("oversight:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('data-testid="reroutes"')
    block = html[start : html.index("</dl>", start)]
    assert "Vidarebefordrade till rätt kommun</dt><dd>1</dd>" in block
    assert "Rätt kommun okänd</dt><dd>0</dd>" in block


def test_a_vardcentral_added_after_the_ready_notice_acknowledges_it(other, notified):
    """The first vårdcentral rejected; the patient is ready; the vårdcentral the
    person is listed at is added and must acknowledge before the discharge."""
    world = other
    new_vc = VardcentralFactory(area=world.district, name="Testdistrikt nya vårdcentral")
    new_vc_user = member(new_vc, "FAST_VARDKONTAKT", user__first_name="Ulf", user__last_name="Ny")
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        do(
            client_for(world.vardkontakt),
            notified,
            DischargeFlow.ack_vardcentral,
            {"ack_state": "REJECTED_NOT_RESIDENT", "reason": "Inte listad hos oss"},
        )
    with time_machine.travel(local(2022, 11, 15, 9, 0), tick=False):
        do(
            ward,
            notified,
            DischargeFlow.issue_ready_notice,
            {"issued_at": "2022-11-15T09:00", "backdate_reason": ""},
        )
        assert not notified.task_set.filter(flow_task=DischargeFlow.ack_ready).exists()
    with time_machine.travel(local(2022, 11, 15, 10, 0), tick=False):
        response = ward.post(
            f"{notified.get_absolute_url()}lagg-till-enhet/",
            {"role": "VARDCENTRAL", "organisation": new_vc.pk, "reason": "Listad här"},
            follow=True,
        )
        assert "Enheten är tillagd" in response.content.decode()
    process = fresh(notified)
    assert process.vardcentral == new_vc
    ack_ready = open_task(process, DischargeFlow.ack_ready)
    assert ack_ready.owner_permission_obj_pk == str(new_vc.pk)
    assert process.deadlines.get(
        kind="UTSKRIVNINGSKLAR_ACK", status="OPEN"
    ).responsible_organisation == (new_vc)
    # The discharge waits for the acknowledgement, which the new vårdcentral gives.
    with time_machine.travel(local(2022, 11, 15, 11, 0), tick=False):
        page = ward.get(
            DischargeFlow.discharge.reverse(
                "execute",
                args=[process.pk, assign(ward, process, DischargeFlow.discharge)[1].pk],
            )
        ).content.decode()
        assert "Vårdcentralen har ännu inte kvitterat" in page
        client = client_for(new_vc_user)
        assert do(client, process, DischargeFlow.ack_ready, {"confirm": "on"}).status_code == 302
    assert process.current_ready_notice.acknowledged_by == new_vc_user
