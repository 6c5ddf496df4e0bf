import datetime as dt

from django.db import migrations

AGREEMENTS = [
    # The law's default when no agreement applies (LUS 5 kap. 3 §, DOMAIN §1.4).
    {
        "name": "Lag (2017:612)",
        "version": "default",
        "valid_from_year": 2018,
        "valid_to_year": None,
        "free_days_somatic": 3,
        "free_days_psychiatric": 3,
        "cutoff_time": None,
        "is_statutory_default": True,
        "source": "LUS 5 kap. 3 § (DOMAIN §1.4)",
    },
    {
        "name": "Region Stockholm och Storsthlm",
        "version": "2020",
        "valid_from_year": 2020,
        "valid_to_year": None,
        "free_days_somatic": 2,
        "free_days_psychiatric": 5,
        "cutoff_time": dt.time(12, 0),
        "is_statutory_default": False,
        "source": "Överenskommelse kap. 12; gemensam rutin (DOMAIN §1.4, S20)",
    },
]
RATES = [
    (2019, 7800, "Socialstyrelsen HSLF-FS (DOMAIN §0, S16)"),
    (2020, 8200, "Socialstyrelsen HSLF-FS (DOMAIN §0, S20)"),
    (2022, 9300, "Socialstyrelsen HSLF-FS (DOMAIN §0, S17)"),
]


def load(apps, schema_editor):
    PaymentAgreement = apps.get_model("discharge", "PaymentAgreement")
    PaymentDayRate = apps.get_model("discharge", "PaymentDayRate")
    for row in AGREEMENTS:
        PaymentAgreement.objects.update_or_create(
            name=row["name"], version=row["version"], defaults=row
        )
    for year, amount, source in RATES:
        PaymentDayRate.objects.update_or_create(
            year=year, defaults={"amount_sek": amount, "source": source}
        )


class Migration(migrations.Migration):
    dependencies = [("discharge", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
