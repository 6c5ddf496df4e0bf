import datetime as dt

import pytest

from coordination.models import Area
from tests.factories import AreaFactory, IndividualFactory

from .factories import SocialtjanstFactory, VardcentralFactory, WardFactory, member


class World:
    pass


@pytest.fixture
def world(db):
    """A ward, a kommun biståndsenhet and a vårdcentral, with one user each."""
    w = World()
    w.kommun = AreaFactory(name="Teststad", kind=Area.Kind.KOMMUN)
    w.district = AreaFactory(name="Testdistrikt", kind=Area.Kind.STADSDELSOMRADE, parent=w.kommun)
    w.region = AreaFactory(name="Testregion", kind=Area.Kind.REGION)
    w.ward = WardFactory(area=w.district, name="Testsjukhuset avd 1")
    w.social = SocialtjanstFactory(area=w.district, name="Testdistrikt biståndsenhet")
    w.vc = VardcentralFactory(area=w.district, name="Testdistrikt vårdcentral")
    w.nurse = member(w.ward, "SJUKSKOTERSKA", user__first_name="Sara", user__last_name="Lind")
    w.nurse2 = member(w.ward, "SJUKSKOTERSKA", user__first_name="Per", user__last_name="Holm")
    w.handlaggare = member(
        w.social, "HANDLAGGARE", user__first_name="Karin", user__last_name="Berg"
    )
    w.vardkontakt = member(
        w.vc, "FAST_VARDKONTAKT", user__first_name="Johan", user__last_name="Nilsson"
    )
    w.individual = IndividualFactory(given_name="Astrid", family_name="Testsson")
    return w


STHLM = dt.timezone(dt.timedelta(hours=1))  # November: CET


@pytest.fixture(autouse=True)
def _long_idle_timeout(settings):
    # The tests jump days ahead between steps of one logged-in user; the session
    # lifetime and idle logout (config.middleware) are tested elsewhere.
    settings.SESSION_IDLE_TIMEOUT = 365 * 24 * 60 * 60
    settings.SESSION_COOKIE_AGE = 365 * 24 * 60 * 60
