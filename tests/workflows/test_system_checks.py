"""System checks of what a deployer configures: each finds its error, and is silent on
a correct configuration (``manage.py check``, ``check --deploy``, ``check --database``)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from coordination.models import Area, Membership
from notifications.checks import site_url_check
from tests.factories import AreaFactory, MembershipFactory, OrganisationFactory
from workflows import checks, escalation
from workflows.escalation import BREACH, ESCALATE, REMIND, DeadlineKind, Rung

H = dt.timedelta(hours=1)


def ids(messages):
    return [message.id for message in messages]


def test_every_registered_kind_is_complete():
    assert checks.deadline_kinds_check() == []
    # Each kind names its source and the deviation drafted at its breach.
    for kind in escalation.KINDS.values():
        assert kind.source and kind.deviation
        assert [rung.owner for rung in kind.ladder][-1] == "MAS"


@pytest.mark.parametrize(
    "ladder, problem",
    [
        ((), "no ladder"),
        ((Rung(-H, REMIND), Rung(H, ESCALATE)), "does not end in a breach"),
        ((Rung(2 * H, REMIND), Rung(H, BREACH)), "not in time order"),
        ((Rung(H, ESCALATE), Rung(2 * H, BREACH)), "does not start with a reminder"),
    ],
)
def test_an_incomplete_ladder_is_an_error(monkeypatch, ladder, problem):
    kinds = dict(escalation.KINDS)
    kinds["BROKEN"] = DeadlineKind("BROKEN", "Broken", ladder, source="x", deviation=("a", "b"))
    monkeypatch.setattr(escalation, "KINDS", kinds)
    errors = checks.deadline_kinds_check()
    assert ids(errors) == ["workflows.E002"]
    assert problem in errors[0].msg and "BROKEN" in errors[0].msg


def test_a_kind_without_source_or_deviation_is_an_error(monkeypatch):
    ladder = escalation.standard_ladder(H, H, 2 * H)
    monkeypatch.setattr(escalation, "KINDS", {"BARE": DeadlineKind("BARE", "Bare", ladder)})
    messages = [error.msg for error in checks.deadline_kinds_check()]
    assert any("source" in message for message in messages)
    assert any("deviation" in message for message in messages)


def test_a_kind_cannot_be_declared_twice_differently():
    kind = next(iter(escalation.KINDS.values()))
    escalation.register(kind)  # the same declaration again is harmless
    with pytest.raises(ValueError, match="declared twice"):
        escalation.register(DeadlineKind(kind.code, "Other", kind.ladder, source="y"))


def test_beat_must_run_the_sweep_exactly_once(settings):
    assert checks.beat_schedule_check() == []
    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    sweep = next(e for e in schedule.values() if e["task"] == checks.SWEEP_TASK)
    settings.CELERY_BEAT_SCHEDULE = {**schedule, "second-sweep": dict(sweep)}
    assert ids(checks.beat_schedule_check()) == ["workflows.E003"]
    settings.CELERY_BEAT_SCHEDULE = {
        name: entry for name, entry in schedule.items() if entry["task"] != checks.SWEEP_TASK
    }
    assert ids(checks.beat_schedule_check()) == ["workflows.E003"]
    settings.CELERY_BEAT_SCHEDULE = {"sweep": {**sweep, "schedule": 3600.0}}
    assert ids(checks.beat_schedule_check()) == ["workflows.W004"]


@pytest.mark.django_db
def test_escalation_chains_need_a_ksa_a_mas_and_a_gsa():
    region = AreaFactory(name="Region Test", kind=Area.Kind.REGION)
    kommun = AreaFactory()
    unit = OrganisationFactory(area=kommun, huvudman="KOMMUN")
    ward = OrganisationFactory(area=kommun, huvudman="REGION", kind="SJUKHUSAVDELNING")
    found = ids(checks.escalation_chains_check(databases=["default"]))
    assert found.count("workflows.W005") == 1  # no KSA for the kommun unit
    assert found.count("workflows.W006") == 1  # no MAS in its kommun
    assert found.count("workflows.W007") == 1  # no manager or GSA for the ward
    assert found.count("workflows.W008") == 1  # no chefläkare or MAS in the region

    kommun.ksa = unit
    kommun.save()
    MembershipFactory(organisation=unit, role=Membership.Role.KSA)
    MembershipFactory(organisation=unit, role=Membership.Role.MAS)
    MembershipFactory(organisation=ward, role=Membership.Role.CHEF)
    MembershipFactory(
        organisation=OrganisationFactory(area=region, huvudman="REGION"),
        role=Membership.Role.CHEFLAKARE,
    )
    assert checks.escalation_chains_check(databases=["default"]) == []
    # Without the database tag the check does not touch the database at all.
    assert checks.escalation_chains_check() == []
    ward.refresh_from_db()


@pytest.mark.django_db
def test_check_database_command_reports_a_missing_chain():
    OrganisationFactory(area=AreaFactory(), huvudman="KOMMUN")
    with pytest.raises(SystemCheckError, match="workflows.W005"):
        call_command("check", "--database", "default", "--fail-level", "WARNING")


@pytest.mark.parametrize(
    "site_url, ok",
    [
        ("https://kardborre.region.se", True),
        ("http://localhost:8000", False),
        ("http://kardborre.region.se", False),
        ("", False),
        ("kardborre.region.se", False),
    ],
)
def test_site_url_must_be_public_https_in_production(site_url, ok):
    with override_settings(DEBUG=False, SITE_URL=site_url):
        assert ids(site_url_check()) == ([] if ok else ["notifications.E001"])
    with override_settings(DEBUG=True, SITE_URL=site_url):
        assert site_url_check() == []
