"""Two users of the ward take the same task at the same moment: one wins, the other
is told who took it. Real threads on PostgreSQL; viewflow's select_for_update lock
serialises them."""

import threading

import pytest
import time_machine
from django.db import connection
from viewflow.workflow.status import STATUS

from workflows.discharge.flows import DischargeFlow

from .helpers import client_for, do, open_task
from .test_flow import local, register

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_users_assign_at_once_one_wins(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {"socialtjanst": world.social.pk, "estimated_discharge_date": "2022-11-18"},
        )
    task = open_task(process, DischargeFlow.issue_ready_notice)
    url = DischargeFlow.issue_ready_notice.reverse("assign", args=[process.pk, task.pk])
    clients = {world.nurse.pk: client_for(world.nurse), world.nurse2.pk: client_for(world.nurse2)}
    barrier = threading.Barrier(len(clients))
    pages = {}

    def take(user_pk):
        try:
            barrier.wait()
            response = clients[user_pk].post(url, follow=True)
            pages[user_pk] = (response.status_code, response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(pk,)) for pk in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED
    winner = task.owner
    loser_pk = next(pk for pk in clients if pk != winner.pk)
    status, page = pages[loser_pk]
    assert status == 200
    assert f"Steget har redan tagits av {winner.get_full_name()}" in page
