import pytest
from django.urls import reverse

from tests.factories import AreaFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(client):
    client.force_login(UserFactory())
    return client


def test_directory_requires_login(client):
    response = client.get(reverse("coordination:organisation_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_directory_lists_searches_and_filters(user_client):
    stockholm = AreaFactory(name="Stockholms stad")
    soder = AreaFactory(name="Södermalm", kind="STADSDELSOMRADE", parent=stockholm)
    huddinge = AreaFactory(name="Huddinge")
    OrganisationFactory(
        name="Rosenlunds vårdcentral",
        area=soder,
        kind="VARDCENTRAL",
        huvudman="REGION",
        reachability="YES",
    )
    OrganisationFactory(
        name="Skanstulls vårdcentral",
        area=soder,
        kind="VARDCENTRAL",
        huvudman="REGION",
        reachability="UNKNOWN",
    )
    OrganisationFactory(name="Huddinge biståndsenhet", area=huddinge, reachability="NO")
    url = reverse("coordination:organisation_list")

    page = user_client.get(url).content.decode()
    assert "Rosenlunds vårdcentral" in page and "Huddinge biståndsenhet" in page
    assert "Organisationskatalog" in page  # Swedish by default

    page = user_client.get(url, {"q": "rosen"}).content.decode()
    assert "Rosenlunds" in page and "Skanstulls" not in page

    page = user_client.get(url, {"reachability": "UNKNOWN"}).content.decode()
    assert "Skanstulls" in page and "Rosenlunds" not in page

    # a kommun includes its stadsdelsområden
    page = user_client.get(url, {"area": stockholm.pk}).content.decode()
    assert "Skanstulls" in page and "Huddinge biståndsenhet" not in page

    page = user_client.get(url, {"kind": "SOCIALTJANST", "huvudman": "KOMMUN"}).content.decode()
    assert "Huddinge biståndsenhet" in page and "vårdcentral" not in page

    # an invalid filter value does not break the page
    response = user_client.get(url, {"area": "999999", "kind": "NOPE"})
    assert response.status_code == 200


def test_directory_paginates(user_client):
    area = AreaFactory()
    for n in range(30):
        OrganisationFactory(name=f"Enhet {n:02d}", area=area)
    url = reverse("coordination:organisation_list")
    first = user_client.get(url).content.decode()
    second = user_client.get(url, {"page": 2}).content.decode()
    assert "Enhet 00" in first and "Enhet 29" not in first
    assert "Enhet 29" in second
    assert user_client.get(url, {"page": 99}).status_code == 404


def test_organisation_page_shows_reachability_warning_and_staff(user_client):
    organisation = OrganisationFactory(name="Skanstulls vårdcentral", reachability="UNKNOWN")
    MembershipFactory(
        organisation=organisation,
        role="FAST_VARDKONTAKT",
        user=UserFactory(first_name="Johan", last_name="Nilsson"),
    )
    page = user_client.get(organisation.get_absolute_url()).content.decode()
    assert "Skanstulls vårdcentral" in page
    assert "andra kanal" in page  # second channel required
    assert "Johan Nilsson" in page
    assert (
        user_client.get(reverse("coordination:organisation_detail", args=[999999])).status_code
        == 404
    )


def test_demo_data_loads_twice_without_duplicates(django_db_setup):
    from django.core.management import call_command

    from coordination.models import Area, Organisation

    call_command("load_demo_data", verbosity=0)
    counts = (Area.objects.count(), Organisation.objects.count())
    call_command("load_demo_data", verbosity=0)
    assert (Area.objects.count(), Organisation.objects.count()) == counts
    assert Area.objects.filter(parent__name="Stockholms stad").count() == 11
    assert Organisation.objects.filter(reachability="UNKNOWN").count() >= 3
    assert Organisation.objects.filter(reachability="NO").count() >= 3
