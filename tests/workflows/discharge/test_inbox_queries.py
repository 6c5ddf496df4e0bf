"""The queue and the inbox cost the same number of queries however many tasks they list
(issue #15: "≤ 20 queries whatever the number of rows"): each row's case link and
summary come from the page's own query, not one query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import IndividualFactory
from workflows.discharge.flows import DischargeFlow

from .helpers import assign, client_for, start

pytestmark = pytest.mark.django_db


def _admissions(world, ward, count):
    for _ in range(count):
        person = IndividualFactory()
        response = start(
            ward,
            personal_identity_number=person.personal_identity_number,
            ward=world.ward.pk,
            admitted_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            care_type="SOMATIC",
            judgement="MAY_NEED",
        )
        assert response.status_code == 302


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_queue_and_inbox_queries_do_not_grow_with_rows(world):
    ward = client_for(world.nurse)
    _admissions(world, ward, 2)
    few_queue, _ = _queries(ward, "/workflow/queue/")
    _admissions(world, ward, 10)
    many_queue, page = _queries(ward, "/workflow/queue/")
    assert page.count("/utskrivning/") >= 12  # every row links to its case page
    assert many_queue == few_queue, (few_queue, many_queue)
    assert many_queue <= 20

    from workflows.discharge.models import DischargeProcess

    processes = list(DischargeProcess.objects.order_by("pk"))
    for process in processes[:2]:
        assign(ward, process, DischargeFlow.send_admission_notice)
    few_inbox, _ = _queries(ward, "/workflow/inbox/")
    for process in processes[2:]:
        assign(ward, process, DischargeFlow.send_admission_notice)
    many_inbox, _ = _queries(ward, "/workflow/inbox/")
    assert many_inbox == few_inbox, (few_inbox, many_inbox)
    assert many_inbox <= 20
