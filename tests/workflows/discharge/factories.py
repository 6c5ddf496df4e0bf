import factory

from coordination.models import Organisation
from tests.factories import AreaFactory, MembershipFactory, OrganisationFactory


class WardFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Avdelning {n}")
    huvudman = "REGION"
    kind = Organisation.Kind.SJUKHUSAVDELNING


class SocialtjanstFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Biståndsenhet {n}")
    huvudman = "KOMMUN"
    kind = Organisation.Kind.SOCIALTJANST


class VardcentralFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Vårdcentral {n}")
    huvudman = "REGION"
    kind = Organisation.Kind.VARDCENTRAL


def member(organisation, role="HANDLAGGARE", **user_fields):
    return MembershipFactory(organisation=organisation, role=role, **user_fields).user


__all__ = ["AreaFactory", "SocialtjanstFactory", "VardcentralFactory", "WardFactory", "member"]
