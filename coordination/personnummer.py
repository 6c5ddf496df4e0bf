"""Swedish personal identity numbers (personnummer) and coordination numbers
(samordningsnummer).

Rules (Skatteverket, SKV 704 "Personnummer" and SKV 707 "Samordningsnummer"):

* ten digits ``YYMMDD-NNNC`` or twelve ``YYYYMMDDNNNC``; the last digit ``C`` is a Luhn
  check digit over the ten digits ``YYMMDDNNN``;
* in the ten-digit form the separator says the century: ``-`` for under 100 years of
  age, ``+`` from the year the person turns 100;
* a samordningsnummer adds 60 to the day of birth (``61``–``91``).

This module is pure: it never reads the clock unless ``today`` is left out.

>>> parse("19121212-1212").formatted
'19121212-1212'
>>> parse("701063-2391").is_coordination_number
True
>>> parse("121212+1212", today=dt.date(2026, 12, 2)).formatted   # "+": 100 years or more
'19121212-1212'
>>> parse("19121212-1213")
Traceback (most recent call last):
...
django.core.exceptions.ValidationError: ...
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from coordination import clock

_PATTERN = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})$")


@dataclass(frozen=True)
class PersonalIdentityNumber:
    """A validated number in its canonical twelve-digit form."""

    digits: str  # YYYYMMDDNNNC
    birth_date: dt.date
    is_coordination_number: bool

    @property
    def formatted(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"

    def __str__(self) -> str:
        return self.formatted


def luhn_check_digit(nine_digits: str) -> int:
    """The Luhn check digit for ``YYMMDDNNN``."""
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def parse(value: str, *, today: dt.date | None = None) -> PersonalIdentityNumber:
    """Validate and normalise a personnummer or samordningsnummer.

    Raises ``ValidationError`` with a message a case officer can act on.
    """
    raw = (value or "").strip().replace(" ", "")
    match = _PATTERN.match(raw)
    if not match:
        raise ValidationError(
            _("Enter the number as YYYYMMDD-NNNN (or YYMMDD-NNNN)."), code="format"
        )
    today = today or clock.today()
    yymmdd, sep, tail = match["yymmdd"], match["sep"], match["tail"]
    year2, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])

    is_coordination = day > 60
    birth_day = day - 60 if is_coordination else day

    if match["century"]:
        if sep == "+":
            raise ValidationError(
                _("The '+' separator is only used with the ten-digit form."), code="format"
            )
        year = int(match["century"] + yymmdd[:2])
    else:
        # Ten digits: the latest year ending in YY whose date has passed, a century
        # earlier again with '+' (the person is at least 100).
        year = today.year - ((today.year - year2) % 100)
        if (month, birth_day) > (today.month, today.day):
            year -= 100 if year == today.year else 0
        if sep == "+":
            year -= 100
    try:
        birth_date = dt.date(year, month, birth_day)
    except ValueError:
        raise ValidationError(
            _("The date of birth in the number does not exist."), code="date"
        ) from None
    if birth_date > today:
        raise ValidationError(_("The date of birth lies in the future."), code="date")
    if birth_date.year < 1870:
        raise ValidationError(_("The century is not plausible."), code="century")

    nine = yymmdd + tail[:3]
    if luhn_check_digit(nine) != int(tail[3]):
        raise ValidationError(
            _("The check digit is wrong: check the number for a typing error."),
            code="checksum",
        )
    digits = f"{year:04d}{yymmdd[2:]}{tail}"
    return PersonalIdentityNumber(
        digits=digits, birth_date=birth_date, is_coordination_number=is_coordination
    )


def validate_personnummer(value: str) -> None:
    """Model/form field validator."""
    parse(value)


def make_test_number(birth_date: dt.date, serial: int, *, coordination: bool = False) -> str:
    """A valid number for synthetic test data (serial 980-999, as in Skatteverket's
    published test series)."""
    day = birth_date.day + (60 if coordination else 0)
    nine = f"{birth_date:%y%m}{day:02d}{serial:03d}"
    return f"{birth_date.year:04d}{nine[2:6]}-{serial:03d}{luhn_check_digit(nine)}"
