"""Odd input to the API never answers 500: random JSON values in every field, long and
odd Unicode strings, raw bytes."""

import json

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.discharge.models import DischargeProcess

from .conftest import admit_body, local

pytestmark = pytest.mark.django_db

ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=3000),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
REFUSALS = {400, 403, 404, 409, 422}
FIELDS = [
    "event_id",
    "personal_identity_number",
    "ward_id",
    "admitted_at",
    "care_type",
    "judgement",
    "leaves_for_open_compulsory_care",
    "late_registration_reason",
]
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(field=st.sampled_from(FIELDS), value=ODD)
def test_admit_with_odd_values(world, field, value):
    body = admit_body(world)
    body[field] = value
    before = DischargeProcess.objects.count()
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        response = world.ward_api.post("/api/v1/adt/admit", body)
    assert response.status_code in REFUSALS | {201}, response.content[:300]
    if response.status_code != 201:
        assert DischargeProcess.objects.count() == before


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_raw_bytes_to_the_api(world, raw):
    response = world.ward_api.client.post(
        "/api/v1/adt/admit",
        raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.ward_api.key}"},
    )
    assert response.status_code in REFUSALS, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    json.loads(response.content)
