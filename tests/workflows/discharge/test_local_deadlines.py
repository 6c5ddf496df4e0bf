"""Local deadlines (README, Deadlines): the 24-hour answer to the admission notice and
the acknowledgement of the ready-for-discharge notice by the end of day 0 are set by
neither LUS nor the Stockholm agreement, so they are opened only when
``KARDBORRE_LOCAL_DEADLINES`` switches them on. By default the duties are still tasks,
with no deadline, no reminder and no breach."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.core import mail
from viewflow.workflow.status import STATUS

from coordination.clock import STOCKHOLM
from notifications.services import outbox_deliver_pending
from workflows import checks, escalation
from workflows.deviations.models import Deviation
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess
from workflows.tasks import deadlines_sweep

from .helpers import client_for, deadline, do, fresh, open_task, start

pytestmark = pytest.mark.django_db

LOCAL = ["INSKRIVNING_ACK", "UTSKRIVNINGSKLAR_ACK"]


def local(*args):
    return dt.datetime(*args, tzinfo=STOCKHOLM)


@pytest.fixture
def default_settings(settings):
    """The project's own default (tests/conftest.py switches the local kinds on)."""
    project = importlib.import_module("config.settings")
    settings.KARDBORRE_LOCAL_DEADLINES = project.KARDBORRE_LOCAL_DEADLINES
    return settings


def test_the_default_switches_no_local_deadline_on():
    project = importlib.import_module("config.settings")
    assert not project.DEBUG
    assert project.KARDBORRE_LOCAL_DEADLINES == []


def test_the_registry_marks_the_local_kinds():
    assert sorted(kind.code for kind in escalation.local_kinds()) == LOCAL
    for code in ("INSKRIVNINGSMEDDELANDE", "FAST_VARDKONTAKT", "SIP_KALLELSE"):
        assert not escalation.KINDS[code].local
        assert escalation.is_enabled(code)


def test_a_law_kind_cannot_be_switched_through_the_setting(settings):
    settings.KARDBORRE_LOCAL_DEADLINES = ["INSKRIVNING_ACK", "SIP_KALLELSE", "NONSENSE"]
    errors = checks.deadline_kinds_check()
    assert [error.id for error in errors] == ["workflows.E008"]
    assert "SIP_KALLELSE, NONSENSE" in errors[0].msg
    assert "INSKRIVNING_ACK, UTSKRIVNINGSKLAR_ACK" in errors[0].hint
    settings.KARDBORRE_LOCAL_DEADLINES = LOCAL
    assert checks.deadline_kinds_check() == []


def _walk_to_ready(world):
    """Admission, admission notice to kommun and vårdcentral, utskrivningsklar: through
    the pages. Returns the process."""
    ward = client_for(world.nurse)
    with time_machine.travel(local(2026, 1, 16, 9, 0), tick=False) as clock:
        response = start(
            ward,
            personal_identity_number=world.individual.personal_identity_number,
            ward=world.ward.pk,
            admitted_at="2026-01-16T08:00",
            care_type="SOMATIC",
            judgement="MAY_NEED",
        )
        assert response.status_code == 302
        process = DischargeProcess.objects.latest("pk")
        clock.move_to(local(2026, 1, 16, 10, 0))
        response = do(
            ward,
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2026-01-23",
            },
        )
        assert response.status_code == 302
        clock.move_to(local(2026, 1, 16, 15, 0))
        do(
            ward,
            fresh(process),
            DischargeFlow.issue_ready_notice,
            {"issued_at": "2026-01-16T15:00"},
        )
    return fresh(process)


def test_by_default_the_duties_are_tasks_without_deadlines(world, default_settings):
    process = _walk_to_ready(world)
    kinds = set(process.deadlines.values_list("kind", flat=True))
    assert "INSKRIVNINGSMEDDELANDE" in kinds and "SIP_KALLELSE" in kinds
    assert not kinds & set(LOCAL)
    # The tasks are there all the same.
    open_task(process, DischargeFlow.ack_socialtjanst)
    open_task(process, DischargeFlow.ack_vardcentral)
    assert process.task_set.filter(
        flow_task=DischargeFlow.ack_ready, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()
    # The admission notice states no answer time.
    outbox_deliver_pending()
    notice = next(m for m in mail.outbox if world.social.functional_mailbox in m.to)
    assert "inskrivningsmeddelande" in notice.subject.lower()
    assert "senast" not in notice.body
    # A week passes unanswered: the sweep drafts no deviation for a missing answer.
    with time_machine.travel(local(2026, 1, 23, 12, 0), tick=False):
        deadlines_sweep()
    assert not process.deadlines.filter(kind__in=LOCAL).exists()
    assert not Deviation.objects.filter(
        process=process,
        category__in=[
            Deviation.Category.INSKRIVNING_NOT_ACKNOWLEDGED,
            Deviation.Category.UTSKRIVNINGSKLAR_NOT_ACKNOWLEDGED,
        ],
    ).exists()
    # The case page shows the case without the deadlines that were not opened.
    with time_machine.travel(local(2026, 1, 23, 12, 0), tick=False):
        page = client_for(world.nurse).get(process.get_absolute_url())
    assert page.status_code == 200
    assert "Kvittera inskrivningsmeddelandet" not in page.content.decode()
    # Acknowledging still works through the page.
    kommun = client_for(world.handlaggare)
    with time_machine.travel(local(2026, 1, 23, 12, 30), tick=False):
        response = do(
            kommun, process, DischargeFlow.ack_socialtjanst, {"ack_state": "ACKNOWLEDGED"}
        )
    assert response.status_code == 302


def test_switched_on_the_local_deadlines_are_opened(world, settings):
    settings.KARDBORRE_LOCAL_DEADLINES = LOCAL
    process = _walk_to_ready(world)
    ack = deadline(process, "INSKRIVNING_ACK", subject_key="SOCIALTJANST")
    assert ack.due_at == local(2026, 1, 17, 10, 0)
    assert deadline(process, "UTSKRIVNINGSKLAR_ACK").due_at == local(
        2026, 1, 16, 23, 59, 59, 999999
    )
    outbox_deliver_pending()
    notice = next(m for m in mail.outbox if world.social.functional_mailbox in m.to)
    assert "senast" in notice.body


def test_one_local_kind_can_be_switched_on_alone(world, settings):
    settings.KARDBORRE_LOCAL_DEADLINES = ["UTSKRIVNINGSKLAR_ACK"]
    process = _walk_to_ready(world)
    kinds = set(process.deadlines.values_list("kind", flat=True))
    assert "UTSKRIVNINGSKLAR_ACK" in kinds
    assert "INSKRIVNING_ACK" not in kinds
