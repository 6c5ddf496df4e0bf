"""Registration of individuals without the admin: find by personnummer, register when
missing (pre-filled from the population register), protected identity respected,
access-logged, and linked from the start of a discharge and a SIP."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.urls import get_resolver, reverse

from coordination import personnummer
from coordination.models import AccessLog, Individual
from coordination.personnummer import make_test_number
from coordination.population import DemoPopulationRegister
from tests.factories import IndividualFactory, MembershipFactory, OrganisationFactory
from workflows.discharge.flows import DischargeFlow
from workflows.sip.flows import SipFlow

pytestmark = pytest.mark.django_db

URL = "/coordination/personer/"
DEMO = "coordination.population.DemoPopulationRegister"
#: Serial 980: known to the demo register; 999: protected identity there; 050: unknown.
KNOWN = make_test_number(dt.date(1940, 1, 1), 980)
PROTECTED = make_test_number(dt.date(1940, 1, 1), 999)
UNKNOWN = make_test_number(dt.date(1950, 5, 5), 50)


@pytest.fixture(autouse=True)
def _urls():
    get_resolver().url_patterns  # noqa: B018  (viewflow namespaces its nodes on load)


@pytest.fixture
def nurse(client):
    ward = OrganisationFactory(kind="SJUKHUSAVDELNING", name="Testsjukhuset avd 4")
    membership = MembershipFactory(organisation=ward, role="SJUKSKOTERSKA")
    client.force_login(membership.user)
    client.ward = ward
    client.user = membership.user
    return client


@pytest.fixture
def demo_register(settings):
    settings.KARDBORRE_POPULATION_REGISTER = DEMO


def test_the_page_is_at_its_address_and_only_for_roles_that_start_cases(client):
    assert reverse("coordination:individual_register") == URL
    mas = MembershipFactory(role="MAS")
    client.force_login(mas.user)
    assert client.get(URL).status_code == 403
    handlaggare = MembershipFactory(role="HANDLAGGARE")
    client.force_login(handlaggare.user)
    page = client.get(URL)
    assert page.status_code == 200
    assert "Sök eller registrera en person" in page.content.decode()


def test_an_invalid_number_is_refused_in_swedish(nurse):
    page = nurse.get(URL, {"pnr": "19400101-9804"}).content.decode()
    assert "Kontrollsiffran stämmer inte" in page
    assert 'data-testid="individual-create"' not in page


def test_a_registered_person_is_shown_access_logged_and_handed_back(nurse):
    person = IndividualFactory(given_name="Greta", family_name="Garbo")
    page = nurse.get(
        URL, {"pnr": person.personal_identity_number.replace("-", ""), "next": "/utskrivning/x/"}
    ).content.decode()
    assert "Greta Garbo" in page
    assert (
        f'href="/utskrivning/x/?personal_identity_number={person.personal_identity_number}"' in page
    )
    entry = AccessLog.objects.get(individual=person)
    assert entry.action == AccessLog.Action.READ and entry.user == nurse.user


def test_a_foreign_next_address_is_ignored(nurse):
    person = IndividualFactory()
    page = nurse.get(
        URL, {"pnr": person.personal_identity_number, "next": "https://evil.example/"}
    ).content.decode()
    assert 'href="https://evil.example' not in page
    assert 'name="next" value="https://evil.example' not in page


def test_a_registered_person_with_protected_identity_shows_no_name(nurse):
    person = IndividualFactory(given_name="Hemlig", family_name="Person", protected_identity=True)
    page = nurse.get(URL, {"pnr": person.personal_identity_number}).content.decode()
    assert "Hemlig" not in page and "Skyddad identitet" in page
    nurse.user.user_permissions.add(Permission.objects.get(codename="view_protected_identity"))
    page = nurse.get(URL, {"pnr": person.personal_identity_number}).content.decode()
    assert "Hemlig Person" in page


def test_a_missing_person_is_prefilled_from_the_register_and_registered(nurse, demo_register):
    record = DemoPopulationRegister().lookup(personnummer.parse(KNOWN))
    page = nurse.get(URL, {"pnr": KNOWN, "next": "/sip/start/"}).content.decode()
    assert 'data-testid="individual-create"' in page
    assert f'value="{record.given_name}"' in page and f'value="{record.family_name}"' in page

    response = nurse.post(
        URL,
        {
            "personal_identity_number": KNOWN,
            "given_name": record.given_name,
            "family_name": record.family_name,
            "address": record.address,
            "next": "/sip/start/",
        },
    )
    assert response.status_code == 302
    assert response.url == f"/sip/start/?personal_identity_number={KNOWN}"
    person = Individual.objects.get(personal_identity_number=KNOWN)
    assert (person.given_name, person.address, person.protected_identity) == (
        record.given_name,
        record.address,
        False,
    )
    assert AccessLog.objects.filter(individual=person, action="CREATE", user=nurse.user).exists()

    # Twice: already registered.
    page = nurse.post(
        URL, {"personal_identity_number": KNOWN, "given_name": "A", "family_name": "B"}
    ).content.decode()
    assert "redan registrerad" in page
    assert Individual.objects.filter(personal_identity_number=KNOWN).count() == 1


def test_protected_identity_from_the_register_is_never_shown_and_kept(nurse, demo_register):
    page = nurse.get(URL, {"pnr": PROTECTED}).content.decode()
    record = DemoPopulationRegister().lookup(personnummer.parse(PROTECTED))
    assert record.protected_identity
    assert record.family_name not in page and "skyddad identitet" in page
    # The name cannot be typed over: it comes from the register.
    nurse.post(
        URL, {"personal_identity_number": PROTECTED, "given_name": "Fel", "family_name": "X"}
    )
    person = Individual.objects.get(personal_identity_number=PROTECTED)
    assert person.protected_identity
    assert (person.given_name, person.family_name) == (record.given_name, record.family_name)


def test_without_a_register_the_name_is_entered_by_hand(nurse, settings):
    settings.KARDBORRE_POPULATION_REGISTER = ""
    page = nurse.get(URL, {"pnr": UNKNOWN}).content.decode()
    assert "ange namnet för hand" in page
    page = nurse.post(URL, {"personal_identity_number": UNKNOWN}).content.decode()
    assert "Detta fält måste fyllas i" in page
    assert not Individual.objects.filter(personal_identity_number=UNKNOWN).exists()
    nurse.post(
        URL,
        {"personal_identity_number": UNKNOWN, "given_name": "Ny", "family_name": "Person"},
    )
    assert Individual.objects.get(personal_identity_number=UNKNOWN).given_name == "Ny"


def test_the_discharge_start_links_to_registration_and_takes_the_person_back(nurse):
    start = DischargeFlow.start.reverse("execute")
    page = nurse.get(start).content.decode()
    assert f'href="{URL}?next={quote(start, safe="")}"' in page

    # An unknown number: the error links to registering it, then back to the form.
    page = nurse.post(
        start, {"personal_identity_number": UNKNOWN, "ward": nurse.ward.pk}
    ).content.decode()
    assert "Registrera personen" in page
    assert f"{URL}?pnr={UNKNOWN}&amp;next={quote(start, safe='')}" in page

    person = IndividualFactory()
    page = nurse.get(
        start, {"personal_identity_number": person.personal_identity_number}
    ).content.decode()
    assert f'value="{person.personal_identity_number}"' in page


def test_the_sip_start_links_to_registration(client):
    bistand = OrganisationFactory(kind="SOCIALTJANST")
    membership = MembershipFactory(organisation=bistand, role="HANDLAGGARE")
    client.force_login(membership.user)
    start = SipFlow.start.reverse("execute")
    page = client.get(start).content.decode()
    assert f'href="{URL}?next={quote(start, safe="")}"' in page
    page = client.post(
        start,
        {"personal_identity_number": UNKNOWN, "initiating_organisation": bistand.pk, "reason": "x"},
    ).content.decode()
    assert f"{URL}?pnr={UNKNOWN}&amp;next={quote(start, safe='')}" in page


def test_the_organisation_search_answers_json_with_reachability(client):
    OrganisationFactory(name="Rosenlunds vårdcentral", kind="VARDCENTRAL", reachability="NO")
    OrganisationFactory(name="Rosenlunds gamla", kind="VARDCENTRAL", is_active=False)
    OrganisationFactory(name="Skanstulls vårdcentral", kind="VARDCENTRAL")
    client.force_login(MembershipFactory().user)
    url = reverse("coordination:organisation_search")
    rows = client.get(url, {"q": "rosen"}).json()["results"]
    assert [(r["name"], r["reachability"], r["reachability_label"]) for r in rows] == [
        ("Rosenlunds vårdcentral", "NO", "Nej")
    ]
    assert rows[0]["kind"] == "Vårdcentral"
    client.logout()
    assert client.get(url, {"q": "rosen"}).status_code == 302  # login first
