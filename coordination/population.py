"""The population register (folkbokföringen): who a personnummer belongs to.

The real register is a regional service (Navet through the region's integration
platform); this module only declares what the registration page needs from it
(``PopulationRegister``) and chooses the backend named by the setting
``KARDBORRE_POPULATION_REGISTER`` (a dotted path to a class; empty: no register, the
person is entered by hand). ``DemoPopulationRegister`` is the demo's stand-in.

A person with protected identity (skyddad folkbokföring, sekretessmarkering) comes back
with ``protected_identity`` set; the registration page then never shows the name or
address to a user without ``coordination.view_protected_identity``.

>>> from coordination import personnummer
>>> record = DemoPopulationRegister().lookup(personnummer.parse("19400101-9803"))
>>> record.given_name, record.family_name, record.protected_identity
('Bertil', 'Wik', False)
>>> DemoPopulationRegister().lookup(personnummer.parse("19400101-9993")).protected_identity
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .personnummer import PersonalIdentityNumber


@dataclass(frozen=True)
class PopulationRecord:
    """What the register says about one person."""

    personal_identity_number: str
    given_name: str
    family_name: str
    address: str = ""
    protected_identity: bool = False


class PopulationRegister(Protocol):
    def lookup(self, number: PersonalIdentityNumber) -> PopulationRecord | None:
        """The person with this number, or None when the register does not know it."""


class NoPopulationRegister:
    """No register configured: every person is entered by hand."""

    def lookup(self, number: PersonalIdentityNumber) -> PopulationRecord | None:
        return None


class DemoPopulationRegister:
    """A made-up register for the demo: a name and address drawn from the digits.

    Serial numbers 990-999 stand for persons with protected identity; serial numbers
    below 100 are unknown to the register (a person just arrived, a typing error that
    still has a valid check digit)."""

    GIVEN_NAMES = ("Astrid", "Bertil", "Ingrid", "Gunnar", "Karin", "Sven", "Maj", "Erik")
    FAMILY_NAMES = ("Lindqvist", "Berg", "Holm", "Sjöberg", "Ek", "Nyström", "Dahl", "Wik")
    STREETS = ("Ringvägen", "Götgatan", "Sveavägen", "Hornsgatan", "Kungsgatan")

    def lookup(self, number: PersonalIdentityNumber) -> PopulationRecord | None:
        serial = int(number.digits[8:11])
        if serial < 100:
            return None
        seed = int(number.digits[:8]) + serial
        return PopulationRecord(
            personal_identity_number=number.formatted,
            given_name=self.GIVEN_NAMES[seed % len(self.GIVEN_NAMES)],
            family_name=self.FAMILY_NAMES[(seed // 7) % len(self.FAMILY_NAMES)],
            address=f"{self.STREETS[seed % len(self.STREETS)]} {seed % 90 + 1}, 118 20 Stockholm",
            protected_identity=serial >= 990,
        )


def population_register() -> PopulationRegister:
    """The backend the setting names."""
    path = getattr(settings, "KARDBORRE_POPULATION_REGISTER", "")
    return import_string(path)() if path else NoPopulationRegister()
