"""The only writers of the outbox and of notification preferences.

Delivery guarantees, in short:

* A row is written in the caller's transaction; delivery is scheduled with
  ``transaction.on_commit``, so a rolled-back transaction sends nothing.
* Every sender *claims* a row before talking to SMTP: a conditional update
  PENDING → SENDING under ``SELECT … FOR UPDATE SKIP LOCKED``, committed at once. Two
  workers, a redelivered Celery message and the periodic safety net therefore never
  send the same row at the same time, and a row marked SENT is never sent again.
* A claim is a lease: ``next_attempt_at`` is moved to ``claimed_at + lease`` (60 s),
  renewed while the batch runs. A worker killed mid-send leaves the row SENDING; once
  the lease has run out the next ``outbox_deliver_pending`` claims it again, so nothing
  is lost. A batch that stops any other way (exception, Celery's soft time limit, a
  shutdown) releases the rows it has not tried at once.
* The one window left is between the SMTP server accepting the message and the row
  being marked SENT: a worker that dies exactly there has delivered the message, yet
  the row is re-sent after the lease. Delivery is therefore *at least once*, with the
  duplicate carrying the same ``Message-ID`` (derived from the idempotency key) so mail
  systems and readers can recognise it. No SMTP provider offers an idempotent submit,
  so this window cannot be closed from our side; it is milliseconds wide.
"""

import contextlib
import datetime as dt
import hashlib
import json
import logging
import smtplib
import time
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime

from . import calendar, events, links
from .models import NotificationPreference, OutboundEmail

logger = logging.getLogger(__name__)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFICATIONS_SENDING_LEASE_SECONDS)


def _max_attempts() -> int:
    return settings.NOTIFICATIONS_MAX_ATTEMPTS


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: 1, 2, 4 … 60 min.

    Kept well under the Redis visibility timeout: retries are found by the periodic
    ``deliver_pending`` sweep of the table, never held as long ETAs in the broker.
    """
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


# --- Rendering ----------------------------------------------------------------------


def _render(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of ``template`` in the site language (Swedish).

    Emails are read outside any request, so they never follow the sender's browser
    language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    # A header must be one line: templates may end with a newline.
    subject = " ".join(subject.split())[:300]
    return subject, text, html


def _base_context(*, process=None) -> dict:
    context = {"site_url": settings.SITE_URL.rstrip("/")}
    if process is not None:
        context["case_url"] = links.case_url(process)
    return context


def _stored_context(email: OutboundEmail) -> dict:
    """The template context of a row written with plain data (the sweep's rows)."""
    context = _base_context(process=email.process)
    context.update(email.context)
    for key, value in list(context.items()):
        if key.endswith("_at") and isinstance(value, str):
            context[key] = parse_datetime(value)
        elif key.endswith("_date") and isinstance(value, str):
            context[key] = parse_date(value)
    links.context_complete(context)
    return context


def _ensure_rendered(email: OutboundEmail) -> dict:
    """Render a row written with plain data; the fields to save with its outcome."""
    if email.rendered_at is not None:
        return {}
    with translation.override(settings.LANGUAGE_CODE):  # kind labels are lazy
        context = _stored_context(email)
    email.subject, email.body_text, email.body_html = _render(email.template, context)
    email.rendered_at = timezone.now()
    return {
        "subject": email.subject,
        "body_text": email.body_text,
        "body_html": email.body_html,
        "rendered_at": email.rendered_at,
    }


# --- Enqueue ------------------------------------------------------------------------


def _schedule_email(email_id: int) -> None:
    """Hand one row to a worker; if the broker is down the periodic sweep sends it."""
    from .tasks import deliver_email  # here: the tasks module imports this one

    try:
        deliver_email.delay(email_id)
    except Exception:  # the row is safe in the database; the sweep will find it
        logger.warning("could not queue delivery of email %s; the sweep will", email_id)


def outbox_schedule_delivery() -> None:
    """Ask a worker to deliver what is pending now (the periodic sweep would anyway)."""
    from .tasks import deliver_pending  # here: the tasks module imports this one

    try:
        deliver_pending.delay()
    except Exception:
        logger.warning("could not queue outbox delivery; the periodic sweep will")


def _insert_unless_key_exists(email: OutboundEmail) -> bool:
    """Insert ``email`` in one statement unless its idempotency key is taken (by a
    committed row or a concurrent transaction's, which the insert waits for): no
    look-up first and no savepoint around the insert. True when it was written (its
    ``pk`` set)."""
    if connection.vendor != "postgresql":  # the embedded SQLite demo: look up, then insert
        if OutboundEmail.objects.filter(idempotency_key=email.idempotency_key).exists():
            return False
        try:
            with transaction.atomic():
                email.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    meta = OutboundEmail._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    values = [field.get_db_prep_save(field.pre_save(email, True), connection) for field in fields]
    # Names from the model; every value is a parameter.
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(meta.get_field('idempotency_key').column)}) DO NOTHING "
        f"RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        row = cursor.fetchone()
    if row is None:
        return False
    email.pk = row[0]
    email._state.adding = False
    email._state.db = connection.alias
    return True


