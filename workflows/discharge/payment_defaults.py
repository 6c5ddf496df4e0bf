"""The payment configuration a freshly migrated database holds (migrations 0002 and
0004), in the current schema: for tests that empty the tables between runs (the
browser tests flush the database) and must put it back. Amounts are only those with a
source (research P1, P4, P9, P10, P11); no year is filled in by guess."""

import datetime as dt

AGREEMENTS = [
    {
        "name": "Lag (2017:612)",
        "version": "default",
        "valid_from_year": 2018,
        "valid_to_year": None,
        "model": "PER_PATIENT",
        "day_count": "CALENDAR",
        "settlement_months": 1,
        "cutoff_time": None,
        "is_statutory_default": True,
        "source": "LUS 5 kap. 3 §; psykiatri 2018: prop. 2017/18:12 (research P8)",
        "levels": [
            ("SOMATIC", dt.date(2018, 1, 1), None, 3),
            ("PSYCHIATRIC", dt.date(2018, 1, 1), dt.date(2018, 12, 31), 30),
            ("PSYCHIATRIC", dt.date(2019, 1, 1), None, 3),
        ],
    },
    {
        "name": "Region Stockholm och Storsthlm",
        "version": "2020",
        "valid_from_year": 2020,
        "valid_to_year": None,
        "model": "AVERAGE",
        "day_count": "CALENDAR",
        "settlement_months": 1,
        "cutoff_time": dt.time(12, 0),
        "is_statutory_default": False,
        "source": (
            "Överenskommelse Region Stockholm–Storsthlm från 2020, kap. 12: "
            "genomsnittsmodell, dag 0 medräknas, kalenderdagar (research P4, P5)"
        ),
        "levels": [
            ("SOMATIC", dt.date(2020, 1, 1), None, 2),
            ("PSYCHIATRIC", dt.date(2020, 1, 1), None, 5),
        ],
    },
]
RATES = [
    (2019, 7800, "HSLF-FS 2018:67 (research P1)", True),
    (2020, 8200, "HSLF-FS 2019 (research P4, P9)", True),
    (
        2022,
        9300,
        "Socialstyrelsens föreskrift, cited by Vårdsamverkan Skåne (research P10); to confirm",
        False,
    ),
    (2023, 10500, "HSLF-FS 2022:60, secondary source only (research P11); to confirm", False),
]


def load(apps) -> None:
    PaymentAgreement = apps.get_model("discharge", "PaymentAgreement")
    PaymentAgreementLevel = apps.get_model("discharge", "PaymentAgreementLevel")
    PaymentDayRate = apps.get_model("discharge", "PaymentDayRate")
    for row in AGREEMENTS:
        row = dict(row)
        levels = row.pop("levels")
        agreement, _created = PaymentAgreement.objects.update_or_create(
            name=row["name"], version=row["version"], defaults=row
        )
        agreement.levels.all().delete()
        for care_type, start, end, level in levels:
            PaymentAgreementLevel.objects.create(
                agreement=agreement,
                care_type=care_type,
                valid_from_date=start,
                valid_to_date=end,
                level=level,
            )
    for year, amount, source, confirmed in RATES:
        PaymentDayRate.objects.update_or_create(
            year=year, defaults={"amount_sek": amount, "source": source, "confirmed": confirmed}
        )
