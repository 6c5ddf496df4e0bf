import pytest
from django.core.management import CommandError, call_command

from coordination.models import Organisation
from coordination.services import OrganisationImportError, organisations_import_csv
from tests.factories import AreaFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HEADER = "name;kind;huvudman;area;hsa_id;parent;acting_for;functional_mailbox;phone;reachability"


@pytest.fixture
def area():
    return AreaFactory(name="Södermalm", kind="STADSDELSOMRADE")


def test_valid_file_creates_and_links_parents(area):
    data = "\n".join(
        [
            HEADER,
            "Södermalm stadsdelsförvaltning;STADSDELSFORVALTNING;KOMMUN;Södermalm;SE1;;;sdf@x.se;08-1;ja",
            "Södermalm biståndsenhet;SOCIALTJANST;KOMMUN;södermalm;SE2;SE1;;bist@x.se;;UNKNOWN",
            "Attendo Söder;HEMTJANST;PRIVATE;Södermalm;;;KOMMUN;;;nej",
        ]
    )
    result = organisations_import_csv(data=data.encode())
    assert (result.created, result.updated) == (3, 0)
    bistand = Organisation.objects.get(hsa_id="SE2")
    assert bistand.parent.hsa_id == "SE1"
    assert bistand.reachability == "UNKNOWN"
    assert Organisation.objects.get(name="Attendo Söder").acting_for == "KOMMUN"
    assert Organisation.objects.get(hsa_id="SE1").reachability == "YES"


def test_reimport_updates_by_hsa_id(area):
    OrganisationFactory(name="Gammalt namn", hsa_id="SE9", area=area, reachability="NO")
    organisations_import_csv(data=f"{HEADER}\nNytt namn;VARDCENTRAL;REGION;Södermalm;SE9;;;;;YES")
    organisation = Organisation.objects.get(hsa_id="SE9")
    assert organisation.name == "Nytt namn"
    assert organisation.reachability == "YES"
    assert Organisation.objects.count() == 1


def test_every_error_is_reported_with_its_line_and_nothing_is_imported(area):
    data = "\n".join(
        [
            HEADER,
            "Bra enhet;SOCIALTJANST;KOMMUN;Södermalm;;;;;;YES",
            ";SOCIALTJANST;KOMMUN;Södermalm;;;;;;YES",
            "Fel typ;RYMDSTATION;KOMMUN;Södermalm;;;;;;YES",
            "Fel område;SOCIALTJANST;KOMMUN;Atlantis;;;;;;YES",
            "Fel post;SOCIALTJANST;KOMMUN;Södermalm;;;;inte-en-adress;;kanske",
            "Fel förälder;SOCIALTJANST;KOMMUN;Södermalm;;Finns inte;;;;YES",
            "Bra enhet;SOCIALTJANST;KOMMUN;Södermalm;;;;;;YES",
        ]
    )
    with pytest.raises(OrganisationImportError) as exc:
        organisations_import_csv(data=data)
    errors = exc.value.errors
    assert any(e.startswith("rad 3: name") for e in errors)
    assert any(e.startswith("rad 4: kind") for e in errors)
    assert any(e.startswith("rad 5: area") for e in errors)
    assert any(e.startswith("rad 6: functional_mailbox") for e in errors)
    assert any(e.startswith("rad 6: reachability") for e in errors)
    assert any(e.startswith("rad 7: parent") for e in errors)
    assert any(e.startswith("rad 8: samma organisation som på rad 2") for e in errors)
    assert Organisation.objects.count() == 0


def test_missing_columns_and_empty_file(area):
    with pytest.raises(OrganisationImportError) as exc:
        organisations_import_csv(data="name;kind\nA;SOCIALTJANST")
    assert "kolumner saknas: area, huvudman" in exc.value.errors[0]
    with pytest.raises(OrganisationImportError):
        organisations_import_csv(data=HEADER + "\n")
    with pytest.raises(OrganisationImportError) as exc:
        organisations_import_csv(data=b"\xff\xfe\x00bad")
    assert "UTF-8" in exc.value.errors[0]


def test_command_prints_errors_and_fails(area, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nEnhet A;SOCIALTJANST;KOMMUN;Södermalm;;;;;;YES\n", encoding="utf-8")
    call_command("import_organisations", str(good))
    assert "1 created" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nEnhet B;SOCIALTJANST;KOMMUN;Mars;;;;;;YES\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_organisations", str(bad))
    assert "rad 2: area" in capsys.readouterr().err
    assert not Organisation.objects.filter(name="Enhet B").exists()

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_organisations", str(tmp_path / "missing.csv"))
