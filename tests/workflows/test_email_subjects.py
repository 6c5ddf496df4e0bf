"""Email subjects read as Swedish sentences: each kind of deadline said as what is to be
done ("… ska kvitteras") or what was not done, and the case emails as statements."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from notifications import catalogue
from notifications.links import context_complete
from workflows import escalation, phrasing

DUE = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)  # 12:00 in Stockholm


def subject(template: str, **context) -> str:
    context_complete(context)  # the hooks workflows registers: kind label and phrases
    with translation.override("sv"):
        return " ".join(render_to_string(f"{template}_subject.txt", context).split())


@pytest.mark.parametrize(
    ("template", "extra", "expected"),
    [
        (
            catalogue.DEADLINE_REMINDER,
            {"overdue": False},
            "Påminnelse: meddelandet om utskrivningsklar ska kvitteras senast 24 nov 2026 12:00",
        ),
        (
            catalogue.DEADLINE_REMINDER,
            {"overdue": True},
            "Försenat: meddelandet om utskrivningsklar har inte kvitterats "
            "(senast 24 nov 2026 12:00)",
        ),
        (
            catalogue.DEADLINE_ESCALATION,
            {},
            "Eskalering: meddelandet om utskrivningsklar har inte kvitterats i tid "
            "(senast 24 nov 2026 12:00)",
        ),
        (
            catalogue.DEADLINE_BREACH,
            {},
            "Tidsgränsen har passerats: meddelandet om utskrivningsklar har inte kvitterats "
            "(senast 24 nov 2026 12:00)",
        ),
    ],
)
def test_deadline_subjects_are_sentences(template, extra, expected):
    assert subject(template, kind="UTSKRIVNINGSKLAR_ACK", due_at=DUE, **extra) == expected


def test_every_deadline_kind_has_its_phrases():
    assert [code for code in escalation.KINDS if phrasing.phrases(code) is None] == []


def test_a_kind_without_phrases_falls_back_to_its_label():
    assert (
        subject(catalogue.DEADLINE_REMINDER, kind_label="Något att göra", due_at=DUE)
        == "Påminnelse: Något att göra senast 24 nov 2026 12:00"
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("discharge/emails/ready_notice", "Patienten i utskrivning #7 är utskrivningsklar"),
        ("discharge/emails/discharged", "Patienten i utskrivning #7 har skrivits ut"),
        (
            "discharge/emails/admission_notice",
            "Inskrivningsmeddelande: en patient har skrivits in (utskrivning #7)",
        ),
        (
            "discharge/emails/ready_notice_revoked",
            "Meddelandet om utskrivningsklar i utskrivning #7 har återkallats",
        ),
        (
            "discharge/emails/estimated_date_changed",
            "Det beräknade utskrivningsdatumet i utskrivning #7 har ändrats",
        ),
        ("sip/emails/invitation", "Du är kallad till ett SIP-möte 3 dec 2026 10:00"),
    ],
)
def test_case_email_subjects_are_sentences(template, expected):
    assert subject(template, case_reference="7", meeting_at="3 dec 2026 10:00") == expected


@pytest.mark.parametrize(
    ("overdue", "today", "expected"),
    [
        (
            2,
            1,
            "Dina organisationer har 2 passerade tidsfrister och 1 som går ut i dag (24 nov 2026)",
        ),
        (1, 0, "Dina organisationer har 1 passerad tidsfrist (24 nov 2026)"),
        (0, 1, "Dina organisationer har 1 tidsfrist som går ut i dag (24 nov 2026)"),
        (0, 3, "Dina organisationer har 3 tidsfrister som går ut i dag (24 nov 2026)"),
    ],
)
def test_daily_digest_subject_is_a_sentence(overdue, today, expected):
    assert (
        subject(catalogue.DAILY_DIGEST, day=DUE, overdue_count=overdue, due_today_count=today)
        == expected
    )