@transaction.atomic(savepoint=False)
def email_enqueue(
    *,
    idempotency_key: str,
    to: str,
    template: str,
    context: dict,
    process=None,
    deadline=None,
    organisation=None,
) -> OutboundEmail:
    """Write one outgoing email and schedule its delivery after commit.

    A second call with the same ``idempotency_key`` returns the existing row and
    sends nothing new. ``template`` is a path prefix: ``{template}_subject.txt``,
    ``{template}.txt`` and ``{template}.html`` are rendered now with ``context`` plus
    ``site_url`` (and ``case_url`` when a ``process`` is given). Put no health data,
    personnummer or names of individuals in the context.

    >>> email_enqueue(idempotency_key="sip:7:invite:a@x.se", to="a@x.se",
    ...               template="workflows/sip/email/invitation", context={...},
    ...               process=process)                                # doctest: +SKIP
    """
    full_context = _base_context(process=process)
    full_context.update(context)
    subject, text, html = _render(template, full_context)
    now = timezone.now()
    email = OutboundEmail(
        idempotency_key=idempotency_key,
        to=to,
        template=template,
        subject=subject,
        body_text=text,
        body_html=html,
        rendered_at=now,
        # Rendered now; only a calendar event is kept, to attach at delivery.
        context=(
            {"calendar_event": context["calendar_event"]} if context.get("calendar_event") else {}
        ),
        process_id=getattr(process, "pk", None),
        deadline=deadline,
        organisation=organisation,
        created_at=now,
        next_attempt_at=now,
    )
    if not _insert_unless_key_exists(email):
        # Written before (a repeated call, or a concurrent transaction first).
        return OutboundEmail.objects.get(idempotency_key=idempotency_key)
    if organisation is not None:
        events.announce(
            [
                events.OrganisationMessage(
                    key=idempotency_key,
                    organisation_id=organisation.pk,
                    template=template,
                    process_id=email.process_id,
                    deadline_id=email.deadline_id,
                    at=now,
                    data={},
                )
            ]
        )
    transaction.on_commit(lambda: _schedule_email(email.pk))
    return email


def outbox_enqueue_many(*, emails: list[dict], schedule: bool = True) -> int:
    """Insert many rows at once, skipping idempotency keys that already exist.

    For the deadline sweep, which writes thousands of reminders per run. Each dict has
    ``idempotency_key``, ``to``, ``template``, a plain-data ``context`` (rendered at
    delivery), ``process_id``, ``deadline_id``, ``organisation_id`` and ``created_at``.
    Runs in the caller's transaction; one ``deliver_pending`` task is queued after
    commit for the lot (``schedule=False``: the caller queues it, as the sweep does once
    for all its batches). Returns the number of rows written.
    """
    if not emails:
        return 0
    written = outbox_insert_many(emails=emails)()
    outbox_announce_many(emails=emails)
    if schedule:
        transaction.on_commit(outbox_schedule_delivery)
    return written


