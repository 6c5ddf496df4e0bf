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


def test_pages_go_by_keyset_with_no_gaps_or_repeats(client, world):
    """120 rows (some sharing one timestamp): three pages of the newest first, "Äldre"
    and "Nyare" links that cover every row once, a capped count; a malformed cursor
    shows the first page."""
    import datetime as dt
    import re

    import time_machine

    from coordination.views import AccessLogView

    officer = world["officer_soder"]
    start = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    for i in range(118):
        # Pairs of rows share a timestamp: the id breaks the tie.
        with time_machine.travel(start + dt.timedelta(minutes=i // 2), tick=False):
            access_log_record(user=officer, action="READ", purpose=f"rad {i}")
    client.force_login(UserFactory(is_staff=True))

    def ids(page):
        return re.findall(r"<td>rad (\d+)</td>", page)

    first = client.get(URL).content.decode()
    assert "120 poster" in first
    seen = ids(first)
    # The fixture's two rows are the newest (recorded today), then 117, 116, ...
    assert seen[:2] == ["117", "116"] and len(seen) == 48
    assert "Nyare" not in first
    older = re.search(r'href="\?before=([0-9-]+)"', first).group(1)
    second = client.get(URL, {"before": older}).content.decode()
    seen += ids(second)
    third = client.get(
        URL, {"before": re.search(r'href="\?before=([0-9-]+)"', second).group(1)}
    ).content.decode()
    assert "Äldre" not in third
    seen += ids(third)
    # 118 numbered rows + the fixture's 2: every row once, newest first.
    assert seen == [str(i) for i in range(117, -1, -1)]
    newer = re.search(r'href="\?after=([0-9-]+)"', second).group(1)
    assert ids(client.get(URL, {"after": newer}).content.decode()) == ids(first)
    assert ids(client.get(URL, {"before": "x-1"}).content.decode()) == ids(first)

    original = AccessLogView.COUNT_CAP
    AccessLogView.COUNT_CAP = 100
    try:
        assert "Fler än 100 poster" in client.get(URL).content.decode()
    finally:
        AccessLogView.COUNT_CAP = original
