import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from coordination.models import AccessLog
from coordination.services import access_log_record
from tests.factories import (
    AreaFactory,
    IndividualFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("coordination:access_log")


@pytest.fixture
def world():
    stockholm = AreaFactory(name="Stockholms stad")
    soder = AreaFactory(name="Södermalm", kind="STADSDELSOMRADE", parent=stockholm)
    huddinge = AreaFactory(name="Huddinge")
    soder_unit = OrganisationFactory(name="Södermalm biståndsenhet", area=soder)
    soder_sdf = OrganisationFactory(name="Södermalm sdf", area=soder)
    huddinge_unit = OrganisationFactory(name="Huddinge biståndsenhet", area=huddinge)
    mas_soder = MembershipFactory(organisation=soder_sdf, role="MAS").user
    mas_huddinge = MembershipFactory(
        organisation=OrganisationFactory(area=huddinge), role="MAS"
    ).user
    officer_soder = MembershipFactory(organisation=soder_unit).user
    officer_huddinge = MembershipFactory(organisation=huddinge_unit).user
    astrid = IndividualFactory(given_name="Astrid")
    kjell = IndividualFactory(given_name="Kjell")
    access_log_record(
        user=officer_soder,
        action="READ",
        purpose="LUS-ärende",
        individual=astrid,
        organisation=soder_unit,
    )
    access_log_record(
        user=officer_huddinge,
        action="READ",
        purpose="SIP",
        individual=kjell,
        organisation=huddinge_unit,
    )
    return locals()


def test_record_fills_every_field_from_the_request(rf, world):
    request = rf.get("/fall/1/", REMOTE_ADDR="10.1.2.3")
    request.user = world["officer_soder"]
    entry = access_log_record(
        user=request.user,
        action="READ",
        purpose="LUS-ärende",
        individual=world["astrid"],
        request=request,
    )
    assert entry.username == request.user.username
    assert entry.organisation == world["soder_unit"]  # the user's only organisation
    assert (entry.path, entry.ip_address) == ("/fall/1/", "10.1.2.3")


def test_rows_cannot_be_changed_or_deleted_by_the_app(world):
    entry = AccessLog.objects.first()
    entry.purpose = "ändrat"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AccessLog.objects.update(purpose="x")
    with pytest.raises(PermissionError):
        AccessLog.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE coordination_accesslog SET purpose = 'x'",
        "DELETE FROM coordination_accesslog",
    ],
)
def test_database_refuses_update_delete_truncate(world, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AccessLog.objects.count() == 2


def test_mas_sees_only_their_kommun(client, world):
    client.force_login(world["mas_soder"])
    page = client.get(URL).content.decode()
    assert "Åtkomstlogg" in page
    assert world["astrid"].personal_identity_number in page
    assert world["kjell"].personal_identity_number not in page

    client.force_login(world["mas_huddinge"])
    page = client.get(URL).content.decode()
    assert world["kjell"].personal_identity_number in page
    assert world["astrid"].personal_identity_number not in page


def test_case_officer_and_anonymous_are_refused(client, world):
    assert client.get(URL).status_code == 302
    client.force_login(world["officer_soder"])
    assert client.get(URL).status_code == 403


def test_admin_filters_by_individual_user_and_period(client, world):
    admin = UserFactory(is_staff=True)
    client.force_login(admin)
    page = client.get(URL, {"individual": world["kjell"].personal_identity_number}).content.decode()
    assert world["kjell"].personal_identity_number in page
    assert world["astrid"].personal_identity_number not in page
    page = client.get(URL, {"user": world["officer_soder"].username}).content.decode()
    assert world["astrid"].personal_identity_number in page
    assert world["kjell"].personal_identity_number not in page
    page = client.get(URL, {"date_from": "2001-01-01", "date_to": "2001-01-02"}).content.decode()
    assert "Inga poster matchar filtret" in page


def test_bad_filter_input_gives_a_clear_error(client, world):
    client.force_login(UserFactory(is_staff=True))
    response = client.get(URL, {"individual": "19121212-1213"})
    assert response.status_code == 200
    assert "Kontrollsiffran stämmer inte" in response.content.decode()
    response = client.get(URL, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "Startdatumet är efter slutdatumet" in response.content.decode()


def test_csv_export_is_scoped_and_logged(client, world):
    client.force_login(world["mas_soder"])
    response = client.get(URL, {"format": "csv"})
    body = response.getvalue().decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert world["astrid"].personal_identity_number in body
    assert world["kjell"].personal_identity_number not in body
    assert AccessLog.objects.filter(action="EXPORT", username=world["mas_soder"].username).exists()
