"""The deviation's states, who may take each step, and the events they leave."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from notifications.models import OutboundEmail
from workflows.deviations import services
from workflows.deviations.models import Deviation

from .factories import case_with

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _draft(w, **kw):
    process = case_with(w.bistand, w.ward)
    fields = {
        "by": w.handlaggare,
        "process": process,
        "reporting_organisation": w.bistand,
        "receiving_organisation": w.ward,
        "category": Deviation.Category.INSKRIVNINGSMEDDELANDE_LATE,
        "description": "Inskrivningsmeddelandet kom efter tre dygn.",
        "harm": Deviation.Harm.RISK,
    }
    fields.update(kw)
    return services.deviation_create(**fields)


def test_full_cycle_records_every_transition(w):
    with time_machine.travel(NOW, tick=False):
        deviation = _draft(w)
        assert deviation.status == "DRAFT"
        services.deviation_report(deviation=deviation, by=w.handlaggare)
    deviation.refresh_from_db()
    assert deviation.status == "REPORTED"
    assert deviation.answer_due_date == dt.date(2027, 1, 22)  # 60 days after 23 Nov
    reported = OutboundEmail.objects.get(
        template="deviations/emails/reported", to="avd53@example.se"
    )
    assert "Svar senast: 22 jan 2027" in reported.body_text
    services.deviation_answer(
        deviation=deviation, by=w.nurse, explanation="Bemanningsbrist.", measures="Ny rutin."
    )
    # The reporting organisation is told that the answer has come.
    answered = OutboundEmail.objects.filter(template="deviations/emails/answered")
    assert sorted(answered.values_list("to", flat=True)) == [
        "bistand@example.se",
        "handlaggare.soder@example.se",
    ]
    assert "Södersjukhuset avd 53 medicin har besvarat avvikelse" in answered.first().subject
    services.deviation_close(deviation=deviation, by=w.mas, assessment="Rimlig åtgärd.")
    services.deviation_reopen(deviation=deviation, by=w.handlaggare, reason="Hände igen.")
    services.deviation_answer(deviation=deviation, by=w.nurse, explanation="Rutinen följs nu.")
    services.deviation_close(deviation=deviation, by=w.handlaggare, assessment="Godtas.")
    deviation.refresh_from_db()
    assert deviation.status == "CLOSED"
    events = list(deviation.events.values_list("kind", "from_status", "to_status", "by__username"))
    assert events == [
        ("CREATED", "", "DRAFT", "handlaggare.soder"),
        ("REPORTED", "DRAFT", "REPORTED", "handlaggare.soder"),
        ("ANSWERED", "REPORTED", "ANSWERED", "nurse.sos"),
        ("CLOSED", "ANSWERED", "CLOSED", "mas.soder"),
        ("REOPENED", "CLOSED", "REOPENED", "handlaggare.soder"),
        ("ANSWERED", "REOPENED", "ANSWERED", "nurse.sos"),
        ("CLOSED", "ANSWERED", "CLOSED", "handlaggare.soder"),
    ]
    # Comments keep the why of each step.
    assert deviation.events.get(kind="REOPENED").comment == "Hände igen."


def test_status_cannot_be_assigned_directly(w):
    deviation = _draft(w)
    with pytest.raises(AttributeError):
        deviation.status = "CLOSED"


@pytest.mark.parametrize(
    ("step", "kwargs"),
    [
        (services.deviation_answer, {"explanation": "x"}),
        (services.deviation_close, {"assessment": "x"}),
        (services.deviation_reopen, {"reason": "x"}),
    ],
)
def test_forbidden_transitions_from_draft(w, step, kwargs):
    deviation = _draft(w)
    by = w.nurse if step is services.deviation_answer else w.handlaggare
    with pytest.raises(TransitionNotAllowed):
        step(deviation=deviation, by=by, **kwargs)
    deviation.refresh_from_db()
    assert deviation.status == "DRAFT"
    assert deviation.events.count() == 1


def test_a_reported_deviation_cannot_be_dismissed_or_reported_again(w):
    deviation = _draft(w)
    services.deviation_report(deviation=deviation, by=w.handlaggare)
    with pytest.raises(TransitionNotAllowed):
        services.deviation_dismiss(deviation=deviation, by=w.handlaggare, reason="fel")
    with pytest.raises(TransitionNotAllowed):
        services.deviation_report(deviation=deviation, by=w.handlaggare)
    with pytest.raises(TransitionNotAllowed):
        services.deviation_close(deviation=deviation, by=w.handlaggare, assessment="x")


def test_only_the_receiver_answers_and_only_the_reporting_side_closes(w):
    deviation = _draft(w)
    services.deviation_report(deviation=deviation, by=w.handlaggare)
    for user in (w.handlaggare, w.mas, w.h_mas, w.outsider):
        with pytest.raises(PermissionDenied):
            services.deviation_answer(deviation=deviation, by=user, explanation="x")
    services.deviation_answer(deviation=deviation, by=w.nurse, explanation="x")
    for user in (w.nurse, w.h_mas, w.h_handlaggare):
        with pytest.raises(PermissionDenied):
            services.deviation_close(deviation=deviation, by=user, assessment="x")
    deviation.refresh_from_db()
    assert deviation.status == "ANSWERED"


def test_dismiss_needs_a_reason_and_keeps_it(w):
    deviation = _draft(w)
    with pytest.raises(ValidationError):
        services.deviation_dismiss(deviation=deviation, by=w.handlaggare, reason="  ")
    services.deviation_dismiss(deviation=deviation, by=w.mas, reason="Förseningen var befogad.")
    deviation.refresh_from_db()
    assert (deviation.status, deviation.dismissal_reason) == (
        "DISMISSED",
        "Förseningen var befogad.",
    )


def test_reporting_needs_a_harm_assessment(w):
    deviation = _draft(w, harm="")
    with pytest.raises(ValidationError):
        services.deviation_report(deviation=deviation, by=w.handlaggare)
    deviation.refresh_from_db()
    assert deviation.status == "DRAFT"


def test_no_answer_deadline_when_the_setting_is_off(w, settings):
    settings.DEVIATION_ANSWER_DAYS = None  # Stockholm has no answer deadline
    deviation = services.deviation_report(deviation=_draft(w), by=w.handlaggare)
    assert deviation.answer_due_date is None


def test_reporting_emails_the_receiving_organisation_without_personal_data(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        deviation = services.deviation_report(deviation=_draft(w), by=w.handlaggare)
    emails = OutboundEmail.objects.filter(template="deviations/emails/reported")
    assert sorted(emails.values_list("to", flat=True)) == [
        "avd53@example.se",
        "nurse.sos@example.se",
    ]
    email = emails.first()
    assert f"#{deviation.pk}" in email.subject
    assert "Södersjukhuset avd 53 medicin" in email.subject
    assert "Inskrivningsmeddelande saknas eller är sent" in email.body_text
    assert f"/deviations/{deviation.pk}/" in email.body_text
    assert (
        "Inskrivningsmeddelandet kom efter" not in email.body_text
    )  # the description stays inside


def test_manual_creation_only_by_a_participating_member(w):
    process = case_with(w.bistand, w.ward)
    common = {
        "process": process,
        "receiving_organisation": w.ward,
        "category": "OTHER",
        "description": "x",
    }
    with pytest.raises(PermissionDenied):  # not a member of the reporting organisation
        services.deviation_create(by=w.nurse, reporting_organisation=w.bistand, **common)
    with pytest.raises(PermissionDenied):  # the organisation does not take part
        services.deviation_create(by=w.h_handlaggare, reporting_organisation=w.h_bistand, **common)
    with pytest.raises(ValidationError):
        services.deviation_create(
            by=w.handlaggare,
            reporting_organisation=w.bistand,
            **{**common, "receiving_organisation": w.h_ward},
        )
    assert not Deviation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_answers_give_one_answer_and_one_refusal(w):
    import threading

    from django.db import connection

    from .factories import member

    colleague = member(w.ward, "SJUKSKOTERSKA", username="nurse2.sos")
    deviation = services.deviation_report(deviation=_draft(w), by=w.handlaggare)
    barrier = threading.Barrier(2)
    outcomes = []

    def answer(user, text):
        try:
            barrier.wait(timeout=10)
            services.deviation_answer(deviation=deviation, by=user, explanation=text)
            outcomes.append("answered")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=answer, args=(w.nurse, "Svar ett")),
        threading.Thread(target=answer, args=(colleague, "Svar två")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["answered", "refused"]
    deviation.refresh_from_db()
    assert deviation.events.filter(kind="ANSWERED").count() == 1
    assert deviation.answer_explanation in ("Svar ett", "Svar två")
