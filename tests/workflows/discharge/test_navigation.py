"""Getting around: a discharge and the SIP called from it link to each other (for those
who may open both), breadcrumbs on case and task pages, and the SIP's invitation picker
pre-filled with the discharge's units, grouped, with each unit's reachability."""

import re

import pytest
import time_machine

from coordination import access
from workflows.discharge.flows import DischargeFlow
from workflows.sip.forms import InviteForm
from workflows.sip.services import sip_start_from_discharge

from .helpers import assign, client_for, do, fresh
from .test_flow import local, register

pytestmark = pytest.mark.django_db


def _discharge_with_sip(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
        process = fresh(process)
        sip = sip_start_from_discharge(discharge_process=process, by=world.vardkontakt)
    return process, sip


def _breadcrumbs(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Brödsmulor" class="kb-breadcrumbs">(.*?)</nav>', page, re.S)
    assert nav, "the page has breadcrumbs"
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li[^>]*>(.*?)</li>", nav[1], re.S)
    ]


def test_discharge_and_its_sip_link_to_each_other(world):
    process, sip = _discharge_with_sip(world)
    vc = client_for(world.vardkontakt)

    page = vc.get(process.get_absolute_url()).content.decode()
    assert f'href="{sip.get_absolute_url()}" data-testid="sip-link"' in page

    page = vc.get(sip.get_absolute_url()).content.decode()
    assert f'href="{process.get_absolute_url()}" data-testid="discharge-link"' in page
    assert _breadcrumbs(page) == ["Mina ärenden", "Mina SIP:ar", str(sip)]


def test_a_link_to_a_case_the_user_may_not_open_is_not_shown(world):
    process, sip = _discharge_with_sip(world)
    nurse = client_for(world.nurse)
    may_see_sip = access.process_is_visible(user=world.nurse, process_id=sip.pk)
    page = nurse.get(process.get_absolute_url()).content.decode()
    assert ('data-testid="sip-link"' in page) == may_see_sip
    # Someone who sees the SIP but not the discharge: the SIP names it without a link.
    world.vc.process_parties.filter(process_id=process.pk).delete()
    assert not access.process_is_visible(user=world.vardkontakt, process_id=process.pk)
    page = client_for(world.vardkontakt).get(sip.get_absolute_url()).content.decode()
    assert 'data-testid="discharge-link"' not in page
    assert f"#{process.pk}" in page


def test_case_and_task_pages_have_breadcrumbs(world):
    process, _sip = _discharge_with_sip(world)
    nurse = client_for(world.nurse)
    page = nurse.get(process.get_absolute_url()).content.decode()
    assert _breadcrumbs(page) == [
        "Mina ärenden",
        "Mina utskrivningar",
        f"Utskrivning #{process.pk}",
    ]

    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        social = client_for(world.handlaggare)
        _response, task = assign(social, process, DischargeFlow.ack_socialtjanst)
        url = DischargeFlow.ack_socialtjanst.reverse("execute", args=[process.pk, task.pk])
        page = social.get(url).content.decode()
    crumbs = _breadcrumbs(page)
    assert crumbs[:3] == ["Mina ärenden", "Mina utskrivningar", f"Utskrivning #{process.pk}"]
    assert len(crumbs) == 4 and crumbs[3]  # the step's title


def test_the_sip_from_a_discharge_has_its_units_prefilled_in_the_picker(world):
    process, sip = _discharge_with_sip(world)
    world.social.reachability = "UNKNOWN"
    world.social.save()
    html = str(InviteForm(sip=sip)["organisations"])
    selected = set(re.findall(r'<option value="(\d+)"[^>]*selected', html))
    # The vårdcentral convenes; the ward and the kommun unit are called.
    assert selected == {str(world.ward.pk), str(world.social.pk)}
    assert (
        "data-kb-org-picker" in html
        and 'data-kb-search-url="/coordination/organisationer/sok/"' in html
    )
    # Grouped by kind and area, reachability beside each name.
    assert '<optgroup label="Vårdcentral – Testdistrikt">' in html
    assert "Testdistrikt biståndsenhet (Testdistrikt) – nåbarhet okänd: annan kanal krävs" in html
