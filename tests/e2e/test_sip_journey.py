"""Journey 2: a SIP with an organisation of unknown reachability. The flag shows, a
second channel is required, a participant acknowledges through the emailed link, another
is absent, and the plan is written and printed."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from coordination.models import Individual, Organisation
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation, SipProcess
from workflows.sip.services import invitation_recipient

from .conftest import DATE_TIME, check_accessibility, submit


def pick(page, name, query, organisation, reachability):
    """Choose an organisation in a picker (coordination/widgets.py) by typing."""
    picker = page.locator(f"main select[name={name}] + .kb-picker")
    picker.get_by_role("searchbox").fill(query)
    result = picker.get_by_role("button", name=re.compile(re.escape(organisation)))
    assert reachability in result.inner_text(timeout=5000)
    result.click()
    chosen = picker.locator(".kb-picker__chosen")
    chosen.get_by_text(organisation).wait_for()


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sip_with_an_unreachable_organisation(session, browser, demo, html_pages):
    gunnel = Individual.objects.get(given_name="Gunnel", family_name="Persson")
    rosenlund = Organisation.objects.get(name="Rosenlunds vårdcentral")
    bistand = Organisation.objects.get(name="Södermalm biståndsenhet äldre")
    vardaga = Organisation.objects.get(name="Vardaga vård- och omsorgsboende Hornstull")
    assert vardaga.reachability == "UNKNOWN"

    kommun = session("handlaggare.sodermalm")
    kommun.goto("/sips/")
    kommun.goto("/workflow/flows/sip/start/")
    # The person is looked up by number on the registration page and handed back.
    kommun.page.get_by_role("link", name="Sök eller registrera personen").click()
    kommun.fill_form({"pnr": gunnel.personal_identity_number})
    kommun.page.locator("main").get_by_role("button", name="Sök", exact=True).click()
    kommun.page.wait_for_url("**/coordination/personer/?*pnr=*")
    kommun.see("Gunnel Persson")
    kommun.shot("j2-individual-found")
    kommun.check_accessibility("individual-found")
    kommun.page.get_by_role("link", name="Välj den här personen").click()
    kommun.page.wait_for_url("**/workflow/flows/sip/start/?personal_identity_number=*")
    field = kommun.page.locator("main [name=personal_identity_number]")
    assert field.input_value() == gunnel.personal_identity_number
    kommun.fill_form({"reason": "Hemtjänst och vårdcentral behöver samordna insatserna"})
    # The participants are found by typing: the reachability shows beside each name.
    pick(kommun.page, "participants", "rosenlunds", rosenlund.name, "Ja")
    pick(kommun.page, "participants", "hornstull", vardaga.name, "Okänt")
    kommun.shot("j2-sip-start-picker")
    kommun.check_accessibility("sip-start-picker")
    kommun.click_submit("Spara")
    sip = SipProcess.objects.get(individual=gunnel)

    kommun.do_task(
        sip,
        SipFlow.consent,
        lambda page: kommun.fill_form(
            {"decision": "GIVEN", "given_by_individual": True, "method": "WRITTEN"}
        ),
    )
    meeting_at = timezone.localtime() + dt.timedelta(days=5)
    kommun.do_task(
        sip,
        SipFlow.invite,
        lambda page: kommun.fill_form(
            {
                "starts_at": meeting_at.strftime("%Y-%m-%dT%H:%M"),
                "place": "Biståndsenheten, Götgatan 1",
                "include_individual": False,
            }
        ),
    )
    to_vardaga = Invitation.objects.get(meeting__sip=sip, organisation=vardaga)
    to_rosenlund = Invitation.objects.get(meeting__sip=sip, organisation=rosenlund)
    assert to_vardaga.state == "DRAFT" and to_vardaga.needs_second_channel

    # The overview flags the unknown reachability and asks for a second channel.
    kommun.goto(sip.get_absolute_url())
    kommun.see("Andra kanal krävs", "Vardaga vård- och omsorgsboende Hornstull", "Okänt")
    kommun.shot("j2-sip-second-channel-required")
    kommun.check_accessibility("sip-second-channel-required")
    row = kommun.page.locator("tr", has_text="Vardaga vård- och omsorgsboende Hornstull")
    row.locator("select[name=channel]").select_option("PHONE")
    row.locator("input[name=note]").fill("Talat med samordnare Lisa")
    submit(kommun.page, row.get_by_role("button").first)
    to_vardaga.refresh_from_db()
    assert to_vardaga.state == "SENT"
    kommun.goto(sip.get_absolute_url())
    kommun.see("Talat med samordnare Lisa")

    # The vårdcentral acknowledges through the link in its email, without logging in.
    _, link = invitation_recipient(invitation_id=to_rosenlund.pk)
    assert "/kallelse/" in link
    outside = browser.new_context(viewport={"width": 768, "height": 1024}, locale="sv-SE")
    html_pages.watch(outside)
    try:
        page = outside.new_page()
        page.goto(link if link.startswith("http") else demo.url + link)
        check_accessibility(page, "acknowledgement-form")
        submit(page, page.get_by_role("button").first)
        page.screenshot(path=str(kommun.shot_path("j2-acknowledgement-link")), full_page=True)
        check_accessibility(page, "acknowledgement-link")
    finally:
        outside.close()
    to_rosenlund.refresh_from_db()
    assert to_rosenlund.state in ("ACKNOWLEDGED", "ACCEPTED"), to_rosenlund.state

    # The meeting: the vårdcentral came, the boende did not.
    kommun.do_task(
        sip,
        SipFlow.meeting,
        lambda page: kommun.fill_form(
            {
                "notes": "Bra möte",
                f"attendance_{to_rosenlund.pk}": "ATTENDED",
                f"attendance_{to_vardaga.pk}": "ABSENT",
            }
        ),
    )
    to_vardaga.refresh_from_db()
    assert to_vardaga.attendance == "ABSENT"
    follow_up = timezone.localdate() + dt.timedelta(days=30)
    kommun.do_task(
        sip,
        SipFlow.plan,
        lambda page: (
            kommun.fill_form(
                {
                    "overall_responsibility": "KOMMUN",
                    "own_goals": "Jag vill kunna gå till affären själv.",
                    "others_actions": "Dottern handlar på fredagar.",
                    "follow_up_date": follow_up.isoformat(),
                    "interventions-0-description": "Läkemedelsgenomgång",
                    "interventions-0-organisation": rosenlund.pk,
                    "interventions-0-start_date": timezone.localdate().isoformat(),
                    # Both principals take part: no reason for one-sidedness needed.
                    "interventions-1-description": "Hemtjänst morgon och kväll",
                    "interventions-1-organisation": bistand.pk,
                    "interventions-1-start_date": timezone.localdate().isoformat(),
                }
            ),
            page.locator("main select[name=lead_person]").select_option(index=1),
        ),
        button="Spara planen",
    )
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.FOLLOW_UP

    kommun.goto(sip.get_absolute_url())
    kommun.see("Gunnel", "Läkemedelsgenomgång", "Vardaga vård- och omsorgsboende Hornstull")
    assert DATE_TIME.search(kommun.text())
    # Each participant approves the plan; the individual's own view is recorded with it.
    kommun.see("Godkännanden av version 1", "inte godkänd än")
    kommun.click_submit("Godkänn planen för Södermalm biståndsenhet äldre")
    kommun.see("Godkännandet av planen är registrerat")
    kommun.page.locator("main form:has(input[value=individual]) input[name=note]").fill(
        "Jag vill prova i tre månader."
    )
    kommun.click_submit("Den enskilde godkänner planen")
    kommun.see("Jag vill prova i tre månader.")
    approvals = kommun.page.locator("[data-testid=plan-approvals] li").all_inner_texts()
    assert sum("godkänd " in row and "inte" not in row for row in approvals) == 2, approvals
    assert any("Rosenlunds vårdcentral" in row and "inte godkänd än" in row for row in approvals)
    kommun.shot("sip-overview", readme=True)
    kommun.check_accessibility("sip-overview")
    kommun.shot_widths("j2-sip-overview")

    kommun.goto(f"/sips/{sip.pk}/plan/1/utskrift/")
    kommun.see("Jag vill kunna gå till affären själv.", "Läkemedelsgenomgång")
    kommun.check_accessibility("plan-print")
    kommun.page.emulate_media(media="print")
    kommun.shot("j2-plan-print")