def outbox_insert_many(*, emails: list[dict]) -> Callable[[], int]:
    """The insert of ``outbox_enqueue_many`` alone (the caller announces the rows with
    ``outbox_announce_many`` and queues delivery): sent at once, in the caller's
    transaction, without waiting for its outcome when the connection is in pipeline
    mode (the sweep works out its next rows meanwhile). Returns a function that gives
    the number of rows written, to call once the outcome is in (after the pipeline)."""
    if not emails:
        return lambda: 0
    if connection.vendor == "postgresql":
        return _insert_many_postgresql(emails)
    # The embedded SQLite demo: small volumes, plain ORM.
    rows = [OutboundEmail(**email, next_attempt_at=email["created_at"]) for email in emails]
    before = OutboundEmail.objects.count()
    OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)
    written = OutboundEmail.objects.count() - before
    return lambda: written


def outbox_announce_many(*, emails: list[dict]) -> None:
    """Tell the listeners (``notifications.events``) of rows written for units."""
    events.announce(
        [
            events.OrganisationMessage(
                key=email["idempotency_key"],
                organisation_id=email["organisation_id"],
                template=email["template"],
                process_id=email["process_id"],
                deadline_id=email["deadline_id"],
                at=email["created_at"],
                data=email["context"],
            )
            for email in emails
            if email.get("organisation_id")
        ]
    )


def _insert_many_postgresql(emails: list[dict]) -> Callable[[], int]:
    """One INSERT … SELECT … ON CONFLICT DO NOTHING per call, the rows travelling as
    one JSON array parameter that the server parses once (``jsonb``): the ORM's
    bulk_create costs ~100 µs of Python per row, quoting array elements on the client a
    few, this well under one."""
    meta = OutboundEmail._meta
    quote = connection.ops.quote_name

    def column(name):
        return quote(meta.get_field(name).column)

    columns = ", ".join(
        column(name)
        for name in (
            "idempotency_key",
            "to",
            "template",
            "context",
            "subject",
            "body_text",
            "body_html",
            "process",
            "deadline",
            "organisation",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
        )
    )
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 (names from model metadata)
        "SELECT r->>0, r->>1, r->>2, r->3, '', '', '', (r->>4)::bigint, (r->>5)::bigint, "
        "(r->>6)::bigint, %s, 0, '', (r->>7)::timestamptz, (r->>7)::timestamptz "
        "FROM jsonb_array_elements(%s::jsonb) AS r "
        f"ON CONFLICT ({column('idempotency_key')}) DO NOTHING"
    )
    rows = json.dumps(
        [
            (
                e["idempotency_key"],
                e["to"],
                e["template"],
                e["context"],
                e["process_id"],
                e["deadline_id"],
                e["organisation_id"],
                e["created_at"].isoformat(),  # in full: the encoder drops microseconds
            )
            for e in emails
        ],
        cls=DjangoJSONEncoder,
    )
    cursor = connection.cursor()
    cursor.execute(statement, [OutboundEmail.Status.PENDING.value, rows])

    def written() -> int:
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    return written


@transaction.atomic
def email_resend(*, email: OutboundEmail, by) -> OutboundEmail:
    """Send a failed (or already sent) message again, at an administrator's request."""
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if email.status not in (OutboundEmail.Status.FAILED, OutboundEmail.Status.SENT):
        raise ValueError("only a failed or sent email can be sent again")
    now = timezone.now()
    email.status = OutboundEmail.Status.PENDING
    email.attempts = 0
    email.next_attempt_at = now
    email.claimed_at = None
    email.resent_at = now
    email.resent_by = by
    email.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "claimed_at",
            "resent_at",
            "resent_by",
        ]
    )
    transaction.on_commit(lambda: _schedule_email(email.pk))
    return email


# --- Delivery -----------------------------------------------------------------------


def _claim(
    *, now, ids=None, limit=None, model=OutboundEmail, related=("process",)
) -> list[OutboundEmail]:
    """Take due rows for this sender (committed at once, see the module docstring).

    ``model`` is the outbox table: ``OutboundEmail`` or a sibling outbox with the same
    delivery fields (``status``, ``attempts``, ``last_error``, ``next_attempt_at``,
    ``claimed_at``, ``sent_at``), such as the webhook deliveries of ``api``.
    """
    max_attempts = _max_attempts()
    with transaction.atomic():
        qs = (
            model.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status__in=[OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING],
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "pk")
        )
        if related:  # select_related() without names would follow every foreign key
            qs = qs.select_related(*related)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        rows = list(qs[: settings.NOTIFICATIONS_BATCH_SIZE if limit is None else limit])
        claimed = [
            row
            for row in rows
            if row.status == OutboundEmail.Status.PENDING or row.attempts < max_attempts
        ]
        given_up = [row for row in rows if row not in claimed]
        for row in claimed:
            row.status = OutboundEmail.Status.SENDING
            row.claimed_at = now
            row.attempts += 1
            row.next_attempt_at = now + _lease()
        model.objects.filter(pk__in=[row.pk for row in claimed]).update(
            status=OutboundEmail.Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            next_attempt_at=now + _lease(),
        )
        # Their last sender died mid-send and they have no attempts left.
        model.objects.filter(pk__in=[row.pk for row in given_up]).update(
            status=OutboundEmail.Status.FAILED,
            last_error="the sending worker stopped before finishing",
        )
    return claimed


