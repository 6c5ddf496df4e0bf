"""The discharge task pages on the shared base (``workflows.taskviews``): two users or
two tabs finishing the same step, a case changed while a form was open, and the
access rule. Driven through the pages with Django's test client."""

import pytest
import time_machine
from viewflow.workflow.status import STATUS

from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeUnit, Stage

from .helpers import assign, client_for, do, fresh, open_task
from .test_flow import local, register

pytestmark = pytest.mark.django_db


def _notice_data(world, **extra):
    return {"socialtjanst": world.social.pk, "estimated_discharge_date": "2022-11-18", **extra}


def _version(page) -> str:
    html = page.content.decode()
    marker = 'name="process_version" value="'
    assert marker in html, "the task page carries the case's version"
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_second_user_finishing_the_same_step_is_told_and_the_first_result_kept(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        sara, per = client_for(world.nurse), client_for(world.nurse2)
        response, task = assign(sara, process, DischargeFlow.send_admission_notice)
        assert response.status_code == 302
        url = DischargeFlow.send_admission_notice.reverse("execute", args=[process.pk, task.pk])
        version = _version(sara.get(url))

        # Per has the case open too and tries to save the same step: it is Sara's.
        response = per.post(url, _notice_data(world, vardcentral=world.vc.pk), follow=True)
        assert response.status_code == 200
        assert "Steget har redan tagits av Sara Lind" in response.content.decode()
        assert response.redirect_chain[-1][0] == process.get_absolute_url()

        response = sara.post(url, _notice_data(world, process_version=version))
        assert response.status_code == 302
        assert response.url == process.get_absolute_url()

        # Per again, and Sara from a second tab: both told, nothing changes.
        for client in (per, sara):
            response = client.post(url, _notice_data(world, vardcentral=world.vc.pk), follow=True)
            assert response.status_code == 200
            page = response.content.decode()
            assert "Steget är redan utfört av Sara Lind (14 nov 2022 09:00)" in page

    task.refresh_from_db()
    assert task.status == STATUS.DONE and task.owner == world.nurse
    process = fresh(process)
    assert process.stage == Stage.PLANNING
    # Sara's result: only the social services were sent the notice, not the vårdcentral.
    assert [unit.organisation for unit in process.unit_rows.all()] == [world.social]


def test_case_changed_while_the_form_was_open_saves_nothing_and_says_so(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        ward = client_for(world.nurse)
        do(
            ward,
            process,
            DischargeFlow.send_admission_notice,
            _notice_data(world, vardcentral=world.vc.pk),
        )
        vc = client_for(world.vardkontakt)
        response, task = assign(vc, process, DischargeFlow.ack_vardcentral)
        url = DischargeFlow.ack_vardcentral.reverse("execute", args=[process.pk, task.pk])
        stale = _version(vc.get(url))

        # Meanwhile the ward says the patient is ready for discharge: the case moves on.
        clock.move_to(local(2022, 11, 14, 11, 0))
        response = do(
            ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-14T11:00"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert fresh(process).stage == Stage.READY

        response = vc.post(url, {"ack_state": "ACKNOWLEDGED", "process_version": stale})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Någon annan ändrade ärendet medan du fyllde i formuläret" in page
        assert "Inget sparades" in page
        unit = fresh(process).unit_rows.get(organisation=world.vc)
        assert unit.ack_state == DischargeUnit.AckState.PENDING
        assert open_task(process, DischargeFlow.ack_vardcentral).pk == task.pk

        # The page now carries the current version: saving again goes through.
        response = vc.post(
            url, {"ack_state": "ACKNOWLEDGED", "process_version": _version(response)}
        )
        assert response.status_code == 302
        unit = fresh(process).unit_rows.get(organisation=world.vc)
        assert unit.ack_state == DischargeUnit.AckState.ACKNOWLEDGED


def test_a_refused_step_is_a_message_on_the_form_not_an_error_page(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        ward = client_for(world.nurse)
        do(ward, process, DischargeFlow.send_admission_notice, _notice_data(world))
        response, task = assign(ward, process, DischargeFlow.issue_ready_notice)
        url = DischargeFlow.issue_ready_notice.reverse("execute", args=[process.pk, task.pk])
        # Before the admission: the service refuses, the form says why.
        response = ward.post(url, {"issued_at": "2022-11-14T07:00"})
        assert response.status_code == 200
        assert "Patienten kan inte vara utskrivningsklar före inskrivningen." in (
            response.content.decode()
        )
        assert fresh(process).stage == Stage.PLANNING
        task.refresh_from_db()
        assert task.status != STATUS.DONE


def test_step_owner_who_left_the_organisation_is_refused(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        ward = client_for(world.nurse)
        response, task = assign(ward, process, DischargeFlow.send_admission_notice)
        url = DischargeFlow.send_admission_notice.reverse("execute", args=[process.pk, task.pk])
        assert ward.get(url).status_code == 200
        world.nurse.memberships.update(is_active=False)
        # No longer acting for the ward, and no longer able to see the case.
        assert ward.get(url).status_code in (403, 404)
        assert ward.post(url, _notice_data(world)).status_code in (403, 404)
    task.refresh_from_db()
    assert task.status != STATUS.DONE
