"""Escalation chains as data: shown on each organisation's page, edited by an
administrator, an edit that leaves no MAS or chefläkare refused."""

import pytest
from django.urls import reverse

from coordination.models import EscalationChain, Membership
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.notifications.factories import build_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg():
    return build_registry()


@pytest.fixture
def admin_client(client, reg):
    admin = UserFactory(username="admin.region")
    MembershipFactory(user=admin, organisation=reg.ward, role=Membership.Role.ADMIN)
    client.force_login(admin)
    return client


def _url(organisation):
    return reverse("coordination:escalation_chain", args=[organisation.pk])


def test_organisation_page_shows_who_each_rung_reaches(client, reg):
    client.force_login(reg.handlaggare)
    page = client.get(reg.bistand.get_absolute_url()).content.decode()
    chain = page.split('class="kb-chain"')[1].split("</ol>")[0]
    # Rung 2: the district's KSA (here the unit itself, its KSA person); rung 3: the MAS.
    assert "Södermalm biståndsenhet äldre" in chain
    assert reg.ksa.get_full_name() in chain
    assert reg.mas.get_full_name() in chain
    assert "kommunens MAS" in chain
    # Only an administrator may change it.
    assert _url(reg.bistand) not in page
    assert client.get(_url(reg.bistand)).status_code == 403


def test_an_administrator_sets_the_coordinator_and_back_to_the_default(admin_client, reg):
    other = OrganisationFactory(name="Södermalm äldreomsorg ledning", area=reg.soder)
    page = admin_client.get(reg.bistand.get_absolute_url()).content.decode()
    assert _url(reg.bistand) in page

    response = admin_client.post(_url(reg.bistand), {"coordinator": other.pk, "overseer": ""})
    assert response.status_code == 302
    chain = EscalationChain.objects.get(organisation=reg.bistand)
    assert (chain.coordinator, chain.overseer, chain.updated_by.username) == (
        other,
        None,
        "admin.region",
    )
    page = admin_client.get(response.url).content.decode()
    assert "Eskaleringskedjan sparades." in page
    assert "angiven av en administratör" in page

    admin_client.post(_url(reg.bistand), {"coordinator": "", "overseer": ""})
    assert not EscalationChain.objects.exists()


def test_an_edit_that_leaves_no_mas_is_refused_and_writes_nothing(admin_client, reg):
    no_mas = OrganisationFactory(name="Enhet utan MAS", area=reg.soder)
    response = admin_client.post(_url(reg.bistand), {"coordinator": "", "overseer": no_mas.pk})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Kedjan skulle sluta utan MAS eller chefläkare" in text
    assert not EscalationChain.objects.exists()

    # A kommun whose only MAS has left: the default chain has no MAS either.
    Membership.objects.filter(role=Membership.Role.MAS).update(is_active=False)
    other = OrganisationFactory(area=reg.soder)
    response = admin_client.post(_url(reg.bistand), {"coordinator": other.pk, "overseer": ""})
    assert response.status_code == 200
    assert "Kedjan skulle sluta utan MAS eller chefläkare" in response.content.decode()
    assert not EscalationChain.objects.exists()


def test_a_chain_cannot_escalate_to_the_units_own_staff_or_an_inactive_unit(admin_client, reg):
    response = admin_client.post(_url(reg.hsv), {"coordinator": reg.hsv.pk, "overseer": ""})
    assert "Kedjan måste leda till någon annan än enhetens personal" in response.content.decode()
    closed = OrganisationFactory(area=reg.soder, is_active=False)
    response = admin_client.post(_url(reg.hsv), {"coordinator": closed.pk, "overseer": ""})
    assert response.status_code == 200
    assert not EscalationChain.objects.exists()


def test_the_admin_form_applies_the_same_rule(admin_client, reg):
    admin = UserFactory(username="staff", is_staff=True, is_superuser=True)
    admin_client.force_login(admin)
    no_mas = OrganisationFactory(name="Enhet utan MAS", area=reg.soder)
    response = admin_client.post(
        reverse("admin:coordination_escalationchain_add"),
        {"organisation": reg.bistand.pk, "coordinator": "", "overseer": no_mas.pk},
    )
    assert response.status_code == 200
    assert "Kedjan skulle sluta utan MAS eller chefläkare" in response.content.decode()
    assert not EscalationChain.objects.exists()
