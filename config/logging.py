"""Structured logs: one JSON object a line, with the request id and the user id.

- ``request_id``: from django-guid, taken from the proxy's ``X-Request-ID`` when it is a
  valid id, else made here; returned in the response's ``X-Request-ID`` header so a user's
  report can be found in the logs.
- ``user_id``: the database id of the signed-in user (``RequestUserMiddleware``), never a
  name, an HSA-id or a personnummer.
- ``PersonalIdentityNumberRedactor`` masks anything shaped like a personnummer or
  samordningsnummer in a message, as a last guard: code must not log them in the first place.
"""

import contextvars
import logging
import re

import pythonjsonlogger.json
from django.core.signals import request_finished

_user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

# 12 or 10 digits with an optional separator: ÅÅÅÅMMDD-NNNN, ÅÅMMDD-NNNN, ÅÅMMDD+NNNN.
PERSONNUMMER = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+]?\d{4}(?!\d)")
REDACTED = "[personnummer]"


class RequestUserMiddleware:
    """Puts the signed-in user's id where the log filter finds it, for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        _user_id.set(user.pk if user is not None and user.is_authenticated else None)
        # Cleared when the response is closed (request_finished), not here: Django logs
        # the response ("Not Found: ...") after the middleware has returned.
        return self.get_response(request)


def _clear_user_id(**kwargs):
    _user_id.set(None)


request_finished.connect(_clear_user_id, dispatch_uid="kardborre-log-user-id")


class UserIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "user_id"):
            record.user_id = _user_id.get()
        return True


class PersonalIdentityNumberRedactor(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        if PERSONNUMMER.search(message):
            record.msg = PERSONNUMMER.sub(REDACTED, message)
            record.args = ()
        return True


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """Only the listed fields: ``extra`` such as Django's ``request`` (whose repr holds the
    path, and a path can hold a personnummer) never reaches the log."""

    FIELDS = ("time", "level", "logger", "message", "request_id", "user_id", "exc_info")

    def process_log_record(self, log_data):
        kept = {key: log_data[key] for key in self.FIELDS if key in log_data}
        if isinstance(kept.get("exc_info"), str):  # a traceback can quote a value
            kept["exc_info"] = PERSONNUMMER.sub(REDACTED, kept["exc_info"])
        return kept


def logging_config(*, level: str, json: bool) -> dict:
    """The ``LOGGING`` setting: JSON lines in production, plain text for the demo."""
    fields = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s"
    formatters = {
        "json": {
            "()": "config.logging.JsonFormatter",
            "fmt": fields,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {
                "()": "django_guid.log_filters.CorrelationId",
                "correlation_id_field": "request_id",
            },
            "user_id": {"()": "config.logging.UserIdFilter"},
            "redact": {"()": "config.logging.PersonalIdentityNumberRedactor"},
        },
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json else "plain",
                "filters": ["request_id", "user_id", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "django_guid": {"level": "WARNING"},  # one INFO line per request otherwise
        },
    }
