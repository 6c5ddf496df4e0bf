import datetime as dt

import factory
from django.utils import timezone

from coordination.models import RelatedPerson
from tests.factories import IndividualFactory, OrganisationFactory, UserFactory
from workflows.sip.models import Invitation, Meeting, SipProcess


def _sip_flow():
    from workflows.sip.flows import SipFlow

    return SipFlow


class SipProcessFactory(factory.django.DjangoModelFactory):
    """A SIP row without flow tasks, for selector and service tests."""

    class Meta:
        model = SipProcess

    flow_class = factory.LazyFunction(_sip_flow)
    individual = factory.SubFactory(IndividualFactory)
    initiating_organisation = factory.SubFactory(OrganisationFactory)
    reason = "Samordning efter hemgång"
    created_by = factory.SubFactory(UserFactory)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    sip = factory.SubFactory(SipProcessFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    place = "Biståndsenheten, rum 3"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    meeting = factory.SubFactory(MeetingFactory)
    kind = Invitation.Kind.ORGANISATION
    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.LazyAttribute(
        lambda i: i.organisation.functional_mailbox if i.organisation else ""
    )
    channel = Invitation.Channel.SYSTEM
    needs_second_channel = factory.LazyAttribute(
        lambda i: bool(i.organisation and i.organisation.needs_second_channel)
    )


class RelatedPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelatedPerson

    individual = factory.SubFactory(IndividualFactory)
    kind = RelatedPerson.Kind.NARSTAENDE
    name = factory.Sequence(lambda n: f"Närstående {n}")
    email = factory.Sequence(lambda n: f"narstaende{n}@example.se")
