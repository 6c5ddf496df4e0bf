"""Every deadline kind, walked through its whole ladder under time-machine: the exact
recipients of each rung, for a duty owned on the kommun side, by a ward and by a
vårdcentral (the owner's chain, README "Escalation chains")."""

import datetime as dt

import pytest
import time_machine

from notifications.models import OutboundEmail
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.notifications.factories import ProcessFactory, build_registry
from workflows import escalation
from workflows.models import Deadline, DeadlineEvent
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

pytestmark = pytest.mark.django_db

# Tuesday 1 December 2026, 12:00 in Stockholm.
DUE = dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC)

EXPECTED = {
    "kommun": (
        ["bistand.soder@example.se", "handlaggare.sodermalm@example.se"],
        ["ksa.sodermalm@example.se"],
        ["mas.sodermalm@example.se"],
    ),
    "ward": (
        ["avd53.sos@example.se", "avd53@example.se"],
        ["chef.sos@example.se", "sos@example.se"],
        ["cheflakare.region@example.se"],
    ),
    "vardcentral": (
        ["rosenlund@example.se", "vardkontakt.rosenlund@example.se"],
        ["chef.rosenlund@example.se"],
        ["cheflakare.region@example.se"],
    ),
}


@pytest.fixture
def owners():
    reg = build_registry()
    hospital = OrganisationFactory(
        name="Södersjukhuset",
        area=reg.region,
        huvudman="REGION",
        kind="SJUKHUS",
        functional_mailbox="sos@example.se",
    )
    reg.ward.parent = hospital
    reg.ward.save()
    MembershipFactory(user=UserFactory(username="chef.sos"), organisation=hospital, role="CHEF")
    MembershipFactory(
        user=UserFactory(username="chef.rosenlund"), organisation=reg.vardcentral, role="CHEF"
    )
    hsf = OrganisationFactory(name="HSF", area=reg.region, huvudman="REGION")
    MembershipFactory(
        user=UserFactory(username="cheflakare.region"), organisation=hsf, role="CHEFLAKARE"
    )
    return {"kommun": reg.bistand, "ward": reg.ward, "vardcentral": reg.vardcentral}


def _to(deadline, level):
    return sorted(
        OutboundEmail.objects.filter(
            deadline=deadline, idempotency_key__contains=f":rung:{level}:"
        ).values_list("to", flat=True)
    )


@pytest.mark.parametrize("owner", sorted(EXPECTED))
@pytest.mark.parametrize("kind", sorted(escalation.KINDS))
def test_each_rung_reaches_exactly_the_owners_chain(kind, owner, owners):
    first = min(rung.offset for rung in escalation.ladder(kind))
    with time_machine.travel(DUE + first - dt.timedelta(days=1), tick=False):
        deadline = deadline_open(
            process=ProcessFactory(),
            kind=kind,
            responsible_organisation=owners[owner],
            due_at=DUE,
        )
    rungs = escalation.ladder(kind)
    for level in range(len(rungs)):
        at = escalation.rung_at(kind, due_at=DUE, level=level)
        with time_machine.travel(at, tick=False):
            deadlines_sweep()
    staff, coordinator, overseer = EXPECTED[owner]
    expected = {
        escalation.REMIND: staff,
        escalation.ESCALATE: coordinator,
        escalation.BREACH: overseer,
    }
    for level, rung in enumerate(rungs):
        assert _to(deadline, level) == expected[rung.action], (kind, owner, level)
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.BREACHED
    assert list(deadline.events.exclude(kind="OPENED").values_list("kind", flat=True)) == [
        DeadlineEvent.Kind.REMINDED,
        DeadlineEvent.Kind.REMINDED,
        DeadlineEvent.Kind.ESCALATED,
        DeadlineEvent.Kind.BREACHED,
    ]
    # Nobody is told twice along one ladder, except the staff at the two reminders.
    everyone = [email for level in (1, 2, 3) for email in _to(deadline, level)]
    assert len(everyone) == len(set(everyone))
