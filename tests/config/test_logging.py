"""JSON log lines carry the request id and the user's database id, never a personnummer."""

import io
import json
import logging
import logging.config
import uuid

import pytest
from django.conf import settings as django_settings

from config.logging import PERSONNUMMER, logging_config
from tests.factories import UserFactory


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    logging.config.dictConfig(logging_config(level="INFO", json=True))
    logging.getLogger().handlers[0].setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


@pytest.mark.django_db
def test_a_request_logs_json_with_request_id_and_user_id(client, log_lines):
    user = UserFactory()
    client.force_login(user)
    request_id = uuid.uuid4().hex
    response = client.get("/finns-inte/199001012389/", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 404
    assert response["X-Request-ID"] == request_id
    [line] = [entry for entry in log_lines() if entry["logger"] == "django.request"]
    assert line["level"] == "WARNING"
    assert line["request_id"] == request_id
    assert line["user_id"] == user.pk
    assert line["message"] == "Not Found: /finns-inte/[personnummer]/"
    assert "199001012389" not in json.dumps(line)
    assert {"time", "level", "logger", "message", "request_id", "user_id"} <= set(line)


@pytest.mark.django_db
def test_a_made_up_request_id_is_replaced(client, log_lines):
    response = client.get("/finns-inte/", HTTP_X_REQUEST_ID="x\n{evil}")
    made = response["X-Request-ID"]
    assert made != "x\n{evil}" and uuid.UUID(made)
    [line] = [entry for entry in log_lines() if entry["logger"] == "django.request"]
    assert line["request_id"] == made and line["user_id"] is None


def test_outside_a_request_the_fields_are_empty(log_lines):
    logging.getLogger("kardborre.test").info("sweep done for %s", "19121212-1212")
    [line] = log_lines()
    assert line["request_id"] is None and line["user_id"] is None
    assert line["message"] == "sweep done for [personnummer]"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("19121212-1212", True),
        ("191212121212", True),
        ("121212-1212", True),
        ("121212+1212", True),
        ("1212121212", True),
        ("order 12345", False),
        ("2026-12-02 06:30", False),
        ("id 1234567890123", False),  # 13 digits: not a personnummer
    ],
)
def test_personnummer_pattern(text, masked):
    assert bool(PERSONNUMMER.search(text)) is masked


def test_a_traceback_is_masked_too(log_lines):
    try:
        raise ValueError("bad personnummer 19121212-1212")
    except ValueError:
        logging.getLogger("kardborre.test").exception("failed")
    [line] = log_lines()
    assert "19121212-1212" not in json.dumps(line)
    assert "[personnummer]" in line["exc_info"]


def test_a_task_enqueued_in_a_request_logs_with_its_request_id(log_lines):
    from celery.signals import before_task_publish, task_prerun
    from django_guid import clear_guid, get_guid, set_guid

    from config.celery import app

    set_guid("4f0c1a3e9b2d4c6f8a1b2c3d4e5f6a7b")  # as the middleware does for a request
    headers = {}
    before_task_publish.send(sender="notifications.tasks.deliver", headers=headers, body=())
    clear_guid()
    assert headers["X-Request-ID"] == "4f0c1a3e9b2d4c6f8a1b2c3d4e5f6a7b"

    @app.task(name="tests.logging_probe", bind=True)
    def probe(self):
        logging.getLogger("kardborre.test").info("in the task")

    probe.push_request(**{"X-Request-ID": headers["X-Request-ID"]})
    try:
        task_prerun.send(sender=probe, task_id="t1", task=probe, args=(), kwargs={})
        probe.run()
    finally:
        probe.pop_request()
        clear_guid()
    [line] = [entry for entry in log_lines() if entry["message"] == "in the task"]
    assert line["request_id"] == "4f0c1a3e9b2d4c6f8a1b2c3d4e5f6a7b"
    assert get_guid() is None
