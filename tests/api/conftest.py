"""A small world for the API: a region ward, a kommun biståndsenhet and a vårdcentral in
one district, each with its own API client (all scopes), plus an unrelated ward of
another kommun. Every response a test receives through ``ApiClientForTests`` is
checked against the generated OpenAPI schema (``contract``)."""

import datetime as dt
import json

import pytest
from django.test import Client

from api.models import Scope
from api.services import api_client_create
from coordination.models import Area
from tests.factories import AreaFactory, IndividualFactory
from tests.workflows.discharge.factories import (
    SocialtjanstFactory,
    VardcentralFactory,
    WardFactory,
    member,
)

from .contract import assert_matches_schema

ALL_SCOPES = list(Scope.values)


class ApiClientForTests:
    """The Django test client with a bearer key; every answer is validated against
    the OpenAPI schema of its operation and status."""

    def __init__(self, key, *, check_contract=True):
        self.key = key
        self.client = Client()
        self.check_contract = check_contract

    def _headers(self):
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def _done(self, method, path, response):
        if self.check_contract:
            assert_matches_schema(method, path, response)
        return response

    def get(self, path, params=None):
        return self._done("get", path, self.client.get(path, params or {}, headers=self._headers()))

    def post(self, path, body=None, *, raw=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        response = self.client.post(
            path, data, content_type="application/json", headers=self._headers()
        )
        return self._done("post", path, response)


class World:
    pass


def issue(organisation, name, scopes=None):
    issued = api_client_create(organisation=organisation, name=name, scopes=scopes or ALL_SCOPES)
    return issued.client, ApiClientForTests(issued.key)


@pytest.fixture
def world(db):
    w = World()
    w.kommun = AreaFactory(name="Teststad", kind=Area.Kind.KOMMUN)
    w.district = AreaFactory(name="Testdistrikt", kind=Area.Kind.STADSDELSOMRADE, parent=w.kommun)
    w.region = AreaFactory(name="Testregion", kind=Area.Kind.REGION)
    w.ward = WardFactory(area=w.district, name="Testsjukhuset avd 1")
    w.social = SocialtjanstFactory(area=w.district, name="Testdistrikt biståndsenhet")
    w.vc = VardcentralFactory(area=w.district, name="Testdistrikt vårdcentral")
    w.nurse = member(w.ward, "SJUKSKOTERSKA")
    w.individual = IndividualFactory(given_name="Astrid", family_name="Testsson")
    w.other_individual = IndividualFactory(given_name="Bengt", family_name="Andersson")
    w.other_kommun = AreaFactory(name="Annanstad", kind=Area.Kind.KOMMUN)
    w.other_ward = WardFactory(area=w.other_kommun, name="Annat sjukhus avd 9")
    w.ward_client, w.ward_api = issue(w.ward, "TakeCare avd 1")
    w.social_client, w.social_api = issue(w.social, "Treserva Teststad")
    w.vc_client, w.vc_api = issue(w.vc, "Cosmic vårdcentral")
    w.other_client, w.other_api = issue(w.other_ward, "Millennium annat sjukhus")
    return w


@pytest.fixture(autouse=True)
def _api_settings(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1000
    from django.core.cache import cache

    cache.clear()


STHLM = dt.timezone(dt.timedelta(hours=1))  # November: CET


def local(*args):
    return dt.datetime(*args, tzinfo=STHLM)


def admit_body(w, *, event_id="adt-1", individual=None, **extra):
    return {
        "event_id": event_id,
        "personal_identity_number": (individual or w.individual).personal_identity_number,
        "ward_id": w.ward.pk,
        "admitted_at": local(2022, 11, 14, 8, 0).isoformat(),
        "care_type": "SOMATIC",
        "judgement": "MAY_NEED",
        **extra,
    }


def notified_discharge(w) -> int:
    """Admitted by the ward's client and the notice sent to the kommun and the
    vårdcentral (call inside a time travel to 2022-11-14 after 08:00)."""
    response = w.ward_api.post("/api/v1/adt/admit", admit_body(w))
    assert response.status_code == 201, response.json()
    pk = response.json()["discharge_id"]
    response = w.ward_api.post(
        f"/api/v1/discharges/{pk}/admission-notice",
        {
            "socialtjanst_id": w.social.pk,
            "vardcentral_id": w.vc.pk,
            "estimated_discharge_date": "2022-11-18",
        },
    )
    assert response.status_code == 200, response.json()
    return pk
