"""Amounts per vårddygn: entered by an administrator, never invented, checked at start."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from workflows.discharge import services
from workflows.discharge.checks import payment_rates_check
from workflows.discharge.models import PaymentAgreement, PaymentAgreementLevel, PaymentDayRate

from .conftest import local, make_episode
from .test_invoice_basis import client_for


def test_seeded_amounts_are_the_known_ones_only(db):
    rates = {r.year: (r.amount_sek, r.confirmed) for r in PaymentDayRate.objects.all()}
    assert rates == {
        2019: (7800, True),
        2020: (8200, True),
        2022: (9300, False),
        2023: (10500, False),
    }


def test_missing_year_with_cases_is_a_warning_and_shown_to_administrators(world):
    make_episode(world, sent_at=local(2026, 1, 12, 10, 0), discharged_at=local(2026, 1, 20, 10, 0))
    warnings = payment_rates_check()
    assert [w.id for w in warnings] == ["discharge.W001"]
    assert "2026" in warnings[0].msg
    page = client_for(world.admin).get(reverse("oversight:rates"))
    assert "belopp saknas för 2026" in page.content.decode()
    # Not for anyone else.
    assert client_for(world.mas).get(reverse("oversight:rates")).status_code == 403

    response = client_for(world.admin).post(
        reverse("oversight:rates"),
        {"year": 2026, "amount_sek": 11000, "source": "HSLF-FS 2025:74", "confirmed": "on"},
    )
    assert response.status_code == 302
    assert PaymentDayRate.objects.get(year=2026).recorded_by == world.admin
    assert payment_rates_check() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": 2022, "amount_sek": 9999, "source": "x"}, "redan ett belopp"),
        ({"year": 2024, "amount_sek": -5, "source": "x"}, "positivt"),
        ({"year": 2024, "amount_sek": 0, "source": "x"}, "positivt"),
        ({"year": 2024, "amount_sek": 12000, "source": " "}, "källa"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(world, data, message):
    before = list(PaymentDayRate.objects.values_list("year", "amount_sek", "source"))
    response = client_for(world.admin).post(reverse("oversight:rates"), data)
    assert response.status_code == 400
    assert message in response.content.decode().lower() or message in response.content.decode()
    assert list(PaymentDayRate.objects.values_list("year", "amount_sek", "source")) == before


def test_replacing_an_amount_is_explicit(world):
    services.payment_day_rate_set(
        year=2022,
        amount_sek=9300,
        source="HSLF-FS 2021",
        confirmed=True,
        by=world.admin,
        replace=True,
    )
    assert PaymentDayRate.objects.get(year=2022).confirmed is True


def test_levels_of_an_agreement_may_not_overlap(db):
    agreement = PaymentAgreement.objects.get(name="Region Stockholm och Storsthlm")
    before = PaymentAgreementLevel.objects.count()
    with pytest.raises(ValidationError):
        services.payment_agreement_level_add(
            agreement=agreement,
            care_type="SOMATIC",
            valid_from_date=dt.date(2023, 1, 1),
            valid_to_date=None,
            level=1,
        )
    with pytest.raises(ValidationError):
        services.payment_agreement_level_add(
            agreement=agreement,
            care_type="SOMATIC",
            valid_from_date=dt.date(2030, 1, 1),
            valid_to_date=None,
            level=-1,
        )
    assert PaymentAgreementLevel.objects.count() == before


def test_a_stepped_down_level_applies_from_its_date(world):
    agreement = PaymentAgreement.objects.get(name="Region Stockholm och Storsthlm")
    first = agreement.levels.get(care_type="SOMATIC")
    first.valid_to_date = dt.date(2022, 12, 31)
    first.save()
    services.payment_agreement_level_add(
        agreement=agreement,
        care_type="SOMATIC",
        valid_from_date=dt.date(2023, 1, 1),
        valid_to_date=None,
        level=1,
    )
    assert agreement.level_on("SOMATIC", dt.date(2022, 12, 31)).level == 2
    assert agreement.level_on("SOMATIC", dt.date(2023, 1, 1)).level == 1


def test_admin_refuses_overlapping_levels(world, client):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("root", "root@example.se", "x")
    client.force_login(staff)
    agreement = PaymentAgreement.objects.get(name="Region Stockholm och Storsthlm")
    url = reverse("admin:discharge_paymentagreement_change", args=[agreement.pk])
    page = client.get(url)
    assert page.status_code == 200
    levels = list(agreement.levels.order_by("care_type"))
    data = {
        "name": agreement.name,
        "version": agreement.version,
        "valid_from_year": 2020,
        "valid_to_year": "",
        "model": "AVERAGE",
        "day_count": "CALENDAR",
        "settlement_months": 1,
        "cutoff_time": "12:00",
        "source": agreement.source,
        "levels-TOTAL_FORMS": len(levels) + 1,
        "levels-INITIAL_FORMS": len(levels),
        "levels-MIN_NUM_FORMS": 0,
        "levels-MAX_NUM_FORMS": 1000,
    }
    for i, level in enumerate(levels):
        data.update(
            {
                f"levels-{i}-id": level.pk,
                f"levels-{i}-agreement": agreement.pk,
                f"levels-{i}-care_type": level.care_type,
                f"levels-{i}-valid_from_date": level.valid_from_date.isoformat(),
                f"levels-{i}-valid_to_date": "",
                f"levels-{i}-level": str(level.level),
            }
        )
    n = len(levels)
    data.update(
        {
            f"levels-{n}-agreement": agreement.pk,
            f"levels-{n}-care_type": "SOMATIC",
            f"levels-{n}-valid_from_date": "2024-01-01",
            f"levels-{n}-valid_to_date": "",
            f"levels-{n}-level": "1.5",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "överlappar" in response.content.decode() or "overlaps" in response.content.decode()
    assert agreement.levels.count() == len(levels)


def test_the_restore_helper_matches_the_migrations(db):
    """``payment_defaults`` (used where the tables are flushed) holds what the
    migrations leave in a fresh database."""
    from django.apps import apps

    from workflows.discharge import payment_defaults

    def snapshot():
        return sorted(
            (
                a.name,
                a.model,
                a.day_count,
                str(a.cutoff_time),
                a.is_statutory_default,
                a.source,
                tuple(
                    (lv.care_type, lv.valid_from_date, lv.valid_to_date, int(lv.level))
                    for lv in a.levels.order_by("care_type", "valid_from_date")
                ),
            )
            for a in PaymentAgreement.objects.all()
        ), sorted(PaymentDayRate.objects.values_list("year", "amount_sek", "source", "confirmed"))

    migrated = snapshot()
    PaymentAgreement.objects.all().delete()
    PaymentDayRate.objects.all().delete()
    payment_defaults.load(apps)
    assert snapshot() == migrated