def _message(email: OutboundEmail, connection) -> mail.EmailMultiAlternatives:
    digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:32]
    domain = settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN
    message = mail.EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        connection=connection,
        headers={
            # Stable across retries, so a rare duplicate is recognisable as one.
            "Message-ID": f"<{digest}@{domain}>",
            "X-Kardborre-Outbox-Id": str(email.pk),
            "Auto-Submitted": "auto-generated",
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    event = (email.context or {}).get("calendar_event")
    if event:
        method = "CANCEL" if event.get("cancelled") else "PUBLISH"
        message.attach(
            calendar.FILENAME,
            calendar.ics_bytes(event),
            f"text/calendar; charset=utf-8; method={method}",
        )
    return message


@contextlib.contextmanager
def _relaxed_commits():
    """For one batch, commit outcomes without waiting for the WAL flush, one statement each.

    Sets ``synchronous_commit = off`` for the session (PostgreSQL, outside any
    transaction) until the batch ends, so ``_record_outcome`` is a single autocommitted
    UPDATE (one round trip) instead of BEGIN, SET LOCAL, UPDATE, COMMIT. Inside a
    transaction (tests, callers holding one) nothing changes.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    except Exception:  # the batch records its outcomes the slower way, or fails there
        logger.info("could not relax synchronous_commit", exc_info=True)
        yield
        return
    connection.outbox_relaxed_commits = True
    try:
        yield
    finally:
        connection.outbox_relaxed_commits = False
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:  # a lost connection takes its session settings with it
            logger.info("could not reset synchronous_commit", exc_info=True)


def _record_outcome(email: OutboundEmail, model=OutboundEmail, **fields) -> None:
    """Write a row's outcome, only if this sender's claim still holds.

    Committed without waiting for the WAL flush (``synchronous_commit = off``): a
    database crash in the next fraction of a second may forget that a row was sent, so
    it is sent again: the same at-least-once edge as above, not a new one. Waiting for
    the flush would cost one disk sync per email.
    """
    held = model.objects.filter(
        pk=email.pk, status=OutboundEmail.Status.SENDING, claimed_at=email.claimed_at
    )
    if getattr(connection, "outbox_relaxed_commits", False) and not connection.in_atomic_block:
        held.update(**fields)  # autocommit: one statement, one round trip
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        held.update(**fields)


def _mark_sent(email: OutboundEmail, rendered: dict, *, model=OutboundEmail) -> None:
    _record_outcome(
        email,
        model=model,
        status=OutboundEmail.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        **rendered,
    )
    email.status = OutboundEmail.Status.SENT


def _mark_failed(
    email: OutboundEmail,
    error: BaseException | str,
    rendered: dict | None = None,
    *,
    model=OutboundEmail,
) -> None:
    now = timezone.now()
    text = (str(error) or error.__class__.__name__)[:500]
    if email.attempts >= _max_attempts():
        status, next_attempt_at = OutboundEmail.Status.FAILED, now
    else:
        status, next_attempt_at = OutboundEmail.Status.PENDING, now + retry_delay(email.attempts)
    _record_outcome(
        email,
        model=model,
        status=status,
        last_error=text,
        next_attempt_at=next_attempt_at,
        **(rendered or {}),
    )
    email.status, email.last_error = status, text
    # One line per row at INFO; the batch writes one WARNING summary (_BatchReport).
    label = "email" if model is OutboundEmail else model._meta.model_name
    logger.info("%s %s attempt %s failed: %s", label, email.pk, email.attempts, text)


def _release(rows: list[OutboundEmail], *, model=OutboundEmail) -> int:
    """Give back claimed rows this sender has not tried: due again at once, the attempt
    not counted. Only rows whose claim is still this sender's are touched."""
    if not rows:
        return 0
    now = timezone.now()
    released = 0
    with transaction.atomic():
        for row in rows:
            released += model.objects.filter(
                pk=row.pk, status=OutboundEmail.Status.SENDING, claimed_at=row.claimed_at
            ).update(
                status=OutboundEmail.Status.PENDING,
                attempts=F("attempts") - 1,
                next_attempt_at=now,
                claimed_at=None,
            )
    return released


def _renew(rows: list[OutboundEmail]) -> list[OutboundEmail]:
    """Extend the lease of the rows this sender still holds (a long batch); return them.

    A row whose lease ran out while this sender stalled and that another sender has
    claimed since is no longer ours: it is dropped from the batch, not sent twice.
    """
    held = []
    with transaction.atomic():
        for row in rows:
            if OutboundEmail.objects.filter(
                pk=row.pk, status=OutboundEmail.Status.SENDING, claimed_at=row.claimed_at
            ).update(next_attempt_at=timezone.now() + _lease()):
                held.append(row)
    if len(held) < len(rows):
        logger.warning("outbox batch: %s rows taken over by another sender", len(rows) - len(held))
    return held


class _BatchReport:
    """Counts a batch's failures for one summary line instead of one WARNING per row."""

    def __init__(self, size: int):
        self.size = size
        self.failed = 0
        self.first_error = ""

    def fail(self, error: BaseException | str) -> None:
        self.failed += 1
        if not self.first_error:
            self.first_error = (str(error) or error.__class__.__name__)[:200]

    def log(self, *, released: int = 0, stopped: str = "") -> None:
        if self.failed or released or stopped:
            logger.warning(
                "outbox batch: %s of %s failed, %s released untried%s; first error: %s",
                self.failed,
                self.size,
                released,
                f", stopped by {stopped}" if stopped else "",
                self.first_error or "-",
            )


class BatchStopped(SoftTimeLimitExceeded):
    """Celery's soft time limit ended a batch cleanly; ``sent`` messages went out."""

    def __init__(self, sent: int):
        super().__init__(f"stopped by the time limit after {sent} sent")
        self.sent = sent


def _send_claimed(rows: list[OutboundEmail]) -> int:
    """Send claimed rows over one SMTP connection; record each outcome at once.

    Whatever stops the batch (an exception, Celery's soft time limit, a shutdown) ends it
    cleanly: the message in flight is recorded as sent if the server had accepted it
    (``send()`` returned: the final 250) and as a failed attempt otherwise; the rows not
    yet tried are released for the next sender at once. The lease of the rows still held
    is renewed as the batch goes, so a long batch keeps them and a dead one loses them
    within one lease.
    """
    report = _BatchReport(len(rows))
    smtp = mail.get_connection()
    try:
        smtp.open()
    except (OSError, smtplib.SMTPException) as error:
        for row in rows:
            _mark_failed(row, error)
            report.fail(error)
        report.log()
        return 0
    with _relaxed_commits():
        return _send_over(smtp, rows, report)


def _send_over(smtp, rows: list[OutboundEmail], report: "_BatchReport") -> int:
    """The loop of ``_send_claimed`` over an open connection (which it closes)."""
    sent = 0
    renew_every = settings.NOTIFICATIONS_SENDING_LEASE_SECONDS / 3
    renewed = time.monotonic()
    remaining = list(rows)
    in_flight = None
    accepted = False
    rendered = {}
    try:
        while remaining:
            if time.monotonic() - renewed > renew_every:
                remaining = _renew(remaining)
                renewed = time.monotonic()
                if not remaining:
                    break
            row = remaining[0]
            in_flight, accepted, rendered = row, False, {}
            try:
                rendered = _ensure_rendered(row)
                # One message per call: a refused recipient fails its row, not the batch.
                smtp.send_messages([_message(row, smtp)])
                accepted = True
            except (OSError, smtplib.SMTPException) as error:
                remaining.pop(0)
                in_flight = None
                _mark_failed(row, error, rendered)
                report.fail(error)
                # The connection may be broken; open a fresh one for the rest.
                smtp.close()
                try:
                    smtp.open()
                except (OSError, smtplib.SMTPException):
                    continue
                continue
            except Exception as error:  # a template error must not stop the batch
                if isinstance(error, SoftTimeLimitExceeded):
                    raise
                remaining.pop(0)
                in_flight = None
                logger.exception("email %s could not be built", row.pk)
                _mark_failed(row, error)
                report.fail(error)
                continue
            _mark_sent(row, rendered)
            remaining.pop(0)
            in_flight = None
            sent += 1
    except BaseException as stop:
        # Stopped from outside: time limit, shutdown, a lost database connection.
        if in_flight is not None:
            remaining.remove(in_flight)
            try:
                if accepted:
                    _mark_sent(in_flight, rendered)
                    sent += 1
                else:
                    # No 250 yet: sent again after the backoff (the one possible
                    # duplicate, if the server accepted just as we stopped).
                    reason = f"stopped mid-send by {stop.__class__.__name__}"
                    _mark_failed(in_flight, reason)
                    report.fail(reason)
            except Exception:
                logger.warning("could not record email %s", in_flight.pk, exc_info=True)
        released = 0
        try:
            released = _release(remaining)
        except Exception:  # the lease runs out instead
            logger.warning("could not release %s emails", len(remaining), exc_info=True)
        report.log(released=released, stopped=stop.__class__.__name__)
        if isinstance(stop, SoftTimeLimitExceeded):
            raise BatchStopped(sent) from stop
        raise
    finally:
        try:
            smtp.close()
        except (OSError, smtplib.SMTPException):
            logger.info("closing the SMTP connection failed", exc_info=True)
    report.log()
    return sent


def email_deliver(*, email_id: int, now=None) -> bool:
    """Deliver one row if it is due and nobody else holds it; True if sent now."""
    rows = _claim(now=now or timezone.now(), ids=[email_id], limit=1)
    return bool(rows) and _send_claimed(rows) == 1


def outbox_deliver_pending(
    *, now=None, limit: int | None = None, seconds: float | None = None
) -> int:
    """Deliver due rows (PENDING, or SENDING with an expired lease); the count sent.

    Bounded: at most ``limit`` rows (``NOTIFICATIONS_DELIVER_MAX_ROWS``); no new batch
    is claimed after ``seconds`` (``NOTIFICATIONS_DELIVER_MAX_SECONDS``, well under
    Celery's soft time limit). What is left is handed to a fresh task, queued at once.
    Celery's soft time limit ends it cleanly (see ``_send_claimed``).

    What the periodic Celery task runs; also handy in tests, followed by a look at
    ``django.core.mail.outbox``.
    """
    now = now or timezone.now()
    limit = settings.NOTIFICATIONS_DELIVER_MAX_ROWS if limit is None else limit
    seconds = settings.NOTIFICATIONS_DELIVER_MAX_SECONDS if seconds is None else seconds
    started = time.monotonic()
    sent = 0
    handled = 0
    try:
        while True:
            rows = _claim(now=now, limit=min(settings.NOTIFICATIONS_BATCH_SIZE, limit - handled))
            if not rows:
                return sent
            handled += len(rows)
            sent += _send_claimed(rows)
            if handled >= limit or time.monotonic() - started > seconds:
                break
    except SoftTimeLimitExceeded as stop:
        sent += getattr(stop, "sent", 0)
        logger.warning("outbox delivery stopped by the time limit after %s sent", sent)
        return sent
    # A bound was hit: more may be due; carry on in a fresh task, not in this one.
    outbox_schedule_delivery()
    return sent


# --- Shared with sibling outboxes ---------------------------------------------------
# The webhook deliveries of ``api`` are claimed, leased, retried with backoff and given
# up on by the same functions as emails (pass ``model=``); only the sending differs.

outbox_claim = _claim
outbox_mark_sent = _mark_sent
outbox_mark_failed = _mark_failed
outbox_release = _release


# --- Preferences and the daily digest ------------------------------------------------


@transaction.atomic
def preference_set(*, user, daily_digest: bool) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.daily_digest = daily_digest
    preference.save(update_fields=["daily_digest", "updated_at"])
    return preference
