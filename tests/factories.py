import datetime as dt

import factory
from django.contrib.auth import get_user_model

from coordination.models import Area, Individual, Membership, Organisation
from coordination.personnummer import make_test_number


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.se")
    password = factory.django.Password("secret-pass-123")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    name = factory.Sequence(lambda n: f"Kommun {n}")
    kind = Area.Kind.KOMMUN


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Enhet {n}")
    huvudman = "KOMMUN"
    kind = Organisation.Kind.SOCIALTJANST
    area = factory.SubFactory(AreaFactory)
    reachability = Organisation.Reachability.YES
    functional_mailbox = factory.Sequence(lambda n: f"enhet{n}@example.se")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.HANDLAGGARE


class IndividualFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Individual

    personal_identity_number = factory.Sequence(
        lambda n: make_test_number(dt.date(1940, 1, 1) + dt.timedelta(days=n), 980 + n % 20)
    )
    given_name = "Greta"
    family_name = factory.Sequence(lambda n: f"Testsson{n}")
    address = "Testgatan 1, 111 11 Stockholm"
