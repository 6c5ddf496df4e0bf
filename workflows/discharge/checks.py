"""System checks of the payment configuration (``manage.py check``, start-up)."""

from django.core import checks
from django.db import DatabaseError

from .selectors import payment_years_missing_rate


def payment_rates_check(app_configs=None, **kwargs):
    """A year with sent utskrivningsklar notices but no amount per vårddygn: every
    figure of that year shows "belopp saknas" until an administrator enters the amount
    from Socialstyrelsen's föreskrift (HSLF-FS, förordning 2017:617). Silent when the
    database is not reachable or not migrated (e.g. before the first ``migrate``)."""

    try:
        missing = payment_years_missing_rate()
    except DatabaseError:
        return []
    return [
        checks.Warning(
            f"No amount per day of payment responsibility (PaymentDayRate) for {year}, "
            "a year with ready-for-discharge notices.",
            hint="Enter Socialstyrelsen's amount for the year (HSLF-FS) on the page for "
            "amounts per day; figures of the year show the amount as missing until then.",
            id="discharge.W001",
        )
        for year in missing
    ]
