"""The start page "Mina ärenden": tasks first due first, unanswered messages, recipients
waiting for a second channel, counts that match the lists, through the pages."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import get_resolver
from django.utils import translation

from coordination.clock import STOCKHOLM
from coordination.models import Area, Membership
from tests.factories import AreaFactory, IndividualFactory, MembershipFactory, OrganisationFactory
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess
from workflows.sip import services as sip_services
from workflows.startpage import due_in_words

from .sip.factories import InvitationFactory, MeetingFactory, SipProcessFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 12, 0, tzinfo=STOCKHOLM)


def local(*args):
    return dt.datetime(*args, tzinfo=STOCKHOLM)


def member(organisation, role=Membership.Role.SJUKSKOTERSKA, **user):
    return MembershipFactory(organisation=organisation, role=role, **user).user


def client_for(user):
    get_resolver().url_patterns  # noqa: B018 (node URLs are namespaced once loaded)
    client = Client()
    client.force_login(user)
    return client


class World:
    pass


@pytest.fixture
def world(db):
    w = World()
    w.kommun = AreaFactory(name="Teststad", kind=Area.Kind.KOMMUN)
    w.district = AreaFactory(name="Testdistrikt", kind=Area.Kind.STADSDELSOMRADE, parent=w.kommun)
    AreaFactory(name="Testregion", kind=Area.Kind.REGION)
    w.ward = OrganisationFactory(
        area=w.district, name="Testsjukhuset avd 1", huvudman="REGION", kind="SJUKHUSAVDELNING"
    )
    w.other_ward = OrganisationFactory(
        area=w.district, name="Testsjukhuset avd 2", huvudman="REGION", kind="SJUKHUSAVDELNING"
    )
    w.social = OrganisationFactory(area=w.district, name="Testdistrikt biståndsenhet")
    w.vc = OrganisationFactory(
        area=w.district, name="Testdistrikt vårdcentral", huvudman="REGION", kind="VARDCENTRAL"
    )
    w.hemtjanst = OrganisationFactory(
        area=w.district, name="Hemtjänst Test", kind="HEMTJANST", reachability="UNKNOWN"
    )
    w.sdf = OrganisationFactory(
        area=w.district, name="Testdistrikt förvaltning", kind="STADSDELSFORVALTNING"
    )
    w.nurse = member(w.ward, user__first_name="Sara", user__last_name="Lind")
    w.other_nurse = member(w.other_ward, user__first_name="Per", user__last_name="Holm")
    w.handlaggare = member(w.social, Membership.Role.HANDLAGGARE)
    w.vardkontakt = member(w.vc, Membership.Role.FAST_VARDKONTAKT)
    w.mas = member(w.sdf, Membership.Role.MAS)
    return w


def register(world, individual, *, admitted):
    response = client_for(world.nurse).post(
        DischargeFlow.start.reverse("execute"),
        {
            "personal_identity_number": individual.personal_identity_number,
            "ward": world.ward.pk,
            "admitted_at": admitted.strftime("%Y-%m-%dT%H:%M"),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return DischargeProcess.objects.latest("pk")


def do(user, process, node, data):
    """Take the task of ``node`` from the queue and submit its form, as a user would."""
    client = client_for(user)
    task = process.task_set.get(flow_task=node, status="NEW")
    assert client.post(node.reverse("assign", args=[process.pk, task.pk])).status_code == 302
    response = client.post(node.reverse("execute", args=[process.pk, task.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def send_admission_notice(world, process):
    do(
        world.nurse,
        process,
        DischargeFlow.send_admission_notice,
        {
            "socialtjanst": world.social.pk,
            "vardcentral": world.vc.pk,
            "estimated_discharge_date": "2026-11-20",
        },
    )


def page(client, path="/"):
    response = client.get(path)
    assert response.status_code == 200, response
    return response.content.decode()


def table_rows(html, table_id, row_class):
    table = re.search(rf'<table class="kb-table" id="{table_id}">(.*?)</table>', html, re.S)
    assert table, table_id
    return re.findall(rf'<tr class="{row_class}[^"]*">(.*?)</tr>', table.group(1), re.S)


def count_of(html, name):
    match = re.search(rf'data-count="{name}">(\d+) ', html)
    assert match, name
    return int(match.group(1))


# --- Time in words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "due_at, words",
    [
        (NOW - dt.timedelta(hours=3, minutes=20), "förfallen sedan 3 h"),
        (NOW - dt.timedelta(minutes=5), "förfallen sedan 5 min"),
        (NOW + dt.timedelta(days=2, hours=5), "om 2 dagar"),
        (NOW + dt.timedelta(days=1, hours=1), "om 25 h"),
        (NOW + dt.timedelta(days=3), "om 3 dagar"),
        (NOW + dt.timedelta(minutes=45), "om 45 min"),
    ],
)
def test_time_left_or_overdue_in_swedish_words(due_at, words):
    with translation.override("sv"):
        assert due_in_words(due_at, now=NOW) == words


# --- The page -----------------------------------------------------------------------------


def test_tasks_are_sorted_by_deadline_overdue_first_and_counts_match(world):
    recent = IndividualFactory(given_name="Rut", family_name="Nyberg")
    late = IndividualFactory(given_name="Elof", family_name="Sent")
    with time_machine.travel(NOW, tick=False):
        # Registered first but admitted two hours ago: the notice is due in 22 h.
        register(world, recent, admitted=NOW - dt.timedelta(hours=2))
        # Admitted 27 hours ago: the admission notice was due three hours ago.
        register(world, late, admitted=NOW - dt.timedelta(hours=27))
        sip = SipProcessFactory(individual=recent, initiating_organisation=world.social)
        html = page(client_for(world.nurse))

    rows = table_rows(html, "tasks-table", "kb-start-task")
    assert len(rows) == count_of(html, "tasks") == 2
    assert "Elof Sent" in rows[0] and "förfallen sedan 3 h" in rows[0]
    assert 'class="kb-start-task kb-overdue"' in html
    assert "Skicka inskrivningsmeddelande" in rows[0]
    assert "Rut Nyberg" in rows[1] and "om 22 h" in rows[1]
    assert count_of(html, "overdue") == 1
    assert f"/sips/{sip.pk}/" not in html  # a SIP of another organisation


def test_task_without_deadline_comes_after_those_with_one(world):
    individual = IndividualFactory(given_name="Rut", family_name="Nyberg")
    with time_machine.travel(NOW, tick=False):
        process = register(world, individual, admitted=NOW - dt.timedelta(hours=1))
        send_admission_notice(world, process)
        # A SIP started by the unit: its consent task has no deadline.
        from tests.workflows.sip.helpers import start_sip

        start_sip(Client(), world.handlaggare, individual=individual, organisation=world.social)
        html = page(client_for(world.handlaggare))

    rows = table_rows(html, "tasks-table", "kb-start-task")
    assert len(rows) == count_of(html, "tasks") == 2
    assert "Besvara inskrivningsmeddelande" in rows[0] and "om 24 h" in rows[0]
    assert "Ingen tidsfrist" in rows[1] and "SIP" in rows[1]
    # The admission notice the unit has not answered is also an unanswered message.
    messages = table_rows(html, "admission-table", "kb-start-message")
    assert len(messages) == count_of(html, "messages") == 1
    assert "Testdistrikt biståndsenhet" in messages[0] and "Rut Nyberg" in messages[0]


def test_a_user_sees_only_their_organisations_tasks_and_messages(world):
    individual = IndividualFactory(given_name="Rut", family_name="Nyberg")
    with time_machine.travel(NOW, tick=False):
        process = register(world, individual, admitted=NOW - dt.timedelta(hours=1))
        send_admission_notice(world, process)
        other = page(client_for(world.other_nurse))
        vc = page(client_for(world.vardkontakt))

    assert table_rows(other, "tasks-table", "kb-start-task") == []
    assert count_of(other, "tasks") == 0 and count_of(other, "messages") == 0
    assert "Rut Nyberg" not in other and "Nyberg" not in other
    # The vårdcentral owes an answer to the notice: a task and an unanswered message.
    assert len(table_rows(vc, "tasks-table", "kb-start-task")) == count_of(vc, "tasks") == 1
    assert len(table_rows(vc, "admission-table", "kb-start-message")) == 1
    assert count_of(vc, "messages") == 1


def test_unacknowledged_ready_notice_until_the_vardcentral_acknowledges(world):
    individual = IndividualFactory(given_name="Rut", family_name="Nyberg")
    with time_machine.travel(NOW, tick=False):
        process = register(world, individual, admitted=NOW - dt.timedelta(hours=1))
        send_admission_notice(world, process)
        do(
            world.nurse,
            process,
            DischargeFlow.issue_ready_notice,
            {"issued_at": "2026-11-16T12:00"},
        )
        vc = page(client_for(world.vardkontakt))
        kommun = page(client_for(world.handlaggare))
        ready = table_rows(vc, "ready-table", "kb-start-message")
        assert len(ready) == 1 and "Rut Nyberg" in ready[0]
        # The admission notice and the ready-for-discharge notice, both unanswered.
        assert count_of(vc, "messages") == 2
        assert table_rows(kommun, "ready-table", "kb-start-message") == []

        do(world.vardkontakt, process, DischargeFlow.ack_ready, {"confirm": "on"})
        vc = page(client_for(world.vardkontakt))
    assert table_rows(vc, "ready-table", "kb-start-message") == []
    assert count_of(vc, "messages") == 1


def test_unanswered_sip_invitations_and_second_channel(world):
    individual = IndividualFactory(given_name="Rut", family_name="Nyberg")
    sip = SipProcessFactory(individual=individual, initiating_organisation=world.social)
    sip_services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
    sip.schedule_meeting()
    sip.save()
    meeting = MeetingFactory(sip=sip)
    to_vc = InvitationFactory(meeting=meeting, organisation=world.vc)
    sip_services.invitation_send(invitation=to_vc, by=world.handlaggare)
    unreachable = InvitationFactory(meeting=meeting, organisation=world.hemtjanst)
    assert unreachable.needs_second_channel

    initiator = page(client_for(world.handlaggare))
    second = table_rows(initiator, "second-channel-table", "kb-start-second")
    assert len(second) == count_of(initiator, "second-channel") == 1
    assert "Hemtjänst Test" in second[0] and f"/sips/{sip.pk}/" in second[0]

    vc = page(client_for(world.vardkontakt))
    invited = table_rows(vc, "sip-table", "kb-start-message")
    assert len(invited) == count_of(vc, "messages") == 1
    assert count_of(vc, "second-channel") == 0
    assert "Testdistrikt vårdcentral" in invited[0]

    # Acknowledged is not yet answered; accepted (or declined) is, and leaves the list.
    sip_services.invitation_set_state(
        invitation=to_vc, action="acknowledge", reason="Mejl", by=world.vardkontakt
    )
    vc = page(client_for(world.vardkontakt))
    assert len(table_rows(vc, "sip-table", "kb-start-message")) == count_of(vc, "messages") == 1
    sip_services.invitation_set_state(
        invitation=to_vc, action="accept", reason="Kommer", by=world.vardkontakt
    )
    vc = page(client_for(world.vardkontakt))
    assert table_rows(vc, "sip-table", "kb-start-message") == []
    assert count_of(vc, "messages") == 0

    # Other organisations see neither list.
    other = page(client_for(world.other_nurse))
    assert count_of(other, "second-channel") == 0 and "Nyberg" not in other


def test_protected_identity_is_not_named(world):
    individual = IndividualFactory(
        given_name="Hemlig", family_name="Person", protected_identity=True
    )
    with time_machine.travel(NOW, tick=False):
        register(world, individual, admitted=NOW - dt.timedelta(hours=1))
        html = page(client_for(world.nurse))
    rows = table_rows(html, "tasks-table", "kb-start-task")
    assert len(rows) == 1
    assert "Hemlig" not in html and "Person" not in rows[0]
    assert f"Skyddad identitet (#{individual.pk})" in rows[0]


def test_mas_lands_on_the_dashboard_with_a_link_back(world):
    client = client_for(world.mas)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/oversikt/mas/"
    assert 'href="/?mina=1">Mina ärenden</a>' in page(client, response.url)
    html = page(client, "/?mina=1")
    assert "Mina ärenden" in html and 'href="/oversikt/mas/"' in html


def test_logged_out_visitor_goes_to_login():
    response = Client().get("/")
    assert response.status_code == 302 and response.url == "/konto/login/?next=/"


def test_long_task_lists_are_paginated_and_the_count_is_the_total(world, monkeypatch):
    monkeypatch.setattr("workflows.startpage.PAGE_SIZE", 2)
    with time_machine.travel(NOW, tick=False):
        for hours in (1, 2, 3):
            register(world, IndividualFactory(), admitted=NOW - dt.timedelta(hours=hours))
        client = client_for(world.nurse)
        first = page(client)
        second = page(client, "/?uppgifter=2")
    assert count_of(first, "tasks") == count_of(second, "tasks") == 3
    assert len(table_rows(first, "tasks-table", "kb-start-task")) == 2
    assert len(table_rows(second, "tasks-table", "kb-start-task")) == 1
    assert "uppgifter=2#uppgifter" in first
